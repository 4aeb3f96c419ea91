import AgentCLI
import ArgumentParser
import Checks
import Foundation
import Incidents
import Model
import Rendering
import Territory

/// Output formats of `territory alerts`.
enum AlertFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv, markdown
}

extension Cyberctl.TerritoryCommand {
    /// Reminders for a timer or a mail: what has expired, fallen silent or fallen due, and what will within the window.
    struct Alerts: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rappels : certificats, membres silencieux, certificats d'agent, déclarations d'incident, contacts ; code 1 s'il y a quelque chose à faire, pour un timer (reminders; exit 1 when something is due).",
            discussion: """
                Liste ce qui est échu ou échoit d'ici --within : certificats (fichiers et services) expirés ou expirant, \
                certificats d'agent expirés ou expirant (`territory agents`), déclarations d'incident non envoyées en retard ou \
                dues (NIS 2 : 24 h, 72 h, 1 mois ; RGPD : 72 h ; `incident due`) ; et, quelle que soit la fenêtre, les membres \
                silencieux depuis plus de silent_after_days (plus un jour de grâce) ou sans aucun rapport, les serveurs \
                silencieux d'un membre qui rapporte encore, les rapports refusés vus dans ce même délai (`territory rejected`), \
                les membres du périmètre sans aucun contact, et la CRL relevée par la dernière consolidation ou le \
                collecteur si elle a dépassé sa date de mise à jour (crl-stale) ou manquait (crl-missing). Codes de sortie, pour un timer systemd (packaging/systemd/cyberctl-alerts.timer) \
                ou cron : 0 rien à signaler, 1 au moins une alerte, 64 option invalide, 66 base absente (jamais créée par \
                cette commande), 65/70/74 si une partie n'a pas pu être lue (ce qui a été lu est affiché, la partie en \
                erreur est nommée : jamais « rien à signaler » sur une lecture manquée).

                Lists what is past or falls due within --within: certificates (files and served) expired or expiring, agent \
                certificates expired or expiring (`territory agents`), incident reports not sent, overdue or due (NIS 2: 24 h, \
                72 h, 1 month; GDPR: 72 h; `incident due`); and, whatever the window, members silent for more than \
                silent_after_days (plus a day of grace) or that never reported, silent servers of a member that still \
                reports, reports refused and seen within that delay (`territory rejected`), roster members without any contact, and the \
                CRL seen by the last consolidation or collector when past its nextUpdate (crl-stale) or missing (crl-missing). Exit \
                codes, for a systemd timer (packaging/systemd/cyberctl-alerts.timer) or cron: 0 nothing due, 1 at least one \
                alert, 64 bad option, 66 missing store (this command never creates one), 65/70/74 when a part could not be \
                read (what was read is shown and the failed part named: never "nothing due" on a failed read).
                """)

        @OptionGroup var store: StoreOptions

        @Option(help: "Fenêtre : 30j, 30d, 4sem, 4w… ; un nombre seul compte en jours ; \(DurationOption.unitsHelpFrench) (window: 30d, 4w…; a bare number counts days; \(DurationOption.unitsHelpEnglish)).")
        var within = DurationArgument("30j")

        @Option(help: "Format de sortie : table, json, csv ou markdown (output format).")
        var format: AlertFormat = .table

        @Option(
            name: .customLong("csv-dialect"),
            help: "Avec --format csv : rfc4180 (par défaut, pour les programmes) ou excel-fr (pour Excel et LibreOffice en français) (CSV dialect).")
        var csvDialect: CSVDialect?

        @OptionGroup var filters: FilterOptions

        @Option(name: .customLong("lang"), help: languageOptionHelp)
        var chosenLanguage: Language?
        var lang: Language { store.config.language(chosenLanguage) }

        /// The present, for tests and replays (the forms of `incident --aware-at`).
        @Option(name: .customLong("now"), help: .hidden)
        var nowText: String?

        /// The window of `--within`, in whole days (0 to 36,500).
        static let window = DurationOption.days("--within", examples: "30, 30j, 30d, 4sem, 4w")

        func validate() throws {
            _ = try Self.window.wholeValue(within, language: lang)
            try filters.check(language: lang)
            if csvDialect != nil && format != .csv {
                throw ValidationError(lang == .fr ? "--csv-dialect ne s'applique qu'avec --format csv." : "--csv-dialect applies only with --format csv.")
            }
            try filters.refuseDomain(
                "territory alerts",
                because: ("les alertes (silence, certificats d'agent, incidents, contacts) ne relèvent pas d'un domaine de contrôle ; voir `territory certificates --domain`",
                          "alerts (silence, agent certificates, incidents, contacts) belong to no check domain; see `territory certificates --domain`"),
                language: lang)
        }

        func run() throws {
            let result: (view: AlertsView, failures: [(AlertsView.Part, any Error)])
            do {
                let days = try Self.window.wholeValue(within, language: lang)
                var now = Date()
                if let nowText { now = try IncidentClock.parse(nowText, option: "--now") }
                let territory = try store.open(readOnly: true, language: lang)
                result = try TerritoryViews(store: territory, now: now, language: lang).alerts(withinDays: days, filter: filters.filter)
            } catch {
                throw failure(reporting: error, language: lang)
            }
            let view = result.view
            switch format {
            case .json:
                do { emit(try ViewJSON.encode(view)) } catch { throw failure(reporting: error, language: lang) }
            case .csv:
                emit(ExportTables.alerts(view, lang).csv(csvDialect ?? .rfc4180))
            case .table:
                emit((view.filter?.line(lang).map { "\($0)\n\n" } ?? "") + ViewTables.alerts(view, lang).map(\.text).joined(separator: "\n"))
            case .markdown:
                emit((view.filter?.line(lang).map { "**\($0)**\n\n" } ?? "") + ViewTables.alerts(view, lang).map(\.markdown).joined(separator: "\n"))
            }
            // A part that could not be read: its error (stderr) and exit code, whatever the others found.
            var code: ExitCode?
            for (part, error) in result.failures {
                let name = lang == .fr ? "partie « \(part.rawValue) »" : "part \"\(part.rawValue)\""
                writeStandard(Array("cyberctl: \(name):\n".utf8), to: STDERR_FILENO)
                let exit = failure(reporting: error, language: lang)
                if code == nil || exit.rawValue > code!.rawValue { code = exit }
            }
            if let code { throw code }
            if view.somethingDue { throw ExitCode(1) }
        }
    }
}
