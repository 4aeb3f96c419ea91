import Agent
import Foundation
import Model
import TestSupport
import Testing
@testable import Territory

/// `StoreLocation`/`PostgresLocation` read connection URIs as libpq does; `PostgresBackend` runs SQL on a real
/// throwaway PostgreSQL cluster (initdb + pg_ctl on loopback, `PostgresCluster`).
@Suite struct PostgresLocationTests {
    let environment = ["HOME": "/nonexistent", "USER": "rssi"]

    @Test func aPathIsSQLiteAndAURIIsPostgreSQL() throws {
        #expect(try StoreLocation.parse("/var/lib/cyberctl/territory.sqlite", environment: environment) == .sqlite(path: "/var/lib/cyberctl/territory.sqlite"))
        guard case .postgresql(let location) = try StoreLocation.parse("postgresql://rssi:s%40cret@db.example.org:5433/territoire?sslmode=require", environment: environment) else {
            Issue.record("not PostgreSQL")
            return
        }
        #expect(location.host == "db.example.org")
        #expect(location.port == 5433)
        #expect(location.user == "rssi")
        #expect(location.password == "s@cret")
        #expect(location.database == "territoire")
        #expect(location.sslMode == .require)
        #expect(!location.displayName.contains("cret"))
        #expect(location.displayName == "postgresql://rssi@db.example.org:5433/territoire?sslmode=require")
    }

    @Test func whatTheURILeavesOutComesFromTheEnvironmentThenLibpqDefaults() throws {
        let fromEnvironment = try PostgresLocation(
            uri: "postgres://", environment: ["PGHOST": "10.0.0.5", "PGPORT": "6432", "PGUSER": "collecte", "PGDATABASE": "cyber", "PGPASSWORD": "pw", "HOME": "/nonexistent"])
        #expect(fromEnvironment.host == "10.0.0.5")
        #expect(fromEnvironment.port == 6432)
        #expect(fromEnvironment.user == "collecte")
        #expect(fromEnvironment.database == "cyber")
        #expect(fromEnvironment.password == "pw")
        #expect(fromEnvironment.sslMode == .prefer)
        let defaults = try PostgresLocation(uri: "postgresql:///territoire", environment: environment)
        #expect(defaults.host == "/var/run/postgresql")
        #expect(defaults.isUnixSocket)
        #expect(defaults.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        #expect(defaults.port == 5432)
        #expect(defaults.database == "territoire")
        let socket = try PostgresLocation(uri: "postgresql:///t?host=/run/postgresql", environment: environment)
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432")
        let ipv6 = try PostgresLocation(uri: "postgresql://u@[::1]:5433/t", environment: environment)
        #expect(ipv6.host == "::1")
        #expect(ipv6.port == 5433)
        #expect(ipv6.displayName == "postgresql://u@[::1]:5433/t")
    }

    @Test func malformedURIsAreRefusedWithoutShowingThePassword() {
        for uri in [
            "postgresql://u:hunter2@h:99999/d", "postgresql://u:hunter2@h/d?sslmode=sometimes", "postgresql://u:hunter2@h/d?options=-c",
            "postgresql://u:hunter2@h/d?sslmode=verify-full", "postgresql://u:hunter2@[::1/d",
        ] {
            do {
                _ = try PostgresLocation(uri: uri, environment: environment)
                Issue.record("accepted \(uri)")
            } catch {
                #expect(error.kind == .usage, "\(uri)")
                #expect(!error.description.contains("hunter2"), "\(error.description)")
                #expect(!error.englishMessage.contains("hunter2"))
            }
        }
    }

    @Test func thePasswordFileIsReadOnlyWhenPrivate() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-pgpass")
        let file = folder.url("pgpass")
        try Data("# comment\nother:5432:*:*:nope\ndb.example.org:5432:territoire:rssi:s\\:ecret\n*:*:*:*:fallback\n".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o600)
        let location = try PostgresLocation(uri: "postgresql://rssi@db.example.org/territoire?passfile=\(file)", environment: environment)
        #expect(location.password == "s:ecret")
        let other = try PostgresLocation(uri: "postgresql://x@elsewhere/y", environment: ["PGPASSFILE": file, "HOME": "/nonexistent"])
        #expect(other.password == "fallback")
        chmod(file, 0o644)
        let ignored = try PostgresLocation(uri: "postgresql://rssi@db.example.org/territoire?passfile=\(file)", environment: environment)
        #expect(ignored.password == nil)
        // The URI's password wins over every other source.
        chmod(file, 0o600)
        let explicit = try PostgresLocation(uri: "postgresql://rssi:given@db.example.org/territoire", environment: ["PGPASSFILE": file, "PGPASSWORD": "env", "HOME": "/nonexistent"])
        #expect(explicit.password == "given")
    }

    @Test func aServiceNamesTheConnection() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-pgservice")
        let file = folder.url("pg_service.conf")
        try Data("[autre]\nhost=nope\n\n[territoire]\nhost=pg.opsn.example\nport=5434\nuser=collecte\ndbname=cyber\nsslmode=verify-full\nsslrootcert=/etc/ssl/opsn-ca.pem\n".utf8)
            .write(to: URL(fileURLWithPath: file))
        let location = try PostgresLocation(uri: "postgresql://", environment: ["PGSERVICE": "territoire", "PGSERVICEFILE": file, "HOME": "/nonexistent"])
        #expect(location.host == "pg.opsn.example")
        #expect(location.port == 5434)
        #expect(location.user == "collecte")
        #expect(location.database == "cyber")
        #expect(location.sslMode == .verifyFull)
        #expect(location.sslRootCert == "/etc/ssl/opsn-ca.pem")
        #expect(throws: InputError.self) { try PostgresLocation(uri: "postgresql://?service=absent", environment: ["PGSERVICEFILE": file, "HOME": "/nonexistent"]) }
    }

    @Test func placeholdersAreNumberedOutsideQuotesAndComments() {
        #expect(PostgresSQLConnection.numbered("SELECT a FROM t WHERE b = ? AND c = '?' AND \"d?\" = ? -- why?\n AND e = ?")
            == "SELECT a FROM t WHERE b = $1 AND c = '?' AND \"d?\" = $2 -- why?\n AND e = $3")
        #expect(PostgresSQLConnection.statements("CREATE TABLE a (x TEXT DEFAULT ';');\n-- a; comment\nCREATE INDEX i ON a(x);\n").count == 2)
    }
}

@Suite(.serialized) struct PostgresBackendTests {
    @Test func runsStatementsAndReadsEveryKindOfValue() throws {
        let cluster = try PostgresCluster.shared()
        let backend = try PostgresBackend(location: try PostgresLocation(uri: try cluster.createDatabase(prefix: "values"), environment: [:]))
        try backend.write { db in
            try db.execute(sql: "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL, weight DOUBLE PRECISION, flag BIGINT, bytes BYTEA)")
            let insert = try db.makeStatement(sql: "INSERT INTO t (name, weight, flag, bytes) VALUES (?, ?, ?, ?)")
            for index in 0..<500 { try insert.execute(arguments: ["n\(index)", Double(index) / 2, index % 2 == 0, [UInt8(index % 256)]]) }
            try db.execute(sql: "INSERT INTO t (name, weight, flag, bytes) VALUES (?, ?, ?, ?)", arguments: ["with '?' inside", nil, nil, nil])
        }
        try backend.read { db in
            #expect(try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM t") == 501)
            // SUM(bigint) is numeric in PostgreSQL: read as an integer when it is one.
            #expect(try db.fetchOne(Int.self, sql: "SELECT SUM(id) FROM t") == 501 * 502 / 2)
            #expect(try db.fetchOne(Double.self, sql: "SELECT AVG(weight) FROM t") == 124.75)
            #expect(try db.fetchOne(Bool.self, sql: "SELECT 2 > 1") == true)
            let row = try #require(try db.fetchRow(sql: "SELECT id, name, weight, flag, bytes FROM t WHERE name = ?", arguments: ["n3"]))
            let name: String = row["name"], weight: Double = row["weight"], flag: Bool = row["flag"], bytes: [UInt8] = row["bytes"]
            #expect(name == "n3")
            #expect(weight == 1.5)
            #expect(flag == false)
            #expect(bytes == [3])
            let quoted = try #require(try db.fetchRow(sql: "SELECT weight, flag FROM t WHERE name LIKE 'with%'"))
            let missingWeight: Double? = quoted[0], missingFlag: Bool? = quoted[1]
            #expect(missingWeight == nil)
            #expect(missingFlag == nil)
            let inserted = try db.fetchOne(Int64.self, sql: "SELECT id FROM t ORDER BY id DESC LIMIT 1")
            #expect(inserted == 501)
        }
    }

    @Test func aFailedTransactionKeepsNothingAndTheConnectionServesAgain() throws {
        let cluster = try PostgresCluster.shared()
        let backend = try PostgresBackend(location: try PostgresLocation(uri: try cluster.createDatabase(prefix: "rollback"), environment: [:]))
        try backend.write { db in try db.execute(sql: "CREATE TABLE t (id BIGINT PRIMARY KEY)") }
        #expect(throws: (any Error).self) {
            try backend.write { db in
                try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [1])
                try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [1])  // duplicate key, pipelined
            }
        }
        #expect(try backend.read { try $0.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM t") } == 0)
        try backend.write { db in try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [2]) }
        #expect(try backend.read { try $0.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM t") } == 1)
    }

    struct Refusal: Error, Equatable { let reason: String }

    @Test func whatTheBodyThrowsReachesTheCallerUnchangedAndNothingIsKept() throws {
        let cluster = try PostgresCluster.shared()
        let backend = try PostgresBackend(location: try PostgresLocation(uri: try cluster.createDatabase(prefix: "refusal"), environment: [:]))
        try backend.write { db in try db.execute(sql: "CREATE TABLE t (id BIGINT PRIMARY KEY)") }
        // A refusal of the caller's own (not the database's) is not turned into "cannot write the store" (exit 74).
        #expect(throws: Refusal(reason: "report-id-conflict")) {
            try backend.write { db in
                try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [7])
                throw Refusal(reason: "report-id-conflict")
            }
        }
        #expect(try backend.read { try $0.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM t") } == 0)
        // The database's own error names the store.
        #expect(throws: InputError.self) { try backend.write { db in try db.execute(sql: "INSERT INTO missing VALUES (1)") } }
    }

    @Test func writersOfTwoBackendsTakeTurns() throws {
        let cluster = try PostgresCluster.shared()
        let uri = try cluster.createDatabase(prefix: "turns")
        let first = try PostgresBackend(location: try PostgresLocation(uri: uri, environment: [:]))
        let second = try PostgresBackend(location: try PostgresLocation(uri: uri, environment: [:]))
        try first.write { db in
            try db.execute(sql: "CREATE TABLE counter (n BIGINT NOT NULL)")
            try db.execute(sql: "INSERT INTO counter VALUES (0)")
        }
        // Read-modify-write from two backends (two processes' worth of connections) at once: without the writers'
        // lock, increments would be lost under READ COMMITTED.
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let backend = index == 0 ? first : second
            for _ in 0..<100 {
                try? backend.write { db in
                    let n = try db.fetchOne(Int.self, sql: "SELECT n FROM counter") ?? 0
                    try db.execute(sql: "UPDATE counter SET n = ?", arguments: [n + 1])
                }
            }
        }
        #expect(try first.read { try $0.fetchOne(Int.self, sql: "SELECT n FROM counter") } == 200)
    }

    @Test func aWrongPasswordOrDatabaseIsAClearErrorWithoutThePassword() throws {
        let cluster = try PostgresCluster.shared()
        _ = try cluster.createDatabase(prefix: "auth")
        do {
            _ = try PostgresBackend(location: try PostgresLocation(uri: "postgresql://\(PostgresCluster.user):wrong-secret@127.0.0.1:\(cluster.port)/postgres?sslmode=disable", environment: [:]))
            Issue.record("connected with a wrong password")
        } catch {
            #expect(error.kind == .io)
            #expect(error.englishMessage.contains("28P01"), "\(error.englishMessage)")
            #expect(error.message.contains("mot de passe"))
            #expect(!error.description.contains("wrong-secret"))
        }
        do {
            _ = try PostgresBackend(location: try PostgresLocation(uri: cluster.uri(database: "absent"), environment: [:]))
            Issue.record("connected to a database that does not exist")
        } catch {
            #expect(error.englishMessage.contains("3D000"), "\(error.englishMessage)")
            #expect(!error.description.contains(PostgresCluster.password))
        }
        // Nothing listens: refused promptly, named.
        let port = try BackgroundServer.freePort()
        #expect(throws: InputError.self) {
            try PostgresBackend(location: try PostgresLocation(uri: "postgresql://u:p@127.0.0.1:\(port)/d?sslmode=disable&connect_timeout=3", environment: [:]))
        }
    }

    @Test func verifyFullChecksTheChainAndTheServersName() throws {
        let cluster = try PostgresCluster.shared()
        let uri = try cluster.createDatabase(prefix: "tls")
        let database = String(uri.split(separator: "/").last!.split(separator: "?").first!)
        let credentials = "\(PostgresCluster.user):\(PostgresCluster.password)"
        // The right CA and the certificate's name: connected over TLS (the server says so).
        let verified = try PostgresBackend(location: try PostgresLocation(
            uri: "postgresql://\(credentials)@localhost:\(cluster.port)/\(database)?sslmode=verify-full&sslrootcert=\(cluster.caPath)", environment: [:]))
        #expect(try verified.read { try $0.fetchOne(Bool.self, sql: "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") } == true)
        // verify-ca: the chain only, so an address the certificate does not name is accepted.
        _ = try PostgresBackend(location: try PostgresLocation(
            uri: "postgresql://\(credentials)@127.0.0.1:\(cluster.port)/\(database)?sslmode=verify-ca&sslrootcert=\(cluster.caPath)", environment: [:]))
        // verify-full to a name the certificate does not carry: refused.
        #expect(throws: InputError.self) {
            try PostgresBackend(location: try PostgresLocation(
                uri: "postgresql://\(credentials)@127.0.0.1:\(cluster.port)/\(database)?sslmode=verify-full&sslrootcert=\(cluster.caPath)", environment: [:]))
        }
        // Another CA: refused, even under verify-ca.
        let other = try TemporaryDirectory(prefix: "cyberctl-pg-other-ca")
        try PostgresCluster.makeCertificates(folder: other.url("tls"))
        #expect(throws: InputError.self) {
            try PostgresBackend(location: try PostgresLocation(
                uri: "postgresql://\(credentials)@localhost:\(cluster.port)/\(database)?sslmode=verify-ca&sslrootcert=\(other.url("tls"))/ca.pem", environment: [:]))
        }
    }
}
