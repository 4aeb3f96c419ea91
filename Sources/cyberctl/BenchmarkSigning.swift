import Agent
import AgentCLI
import ArgumentParser
import Checks
import Delivery
import Foundation
import Model
import OpenSSLKit
import Trust

extension Cyberctl {
    /// Measures in-process signing and verification throughput (scripts/bench-sign.sh). Hidden.
    struct BenchmarkSigning: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "benchmark-signing",
            abstract: "Mesure signature et vérification en mémoire (measure in-process sign/verify throughput).",
            shouldDisplay: false)

        @Option(help: "Clé privée de l'agent (agent private key).")
        var key: String
        @Option(help: "Certificat de l'agent (agent certificate).")
        var cert: String
        @Option(help: "Certificat de l'autorité (CA certificate).")
        var ca: String
        @Option(help: "CRL de l'autorité (CRL of the CA).")
        var crl: String?
        @Option(help: "Écrit ici le rapport synthétique, pour la comparaison avec openssl (synthetic report file).")
        var out: String
        @Option(help: "Taille approximative du rapport, en octets (approximate report size, bytes).")
        var size = 50_000
        @Option(name: .customLong("seconds"), help: "Durée de chaque mesure : 5, 5s, 1min ; un nombre seul compte en secondes ; \(DurationOption.unitsHelpFrench) (time per measurement: 5, 5s, 1min; a bare number counts seconds; \(DurationOption.unitsHelpEnglish)).")
        var duration = DurationArgument("5")

        /// `--seconds` in seconds.
        var seconds: Double { get throws { try DurationOption.seconds("--seconds", maximum: 3600).seconds(duration, language: nil) } }
        @Option(help: "Écrit seulement ce nombre de rapports signés distincts, nommés <out>-NNNN.json (scripts/bench-collect.sh), puis s'arrête (only write N signed reports).")
        var reports: Int?
        @Option(help: "Avec --reports : met aussi chaque paire dans cette file d'envoi, comme scan, pour cyberctl push (also queue in this outbox).")
        var outbox: String?

        func validate() throws {
            try requireRange(size, 1...TrustFiles.maximumReportBytes, option: "--size")
            _ = try seconds
            try requireRange(reports, 1...1_000_000, option: "--reports")
        }

        func run() throws {
            do {
                let signer = try ReportSigner(keyPath: key, certificatePath: cert)
                if let reports {
                    let box = try outbox.map { try Outbox(directory: $0, create: true) }
                    for index in 0..<reports {
                        let report = try Self.syntheticReport(siren: signer.identity.siren, host: signer.identity.host, size: size)
                        let path = "\(out)-\(String(format: "%04d", index)).json"
                        try AtomicFile.write(report, to: path, mode: 0o640)
                        let signature = try signer.sign(report)
                        try AtomicFile.write(signature, to: ReportSigner.signaturePath(for: path), mode: 0o640)
                        if let box {
                            try box.enqueue(report: report, signature: signature, fileName: URL(fileURLWithPath: path).lastPathComponent)
                        }
                    }
                    return
                }
                let report = try Self.syntheticReport(siren: signer.identity.siren, host: signer.identity.host, size: size)
                try AtomicFile.write(report, to: out, mode: 0o640)
                let signature = try signer.sign(report)
                try AtomicFile.write(signature, to: ReportSigner.signaturePath(for: out), mode: 0o640)
                let verifier = ReportVerifier(trust: try TrustAnchors.load(caFile: ca, crlFiles: crl.map { [$0] } ?? []))
                _ = try verifier.verify(reportBytes: report, signatureBytes: signature)
                if ProcessInfo.processInfo.environment["CYBERCTL_BENCH_VERIFY_ONLY"] != nil {
                    let verifyRate = try Self.rate(seconds: seconds) { _ = try verifier.verify(reportBytes: report, signatureBytes: signature) }
                    emit("verify_per_second \(String(format: "%.0f", verifyRate))\n")
                    return
                }
                let signRate = try Self.rate(seconds: seconds) { _ = try signer.sign(report) }
                let verifyRate = try Self.rate(seconds: seconds) { _ = try verifier.verify(reportBytes: report, signatureBytes: signature) }
                let parseRate = try Self.rate(seconds: seconds / 2) {
                    _ = ReportSchema.compiled.validate(try JSONParser.parse(report))
                }
                let parseOnlyRate = try Self.rate(seconds: seconds / 2) { _ = try JSONParser.parse(report) }
                let document = try JSONParser.parse(report)
                let schemaOnlyRate = try Self.rate(seconds: seconds / 2) { _ = ReportSchema.compiled.validate(document) }
                var stages = ""
                if ProcessInfo.processInfo.environment["CYBERCTL_BENCH_STAGES"] != nil {
                    let caCertificate = try TrustFiles.readCertificate(ca)
                    let store = try X509Store(trusting: [caCertificate])
                    let parsed = try CMSSignedData(derEncoded: signature)
                    let signerInfo = parsed.signers[0]
                    let leaf = signerInfo.certificate!
                    let small = try Self.syntheticReport(siren: signer.identity.siren, host: signer.identity.host, size: 1)
                    let smallSignature = try signer.sign(small)
                    let measures: [(String, () throws -> Void)] = [
                        ("cms_parse", { _ = try CMSSignedData(derEncoded: signature) }),
                        ("cms_signers", { _ = parsed.signers }),
                        ("verify_1kb_report", { _ = try verifier.verify(reportBytes: small, signatureBytes: smallSignature) }),
                        ("cms_signature_value", { try signerInfo.verifySignedAttributes() }),
                        ("content_digest", { _ = signerInfo.digest(of: report) }),
                        ("chain", { _ = store.verify(leaf, untrusted: [], at: Date()) }),
                        ("certificates", { _ = parsed.certificates }),
                        ("fingerprint", { _ = leaf.sha256Fingerprint }),
                        ("sha256_hex", { _ = Digest.sha256Hex(report) }),
                    ]
                    for (name, body) in measures {
                        stages += "\(name)_per_second \(String(format: "%.0f", try Self.rate(seconds: seconds / 4, body)))\n"
                    }
                }
                emit(stages)
                emit("""
                    report_bytes \(report.count)
                    sign_per_second \(String(format: "%.0f", signRate))
                    verify_per_second \(String(format: "%.0f", verifyRate))
                    json_schema_per_second \(String(format: "%.0f", parseRate))
                    json_parse_per_second \(String(format: "%.0f", parseOnlyRate))
                    schema_validation_per_second \(String(format: "%.0f", schemaOnlyRate))

                    """)
            } catch {
                throw failure(reporting: error)
            }
        }

        /// Operations per second of `body`, run repeatedly for `seconds` of this thread's CPU time
        /// (CLOCK_THREAD_CPUTIME_ID: other work on a shared machine does not count against it).
        static func rate(seconds: Double, _ body: () throws -> Void) throws -> Double {
            func cpuTime() -> Double {
                var time = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
                return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
            }
            let start = cpuTime()
            var count = 0
            while true {
                for _ in 0..<10 { try body() }
                count += 10
                let total = cpuTime() - start
                if total >= seconds { return Double(count) / total }
            }
        }

        /// A valid report of about `size` bytes, for `siren` and `host`.
        static func syntheticReport(siren: String, host: String, size: Int) throws -> [UInt8] {
            let facts = try JSONDecoder().decode(
                HostFacts.self, from: Data(#"{"hostname":"\#(host)","os":{"id":"debian","version":"12"},"kernel":"6.1.0-28-amd64"}"#.utf8))
            let agent = try JSONDecoder().decode(
                Report.AgentInfo.self,
                from: Data(#"{"version":"\#(Scanner.version)","profile":"default","profileSHA256":"\#(String(repeating: "0", count: 64))"}"#.utf8))
            var count = 1
            while true {
                let results = (0..<count).map { index in
                    CheckResult(
                        check: "cert.files", target: "/etc/ssl/certs/service-\(index).pem", code: "cert.expiry",
                        status: index % 4 == 0 ? .warn : .pass, severity: .medium,
                        evidence: ["daysLeft": .int(20 + index), "notAfter": .string("2027-03-01T00:00:00Z"), "subject": .string("CN=service-\(index).mairie.fr")],
                        references: ["NIS2-21.2.h"], durationMs: index % 40)
                }
                let report = Report(
                    generatedAt: Date(), agent: agent,
                    entity: Entity(name: "Commune de Plouzané", siren: siren, insee: "29212", kind: "commune"), host: facts, results: results)
                let bytes = try report.jsonBytes()
                if bytes.count >= size { return bytes }
                count = max(count + 1, count * size / max(bytes.count, 1))
            }
        }
    }
}
