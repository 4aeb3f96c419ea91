@testable import Agent
import Checks
import Foundation
import Model
import OpenSSLKit
import TestSupport
import Testing
@testable import Trust

/// A real CA in a temporary folder, agents enrolled and issued through the library, and reports
/// assembled with the Agent's own `Report` type.
final class TrustFixture: @unchecked Sendable {
    let folder: TemporaryDirectory
    let authority: CertificateAuthority
    /// When the CA was created.
    let caCreated: Date

    static let siren = "212901896"
    static let otherSIREN = "213502388"

    init(caCreated: Date = Date(), name: String = "RSSI de test") throws {
        folder = try TemporaryDirectory(prefix: "cyberctl-trust")
        self.caCreated = caCreated
        authority = try CertificateAuthority.initialize(directory: folder.url("pki"), name: name, now: caCreated)
    }

    struct Agent {
        let keyPath: String
        let certificatePath: String
        let serial: String
        let signer: ReportSigner
    }

    /// Enrols an agent and has the CA issue its certificate at `issuedAt`, valid `days`.
    func agent(
        _ name: String = "agent", siren: String = TrustFixture.siren, host: String = "srv-mairie",
        issuedAt: Date = Date(), days: Int = 825
    ) throws -> Agent {
        let identity = try AgentIdentity(entityName: "Commune de Plouzané", siren: siren, host: host)
        let enrolment = try Enrolment.enroll(identity: identity, directory: folder.url(name))
        let (certificate, record) = try authority.issue(enrolment.request, days: days, now: issuedAt)
        let certificatePath = folder.url("\(name)/agent.crt")
        try AtomicFile.write(Array(certificate.pemEncoded.utf8), to: certificatePath, mode: 0o644)
        let signer = try ReportSigner(keyPath: enrolment.keyPath, certificatePath: certificatePath, now: issuedAt.addingTimeInterval(60))
        return Agent(keyPath: enrolment.keyPath, certificatePath: certificatePath, serial: record.serial, signer: signer)
    }

    /// Trust in this CA, with its current CRL.
    func trust(withCRL: Bool = true) throws -> TrustAnchors {
        try TrustAnchors.load(caFile: authority.certificatePath, crlFiles: withCRL ? [authority.crlPath] : [])
    }

    /// A report JSON for `siren` with `results` results (about 330 bytes each).
    static func reportBytes(
        siren: String? = TrustFixture.siren, results count: Int = 3, hostname: String = "srv-mairie",
        generatedAt: Date = Date(timeIntervalSince1970: 1_795_000_000)
    ) throws -> [UInt8] {
        let host = try JSONDecoder().decode(
            HostFacts.self,
            from: Data(#"{"hostname":"\#(hostname)","os":{"id":"debian","version":"12"},"kernel":"6.1.0-28-amd64"}"#.utf8))
        let results = (0..<count).map { index in
            CheckResult(
                check: "cert.files", target: "/etc/ssl/certs/service-\(index).pem", code: "cert.expiry",
                status: index % 3 == 0 ? .fail : .pass, severity: .high,
                evidence: ["daysLeft": .int(index), "notAfter": .string("2027-01-0\(index % 9 + 1)T00:00:00Z")],
                references: ["NIS2-21.2.h", "ANSSI-PKI"], durationMs: index % 50)
        }
        let report = Report(
            generatedAt: generatedAt,
            agent: .init(version: "0.1.0", profile: "default", profileSHA256: String(repeating: "ab", count: 32)),
            entity: Entity(name: "Commune de Plouzané", siren: siren, insee: "29212", kind: "commune", population: 13000, departement: "29"),
            host: host, results: results)
        return try report.jsonBytes()
    }

    /// Runs `body`, expecting a `VerificationFailure` with `code`; returns it for message checks.
    @discardableResult
    static func expectFailure(
        _ code: VerificationFailure.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> VerifiedReport
    ) -> VerificationFailure? {
        do {
            let accepted = try body()
            Issue.record("expected \(code.rawValue), but the report was accepted: \(accepted)", sourceLocation: sourceLocation)
            return nil
        } catch let failure as VerificationFailure {
            #expect(failure.code == code, "expected \(code.rawValue), got \(failure.code.rawValue): \(failure.message(in: .en))", sourceLocation: sourceLocation)
            return failure
        } catch {
            Issue.record("expected a VerificationFailure \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }
}
