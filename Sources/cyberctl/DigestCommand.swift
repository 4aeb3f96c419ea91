import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import Incidents
import NIS2
import Model
import Summary
import Territory

/// Output formats of `territory digest`.
enum DigestFormat: String, ExpressibleByArgument, CaseIterable {
    case markdown, html
}

extension Cyberctl.TerritoryCommand {
    /// One member's monthly digest, for an e-mail to its DGS and élu référent.
    struct Digest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ce qu'une commune doit faire ce mois-ci, en français simple, à coller dans un courriel à son DGS et à son élu référent (one member's monthly digest).",
            discussion: """
                Adressé aux contacts du périmètre (DGS et élu référent, sinon maire ou président) : l'état de la commune \
                en une phrase avec ce qui n'a pas pu être vérifié (serveurs silencieux, contrôles non menés, certificats \
                illisibles : jamais « tout va bien » sur ce qui n'a pas été vu), les certificats expirés ou expirant \
                d'ici --within, les serveurs silencieux, les premières corrections, les déclarations d'incident à faire, \
                et ce que le RSSI fera. Codes de sortie : 0 écrit ; 64 option invalide ; 66 base absente ou SIREN ni au \
                périmètre ni dans les rapports ; 65/70/74 si une partie n'a pas pu être lue (rien n'est écrit).

                Addressed to the roster's contacts (DGS and élu référent, else maire or président): the member's state in one \
                sentence with what could not be verified, certificates expired or expiring within --within, silent servers, \
                first fixes, incident reports due, and what the RSSI will do. Exit codes: 0 written; 64 bad option; 66 no \
                store, or a SIREN neither in the roster nor in the reports; 65/70/74 when a part could not be read (nothing \
                written).
                """)

        @Option(help: "SIREN de la commune, 9 chiffres, espaces admis : \"212 900 195\" (SIREN of the member, spaces allowed).", transform: Identifiers.normalizedSIREN)
        var entity: String

        @Option(help: "Format : markdown (courriel) ou html (output format).")
        var format: DigestFormat = .markdown

        @Option(help: "Fenêtre des certificats et des échéances : 30j, 30d, 4sem, 4w… ; un nombre seul compte en jours ; \(DurationOption.unitsHelpFrench) (window: 30d, 4w…; \(DurationOption.unitsHelpEnglish)).")
        var within = DurationArgument("30j")

        @OptionGroup var store: StoreOptions

        @Option(name: .customLong("lang"), help: languageOptionHelp)
        var chosenLanguage: Language?
        var lang: Language { store.config.language(chosenLanguage) }

        /// The present, for tests and replays (the forms of `incident --aware-at`).
        @Option(name: .customLong("now"), help: .hidden)
        var nowText: String?

        func validate() throws {
            _ = try Alerts.window.wholeValue(within, language: lang)
            guard Identifiers.isValidSIREN(entity) else {
                throw ValidationError(
                    lang == .en
                        ? "--entity \(entity): expected a SIREN, 9 digits with a valid Luhn check digit."
                        : "--entity \(entity) : un SIREN est attendu, 9 chiffres avec une clé de Luhn valide.")
            }
        }

        func run() throws {
            try runView(lang) {
                var now = Date()
                if let nowText { now = try IncidentClock.parse(nowText, option: "--now") }
                let views = TerritoryViews(store: try store.open(readOnly: true, language: lang), now: now, language: lang)
                let digest = try CommuneDigestBuilder(views: views, scopeRules: try ScopeRules.shipped())
                    .digest(siren: entity, windowDays: try Alerts.window.wholeValue(within, language: lang))
                switch format {
                case .markdown: emit(DigestRenderer.markdown(digest))
                case .html: emit(DigestRenderer.html(digest))
                }
            }
        }
    }
}
