import Agent
import ArgumentParser
import Checks
import Foundation
import NIS2
import Territory

// MARK: csirt

extension Cyberctl {
    /// Who to call: regional CSIRT, ANSSI delegation, CERT-FR, 17Cyber.
    struct Csirt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Contacts en cas d'incident : CSIRT régional, délégation ANSSI, CERT-FR, 17Cyber (incident contacts).",
            discussion: """
                Without an option, the département (else INSEE code, else region) of the agent configuration's entity is used. \
                Data: Profiles/nis2/csirt.yaml (source and date inside; edit it to keep the contacts current). Exit 64 for an \
                unknown code or region, 65 for a malformed data file.
                """)

        @Option(help: "Département or overseas collectivity code (29, 2A, 974, 987).")
        var departement: String?
        @Option(help: "Region name (Bretagne, Île-de-France, PACA…).")
        var region: String?
        @Option(help: "INSEE commune code (29019, 2A004, 97411).")
        var insee: String?
        @Option(help: "Agent configuration file, read when no option is given.")
        var config: String = AgentConfiguration.defaultPath
        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table
        @Option(help: "Language of what people read: fr or en.")
        var lang: Language = .fr

        func validate() throws {
            if [departement, region, insee].compactMap({ $0 }).count > 1 {
                throw ValidationError("Give only one of --departement, --region, --insee.")
            }
        }

        func run() throws {
            do {
                let directory = try CSIRTDirectory.shipped()
                let territory: CSIRTDirectory.Territory
                if departement != nil || region != nil || insee != nil {
                    territory = try lookup(directory, departement: departement, insee: insee, region: region)
                } else {
                    guard FileManager.default.fileExists(atPath: config) else {
                        throw InputError(.usage, "no --departement, --region or --insee, and no agent configuration at \(config) to read the entity from")
                    }
                    let entity = try AgentConfiguration.load(path: config).entity
                    guard entity.departement != nil || entity.insee != nil || entity.region != nil else {
                        throw InputError(.usage, "\(config): the entity has no departement, insee or region; give --departement, --region or --insee")
                    }
                    territory = try lookup(directory, departement: entity.departement, insee: entity.insee, region: entity.region)
                }
                let text = try format == .json ? CsirtJSON.encode(directory, territory) : CsirtText.render(directory, territory, english: lang == .en)
                emit(text)
            } catch {
                throw failure(reporting: error)
            }
        }
    }
}

/// The territory for whichever of the codes is given (département first).
func lookup(_ directory: CSIRTDirectory, departement: String?, insee: String?, region: String?) throws(InputError) -> CSIRTDirectory.Territory {
    do {
        if let departement { return try directory.territory(departement: departement) }
        if let insee { return try directory.territory(insee: insee) }
        return try directory.territory(region: region ?? "")
    } catch {
        throw InputError(.usage, error.description)
    }
}

enum CsirtText {
    static func render(_ directory: CSIRTDirectory, _ territory: CSIRTDirectory.Territory, english: Bool) -> String {
        var lines: [String] = []
        lines.append(english ? "Incident contacts — \(territory.name)" : "Contacts en cas d'incident — \(territory.name)")
        lines.append("")
        if let csirt = territory.csirt {
            lines.append((english ? "Regional CSIRT         " : "CSIRT régional         ") + csirt.name)
            lines.append((english ? "  Phone                " : "  Téléphone            ") + (csirt.phone ?? (english ? "none published" : "aucun publié")))
            if let website = csirt.website { lines.append((english ? "  Website              " : "  Site                 ") + website) }
        } else {
            lines.append(english ? "Regional CSIRT         none listed by ANSSI for this territory" : "CSIRT régional         aucun recensé par l'ANSSI pour ce territoire")
        }
        if let note = territory.note { lines.append("  ⚠ " + note.text(english: english)) }
        lines.append((english ? "ANSSI delegation       " : "Délégation ANSSI       ") + territory.anssiMailbox)
        lines.append((english ? "CERT-FR declaration    " : "Déclaration CERT-FR    ") + directory.national.certFRDeclaration)
        lines.append((english ? "NIS 2 declaration      " : "Déclaration NIS 2      ") + directory.national.nis2Declaration)
        lines.append((english ? "CERT-FR contacts       " : "Contacts CERT-FR       ") + directory.national.certFRContact)
        lines.append("17Cyber                " + directory.national.cyber17Website + " (" + (english ? "diagnostic: " : "diagnostic : ") + directory.national.cyber17Diagnostic + ")")
        lines.append("")
        lines.append(english ? "Source: \(directory.source), data of \(directory.version)" : "Source : \(directory.source), données du \(directory.version)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Recipient lines for a draft of `stage`.
    static func recipients(_ directory: CSIRTDirectory?, _ territory: CSIRTDirectory.Territory?, stage: IncidentStage) -> [String] {
        var lines: [String] = []
        if stage == .cnil {
            lines.append("CNIL : notification de violation de données personnelles par le téléservice de la CNIL (www.cnil.fr)")
        } else if let directory {
            lines.append("CERT-FR (ANSSI) : déclaration NIS 2 sur \(directory.national.nis2Declaration)")
        }
        if let territory {
            if let csirt = territory.csirt {
                lines.append("CSIRT régional : \(csirt.name)\(csirt.phone.map { ", tél. \($0)" } ?? "")\(csirt.website.map { ", \($0)" } ?? "")")
            } else {
                lines.append("CSIRT régional : aucun recensé par l'ANSSI pour \(territory.name)")
            }
            lines.append("Délégation régionale de l'ANSSI : \(territory.anssiMailbox)")
        } else {
            lines.append("CSIRT régional : \(IncidentDraftText.unknown) (département de l'entité inconnu ; voir `cyberctl csirt --departement CODE`)")
        }
        if let directory { lines.append("17Cyber : \(directory.national.cyber17Website)") }
        return lines
    }
}

enum IncidentDraftText { static let unknown = "[À compléter]" }

enum CsirtJSON {
    struct Output: Encodable {
        var territory: String
        var departements: [String]
        var csirt: CSIRTDirectory.CSIRT?
        var note: LocalizedText?
        var anssiMailbox: String
        var national: CSIRTDirectory.National
        var source: String
        var version: String
    }

    static func encode(_ directory: CSIRTDirectory, _ territory: CSIRTDirectory.Territory) throws -> String {
        try ViewJSON.encode(Output(
            territory: territory.name, departements: territory.departements, csirt: territory.csirt, note: territory.note,
            anssiMailbox: territory.anssiMailbox, national: directory.national, source: directory.source, version: directory.version))
    }
}

// MARK: incident

/// Options of every incident command.
struct IncidentOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions

    @Option(help: "Language of what people read: fr or en.")
    var lang: Language = .fr

    /// The present, for tests and replays (same forms as --aware-at).
    @Option(name: .customLong("now"), help: .hidden)
    var nowText: String?

    func now() throws(InputError) -> Date {
        guard let nowText else { return Date() }
        return try IncidentClock.parse(nowText, option: "--now")
    }

    func open(create: Bool = false) throws(InputError) -> TerritoryStore { try TerritoryStore(path: store.path, create: create) }
}

extension Significance: ExpressibleByArgument {}
extension IncidentStage: ExpressibleByArgument {}
extension IncidentDraft.Format: ExpressibleByArgument {}

/// An incident id as typed: `7` or `INC-7`.
func incidentID(_ text: String) throws(InputError) -> Int64 {
    let digits = text.uppercased().hasPrefix("INC-") ? String(text.dropFirst(4)) : text
    guard let id = Int64(digits), id > 0 else { throw InputError(.usage, "incident id \"\(text)\": expected a number such as 3 (see `cyberctl incident list`)") }
    return id
}

extension Cyberctl {
    struct IncidentCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "incident",
            abstract: "Suivi d'incident : échéances NIS 2 et CNIL, journal, brouillons de déclaration (incident follow-up).",
            discussion: """
                Deadlines run from the moment of awareness: NIS 2 early warning 24 h, notification 72 h, final report one \
                month after the notification (progress report if still ongoing) — Directive (EU) 2022/2555 Art. 23(4); CNIL \
                72 h for a personal-data breach — GDPR Art. 33. Hours are elapsed hours; the month is a calendar month in \
                Europe/Paris. Times: ISO 8601 with an offset or Z, or "YYYY-MM-DD HH:MM" in Europe/Paris time.
                """,
            subcommands: [Open.self, Log.self, Show.self, List.self, Due.self, Close.self, Draft.self])
    }
}

extension Cyberctl.IncidentCommand {
    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ouvre un incident et affiche son numéro et ses échéances (open an incident).")

        @Option(help: "Short title of the incident.")
        var title: String
        @Option(name: .customLong("aware-at"), help: "When the entity became aware of it (ISO 8601 with offset, or \"YYYY-MM-DD HH:MM\" Paris time).")
        var awareAt: String
        @Option(help: "SIREN of the entity hit (default: the agent configuration's).")
        var entity: String?
        @Flag(name: .customLong("personal-data"), help: "Personal data is involved (CNIL notification, GDPR Art. 33).")
        var personalData = false
        @Option(help: "Significant incident (NIS 2 Art. 23(3)): yes, no or unknown.")
        var significant: Significance = .unknown
        @Option(parsing: .upToNextOption, help: "Hosts affected (names as in the reports); repeat or separate with commas.")
        var hosts: [String] = []
        @Option(help: "Agent configuration file, read for the SIREN when --entity is not given.")
        var config: String = AgentConfiguration.defaultPath
        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let aware = try IncidentClock.parse(awareAt, option: "--aware-at")
                guard aware <= now.addingTimeInterval(300) else {
                    throw InputError(.usage, "--aware-at \(IncidentClock.local(aware)) is in the future (now \(IncidentClock.local(now)))")
                }
                let cleanTitle = title.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !cleanTitle.isEmpty else { throw InputError(.usage, "--title: expected a short description of the incident") }
                var siren = entity
                if siren == nil, FileManager.default.fileExists(atPath: config) {
                    siren = try AgentConfiguration.load(path: config).entity.siren
                }
                if let siren, !Identifiers.isValidSIREN(siren) {
                    throw InputError(.usage, "--entity \"\(siren)\": expected a SIREN, 9 digits with a valid Luhn check digit")
                }
                let hostnames = hosts.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
                let store = try options.open(create: true)
                for host in hostnames {
                    guard try !store.knowsHost(host) else { continue }
                    note(options.lang == .en ? "cyberctl: note: no report of host \(host) in the store" : "cyberctl : note : aucun rapport de l'hôte \(host) dans la base")
                }
                let id = try store.openIncident(
                    NewIncident(title: cleanTitle, siren: siren, awareAt: aware, personalData: personalData, significant: significant, hosts: hostnames),
                    now: now)
                let incident = try store.incident(id)
                if format == .json { emit(try IncidentJSON.encode(IncidentJSON.Show(incident, now: now, english: options.lang == .en))) } else {
                    emit(IncidentText.show(incident, now: now, english: options.lang == .en))
                }
            } catch {
                throw failure(reporting: error)
            }
        }
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ajoute une entrée au journal ; --sent STAGE consigne l'envoi d'une déclaration (log an entry).")

        @Argument(help: "Incident id.")
        var id: String
        @Argument(help: "What happened or was done.")
        var text: String
        @Option(help: "This entry records that the report of this stage was sent: early-warning, notification, final or cnil.")
        var sent: IncidentStage?
        @Option(help: "When (default: now); same forms as --aware-at.")
        var at: String?
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let when = try at.map { try IncidentClock.parse($0, option: "--at") } ?? now
                let store = try options.open()
                try store.logIncident(try incidentID(id), text: text, stage: sent, at: when)
                emit(IncidentText.show(try store.incident(try incidentID(id)), now: now, english: options.lang == .en))
            } catch {
                throw failure(reporting: error)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Affiche un incident, ses échéances et son journal (show an incident).")
        @Argument(help: "Incident id.")
        var id: String
        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let incident = try options.open().incident(try incidentID(id))
                if format == .json { emit(try IncidentJSON.encode(IncidentJSON.Show(incident, now: now, english: options.lang == .en))) } else {
                    emit(IncidentText.show(incident, now: now, english: options.lang == .en))
                }
            } catch {
                throw failure(reporting: error)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Liste les incidents (list incidents).")
        @Flag(help: "Only incidents still open.")
        var open = false
        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let english = options.lang == .en
                let incidents = try options.open().incidents(openOnly: open)
                if format == .json { emit(try IncidentJSON.encode(incidents.map { IncidentJSON.Show($0, now: now, english: english) })); return }
                if incidents.isEmpty { emit(english ? "No incident.\n" : "Aucun incident.\n"); return }
                var rows = [[english ? "Id" : "N°", english ? "Aware at" : "Connaissance", english ? "State" : "État", english ? "Next deadline" : "Prochaine échéance", english ? "Title" : "Intitulé"]]
                for incident in incidents {
                    let next = incident.deadlines(now: now, english: english).first { $0.state != .submitted }
                    rows.append([
                        "\(incident.id)", IncidentClock.local(incident.awareAt),
                        incident.isOpen ? (english ? "open" : "en cours") : (english ? "closed" : "clos"),
                        next.map { "\($0.title) \($0.dueLocal) (\($0.remaining))" } ?? "—", incident.title,
                    ])
                }
                emit(IncidentText.table(rows))
            } catch {
                throw failure(reporting: error)
            }
        }
    }

    struct Due: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Déclarations dues ou en retard ; code 1 s'il y en a (for a timer or cron).",
            discussion: "Lists every report not yet logged as sent (`incident log ID TEXT --sent STAGE`) whose deadline is past or within --within, closed incidents included (their final report stays due). Exit 0 when there is none, 1 when there is one or more.")
        @Option(help: "Window: 24h, 90m, 2d, or 0 for overdue only.")
        var within = "24h"
        @Option(help: "Output format: table or json.")
        var format: OutputFormat = .table
        @OptionGroup var options: IncidentOptions

        func run() throws {
            var due: [(Incident, IncidentDeadline)] = []
            do {
                let window = try IncidentText.duration(within)
                let now = try options.now()
                let english = options.lang == .en
                for incident in try options.open().incidents() {
                    for deadline in incident.deadlines(now: now, english: english) where deadline.state != .submitted && deadline.due <= now.addingTimeInterval(window) {
                        due.append((incident, deadline))
                    }
                }
                due.sort { $0.1.due < $1.1.due }
                if format == .json {
                    struct Row: Encodable { var incident: Int64; var title: String; var deadline: IncidentDeadline }
                    emit(try IncidentJSON.encode(due.map { Row(incident: $0.0.id, title: $0.0.title, deadline: $0.1) }))
                } else if due.isEmpty {
                    emit(english ? "Nothing due within \(within).\n" : "Rien à déclarer d'ici \(within).\n")
                } else {
                    var rows = [[english ? "Id" : "N°", english ? "Report" : "Déclaration", english ? "Due" : "Échéance", english ? "State" : "État", english ? "Incident" : "Incident"]]
                    for (incident, deadline) in due {
                        rows.append(["\(incident.id)", deadline.title, deadline.dueLocal,
                                     (deadline.state == .overdue ? "⚠ " : "") + deadline.remaining, incident.title])
                    }
                    emit(IncidentText.table(rows))
                }
            } catch {
                throw failure(reporting: error)
            }
            if !due.isEmpty { throw ExitCode(1) }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clôt un incident traité ; le rapport final reste dû (close an incident).")
        @Argument(help: "Incident id.")
        var id: String
        @Option(help: "When it was handled (default: now).")
        var at: String?
        @Option(help: "Closing note for the log.")
        var note: String?
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let when = try at.map { try IncidentClock.parse($0, option: "--at") } ?? now
                let store = try options.open()
                try store.closeIncident(try incidentID(id), at: when, text: note)
                emit(IncidentText.show(try store.incident(try incidentID(id)), now: now, english: options.lang == .en))
            } catch {
                throw failure(reporting: error)
            }
        }
    }

    struct Draft: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Brouillon pré-rempli d'une déclaration, en français (pre-filled French draft).")
        @Argument(help: "Incident id.")
        var id: String
        @Option(help: "early-warning, notification, final or cnil.")
        var stage: IncidentStage
        @Option(help: "markdown or text.")
        var format: IncidentDraft.Format = .markdown
        @Option(help: "Agent configuration file, read for the entity's département when the store does not know it.")
        var config: String = AgentConfiguration.defaultPath
        @OptionGroup var options: IncidentOptions

        func run() throws {
            do {
                let now = try options.now()
                let store = try options.open()
                let incident = try store.incident(try incidentID(id))
                let entity = try incident.siren.flatMap { try store.entityIdentity(siren: $0) }
                let views = TerritoryViews(store: store, now: now, language: .fr)
                let hosts = try views.evidence(hosts: incident.hosts, siren: incident.siren)
                let directory = try? CSIRTDirectory.shipped()
                var configured: Entity?
                if FileManager.default.fileExists(atPath: config) { configured = try? AgentConfiguration.load(path: config).entity }
                let departement = entity?.departement ?? configured?.departement
                let insee = entity?.insee ?? configured?.insee
                let territory = directory.flatMap { directory in
                    (try? lookup(directory, departement: departement, insee: departement == nil ? insee : nil, region: nil))
                }
                let draft = IncidentDraft(
                    incident: incident, stage: stage, entity: entity, hosts: hosts,
                    recipients: CsirtText.recipients(directory, territory, stage: stage), now: now)
                emit(draft.render(format))
            } catch {
                throw failure(reporting: error)
            }
        }
    }
}

enum IncidentText {
    /// "24h", "90m", "2d", "1h30m", "0" → seconds.
    static func duration(_ text: String) throws(InputError) -> TimeInterval {
        if text == "0" { return 0 }
        var total = 0.0, number = ""
        for character in text.lowercased() {
            if character.isNumber { number.append(character); continue }
            let units: [Character: Double] = ["d": 86_400, "j": 86_400, "h": 3600, "m": 60]
            guard let value = Double(number), let unit = units[character] else {
                throw InputError(.usage, "--within \"\(text)\": expected a duration such as 24h, 90m, 2d or 1h30m")
            }
            total += value * unit
            number = ""
        }
        guard number.isEmpty, !text.isEmpty else { throw InputError(.usage, "--within \"\(text)\": expected a duration such as 24h, 90m, 2d or 1h30m (with a unit)") }
        return total
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max()! }
        return rows.map { row in
            row.enumerated().map { $0.offset == row.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func show(_ incident: Incident, now: Date, english: Bool) -> String {
        var lines: [String] = []
        lines.append("Incident \(incident.id) — \(incident.title)")
        func line(_ fr: String, _ en: String, _ value: String) { lines.append("  " + (english ? en : fr).padding(toLength: 26, withPad: " ", startingAt: 0) + value) }
        line("Entité (SIREN)", "Entity (SIREN)", incident.siren ?? "—")
        line("Prise de connaissance", "Aware at", IncidentClock.local(incident.awareAt))
        line("État", "State", incident.isOpen ? (english ? "open" : "en cours") : (english ? "closed " : "clos le ") + IncidentClock.local(incident.closedAt!))
        line("Significatif (art. 23(3))", "Significant (Art. 23(3))", english ? incident.significant.rawValue : ["yes": "oui", "no": "non", "unknown": "à déterminer"][incident.significant.rawValue]!)
        line("Données personnelles", "Personal data", incident.personalData ? (english ? "yes" : "oui") : (english ? "no" : "non"))
        line("Hôtes", "Hosts", incident.hosts.isEmpty ? "—" : incident.hosts.joined(separator: ", "))
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
                case .overdue: "⚠ " + deadline.remaining
                case .pending: deadline.remaining
                }
                rows.append(["  " + deadline.title, deadline.basis, deadline.dueLocal, state])
            }
            lines.append(table(rows).trimmingCharacters(in: .newlines))
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
        init(_ incident: Incident, now: Date, english: Bool) {
            self.incident = incident
            deadlines = incident.deadlines(now: now, english: english)
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
