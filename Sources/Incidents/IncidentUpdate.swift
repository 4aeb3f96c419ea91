import Agent
import Foundation
import Model
import Territory

/// Corrections to an incident after it was opened (`cyberctl incident update`). A nil field is left as it is.
public struct IncidentChanges: Sendable, Equatable {
    public var title: String?
    /// New SIREN of the entity hit (already normalised and checked by the caller).
    public var siren: String?
    /// New moment of awareness: every legal clock runs from here, so the deadlines move with it.
    public var awareAt: Date?
    public var personalData: Bool?
    public var significant: Significance?
    /// Hosts to add to / remove from the incident (names as in the reports).
    public var addHosts: [String]
    public var removeHosts: [String]

    public init(
        title: String? = nil, siren: String? = nil, awareAt: Date? = nil, personalData: Bool? = nil, significant: Significance? = nil,
        addHosts: [String] = [], removeHosts: [String] = []
    ) {
        self.title = title
        self.siren = siren
        self.awareAt = awareAt
        self.personalData = personalData
        self.significant = significant
        self.addHosts = addHosts
        self.removeHosts = removeHosts
    }

    /// True when no change is asked.
    public var isEmpty: Bool {
        title == nil && siren == nil && awareAt == nil && personalData == nil && significant == nil && addHosts.isEmpty && removeHosts.isEmpty
    }
}

/// One field an update changed. `before` and `after` are neutral values: `yes`/`no`/`unknown` for the flags,
/// comma-separated names for the hosts (empty for none), Europe/Paris local time for the awareness.
public struct IncidentChange: Sendable, Equatable, Codable {
    /// `title`, `siren`, `awareAt`, `personalData`, `significant`, `hosts`.
    public var field: String
    public var before: String
    public var after: String

    /// "Significatif (art. 23(3)) : à déterminer → oui" (the form kept in the incident's log, which is French:
    /// it is the record the declarations are written from) or its English form.
    public func text(english: Bool) -> String {
        "\(label(english: english))\(english ? ":" : " :") \(value(before, english: english)) → \(value(after, english: english))"
    }

    func label(english: Bool) -> String {
        switch field {
        case "title": english ? "Title" : "Intitulé"
        case "siren": english ? "Entity (SIREN)" : "Entité (SIREN)"
        case "awareAt": english ? "Awareness (deadlines recomputed)" : "Prise de connaissance (les échéances sont recalculées)"
        case "personalData": english ? "Personal data" : "Données personnelles"
        case "significant": english ? "Significant (Art. 23(3))" : "Significatif (art. 23(3))"
        default: english ? "Hosts" : "Hôtes"
        }
    }

    func value(_ raw: String, english: Bool) -> String {
        switch (field, raw) {
        case ("personalData", "yes"), ("significant", "yes"): english ? "yes" : "oui"
        case ("personalData", "no"), ("significant", "no"): english ? "no" : "non"
        case ("significant", "unknown"): english ? "to be determined" : "à déterminer"
        case (_, ""): english ? "none" : "aucun"
        default: raw
        }
    }
}

extension TerritoryStore {
    /// Applies `changes` to incident `id` in one transaction and logs each field that really changed as its own
    /// entry ("Correction — Significatif (art. 23(3)) : à déterminer → oui", plus `reason` when given), at `at`.
    /// Asking for a value the incident already has changes and logs nothing for that field.
    ///
    /// - Returns: the fields changed, in the order logged (empty when nothing differed).
    /// - Throws: `InputError(.missing)` for an unknown incident; `InputError(.usage)` when a host to remove is
    ///   not one of the incident's, or when a new `awareAt` would come after the closing or a logged send.
    @discardableResult
    public func updateIncident(_ id: Int64, _ changes: IncidentChanges, reason: String? = nil, at: Date = Date()) throws -> [IncidentChange] {
        try write { db in
            try Self.requireIncident(db, id)
            let current = try Self.incidents(db, where: "WHERE id = ?", [id])[0]
            var applied: [IncidentChange] = []
            func record(_ field: String, _ before: String, _ after: String, column: String, value: (any SQLValueConvertible)?) throws {
                guard before != after else { return }
                try db.execute(sql: "UPDATE incident SET \(column) = ? WHERE id = ?", arguments: [value, id])
                applied.append(IncidentChange(field: field, before: before, after: after))
            }
            if let title = changes.title {
                try record("title", current.title, title, column: "title", value: title)
            }
            if let siren = changes.siren {
                try record("siren", current.siren ?? "", siren, column: "siren", value: siren)
            }
            if let aware = changes.awareAt {
                // The awareness cannot come after the closing or after a report logged as sent: every clock runs from it.
                let firstSend = current.log.filter { $0.stage != nil }.map(\.at).min()
                if let later = [current.closedAt, firstSend].compactMap({ $0 }).min(), aware > later {
                    let what = later == current.closedAt ? (fr: "la clôture", en: "the closing") : (fr: "un envoi consigné", en: "a logged send")
                    throw InputError(
                        .usage,
                        fr: "--aware-at \(IncidentClock.local(aware)) : serait postérieure à \(what.fr) de l'incident \(id) (\(IncidentClock.local(later)))",
                        en: "--aware-at \(IncidentClock.local(aware)): would come after \(what.en) of incident \(id) (\(IncidentClock.local(later)))")
                }
                try record("awareAt", IncidentClock.local(current.awareAt), IncidentClock.local(aware), column: "awareAt", value: Int(aware.timeIntervalSince1970))
            }
            if let personal = changes.personalData {
                try record("personalData", current.personalData ? "yes" : "no", personal ? "yes" : "no", column: "personalData", value: personal)
            }
            if let significant = changes.significant {
                try record("significant", current.significant.rawValue, significant.rawValue, column: "significant", value: significant.rawValue)
            }
            var hosts = Set(current.hosts)
            for host in changes.removeHosts {
                guard hosts.remove(host) != nil else {
                    let listed = current.hosts.joined(separator: ", ")
                    throw InputError(
                        .usage,
                        fr: "--remove-host \(host) : cet hôte n'est pas dans l'incident \(id) (hôtes : \(listed.isEmpty ? "aucun" : listed))",
                        en: "--remove-host \(host): this host is not in incident \(id) (hosts: \(listed.isEmpty ? "none" : listed))")
                }
                try db.execute(sql: "DELETE FROM incident_host WHERE incidentID = ? AND hostname = ?", arguments: [id, host])
            }
            for host in changes.addHosts where hosts.insert(host).inserted {
                try db.execute(sql: "INSERT INTO incident_host (incidentID, hostname) VALUES (?, ?)", arguments: [id, host])
            }
            if hosts != Set(current.hosts) {
                func list(_ names: some Collection<String>) -> String { names.sorted().joined(separator: ", ") }
                applied.append(IncidentChange(field: "hosts", before: list(current.hosts), after: list(hosts)))
            }
            let suffix = reason.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : " — motif : \($0)" } ?? ""
            for change in applied {
                try db.execute(
                    sql: "INSERT INTO incident_log (incidentID, at, text) VALUES (?, ?, ?)",
                    arguments: [id, Int(at.timeIntervalSince1970), "Correction — \(change.text(english: false))\(suffix)"])
            }
            return applied
        }
    }
}
