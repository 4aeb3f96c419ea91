import Agent
import ArgumentParser
import Checks
import Delivery
import FoundationEssentials
import FoundationGaps
import NIS2
import Model
import OpenSSLKit
import Trust

#if canImport(Glibc)
import Glibc
#endif

extension AgentCommand {
    /// Runs a profile on this host and writes the report.
    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exécute un profil sur ce serveur et écrit le rapport (run a profile, write the report).")

        @OptionGroup var selection: ScanSelection

        @Option(help: "Fichier du rapport ; par défaut : cyberctl-report-<hôte>-<heure UTC>.json dans le dossier courant (report file).")
        var out: String?

        @Option(help: "Clé privée de l'agent pour signer, PEM, mode 0600 ; remplace signing.key de la configuration (agent signing key).", completion: .file())
        var key: String?

        @Option(help: "Certificat de l'agent pour signer, PEM ; remplace signing.certificate de la configuration (agent signing certificate).", completion: .file())
        var cert: String?

        @Flag(name: .customLong("no-sign"), help: "Ne signe pas le rapport, même si une clé est configurée (do not sign the report).")
        var noSign = false

        @OptionGroup var options: RunOptions
        @OptionGroup var entity: EntityOptions

        func validate() throws {
            let english = options.lang == .en
            if (key == nil) != (cert == nil) {
                throw ValidationError(english ? "Please give --key and --cert together." : "Donnez --key et --cert ensemble.")
            }
            if noSign && key != nil {
                throw ValidationError(english ? "Please give either --no-sign or --key/--cert, not both." : "Donnez --no-sign ou --key/--cert, pas les deux.")
            }
        }

        /// The signer from `--key/--cert`, else the configuration's `signing` section; nil when unsigned.
        /// Loaded before the scan, so a bad key fails at once rather than after minutes of checks.
        func loadSigner(_ configuration: AgentConfiguration) throws(InputError) -> ReportSigner? {
            guard !noSign else { return nil }
            if let key, let cert { return try ReportSigner(keyPath: key, certificatePath: cert) }
            if let signing = configuration.signing {
                return try ReportSigner(keyPath: signing.key, certificatePath: signing.certificate)
            }
            return nil
        }

        func run() async throws {
            AgentCommand.boundLargeAllocations()
            do {
                let configuration = try selection.loadConfiguration()
                let signer = try loadSigner(configuration)
                let root = try selection.auditedRoot(language: options.lang)
                let profilePath = try selection.profilePath(configuration)
                var reportEntity = try entity.apply(to: configuration.entity, language: options.lang)
                if let signer {
                    // A signed report must name the SIREN its certificate carries: take it from there when unset,
                    // and refuse to sign a report that every verifier would reject.
                    if reportEntity.siren == nil { reportEntity.siren = signer.identity.siren }
                    if reportEntity.name == nil { reportEntity.name = signer.identity.entityName }
                    if let siren = reportEntity.siren, siren != signer.identity.siren {
                        throw InputError(
                            .usage,
                            fr: "le SIREN \(siren) diffère de celui du certificat de l'agent (\(signer.identity.siren)) : la vérification refuserait ce rapport ; corrigez --entity-siren ou agent.yaml, ou ajoutez --no-sign",
                            en: "SIREN \(siren) differs from the agent certificate's (\(signer.identity.siren)): verification would refuse the report; fix --entity-siren or agent.yaml, or add --no-sign")
                    }
                }
                let scanner = Scanner(
                    profile: try Profile.load(path: profilePath), root: root, entity: reportEntity, only: selection.only, domains: configuration.domains)
                let progress = ProgressLine(enabled: stderrIsTerminal, label: "contrôles")
                let report = try await scanner.scan { done, total in progress.update(done, total) }
                progress.finish()
                let path = out ?? Self.unusedReportName(host: report.host.hostname, at: report.generatedAt)
                let toStdout = options.format == .json
                var signaturePath: String?
                // The signed pair, kept for the outbox when a collector is configured.
                var signed: (report: [UInt8], signature: [UInt8])?
                // The report is streamed to its file (and stdout for --format json) as it is encoded, and
                // digested for the signature on the way, so thousands of results never sit in memory as one text.
                let signing: CMSSignedData.DetachedSigner?
                do {
                    signing = try signer?.detachedSigner()
                } catch {
                    throw InputError(.io, file: path, fr: "échec de la signature : \(error)",
                                                      en: "signing failed: \(error)")
                }
                // Both files are written and flushed under temporary names, then renamed into place together:
                // a disk that fills between the report and its signature leaves neither, never a report
                // without its signature.
                let reportFile = try AtomicFile.stage(to: path, mode: 0o640) { output in
                    try report.writeJSON { chunk in
                        try output(chunk)
                        try signing?.update(chunk)
                        if toStdout { emit(chunk) }
                    }
                }
                var files = [reportFile]
                var signature: [UInt8]?
                if let signing {
                    do {
                        signature = try signing.finish().derEncoded()
                    } catch {
                        throw InputError(.io, file: path, fr: "échec de la signature : \(error)",
                                                          en: "signing failed: \(error)")
                    }
                    signaturePath = ReportSigner.signaturePath(for: path)
                    files.append(try AtomicFile.stage(signature!, to: signaturePath!, mode: 0o640))
                }
                try AtomicFile.commit(files)
                if let signature, configuration.collector != nil {
                    // Only the outbox needs the text again (it keeps its own copy of the pair).
                    signed = (try TrustFiles.read(path, limit: TrustFiles.maximumReportBytes, what: LocalizedText(fr: "rapport", en: "report")), signature)
                }
                if options.format == .table {
                    emit(ResultTable(language: options.lang, showPasses: options.all).render(report))
                }
                note(options.lang == .fr ? "Rapport écrit : \(path)" : "Report written: \(path)")
                if let signaturePath {
                    note(options.lang == .fr ? "Signature : \(signaturePath)" : "Signature: \(signaturePath)")
                }
                if let collector = configuration.collector {
                    try queue(signed, path: path, collector: collector)
                }
                if report.results.contains(where: options.failOn.isTripped(by:)) {
                    throw ExitCode(1)
                }
            } catch let code as ExitCode {
                throw code
            } catch {
                throw failure(reporting: error, language: options.lang)
            }
        }

        /// With a collector configured, puts the signed pair in the outbox for `cyberctl push` (an unsigned
        /// report is not queued: the collector would refuse it).
        func queue(_ signed: (report: [UInt8], signature: [UInt8])?, path: String, collector: AgentConfiguration.Collector) throws {
            let french = options.lang == .fr
            guard let (report, signature) = signed else {
                note(
                    french
                        ? "attention : rapport non signé, non mis en file d'envoi (le collecteur n'accepte que des rapports signés)"
                        : "warning: unsigned report, not queued for delivery (the collector accepts signed reports only)")
                return
            }
            do {
                let outbox = try Outbox(directory: collector.outbox, create: true)
                let fileName = URL(fileURLWithPath: path).lastPathComponent
                let entry = try outbox.enqueue(report: report, signature: signature, fileName: fileName)
                note(french ? "En file d'envoi : \(entry.path) (cyberctl push l'envoie)" : "Queued for delivery: \(entry.path) (cyberctl push sends it)")
            } catch {
                throw InputError(
                    .io, file: collector.outbox,
                    fr: "le rapport est écrit mais ne peut pas être mis en file d'envoi : \(error.description(in: .fr))",
                    en: "the report is written but cannot be queued for delivery: \(error.description(in: .en))")
            }
        }

        /// The default report name, with `-2`, `-3` … added when a report of the same second exists (two
        /// scans in one second must not overwrite each other).
        static func unusedReportName(host: String, at date: Date) -> String {
            let base = defaultReportName(host: host, at: date)
            var candidate = base
            var index = 2
            while FileManager.default.fileExists(atPath: candidate) {
                candidate = String(base.dropLast(".json".count)) + "-\(index).json"
                index += 1
            }
            return candidate
        }

        /// `cyberctl-report-<host>-<UTC time>.json`, with a time safe in file names (`20261129T080000Z`).
        static func defaultReportName(host: String, at date: Date) -> String {
            let stamp = ISO8601.string(from: date).replacingAll("-", with: "").replacingAll(":", with: "")
            let safeHost = host.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
            return "cyberctl-report-\(String(safeHost))-\(stamp).json"
        }
    }
}

/// A one-line progress indicator on stderr: drawn only on a terminal, and only once the run has
/// taken more than a second, then redrawn every quarter second with checks done and time spent.
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let start = ContinuousClock.now
    private let lock = Lock()
    private var done = 0
    private var total = 0
    private var drawn = false
    private var ticker: Task<Void, Never>?

    init(enabled: Bool, label: String) {
        self.label = label
        guard enabled else { return }
        ticker = Task { [weak self] in
            try? await Task.sleep(for: .seconds(1))
            while !Task.isCancelled {
                self?.draw()
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    func update(_ done: Int, _ total: Int) {
        lock.withLock {
            self.done = done
            self.total = total
        }
    }

    private func draw() {
        lock.withLock {
            drawn = true
            let seconds = (ContinuousClock.now - start).components.seconds
            let counts = total > 0 ? "\(done)/\(total)" : "…"
            writeStandard(Array("\r\(label) : \(counts) — \(seconds) s".utf8), to: STDERR_FILENO)
        }
    }

    func finish() {
        ticker?.cancel()
        lock.withLock { if drawn { writeStandard(Array("\r\u{1B}[K".utf8), to: STDERR_FILENO) } }
    }
}
