import Agent
import Checks
import Foundation
import Model
import TerritoryGenerator
import NIS2
import OpenSSLKit
import Summary
import Territory
import TestSupport
import Trust

/// A real territory store for the summary: a CA and enrolled agents (Trust), reports assembled with
/// the Agent's `Report`, signed with `ReportSigner`, and stored through the Territory ingest, exactly
/// as `cyberctl consolidate` stores them. The store is a SQLite file in the fixture's folder, or with
/// `CYBERCTL_TEST_STORE=postgresql` a fresh PostgreSQL database made for this fixture (`StoreUnderTest`).
final class SummaryFixture: @unchecked Sendable {
    let folder: TemporaryDirectory
    let authority: CertificateAuthority
    let now: Date
    /// Where the store is: what `TerritoryStore(location:)` and `cyberctl … --db` take (a path or a URI).
    let storeLocation: String
    private var signers: [String: ReportSigner] = [:]

    /// Commune de Plouzané (29, Bretagne), 13 000 inhabitants; Lanvéoc; the communauté de communes.
    static let plouzane = Entity(name: "Commune de Plouzané", siren: "212901896", insee: "29212", kind: "commune", population: 13_000, departement: "29", region: "Bretagne")
    static let lanveoc = Entity(name: "Commune de Lanvéoc", siren: "213502388", insee: "29120", kind: "commune", population: 2_000, departement: "29", region: "Bretagne")
    static let cc = Entity(name: "Communauté de communes de la Presqu'île", siren: TerritoryGenerator.siren(4242), kind: "cc", population: 24_000, departement: "29", region: "Bretagne")

    /// The longest page: a long name, an undecided NIS 2 status (a communauté d'agglomération of unknown
    /// members), a stale report with many checks that could not run, findings in every domain.
    static let longest = Entity(
        name: "Communauté d'agglomération Morlaix et Monts d'Arrée réunis", siren: TerritoryGenerator.siren(777),
        kind: "ca", population: 45_000, departement: "29", region: "Bretagne")

    static let longestResults: [CheckResult] = weak + [
        result("patch.os-eol", .fail, .critical, target: "debian 9"),
        result("backup.separate-storage", .fail, .high, target: "/srv/backup"),
        result("org.nis2.b.procedure-incident", .fail, .high, target: "nis2-answers.yaml"),
        result("org.nis2.j.mfa-messagerie", .fail, .high, target: "nis2-answers.yaml"),
    ] + (0..<12).map { result("tls.legacy-protocols", .error, .high, target: "host\($0):443") }

    init() throws {
        folder = try TemporaryDirectory(prefix: "cyberctl-summary")
        storeLocation = try StoreUnderTest.current.newLocation(sqlitePath: folder.url("territory.sqlite"))
        now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        authority = try CertificateAuthority.initialize(directory: folder.url("pki"), name: "RSSI de test", now: now.addingTimeInterval(-40 * 86_400))
    }

    var inbox: String { folder.url("inbox") }
    /// A second store for the same reports (consolidated by the built binary): a file beside the first, or a
    /// fresh PostgreSQL database.
    func newStoreLocation(_ name: String) throws -> String {
        try StoreUnderTest.current.newLocation(sqlitePath: folder.url(name))
    }

    func store() throws -> TerritoryStore { try TerritoryStore(location: storeLocation) }

    func ingest() throws { try ingest(into: try store()) }

    /// Stores the inbox's reports in `store` (another store than the fixture's: the same reports on another engine).
    func ingest(into store: TerritoryStore) throws {
        let verifier = ReportVerifier(trust: try TrustAnchors.load(caFile: authority.certificatePath, crlFiles: [authority.crlPath]))
        let summary = try Ingest(store: store, verifier: verifier).run(try Inbox.discover([inbox]))
        guard summary.rejected == 0 else { throw TestSupportError("\(summary.rejected) fixture reports refused") }
    }

    func builder(answers: AnswersFile? = nil) throws -> SummaryBuilder {
        SummaryBuilder(
            views: TerritoryViews(store: try store(), now: now), scopeRules: try ScopeRules.shipped(), answers: answers)
    }

    func signer(_ entity: Entity, host: String) throws -> ReportSigner {
        let key = "\(entity.siren!)-\(host)"
        if let signer = signers[key] { return signer }
        let identity = try AgentIdentity(entityName: entity.name!, siren: entity.siren!, host: host)
        let enrolment = try Enrolment.enroll(identity: identity, directory: folder.url("agents/\(key)"))
        let issuedAt = now.addingTimeInterval(-39 * 86_400)
        let (certificate, _) = try authority.issue(enrolment.request, days: 400, now: issuedAt)
        let certificatePath = folder.url("agents/\(key)/agent.crt")
        try AtomicFile.write(Array(certificate.pemEncoded.utf8), to: certificatePath, mode: 0o644)
        let signer = try ReportSigner(keyPath: enrolment.keyPath, certificatePath: certificatePath, now: issuedAt.addingTimeInterval(60))
        signers[key] = signer
        return signer
    }

    /// Writes a signed report of `entity`'s `host`, generated `daysAgo` days before now.
    func write(_ entity: Entity, host: String = "srv-mairie", daysAgo: Double, results: [CheckResult]) throws {
        let generated = Date(timeIntervalSince1970: (now.timeIntervalSince1970 - daysAgo * 86_400).rounded(.down))
        let report = Report(
            id: UUID().uuidString.lowercased(), generatedAt: generated,
            agent: .init(version: "0.1.0", profile: "default", profileSHA256: String(repeating: "ab", count: 32)),
            entity: entity, host: HostFacts(hostname: host, os: .init(id: "debian", version: "12"), kernel: "6.1.0-28-amd64", machineID: nil),
            results: results)
        let bytes = try report.jsonBytes()
        let name = "inbox/\(entity.siren!)/\(host)-\(Int(daysAgo * 10)).json"
        _ = try folder.write(name, Data(bytes))
        let signature = try signer(entity, host: host).sign(bytes, signingTime: generated.addingTimeInterval(60))
        _ = try folder.write(name + ".p7s", Data(signature))
    }

    static func result(_ code: String, _ status: Status, _ severity: Severity = .high, target: String = "t") -> CheckResult {
        CheckResult(check: "test.check", target: target, code: code, status: status, severity: severity, references: [], durationMs: 3)
    }

    /// A weak commune: legacy protocols accepted, no offline copy, pending security updates, expiring certificate.
    static let weak: [CheckResult] = [
        result("tls.legacy-protocols", .fail, .high, target: "mail.plouzane.fr:993"),
        result("tls.weak-ciphers", .fail, .high, target: "mail.plouzane.fr:993"),
        result("tls.hsts", .warn, .medium, target: "www.plouzane.fr:443"),
        result("cert.expiry", .fail, .critical, target: "/etc/ssl/certs/www.pem"),
        result("cert.key-strength", .pass, .high, target: "/etc/ssl/certs/www.pem"),
        result("patch.security-updates", .fail, .critical, target: "debian 12"),
        result("patch.os-eol", .pass, .high, target: "debian 12"),
        result("backup.present", .pass, .high, target: "/srv/backup"),
        result("backup.offline-copy", .fail, .high, target: "/srv/backup"),
        result("backup.restore-test", .warn, .medium, target: "/srv/backup"),
        result("org.nis2.art20.elu-referent", .fail, .medium, target: "nis2-answers.yaml"),
    ]

    /// The same commune a month earlier, worse still.
    static let weaker: [CheckResult] = weak.map { result in
        var copy = result
        if copy.status == .warn || copy.code == "cert.key-strength" { copy.status = .fail }
        return copy
    }

    static let good: [CheckResult] = [
        result("tls.legacy-protocols", .pass, .high, target: "www:443"),
        result("cert.expiry", .pass, .critical, target: "/etc/ssl/a.pem"),
        result("patch.security-updates", .pass, .critical, target: "debian 12"),
        result("patch.os-eol", .pass, .high, target: "debian 12"),
        result("backup.present", .pass, .high, target: "/srv/backup"),
        result("backup.offline-copy", .pass, .high, target: "/srv/backup"),
        result("backup.restore-test", .warn, .medium, target: "/srv/backup"),
    ]

    /// Plouzané (two reports a month apart, improving), Lanvéoc (one good report), the CC (one report).
    static func territory() throws -> SummaryFixture {
        let fixture = try SummaryFixture()
        try fixture.write(plouzane, daysAgo: 30, results: weaker)
        try fixture.write(plouzane, daysAgo: 1, results: weak)
        try fixture.write(lanveoc, host: "srv-lanveoc", daysAgo: 2, results: good)
        try fixture.write(cc, host: "srv-cc", daysAgo: 3, results: weak)
        try fixture.ingest()
        return fixture
    }
}
