import Agent
import ArgumentParser
import Checks
import Foundation

extension Cyberctl {
    /// Runs the certificate rules on the given files.
    struct Cert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Contrôle des fichiers de certificats (check certificate files: PEM, DER, PKCS#12).")

        @Argument(help: "Fichiers de certificats : PEM, DER, PKCS#12 sans mot de passe (certificate files).", completion: .file())
        var files: [String]

        @Option(name: .customLong("warning-days"), help: "Avertissement sous cette durée restante : 30, 30j, 30d, 4sem, 4w ; un nombre seul compte en jours ; \(DurationOption.unitsHelpFrench) (warn under this much time left: 30, 30d, 4w; a bare number counts days; \(DurationOption.unitsHelpEnglish)).")
        var warning = DurationArgument("30")

        @Option(name: .customLong("critical-days"), help: "Échec sous cette durée restante : 14, 14j, 14d, 2sem, 2w ; un nombre seul compte en jours ; \(DurationOption.unitsHelpFrench) (fail under this much time left: 14, 14d, 2w; a bare number counts days; \(DurationOption.unitsHelpEnglish)).")
        var critical = DurationArgument("14")

        /// `--warning-days` in whole days.
        var warningDays: Int { get throws { try DurationOption.days("--warning-days").wholeValue(warning, language: options.lang) } }
        /// `--critical-days` in whole days.
        var criticalDays: Int { get throws { try DurationOption.days("--critical-days").wholeValue(critical, language: options.lang) } }

        @OptionGroup var options: RunOptions

        func validate() throws {
            let english = options.lang == .en
            guard !files.isEmpty else {
                throw ValidationError(english ? "Please give at least one certificate file." : "Donnez au moins un fichier de certificat.")
            }
            let criticalDays = try self.criticalDays, warningDays = try self.warningDays
            guard criticalDays >= 0, warningDays >= criticalDays else {
                throw ValidationError(
                    english ? "Please give 0 <= --critical-days <= --warning-days." : "Il faut 0 <= --critical-days <= --warning-days.")
            }
        }

        func run() async throws {
            let cwd = FileManager.default.currentDirectoryPath
            let paths = files.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }
            let check = CertificateFilesCheck(
                paths: paths, discover: false,
                thresholds: .init(warningDays: try warningDays, criticalDays: try criticalDays))
            let results = await check.run(CheckContext(root: .system))
            emitAdHocResults(results, options: options)
            // A file named on the command line that cannot be used is bad input, even when others are fine
            // (a cron job must notice a certificate that disappeared): 66 when a file could not be opened,
            // 65 when one held no readable certificate.
            let failures = results.filter { $0.code == "cert.file" && $0.status == .error }
            if !failures.isEmpty {
                throw ExitCode(failures.contains { $0.evidence["failure"] == "read" } ? 66 : 65)
            }
            if results.contains(where: { $0.status.isFinding && options.failOn.isTripped(by: $0.severity) }) { throw ExitCode(1) }
        }
    }
}

