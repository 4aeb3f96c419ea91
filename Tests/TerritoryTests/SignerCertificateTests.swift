import Agent
import Checks
import Foundation
import Model
import OpenSSLKit
import TestSupport
import Testing
@testable import Territory
import Trust

/// Issue 12, signed reports: a report signed while its agent certificate was valid stays valid after
/// the certificate expires, but `verify`, `consolidate` and `territory agents` say the certificate
/// needs renewing (real CA, real signatures, the built binary).
@Suite("Signer certificate state at verification time")
struct SignerCertificateTests {
    typealias F = TerritoryFixture

    /// A report for `host` signed by a certificate valid from `issued` for `days` days, signed at `signedAt`.
    static func signedReport(
        _ fixture: F, host: String, issued: Date, days: Int, signedAt: Date, name: String
    ) throws -> String {
        let identity = try AgentIdentity(entityName: "Commune de Plouzané", siren: F.sirenA, host: host)
        let enrolment = try Enrolment.enroll(identity: identity, directory: fixture.folder.url("agents/\(host)"))
        let (certificate, _) = try fixture.authority.issue(enrolment.request, days: days, now: issued)
        let certificatePath = fixture.folder.url("agents/\(host)/agent.crt")
        try AtomicFile.write(Array(certificate.pemEncoded.utf8), to: certificatePath, mode: 0o644)
        let signer = try ReportSigner(keyPath: enrolment.keyPath, certificatePath: certificatePath, now: signedAt)
        let daysAgo = fixture.now.timeIntervalSince(signedAt) / 86_400 + 1.0 / 24
        let bytes = try fixture.reportBytes(host: host, daysAgo: daysAgo, results: [F.result("tls.hsts", .pass, .medium)])
        let path = try fixture.folder.write("inbox/\(name)", Data(bytes))
        try fixture.folder.write("inbox/\(name).p7s", Data(try signer.sign(bytes, signingTime: signedAt)))
        return path
    }

    // The fixture's CA is valid from 40 days ago: every certificate is issued and signs inside that window.
    @Test("The library: expired now → accepted with state expired; within 30 days → expiring-soon; else valid")
    func states() throws {
        let fixture = try F()
        let now = fixture.now
        let expired = try Self.signedReport(
            fixture, host: "srv-old", issued: now.addingTimeInterval(-39 * 86_400), days: 30,
            signedAt: now.addingTimeInterval(-20 * 86_400), name: "old.json")
        let expiring = try Self.signedReport(
            fixture, host: "srv-soon", issued: now.addingTimeInterval(-39 * 86_400), days: 49,
            signedAt: now.addingTimeInterval(-2 * 86_400), name: "soon.json")
        let fine = try Self.signedReport(
            fixture, host: "srv-fine", issued: now.addingTimeInterval(-39 * 86_400), days: 400,
            signedAt: now.addingTimeInterval(-2 * 86_400), name: "fine.json")
        try fixture.authority.refreshCRL(now: now)  // a CRL of today: its own freshness warning is not under test
        let verifier = ReportVerifier(
            trust: try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: [fixture.authority.crlPath]), clock: { now })
        let old = try verifier.verify(reportPath: expired)
        #expect(old.signerCertificate.state == .expired)
        #expect(old.signerCertificate.daysLeft == -9)
        #expect(old.needsAttention)
        let soon = try verifier.verify(reportPath: expiring)
        #expect(soon.signerCertificate.state == .expiringSoon)
        #expect(soon.signerCertificate.daysLeft == 10)
        let ok = try verifier.verify(reportPath: fine)
        #expect(ok.signerCertificate.state == .valid)
        #expect(!ok.needsAttention, "\(ok.warnings)")
    }

    @Test("verify, consolidate and territory agents (built binary) name the expired and the expiring agent certificates")
    func endToEnd() throws {
        let fixture = try F()
        let now = fixture.now
        let expired = try Self.signedReport(
            fixture, host: "srv-old", issued: now.addingTimeInterval(-39 * 86_400), days: 30,
            signedAt: now.addingTimeInterval(-20 * 86_400), name: "old.json")
        _ = try Self.signedReport(
            fixture, host: "srv-soon", issued: now.addingTimeInterval(-39 * 86_400), days: 49,
            signedAt: now.addingTimeInterval(-2 * 86_400), name: "soon.json")
        _ = try Self.signedReport(
            fixture, host: "srv-fine", issued: now.addingTimeInterval(-39 * 86_400), days: 400,
            signedAt: now.addingTimeInterval(-2 * 86_400), name: "fine.json")
        let ca = fixture.authority.certificatePath, crl = fixture.authority.crlPath
        let table = try BuiltBinary.run(["verify", expired, "--ca", ca, "--crl", crl])
        #expect(table.exitCode == 0, "accepted: signed while valid; \(table.stderr)")
        #expect(table.stdout.contains("⚠ \(expired) — valide, avec avertissement"), "\(table.stdout)")
        #expect(table.stdout.contains("expiré le"), "\(table.stdout)")
        let json = try BuiltBinary.run(["verify", expired, "--ca", ca, "--crl", crl, "--format", "json", "--lang", "en"])
        let outcome = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])?.first)
        #expect(outcome["status"] as? String == "warning")
        #expect(outcome["valid"] as? Bool == true)
        let signer = (outcome["report"] as? [String: Any])?["signerCertificate"] as? [String: Any]
        #expect(signer?["state"] as? String == "expired")

        let db = fixture.storeLocation
        let consolidate = try BuiltBinary.run(["consolidate", fixture.inbox, "--db", db, "--ca", ca, "--crl", crl])
        #expect(consolidate.exitCode == 0, "\(consolidate.stdout) \(consolidate.stderr)")
        #expect(consolidate.stdout.contains("3 rapports trouvés : 3 enregistrés"))
        #expect(consolidate.stdout.contains("⚠ certificat d'agent expiré le"))
        #expect(consolidate.stdout.contains("srv-old"))
        #expect(consolidate.stdout.contains("⚠ certificat d'agent expirant le"))
        #expect(!consolidate.stdout.contains("srv-fine"))

        let agents = try BuiltBinary.run(["territory", "agents", "--db", db, "--format", "json"])
        #expect(agents.exitCode == 0, "\(agents.stderr)")
        let view = try JSONDecoder().decode(AgentCertificatesView.self, from: Data(agents.stdout.utf8))
        #expect(view.agents.map(\.host) == ["srv-old", "srv-soon"])
        #expect(view.agents.map(\.state) == ["expired", "expiring-soon"])
        let text = try BuiltBinary.run(["territory", "agents", "--db", db])
        #expect(text.stdout.contains("EXPIRÉ depuis"))
        #expect(text.stdout.contains("expire dans"))
    }
}
