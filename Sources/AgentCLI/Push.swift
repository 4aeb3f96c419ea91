import Agent
import ArgumentParser
import Checks
import Delivery
import FoundationEssentials
import NIS2
import Model
import Trust

#if canImport(Glibc)
import Glibc
#endif

extension AgentCommand {
    /// Delivers the outbox's signed reports to the RSSI's collector.
    struct Push: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Envoie les rapports signés en attente au collecteur du RSSI (deliver pending signed reports).",
            discussion: """
                Chaque paire en attente dans la file d'envoi (remplie par `scan` quand agent.yaml a une section \
                collector:) est postée sur <collecteur>/v1/reports en TLS mutuel : le certificat inscrit de l'agent comme \
                certificat client, le collecteur vérifié avec le fichier de l'autorité du RSSI et son nom d'hôte. Une paire \
                ne quitte la file que si le collecteur répond 201 (acceptée) ou 200 (déjà reçue). 400/403/413/422 la \
                marquent refusée, gardée avec le motif, sans nouvel essai avant --retry-refused. Les échecs de connexion et \
                de TLS, les délais dépassés, 408, 429 et 5xx sont retentés aux exécutions suivantes, après une attente \
                exponentielle avec gigue (1 min, doublée jusqu'à 6 h, jamais avant le Retry-After du collecteur).

                Codes de sortie : 0 toutes les paires remises (file vide, ou pas encore créée : rien en attente) ; 75 des \
                paires attendent un nouvel essai (EX_TEMPFAIL) ; 65 des paires ont été refusées et demandent une personne \
                (voir --status) ; 78 l'URL du collecteur répond hors du protocole d'envoi (3xx, 401, 404… : mauvaise adresse \
                ou proxy ; paires gardées) (EX_CONFIG) ; 64 mauvais usage ou aucun collecteur configuré ; 66 le fichier de \
                l'autorité, le certificat ou la clé de l'agent manque ; 74 la file ne peut être ni lue ni écrite. Avec \
                --status : 0, quel que soit le contenu de la file. Avec --drop ou --drop-refused : 0 paires retirées (ou \
                aucune à retirer) ; 1 retrait refusé à la question ; 64 nom inconnu, paire non refusée, ou pas de terminal \
                pour confirmer sans --yes (rien n'est retiré).

                Each pair waiting in the outbox (filled by `scan` when agent.yaml has a collector: section) is posted \
                to <collector>/v1/reports over mutual TLS: the agent's enrolled certificate as client certificate, \
                the collector verified against the RSSI's CA file and its host name. A pair leaves the outbox only \
                when the collector answers 201 (accepted) or 200 (already received). 400/403/413/422 mark it \
                refused, kept with the reason, not retried until --retry-refused. Connection and TLS failures, \
                timeouts, 408, 429 and 5xx are retried by later runs, after an exponential backoff with jitter \
                (1 min doubling up to 6 h, never before the collector's Retry-After).

                Exit codes: 0 every pair delivered (outbox empty, or not created yet: nothing was queued); \
                75 pairs wait for a retry (EX_TEMPFAIL); 65 pairs were refused and need a person (see --status); \
                78 the collector URL answers outside the push protocol (3xx, 401, 404…: wrong address or a proxy; \
                pairs kept) (EX_CONFIG); \
                64 bad usage or no collector configured; 66 the CA file, the agent certificate or key missing; \
                74 the outbox cannot be read or written. \
                With --status: 0, whatever the outbox holds. With --drop or --drop-refused: 0 pairs removed (or none to \
                remove); 1 declined at the question; 64 unknown name, pair not refused, or no terminal to confirm on \
                without --yes (nothing removed).
                """)

        @Option(help: "URL du collecteur, https://HÔTE[:PORT] ; remplace collector.url de agent.yaml (collector URL).")
        var collector: String?

        @Option(help: "Certificat de l'autorité du RSSI (PEM) qui vérifie le collecteur ; remplace collector.ca (RSSI's CA certificate).", completion: .file())
        var ca: String?

        @Option(help: "Certificat de l'agent pour le TLS mutuel, PEM ; par défaut : signing.certificate de agent.yaml (agent certificate).", completion: .file())
        var cert: String?

        @Option(help: "Clé privée de l'agent pour le TLS mutuel, PEM, mode 0600 ; par défaut : signing.key de agent.yaml (agent private key).", completion: .file())
        var key: String?

        @Option(help: "Dossier de la file d'envoi ; par défaut : collector.outbox de agent.yaml, sinon /var/lib/cyberctl/outbox (outbox folder).", completion: .directory)
        var outbox: String?

        @Option(help: "Fichier de configuration de l'agent (agent configuration file).")
        var config: String = AgentConfiguration.defaultPath

        @Option(name: .customLong("connect-timeout"), help: "Délai de connexion TCP et TLS : 10, 10s, 1min ; un nombre seul compte en secondes ; au plus 1 h ; \(DurationOption.unitsHelpFrench) ; par défaut : collector.connect_timeout, sinon 10 s (connect timeout: 10, 10s, 1min; a bare number counts seconds; at most 1 h; \(DurationOption.unitsHelpEnglish)).")
        var connectTimeoutText: DurationArgument?

        @Option(name: .customLong("timeout"), help: "Délai d'un envoi, réponse comprise : 60, 60s, 2min ; un nombre seul compte en secondes ; au plus 1 h ; \(DurationOption.unitsHelpFrench) ; par défaut : collector.timeout, sinon 60 s (upload timeout: 60, 60s, 2min; a bare number counts seconds; at most 1 h; \(DurationOption.unitsHelpEnglish)).")
        var timeoutText: DurationArgument?

        /// `--connect-timeout` in seconds, nil when not given.
        var connectTimeout: Double? { get throws { try connectTimeoutText.map { try DurationOption.seconds("--connect-timeout", maximum: 3600).seconds($0, language: lang) } } }
        /// `--timeout` in seconds, nil when not given.
        var timeout: Double? { get throws { try timeoutText.map { try DurationOption.seconds("--timeout", maximum: 3600).seconds($0, language: lang) } } }

        @Flag(name: .customLong("retry-refused"), help: "Remet en file les paires refusées par le collecteur, puis les envoie (resend refused pairs).")
        var retryRefused = false

        @Flag(help: "Envoie aussi tout de suite les paires en attente de nouvel essai (ignore the backoff).")
        var now = false

        @Flag(help: "Liste seulement ce qui attend dans la file et pourquoi, avec la commande pour retirer une paire refusée ; n'envoie rien (list the outbox only).")
        var status = false

        @Option(name: .customLong("drop"), parsing: .singleValue, help: "Retire de la file cette paire refusée (son nom dans --status), après l'avoir montrée et demandé confirmation ; répétable ; n'envoie rien (drop this refused pair, repeatable).")
        var drop: [String] = []

        @Flag(name: .customLong("drop-refused"), help: "Retire de la file toutes les paires refusées, après les avoir montrées et demandé confirmation ; n'envoie rien (drop every refused pair).")
        var dropRefused = false

        @Flag(name: [.customShort("y"), .customLong("yes")], help: "Avec --drop ou --drop-refused : retire sans demander confirmation, pour un script ; sans terminal, --yes est obligatoire (do not ask for confirmation).")
        var yes = false

        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table

        @Option(help: "Langue des textes : fr ou en (language of what people read).")
        var lang: Language = .fr

        func validate() throws {
            let english = lang == .en
            if (key == nil) != (cert == nil) {
                throw ValidationError(english ? "Please give --key and --cert together." : "Donnez --key et --cert ensemble.")
            }
            if let collector, let problem = AgentConfiguration.Collector.problem(url: collector) {
                throw ValidationError("--collector \(problem)")
            }
            _ = try connectTimeout
            _ = try timeout
            let dropping = !drop.isEmpty || dropRefused
            if dropping && (status || retryRefused || now) {
                throw ValidationError(
                    english
                        ? "--drop and --drop-refused go alone: not with --status, --retry-refused or --now."
                        : "--drop et --drop-refused vont seuls : pas avec --status, --retry-refused ni --now.")
            }
            if !drop.isEmpty && dropRefused {
                throw ValidationError(english ? "Please give either --drop ID or --drop-refused." : "Donnez --drop ID ou --drop-refused, pas les deux.")
            }
            if yes && !dropping {
                throw ValidationError(english ? "--yes goes with --drop or --drop-refused." : "--yes va avec --drop ou --drop-refused.")
            }
        }

        func run() throws {
            let french = lang == .fr
            do {
                let configuration = try loadConfiguration()
                let outboxPath = outbox ?? configuration.collector?.outbox ?? AgentConfiguration.Collector.defaultOutbox
                if status {
                    try showStatus(outboxPath: outboxPath)
                    return
                }
                if !drop.isEmpty || dropRefused {
                    try dropPairs(outboxPath: outboxPath)
                    return
                }
                guard let url = collector ?? configuration.collector?.url else {
                    throw InputError(
                        .usage,
                        fr: "aucun collecteur configuré : ajoutez une section collector: à \(config) ou donnez --collector URL (l'agent n'envoie rien sinon)",
                        en: "no collector configured: add a collector: section to \(config) or give --collector URL (the agent sends nothing otherwise)")
                }
                let caFile = ca ?? configuration.collector?.ca ?? "/etc/cyberctl/ca.pem"
                guard let certificateFile = cert ?? configuration.signing?.certificate, let keyFile = key ?? configuration.signing?.key else {
                    throw InputError(
                        .usage,
                        fr: "pas de certificat d'agent pour le TLS mutuel : inscrivez l'agent (enroll, signing: dans agent.yaml) ou donnez --cert et --key",
                        en: "no agent certificate for mutual TLS: enrol the agent (enroll, signing: in agent.yaml) or give --cert and --key")
                }
                // The same checks as signing: files present, key private (0600) and matching the certificate.
                _ = try TrustFiles.readCertificate(caFile, what: LocalizedText(fr: "certificat de l'AC", en: "CA certificate"))
                _ = try ReportSigner(keyPath: keyFile, certificatePath: certificateFile)

                let box: Outbox
                do {
                    box = try Outbox(directory: outboxPath, create: false)
                } catch {
                    if error.missing {
                        // Nothing was ever queued here: nothing to send.
                        render(PushSummary(outcomes: [], pending: 0, refused: 0, damaged: 0))
                        return
                    }
                    throw error
                }
                guard let lock = try box.lock(wait: true, whileWaiting: {
                    note(french ? "Un autre envoi est en cours ; attente de sa fin…" : "Another push is running; waiting for it to finish…")
                }) else { return }
                defer { withExtendedLifetime(lock) {} }
                let settings = CollectorSettings(
                    endpoint: AgentConfiguration.Collector.endpoint(for: url), caFile: caFile, certificateFile: certificateFile,
                    keyFile: keyFile,
                    connectTimeout: try connectTimeout ?? configuration.collector?.connectTimeout ?? AgentConfiguration.Collector.defaultConnectTimeout,
                    timeout: try timeout ?? configuration.collector?.timeout ?? AgentConfiguration.Collector.defaultTimeout,
                    userAgent: "cyberctl/\(Scanner.version)")
                let client: CollectorClient
                do {
                    client = try CollectorClient(settings: settings)
                } catch {
                    throw InputError(.io, text: LocalizedText(fr: "libcurl : \(error.text.fr)", en: "libcurl: \(error.text.en)"))
                }
                let summary = try Pusher(outbox: box, client: client).run(options: .init(retryRefused: retryRefused, ignoreSchedule: now))
                render(summary)
                if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
            } catch let code as ExitCode {
                throw code
            } catch let error as OutboxError {
                writeStandard(Array("cyberctl: \(TerminalText.block(error.description(in: lang)))\n".utf8), to: STDERR_FILENO)
                throw ExitCode(error.missing ? 66 : 74)
            } catch {
                throw failure(reporting: error, language: lang)
            }
        }

        func loadConfiguration() throws(InputError) -> AgentConfiguration {
            if config == AgentConfiguration.defaultPath && !FileManager.default.fileExists(atPath: config) {
                return AgentConfiguration()
            }
            return try AgentConfiguration.load(path: config)
        }

        // MARK: Rendering

        func render(_ summary: PushSummary) {
            let french = lang == .fr
            switch format {
            case .json:
                let object = PushJSON(
                    outcomes: summary.outcomes, delivered: summary.outcomes.filter { $0.result == .delivered }.count,
                    duplicates: summary.outcomes.filter { $0.result == .duplicate }.count, pending: summary.pending,
                    refused: summary.refused, damaged: summary.damaged, exitCode: summary.exitCode)
                emit(encodeJSON(object))
            case .table:
                var lines: [String] = []
                for outcome in summary.outcomes { lines.append(line(for: outcome)) }
                let delivered = summary.outcomes.filter { $0.result == .delivered || $0.result == .duplicate }.count
                lines.append(
                    french
                        ? "\(delivered) rapport(s) remis ; \(summary.pending) en attente de nouvel essai ; \(summary.refused) refusé(s)" + (summary.damaged > 0 ? " ; \(summary.damaged) illisible(s)" : "")
                        : "\(delivered) report(s) delivered; \(summary.pending) waiting for a retry; \(summary.refused) refused" + (summary.damaged > 0 ? "; \(summary.damaged) unreadable" : ""))
                emit(lines.joined(separator: "\n") + "\n")
            }
        }

        func line(for outcome: PushOutcome) -> String {
            let french = lang == .fr
            let text = (french ? outcome.message : outcome.messageEN ?? outcome.message).map { " — \($0)" } ?? ""
            let status = outcome.httpStatus.map { "HTTP \($0)" }
            let code = [status, outcome.code].compactMap { $0 }.joined(separator: " ")
            let next = outcome.nextAttemptAt.map(PeopleTime.string(from:)) ?? "?"
            switch outcome.result {
            case .delivered: return "✓ \(outcome.file) — " + (french ? "remis (\(code), accepté)" : "delivered (\(code), accepted)")
            case .duplicate: return "✓ \(outcome.file) — " + (french ? "déjà reçu par le collecteur (\(code)), retiré de la file" : "already received by the collector (\(code)), removed from the outbox")
            case .refused:
                let when = outcome.previously ? (french ? " (lors d'un envoi précédent)" : " (in an earlier run)") : ""
                let revoked = outcome.code == "certificate-revoked"
                    ? (french ? " ; SIGNATAIRE RÉVOQUÉ, jamais accepté" : "; SIGNER REVOKED, never to be accepted") : ""
                return "✗ \(outcome.file) — " + (french ? "REFUSÉ\(when) (\(code))" : "REFUSED\(when) (\(code))") + text + revoked
                    + (french
                        ? " ; gardé dans la file, renvoi avec --retry-refused, retrait : \(dropCommand(outcome.name))"
                        : "; kept in the outbox, resend with --retry-refused, drop with: \(dropCommand(outcome.name))")
            case .deferred: return "↻ \(outcome.file) — " + (french ? "échec temporaire, nouvel essai après \(next)" : "temporary failure, retry after \(next)") + text
            case .notDue: return "… \(outcome.file) — " + (french ? "en attente jusqu'à \(next)" : "waiting until \(next)") + text
            case .notTried: return "… \(outcome.file) — " + (french ? "pas tenté (collecteur indisponible), nouvel essai après \(next)" : "not tried (collector unavailable), retry after \(next)")
            case .damaged: return "! \(outcome.file) — " + (french ? "entrée illisible, laissée en place" : "unreadable entry, left in place") + text
            }
        }

        /// `--status`: every entry, its state and why it waits.
        func showStatus(outboxPath: String) throws {
            let french = lang == .fr
            let entries: [OutboxEntry]
            do {
                entries = try Outbox(directory: outboxPath, create: false).entries()
            } catch {
                guard error.missing else { throw error }
                entries = []
            }
            let rows = entries.map(StatusRow.init)
            switch format {
            case .json:
                emit(encodeJSON(rows))
            case .table:
                guard !rows.isEmpty else {
                    emit(french ? "File d'envoi vide (\(outboxPath)).\n" : "Outbox empty (\(outboxPath)).\n")
                    return
                }
                var lines: [String] = []
                for row in rows {
                    let state: String
                    switch row.state {
                    case "refused" where row.signerRevoked: state = french ? "refusé (signataire révoqué)" : "refused (signer revoked)"
                    case "refused": state = french ? "refusé" : "refused"
                    case "damaged": state = french ? "illisible" : "unreadable"
                    default: state = french ? "en attente" : "pending"
                    }
                    var detail = french ? "\(row.attempts) essai(s)" : "\(row.attempts) attempt(s)"
                    if let next = row.nextAttemptAt.map(PeopleTime.string(from:)) { detail += french ? ", prochain après \(next)" : ", next after \(next)" }
                    if let refusal = row.refusal {
                        detail += " — " + Self.refusalText(refusal, french: french)
                    } else if let error = french ? row.lastErrorFR ?? row.lastError : row.lastError {
                        detail += (french ? " — dernière erreur : " : " — last error: ") + error
                    } else if let problem = french ? row.problemFR : row.problem {
                        detail += " — " + problem
                    }
                    lines.append("\(row.file.padded(56)) \(state.padded(10)) \(detail)")
                    if row.refusal != nil {
                        lines.append(
                            (french ? "    → retirer : " : "    → drop: ") + dropCommand(row.name)
                                + (french ? "  (ou renvoyer : " : "  (or resend: ") + commandLine(["--retry-refused"]) + ")")
                    }
                }
                let refused = rows.filter { $0.refusal != nil }.count
                if refused > 1 {
                    lines.append(
                        french
                            ? "Retirer les \(refused) paires refusées : \(commandLine(["--drop-refused"])) (confirmation demandée, --yes sans question)"
                            : "Drop the \(refused) refused pairs: \(commandLine(["--drop-refused"])) (asks for confirmation; --yes does not)")
                }
                lines.append(french ? "\(rows.count) rapport(s) dans \(outboxPath)" : "\(rows.count) report(s) in \(outboxPath)")
                emit(lines.joined(separator: "\n") + "\n")
            }
        }

        func encodeJSON<T: Encodable>(_ value: T) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(ISO8601.string(from: date))
            }
            return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self) + "\n"
        }
    }
}

/// `push --format json`.
struct PushJSON: Encodable {
    let outcomes: [PushOutcome]
    let delivered: Int
    let duplicates: Int
    let pending: Int
    let refused: Int
    let damaged: Int
    let exitCode: Int32
}

/// One line of `push --status`; its JSON shape too.
struct StatusRow: Encodable {
    let name: String
    let file: String
    /// pending, refused or damaged.
    let state: String
    let sha256: String?
    let queuedAt: Date?
    let attempts: Int
    let lastAttemptAt: Date?
    let nextAttemptAt: Date?
    let lastError: String?
    let lastErrorFR: String?
    let refusal: OutboxState.Refusal?
    /// The collector refused the pair because its signer's certificate is revoked (never to be accepted).
    let signerRevoked: Bool
    /// Why the entry is unreadable (damaged), in English and French.
    let problem: String?
    let problemFR: String?

    init(_ entry: OutboxEntry) {
        name = entry.name
        file = entry.fileName
        state = entry.state == nil ? "damaged" : entry.state?.refusal != nil ? "refused" : "pending"
        sha256 = entry.state?.sha256
        queuedAt = entry.state?.queuedAt
        attempts = entry.state?.attempts ?? 0
        lastAttemptAt = entry.state?.lastAttemptAt
        nextAttemptAt = entry.state?.nextAttemptAt
        lastError = entry.state?.lastError
        lastErrorFR = entry.state?.lastErrorFR
        refusal = entry.state?.refusal
        signerRevoked = entry.state?.refusal.map(AgentCommand.Push.isSignerRevoked) ?? false
        problem = entry.problem?.en
        problemFR = entry.problem?.fr
    }
}
