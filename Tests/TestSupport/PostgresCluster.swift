import Foundation

/// A throwaway PostgreSQL cluster for tests: `initdb` in a temporary folder, `pg_ctl start` on a free loopback
/// port (TCP on 127.0.0.1 only, its Unix socket in the same folder), password authentication (SCRAM-SHA-256) for
/// TCP, stopped (`pg_ctl stop -m immediate`) and removed when the test process exits.
///
/// PostgreSQL refuses to run as root: under root the cluster belongs to the `postgres` system user (created by
/// Debian's `postgresql` package, which `.ci/run` installs) and its commands run through `runuser`; the temporary
/// folder is under /tmp, which that user can traverse.
public final class PostgresCluster: @unchecked Sendable {
    /// The superuser the cluster is made with, and its password.
    public static let user = "cyberctl"
    public static let password = "cyberctl-test-secret"

    public let folder: String
    public let port: UInt16
    /// The CA (PEM) that issued the server's TLS certificate, whose only name is `DNS:localhost`: `sslmode=verify-full`
    /// succeeds for host `localhost` and fails on the name for host `127.0.0.1`; `verify-ca` succeeds for both.
    public var caPath: String { "\(folder)/tls/ca.pem" }
    public let binaries: String
    private let lock = NSLock()
    private var databaseCount = 0

    /// The cluster shared by every test of this process, started on first use.
    public static func shared() throws -> PostgresCluster {
        try sharedLock.withLock {
            if let cluster = sharedCluster { return cluster }
            let cluster = try PostgresCluster()
            sharedCluster = cluster
            // Swift Testing's runner ends the process without running atexit handlers: a watchdog stops the
            // cluster and removes its folder once this process has ended.
            let stop = geteuid() == 0 ? "/usr/sbin/runuser -u postgres -- \(cluster.binaries)/pg_ctl" : "\(cluster.binaries)/pg_ctl"
            try BackgroundServer.spawnDetached("/bin/sh", [
                "-c", "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(stop) -D '\(cluster.folder)/data' -m immediate -w stop; rm -rf '\(cluster.folder)'",
            ], log: "\(cluster.folder)/watchdog.log")
            return cluster
        }
    }

    private static let sharedLock = NSLock()
    nonisolated(unsafe) private static var sharedCluster: PostgresCluster?

    /// Whether PostgreSQL's server programs are installed (Debian: /usr/lib/postgresql/VERSION/bin).
    public static var serverBinaries: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        return nil
    }

    init() throws {
        guard let binaries = Self.serverBinaries else {
            throw TestSupportError("PostgreSQL's server is not installed (apt install postgresql): no /usr/lib/postgresql/*/bin/initdb")
        }
        self.binaries = binaries
        var template = Array("/tmp/cyberctl-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestSupportError("mkdtemp: \(String(cString: strerror(errno)))") }
        folder = String(cString: made)
        chmod(folder, 0o755)
        let passwordFile = "\(folder)/password"
        try Data(Self.password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        if geteuid() == 0 {
            guard let owner = getpwnam("postgres") else { throw TestSupportError("no postgres user to run the test cluster as (apt install postgresql)") }
            chown(folder, owner.pointee.pw_uid, owner.pointee.pw_gid)
            chown(passwordFile, owner.pointee.pw_uid, owner.pointee.pw_gid)
        }
        let initdb = try Self.runAsOwner("\(binaries)/initdb", [
            "-D", "\(folder)/data", "-U", Self.user, "--pwfile=\(passwordFile)", "--auth-host=scram-sha-256", "--auth-local=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        ], folder: folder)
        guard initdb.exitCode == 0 else { throw TestSupportError("initdb failed: \(initdb.stderr)") }
        try Self.makeCertificates(folder: "\(folder)/tls")
        var lastError = ""
        for _ in 0..<5 {
            let candidate = try BackgroundServer.freePort()
            let options = "-c listen_addresses=127.0.0.1 -p \(candidate) -k \(folder) -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c ssl=on -c ssl_cert_file=\(folder)/tls/server.crt -c ssl_key_file=\(folder)/tls/server.key"
            let start = try Self.runAsOwner("\(binaries)/pg_ctl", ["-D", "\(folder)/data", "-l", "\(folder)/server.log", "-o", options, "-w", "-t", "60", "start"], folder: folder)
            if start.exitCode == 0 {
                port = candidate
                return
            }
            lastError = start.stderr + ((try? String(contentsOfFile: "\(folder)/server.log", encoding: .utf8)) ?? "")
        }
        throw TestSupportError("pg_ctl start failed: \(lastError)")
    }

    /// A test CA and a server certificate for `DNS:localhost` it issued (openssl), the key readable by the cluster's
    /// owner only, as PostgreSQL requires.
    public static func makeCertificates(folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) throws {
            let output = try Command.run("openssl", arguments, currentDirectory: folder)
            guard output.exitCode == 0 else { throw TestSupportError("openssl \(arguments.joined(separator: " ")): \(output.stderr)") }
        }
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=cyberctl test PostgreSQL CA", "-days", "3"])
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"])
        try Data("subjectAltName=DNS:localhost\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/san.ext"))
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "3", "-extfile", "san.ext"])
        chmod("\(folder)/server.key", 0o600)
        if geteuid() == 0, let owner = getpwnam("postgres") {
            chown(folder, owner.pointee.pw_uid, owner.pointee.pw_gid)
            chown("\(folder)/server.key", owner.pointee.pw_uid, owner.pointee.pw_gid)
        }
    }

    /// Runs a server program as the cluster's owner (`postgres` under root, else the current user), its output in
    /// `FOLDER/commands.log` (returned as `stderr`), spawned as a daemon is: `pg_ctl start` leaves the server
    /// running, which must hold no pipe of this process.
    static func runAsOwner(_ program: String, _ arguments: [String], folder: String) throws -> Command.Output {
        let log = "\(folder)/commands.log"
        try? FileManager.default.removeItem(atPath: log)
        let status = geteuid() == 0
            ? try BackgroundServer.runToCompletion("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments, log: log)
            : try BackgroundServer.runToCompletion(program, arguments, log: log)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Command.Output(exitCode: status, stdout: "", stderr: output, stdoutData: Data())
    }

    /// `postgresql://cyberctl:…@127.0.0.1:PORT/NAME?sslmode=disable`.
    public func uri(database: String) -> String {
        "postgresql://\(Self.user):\(Self.password)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// A new empty database (byte-order collation, UTF-8), named `prefix_N`; returns its URI.
    /// With `icuLocale` (`fr-FR`), its default collation is ICU's for that locale instead, as a database made by an
    /// administrator on a French system would sort text (case and accents ignored at first).
    public func createDatabase(prefix: String = "store", icuLocale: String? = nil) throws -> String {
        let name: String = lock.withLock {
            databaseCount += 1
            return "\(prefix)_\(getpid())_\(databaseCount)"
        }
        let collation = icuLocale.map { "LOCALE_PROVIDER icu ICU_LOCALE '\($0)' LC_COLLATE 'C' LC_CTYPE 'C'" } ?? "LC_COLLATE 'C' LC_CTYPE 'C'"
        try psql("CREATE DATABASE \"\(name)\" TEMPLATE template0 ENCODING 'UTF8' \(collation)")
        return uri(database: name)
    }

    /// Runs `sql` with psql as the superuser, in `database`; returns its output (unaligned, tuples only).
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let output = try Command.run(
            "\(binaries)/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, "-d", database, "-c", sql],
            environment: ProcessInfo.processInfo.environment.merging(["PGPASSWORD": Self.password], uniquingKeysWith: { $1 }))
        guard output.exitCode == 0 else { throw TestSupportError("psql \(sql): \(output.stderr)") }
        return output.stdout
    }
}

