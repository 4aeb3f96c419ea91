import Agent
import AgentCLI
import ArgumentParser
import Checks
import Model
import Rendering
import Territory

/// `--entity SIREN` (repeatable) and `--domain D`: what a view is narrowed to (`ViewFilter`).
struct FilterOptions: ParsableArguments {
    @Option(
        name: .customLong("entity"), parsing: .singleValue,
        help: "Seulement cette entité : SIREN, 9 chiffres, espaces admis (\"212 900 195\"), répétable ; un SIREN inconnu de la base est une erreur (66) (only this entity, repeatable).",
        transform: Identifiers.normalizedSIREN)
    var entities: [String] = []

    @Option(
        name: .customLong("domain"),
        help: "Seulement ce domaine de contrôle : \(Domain.allCases.map(\.rawValue).joined(separator: ", ")) (only this check domain).")
    var domainName: String?

    /// Refuses (64) a SIREN that is not 9 digits with a valid Luhn key, or an unknown domain (listing the allowed
    /// ones), in `language`; called by the `validate()` of the commands that hold these options.
    func check(language: Language) throws {
        let fr = language == .fr
        for siren in entities where !Identifiers.isValidSIREN(siren) {
            throw ValidationError(fr
                ? "--entity \(siren) : un SIREN de 9 chiffres avec une clé de Luhn valide est attendu."
                : "--entity \(siren): expected a 9-digit SIREN with a valid Luhn check digit.")
        }
        if let domainName, Domain(rawValue: domainName) == nil {
            let allowed = Domain.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError(fr
                ? "--domain \(domainName) : domaine inconnu ; valeurs admises : \(allowed)."
                : "--domain \(domainName): unknown domain; allowed: \(allowed).")
        }
    }

    var filter: ViewFilter {
        ViewFilter(entities: entities.isEmpty ? nil : entities, domain: domainName.flatMap(Domain.init(rawValue:)))
    }

    /// Refuses `--domain` for a view where it has no meaning (exit 64), saying why.
    func refuseDomain(_ command: String, because reason: (fr: String, en: String), language: Language) throws {
        guard domainName != nil else { return }
        throw ValidationError(language == .fr
            ? "--domain ne s'applique pas à `\(command)` : \(reason.fr)."
            : "--domain does not apply to `\(command)`: \(reason.en).")
    }

    /// Refuses `--entity` for a view where it has no meaning (exit 64), saying why.
    func refuseEntity(_ command: String, because reason: (fr: String, en: String), language: Language) throws {
        guard !entities.isEmpty else { return }
        throw ValidationError(language == .fr
            ? "--entity ne s'applique pas à `\(command)` : \(reason.fr)."
            : "--entity does not apply to `\(command)`: \(reason.en).")
    }
}

extension CSVDialect: ExpressibleByArgument {}
