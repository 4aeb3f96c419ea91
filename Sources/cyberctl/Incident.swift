import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import Incidents
import NIS2
import Model
import Rendering
import Territory

// MARK: incident

/// Options of every incident command.
struct IncidentOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("lang"), help: languageOptionHelp)
    var chosenLanguage: Language?
    var lang: Language { store.config.language(chosenLanguage) }

    /// The present, for tests and replays (same forms as --aware-at).
    @Option(name: .customLong("now"), help: .hidden)
    var nowText: String?

    func now() throws(InputError) -> Date {
        guard let nowText else { return Date() }
        return try IncidentClock.parse(nowText, option: "--now")
    }

    /// The store; `readOnly` for the commands that only read (show, list, due, draft): they work on a store
    /// the user may read but not write, and write nothing to it.
    func open(create: Bool = false, readOnly: Bool = false) throws(InputError) -> TerritoryStore {
        try store.open(create: create, readOnly: readOnly, language: lang)
    }

    /// Prints `incident` with its deadlines as of `now` and whether NIS 2 binds its entity (`NIS2Standing`, from
    /// what `store` knows of the entity): the text view, or JSON for `--format json`.
    func show(_ incident: Incident, store: TerritoryStore, now: Date, format: OutputFormat = .table) throws {
        let english = lang == .en
        let entity = Self.entity(of: incident, in: store)
        let standing = NIS2Standing.of(entity, siren: incident.siren, rules: try? ScopeRules.shipped(), english: english)
        if format == .json {
            emit(try IncidentJSON.encode(IncidentJSON.Show(incident, standing: standing, entity: entity, now: now, english: english)))
        } else {
            emit(IncidentText.show(incident, standing: standing, identityWarning: entity?.disagreementWarning(english: english), now: now, english: english))
        }
    }

    /// The incident's entity as cyberctl uses it: the declared roster first, the fields it leaves empty from the newest
    /// report (`TerritoryStore.entityIdentity`); the roster alone when the report tables cannot be read; nil without SIREN.
    static func entity(of incident: Incident, in store: TerritoryStore) -> EntityIdentity? {
        incident.siren.flatMap { siren in
            (try? store.entityIdentity(siren: siren)) ?? (try? store.roster()?.member(siren)).flatMap { $0.map(EntityIdentity.init) }
        }
    }

    /// Whether NIS 2 binds the incident's entity (`entity(of:in:)`): the roster's kind and population win over a
    /// report's. A store or table that cannot be read leaves the deadlines binding (nothing is claimed).
    static func standing(of incident: Incident, in store: TerritoryStore, rules: ScopeRules?, english: Bool) -> NIS2Standing {
        NIS2Standing.of(entity(of: incident, in: store), siren: incident.siren, rules: rules, english: english)
    }

    /// `--aware-at` as typed, refused when more than `IncidentClock.futureTolerance` (5 minutes) in the future
    /// (a clock that has not started yet).
    /// - Throws: `InputError(.usage)`.
    func awareness(_ text: String, now: Date) throws(InputError) -> Date {
        let aware = try IncidentClock.parse(text, option: "--aware-at")
        guard aware <= now.addingTimeInterval(IncidentClock.futureTolerance) else {
            throw InputError(
                .usage,
                fr: "--aware-at \(IncidentClock.local(aware)) est dans le futur (il est \(IncidentClock.local(now)))",
                en: "--aware-at \(IncidentClock.local(aware)) is in the future (now \(IncidentClock.local(now)))")
        }
        return aware
    }

    /// Refuses an `--entity` that is not a SIREN (9 digits, Luhn check digit). - Throws: `InputError(.usage)`.
    func requireSIREN(_ siren: String) throws(InputError) {
        guard !Identifiers.isValidSIREN(siren) else { return }
        throw InputError(
            .usage,
            fr: "--entity \"\(siren)\" : un SIREN est attendu, 9 chiffres avec une clé de Luhn valide",
            en: "--entity \"\(siren)\": expected a SIREN, 9 digits with a valid Luhn check digit")
    }

    /// `id` as typed (`7`, `INC-7`), with an error in this command's language.
    func incidentID(_ id: String) throws(InputError) -> Int64 { try parseIncidentID(id, language: lang) }
}

extension Significance: ExpressibleByArgument {}
extension IncidentStage: ExpressibleByArgument {}
extension IncidentDraft.Format: ExpressibleByArgument {}

/// Host names as typed (`--hosts`, `--add-host`, `--remove-host`): repeated options, each possibly a
/// comma-separated list; blanks dropped.
func hostNames(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
}

/// An incident id as typed: `7` or `INC-7`.
func parseIncidentID(_ text: String, language: Language) throws(InputError) -> Int64 {
    let digits = text.uppercased().hasPrefix("INC-") ? String(text.dropFirst(4)) : text
    guard let id = Int64(digits), id > 0 else {
        throw InputError(
            .usage,
            fr: "numéro d'incident \"\(text)\" : un nombre est attendu, par exemple 3 (voir `cyberctl incident list`)",
            en: "incident id \"\(text)\": expected a number such as 3 (see `cyberctl incident list`)")
    }
    return id
}

extension Cyberctl {
    struct IncidentCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "incident",
            abstract: "Suivi d'incident : échéances NIS 2 et CNIL, journal, brouillons de déclaration (incident follow-up).",
            discussion: """
                Les échéances courent à partir de la prise de connaissance : alerte précoce NIS 2 sous 24 h, notification \
                sous 72 h, rapport final un mois après la notification (rapport intermédiaire si l'incident dure) — directive \
                (UE) 2022/2555, art. 23(4) ; CNIL sous 72 h pour une violation de données personnelles — RGPD, art. 33. Les \
                heures sont des heures écoulées ; le mois est un mois civil, heure de Paris. Dates : ISO 8601 avec décalage \
                ou Z, ou « AAAA-MM-JJ HH:MM » en heure de Paris.

                Deadlines run from the moment of awareness: NIS 2 early warning 24 h, notification 72 h, final report one \
                month after the notification (progress report if still ongoing) — Directive (EU) 2022/2555 Art. 23(4); CNIL \
                72 h for a personal-data breach — GDPR Art. 33. Hours are elapsed hours; the month is a calendar month in \
                Europe/Paris. Times: ISO 8601 with an offset or Z, or "YYYY-MM-DD HH:MM" in Europe/Paris time.
                """,
            subcommands: [Open.self, Update.self, Log.self, Show.self, List.self, Due.self, Close.self, Draft.self])
    }
}

extension Cyberctl.IncidentCommand {
    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ouvre un incident et affiche son numéro et ses échéances (open an incident).")

        @Option(help: "Intitulé court de l'incident (short title).")
        var title: String
        @Option(name: .customLong("aware-at"), help: "Prise de connaissance par l'entité : ISO 8601 avec décalage, ou \"AAAA-MM-JJ HH:MM\" heure de Paris (when the entity became aware of it).")
        var awareAt: String
        @Option(help: "SIREN de l'entité touchée, espaces admis : 212 900 195 ; par défaut : celui de la configuration de l'agent (SIREN of the entity hit, spaces allowed).", transform: Identifiers.normalizedSIREN)
        var entity: String?
        @Flag(name: .customLong("personal-data"), help: "Des données personnelles sont en cause : notification CNIL, RGPD art. 33 (personal data involved).")
        var personalData = false
        @Option(help: "Incident important au sens de NIS 2 art. 23(3) : yes, no ou unknown (significant incident).")
        var significant: Significance = .unknown
        @Option(parsing: .upToNextOption, help: "Hôtes touchés, noms comme dans les rapports ; répéter ou séparer par des virgules (hosts affected).")
        var hosts: [String] = []
        @Option(name: .customLong("agent-config"), help: "Fichier de configuration de l'agent, lu pour le SIREN sans --entity (agent configuration file).")
        var config: String = AgentConfiguration.defaultPath
        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table
        @OptionGroup var options: IncidentOptions

        func run() throws {
            let english = options.lang == .en
            do {
                let now = try options.now()
                let aware = try options.awareness(awareAt, now: now)
                let cleanTitle = title.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !cleanTitle.isEmpty else {
                    throw InputError(
                        .usage, fr: "--title : une courte description de l'incident est attendue",
                                en: "--title: expected a short description of the incident")
                }
                var siren = entity
                if siren == nil, FileManager.default.fileExists(atPath: config) {
                    siren = try AgentConfiguration.load(path: config).entity.siren
                }
                if let siren { try options.requireSIREN(siren) }
                let hostnames = hostNames(hosts)
                // Never creates a store: a mistyped --db would otherwise start a second one unnoticed (66 names the path).
                let store = try options.open()
                for host in hostnames {
                    guard try !store.knowsHost(host) else { continue }
                    note(english ? "cyberctl: note: no report of host \(host) in the store" : "cyberctl : note : aucun rapport de l'hôte \(host) dans la base")
                }
                let id = try store.openIncident(
                    NewIncident(title: cleanTitle, siren: siren, awareAt: aware, personalData: personalData, significant: significant, hosts: hostnames),
                    now: now)
                try options.show(try store.incident(id), store: store, now: now, format: format)
            } catch {
                throw failure(reporting: error, language: options.lang)
            }
        }
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ajoute une entrée au journal ; --sent STAGE consigne l'envoi d'une déclaration (log an entry).")

        @Argument(help: "Numéro de l'incident, 3 ou INC-3 (incident id).")
        var id: String
        @Argument(help: "Ce qui s'est passé ou a été fait (what happened or was done).")
        var text: String
        @Option(help: "L'entrée consigne l'envoi de cette déclaration : early-warning, notification, final ou cnil (records that this report was sent).")
        var sent: IncidentStage?
        @Option(help: "Quand ; par défaut : maintenant ; mêmes formes que --aware-at (when; default: now).")
        var at: String?
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let when = try at.map { try IncidentClock.parse($0, option: "--at") } ?? now
                let store = try options.open()
                let number = try options.incidentID(id)
                try store.logIncident(number, text: text, stage: sent, at: when, now: now)
                try options.show(try store.incident(number), store: store, now: now)
            } catch {
                throw failure(reporting: error, language: options.lang)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Affiche un incident, ses échéances et son journal (show an incident).")
        @Argument(help: "Numéro de l'incident, 3 ou INC-3 (incident id).")
        var id: String
        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let store = try options.open(readOnly: true)
                try options.show(try store.incident(try options.incidentID(id)), store: store, now: now, format: format)
            } catch {
                throw failure(reporting: error, language: options.lang)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Liste les incidents (list incidents).")
        @Flag(help: "Seulement les incidents en cours (only open incidents).")
        var open = false
        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let english = options.lang == .en
                let store = try options.open(readOnly: true)
                let incidents = try store.incidents(openOnly: open)
                if format == .json {
                    let rules = try? ScopeRules.shipped()
                    emit(try IncidentJSON.encode(incidents.map {
                        let entity = IncidentOptions.entity(of: $0, in: store)
                        return IncidentJSON.Show(
                            $0, standing: NIS2Standing.of(entity, siren: $0.siren, rules: rules, english: english), entity: entity, now: now, english: english)
                    }))
                    return
                }
                if incidents.isEmpty { emit(english ? "No incident.\n" : "Aucun incident.\n"); return }
                var rows = [[english ? "Id" : "N°", english ? "Aware at" : "Connaissance", english ? "State" : "État", english ? "Next deadline" : "Prochaine échéance", english ? "Title" : "Intitulé"]]
                for incident in incidents {
                    let next = incident.deadlines(now: now, english: english).first { !$0.isSent }
                    rows.append([
                        "\(incident.id)", IncidentClock.local(incident.awareAt),
                        incident.isOpen ? (english ? "open" : "en cours") : (english ? "closed" : "clos"),
                        next.map { "\($0.title) \($0.dueLocal) (\($0.remaining))" } ?? "—", incident.title,
                    ])
                }
                emit(IncidentText.table(rows))
            } catch {
                throw failure(reporting: error, language: options.lang)
            }
        }
    }

    struct Due: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Déclarations dues ou en retard ; code 1 s'il y en a, pour un timer ou cron (reports due or overdue; exit 1 if any).",
            discussion: """
                Liste chaque déclaration pas encore consignée comme envoyée (`incident log ID TEXTE --sent ÉTAPE`) dont \
                l'échéance est passée ou tombe dans --within, incidents clos compris (leur rapport final reste dû). Code de \
                sortie 0 s'il n'y en a aucune, 1 s'il y en a au moins une.

                Lists every report not yet logged as sent (`incident log ID TEXT --sent STAGE`) whose deadline is past or \
                within --within, closed incidents included (their final report stays due). Exit 0 when there is none, 1 \
                when there is one or more.
                """)
        @Option(help: "Fenêtre : 24h, 90min, 2j, 2d, 1sem, 1h30m, ou 0 pour les seuls retards ; l'unité est obligatoire ; \(DurationOption.unitsHelpFrench) (window: 24h, 90min, 2d, 1w, 1h30m, or 0 for overdue only; a unit is required; \(DurationOption.unitsHelpEnglish)).")
        var within = DurationArgument("24h")

        /// What `--within` accepts: a unit is required (a bare `24` could be hours or days), up to 10 years.
        static let window = DurationOption(name: "--within", unit: .days, bareNumber: false, maximum: 3650, zeroAllowed: true, examples: "24h, 90min, 2j, 2d, 1sem, 1h30m")

        func validate() throws { _ = try Self.window.seconds(within, language: options.lang) }
        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table
        @OptionGroup var options: IncidentOptions

        func run() throws {
            var due: [(Incident, IncidentDeadline)] = []
            do {
                let window = try Self.window.seconds(within, language: options.lang)
                let now = try options.now()
                let english = options.lang == .en
                let store = try options.open(readOnly: true)
                let rules = try? ScopeRules.shipped()
                for incident in try store.incidents() {
                    let entity = IncidentOptions.entity(of: incident, in: store)
                    let indicative = NIS2Standing.of(entity, siren: incident.siren, rules: rules, english: english).indicative
                    if let warning = entity?.disagreementWarning(english: english), !incident.pendingDeadlines(now: now, within: window).isEmpty {
                        note((english ? "cyberctl: warning: incident \(incident.id): " : "cyberctl : attention : incident \(incident.id) : ") + warning)
                    }
                    for var deadline in incident.pendingDeadlines(now: now, within: window, english: english) {
                        if indicative, deadline.stage != .cnil {
                            deadline.title += english ? " (indicative, see `incident show \(incident.id)`)" : " (indicatif, voir `incident show \(incident.id)`)"
                        }
                        due.append((incident, deadline))
                    }
                }
                due.sort { $0.1.due < $1.1.due }
                if format == .json {
                    struct Row: Encodable { var incident: Int64; var title: String; var deadline: IncidentDeadline }
                    emit(try IncidentJSON.encode(due.map { Row(incident: $0.0.id, title: $0.0.title, deadline: $0.1) }))
                } else if due.isEmpty {
                    emit(english ? "Nothing due within \(within.text).\n" : "Rien à déclarer d'ici \(within.text).\n")
                } else {
                    var rows = [[english ? "Id" : "N°", english ? "Report" : "Déclaration", english ? "Due" : "Échéance", english ? "State" : "État", english ? "Incident" : "Incident"]]
                    for (incident, deadline) in due {
                        rows.append(["\(incident.id)", deadline.title, deadline.dueLocal,
                                     (deadline.state == .overdue ? "⚠ " : "") + deadline.remaining, incident.title])
                    }
                    emit(IncidentText.table(rows))
                }
            } catch {
                throw failure(reporting: error, language: options.lang)
            }
            if !due.isEmpty { throw ExitCode(1) }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clôt un incident traité ; le rapport final reste dû (close an incident).")
        @Argument(help: "Numéro de l'incident, 3 ou INC-3 (incident id).")
        var id: String
        @Option(help: "Quand il a été traité ; par défaut : maintenant (when it was handled; default: now).")
        var at: String?
        @Option(help: "Note de clôture pour le journal (closing note for the log).")
        var note: String?
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let when = try at.map { try IncidentClock.parse($0, option: "--at") } ?? now
                let store = try options.open()
                let number = try options.incidentID(id)
                try store.closeIncident(number, at: when, now: now, text: note)
                try options.show(try store.incident(number), store: store, now: now)
            } catch {
                throw failure(reporting: error, language: options.lang)
            }
        }
    }

    struct Draft: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Brouillon pré-rempli d'une déclaration, en français (pre-filled French draft).")
        @Argument(help: "Numéro de l'incident, 3 ou INC-3 (incident id).")
        var id: String
        @Option(help: "Déclaration à rédiger : early-warning, notification, final ou cnil (stage).")
        var stage: IncidentStage
        @Option(help: "Format du brouillon : markdown ou text (draft format).")
        var format: IncidentDraft.Format = .markdown
        @Option(name: .customLong("agent-config"), help: "Fichier de configuration de l'agent, lu pour le département de l'entité si la base ne le connaît pas (agent configuration file).")
        var config: String = AgentConfiguration.defaultPath
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let store = try options.open(readOnly: true)
                let incident = try store.incident(try options.incidentID(id))
                let member = try incident.siren.flatMap { try store.roster()?.member($0) }
                // The roster's declaration first, its empty fields from the newest report: a report cannot move the
                // entity to another region's CSIRT.
                let entity = try incident.siren.flatMap { try store.entityIdentity(siren: $0) } ?? member.map(EntityIdentity.init)
                if let warning = entity?.disagreementWarning(english: false) { note("cyberctl : attention : " + warning) }
                let views = TerritoryViews(store: store, now: now, language: .fr)
                let hosts = try views.evidence(hosts: incident.hosts, siren: incident.siren)
                // Neither an unreadable directory nor an unreadable agent configuration stops a draft needed during an
                // incident, but neither is silent: the reason goes to stderr, and the draft says what it could not name.
                let directory: CSIRTDirectory?
                do { directory = try CSIRTDirectory.shipped() } catch {
                    directory = nil
                    note("cyberctl: annuaire des CSIRT illisible, destinataires nationaux non nommés dans le brouillon : \(error.description(english: false))")
                }
                var configured: Entity?
                if FileManager.default.fileExists(atPath: config) {
                    do { configured = try AgentConfiguration.load(path: config).entity } catch {
                        note("cyberctl: configuration de l'agent \(config) illisible, département de l'entité non lu : \(error.description(in: .fr))")
                    }
                }
                let departement = entity?.departement ?? configured?.departement
                let insee = entity?.insee ?? configured?.insee
                let territory = directory.flatMap { directory in
                    (try? lookup(directory, departement: departement, insee: departement == nil ? insee : nil, region: nil))
                }
                let draft = IncidentDraft(
                    incident: incident, stage: stage, entity: entity, hosts: hosts,
                    recipients: CsirtText.recipients(directory, territory, stage: stage), contacts: member?.contacts ?? [], now: now)
                emit(draft.render(format))
            } catch {
                throw failure(reporting: error, language: options.lang)
            }
        }
    }
}

enum IncidentText {
    /// "24h", "90m", "2d", "1h30m", "0" → seconds.
    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max()! }
        return rows.map { row in
            row.enumerated().map { $0.offset == row.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// What a report sent after its deadline means: the deadline was missed; for the CNIL, GDPR Art. 33(1) wants
    /// the notification to give the reasons for the delay.
    static func lateNote(_ deadline: IncidentDeadline, english: Bool) -> String {
        let span = IncidentClock.span(seconds: deadline.lateBy ?? 0, english: english)
        let base = english
            ? "\(deadline.title): deadline \(deadline.dueLocal) missed, sent \(span) late (\(deadline.basis))."
            : "\(deadline.title) : échéance du \(deadline.dueLocal) dépassée, envoi avec \(span) de retard (\(deadline.basis))."
        guard deadline.stage == .cnil else { return base }
        return base + (english
            ? " A notification made after 72 hours must be accompanied by the reasons for the delay (GDPR Art. 33(1))."
            : " Une notification faite après 72 heures doit être accompagnée des motifs du retard (RGPD art. 33(1)).")
    }

    static func show(_ incident: Incident, standing: NIS2Standing, identityWarning: String? = nil, now: Date, english: Bool) -> String {
        var lines: [String] = []
        lines.append("Incident \(incident.id) — \(incident.title)")
        func line(_ fr: String, _ en: String, _ value: String) { lines.append("  " + (english ? en : fr).padding(toLength: 26, withPad: " ", startingAt: 0) + value) }
        line("Entité (SIREN)", "Entity (SIREN)", incident.siren ?? "—")
        line("Prise de connaissance", "Aware at", IncidentClock.local(incident.awareAt))
        line("État", "State", incident.isOpen ? (english ? "open" : "en cours") : (english ? "closed " : "clos le ") + IncidentClock.local(incident.closedAt!))
        line("Significatif (art. 23(3))", "Significant (Art. 23(3))", english ? incident.significant.rawValue : ["yes": "oui", "no": "non", "unknown": "à déterminer"][incident.significant.rawValue]!)
        line("Données personnelles", "Personal data", incident.personalData ? (english ? "yes" : "oui") : (english ? "no" : "non"))
        line("Hôtes", "Hosts", incident.hosts.isEmpty ? "—" : incident.hosts.joined(separator: ", "))
        if let identityWarning { lines.append("  ⚠ " + (english ? "Warning: " : "Attention : ") + identityWarning) }
        lines.append("")
        let deadlines = incident.deadlines(now: now, english: english)
        if deadlines.isEmpty {
            lines.append(english ? "No legal deadline (not significant, no personal data)." : "Aucune échéance légale (non significatif, pas de données personnelles).")
        } else {
            lines.append(english ? "Deadlines (Europe/Paris time)" : "Échéances (heure de Paris)")
            var rows: [[String]] = []
            for deadline in deadlines {
                let state: String = switch deadline.state {
                case .submitted: (english ? "sent " : "envoyé le ") + IncidentClock.local(deadline.submittedAt!)
                case .late:
                    "⚠ " + (english ? "sent late (by " : "envoyé en retard (de ") + IncidentClock.span(seconds: deadline.lateBy ?? 0, english: english)
                        + (english ? ") on " : ") le ") + IncidentClock.local(deadline.submittedAt!)
                case .overdue: "⚠ " + deadline.remaining
                case .pending: deadline.remaining
                }
                rows.append(["  " + deadline.title, deadline.basis, deadline.dueLocal, state])
            }
            lines.append(table(rows).trimmingCharacters(in: .newlines))
            for deadline in deadlines where deadline.state == .late {
                lines.append("  ⚠ " + IncidentText.lateNote(deadline, english: english))
            }
            if deadlines.contains(where: { $0.stage != .cnil }) { lines.append("  " + standing.note) }
        }
        lines.append("")
        lines.append(english ? "Log" : "Journal")
        for entry in incident.log {
            lines.append("  \(IncidentClock.local(entry.at))  \(entry.text)" + (entry.stage.map { " [\(english ? "sent" : "envoi") : \($0.title(english: english))]" } ?? ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

enum IncidentJSON {
    struct Show: Encodable {
        var incident: Incident
        var deadlines: [IncidentDeadline]
        /// Whether the NIS 2 deadlines bind the entity (`indicative` true when they do not, or not as a local authority).
        var nis2: NIS2Standing
        /// Fields on which the entity's newest report contradicts the roster (the roster's value is used); empty when none.
        var identityDisagreements: [IdentityDisagreement]
        init(_ incident: Incident, standing: NIS2Standing, entity: EntityIdentity?, now: Date, english: Bool) {
            self.incident = incident
            deadlines = incident.deadlines(now: now, english: english)
            nis2 = standing
            identityDisagreements = entity?.disagreements ?? []
        }
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(IncidentClock.iso(date))
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
