import Foundation
import NIS2
import Territory

/// Whether the NIS 2 clocks of an incident are binding for the entity hit, as the applicability table
/// (`Profiles/nis2/scope.yaml`, the table `cyberctl nis2 scope` reads) decides from what the store knows of the
/// entity (its newest report, else the roster). The deadlines are always computed and shown: an entity that is
/// not regulated as a local authority may still be through an activity (water, energy), and a voluntary early
/// warning costs little. What changes is what is said of them: legal deadlines, or indicative ones.
public struct NIS2Standing: Codable, Sendable, Equatable {
    /// `essentielle`, `importante`, `non-regulee`, `selon-activite`; nil when it could not be decided.
    public var category: String?
    /// True when the NIS 2 deadlines are not (or not known to be) legal obligations for this entity.
    public var indicative: Bool
    /// The table's row that decided, and the table's version.
    public var rule: String?
    public var rulesVersion: String?
    /// The sentence shown with the deadlines.
    public var note: String

    /// The standing of `entity` (nil: the incident names no entity, or the store and roster know nothing of it)
    /// under `rules` (nil: the table could not be read — then nothing is claimed).
    public static func of(_ entity: EntityIdentity?, siren: String?, rules: ScopeRules?, english: Bool) -> NIS2Standing {
        guard let rules else {
            return NIS2Standing(
                category: nil, indicative: false,
                note: english
                    ? "NIS 2: the applicability table could not be read; deadlines shown as binding."
                    : "NIS 2 : la table d'applicabilité n'a pas pu être lue ; échéances affichées comme obligatoires.")
        }
        guard let siren else {
            return NIS2Standing(
                category: nil, indicative: false, rulesVersion: rules.version,
                note: english
                    ? "NIS 2: no entity given (incident update --entity SIREN); deadlines shown as binding until it is known."
                    : "NIS 2 : entité non indiquée (incident update --entity SIREN) ; échéances affichées comme obligatoires tant qu'elle n'est pas connue.")
        }
        guard let entity, let kind = entity.kind else {
            return NIS2Standing(
                category: nil, indicative: false, rulesVersion: rules.version,
                note: english
                    ? "NIS 2: the kind of entity \(siren) is known neither from a report nor from the roster; applicability not established, deadlines shown as binding."
                    : "NIS 2 : le type de l'entité \(siren) n'est connu ni par un rapport ni par le périmètre ; applicabilité non établie, échéances affichées comme obligatoires.")
        }
        let decision = rules.decide(ScopeFacts(kind: kind, population: entity.population))
        let source = english
            ? "according to \(URL(fileURLWithPath: rules.file).lastPathComponent) (row \(decision.rule?.id ?? "?"), version \(rules.version))"
            : "d'après \(URL(fileURLWithPath: rules.file).lastPathComponent) (règle \(decision.rule?.id ?? "?"), version \(rules.version))"
        let pending = rules.textStatus.text(english: english)
        switch decision.category {
        case nil:
            return NIS2Standing(
                category: nil, indicative: false, rulesVersion: rules.version,
                note: english
                    ? "NIS 2: applicability not established (missing: \(decision.missingFacts.joined(separator: ", "))); deadlines shown as binding."
                    : "NIS 2 : applicabilité non établie (manque : \(decision.missingFacts.joined(separator: ", "))) ; échéances affichées comme obligatoires.")
        case .essentielle?, .importante?:
            let category = decision.category!
            return NIS2Standing(
                category: category.rawValue, indicative: false, rule: decision.rule?.id, rulesVersion: rules.version,
                note: english
                    ? "NIS 2: \(category.label(english: true)) \(source); legal deadlines. \(pending)"
                    : "NIS 2 : \(category.label(english: false)) \(source) ; échéances légales. \(pending)")
        case .nonRegulee?:
            return NIS2Standing(
                category: NIS2Category.nonRegulee.rawValue, indicative: true, rule: decision.rule?.id, rulesVersion: rules.version,
                note: english
                    ? "NIS 2: not regulated \(source); indicative deadlines (an activity such as water or energy may still bring the entity in). The CNIL deadline, when personal data are involved, applies in full."
                    : "NIS 2 : non concernée \(source) ; délais indicatifs (une activité comme l'eau ou l'énergie peut toutefois l'y faire entrer). Le délai CNIL, s'il y a des données personnelles, s'applique pleinement.")
        case .selonActivite?:
            return NIS2Standing(
                category: NIS2Category.selonActivite.rawValue, indicative: true, rule: decision.rule?.id, rulesVersion: rules.version,
                note: english
                    ? "NIS 2: depends on the activity carried out \(source); indicative deadlines until applicability is established."
                    : "NIS 2 : selon l'activité exercée \(source) ; délais indicatifs tant que l'applicabilité n'est pas établie.")
        }
    }
}

extension EntityIdentity {
    /// The entity as the roster declares it (used when the store has no report of it).
    public init(_ member: Roster.Member) {
        self.init(
            siren: member.siren, name: member.name, insee: member.insee, kind: member.kind, population: member.population,
            departement: member.departement, region: member.region)
    }
}
