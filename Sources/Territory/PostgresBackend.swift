import Agent
import Foundation
import Logging
import NIS2
import Model
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The territory store in a PostgreSQL database (issue 20), through postgres-nio.
///
/// - Connections: a few kept open per process (`maximumIdle`), each used by one thread at a time; calls block the
///   calling thread on postgres-nio's futures, which complete on NIO's own event-loop threads (never on Swift
///   concurrency's pool, so a caller inside a task cannot starve them).
/// - Rows: a query's rows reach the caller a batch at a time from a server-side cursor (`forEachRow`), never the
///   whole result at once.
/// - `write`: `BEGIN`, then `pg_advisory_xact_lock(writerLock)` so that the writers of every process using the
///   database (two collectors, a `consolidate`) take turns exactly as SQLite's IMMEDIATE transactions do; the sums
///   kept at ingest (`entity_domain`, a host's latest report) are read and moved inside that lock. Statements whose
///   rows are not needed are pipelined and their errors collected before the next read or the commit.
/// - `read`: `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`: one snapshot for the whole view.
/// - Migrations: `migrate(_:)` under the session-level advisory lock `migrationLock`, so that two collectors
///   starting together apply each migration once; applied identifiers are kept in `cyberctl_migration`.
public final class PostgresBackend: StoreBackend, @unchecked Sendable {
    public var dialect: SQLDialect { .postgresql }
    public var displayName: String { location.displayName }
    public let location: PostgresLocation

    /// Advisory lock key taken by every write transaction ("cyberctl" in ASCII, as a 64-bit integer).
    static let writerLock: Int64 = 0x6379_6265_7263_746C
    /// Advisory lock key held while migrations run.
    static let migrationLock: Int64 = 0x6379_6265_7263_746D
    /// How many open connections a process keeps for reuse.
    static let maximumIdle = 4

    let configuration: PostgresConnection.Configuration
    let logger: Logger
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var nextID = 1

    /// Connects once (to fail early with a clear message) and keeps the connection for reuse.
    /// - Throws: `InputError(.io)` naming the database (without password) when it cannot be reached, refuses the
    ///   credentials, or the TLS requirements of `sslmode` cannot be met; `.usage` when `sslrootcert` cannot be read.
    public init(location: PostgresLocation) throws(InputError) {
        self.location = location
        var logger = Logger(label: "cyberctl.territory.postgresql")
        logger.logLevel = .critical
        self.logger = logger
        configuration = try Self.configuration(location)
        let connection = try connect()
        release(connection)
    }

    deinit {
        for connection in idle { try? connection.close().wait() }
    }

    static func configuration(_ location: PostgresLocation) throws(InputError) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if location.isUnixSocket {
            configuration = .init(unixSocketPath: location.socketPath, username: location.user, password: location.password, database: location.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            do {
                switch location.sslMode {
                case .disable:
                    tls = .disable
                case .allow, .prefer, .require:
                    var settings = TLSConfiguration.makeClientConfiguration()
                    if let root = location.sslRootCert {
                        // libpq: with a root certificate, `require` behaves as `verify-ca`.
                        settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(root))
                        settings.certificateVerification = location.sslMode == .require ? .noHostnameVerification : .none
                    } else {
                        settings.certificateVerification = .none
                    }
                    let context = try NIOSSLContext(configuration: settings)
                    tls = location.sslMode == .require ? .require(context) : .prefer(context)
                case .verifyCA, .verifyFull:
                    var settings = TLSConfiguration.makeClientConfiguration()
                    settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(location.sslRootCert ?? ""))
                    settings.certificateVerification = location.sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
                    tls = .require(try NIOSSLContext(configuration: settings))
                }
            } catch {
                throw InputError(
                    .usage, file: location.sslRootCert ?? location.displayName,
                    fr: "impossible de préparer TLS vers PostgreSQL (sslrootcert illisible ou invalide ?) : \(error)",
                    en: "cannot set up TLS to PostgreSQL (sslrootcert unreadable or invalid?): \(error)")
            }
            configuration = .init(host: location.host, port: location.port, username: location.user, password: location.password, database: location.database, tls: tls)
            if location.sslMode == .verifyFull { configuration.options.tlsServerName = location.host }
        }
        configuration.options.connectTimeout = .seconds(Int64(location.connectTimeout))
        configuration.options.additionalStartupParameters = [("application_name", location.applicationName)]
        return configuration
    }

    func connect() throws(InputError) -> PostgresConnection {
        let id: Int = lock.withLock {
            defer { nextID += 1 }
            return nextID
        }
        do {
            let connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id, logger: logger
            ).wait()
            return connection
        } catch {
            throw Self.storeError(error, location: location, reading: true)
        }
    }

    func acquire() throws(InputError) -> PostgresConnection {
        let reused: PostgresConnection? = lock.withLock { idle.popLast() }
        if let reused, !reused.isClosed { return reused }
        return try connect()
    }

    func release(_ connection: PostgresConnection) {
        let surplus: PostgresConnection? = lock.withLock {
            if connection.isClosed { return nil }
            if idle.count < Self.maximumIdle {
                idle.append(connection)
                return nil
            }
            return connection
        }
        if let surplus { try? surplus.close().wait() }
    }

    public func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        // READ COMMITTED whatever the server's default_transaction_isolation: each statement after the lock then
        // sees what the previous holders committed (a REPEATABLE READ snapshot would be taken by the lock statement
        // itself, before the wait, and ingest would miss a report another collector has just stored).
        try transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", lock: Self.writerLock, reading: false, body)
    }

    public func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", lock: nil, reading: true, body)
    }

    func transaction<T>(begin: String, lock advisory: Int64?, reading: Bool, _ body: (any SQLConnection) throws -> T) throws -> T {
        let connection = try acquire()
        let sql = PostgresSQLConnection(connection: connection, logger: logger)
        do {
            try sql.execute(sql: begin)
            sql.readsThroughCursors = reading
            if let advisory { try sql.execute(sql: "SELECT pg_advisory_xact_lock(\(advisory))") }
            let value = try body(sql)
            try sql.execute(sql: "COMMIT")
            try sql.flush()
            release(connection)
            return value
        } catch {
            // A failed transaction is rolled back; a connection in an unknown state is closed, not reused.
            do {
                try sql.discardPending()
                _ = try connection.answer(connection.query("ROLLBACK", logger: logger))
                release(connection)
            } catch {
                try? connection.close().wait()
            }
            // What the body throws on purpose (a refusal, a domain error) reaches the caller unchanged, as on SQLite;
            // only what the database or the connection said becomes an error naming the store.
            guard Self.isDatabaseError(error) else { throw error }
            throw Self.storeError(error, location: location, reading: reading)
        }
    }

    /// Whether `error` comes from PostgreSQL or the connection to it (postgres-nio, SwiftNIO, TLS).
    static func isDatabaseError(_ error: any Error) -> Bool {
        error is PSQLError || error is PostgresDecodingError || error is ChannelError || error is IOError || error is NIOSSLError
    }

    /// Applies `migrations` not yet recorded in `cyberctl_migration`, in order, each in its own transaction, under
    /// a session advisory lock held by one process at a time.
    /// - Throws: `InputError(.io)` naming the database when a migration fails (nothing of it is kept).
    public func migrate(_ migrations: [(id: String, body: (any SQLConnection) throws -> Void)]) throws(InputError) {
        let connection = try acquire()
        let sql = PostgresSQLConnection(connection: connection, logger: logger)
        do {
            try sql.execute(sql: "SELECT pg_advisory_lock(\(Self.migrationLock))")
            defer { try? sql.execute(sql: "SELECT pg_advisory_unlock(\(Self.migrationLock))") }
            try sql.execute(sql: "CREATE TABLE IF NOT EXISTS cyberctl_migration (id TEXT PRIMARY KEY NOT NULL, appliedAt BIGINT NOT NULL)")
            let applied = Set(try sql.fetchAll(String.self, sql: "SELECT id FROM cyberctl_migration"))
            for migration in migrations where !applied.contains(migration.id) {
                try sql.execute(sql: "BEGIN")
                sql.readsThroughCursors = true
                do {
                    try migration.body(sql)
                    try sql.execute(sql: "INSERT INTO cyberctl_migration (id, appliedAt) VALUES (?, ?)", arguments: [migration.id, Int64(Date().timeIntervalSince1970)])
                    try sql.execute(sql: "COMMIT")
                    try sql.flush()
                    sql.readsThroughCursors = false
                } catch {
                    try? sql.discardPending()
                    _ = try? connection.answer(connection.query("ROLLBACK", logger: logger))
                    throw error
                }
            }
            release(connection)
        } catch {
            try? connection.close().wait()
            if let error = error as? InputError { throw error }
            throw InputError(
                .io, file: location.displayName, fr: "impossible de préparer la base du territoire : \(Self.describe(error))",
                en: "cannot prepare the territory store: \(Self.describe(error))")
        }
    }

    /// The identifiers in `cyberctl_migration`, or nil when the table does not exist (a database cyberctl never
    /// prepared).
    public func appliedMigrations() throws -> Set<String>? {
        try read { db in
            guard try db.fetchOne(String.self, sql: "SELECT to_regclass('cyberctl_migration')::text") != nil else { return nil }
            return Set(try db.fetchAll(String.self, sql: "SELECT id FROM cyberctl_migration"))
        }
    }

    /// The server's own words for `error` (its message, detail and SQLSTATE), or postgres-nio's code; never the
    /// password (PSQLError's description is generic by design).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                var text = info[.message] ?? "\(error.code)"
                if let detail = info[.detail] { text += " (\(detail))" }
                if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
                return text
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }

    /// An `InputError(.io)` naming the database for any failure reaching or using it.
    static func storeError(_ error: any Error, location: PostgresLocation, reading: Bool) -> InputError {
        if let error = error as? InputError { return error }
        let reason = describe(error)
        let state = (error as? PSQLError)?.serverInfo?[.sqlState]
        let verb = reading ? "impossible de lire la base du territoire" : "impossible d'écrire la base du territoire"
        let verbEN = reading ? "cannot read the territory store" : "cannot write the territory store"
        let hint: LocalizedText
        switch state {
        case "28P01", "28000":
            hint = LocalizedText(fr: " ; vérifiez l'utilisateur et le mot de passe (URI, PGPASSWORD ou ~/.pgpass)", en: "; check the user and password (URI, PGPASSWORD or ~/.pgpass)")
        case "3D000":
            hint = LocalizedText(fr: " ; créez la base (createdb) ou corrigez son nom", en: "; create the database (createdb) or fix its name")
        case "53100":
            hint = LocalizedText(fr: " ; le disque du serveur est plein, rien de la transaction échouée n'a été gardé", en: "; the server's disk is full, nothing of the failed transaction was kept")
        case "42P01", "42703":
            hint = LocalizedText(fr: " ; pas une base cyberctl complète", en: "; not a complete cyberctl store")
        default:
            hint = LocalizedText(both: "")
        }
        return InputError(.io, file: location.displayName, fr: "\(verb) : \(reason)\(hint.fr)", en: "\(verbEN): \(reason)\(hint.en)")
    }
}

/// `SQLConnection` over one postgres-nio connection inside a transaction. `?` placeholders become `$1`, `$2`…
///
/// Round trips are what costs on PostgreSQL (SQLite runs in-process): statements whose rows are not needed are
/// pipelined (sent at once, their answers collected before the next read or the commit), and the rows of a plain
/// `INSERT … VALUES (…)` statement made with `makeStatement` are sent as multi-row inserts of up to
/// `PostgresSQLStatement.rowsPerInsert` rows. Anything else sent first sends the buffered rows, so statements reach
/// the server in the order they were run.
final class PostgresSQLConnection: SQLConnection {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgresql }
    /// Statements sent and not yet waited for (their rows are not needed).
    private var pending: [EventLoopFuture<PostgresQueryResult>] = []
    /// Statements holding rows not yet sent.
    private var buffering: [PostgresSQLStatement] = []
    /// Whether queries are read through cursors: in read transactions and migrations (set after their `BEGIN`;
    /// cursors exist only inside a transaction). Not in write transactions, whose queries are ingest's small lookups,
    /// where a cursor's two extra statements would cost the server for nothing.
    var readsThroughCursors = false {
        didSet { cursorPlansForAllRows = false }
    }
    /// Whether `cursor_tuple_fraction` was set for the current transaction.
    private var cursorPlansForAllRows = false
    /// Cursors declared on this connection, for their names.
    private var cursorCount = 0

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func execute(sql: String, arguments: SQLArguments) throws {
        if arguments.values.isEmpty && Self.statements(sql).count > 1 {
            for statement in Self.statements(sql) { try execute(sql: statement, arguments: []) }
            return
        }
        try sendBuffered()
        try send(numberedSQL: Self.cachedNumbered(sql), arguments.values)
    }

    /// Rows fetched per round trip from a query's cursor.
    static let rowsPerFetch = 4096

    /// Calls `body` with each row, in order, holding at most two batches of `rowsPerFetch` rows.
    ///
    /// In a read transaction or a migration, a `SELECT` (or `WITH … SELECT`, `VALUES`) runs as a server-side cursor, read `rowsPerFetch`
    /// rows at a time, the next batch asked for while `body` reads the current one: the server only produces what is
    /// fetched (backpressure), memory stays flat, and the first rows reach `body` while the server has not made the
    /// others. `DECLARE` and the first `FETCH` are pipelined (one round trip, as a plain query), the `CLOSE` sent
    /// without waiting. Anything else (`INSERT … RETURNING`, a write transaction's queries, a statement outside a
    /// transaction) runs as one query whose rows postgres-nio collects first.
    ///
    /// postgres-nio's own streaming (`PostgresRowSequence`) is not used: in postgres-nio 1.33.2 a server that closes
    /// the connection while that stream waits for the consumer (backpressure) stops the process
    /// (`RowStreamStateMachine.channelReadComplete`'s precondition); its collected result (`query(…).wait()`) copied
    /// its row array for every network read, so reading a 2-million-row result took 38 s and memory grew with it.
    /// - Throws: the server's or the connection's error, even after rows were given to `body` (a result cut short is
    ///   never passed off as complete; the transaction is then aborted); what `body` throws, unchanged, after the
    ///   cursor's `CLOSE` is sent (the connection serves the next statement of the same transaction).
    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        let numbered = Self.cachedNumbered(sql)
        guard readsThroughCursors, Self.isCursorQuery(numbered) else {
            try flush()
            try Self.rows(of: try connection.answer(connection.query(try Self.query(numberedSQL: numbered, arguments.values), logger: logger)), body)
            return
        }
        try sendBuffered()
        if !cursorPlansForAllRows {
            // The planner optimises a cursor for its first 10 % of rows by default; these are read to the end.
            pending.append(connection.query("SET LOCAL cursor_tuple_fraction = 1.0", logger: logger))
            cursorPlansForAllRows = true
        }
        cursorCount += 1
        let cursor = "cyberctl_rows_\(cursorCount)"
        // The values are bound, as for any query: PostgreSQL takes parameters in a `DECLARE` sent through the extended
        // protocol (psycopg's server-side cursors rely on it), so no value is ever written into the SQL text.
        pending.append(connection.query(try Self.query(numberedSQL: "DECLARE \(cursor) NO SCROLL CURSOR FOR " + numbered, arguments.values), logger: logger))
        let fetch = PostgresQuery(unsafeSQL: "FETCH FORWARD \(Self.rowsPerFetch) FROM \(cursor)")
        var next = connection.query(fetch, logger: logger)
        do {
            try waitPending()
        } catch {
            _ = try? connection.answer(next)
            throw error
        }
        var columns: [String]?
        var values: [SQLValue] = []
        while true {
            let batch = try connection.answer(next)
            let last = batch.rows.count < Self.rowsPerFetch
            if last {
                pending.append(connection.query(PostgresQuery(unsafeSQL: "CLOSE \(cursor)"), logger: logger))
            } else {
                next = connection.query(fetch, logger: logger)
            }
            do {
                for row in batch.rows {
                    if columns == nil { columns = row.map(\.columnName) }
                    values.removeAll(keepingCapacity: true)
                    for cell in row { values.append(try Self.value(cell)) }
                    try body(SQLRow(columns: columns!, values: values))
                }
            } catch {
                if !last {
                    // The batch asked for ahead is awaited with the pipelined statements (its error, if any, then
                    // surfaces at the next statement), and the cursor closed.
                    pending.append(next)
                    pending.append(connection.query(PostgresQuery(unsafeSQL: "CLOSE \(cursor)"), logger: logger))
                }
                throw error
            }
            if last { return }
        }
    }

    /// Whether the server runs `sql` through a cursor: a `SELECT`, `VALUES` or `WITH` query that changes nothing
    /// (`DECLARE … CURSOR` refuses `INSERT … RETURNING` and data-modifying `WITH`).
    static func isCursorQuery(_ sql: String) -> Bool {
        let text = sql.drop { $0.isWhitespace || $0 == "(" }.uppercased()
        guard text.hasPrefix("SELECT") || text.hasPrefix("WITH") || text.hasPrefix("VALUES") else { return false }
        let words = text.split { !($0.isLetter || $0 == "_") }
        return !words.contains { $0 == "INSERT" || $0 == "UPDATE" || $0 == "DELETE" || $0 == "MERGE" || $0 == "INTO" }
    }

    /// Calls `body` with each row of a collected result.
    static func rows(of result: PostgresQueryResult, _ body: (SQLRow) throws -> Void) throws {
        var columns: [String]?
        var values: [SQLValue] = []
        for row in result.rows {
            if columns == nil { columns = row.map(\.columnName) }
            values.removeAll(keepingCapacity: true)
            for cell in row { values.append(try value(cell)) }
            try body(SQLRow(columns: columns!, values: values))
        }
    }

    func makeStatement(sql: String) throws -> any SQLStatement { PostgresSQLStatement(connection: self, sql: sql) }

    /// Sends a numbered statement without waiting for its answer.
    func send(numberedSQL: String, _ values: [SQLValue]) throws {
        pending.append(connection.query(try Self.query(numberedSQL: numberedSQL, values), logger: logger))
        if pending.count >= 256 { try waitPending() }
    }

    /// Registers `statement` as holding rows to send before anything else.
    func buffer(_ statement: PostgresSQLStatement) {
        if !buffering.contains(where: { $0 === statement }) { buffering.append(statement) }
    }

    /// Sends every statement's buffered rows, in the order the statements first buffered.
    func sendBuffered() throws {
        guard !buffering.isEmpty else { return }
        let statements = buffering
        buffering = []
        for statement in statements { try statement.sendRows() }
    }

    /// Sends the buffered rows, then waits for every pipelined statement; throws the first error.
    func flush() throws {
        try sendBuffered()
        try waitPending()
    }

    private func waitPending() throws {
        let sent = pending
        pending = []
        var firstError: (any Error)?
        for future in sent {
            do { _ = try connection.answer(future) } catch { if firstError == nil { firstError = error } }
        }
        if let firstError { throw firstError }
    }

    /// Forgets the buffered rows and waits for the pipelined statements, ignoring their errors (before a rollback).
    func discardPending() throws {
        buffering = []
        let sent = pending
        pending = []
        for future in sent { _ = try? connection.answer(future) }
    }

    private static let numberedLock = NSLock()
    nonisolated(unsafe) private static var numberedCache: [String: String] = [:]

    /// `numbered(sql)`, remembered: the store runs a few dozen distinct statements many times.
    static func cachedNumbered(_ sql: String) -> String {
        if let known = numberedLock.withLock({ numberedCache[sql] }) { return known }
        let numbered = numbered(sql)
        numberedLock.withLock { if numberedCache.count < 4096 { numberedCache[sql] = numbered } }
        return numbered
    }

    static func query(_ sql: String, _ arguments: SQLArguments) throws -> PostgresQuery {
        try query(numberedSQL: numbered(sql), arguments.values)
    }

    static func query(numberedSQL: String, _ values: [SQLValue]) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let integer): bindings.append(integer)
            case .real(let real): bindings.append(real)
            case .text(let text): bindings.append(text)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return PostgresQuery(unsafeSQL: numberedSQL, binds: bindings)
    }

    /// `sql` with each `?` outside quotes and comments replaced by `$1`, `$2`, … in order.
    static func numbered(_ sql: String) -> String {
        guard sql.contains("?") else { return sql }
        let parts = pieces(sql, separatedBy: "?")
        var output = parts[0]
        for (index, part) in parts.dropFirst().enumerated() { output += "$\(index + 1)" + part }
        return output
    }

    /// The statements of a script, split at semicolons outside quotes and comments.
    static func statements(_ sql: String) -> [String] {
        let statements = pieces(sql, separatedBy: ";")
        return statements.filter { statement in
            statement.split(separator: "\n").contains { line in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                return !trimmed.isEmpty && !trimmed.hasPrefix("--")
            }
        }
    }

    /// `sql` cut at every `separator` that stands outside a quoted string or identifier (`'…'`, `"…"`) and outside
    /// a `--` comment; the separators themselves are dropped.
    static func pieces(_ sql: String, separatedBy separator: Character) -> [String] {
        var pieces: [String] = []
        var current = ""
        current.reserveCapacity(sql.utf8.count)
        var quote: Character?
        var lineComment = false
        var previous: Character?
        for character in sql {
            defer { previous = character }
            if lineComment {
                if character == "\n" { lineComment = false }
            } else if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "-" && previous == "-" {
                lineComment = true
            } else if character == separator {
                pieces.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        pieces.append(current)
        return pieces
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid:
            return .integer(try cell.decode(Int64.self))
        case .float4, .float8:
            return .real(try cell.decode(Double.self))
        case .numeric:
            let text = "\(try cell.decode(Decimal.self))"
            if let integer = Int64(text) { return .integer(integer) }
            return .real(Double(text) ?? .nan)
        case .bool:
            return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
        default:
            return .text(try cell.decode(String.self))
        }
    }
}

/// A PostgreSQL statement run many times. A plain `INSERT INTO t (…) VALUES (…)` (no `ON CONFLICT`, `RETURNING` or
/// `SELECT`) buffers its rows and sends them as one multi-row insert per `rowsPerInsert` rows (or at the next other
/// statement, read or commit); any other statement is numbered once and pipelined on each run.
final class PostgresSQLStatement: SQLStatement {
    /// Rows per multi-row insert (PostgreSQL takes at most 65,535 parameters per statement).
    static let rowsPerInsert = 256

    let connection: PostgresSQLConnection
    let numbered: String
    /// `INSERT INTO t (…) VALUES` and the row's template (`(?, ?, 1)`), for a statement that can be batched.
    let batch: (head: String, row: String, parameters: Int)?
    private var rows: [[SQLValue]] = []

    init(connection: PostgresSQLConnection, sql: String) {
        self.connection = connection
        numbered = PostgresSQLConnection.cachedNumbered(sql)
        batch = Self.batchable(sql)
    }

    func execute(arguments: SQLArguments) throws {
        guard let batch else {
            try connection.sendBuffered()
            try connection.send(numberedSQL: numbered, arguments.values)
            return
        }
        precondition(arguments.values.count == batch.parameters, "\(batch.parameters) parameters expected")
        rows.append(arguments.values)
        connection.buffer(self)
        if rows.count >= Self.rowsPerInsert { try sendRows() }
    }

    /// Sends the buffered rows as one insert.
    func sendRows() throws {
        guard let batch, !rows.isEmpty else { return }
        var sql = batch.head
        var number = 0
        var values: [SQLValue] = []
        values.reserveCapacity(rows.count * batch.parameters)
        for (index, row) in rows.enumerated() {
            if index > 0 { sql += ", " }
            for character in batch.row {
                if character == "?" {
                    number += 1
                    sql += "$\(number)"
                } else {
                    sql.append(character)
                }
            }
            values.append(contentsOf: row)
        }
        rows = []
        try connection.send(numberedSQL: sql, values)
    }

    /// The head and row template of a plain single-row `INSERT … VALUES (…)`, or nil.
    static func batchable(_ sql: String) -> (head: String, row: String, parameters: Int)? {
        let text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        let upper = text.uppercased()
        guard upper.hasPrefix("INSERT INTO"), !upper.contains("ON CONFLICT"), !upper.contains("RETURNING"), !upper.contains("SELECT"),
            !text.contains("'"), !text.contains("--"),
            let values = upper.range(of: "VALUES", options: .backwards)
        else { return nil }
        let offset = upper.distance(from: upper.startIndex, to: values.upperBound)
        let head = String(text.prefix(offset)) + " "
        let row = text.dropFirst(offset).trimmingCharacters(in: .whitespacesAndNewlines)
        guard row.hasPrefix("("), row.hasSuffix(")"), row.dropFirst().dropLast().allSatisfy({ $0 != "(" && $0 != ")" }) else { return nil }
        return (head, row, row.filter { $0 == "?" }.count)
    }
}

extension PostgresConnection {
    /// What `future` (a statement on this connection) gives, waiting for it; `ChannelError.ioOnClosedChannel` when the
    /// connection has closed and `future` is still pending a second later. postgres-nio (1.33.2) never completes the
    /// promise of a statement written after its connection closed (the server ended it between two statements of a
    /// transaction: `pg_terminate_backend`, a restart): `wait()` alone would wait forever.
    func answer<T>(_ future: EventLoopFuture<T>) throws -> T {
        let done = DispatchSemaphore(value: 0)
        future.whenComplete { _ in done.signal() }
        while done.wait(timeout: .now() + .milliseconds(500)) == .timedOut {
            if isClosed, done.wait(timeout: .now() + .seconds(1)) == .timedOut { throw ChannelError.ioOnClosedChannel }
        }
        return try future.wait()
    }
}
