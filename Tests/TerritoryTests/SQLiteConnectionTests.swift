import Foundation
import GRDB
import Testing
@testable import Territory

/// `SQLiteConnection` compiles a writer's queries once (GRDB's statement cache). The same query text run again
/// inside the body of a `forEachRow` over it must not reset the enclosing loop: every row is still read, once.
@Suite("SQLite connection: cached statements")
struct SQLiteConnectionTests {
    static func queue() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER NOT NULL)")
            for n in 1...5 { try db.execute(sql: "INSERT INTO t (n) VALUES (?)", arguments: [n]) }
        }
        return queue
    }

    @Test("The same query inside its own forEachRow reads every outer row once", arguments: [true, false])
    func nestedSameQuery(cachesQueries: Bool) throws {
        let sql = "SELECT n FROM t WHERE n >= ? ORDER BY n"
        var outer: [Int] = []
        var inner: [Int] = []
        try Self.queue().write { db in
            let connection = SQLiteConnection(db, cachesQueries: cachesQueries)
            try connection.forEachRow(sql: sql, arguments: [1]) { row in
                outer.append(row[0])
                try connection.forEachRow(sql: sql, arguments: [4]) { inner.append($0[0]) }
            }
        }
        #expect(outer == [1, 2, 3, 4, 5])
        #expect(inner == Array(repeating: [4, 5], count: 5).flatMap { $0 })
    }

    @Test("A statement run for its effect inside a forEachRow over the same text leaves the loop whole")
    func nestedExecute() throws {
        let sql = "SELECT n FROM t WHERE n >= ? ORDER BY n"
        var seen: [Int] = []
        try Self.queue().write { db in
            let connection = SQLiteConnection(db, cachesQueries: true)
            try connection.forEachRow(sql: sql, arguments: [1]) { row in
                seen.append(row[0])
                try connection.execute(sql: sql, arguments: [3])
                try connection.makeStatement(sql: sql).execute(arguments: [4])
            }
        }
        #expect(seen == [1, 2, 3, 4, 5])
    }
}
