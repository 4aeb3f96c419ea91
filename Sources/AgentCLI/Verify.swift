import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import Model
import Trust

extension AgentCommand {
    /// Checks signed reports.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Vérifie des rapports signés : signature, chaîne, révocation, SIREN, schéma (verify signed reports).",
            discussion: """
                Chaque RAPPORT est vérifié avec RAPPORT.p7s (CMS détaché, DER). Code de sortie 0 si tous les rapports \
                tiennent, 65 si l'un est refusé (le motif est affiché), 66 si un rapport ou le fichier de l'autorité manque.

                Each REPORT is checked against REPORT.p7s (CMS, detached, DER). Exit 0 when every report holds, \
                65 when one is refused (the reason is printed), 66 when a report or the CA file is missing.
                """)

        @Argument(help: "Fichiers de rapports, chacun vérifié avec <rapport>.p7s (report files).", completion: .file())
        var reports: [String]

        @Option(help: "Certificat(s) de l'autorité de confiance, PEM (trusted CA certificates).")
        var ca = "/etc/cyberctl/ca.pem"

        @Option(parsing: .singleValue, help: "CRL de l'autorité, PEM ou DER, répétable ; par défaut : crl.pem à côté du fichier de l'autorité s'il existe (CA's CRL, repeatable).")
        var crl: [String] = []

        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table

        @Option(help: "Langue des textes : fr ou en (language of what people read).")
        var lang: Language = .fr

        func validate() throws {
            guard !reports.isEmpty else {
                throw ValidationError(lang == .en ? "Please give at least one report file." : "Donnez au moins un fichier de rapport.")
            }
        }

        func run() throws {
            let verifier: ReportVerifier
            do {
                var crlFiles = crl
                if crlFiles.isEmpty {
                    let sibling = URL(fileURLWithPath: ca).deletingLastPathComponent().appendingPathComponent("crl.pem").path
                    if FileManager.default.fileExists(atPath: sibling) { crlFiles = [sibling] }
                }
                verifier = ReportVerifier(trust: try TrustAnchors.load(caFile: ca, crlFiles: crlFiles))
            } catch {
                throw failure(reporting: error, language: lang)
            }
            var outcomes: [VerificationOutcome] = []
            for report in reports {
                do {
                    outcomes.append(.init(file: report, language: lang, verified: try verifier.verify(reportPath: report)))
                } catch let error as VerificationFailure {
                    outcomes.append(.init(file: report, language: lang, failure: error))
                } catch let error as InputError {
                    outcomes.append(.init(file: report, language: lang, inputError: error))
                } catch {
                    throw failure(reporting: error, language: lang)
                }
            }
            switch format {
            case .json: emit(renderJSON(outcomes))
            case .table: emit(renderTable(outcomes))
            }
            if outcomes.contains(where: { $0.failure != nil }) { throw ExitCode(65) }
            if let code = outcomes.compactMap({ $0.inputError?.exitCode }).max() { throw ExitCode(code) }
        }

        func renderTable(_ outcomes: [VerificationOutcome]) -> String {
            let french = lang == .fr
            var lines: [String] = []
            for outcome in outcomes {
                if let report = outcome.verified {
                    let signer = report.signer
                    let mark = report.needsAttention ? "⚠" : "✓"
                    let verdict = report.needsAttention ? (french ? "valide, avec avertissement" : "valid, with a warning") : (french ? "valide" : "valid")
                    lines.append(
                        french
                            ? "\(mark) \(outcome.file) — \(verdict) : signé le \(PeopleTime.string(from: report.signingTime)) par \(signer.host) pour \(signer.entityName) (SIREN \(signer.siren))"
                            : "\(mark) \(outcome.file) — \(verdict): signed on \(PeopleTime.string(from: report.signingTime)) by \(signer.host) for \(signer.entityName) (SIREN \(signer.siren))")
                    if let line = signerLine(report.signerCertificate, serial: signer.serial) { lines.append(line) }
                    // generatedAt as written when it is not a report time (verification refuses those).
                    let generated = ReportTime.parse(report.generatedAt).map(PeopleTime.string(from:)) ?? report.generatedAt
                    lines.append(
                        french
                            ? "    rapport \(report.reportID) du \(generated), hôte \(report.hostname) ; certificat \(signer.serial) émis par \(signer.issuer)"
                            : "    report \(report.reportID) of \(generated), host \(report.hostname); certificate \(signer.serial) issued by \(signer.issuer)")
                    for warning in report.warnings { lines.append((french ? "    attention : " : "    warning: ") + warning.text(in: lang)) }
                } else if let failure = outcome.failure {
                    lines.append(
                        french
                            ? "✗ \(outcome.file) — REFUSÉ (\(failure.code.title(.fr))) : \(failure.code.explanation(.fr))"
                            : "✗ \(outcome.file) — REFUSED (\(failure.code.title(.en))): \(failure.code.explanation(.en))")
                    lines.append(french ? "    détail : \(failure.message(in: .fr))" : "    detail: \(failure.message(in: .en))")
                } else if let error = outcome.inputError {
                    lines.append(
                        french ? "✗ \(outcome.file) — illisible : \(error.description(in: .fr))" : "✗ \(outcome.file) — unreadable: \(error.description(in: .en))")
                }
            }
            // One line each: a host or entity name from a signed report cannot start a line of its own.
            return lines.map(TerminalText.line).joined(separator: "\n") + "\n"
        }

        /// The signer certificate's state today, when it needs a look (expired, or expiring within 30 days).
        func signerLine(_ status: SignerCertificateStatus, serial: String) -> String? {
            let french = lang == .fr
            let day = status.notAfter.map(PeopleTime.day) ?? "?"
            switch status.state {
            case .valid: return nil
            case .expired:
                return french
                    ? "    certificat signataire \(serial) expiré le \(day) : ce rapport a été signé avant, mais cet agent ne peut plus signer de rapport valable ; renouvelez son certificat (cyberctl pki issue)"
                    : "    signer certificate \(serial) expired on \(day): this report was signed before, but this agent can no longer sign a valid report; renew its certificate (cyberctl pki issue)"
            case .expiringSoon:
                return french
                    ? "    certificat signataire \(serial) expire le \(day) (dans \(status.daysLeft ?? 0) j) : renouvelez-le (cyberctl pki issue)"
                    : "    signer certificate \(serial) expires on \(day) (in \(status.daysLeft ?? 0) days): renew it (cyberctl pki issue)"
            }
        }

        func renderJSON(_ outcomes: [VerificationOutcome]) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(ISO8601.string(from: date))
            }
            let data = (try? encoder.encode(outcomes)) ?? Data("[]".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }
}

/// One report's verdict; JSON shape of `cyberctl verify --format json` (an array of these).
struct VerificationOutcome: Encodable {
    let file: String
    /// Language of the reason and the explanation.
    let language: Language
    var verified: VerifiedReport? = nil
    var failure: VerificationFailure? = nil
    /// The report itself could not be read (missing: 66; I/O: 74).
    var inputError: InputError? = nil

    enum Key: String, CodingKey { case file, valid, status, report, code, reason, explanation }

    /// `valid`; `warning` (accepted, with something to look at: signer certificate expired or expiring,
    /// no CRL …: `report.warnings`, `report.signerCertificate`); `refused`; `unreadable`.
    var status: String {
        if let verified { return verified.needsAttention ? "warning" : "valid" }
        return failure != nil ? "refused" : "unreadable"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(file, forKey: .file)
        try container.encode(verified != nil, forKey: .valid)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(verified, forKey: .report)
        let code = failure?.code.rawValue ?? inputError.map { $0.kind == .missing ? "report-missing" : "report-unreadable" }
        try container.encodeIfPresent(code, forKey: .code)
        try container.encodeIfPresent(failure?.message(in: language) ?? inputError?.description(in: language), forKey: .reason)
        try container.encodeIfPresent(failure?.code.explanation(language), forKey: .explanation)
    }
}
