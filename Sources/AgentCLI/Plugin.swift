import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import FoundationGaps
import Logging
import Model
import Monitoring

#if canImport(Glibc)
import Glibc
#endif

extension FigureKind: ExpressibleByArgument {}

extension AgentCommand {
    /// Runs checks as a monitoring plugin (Nagios, Icinga, Centreon, Naemon, Shinken, NRPE): one status
    /// line, long output, performance data, exit 0–3. Writes no report. docs/monitoring.md.
    struct Plugin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exécute des contrôles comme un plugin de supervision : Centreon, Nagios, Icinga, NRPE (run checks as a monitoring plugin).",
            discussion: """
                Sortie 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (arguments invalides, contrôle en erreur, rien de vérifié). \
                Un échec de gravité high ou critical donne CRITICAL ; les autres constats WARNING. \
                -w et -c (syntaxe des Monitoring Plugins : 10, 10:, ~:10, 10:20, @10:20) s'appliquent à chaque mesure \
                de --metric et ne font qu'ajouter des alertes. Aucun rapport n'est écrit. Voir docs/monitoring.md.

                Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments, a check that erred, nothing verified). \
                A fail of severity high or critical is CRITICAL; other findings WARNING. -w and -c (Monitoring Plugins \
                range syntax) apply to every figure of --metric and only add alerts. No report is written.
                """)

        @OptionGroup var selection: ScanSelection

        @Option(name: [.short, .customLong("warning")], help: "Seuil d'avertissement sur --metric, syntaxe des Monitoring Plugins : 30: alerte sous 30, ~:20 au-dessus de 20, @10:20 entre les deux (warning range on --metric).")
        var warning: String?

        @Option(name: [.short, .customLong("critical")], help: "Seuil critique sur --metric, même syntaxe (critical range on --metric).")
        var critical: String?

        @Option(help: "Mesure à laquelle s'appliquent -w et -c : days-left (jours restants par certificat), security-updates, pending-updates, backup-age (secondes), score (figure -w/-c apply to).")
        var metric: FigureKind = .daysLeft

        @Option(name: .customLong("max-bytes"), help: "Taille maximale de la sortie, en octets, de 1024 à 65536 : 1024 pour NRPE 2, 65536 pour NRPE 3 et 4 (output bound, bytes).")
        var maxBytes: Int = MonitoringPlugin.defaultMaxBytes

        @Option(name: [.short, .customLong("timeout")], help: "Délai maximal du contrôle ; au-delà : UNKNOWN ; un nombre seul compte en secondes (timeout; UNKNOWN past it).")
        var timeout = DurationArgument("50")

        @Option(help: "Langue des textes : fr ou en ; les mots d'état OK, WARNING, CRITICAL, UNKNOWN restent en anglais (language).")
        var lang: Language = .fr

        func validate() throws {
            _ = try thresholds()
            try requireRange(maxBytes, MonitoringPlugin.minimumMaxBytes...65_536, option: "--max-bytes", language: lang)
            _ = try DurationOption.seconds("--timeout", maximum: 3600).seconds(timeout, language: lang)
        }

        /// `-w`/`-c` read with the guidelines' range syntax; nil when neither is given.
        func thresholds() throws(ValidationError) -> PluginThresholds? {
            guard warning != nil || critical != nil else { return nil }
            func range(_ text: String?, _ option: String) throws(ValidationError) -> ThresholdRange? {
                guard let text else { return nil }
                guard let range = ThresholdRange(text) else {
                    throw ValidationError(
                        lang == .en
                            ? "\(option) \"\(text)\": expected a range such as 10, 10:, ~:10, 10:20 or @10:20 (C-locale numbers, start <= end)"
                            : "\(option) « \(text) » : une plage est attendue, par exemple 10, 10:, ~:10, 10:20 ou @10:20 (nombres avec un point, début <= fin)")
                }
                return range
            }
            return PluginThresholds(metric: metric, warning: try range(warning, "-w"), critical: try range(critical, "-c"))
        }

        func run() async throws {
            // Standard output is the plugin's answer: anything logged goes to stderr.
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            let plugin = MonitoringPlugin(thresholds: try thresholds(), language: lang, maxBytes: maxBytes)
            let answer = PluginAnswer()
            let seconds = try DurationOption.seconds("--timeout", maximum: 3600).seconds(timeout, language: lang)
            let watchdog = Task.detached { [lang] in
                try await Task.sleep(for: .seconds(seconds))
                answer.give(MonitoringPlugin.unknown(
                    lang == .en ? "timed out after \(timeout.text): nothing verified" : "délai dépassé (\(timeout.text)) : rien n'a été vérifié"))
            }
            let result: PluginResult
            do {
                result = plugin.evaluate(try await selection.scan())
            } catch {
                let message = switch error {
                case let error as InputError: error.description
                case let error as AtomicFileError: error.description
                default: "\(error)"
                }
                result = MonitoringPlugin.unknown(message)
            }
            watchdog.cancel()
            answer.give(result)
        }

        /// Whether `arguments` (the process's) run this command: its parse errors then answer UNKNOWN.
        static func isInvoked(_ arguments: [String]) -> Bool { arguments.dropFirst().first == "plugin" }

        /// A command line this command could not parse (or `--help`): help and version as usual; anything
        /// else UNKNOWN on stdout, the usage on stderr, exit 3 (never argument-parser's 64, which a
        /// monitoring server would read as an unknown state code).
        static func exit(parsing error: any Error, root: any ParsableCommand.Type) -> Never {
            if root.exitCode(for: error) == .success { root.exit(withError: error) }
            let result = MonitoringPlugin.unknown(root.message(for: error))
            writeStandard(Array(result.text.utf8), to: STDOUT_FILENO)
            writeStandard(Array((root.fullMessage(for: error) + "\n").utf8), to: STDERR_FILENO)
            Glibc.exit(result.state.exitCode)
        }
    }
}

/// The one answer a plugin run gives, from the scan or from the timeout, whichever comes first: printed,
/// then the process ends at once with its state.
final class PluginAnswer: @unchecked Sendable {
    private let lock = Lock()
    private var given = false

    func give(_ result: PluginResult) {
        let first = lock.withLock {
            defer { given = true }
            return !given
        }
        guard first else { return }
        writeStandard(Array(result.text.utf8), to: STDOUT_FILENO)
        // _exit, not exit: the answer is written (write(2), nothing buffered), and exit's handlers must not run
        // while the scan's threads may still be working (a plugin that hangs after answering is killed by
        // Nagios at its service_check_timeout, and its state lost).
        _exit(result.state.exitCode)
    }
}
