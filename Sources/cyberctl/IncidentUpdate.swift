import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import Incidents
import Model
import Territory

extension Cyberctl.IncidentCommand {
    /// Corrects an incident after it was opened; each change is logged, the clocks are recomputed and shown.
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Corrige un incident : importance, données personnelles, hôtes, entité, prise de connaissance (correct an incident).",
            discussion: """
                Chaque champ réellement modifié est consigné au journal de l'incident (« Correction — champ : avant → après », \
                avec --reason s'il est donné), puis l'incident est affiché avec ses échéances recalculées : changer \
                --aware-at déplace toutes les échéances ; --significant no retire les échéances NIS 2, --personal-data \
                ajoute celle de la CNIL. Les envois déjà consignés restent consignés. Un incident clos peut être corrigé. \
                Code de sortie 64 si aucune correction n'est demandée ou si une valeur est invalide, 66 pour un incident \
                inconnu.

                Each field that really changes is logged in the incident's history ("Correction — field: before → after", \
                with --reason when given), then the incident is shown with its recomputed deadlines: changing --aware-at \
                moves every deadline; --significant no removes the NIS 2 deadlines, --personal-data adds the CNIL one. \
                Reports already logged as sent stay logged. A closed incident can be corrected. Exit 64 when no correction \
                is asked or a value is invalid, 66 for an unknown incident.
                """)

        @Argument(help: "Numéro de l'incident, 3 ou INC-3 (incident id).")
        var id: String
        @Option(help: "Incident important au sens de NIS 2 art. 23(3) : yes, no ou unknown (significant incident).")
        var significant: Significance?
        @Flag(name: .customLong("personal-data"), inversion: .prefixedNo, help: "Des données personnelles sont en cause, ou non avec --no-personal-data (personal data involved, or not).")
        var personalData: Bool?
        @Option(name: .customLong("aware-at"), help: "Nouvelle prise de connaissance : ISO 8601 avec décalage, ou \"AAAA-MM-JJ HH:MM\" heure de Paris ; les échéances sont recalculées (corrected time of awareness).")
        var awareAt: String?
        @Option(help: "SIREN de l'entité touchée, espaces admis : 212 900 195 (SIREN of the entity hit, spaces allowed).", transform: Identifiers.normalizedSIREN)
        var entity: String?
        @Option(help: "Nouvel intitulé (new title).")
        var title: String?
        @Option(name: .customLong("add-host"), parsing: .singleValue, help: "Hôte à ajouter, répétable ou séparé par des virgules (host to add, repeatable).")
        var addHosts: [String] = []
        @Option(name: .customLong("remove-host"), parsing: .singleValue, help: "Hôte à retirer, répétable ou séparé par des virgules (host to remove, repeatable).")
        var removeHosts: [String] = []
        @Option(help: "Motif de la correction, ajouté à chaque entrée du journal (why, added to each log entry).")
        var reason: String?
        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table
        @OptionGroup var options: IncidentOptions

        func run() throws {
            let english = options.lang == .en
            do {
                let now = try options.now()
                var changes = IncidentChanges(
                    siren: entity, personalData: personalData, significant: significant,
                    addHosts: hostNames(addHosts), removeHosts: hostNames(removeHosts))
                if let title {
                    let clean = title.trimmingCharacters(in: .whitespacesAndNewlines)
                    guard !clean.isEmpty else {
                        throw InputError(
                            .usage, fr: "--title : une courte description de l'incident est attendue",
                                    en: "--title: expected a short description of the incident")
                    }
                    changes.title = clean
                }
                if let awareAt { changes.awareAt = try options.awareness(awareAt, now: now) }
                if let entity { try options.requireSIREN(entity) }
                guard !changes.isEmpty else {
                    throw InputError(
                        .usage,
                        fr: "rien à corriger : donnez au moins une option parmi --significant, --personal-data/--no-personal-data, --aware-at, --entity, --title, --add-host, --remove-host",
                        en: "nothing to correct: give at least one of --significant, --personal-data/--no-personal-data, --aware-at, --entity, --title, --add-host, --remove-host")
                }
                let store = try options.open()
                let number = try options.incidentID(id)
                let before = try store.incident(number)
                for host in changes.addHosts where try !store.knowsHost(host) {
                    note(english ? "cyberctl: note: no report of host \(host) in the store" : "cyberctl : note : aucun rapport de l'hôte \(host) dans la base")
                }
                let applied = try store.updateIncident(number, changes, reason: reason, at: now)
                let after = try store.incident(number)
                if format == .table {
                    note(Self.summary(applied, before: before, after: after, now: now, english: english))
                }
                try options.show(after, store: store, now: now, format: format)
            } catch {
                throw failure(reporting: error, language: options.lang)
            }
        }

        /// What changed, and which deadlines moved (stderr, so that stdout stays the incident as `show` prints it).
        static func summary(_ applied: [IncidentChange], before: Incident, after: Incident, now: Date, english: Bool) -> String {
            guard !applied.isEmpty else {
                return english ? "cyberctl: nothing changed: the incident already had these values" : "cyberctl : rien n'a changé : l'incident avait déjà ces valeurs"
            }
            var lines = applied.map { "cyberctl : " + (english ? "corrected — " : "corrigé — ") + $0.text(english: english) }
            let old = Dictionary(before.deadlines(now: now, english: english).map { ($0.stage, $0) }, uniquingKeysWith: { first, _ in first })
            let new = Dictionary(after.deadlines(now: now, english: english).map { ($0.stage, $0) }, uniquingKeysWith: { first, _ in first })
            for stage in IncidentStage.allCases {
                switch (old[stage], new[stage]) {
                case let (was?, now?) where was.due != now.due:
                    lines.append("cyberctl : " + (english ? "deadline moved — " : "échéance déplacée — ") + "\(now.title) : \(was.dueLocal) → \(now.dueLocal)")
                case let (nil, now?):
                    lines.append("cyberctl : " + (english ? "new deadline — " : "nouvelle échéance — ") + "\(now.title) : \(now.dueLocal) (\(now.remaining))")
                case let (was?, nil):
                    lines.append("cyberctl : " + (english ? "deadline removed — " : "échéance retirée — ") + was.title)
                default:
                    break
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}
