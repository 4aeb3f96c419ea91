import Foundation
import GRDB
import GRDBSQLite

/// `SQLConnection` over a GRDB `Database` (SQLite), valid for the duration of the GRDB access that made it.
///
/// GRDB opens the database, runs the transactions, caches the compiled statements and reports the errors;
/// binding the values and stepping through the rows go straight through SQLite's C interface on GRDB's
/// statements. Going through GRDB's `StatementArguments` and `Row` cost about half of the store's write time at
/// ingest (a generic conversion per value, a closure per binding, a `Row` per row; profiled with `perf`,
/// docs/benchmarks.md), for values that are already SQLite's five storage classes (`SQLValue`).
final class SQLiteConnection: SQLConnection {
    let database: Database
    /// Whether queries are compiled once per connection too (GRDB's statement cache), not only statements run for
    /// their effect: true for writers, whose queries are a fixed set run for every report at ingest; false for
    /// readers, whose view queries are built with their filters and would fill the cache with one-off texts.
    let cachesQueries: Bool
    var dialect: SQLDialect { .sqlite }

    init(_ database: Database, cachesQueries: Bool = false) {
        self.database = database
        self.cachesQueries = cachesQueries
    }

    /// With arguments, through GRDB's statement cache of the connection: ingest runs the same few statements for
    /// every report, compiled once per connection.
    func execute(sql: String, arguments: SQLArguments) throws {
        if arguments.values.isEmpty {
            try database.execute(sql: sql)
        } else {
            try Self.run(try cachedStatement(sql: sql), database: database, arguments: arguments) { _ in }
        }
    }

    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        let statement = cachesQueries ? try cachedStatement(sql: sql) : try database.makeStatement(sql: sql)
        let handle = statement.sqliteStatement
        let count = sqlite3_column_count(handle)
        let columns = (0..<count).map { String(cString: sqlite3_column_name(handle, $0)) }
        try Self.run(statement, database: database, arguments: arguments) { handle in
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for index in 0..<count { values.append(Self.column(handle, index)) }
            try body(SQLRow(columns: columns, values: values))
        }
    }

    /// Compiled once per connection (GRDB's statement cache): ingest asks for the same statements for each report.
    func makeStatement(sql: String) throws -> any SQLStatement {
        SQLiteStatement(statement: try cachedStatement(sql: sql), database: database)
    }

    /// GRDB's cached statement for `sql`, unless that statement is still stepping through the rows of an enclosing
    /// `forEachRow` on this connection (the same text run again inside its body): running it would reset the
    /// enclosing loop's cursor, which would then start again from its first row or stop early without an error.
    /// A statement of its own is compiled for that inner use instead.
    func cachedStatement(sql: String) throws -> Statement {
        let cached = try database.cachedStatement(sql: sql)
        return sqlite3_stmt_busy(cached.sqliteStatement) != 0 ? try database.makeStatement(sql: sql) : cached
    }

    /// Binds `arguments` to `statement` and steps it to the end, calling `row` for each row.
    /// - Throws: GRDB's `DatabaseError` (the extended result code, SQLite's message, the SQL) when a value count does
    ///   not match the placeholders or a step fails; the statement is reset either way.
    static func run(
        _ statement: Statement, database: Database, arguments: SQLArguments, row: (OpaquePointer) throws -> Void
    ) throws {
        let handle = statement.sqliteStatement
        let connection = database.sqliteConnection
        guard sqlite3_bind_parameter_count(handle) == Int32(arguments.values.count) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "wrong number of statement arguments: \(arguments.values.count) for \(sqlite3_bind_parameter_count(handle)) placeholders",
                sql: statement.sql)
        }
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        for (offset, value) in arguments.values.enumerated() {
            let code = bind(value, to: handle, at: Int32(offset + 1))
            guard code == SQLITE_OK else { throw error(code, connection, statement) }
        }
        while true {
            let code = sqlite3_step(handle)
            switch code {
            case SQLITE_ROW: try row(handle)
            case SQLITE_DONE: return
            default: throw error(code, connection, statement)
            }
        }
    }

    static func error(_ code: Int32, _ connection: OpaquePointer?, _ statement: Statement) -> DatabaseError {
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: statement.sql)
    }

    /// SQLite copies text and blobs at binding (`SQLITE_TRANSIENT`).
    static func bind(_ value: SQLValue, to handle: OpaquePointer, at index: Int32) -> Int32 {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        switch value {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .integer(let integer):
            return sqlite3_bind_int64(handle, index, integer)
        case .real(let real):
            return sqlite3_bind_double(handle, index, real)
        case .text(let text):
            var text = text
            return text.withUTF8 { bytes in
                // A pointer is required even for the empty text (a NULL pointer binds NULL).
                guard let base = bytes.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, transient) }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(handle, index, $0, Int32(bytes.count), transient)
                }
            }
        case .blob(let bytes):
            return bytes.withUnsafeBytes { buffer in
                // An empty blob is a zero-length blob, not NULL.
                guard let base = buffer.baseAddress else { return sqlite3_bind_zeroblob(handle, index, 0) }
                return sqlite3_bind_blob(handle, index, base, Int32(buffer.count), transient)
            }
        }
    }

    /// The value of column `index` of the current row, in its SQLite storage class.
    static func column(_ handle: OpaquePointer, _ index: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let blob = sqlite3_column_blob(handle, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        default:
            return .null
        }
    }
}

final class SQLiteStatement: SQLStatement {
    let statement: Statement
    let database: Database

    init(statement: Statement, database: Database) {
        self.statement = statement
        self.database = database
    }

    func execute(arguments: SQLArguments) throws {
        try SQLiteConnection.run(statement, database: database, arguments: arguments) { _ in }
    }
}
