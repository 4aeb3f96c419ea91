import Agent
import Checks
import Dispatch
import Foundation
import Model
import OpenSSLKit
import Territory
import Trust

/// Makes a synthetic territory for tests and benchmarks (not part of cyberctl: a test-support target, and
/// the `generate-territory` tool of `scripts/bench-territory.sh`): a real CA (`CertificateAuthority`), one agent
/// key and certificate per host (issued by that CA), and N reports signed exactly as `cyberctl scan`
/// signs them (CMS detached, DER, SHA-256, signing time), with ~60 realistic results each.
///
/// Layout: `<out>/ca/` (the CA folder: ca.pem, crl.pem …) and `<out>/inbox/<SIREN>/<host>/report-<k>.json`
/// (+ `.p7s`). Reports of one host are a week apart, the newest `newestAgeDays` old; each entity has
/// a "maturity" that sets how often its results pass, improving slightly from one report to the next.
/// Deterministic for a given seed (except report ids, signatures and keys).
public struct TerritoryGenerator: Sendable {
    public var entities: Int
    public var hostsPerEntity: Int
    public var reports: Int
    public var seed: UInt64
    public var now: Date
    /// Age of each host's newest report, in days (stale entities are made with larger values).
    public var newestAgeDays: @Sendable (_ entity: Int) -> Double

    public init(entities: Int, hostsPerEntity: Int, reports: Int, seed: UInt64 = 7, now: Date = Date(),
                newestAgeDays: @escaping @Sendable (Int) -> Double = { entity in entity % 50 == 49 ? 12 : 1 }) {
        self.entities = max(1, entities)
        self.hostsPerEntity = max(1, hostsPerEntity)
        self.reports = max(1, reports)
        self.seed = seed
        self.now = now
        self.newestAgeDays = newestAgeDays
    }

    /// The SIREN of entity `index`: 8 digits from the index, then the Luhn check digit.
    public static func siren(_ index: Int) -> String {
        let base = String(format: "2%07d", index % 10_000_000)
        for check in 0...9 where Identifiers.isValidSIREN(base + String(check)) { return base + String(check) }
        return base + "0"
    }

    public static func entityName(_ index: Int) -> String { "Commune test \(index + 1)" }
    public static func hostname(_ host: Int) -> String { String(format: "srv-%02d", host + 1) }

    /// What was written.
    public struct Output: Sendable {
        public var caDirectory: String
        public var caFile: String
        public var crlFile: String
        public var inbox: String
        public var reportPaths: [String]
    }

    /// Writes the CA and the signed reports under `directory`.
    public func generate(into directory: String) throws -> Output {
        let caDirectory = directory + "/ca"
        let inbox = directory + "/inbox"
        let hosts = entities * hostsPerEntity
        let perHost = max(1, (reports + hosts - 1) / hosts)
        let oldest = now.addingTimeInterval(-Double(perHost + 30) * 7 * 86_400)
        let authority = try CertificateAuthority.initialize(directory: caDirectory, name: "RSSI de test (généré)", now: oldest)
        let caCertificate = try authority.certificate()
        let caKey = try TrustFiles.readPrivateKey(authority.keyPath)
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let paths = Slots<[String]>(count: hosts)
        let failure = Slots<String>(count: 1)
        let next = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: ProcessInfo.processInfo.activeProcessorCount) { _ in
            while true {
                let hostIndex = next.increment()
                guard hostIndex < hosts else { return }
                do {
                    paths[hostIndex] = try writeHost(
                        hostIndex, perHost: perHost, total: reports, inbox: inbox, caCertificate: caCertificate, caKey: caKey, notBefore: oldest)
                } catch {
                    failure[0] = "\(error)"
                    paths[hostIndex] = []
                }
            }
        }
        if let problem = failure[0] { throw InputError(.io, file: directory, fr: "échec de la génération des rapports : \(problem)", en: "generating reports failed: \(problem)") }
        return Output(
            caDirectory: caDirectory, caFile: authority.certificatePath, crlFile: authority.crlPath, inbox: inbox,
            reportPaths: paths.values.flatMap { $0 })
    }

    func writeHost(
        _ hostIndex: Int, perHost: Int, total: Int, inbox: String, caCertificate: X509Certificate, caKey: PrivateKey, notBefore: Date
    ) throws -> [String] {
        let entity = hostIndex / hostsPerEntity
        let host = hostIndex % hostsPerEntity
        // Reports are dealt host by host, so the first `total % hosts` hosts get one more.
        let hosts = entities * hostsPerEntity
        let count = min(perHost, max(0, (total - hostIndex + hosts - 1) / hosts))
        guard count > 0 else { return [] }
        let siren = Self.siren(entity)
        let hostname = Self.hostname(host)
        let identity = try AgentIdentity(entityName: Self.entityName(entity), siren: siren, host: hostname)
        let key = try PrivateKey.generateP256()
        let request = try CertificateSigningRequest(subject: identity.subject, key: key)
        var serial = [UInt8](repeating: 0, count: 12)
        var rng = SplitMix64(seed: seed &+ UInt64(hostIndex) &* 0x9E37_79B9)
        for i in serial.indices { serial[i] = UInt8(truncatingIfNeeded: rng.next()) }
        serial[0] = (serial[0] & 0x3F) | 0x01
        let template = CertificateTemplate(
            subject: identity.subject, serialNumber: serial, notBefore: notBefore, notAfter: now.addingTimeInterval(400 * 86_400),
            extensions: [
                ("basicConstraints", "critical, CA:FALSE"), ("keyUsage", "critical, digitalSignature"), ("extendedKeyUsage", "clientAuth"),
                ("subjectKeyIdentifier", "hash"), ("authorityKeyIdentifier", "keyid:always"),
            ])
        let certificate = try CertificateIssuer.issue(template, for: request, issuer: caCertificate, issuerKey: caKey)
        let folder = "\(inbox)/\(siren)/\(hostname)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var entityRNG = SplitMix64(seed: seed &+ UInt64(entity) &* 0x5851_F42D)
        let maturity = 0.35 + 0.6 * entityRNG.unit()
        var paths: [String] = []
        for k in 0..<count {
            let age = newestAgeDays(entity) + Double(count - 1 - k) * 7
            let generatedAt = Date(timeIntervalSince1970: (now.timeIntervalSince1970 - age * 86_400 - Double(host * 600)).rounded(.down))
            var reportRNG = SplitMix64(seed: seed &+ UInt64(hostIndex) &* 31 &+ UInt64(k) &* 1_000_003)
            let results = Self.results(maturity: min(0.98, maturity + 0.03 * Double(k)), hostname: hostname, at: generatedAt, rng: &reportRNG)
            let report = Report(
                generatedAt: generatedAt,
                agent: .init(version: Scanner.version, profile: "default", profileSHA256: String(repeating: "5e", count: 32)),
                entity: Entity(
                    name: Self.entityName(entity), siren: siren, insee: String(format: "29%03d", entity % 1000), kind: "commune",
                    population: 500 + entity * 37 % 20_000, departement: "29", region: "Bretagne"),
                host: HostFacts(hostname: hostname, os: .init(id: "debian", version: "12"), kernel: "6.1.0-28-amd64", machineID: nil),
                results: results)
            let bytes = try report.jsonBytes()
            let signature = try CMSSignedData.signDetached(bytes, certificate: certificate, key: key, signingTime: generatedAt.addingTimeInterval(60))
                .derEncoded()
            let path = "\(folder)/report-\(k + 1).json"
            try AtomicFile.write(bytes, to: path, mode: 0o640)
            try AtomicFile.write(signature, to: ReportSigner.signaturePath(for: path), mode: 0o640)
            paths.append(path)
        }
        return paths
    }

    /// About 60 results over the five domains; each passes with probability `maturity`.
    static func results(maturity: Double, hostname: String, at now: Date, rng: inout SplitMix64) -> [CheckResult] {
        var results: [CheckResult] = []
        func status(_ rng: inout SplitMix64) -> Status {
            let draw = rng.unit()
            if draw < 0.03 { return draw < 0.015 ? .error : .skip }
            if draw < 0.03 + maturity * 0.97 { return .pass }
            return rng.unit() < 0.35 ? .warn : .fail
        }
        func add(_ check: String, _ target: String, _ code: String, _ severity: Severity, _ evidence: [String: JSONValue] = [:], _ references: [String]) {
            let s = status(&rng)
            results.append(CheckResult(
                check: check, target: target, code: code, status: s, severity: severity, evidence: evidence, references: references,
                reason: s == .error ? .init(fr: "délai de 10 s dépassé", en: "timeout after 10 s") : s == .skip ? .init(fr: "non configuré", en: "not configured") : nil, durationMs: Int(rng.next() % 200)))
        }
        for (port, service) in [(443, "https"), (993, "imaps"), (8443, "admin")] {
            let target = "\(hostname).mairie.test:\(port)"
            add("tls.endpoint", target, "tls.legacy-protocols", .high, ["service": .string(service)], ["NIS2-21.2.h", "ANSSI-TLS"])
            add("tls.endpoint", target, "tls.weak-ciphers", .high, [:], ["NIS2-21.2.h", "ANSSI-TLS"])
            add("tls.endpoint", target, "tls.hsts", .medium, [:], ["ANSSI-TLS"])
            results.append(certificateResult(check: "tls.endpoint", target: target, code: "tls.cert.expiry", cn: "\(hostname).mairie.test", now: now, rng: &rng))
        }
        for name in ["mairie", "mail", "intranet", "vpn", "ldap", "backup"] {
            let target = "/etc/ssl/certs/\(name).pem"
            results.append(certificateResult(check: "cert.files", target: target, code: "cert.expiry", cn: "\(name).mairie.test", now: now, rng: &rng))
            add("cert.files", target, "cert.key-strength", .high, ["keyType": "RSA", "keyBits": 2048], ["NIS2-21.2.h", "RGS-B1"])
            add("cert.files", target, "cert.signature-algorithm", .high, ["signatureAlgorithm": "sha256WithRSAEncryption"], ["NIS2-21.2.h"])
            add("cert.files", target, "cert.self-signed", .medium, [:], ["ANSSI-TLS"])
        }
        for package in ["openssl", "openssh-server", "nginx", "postfix", "samba", "linux-image-amd64", "sudo", "bind9"] {
            add("patch.packages", package, "patch.security-updates", .critical, ["package": .string(package)], ["NIS2-21.2.e", "ANSSI-HYG-34"])
        }
        add("patch.packages", hostname, "patch.reboot-required", .medium, [:], ["NIS2-21.2.e"])
        add("patch.packages", "/etc/os-release", "patch.os-eol", .high, [
            "id": "debian", "release": "Debian 12 bookworm", "phase": "standard", "securitySupportEnds": "2026-06-10",
            "extendedSupportEnds": "2028-06-30",
        ], ["NIS2-21.2.e", "ANSSI-HYG-35"])
        for set in ["/srv/backup/daily", "/srv/backup/weekly"] {
            add("backup.sets", set, "backup.present", .high, ["set": .string(set)], ["NIS2-21.2.c", "ANSSI-HYG-37"])
            add("backup.sets", set, "backup.separate-storage", .medium, [:], ["NIS2-21.2.c"])
            add("backup.sets", set, "backup.offline-copy", .medium, [:], ["NIS2-21.2.c"])
            add("backup.sets", set, "backup.restore-test", .medium, [:], ["NIS2-21.2.c"])
        }
        for rule in ["governance", "risk-analysis", "incident-handling", "business-continuity", "supply-chain", "training", "access-control", "mfa"] {
            add("org.nis2", "organisation", "org.nis2.\(rule)", rule == "mfa" ? .critical : .medium, [:], ["NIS2-21.2"])
        }
        return results
    }

    static func certificateResult(check: String, target: String, code: String, cn: String, now: Date, rng: inout SplitMix64) -> CheckResult {
        let days = Int(rng.next() % 420) - 20
        let notAfter = now.addingTimeInterval(Double(days) * 86_400)
        let status: Status = days < 0 ? .fail : days < 15 ? .fail : days < 30 ? .warn : .pass
        let severity: Severity = days < 0 ? .critical : days < 15 ? .high : days < 30 ? .medium : .high
        var fingerprint = ""
        for _ in 0..<4 { fingerprint += String(format: "%016llx", rng.next()) }
        return CheckResult(
            check: check, target: target, code: code, status: status, severity: severity,
            evidence: [
                "subject": .string("CN=\(cn)"), "issuer": "CN=R11, O=Let's Encrypt, C=US", "notAfter": .time(notAfter),
                "notBefore": .time(notAfter.addingTimeInterval(-90 * 86_400)), "daysLeft": .int(days), "sha256": .string(fingerprint),
                "subjectAltNames": .strings(["DNS:\(cn)"]),
                "state": .string(days < 0 ? "expired" : days < 30 ? "expires-soon" : "valid"),
            ],
            references: ["NIS2-21.2.h", "ANSSI-HYG-34"], durationMs: Int(rng.next() % 50))
    }
}

/// A small, fast, seedable generator (SplitMix64, Steele et al. 2014).
public struct SplitMix64: Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
