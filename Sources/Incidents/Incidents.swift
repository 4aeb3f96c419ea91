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

/// The entity hit by an incident, as cyberctl uses it: the declared roster first, the fields it leaves empty
/// from the entity's newest report (`ResolvedIdentity`).
public struct EntityIdentity: Codable, Sendable, Equatable {
    public var siren: String
    public var name: String?
    public var insee: String?
    public var kind: String?
    /// Inhabitants, as the report or the roster declares them.
    public var population: Int?
    public var departement: String?
    public var region: String?
    /// Where the newest report contradicts the roster (the roster's value is the one above); empty when they agree.
    public var disagreements: [IdentityDisagreement]

    public init(
        siren: String, name: String? = nil, insee: String? = nil, kind: String? = nil, population: Int? = nil, departement: String? = nil,
        region: String? = nil, disagreements: [IdentityDisagreement] = []
    ) {
        self.siren = siren
        self.name = name
        self.insee = insee
        self.kind = kind
        self.population = population
        self.departement = departement
        self.region = region
        self.disagreements = disagreements
    }

    /// `resolved` for `siren`.
    public init(siren: String, _ resolved: ResolvedIdentity) {
        let entity = resolved.entity
        self.init(
            siren: siren, name: entity.name, insee: entity.insee, kind: entity.kind, population: entity.population, departement: entity.departement,
            region: entity.region, disagreements: resolved.disagreements)
    }

    /// The warning to show when the newest report contradicts the roster; nil when they agree.
    public func disagreementWarning(english: Bool) -> String? {
        disagreements.isEmpty ? nil : IdentityDisagreement.warning(disagreements, siren: siren, english: english)
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
    /// - Throws: `InputError(.missing)` for an unknown incident; `InputError(.usage)` when `at` is more than
    ///   `IncidentClock.futureTolerance` after `now` (a report logged as sent in the future would show its
    ///   deadline as met before anything was sent), or when a send (`stage`) is dated before the awareness.
    public func logIncident(_ id: Int64, text: String, stage: IncidentStage? = nil, at: Date = Date(), now: Date = Date()) throws {
        try IncidentClock.requireNotFuture(at, now: now, option: "--at")
        try write { db in
            try Self.requireIncident(db, id)
            if let stage, let aware = try Self.awareness(db, id), at < aware {
                throw InputError(
                    .usage,
                    fr: "--at \(IncidentClock.local(at)) : l'envoi « \(stage.title(english: false)) » serait antérieur à la prise de connaissance (\(IncidentClock.local(aware)))",
                    en: "--at \(IncidentClock.local(at)): sending \"\(stage.title(english: true))\" would precede the awareness (\(IncidentClock.local(aware)))")
            }
            try db.execute(sql: "INSERT INTO incident_log (incidentID, at, text, stage) VALUES (?, ?, ?, ?)",
                           arguments: [id, Int(at.timeIntervalSince1970), text, stage?.rawValue])
        }
    }

    /// Closes an incident (handled at `at`).
    /// - Throws: `InputError(.missing)` for an unknown incident, `InputError(.usage)` when already closed, when
    ///   `at` is more than `IncidentClock.futureTolerance` after `now` (a closing in the future would move the
    ///   final report's deadline and hide the progress report due meanwhile, Art. 23(4)(e)), or when `at` is
    ///   before the awareness.
    public func closeIncident(_ id: Int64, at: Date = Date(), now: Date = Date(), text: String? = nil) throws {
        try IncidentClock.requireNotFuture(at, now: now, option: "--at")
        try write { db in
            try Self.requireIncident(db, id)
            if let aware = try Self.awareness(db, id), at < aware {
                throw InputError(
                    .usage,
                    fr: "--at \(IncidentClock.local(at)) : la clôture serait antérieure à la prise de connaissance (\(IncidentClock.local(aware)))",
                    en: "--at \(IncidentClock.local(at)): the closing would precede the awareness (\(IncidentClock.local(aware)))")
            }
            if let closed = try db.fetchOne(Int.self, sql: "SELECT closedAt FROM incident WHERE id = ?", arguments: [id]) {
                let when = IncidentClock.local(Date(timeIntervalSince1970: TimeInterval(closed)))
                throw InputError(.usage, fr: "l'incident \(id) est déjà clos depuis le \(when)", en: "incident \(id) was already closed at \(when)")
            }
            try db.execute(sql: "UPDATE incident SET closedAt = ? WHERE id = ?", arguments: [Int(at.timeIntervalSince1970), id])
            try db.execute(sql: "INSERT INTO incident_log (incidentID, at, text) VALUES (?, ?, ?)",
                           arguments: [id, Int(at.timeIntervalSince1970), text ?? "Clôture : incident traité"])
        }
    }

    /// The incident's moment of awareness.
    static func awareness(_ db: any SQLConnection, _ id: Int64) throws -> Date? {
        try db.fetchOne(Int.self, sql: "SELECT awareAt FROM incident WHERE id = ?", arguments: [id]).map { Date(timeIntervalSince1970: TimeInterval($0)) }
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

    /// The entity as cyberctl uses it: the declared roster first, the fields it leaves empty from the newest
    /// stored report, with the fields on which that report contradicts the roster (`ResolvedIdentity`); nil when
    /// neither the roster nor a report knows it.
    public func entityIdentity(siren: String) throws -> EntityIdentity? {
        try resolvedIdentity(siren: siren).map { EntityIdentity(siren: siren, $0) }
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
