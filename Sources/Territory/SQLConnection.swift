import Foundation

/// The SQL dialect of a territory store's backend: the few places where SQLite and PostgreSQL differ
/// (schema types, migrations' DDL) ask it; every query the views and ingest run is written once, in the
/// subset both accept (`?` placeholders, `ON CONFLICT`, `RETURNING`, `COALESCE`, `CASE`, partial indexes).
public enum SQLDialect: String, Sendable {
    /// SQLite 3.35 or later (`RETURNING`), through GRDB.
    case sqlite
    /// PostgreSQL 13 or later, through postgres-nio.
    case postgresql
}

extension SQLDialect {
    /// What follows a text `ORDER BY` term so that it sorts by bytes (code points), as SQLite's default `BINARY`
    /// collation does, whatever the database's default collation: ` COLLATE "C"` on PostgreSQL (a database made on a
    /// French system sorts with ICU's or glibc's French rules: `Zeta` after `alpha`, `srv_a` before `srv1`), nothing
    /// on SQLite. `ORDER BY path\(db.dialect.byteOrder)`.
    public var byteOrder: String { self == .postgresql ? " COLLATE \"C\"" : "" }
}

/// One SQL value, as both backends store it: SQLite's storage classes; PostgreSQL's `bigint`,
/// `double precision`, `text`, `bytea` (a `boolean` is read as 0/1, a `numeric` as an integer when it is one).
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift value that binds to and reads from a `SQLValue`.
public protocol SQLValueConvertible: Sendable {
    /// The value to bind.
    var sqlValue: SQLValue { get }
    /// The Swift value read from `value`; nil when it is NULL or of another kind.
    static func fromSQL(_ value: SQLValue) -> Self?
}

extension Int64: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self) }
    public static func fromSQL(_ value: SQLValue) -> Int64? {
        switch value {
        case .integer(let integer): integer
        case .real(let real) where real.rounded() == real && abs(real) < 9.2e18: Int64(real)
        default: nil
        }
    }
}

extension Int: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static func fromSQL(_ value: SQLValue) -> Int? { Int64.fromSQL(value).map { Int($0) } }
}

extension Double: SQLValueConvertible {
    public var sqlValue: SQLValue { .real(self) }
    public static func fromSQL(_ value: SQLValue) -> Double? {
        switch value {
        case .integer(let integer): Double(integer)
        case .real(let real): real
        default: nil
        }
    }
}

extension Bool: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    public static func fromSQL(_ value: SQLValue) -> Bool? { Int64.fromSQL(value).map { $0 != 0 } }
}

extension String: SQLValueConvertible {
    public var sqlValue: SQLValue { .text(self) }
    public static func fromSQL(_ value: SQLValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }
}

extension Array: SQLValueConvertible where Element == UInt8 {
    public var sqlValue: SQLValue { .blob(self) }
    public static func fromSQL(_ value: SQLValue) -> [UInt8]? {
        if case .blob(let bytes) = value { return bytes }
        return nil
    }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
    public static func fromSQL(_ value: SQLValue) -> Wrapped?? {
        if case .null = value { return .some(nil) }
        return Wrapped.fromSQL(value).map { .some($0) }
    }
}

/// The values bound to a statement's `?` placeholders, in order: `[siren, 3, nil]`.
public struct SQLArguments: Sendable, ExpressibleByArrayLiteral {
    public var values: [SQLValue]

    public init(_ values: [SQLValue]) { self.values = values }
    public init(_ values: [any SQLValueConvertible]) { self.values = values.map(\.sqlValue) }
    public init(arrayLiteral elements: (any SQLValueConvertible)?...) { values = elements.map { $0?.sqlValue ?? .null } }

    public mutating func append(_ value: (any SQLValueConvertible)?) { values.append(value?.sqlValue ?? .null) }
    public mutating func append(contentsOf other: SQLArguments) { values.append(contentsOf: other.values) }
}

/// One row of a result: its values by position, and by column name (compared without case, since
/// PostgreSQL folds unquoted names to lower case).
///
/// Reading a NULL or a value of another kind as a non-optional type is a programming error (the schema
/// says NOT NULL): it stops the process, as GRDB's rows do. Read nullable columns as optionals.
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public var count: Int { values.count }

    /// The value at `index` as a `T`; an optional `T` (`row[0] as String?`) reads NULL as nil. One subscript, as
    /// GRDB 7's `Row` has: with a second one returning `T?`, `row[0] as String?` would match both (`Optional` is
    /// itself `SQLValueConvertible`) and not compile.
    public subscript<T: SQLValueConvertible>(_ index: Int) -> T { required(index) }
    /// The value of column `name` (without case), as `subscript(_: Int)`.
    public subscript<T: SQLValueConvertible>(_ name: String) -> T { required(index(of: name)) }

    func required<T: SQLValueConvertible>(_ index: Int) -> T {
        guard let value = T.fromSQL(values[index]) else {
            preconditionFailure("column \(index) (\(columns[index])): \(values[index]) is not a \(T.self)")
        }
        return value
    }

    func optional<T: SQLValueConvertible>(_ index: Int) -> T? {
        if case .null = values[index] { return nil }
        return required(index) as T
    }

    /// Whether the column at `index` is NULL.
    public func isNull(_ index: Int) -> Bool { values[index] == .null }

    func index(of name: String) -> Int {
        if let index = columns.firstIndex(of: name) { return index }
        guard let index = columns.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
            preconditionFailure("no column \(name) in \(columns)")
        }
        return index
    }
}

/// A statement compiled once and run many times (ingest's inserts).
public protocol SQLStatement: AnyObject {
    /// Runs the statement with `arguments` bound, discarding any rows.
    func execute(arguments: SQLArguments) throws
}

/// A connection to a territory store, inside a transaction the store opened (`TerritoryStore.read`/`write`).
/// Placeholders are `?`, whatever the backend.
///
/// Errors are the backend's (GRDB's `DatabaseError`, postgres-nio's `PSQLError`); the store turns those that
/// say the store itself is at fault into an `InputError` naming it.
public protocol SQLConnection: AnyObject {
    /// Which backend runs the SQL.
    var dialect: SQLDialect { get }
    /// Runs one statement (or, with no arguments, several separated by semicolons).
    func execute(sql: String, arguments: SQLArguments) throws
    /// Runs a query and calls `body` with each row, in order, without holding them all.
    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws
    /// Compiles `sql` for repeated runs.
    func makeStatement(sql: String) throws -> any SQLStatement
}

extension SQLConnection {
    public func execute(sql: String) throws { try execute(sql: sql, arguments: []) }

    /// Every row of a query.
    public func fetchRows(sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try forEachRow(sql: sql, arguments: arguments) { rows.append($0) }
        return rows
    }

    /// The first row of a query, if any.
    public func fetchRow(sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        var first: SQLRow?
        try forEachRow(sql: sql, arguments: arguments) { row in if first == nil { first = row } }
        return first
    }

    /// The first column of the first row; nil when there is no row or it is NULL.
    public func fetchOne<T: SQLValueConvertible>(_ type: T.Type, sql: String, arguments: SQLArguments = []) throws -> T? {
        guard let row = try fetchRow(sql: sql, arguments: arguments), !row.isNull(0) else { return nil }
        return row.required(0) as T
    }

    /// The first column of every row (NULLs skipped).
    public func fetchAll<T: SQLValueConvertible>(_ type: T.Type, sql: String, arguments: SQLArguments = []) throws -> [T] {
        var values: [T] = []
        try forEachRow(sql: sql, arguments: arguments) { row in
            if !row.isNull(0) { values.append(row.required(0) as T) }
        }
        return values
    }
}

/// Where a territory store lives and how it is reached: SQLite through GRDB (`SQLiteBackend`), or PostgreSQL
/// through postgres-nio (`PostgresBackend`). `TerritoryStore` holds one and never names the engine.
///
/// `write` runs `body` in one transaction that excludes every other writer of the store (SQLite's IMMEDIATE
/// transaction; on PostgreSQL a transaction-level advisory lock), committed when `body` returns and rolled back
/// when it throws. `read` runs `body` on a consistent snapshot.
public protocol StoreBackend: Sendable {
    /// Which engine.
    var dialect: SQLDialect { get }
    /// The store's location for messages: a path, or a `postgresql://` URL without its password.
    var displayName: String { get }
    /// Runs `body` in one exclusive write transaction.
    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Runs `body` on a read-only snapshot.
    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T
}
