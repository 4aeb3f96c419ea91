import Agent
import Checks
import Foundation
import Model

/// What a territory view is narrowed to (`--entity SIREN`, repeatable, and `--domain D`).
///
/// A view given a filter keeps only the rows of those entities and of that check domain, and carries the
/// filter (`filter` in its JSON, a line above its tables and its CSV) so that a filtered "nothing found" is
/// never read as the whole territory's. What a filter does in each view is documented on the view's method
/// and in docs/territory.md ("Filters and exports").
public struct ViewFilter: Codable, Sendable, Equatable {
    /// SIRENs kept (9 digits, sorted, no duplicates); nil keeps every entity.
    public var entities: [String]?
    /// The check domain kept (rule codes by prefix: `Domain(ruleCode:)`); nil keeps every domain.
    public var domain: Domain?

    public init(entities: [String]? = nil, domain: Domain? = nil) {
        self.entities = entities.map { Array(Set($0)).sorted() }
        self.domain = domain
    }

    /// True when nothing is filtered.
    public var isEmpty: Bool { entities == nil && domain == nil }

    /// Whether the rows of entity `siren` are kept (`nil`, no entity: kept only without an entity filter).
    public func keeps(siren: String?) -> Bool {
        guard let entities else { return true }
        guard let siren else { return false }
        return entities.contains(siren)
    }

    /// Whether results of `domain` are kept (a rule code of no known domain is kept only without a domain filter).
    public func keeps(domain: Domain?) -> Bool {
        guard let wanted = self.domain else { return true }
        return domain == wanted
    }

    /// Whether results of rule `code` are kept (by its domain).
    public func keeps(code: String) -> Bool { keeps(domain: Domain(ruleCode: code)) }

    /// The filter said for people: `Filtré : entité 212900195 ; domaine tls`, or nil when nothing is filtered.
    public func line(_ language: Language) -> String? {
        guard !isEmpty else { return nil }
        let fr = language == .fr
        var parts: [String] = []
        if let entities {
            parts.append((fr ? (entities.count > 1 ? "entités " : "entité ") : (entities.count > 1 ? "entities " : "entity "))
                + entities.joined(separator: ", "))
        }
        if let domain { parts.append((fr ? "domaine " : "domain ") + domain.rawValue) }
        return fr
            ? "Filtré : \(parts.joined(separator: " ; ")) (vue partielle du territoire)"
            : "Filtered: \(parts.joined(separator: "; ")) (part of the territory only)"
    }

    /// The filter, or nil when nothing is filtered (what the views carry in their JSON).
    public var orNil: ViewFilter? { isEmpty ? nil : self }
}

extension TerritoryViews {
    /// Refuses a filter naming an entity the store does not know: an unknown SIREN (a typo) would otherwise
    /// give an empty view that reads as "nothing found". Known: an entity with reports, a member of the
    /// declared roster, or the roster's grouping.
    /// - Throws: `InputError(.missing)` (66) naming every unknown SIREN.
    func requireKnown(_ filter: ViewFilter, _ db: any SQLConnection) throws {
        guard let entities = filter.entities, !entities.isEmpty else { return }
        var known = Set(try db.fetchAll(String.self, sql: "SELECT siren FROM entity"))
        if let roster = try TerritoryStore.roster(db) { known.formUnion(roster.sirens) }
        let unknown = entities.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            let list = unknown.joined(separator: ", ")
            throw InputError(
                .missing, file: store.path,
                fr: "SIREN inconnu de cette base (ni rapport, ni membre du périmètre) : \(list) ; voir `cyberctl territory status`",
                en: "SIREN unknown to this store (no report, not a roster member): \(list); see `cyberctl territory status`")
        }
    }

    /// `requireKnown` in its own read.
    public func requireKnown(_ filter: ViewFilter) throws {
        try store.read { db in try requireKnown(filter, db) }
    }
}

extension Roster {
    /// The roster with only the members `filter` keeps (the grouping itself unchanged).
    public func restricted(to filter: ViewFilter) -> Roster {
        var roster = self
        roster.members = members.filter { filter.keeps(siren: $0.siren) }
        return roster
    }
}
