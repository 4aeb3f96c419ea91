import Agent
import Checks
import Foundation
import Model

/// One field on which an entity's newest report states something other than the declared roster.
public struct IdentityDisagreement: Codable, Sendable, Equatable {
    /// `kind`, `population`, `departement`, `region` or `insee`.
    public var field: String
    /// The roster's value (the one cyberctl uses).
    public var roster: String
    /// What the newest report states.
    public var report: String

    /// `type : ca au périmètre, commune dans le rapport` / `kind: ca in the roster, commune in the report`.
    public func text(english: Bool) -> String {
        let label = Self.labels[field].map { english ? $0.en : $0.fr } ?? field
        return english ? "\(label): \(roster) in the roster, \(report) in the report" : "\(label) : \(roster) au périmètre, \(report) dans le rapport"
    }

    static let labels: [String: (fr: String, en: String)] = [
        "kind": ("type", "kind"), "population": ("population", "population"), "departement": ("département", "département"),
        "region": ("région", "region"), "insee": ("code INSEE", "INSEE code"),
    ]

    /// The sentence said wherever the identity is shown: the roster wins, and the report should be corrected.
    public static func warning(_ disagreements: [IdentityDisagreement], siren: String, english: Bool) -> String {
        let list = disagreements.map { $0.text(english: english) }.joined(separator: english ? "; " : " ; ")
        return english
            ? "the newest report of entity \(siren) contradicts the declared roster (\(list)); the roster is used. Correct the agent configuration (agent.yaml, entity:) or the roster."
            : "le dernier rapport de l'entité \(siren) contredit le périmètre déclaré (\(list)) ; c'est le périmètre qui est retenu. Corrigez la configuration de l'agent (agent.yaml, entity:) ou le périmètre."
    }
}

/// An entity's identity as cyberctl uses it, and where its newest report disagrees.
///
/// Rule (one place, for the incident deadlines and drafts, the élus pages and the alerts): the RSSI's declared
/// roster wins; a field the roster leaves empty is taken from the entity's newest report. A report is signed by
/// the entity's agent, whose `agent.yaml` may be a copied template or written by someone hostile: it must not
/// turn legal NIS 2 deadlines into indicative ones, nor send an incident draft to another region's CSIRT.
public struct ResolvedIdentity: Codable, Sendable, Equatable {
    public var entity: Entity
    /// Fields on which the newest report contradicts the roster (case, accents and spaces ignored); empty
    /// when they agree, when the entity is not in the roster, or when the store has no report of it.
    public var disagreements: [IdentityDisagreement]
    public var inRoster: Bool
    public var reported: Bool

    /// `member` (nil: not in the roster) over `reported` (nil: no report).
    public init(member: Roster.Member?, reported: Entity?) {
        inRoster = member != nil
        self.reported = reported != nil
        guard let member else {
            entity = reported ?? Entity()
            disagreements = []
            return
        }
        let declared = member.entity
        entity = Entity(
            name: declared.name ?? reported?.name, siren: declared.siren ?? reported?.siren, insee: declared.insee ?? reported?.insee,
            kind: declared.kind ?? reported?.kind, population: declared.population ?? reported?.population,
            departement: declared.departement ?? reported?.departement, region: declared.region ?? reported?.region)
        var found: [IdentityDisagreement] = []
        if let reported {
            func compare(_ field: String, _ roster: String?, _ report: String?) {
                guard let roster, let report, Self.normalized(roster) != Self.normalized(report) else { return }
                found.append(IdentityDisagreement(field: field, roster: roster, report: report))
            }
            compare("kind", declared.kind, reported.kind)
            compare("population", declared.population.map(String.init), reported.population.map(String.init))
            compare("departement", declared.departement, reported.departement)
            compare("region", declared.region, reported.region)
            compare("insee", declared.insee, reported.insee)
        }
        disagreements = found
    }

    static func normalized(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).filter { !$0.isWhitespace && $0 != "-" && $0 != "'" }
    }
}

extension TerritoryStore {
    /// Every entity known to the store (reported) or declared in the roster, resolved as `ResolvedIdentity`
    /// says (roster first), by SIREN.
    static func resolvedIdentities(_ db: any SQLConnection) throws -> [String: ResolvedIdentity] {
        var reported: [String: Entity] = [:]
        try db.forEachRow(sql: "SELECT siren, name, insee, kind, population, departement, region FROM entity", arguments: []) { row in
            let siren: String = row[0]
            reported[siren] = Entity(name: row[1], siren: siren, insee: row[2], kind: row[3], population: row[4], departement: row[5], region: row[6])
        }
        let roster = try roster(db)
        var out: [String: ResolvedIdentity] = [:]
        for siren in Set(reported.keys).union(roster?.sirens ?? []) {
            out[siren] = ResolvedIdentity(member: roster?.member(siren), reported: reported[siren])
        }
        return out
    }

    /// The identity of `siren`, roster first (see `ResolvedIdentity`); nil when neither the roster nor a report knows it.
    public func resolvedIdentity(siren: String) throws -> ResolvedIdentity? {
        try read { db in
            let reported = try db.fetchRow(sql: "SELECT name, insee, kind, population, departement, region FROM entity WHERE siren = ?", arguments: [siren]).map {
                Entity(name: $0[0], siren: siren, insee: $0[1], kind: $0[2], population: $0[3], departement: $0[4], region: $0[5])
            }
            let member = try Self.roster(db)?.member(siren)
            guard member != nil || reported != nil else { return nil }
            return ResolvedIdentity(member: member, reported: reported)
        }
    }
}

/// The identity of the entities in the store and their score history, for the élus summary
/// (issue 9). Additive: reads only what ingest already stores.
extension TerritoryViews {
    /// Every entity's identity, by SIREN: the roster's declaration, its empty fields from the newest report
    /// (`ResolvedIdentity`); entities the store has a report of, and the roster's.
    public func identities() throws -> [String: Entity] {
        try resolvedIdentities().mapValues(\.entity)
    }

    /// Every entity's identity with its disagreements between roster and newest report (`ResolvedIdentity`), by SIREN.
    public func resolvedIdentities() throws -> [String: ResolvedIdentity] {
        try store.read { db in try TerritoryStore.resolvedIdentities(db) }
    }

    /// The entity's score and level after each of its reports (each host's latest report up to then).
    public func entityTrend(siren: String) throws -> [TrendPoint] {
        try store.read { db in try TrendBuilder.points(db, scope: .entity(siren), language: language) }
    }

    /// The territory's trend (as `trend()`) and every member's own (as `entityTrend`), in one pass.
    public func trends() throws -> (territory: TrendView, members: [String: [TrendPoint]]) {
        try store.read { db in
            let built = try TrendBuilder.build(db, scope: .territory(try TerritoryStore.roster(db)), language: language, members: true)
            return (TrendView(now: ISO8601.string(from: now), points: built.points), built.members)
        }
    }
}
