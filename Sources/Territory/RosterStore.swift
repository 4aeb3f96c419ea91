import Agent
import Foundation

/// The declared roster in the store (migration `v4-roster`): one `roster` row (the grouping, the silence
/// threshold, where it was imported from) and one `roster_member` row per member, contacts as JSON.
/// Importing replaces the whole roster in one transaction; reports are never touched by it.
/// Migration `v5-roster-domains` adds each entity's domain names (`domains`, a JSON array of strings).
extension TerritoryStore {
    static func addRosterDomains(_ db: any SQLConnection) throws {
        try db.execute(sql: """
            ALTER TABLE roster ADD COLUMN domains TEXT NOT NULL DEFAULT '[]';
            ALTER TABLE roster_member ADD COLUMN domains TEXT NOT NULL DEFAULT '[]';
            """)
    }

    static func createRosterTables(_ db: any SQLConnection) throws {
        if db.dialect == .sqlite {
            try db.execute(sql: """
                CREATE TABLE roster (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    name TEXT NOT NULL, siren TEXT NOT NULL, insee TEXT, kind TEXT, population INTEGER, departement TEXT, region TEXT,
                    contacts TEXT NOT NULL,
                    silentAfterDays INTEGER NOT NULL,
                    sourcePath TEXT NOT NULL, sha256 TEXT NOT NULL, importedAt INTEGER NOT NULL
                );
                CREATE TABLE roster_member (
                    siren TEXT PRIMARY KEY NOT NULL,
                    ordinal INTEGER NOT NULL,
                    name TEXT NOT NULL, insee TEXT, kind TEXT, population INTEGER, departement TEXT, region TEXT,
                    contacts TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
            return
        }
        // One roster row, always id 1: a plain key, no identity.
        try db.execute(sql: """
            CREATE TABLE roster (
                id BIGINT PRIMARY KEY CHECK (id = 1),
                name TEXT NOT NULL, siren TEXT NOT NULL, insee TEXT, kind TEXT, population BIGINT, departement TEXT, region TEXT,
                contacts TEXT NOT NULL,
                silentAfterDays BIGINT NOT NULL,
                sourcePath TEXT NOT NULL, sha256 TEXT NOT NULL, importedAt BIGINT NOT NULL
            );
            CREATE TABLE roster_member (
                siren TEXT PRIMARY KEY NOT NULL,
                ordinal BIGINT NOT NULL,
                name TEXT NOT NULL, insee TEXT, kind TEXT, population BIGINT, departement TEXT, region TEXT,
                contacts TEXT NOT NULL
            );
            """)
    }

    /// Where the stored roster came from.
    public struct RosterImport: Codable, Sendable, Equatable {
        public var sourcePath: String
        public var sha256: String
        public var importedAt: Date
    }

    /// Replaces the stored roster with `roster` (read from `sourcePath`, whose bytes hash to `sha256`).
    public func importRoster(_ roster: Roster, sourcePath: String, sha256: String, now: Date = Date()) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM roster_member; DELETE FROM roster;")
            let t = roster.territory
            try db.execute(
                sql: """
                    INSERT INTO roster (id, name, siren, insee, kind, population, departement, region, contacts, domains, silentAfterDays, sourcePath, sha256, importedAt)
                    VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    t.name, t.siren, t.insee, t.kind, t.population, t.departement, t.region, try Self.json(t.contacts), try Self.json(t.domains), roster.silentAfterDays,
                    sourcePath, sha256, Int(now.timeIntervalSince1970),
                ])
            let statement = try db.makeStatement(sql: """
                INSERT INTO roster_member (siren, ordinal, name, insee, kind, population, departement, region, contacts, domains) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (index, member) in roster.members.enumerated() {
                try statement.execute(arguments: [
                    member.siren, index, member.name, member.insee, member.kind, member.population, member.departement, member.region,
                    try Self.json(member.contacts), try Self.json(member.domains),
                ])
            }
            // The trend's kept days sum the members: other members, other sums.
            try TrendDays.sumDays(db)
        }
    }

    /// The stored roster, nil when none was imported.
    public func roster() throws -> Roster? {
        try read { db in try Self.roster(db) }
    }

    /// SQL condition on `entity e`: the entity has a server, one `host` row, whether that server still has a latest report
    /// or had every report withdrawn after its signer's revocation (`withdrawRevokedReports` keeps the host, its
    /// `latestReportKey` NULL: a server without any trusted report, silent, judged on nothing). The one definition of
    /// "an entity with reports" that the views share: the status' rows (`memberInputs`), the members the fixes' gains are
    /// relative to (`FixBase`), the members a list counts as reporting (`coverage`), and the entities out of the roster's
    /// perimeter (`entitiesOutOfPerimeter`); an entity is stored only with a report of one of its hosts.
    static let hasServer = "EXISTS (SELECT 1 FROM host h WHERE h.siren = e.siren)"

    /// The entities with a server (`hasServer`) that the declared roster does not list (stored, not counted in the
    /// territory), as `territory status` marks them (`inPerimeter` false), ordered by SIREN: (SIREN, name of their
    /// newest report). Nil when no roster is declared (every entity is then a member). Reads the roster and one row
    /// per entity, not the status view.
    public func entitiesOutOfPerimeter() throws -> [(siren: String, name: String?)]? {
        try read { db in
            guard let roster = try Self.roster(db) else { return nil }
            let perimeter = roster.sirens
            var outside: [(siren: String, name: String?)] = []
            try db.forEachRow(sql: """
                SELECT e.siren, e.name FROM entity e
                WHERE \(Self.hasServer)
                ORDER BY e.siren\(db.dialect.byteOrder)
                """, arguments: []) { row in
                let siren: String = row[0]
                if !perimeter.contains(siren) { outside.append((siren, row[1])) }
            }
            return outside
        }
    }

    /// Where the stored roster came from, nil when none was imported.
    public func rosterImport() throws -> RosterImport? {
        try read { db in
            try db.fetchRow(sql: "SELECT sourcePath, sha256, importedAt FROM roster WHERE id = 1").map {
                RosterImport(sourcePath: $0[0], sha256: $0[1], importedAt: Date(timeIntervalSince1970: TimeInterval($0[2] as Int)))
            }
        }
    }

    /// - Throws: the backend's error, or `DecodingError` when a stored contacts or domains column is not the JSON written here.
    static func roster(_ db: any SQLConnection) throws -> Roster? {
        guard let row = try db.fetchRow(sql: "SELECT * FROM roster WHERE id = 1") else { return nil }
        func member(_ row: SQLRow) throws -> Roster.Member {
            Roster.Member(
                name: row["name"], siren: row["siren"], insee: row["insee"], kind: row["kind"], population: row["population"],
                departement: row["departement"], region: row["region"], contacts: try stored(row["contacts"]),
                domains: try stored(row["domains"]))
        }
        let members = try db.fetchRows(sql: "SELECT * FROM roster_member ORDER BY ordinal").map(member)
        return Roster(territory: try member(row), silentAfterDays: row["silentAfterDays"], members: members)
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A JSON column written by `json(_:)`, decoded. A column that does not decode throws: contacts read as "none"
    /// would make a member look unreachable (or reachable) for the wrong reason.
    static func stored<T: Decodable>(_ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
