import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import Model
import Rendering
import Territory
import Trust

/// Output formats of the territory views.
enum ViewFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv, markdown, html
}

extension Cyberctl {
    /// Verifies and stores the reports of an inbox.
    struct Consolidate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Vérifie et range les rapports signés dans la base du territoire (verify signed reports and store them).",
            discussion: """
                Trouve chaque rapport *.json sous DOSSIER (récursivement) avec sa signature *.json.p7s, vérifie chacun \
                exactement comme `cyberctl verify` et range ceux qui sont vérifiés. Un même rapport reçu deux fois est rangé \
                une fois ; un rapport plus ancien ne remplace jamais le plus récent de son hôte. Les fichiers refusés sont \
                consignés (`cyberctl territory rejected`) et jamais modifiés, déplacés ni supprimés. Un fichier déjà rangé par \
                une consolidation précédente et inchangé depuis (même inode, taille, dates de modification et de changement, \
                rapport et signature) n'est pas relu (--reread relit tout). Les rapports déjà rangés dont la CRL révoque le \
                certificat signataire sont retirés de la base (tous pour keyCompromise ou sans motif daté, ceux signés après la \
                révocation pour superseded…) : leur serveur retombe sur son rapport précédent ou devient non évalué. Code de \
                sortie 0 si tous les rapports sont rangés, 65 si certains sont refusés ou retirés, ou si la CRL est plus ancienne que celle déjà vue par la base, 66 si un DOSSIER ou le \
                fichier de l'autorité manque, 74 si la base ne peut pas être écrite.

                Finds every *.json report under DIR (recursively) with its *.json.p7s signature, verifies each exactly as \
                `cyberctl verify` does, and stores the verified ones. The same report twice is stored once; an older report \
                never replaces a newer one as its host's latest. Refused files are recorded (`cyberctl territory rejected`) \
                and never modified, moved or deleted. A file stored by an earlier consolidation and unchanged since (same inode, \
                size, modification and change times, report and signature) is not read again (--reread reads everything). \
                Stored reports whose signer certificate the CRL revokes are withdrawn from the store (all of them for \
                keyCompromise or no dated reason, those signed after the revocation for superseded…): their server falls \
                back on its previous report or becomes not evaluated. Exit 0 when every report was stored, 65 when some \
                were refused or withdrawn, or the CRL is older than the one the store already saw, 66 when a DIR or the CA file is missing, 74 when the store cannot be written.
                """)

        @Argument(help: "Dossiers (ou fichiers de rapports) à lire ; par défaut : la clé inbox de la configuration du RSSI (folders or report files to read; default: the configuration's inbox).", completion: .directory)
        var folders: [String] = []

        @OptionGroup var store: StoreOptions
        @OptionGroup var trust: TrustOptions

        @Option(help: "Format du bilan : table ou json (output format of the summary).")
        var format: OutputFormat = .table

        @Option(name: .customLong("lang"), help: languageOptionHelp)
        var chosenLanguage: Language?
        var lang: Language { store.config.language(chosenLanguage) }

        @Flag(help: "Relit et revérifie aussi les fichiers déjà rangés et inchangés (read and verify again the files already stored and unchanged).")
        var reread = false

        @Option(name: .customLong("batch-size"), help: .hidden)
        var batchSize = 64

        func validate() throws {
            try requireRange(batchSize, 1...10_000, option: "--batch-size", language: lang)
        }

        /// The folders given, else the configuration's inbox.
        func sources() throws(InputError) -> [String] {
            if !folders.isEmpty { return folders }
            if let inbox = try store.config.configuration(language: lang)?.inbox { return [inbox.path] }
            throw InputError(
                .usage,
                fr: "donnez au moins un dossier de rapports, ou une clé inbox dans la configuration du RSSI",
                en: "please give at least one folder of reports, or an inbox key in the RSSI configuration")
        }

        func run() throws {
            let summary: IngestSummary
            do {
                let inputs = try sources()
                let caFile = try trust.caFile(store.config, language: lang)
                let crlFiles = TrustOptions.crlFiles(trust.crl, caFile: caFile)
                let verifier = ReportVerifier(trust: try TrustAnchors.load(caFile: caFile, crlFiles: crlFiles))
                let files = try Inbox.discover(inputs)
                let territory = try store.open(create: true, language: lang)
                // Never an older CRL than the store already saw (it would take back agents revoked since); then the
                // CRLs this run trusts (or their lack), kept for `territory alerts` (crl-stale, crl-missing).
                if let older = try territory.olderCRL(verifier.trust, paths: crlFiles) { throw older }
                try territory.recordCRLState(verifier.trust, paths: crlFiles, source: "consolidate")
                let bar = ProgressBar(enabled: stderrIsTerminal, language: lang)
                summary = try Ingest(store: territory, verifier: verifier, batchSize: batchSize).run(files, rereadUnchanged: reread) { bar.update($0) }
                bar.finish()
            } catch {
                throw failure(reporting: error, language: lang)
            }
            let fr = lang == .fr
            switch format {
            case .json:
                emit((try? ViewJSON.encode(summary)) ?? "{}\n")
            case .table:
                let codes = summary.rejectedByCode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                let rate = summary.seconds > 0 ? Double(summary.found) / summary.seconds : 0
                emit(
                    fr
                        ? "\(summary.found) rapports trouvés : \(summary.stored) enregistrés (dont \(summary.storedAsHistory) en historique), \(summary.alreadyStored) déjà connus, \(summary.unchanged) inchangés non relus, \(summary.rejected) refusés\(codes.isEmpty ? "" : " (\(codes))") — \(String(format: "%.1f", summary.seconds)) s, \(Int(rate))/s\n"
                        : "\(summary.found) reports found: \(summary.stored) stored (\(summary.storedAsHistory) as history), \(summary.alreadyStored) already stored, \(summary.unchanged) unchanged not read again, \(summary.rejected) refused\(codes.isEmpty ? "" : " (\(codes))") — \(String(format: "%.1f", summary.seconds)) s, \(Int(rate))/s\n")
                for notice in summary.signers.sorted(by: { ($0.status.notAfter ?? .distantPast, $0.serial) < ($1.status.notAfter ?? .distantPast, $1.serial) }) {
                    let day = notice.status.notAfter.map { String(ISO8601.string(from: $0).prefix(10)) } ?? "?"
                    let who = "\(notice.host) (\(notice.entityName), SIREN \(notice.siren), certificat \(notice.serial))"
                    let whoEN = "\(notice.host) (\(notice.entityName), SIREN \(notice.siren), certificate \(notice.serial))"
                    switch notice.status.state {
                    case .expired:
                        emit(fr
                            ? "⚠ certificat d'agent expiré le \(day) : \(who) ; ses rapports déjà signés restent valables, les suivants seront refusés tant qu'il n'est pas renouvelé\n"
                            : "⚠ agent certificate expired on \(day): \(whoEN); its reports signed before stay valid, later ones will be refused until it is renewed\n")
                    case .expiringSoon:
                        emit(fr
                            ? "⚠ certificat d'agent expirant le \(day) (dans \(notice.status.daysLeft ?? 0) j) : \(who)\n"
                            : "⚠ agent certificate expiring on \(day) (in \(notice.status.daysLeft ?? 0) days): \(whoEN)\n")
                    case .valid:
                        break
                    }
                }
                // What verify warns of, said here too: once per distinct text, with how many reports (a stale CRL is one
                // line for the whole inbox, not silence).
                for warning in summary.warnings {
                    let count = warning.reports == 1 ? "" : (fr ? " (\(warning.reports) rapports, dont \(warning.example))" : " (\(warning.reports) reports, e.g. \(warning.example))")
                    let one = warning.reports == 1 ? " (\(warning.example))" : ""
                    note(fr ? "cyberctl: ⚠ avertissement de vérification : \(warning.fr)\(one)\(count)" : "cyberctl: ⚠ verification warning: \(warning.en)\(one)\(count)")
                }
                if summary.otherWarnings > 0 {
                    note(fr ? "cyberctl: ⚠ \(summary.otherWarnings) autres avertissements de vérification (voir `cyberctl verify` sur les rapports)"
                            : "cyberctl: ⚠ \(summary.otherWarnings) more verification warnings (see `cyberctl verify` on the reports)")
                }
                // Reports stored before their signer's revocation, taken back: one line each (a stolen key's report
                // must not keep a member at a level it never earned).
                for report in summary.withdrawn {
                    let who = "\(report.host) (\(report.entity ?? "?"), SIREN \(report.siren))"
                    let generated = PeopleTime.string(iso: report.generatedAt)
                    let revoked = PeopleTime.string(iso: report.revokedAt)
                    var line: String
                    var fallback = ""
                    if fr {
                        line = "⚠ rapport retiré : \(who), rapport du \(generated), certificat \(report.serial) révoqué le \(revoked) (motif \(report.reason))"
                        if report.wasLatest {
                            fallback = report.hostLatestAfter.map { " ; le serveur retombe sur son rapport du \(PeopleTime.string(iso: $0))" }
                                ?? " ; le serveur n'a plus de rapport de confiance : non évalué"
                        }
                    } else {
                        line = "⚠ report withdrawn: \(who), report of \(generated), certificate \(report.serial) revoked on \(revoked) (reason \(report.reason))"
                        if report.wasLatest {
                            fallback = report.hostLatestAfter.map { "; the server now counts on its report of \(PeopleTime.string(iso: $0))" }
                                ?? "; the server has no trusted report left: not evaluated"
                        }
                    }
                    line += fallback
                    emit(line + "\n")
                }
                if summary.rejected > 0 || !summary.withdrawn.isEmpty {
                    note(fr ? "cyberctl: voir `cyberctl territory rejected` pour les motifs de refus" : "cyberctl: see `cyberctl territory rejected` for the reasons")
                }
                // Reports of entities the declared roster does not list are stored and flagged.
                // One row per entity, not the status view: at 100,000 reports that view took 2 s and 330 MB here.
                // The reports are stored whatever happens here; a failure to read the roster back is said, not
                // taken for "no entity out of perimeter".
                do {
                    if let entities = try store.open(language: lang).entitiesOutOfPerimeter(), !entities.isEmpty {
                        let outside = entities.map { "\($0.name ?? "?") (SIREN \($0.siren))" }.joined(separator: ", ")
                        note(fr ? "cyberctl: hors périmètre (rangés, non comptés dans le territoire) : \(outside)"
                                : "cyberctl: out of perimeter (stored, not counted in the territory): \(outside)")
                    }
                } catch {
                    let reason = (error as? InputError)?.description(in: lang) ?? "\(error)"
                    note(fr ? "cyberctl: avertissement : entités hors périmètre non vérifiées (lecture du périmètre impossible : \(reason))"
                            : "cyberctl: warning: entities out of perimeter not checked (the roster could not be read: \(reason))")
                }
            }
            if summary.rejected > 0 || !summary.withdrawn.isEmpty { throw ExitCode(65) }
        }
    }

    /// The territory's views.
    struct TerritoryCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "territory",
            abstract: "Vues du territoire : état, constats, certificats, agents, alertes, point mensuel d'une commune, hôte, entité, évolution, refus, périmètre (territory views, reminders, digests and roster).",
            subcommands: [Status.self, Findings.self, Certificates.self, Agents.self, Alerts.self, Digest.self, Host.self, EntityView.self, Trend.self, Rejected.self, RosterCommand.self, Migrate.self, Prune.self])
    }
}

/// Options of every view.
struct ViewOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions

    @Option(help: "Format de sortie : table, json, csv, markdown ou html, une page autonome (output format).")
    var format: ViewFormat = .table

    @Option(
        name: .customLong("csv-dialect"),
        help: "Avec --format csv : rfc4180 (par défaut, pour les programmes : « , », valeurs exactes) ou excel-fr (pour Excel et LibreOffice en français : BOM, « ; », virgule décimale, dates, textes neutralisés) (CSV dialect: rfc4180 for programs, excel-fr for French spreadsheets).")
    var csvDialect: CSVDialect?

    @OptionGroup var filters: FilterOptions

    @Option(name: .customLong("lang"), help: languageOptionHelp)
    var chosenLanguage: Language?
    var lang: Language { store.config.language(chosenLanguage) }

    func validate() throws {
        try filters.check(language: lang)
        if csvDialect != nil && format != .csv {
            throw ValidationError(lang == .fr
                ? "--csv-dialect ne s'applique qu'avec --format csv."
                : "--csv-dialect applies only with --format csv.")
        }
    }

    func views() throws -> TerritoryViews {
        TerritoryViews(store: try store.open(readOnly: true, language: lang), language: lang)
    }

    /// The filter of `--entity` and `--domain` (checked by `FilterOptions.check` in `validate`).
    var filter: ViewFilter { filters.filter }

    /// Prints `tables` (table, markdown), `export` (csv, in the dialect asked), `json`, or the `html` page; in
    /// table and markdown, the filter's line first.
    func render(tables: [TextTable], export: () throws -> CSVTable, json: () throws -> String, html: () throws -> String) throws {
        let line = filter.line(lang)
        switch format {
        case .table: emit((line.map { "\($0)\n\n" } ?? "") + tables.map(\.text).joined(separator: "\n"))
        case .csv: emit(try export().csv(csvDialect ?? .rfc4180))
        case .markdown: emit((line.map { "**\($0)**\n\n" } ?? "") + tables.map(\.markdown).joined(separator: "\n"))
        case .json: emit(try json())
        case .html: emit(try html())
        }
    }

    /// The HTML page's subtitle: `subtitle`, then the filter's line.
    /// The view's time (UTC ISO 8601) as people read it, Europe/Paris with the offset, then the filter's line.
    func subtitle(_ now: String) -> String {
        [PeopleTime.string(iso: now), filter.line(lang)].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " — ")
    }
}

/// Runs a view, mapping errors to exit codes (what `failure` adds in `language`).
func runView(_ language: Language, _ body: () throws -> Void) throws {
    do { try body() } catch let code as ExitCode { throw code } catch { throw failure(reporting: error, language: language) }
}

extension Cyberctl.TerritoryCommand {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Une ligne par entité : hôtes, âge, score, niveau, constats, couverture (one row per entity).")
        @OptionGroup var options: ViewOptions
        @Option(help: "Liste aussi les N règles dont la correction partout relèverait le plus le score du territoire ; le tableau de bord HTML en liste toujours 5, `findings` donne le gain de chaque règle (also list the N fixes that would raise the score most).")
        var fixes = 0

        func validate() throws {
            try requireRange(fixes, 0...1000, option: "--fixes", language: options.lang)
        }

        func run() throws {
            try runView(options.lang) {
                let views = try options.views()
                let filter = options.filter
                let lang = options.lang
                if options.format == .html {
                    let read = try DashboardRead.read(views, fixes: max(fixes, 5), filter: filter)
                    defer { KeptUntilExit.keep(read.status) }
                    emit(HTMLPage.dashboard(status: read.status, trend: read.trend, certificates: read.certificates, findings: read.findings, language: lang))
                    return
                }
                let status = try views.status(fixes: fixes, filter: filter)
                // The 20,000-row table is made only for the formats that print it.
                let tables = [.table, .markdown].contains(options.format) ? ViewTables.status(status, lang) : []
                defer { KeptUntilExit.keep((status, tables)) }
                try options.render(
                    tables: tables, export: { ExportTables.status(status, lang) }, json: { try ViewJSON.encode(status) },
                    html: { "" })  // read above, with the dashboard's other views
            }
        }
    }

    struct Findings: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Règles en échec sur le territoire, par gravité × entités (territory findings).")
        @OptionGroup var options: ViewOptions
        @Option(help: "N'affiche que les N premiers constats (first N findings only).")
        var top: Int?
        @Option(help: "Seulement les constats de cette gravité ou plus : info, low, medium, high, critical (minimum severity).")
        var severity: Severity?
        @Option(help: "En json et csv, ne nomme que les N premières entités touchées par constat (et N correctifs) ; les comptes restent complets. Par défaut toutes ; le tableau en nomme trois (entities named per finding in json and csv).")
        var affected: Int?

        func validate() throws {
            try requireRange(top, 1...1_000_000, option: "--top", language: options.lang)
            try requireRange(affected, 0...1_000_000_000, option: "--affected", language: options.lang)
        }

        func run() throws {
            try runView(options.lang) {
                // The table, markdown and HTML name three entities per finding (`ViewTables.findings`): only those are read.
                let limit = [ViewFormat.json, .csv].contains(options.format) ? affected : min(affected ?? 3, 3)
                let view = try options.views().findings(top: top, minimumSeverity: severity, filter: options.filter, affectedLimit: limit)
                // What the list could not see comes first: an empty list over unseen members is no reassurance.
                let tables = ViewTables.coverage(view.coverage, options.lang) + ViewTables.findings(view, options.lang)
                try options.render(
                    tables: tables, export: { ExportTables.findings(view, options.lang) }, json: { try ViewJSON.encode(view) },
                    html: {
                        HTMLPage.render(
                            title: options.lang == .fr ? "Constats du territoire" : "Territory findings", subtitle: options.subtitle(view.now), tables: tables,
                            language: options.lang)
                    })
            }
        }
    }

    struct Certificates: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Certificats (fichiers et services) expirant bientôt, les plus proches d'abord (expiring certificates).")
        @OptionGroup var options: ViewOptions
        @Option(help: "Fenêtre : 60j, 60d, 8sem, 8w, 24h… ; un nombre seul compte en jours ; \(DurationOption.unitsHelpFrench) (window: 60d, 8w, 24h…; a bare number counts days; \(DurationOption.unitsHelpEnglish)).")
        var expiring = DurationArgument("60j")

        /// The window of `--expiring`, in whole days (0 to 36,500).
        static let window = DurationOption.days("--expiring", examples: "60, 60j, 60d, 8sem, 8w")

        func validate() throws { _ = try Self.window.wholeValue(expiring, language: options.lang) }

        func run() throws {
            try runView(options.lang) {
                let view = try options.views().certificates(
                    expiringWithinDays: try Self.window.wholeValue(expiring, language: options.lang), filter: options.filter)
                let tables = ViewTables.coverage(view.coverage, options.lang) + ViewTables.certificates(view, options.lang)
                try options.render(
                    tables: tables, export: { ExportTables.certificates(view, options.lang) }, json: { try ViewJSON.encode(view) },
                    html: {
                        HTMLPage.render(
                            title: options.lang == .fr ? "Certificats à renouveler" : "Certificates to renew", subtitle: options.subtitle(view.now),
                            tables: tables,
                            charts: [HTMLPage.certificateTimeline(view, language: options.lang)], language: options.lang)
                    })
            }
        }
    }

    struct Agents: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Certificats d'agent expirés ou expirant bientôt, d'après le dernier rapport de chaque hôte (agent certificates to renew).")
        @OptionGroup var options: ViewOptions
        @Option(help: "Fenêtre : 30j, 30d, 4sem, 4w… ; un nombre seul compte en jours ; \(DurationOption.unitsHelpFrench) (window: 30d, 4w…; a bare number counts days; \(DurationOption.unitsHelpEnglish)).")
        var expiring = DurationArgument("\(ReportVerifier.signerExpiryWarningDays)j")

        func validate() throws {
            _ = try Certificates.window.wholeValue(expiring, language: options.lang)
            try options.filters.refuseDomain(
                "territory agents",
                because: ("le certificat de signature d'un agent n'appartient à aucun domaine de contrôle",
                          "an agent's signing certificate belongs to no check domain"),
                language: options.lang)
        }

        func run() throws {
            try runView(options.lang) {
                let view = try options.views().agentCertificates(
                    expiringWithinDays: try Certificates.window.wholeValue(expiring, language: options.lang), filter: options.filter)
                let tables = ViewTables.agentCertificates(view, options.lang)
                try options.render(
                    tables: tables, export: { ExportTables.agentCertificates(view, options.lang) }, json: { try ViewJSON.encode(view) },
                    html: {
                        HTMLPage.render(
                            title: options.lang == .fr ? "Certificats d'agent à renouveler" : "Agent certificates to renew",
                            subtitle: options.subtitle(view.now),
                            tables: tables, language: options.lang)
                    })
            }
        }
    }

    struct Host: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dernier rapport complet d'un hôte et l'évolution de son score (a host's latest report).")
        @OptionGroup var options: ViewOptions
        @Argument(help: "Nom de l'hôte, comme dans les rapports (host name).")
        var name: String

        func run() throws {
            try runView(options.lang) {
                let views = try options.views().host(name, filter: options.filter)
                try renderDetails(views, title: (options.lang == .fr ? "Hôte " : "Host ") + name, options: options)
            }
        }
    }

    struct EntityView: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "entity", abstract: "Derniers rapports d'une entité, score combiné et évolution (an entity's latest reports).")
        @OptionGroup var options: ViewOptions
        @Argument(help: "SIREN de l'entité, 9 chiffres, espaces admis : \"212 900 195\" (SIREN of the entity, spaces allowed).", transform: Identifiers.normalizedSIREN)
        var siren: String

        func validate() throws {
            try options.filters.refuseEntity(
                "territory entity",
                because: ("l'entité est le SIREN donné en argument", "the entity is the SIREN given as the argument"), language: options.lang)
            guard Identifiers.isValidSIREN(siren) else {
                throw ValidationError(
                    options.lang == .en
                        ? "SIREN \(siren): expected 9 digits with a valid Luhn check digit."
                        : "SIREN \(siren) : 9 chiffres avec une clé de Luhn valide sont attendus.")
            }
        }

        func run() throws {
            try runView(options.lang) {
                let view = try options.views().entity(siren, filter: options.filter)
                try renderDetails([view], title: view.name ?? siren, options: options)
            }
        }
    }

    struct Trend: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Score du territoire au fil du temps (territory score over time).")
        @OptionGroup var options: ViewOptions

        func validate() throws {
            try options.filters.refuseDomain(
                "territory trend",
                because: ("un point d'évolution est le score d'ensemble (`territory entity SIREN --domain D` donne le détail d'un domaine)",
                          "a trend point is the overall score (`territory entity SIREN --domain D` gives one domain's detail)"),
                language: options.lang)
        }

        func run() throws {
            try runView(options.lang) {
                let view = try options.views().trend(filter: options.filter)
                let tables = [ViewTables.trend(view.points, options.lang)]
                try options.render(
                    tables: tables, export: { ExportTables.trend(view.points, filter: view.filter, options.lang) }, json: { try ViewJSON.encode(view) },
                    html: {
                        HTMLPage.render(
                            title: options.lang == .fr ? "Évolution du territoire" : "Territory trend", subtitle: options.subtitle(view.now), tables: tables,
                            charts: [HTMLPage.trendChart(view.points, language: options.lang)], language: options.lang)
                    })
            }
        }
    }

    struct Rejected: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fichiers refusés et leurs motifs (refused files and why).")
        @OptionGroup var options: ViewOptions
        @Flag(help: "Liste aussi les refus dont les mêmes octets ont été acceptés ensuite, après correction de l'autorité ou de la CRL (also list resolved refusals).")
        var all = false

        func validate() throws {
            let reason = (fr: "un fichier refusé n'a pas d'entité vérifiée (sa signature, qui l'établirait, n'a pas été acceptée)",
                          en: "a refused file has no verified entity (its signature, which would establish it, was not accepted)")
            try options.filters.refuseEntity("territory rejected", because: reason, language: options.lang)
            try options.filters.refuseDomain("territory rejected", because: reason, language: options.lang)
        }

        func run() throws {
            try runView(options.lang) {
                let view = try options.views().rejected(includeResolved: all)
                let tables = ViewTables.rejected(view, options.lang)
                try options.render(
                    tables: tables, export: { ExportTables.rejected(view, options.lang) }, json: { try ViewJSON.encode(view) },
                    html: {
                        HTMLPage.render(
                            title: options.lang == .fr ? "Rapports refusés" : "Refused reports", subtitle: "", tables: tables, language: options.lang)
                    })
            }
        }
    }
}

func renderDetails(_ views: [DetailView], title: String, options: ViewOptions) throws {
    let lang = options.lang
    let tables = views.flatMap { ViewTables.detail($0, lang) }
    try options.render(
        tables: tables, export: { ExportTables.details(views, lang) }, json: { try ViewJSON.encode(views.count == 1 ? AnyEncodable(views[0]) : AnyEncodable(views)) },
        html: { HTMLPage.details(views, title: title, language: lang) })
}

struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

extension Domain: ExpressibleByArgument {}

/// The ingest's progress bar on stderr (terminal only): bar, count, rate, refused so far.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private let language: Language
    private let lock = NSLock()
    private var drawn = false

    init(enabled: Bool, language: Language) {
        self.enabled = enabled
        self.language = language
    }

    func update(_ progress: IngestProgress) {
        guard enabled, progress.total > 0 else { return }
        lock.withLock {
            let width = 30
            let filled = progress.done * width / progress.total
            let rate = progress.elapsed > 0 ? Int(Double(progress.done) / progress.elapsed) : 0
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let refused = language == .fr ? "refusés" : "refused"
            writeStandard(Array("\r\(bar) \(progress.done)/\(progress.total) · \(rate)/s · \(progress.rejected) \(refused)\u{1B}[K".utf8), to: STDERR_FILENO)
            drawn = true
        }
    }

    func finish() {
        lock.withLock { if drawn { writeStandard(Array("\r\u{1B}[K".utf8), to: STDERR_FILENO) } }
    }
}
