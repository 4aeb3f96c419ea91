import Agent
import Checks
import Foundation
import Model
import Testing
import TestSupport

/// A whole scan of a fixture root: technical certificate results and NIS 2 declarations in one
/// report, a contradicted "oui" flagged by the scanner's post-processing.
@Suite struct ScannerCrossCheckTests {
    @Test func aScanFlagsADeclarationItsOwnCertificateResultsContradict() async throws {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("root")
        let factory = try CertificateFactory(folder: directory.url("work"))
        let now = Date()
        let expired = try factory.issue(
            name: "portal", subject: "/CN=portail.mairie.test", notBefore: now - 400 * 86_400, notAfter: now - 2 * 86_400)
        let valid = try factory.issue(name: "mail", subject: "/CN=mail.mairie.test", notAfter: now + 200 * 86_400)
        try directory.write("root/etc/ssl/portal.pem", expired.pem)
        try directory.write("root/etc/ssl/mail.pem", valid.pem)
        let today = String(ISO8601.string(from: now).prefix(10))
        try directory.write("root/etc/cyberctl/nis2-answers.yaml", """
            answers:
              h.certificats: {status: oui, evidence: {document: Calendrier des certificats, date: \(today)}}
              h.chiffrement-flux: {status: oui}
              c.sauvegardes-hors-ligne: {status: oui}
              a.dpo: {status: oui}
            """)
        let profile = try Profile.parse(bytes: Array("""
            name: t
            checks:
              cert.files:
                discover: false
                paths: [/etc/ssl/*.pem]
              org.nis2:
                answers: /etc/cyberctl/nis2-answers.yaml
            """.utf8), file: "t.yaml")
        let report = try await Scanner(profile: profile, root: try FileSystemRoot(root)).scan()

        let expiry = try #require(report.results.first { $0.code == "cert.expiry" && $0.target == "/etc/ssl/portal.pem" })
        #expect(expiry.status == .fail)
        let certificates = try #require(report.results.first { $0.code == "org.nis2.h.certificats" })
        #expect(certificates.status == .warn, "a contradicted oui does not earn full credit")
        #expect(certificates.evidence["contradicted"] == true)
        guard case .array(let by)? = certificates.evidence["contradictedBy"], case .object(let first)? = by.first else {
            Issue.record("no contradictedBy in \(certificates.evidence)")
            return
        }
        #expect(first["code"] == "cert.expiry")
        #expect(first["target"] == "/etc/ssl/portal.pem")
        // The technical results bearing on the item are counted beside it.
        let technical = try #require(certificates.evidence["technical"])
        guard case .object(let counts) = technical, let passes = counts["pass"]?.intValue, let fails = counts["fail"]?.intValue else {
            Issue.record("technical counts expected")
            return
        }
        #expect(fails >= 1)
        #expect(passes == report.results.filter { $0.code.hasPrefix("cert.") && $0.status == .pass }.count)
        // No TLS or backup check ran: those declarations stand as declared.
        let tls = try #require(report.results.first { $0.code == "org.nis2.h.chiffrement-flux" })
        #expect(tls.status == .pass)
        #expect(tls.evidence["technical"] == ["pass": 0, "warn": 0, "fail": 0, "error": 0])
        #expect(try #require(report.results.first { $0.code == "org.nis2.c.sauvegardes-hors-ligne" }).status == .pass)
        #expect(report.summary.domains[.organisation] != nil)
        #expect(report.summary.domains[.certificates] != nil)
        // The report still round-trips.
        let decoded = try Report.decode(try report.jsonBytes(), file: "r.json")
        #expect(decoded.results == report.results)
    }

    @Test func aRelativeAnswersPathIsRejectedWithItsLine() {
        do {
            _ = try Profile.parse(bytes: Array("name: t\nchecks:\n  org.nis2:\n    answers: reponses.yaml\n".utf8), file: "/p/t.yaml")
            Issue.record("a relative answers path was accepted")
        } catch {
            #expect(error.kind == .invalidData)
            #expect(error.line == 4, "\(error)")
            #expect(error.englishMessage.contains("expected an absolute path"))
        }
    }
}
