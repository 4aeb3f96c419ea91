import Agent
import ArgumentParser
import Foundation

@main
struct Cyberctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cyberctl",
        abstract: "Préparation cyber des collectivités : contrôles, rapports signés, vue du territoire (cyber readiness of local authorities).",
        discussion: """
            Pour les communes, intercommunalités et syndicats : état de préparation face aux cyberattaques et à NIS 2. \
            Textes en français par défaut ; --lang en pour l'anglais.

            Readiness of French local authorities against cyberattacks and NIS 2. French by default; --lang en for English.
            """,
        version: Scanner.version,
        subcommands: [
            Scan.self, Push.self, Cert.self, TLS.self, DomainCommand.self, Checks.self, Profiles.self, PKI.self, Enroll.self, Verify.self,
            Consolidate.self, TerritoryCommand.self, SummaryCommand.self, Nis2Command.self, Assess.self, Csirt.self,
            IncidentCommand.self, Collect.self, Plugin.self, Metrics.self, BenchmarkSigning.self,
        ]
    )

    /// argument-parser's own `main`, after two process-wide settings: SIGPIPE ignored, so that a reader
    /// closing stdout early (`scan --format json | head`) cannot kill a scan before its report file is
    /// written (see `writeStandard`); SIGXFSZ ignored, so that a write over the file size limit
    /// (`ulimit -f`, RLIMIT_FSIZE) fails with EFBIG and is reported as an I/O error (74) naming the file,
    /// instead of killing the process with a core dump and a half-written store or report.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if Plugin.isInvoked(CommandLine.arguments) { Plugin.exit(parsing: error) }
            // A usage error the parser words itself (64): French unless `--lang en` (ParserMessages).
            let code = exitCode(for: error)
            if code == .validationFailure, !ParserMessages.englishAsked(CommandLine.arguments) {
                let message = ParserMessages.french(fullMessage(for: error))
                writeStandard(Array((message.hasSuffix("\n") ? message : message + "\n").utf8), to: STDERR_FILENO)
                Foundation.exit(code.rawValue)
            }
            exit(withError: error)
        }
    }
}
