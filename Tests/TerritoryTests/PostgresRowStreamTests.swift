import Agent
import Foundation
import Model
import TestSupport
import Testing
@testable import Territory

/// `forEachRow` on PostgreSQL streams its rows (issue 20): the first rows reach the body while the server is still
/// producing the others, an error after some rows is still thrown, and a body that throws stops the query with the
/// connection either serving again or discarded. On the shared loopback `PostgresCluster`.
@Suite(.serialized) struct PostgresRowStreamTests {
    struct Stop: Error, Equatable {}

    static func backend(_ prefix: String) throws -> (PostgresBackend, String) {
        let uri = try PostgresCluster.shared().createDatabase(prefix: prefix)
        return (try PostgresBackend(location: try PostgresLocation(uri: uri, environment: [:])), uri)
    }

    @Test func theFirstRowsArriveWhileTheServerIsStillSending() throws {
        let (reader, uri) = try Self.backend("stream")
        let holder = try PostgresBackend(location: try PostgresLocation(uri: uri, environment: [:]))
        // Another transaction holds an advisory lock that the query's row 20,000 waits for; the body lets it go on
        // its first row. Rows that only came once the query ended (a buffered result) would never come: the query
        // would fail on its lock timeout instead.
        let held = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            defer { done.signal() }
            try? holder.write { db in
                _ = try db.fetchOne(Int.self, sql: "SELECT 1 FROM (SELECT pg_advisory_xact_lock(4242)) AS locked")
                held.signal()
                release.wait()
            }
        }
        held.wait()
        var released = false
        defer {
            if !released { release.signal() }
            done.wait()
        }
        var seen = 0, sum = 0
        try reader.read { db in
            try db.execute(sql: "SET LOCAL lock_timeout = '60s'")
            try db.forEachRow(sql: """
                SELECT i, CASE WHEN i = 20000 THEN pg_advisory_xact_lock_shared(4242)::text ELSE 'row' END AS label
                FROM generate_series(1, 30000) AS i
                """, arguments: []) { row in
                if !released {
                    released = true
                    release.signal()
                }
                seen += 1
                sum += row[0] as Int
            }
        }
        #expect(seen == 30000)
        #expect(sum == 30000 * 30001 / 2)
    }

    @Test func anErrorAfterSomeRowsIsThrownNotAShortResult() throws {
        let (backend, _) = try Self.backend("midstream")
        var seen = 0
        do {
            try backend.read { db in
                try db.forEachRow(sql: "SELECT i, 10 / (20000 - i) FROM generate_series(1, 30000) AS i", arguments: []) { _ in seen += 1 }
            }
            Issue.record("a division by zero at row 20,000 ended as \(seen) rows")
        } catch let error as InputError {
            #expect(error.kind == .io)
            #expect(error.englishMessage.contains("division by zero"), "\(error.englishMessage)")
        }
        // The rows before the error were streamed to the body, and the view still failed.
        #expect(seen > 0 && seen < 20000)
        #expect(try backend.read { try $0.fetchOne(Int.self, sql: "SELECT 41 + 1") } == 42)
    }

    @Test func aBodyThatThrowsStopsTheQueryAndTheConnectionServesAgain() throws {
        let (backend, _) = try Self.backend("bodythrows")
        let pid = try backend.read { try $0.fetchOne(Int.self, sql: "SELECT pg_backend_pid()") }
        var seen = 0
        // In the same transaction: the query is cancelled, its other rows dropped, and the next statement answers.
        let after = try backend.read { db -> Int? in
            #expect(throws: Stop()) {
                try db.forEachRow(sql: "SELECT i FROM generate_series(1, 2000000) AS i", arguments: []) { _ in
                    seen += 1
                    if seen == 10 { throw Stop() }
                }
            }
            return try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM generate_series(1, 7)")
        }
        #expect(seen == 10)
        #expect(after == 7)
        // Through the transaction: what the body throws reaches the caller unchanged, and the same connection serves.
        #expect(throws: Stop()) {
            try backend.read { db in
                try db.forEachRow(sql: "SELECT i FROM generate_series(1, 2000000) AS i", arguments: []) { _ in throw Stop() }
            }
        }
        #expect(try backend.read { try $0.fetchOne(Int.self, sql: "SELECT pg_backend_pid()") } == pid)
    }

    @Test func aConnectionLostMidStreamIsAnErrorAndIsDiscarded() throws {
        let (backend, uri) = try Self.backend("lost")
        let other = try PostgresBackend(location: try PostgresLocation(uri: uri, environment: [:]))
        let pid = try #require(try backend.read { try $0.fetchOne(Int.self, sql: "SELECT pg_backend_pid()") })
        var seen = 0
        do {
            try backend.read { db in
                try db.forEachRow(sql: "SELECT i FROM generate_series(1, 20000000) AS i", arguments: []) { _ in
                    seen += 1
                    if seen == 1 {
                        let terminated = try other.read { try $0.fetchOne(Bool.self, sql: "SELECT pg_terminate_backend(CAST(? AS integer))", arguments: [pid]) }
                        #expect(terminated == true)
                    }
                }
            }
            Issue.record("a terminated connection ended as \(seen) rows")
        } catch let error as InputError {
            #expect(error.kind == .io)
        }
        #expect(seen < 20_000_000)
        // The closed connection is not reused: the next view gets a new one.
        let next = try backend.read { try $0.fetchOne(Int.self, sql: "SELECT pg_backend_pid()") }
        #expect(next != nil && next != pid)
    }
}

/// The values of a cursor's query, bound: every kind, and texts that would end a quoted literal, come back as bound.
@Suite(.serialized) struct PostgresCursorValueTests {
    @Test func everyValueComesBackAsItWasBound() throws {
        let uri = try PostgresCluster.shared().createDatabase(prefix: "literals")
        let backend = try PostgresBackend(location: try PostgresLocation(uri: uri, environment: [:]))
        let texts = ["", "it's", "$c$", "end$c", "$", "$$", "a$c1$b", "x'); DROP TABLE t; --", "?", "é \\ \\x00"]
        for text in texts {
            let row = try #require(try backend.read { db in
                try db.fetchRow(sql: "SELECT ?, ?, ?, ?, ? WHERE ? = ?", arguments: [text, Int64(-42), 0.1, [UInt8]([0, 255, 39]), nil, text, text])
            })
            #expect(row[0] as String == text)
            #expect(row[1] as Int64 == -42)
            #expect(row[2] as Double == 0.1)
            #expect(row[3] as [UInt8] == [0, 255, 39])
            #expect(row.isNull(4))
        }
        #expect(PostgresSQLConnection.isCursorQuery("  SELECT 1"))
        #expect(PostgresSQLConnection.isCursorQuery("WITH a AS (SELECT 1) SELECT * FROM a"))
        #expect(!PostgresSQLConnection.isCursorQuery("INSERT INTO t VALUES (1) RETURNING id"))
        #expect(!PostgresSQLConnection.isCursorQuery("WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved"))
    }
}
