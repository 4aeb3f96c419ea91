import Foundation
import TestSupport
import Testing
@testable import Territory

/// The writers' transaction is READ COMMITTED whatever the database's default: under a REPEATABLE READ default the
/// snapshot would be taken by the advisory-lock statement itself, before the wait, and a writer would not see what
/// the previous holder committed (ingest would miss a report another collector has just stored).
@Suite(.serialized) struct PostgresWriterIsolationTests {
    @Test("Writers of two backends see each other's commits under a REPEATABLE READ database default")
    func writersSeeCommitsWhateverTheDefaultIsolation() throws {
        let cluster = try PostgresCluster.shared()
        let uri = try cluster.createDatabase(prefix: "isolation")
        let name = String(uri.split(separator: "/").last!.split(separator: "?").first!)
        try cluster.psql("ALTER DATABASE \"\(name)\" SET default_transaction_isolation = 'repeatable read'")
        let first = try PostgresBackend(location: try PostgresLocation(uri: uri, environment: [:]))
        let second = try PostgresBackend(location: try PostgresLocation(uri: uri, environment: [:]))
        #expect(try first.read { try $0.fetchOne(String.self, sql: "SHOW default_transaction_isolation") } == "repeatable read")
        try first.write { db in
            try db.execute(sql: "CREATE TABLE counter (n BIGINT NOT NULL)")
            try db.execute(sql: "INSERT INTO counter VALUES (0)")
        }
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let backend = index == 0 ? first : second
            for _ in 0..<100 {
                do {
                    try backend.write { db in
                        let n = try db.fetchOne(Int.self, sql: "SELECT n FROM counter") ?? 0
                        try db.execute(sql: "UPDATE counter SET n = ?", arguments: [n + 1])
                    }
                } catch {
                    failures.add()
                }
            }
        }
        #expect(failures.value == 0)
        #expect(try first.read { try $0.fetchOne(Int.self, sql: "SELECT n FROM counter") } == 200)
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }
}
