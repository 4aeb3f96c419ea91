import Foundation
import GRDB

/// `SQLConnection` over a GRDB `Database` (SQLite), valid for the duration of the GRDB access that made it.
final class SQLiteConnection: SQLConnection {
    let database: Database
    var dialect: SQLDialect { .sqlite }

    init(_ database: Database) { self.database = database }

    /// With arguments, through GRDB's statement cache of the connection: ingest runs the same few statements for
    /// every report, compiled once per connection (what `cachedStatement` did before the store spoke `SQLConnection`).
    func execute(sql: String, arguments: SQLArguments) throws {
        if arguments.values.isEmpty {
            try database.execute(sql: sql)
        } else {
            try database.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        }
    }

    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        let cursor = try Row.fetchCursor(database, sql: sql, arguments: Self.arguments(arguments))
        var columns: [String]?
        while let row = try cursor.next() {
            if columns == nil { columns = Array(row.columnNames) }
            var values: [SQLValue] = []
            values.reserveCapacity(row.count)
            for value in row.databaseValues { values.append(Self.value(value)) }
            try body(SQLRow(columns: columns!, values: values))
        }
    }

    func makeStatement(sql: String) throws -> any SQLStatement {
        SQLiteStatement(statement: try database.makeStatement(sql: sql))
    }

    static func arguments(_ arguments: SQLArguments) -> StatementArguments {
        StatementArguments(arguments.values.map(databaseValue))
    }

    static func databaseValue(_ value: SQLValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .integer(let integer): integer.databaseValue
        case .real(let real): real.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let bytes): Data(bytes).databaseValue
        }
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let integer): .integer(integer)
        case .double(let real): .real(real)
        case .string(let text): .text(text)
        case .blob(let data): .blob([UInt8](data))
        }
    }
}

final class SQLiteStatement: SQLStatement {
    let statement: Statement

    init(statement: Statement) { self.statement = statement }

    func execute(arguments: SQLArguments) throws {
        try statement.execute(arguments: SQLiteConnection.arguments(arguments))
    }
}
