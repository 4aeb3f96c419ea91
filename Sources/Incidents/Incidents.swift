import Agent
import Checks
import Foundation
import Model
import Territory

/// Whether an incident is "significant" in the sense of NIS 2 Art. 23(3).
public enum Significance: String, Codable, Sendable, CaseIterable {
    case yes, no, unknown
}

/// An incident followed in the territory store.
public struct Incident: Codable, Sendable, Equatable {
    public var id: Int64
    public var title: String
    /// SIREN of the entity hit, when known.
    public var siren: String?
    /// When the entity became aware of the incident: every legal clock runs from here.
    public var awareAt: Date
    public var personalData: Bool
    public var significant: Significance
    public var hosts: [String]
    public var openedAt: Date
    /// When the incident was handled (closed); nil while ongoing.
    public var closedAt: Date?
    public var log: [LogEntry]

    public struct LogEntry: Codable, Sendable, Equatable {
        public var at: Date
        public var text: String
        /// Set when the entry records that this stage's report was sent.
        public var stage: IncidentStage?
    }

    /// When each stage's report was sent (earliest log entry of that stage).
    public var submissions: [IncidentStage: Date] {
        var sent: [IncidentStage: Date] = [:]
        for entry in log { if let stage = entry.stage, sent[stage].map({ entry.at < $0 }) ?? true { sent[stage] = entry.at } }
        return sent
    }

    public var isOpen: Bool { closedAt == nil }
}

/// What `incident open` records.
public struct NewIncident: Sendable {
    public var title: String
    public var siren: String?
    public var awareAt: Date
    public var personalData: Bool
    public var significant: Significance
    public var hosts: [String]

    public init(title: String, siren: String? = nil, awareAt: Date, personalData: Bool = false, significant: Significance = .unknown, hosts: [String] = []) {
        self.title = title
        self.siren = siren
        self.awareAt = awareAt
        self.personalData = personalData
        self.significant = significant
        self.hosts = hosts
    }
}

/// The entity as the store knows it (from its newest report).
public struct EntityIdentity: Codable, Sendable, Equatable {
    public var siren: String
    public var name: String?
    public var insee: String?
    public var kind: String?
    /// Inhabitants, as the report or the roster declares them.
    public var population: Int?
    public var departement: String?
    public var region: String?

    public init(
        siren: String, name: String? = nil, insee: String? = nil, kind: String? = nil, population: Int? = nil, departement: String? = nil,
        region: String? = nil
    ) {
        self.siren = siren
        self.name = name
        self.insee = insee
        self.kind = kind
        self.population = population
        self.departement = departement
        self.region = region
    }
}

/// A host's latest findings, for the drafts.
public struct HostEvidence: Codable, Sendable {
    public var hostname: String
    /// Generation time of the host's latest report; nil when the store has none.
    public var latestReport: String?
    public var score: Int?
    public var findings: [StoredResult]
}

extension TerritoryStore {
    /// Records a new incident (with an "opened" log entry) and returns its id.
    public func openIncident(_ new: NewIncident, now: Date = Date()) throws -> Int64 {
        try write { db in
            guard let id = try db.fetchOne(
                Int64.self, sql: "INSERT INTO incident (title, siren, awareAt, personalData, significant, openedAt) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                arguments: [new.title, new.siren, Int(new.awareAt.timeIntervalSince1970), new.personalData, new.significant.rawValue, Int(now.timeIntervalSince1970)])
            else { throw IncidentStoreError("no id returned for the new incident") }
            for host in Set(new.hosts) {
                try db.execute(sql: "INSERT INTO incident_host (incidentID, hostname) VALUES (?, ?)", arguments: [id, host])
            }
            try db.execute(sql: "INSERT INTO incident_log (incidentID, at, text) VALUES (?, ?, ?)",
                           arguments: [id, Int(now.timeIntervalSince1970), "Ouverture du suivi : \(new.title)"])
            return id
        }
    }

    /// Adds a log entry; with `stage`, the entry records that this stage's report was sent at `at`.
    /// - Throws: `InputError(.missing)` for an unknown incident.
    public func logIncident(_ id: Int64, text: String, stage: IncidentStage? = nil, at: Date = Date()) throws {
        try write { db in
            try Self.requireIncident(db, id)
            try db.execute(sql: "INSERT INTO incident_log (incidentID, at, text, stage) VALUES (?, ?, ?, ?)",
                           arguments: [id, Int(at.timeIntervalSince1970), text, stage?.rawValue])
        }
    }

    /// Closes an incident (handled at `at`).
    /// - Throws: `InputError(.missing)` for an unknown incident, `InputError(.usage)` when already closed.
    public func closeIncident(_ id: Int64, at: Date = Date(), text: String? = nil) throws {
        try write { db in
            try Self.requireIncident(db, id)
            if let closed = try db.fetchOne(Int.self, sql: "SELECT closedAt FROM incident WHERE id = ?", arguments: [id]) {
                let when = IncidentClock.local(Date(timeIntervalSince1970: TimeInterval(closed)))
                throw InputError(.usage, fr: "l'incident \(id) est déjà clos depuis le \(when)", en: "incident \(id) was already closed at \(when)")
            }
            try db.execute(sql: "UPDATE incident SET closedAt = ? WHERE id = ?", arguments: [Int(at.timeIntervalSince1970), id])
            try db.execute(sql: "INSERT INTO incident_log (incidentID, at, text) VALUES (?, ?, ?)",
                           arguments: [id, Int(at.timeIntervalSince1970), text ?? "Clôture : incident traité"])
        }
    }

    static func requireIncident(_ db: any SQLConnection, _ id: Int64) throws {
        guard try db.fetchOne(Int.self, sql: "SELECT 1 FROM incident WHERE id = ?", arguments: [id]) != nil else {
            throw InputError(
                .missing, fr: "aucun incident \(id) dans la base (voir `cyberctl incident list`)", en: "no incident \(id) in the store (see `cyberctl incident list`)")
        }
    }

    /// One incident with its hosts and log.
    public func incident(_ id: Int64) throws -> Incident {
        try read { db in
            try Self.requireIncident(db, id)
            return try Self.incidents(db, where: "WHERE id = ?", [id]).first!
        }
    }

    /// Every incident (only the open ones with `openOnly`), newest awareness first.
    public func incidents(openOnly: Bool = false) throws -> [Incident] {
        try read { db in try Self.incidents(db, where: openOnly ? "WHERE closedAt IS NULL" : "", []) }
    }

    static func incidents(_ db: any SQLConnection, where clause: String, _ arguments: SQLArguments) throws -> [Incident] {
        func date(_ seconds: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
        return try db.fetchRows(sql: "SELECT * FROM incident \(clause) ORDER BY awareAt DESC, id DESC", arguments: arguments).map { row in
            let id: Int64 = row["id"]
            let hosts = try db.fetchAll(String.self, sql: "SELECT hostname FROM incident_host WHERE incidentID = ? ORDER BY hostname\(db.dialect.byteOrder)", arguments: [id])
            let log = try db.fetchRows(sql: "SELECT at, text, stage FROM incident_log WHERE incidentID = ? ORDER BY at, id", arguments: [id]).map {
                Incident.LogEntry(at: date($0["at"]), text: $0["text"], stage: ($0["stage"] as String?).flatMap(IncidentStage.init(rawValue:)))
            }
            return Incident(
                id: id, title: row["title"], siren: row["siren"], awareAt: date(row["awareAt"]), personalData: row["personalData"],
                significant: Significance(rawValue: row["significant"]) ?? .unknown, hosts: hosts, openedAt: date(row["openedAt"]),
                closedAt: (row["closedAt"] as Int?).map(date), log: log)
        }
    }

    /// The entity as its newest stored report states it; nil when the store has no report of it.
    public func entityIdentity(siren: String) throws -> EntityIdentity? {
        try read { db in
            try db.fetchRow(sql: "SELECT * FROM entity WHERE siren = ?", arguments: [siren]).map {
                EntityIdentity(
                    siren: siren, name: $0["name"], insee: $0["insee"], kind: $0["kind"], population: $0["population"],
                    departement: $0["departement"], region: $0["region"])
            }
        }
    }

    /// Whether the store has a report of `hostname`.
    public func knowsHost(_ hostname: String) throws -> Bool {
        try read { db in try db.fetchOne(Int.self, sql: "SELECT 1 FROM host WHERE lower(hostname) = lower(?)", arguments: [hostname]) != nil }
    }
}

extension TerritoryViews {
    /// Each host's latest report and its warn/fail findings (worst first, at most `limit`), through the
    /// `host` view. A host the store has no report of gets an entry without findings.
    public func evidence(hosts: [String], siren: String?, limit: Int = 10) throws -> [HostEvidence] {
        try hosts.map { (hostname: String) -> HostEvidence in
            let details: [DetailView]
            do { details = try host(hostname) } catch let error as InputError where error.kind == .missing {
                return HostEvidence(hostname: hostname, latestReport: nil, score: nil, findings: [])
            }
            let detail = details.first { $0.siren == siren } ?? details[0]
            return HostEvidence(
                hostname: hostname, latestReport: detail.reports.first?.generatedAt, score: detail.score.score,
                findings: Array(detail.results.filter { $0.status == .fail || $0.status == .warn }.prefix(limit)))
        }
    }
}

/// The store did not hand back what it had just written (a bug, or a store changed by hand under the transaction).
struct IncidentStoreError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
