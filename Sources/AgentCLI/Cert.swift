import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import Model

extension AgentCommand {
    /// Runs the certificate rules on the given files.
    struct Cert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Contrôle des fichiers de certificats (check certificate files: PEM, DER, PKCS#12).")

        @Argument(help: "Fichiers de certificats : PEM, DER, PKCS#12 sans mot de passe (certificate files).", completion: .file())
        var files: [String]

        @OptionGroup var expiry: ExpiryThresholdOptions

        @OptionGroup var options: RunOptions

        func validate() throws {
            let english = options.lang == .en
            guard !files.isEmpty else {
                throw ValidationError(english ? "Please give at least one certificate file." : "Donnez au moins un fichier de certificat.")
            }
            _ = try expiry.thresholds(language: options.lang)
        }

        func run() async throws {
            let cwd = FileManager.default.currentDirectoryPath
            let paths = files.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }
            let check = CertificateFilesCheck(
                paths: paths, discover: false,
                thresholds: try expiry.thresholds(language: options.lang))
            let results = await check.run(CheckContext(root: .system))
            emitAdHocResults(results, options: options)
            // A file named on the command line that cannot be used is bad input, even when others are fine
            // (a cron job must notice a certificate that disappeared): 66 when a file could not be opened,
            // 65 when one held no readable certificate.
            let failures = results.filter { $0.code == "cert.file" && $0.status == .error }
            if !failures.isEmpty {
                throw ExitCode(failures.contains { $0.evidence["failure"] == "read" } ? 66 : 65)
            }
            if results.contains(where: options.failOn.isTripped(by:)) { throw ExitCode(1) }
        }
    }
}

