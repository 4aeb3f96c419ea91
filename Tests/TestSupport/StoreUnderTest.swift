import Foundation

/// Which engine the territory store suites run on: SQLite by default, PostgreSQL when the environment says
/// `CYBERCTL_TEST_STORE=postgresql` (a fresh database per fixture on the shared loopback `PostgresCluster`).
///
/// TestSupport cannot import Territory: this returns the store's location string (a file path or a
/// `postgresql://` URI), which `TerritoryStore(location:)` and `cyberctl … --db` both take.
///
/// Tests about SQLite itself (file modes, WAL, read-only media, `integrity_check`, the sqlite3 CLI, the v8
/// fixture store) ask for `.sqlite` explicitly and say so in their doc comment; they run on SQLite in both passes.
public enum StoreUnderTest: String, Sendable, CaseIterable {
    case sqlite
    case postgresql

    /// The engine `CYBERCTL_TEST_STORE` names (`sqlite` when unset or empty).
    /// A value naming neither engine stops the run: a misspelt switch must not quietly test SQLite twice.
    public static var current: StoreUnderTest {
        let value = ProcessInfo.processInfo.environment["CYBERCTL_TEST_STORE"] ?? ""
        if value.isEmpty { return .sqlite }
        guard let kind = StoreUnderTest(rawValue: value.lowercased()) else {
            fatalError("CYBERCTL_TEST_STORE=\(value): expected sqlite or postgresql")
        }
        return kind
    }

    /// A fresh store location: `sqlitePath` itself for SQLite (the file is created on first open); for
    /// PostgreSQL the URI of a new empty database (C collation, UTF-8) on the shared test cluster.
    /// - Throws: `TestSupportError` when the cluster cannot be started or the database created.
    public func newLocation(sqlitePath: String) throws -> String {
        switch self {
        case .sqlite: sqlitePath
        case .postgresql: try PostgresCluster.shared().createDatabase(prefix: "suite")
        }
    }

    /// A location that holds no store yet: a missing file for SQLite; for PostgreSQL a new empty database, which
    /// cyberctl refuses to read as it refuses a missing file (not a territory store: exit 66).
    public func absentLocation(sqlitePath: String) throws -> String {
        try newLocation(sqlitePath: sqlitePath)
    }
}
