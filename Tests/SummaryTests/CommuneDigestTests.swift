import Agent
import Checks
import Foundation
import NIS2
import Model
import Summary
import Territory
import TerritoryGenerator
import TestSupport
import Testing

/// `territory digest` (issue 14): one member's monthly digest, built from the views on a real signed territory
/// (`SummaryFixture`: CA, enrolled agents, signed reports, the Territory ingest). A member that never reported,
/// a silent server, checks that could not run and an expired certificate must never read as reassuring.
@Suite("Monthly digest of one commune (territory digest)")
struct CommuneDigestTests {
    static let silentSiren = TerritoryGenerator.siren(99)

    /// Plouzané: srv-mairie reported yesterday (an expired certificate file, checks that could not run) and
    /// srv-ancien 20 days ago (silent); Lanvéoc: one good report, no contact; a third member never reported.
    static func fixture() throws -> SummaryFixture {
        let fixture = try SummaryFixture()
        let expired = ISO8601.string(from: fixture.now.addingTimeInterval(-10 * 86_400))
        let certificate = CheckResult(
            check: "cert.files", target: "/etc/letsencrypt/live/mairie/cert.pem", code: "cert.expiry", status: .fail, severity: .critical,
            evidence: ["notAfter": .string(expired), "subject": .string("CN=www.plouzane.fr")], durationMs: 2)
        let unreadable = CheckResult(
            check: "backup.sets", target: "/srv/backup", code: "backup.present", status: .error, severity: .high, reason: .init(fr: "permission refusée", en: "permission denied"),
            durationMs: 2)
        try fixture.write(SummaryFixture.plouzane, host: "srv-mairie", daysAgo: 1, results: SummaryFixture.weak.filter { !$0.code.hasPrefix("cert.expiry") && !$0.code.hasPrefix("backup.") } + [certificate, unreadable])
        try fixture.write(SummaryFixture.plouzane, host: "srv-ancien", daysAgo: 20, results: SummaryFixture.good)
        try fixture.write(SummaryFixture.lanveoc, host: "srv-lanveoc", daysAgo: 2, results: SummaryFixture.good)
        try fixture.ingest()
        let roster = """
            territory:
              name: Communauté de communes de la Presqu'île
              siren: "\(SummaryFixture.cc.siren!)"
              kind: cc
            members:
              - name: Commune de Plouzané
                siren: "212901896"
                kind: commune
                contacts:
                  maire: {name: Maire de Plouzané}
                  dgs: {name: Claire Le Gall, email: dgs@plouzane.example.fr}
                  elu_referent: {name: Yann Kerjean}
              - name: Commune de Lanvéoc
                siren: "213502388"
                kind: commune
              - name: Commune du Silence
                siren: "\(silentSiren)"
                kind: commune
                contacts:
                  maire: {name: Anne Morvan}
            """
        try fixture.store().importRoster(try Roster.parse(roster, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "")
        return fixture
    }

    static func builder(_ fixture: SummaryFixture, _ language: Language = .fr) throws -> CommuneDigestBuilder {
        CommuneDigestBuilder(
            views: TerritoryViews(store: try fixture.store(), now: fixture.now, language: language),
            scopeRules: try ScopeRules.shipped())
    }

    @Test("a commune with an expired certificate, a silent server and checks that could not run: addressed to its DGS and élu référent, nothing reassuring")
    func expiredAndSilent() throws {
        let fixture = try Self.fixture()
        let digest = try Self.builder(fixture).digest(siren: "212901896")
        #expect(digest.recipients.map(\.role) == ["Direction générale des services", "Élu(e) référent(e) numérique"])
        #expect(digest.greeting == "Bonjour Claire Le Gall, Yann Kerjean,")
        // The expired file, and srv-ancien's cert.expiry pass that gives no end date (SummaryFixture.good): unknown, said so.
        #expect(digest.certificates.count == 2, "\(digest.certificates)")
        #expect(digest.certificates.contains { $0.hasPrefix("Expiré le") && $0.contains("srv-mairie") }, "\(digest.certificates)")
        #expect(digest.certificates.contains { $0.hasPrefix("Date de fin non lue") && $0.contains("srv-ancien") }, "\(digest.certificates)")
        #expect(digest.silentHosts.count == 1 && digest.silentHosts[0].hasPrefix("srv-ancien"), "\(digest.silentHosts)")
        #expect(digest.state.contains("Ce constat ne porte que sur ce qui a pu être vérifié"), "\(digest.state)")
        #expect(!digest.state.contains("Très bon") && !digest.state.contains("Bon niveau"), "\(digest.state)")
        #expect(digest.unverified.contains { $0.contains("srv-ancien") }, "\(digest.unverified)")
        #expect(digest.unverified.contains { $0.contains("contrôles n'ont pas pu être menés") }, "\(digest.unverified)")
        #expect(!digest.fixes.isEmpty)
        #expect(digest.rssiActions.contains { $0.contains("srv-ancien") })
        let markdown = DigestRenderer.markdown(digest)
        for heading in ["## Où en est la commune", "## Ce qui n'a pas pu être vérifié", "## Certificats de sécurité", "## Serveurs qui n'envoient plus de contrôle", "## À corriger en premier", "## Ce que je fais de mon côté"] {
            #expect(markdown.contains(heading), "\(heading) missing:\n\(markdown)")
        }
        #expect(markdown.contains("À : Direction générale des services : Claire Le Gall \\<dgs@plouzane.example.fr\\>"), "\(markdown)")
        #expect(!markdown.contains("Aucun point à corriger"))
    }

    @Test("a member that never reported: says nothing is known, gives no priority, the RSSI contacts it; addressed to its maire")
    func neverReported() throws {
        let fixture = try Self.fixture()
        let digest = try Self.builder(fixture).digest(siren: Self.silentSiren)
        #expect(digest.greeting == "Bonjour Anne Morvan,")
        #expect(digest.state.contains("aucun contrôle") && digest.state.contains("ni en bien ni en mal"), "\(digest.state)")
        #expect(digest.fixes.isEmpty)
        #expect(digest.noFixes.hasPrefix("Aucune priorité ne peut être donnée"))
        #expect(!digest.unverified.isEmpty)
        #expect(digest.rssiActions.first?.contains("installer l'outil de contrôle") == true)
        let text = DigestRenderer.markdown(digest) + DigestRenderer.html(digest)
        for reassuring in ["Aucun point à corriger", "Très bon", "Bon niveau", "tout va bien", "rien à signaler"] {
            #expect(!text.contains(reassuring), "\(reassuring) in a digest of a commune never heard from")
        }
    }

    @Test("a member without contact: greeting without name, the RSSI completes the contacts; a good report still names what it could not verify")
    func withoutContact() throws {
        let fixture = try Self.fixture()
        let digest = try Self.builder(fixture).digest(siren: "213502388")
        #expect(digest.greeting == "Bonjour,")
        #expect(digest.recipients.isEmpty)
        #expect(digest.rssiActions.contains { $0.contains("contacts") })
        #expect(digest.silentHosts.isEmpty)
        // Its cert.expiry passes without an end date: not "valid", unknown.
        #expect(digest.certificates.count == 1 && digest.certificates[0].hasPrefix("Date de fin non lue"), "\(digest.certificates)")
        #expect(digest.unverified.contains { $0.contains("date de fin n'a pas pu être lue") }, "\(digest.unverified)")
        #expect(digest.state.contains("Ce constat ne porte que sur ce qui a pu être vérifié"), "\(digest.state)")
        #expect(digest.rssiActions.contains { $0.contains("Je fais vérifier les certificats") })
    }

    @Test("an unknown SIREN: missing input (66) naming it")
    func unknownSIREN() throws {
        let fixture = try Self.fixture()
        do {
            _ = try Self.builder(fixture).digest(siren: "552100554")
            Issue.record("an unknown SIREN gave a digest")
        } catch let error as InputError {
            #expect(error.exitCode == 66)
            #expect(error.description.contains("552100554"))
        }
    }

    @Test("HTML: every value escaped (names and targets come from reports and the roster); English with --lang en")
    func htmlEscapingAndEnglish() throws {
        let fixture = try Self.fixture()
        var digest = try Self.builder(fixture).digest(siren: "212901896")
        digest.name = "Commune <script>alert(1)</script> & Co"
        digest.certificates.append("Expiré : <img src=x onerror=alert(1)>")
        let html = DigestRenderer.html(digest)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script>") && !html.contains("<img"))
        #expect(html.contains("Commune &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"), "\(html)")
        #expect(html.contains("Claire Le Gall"))

        let english = try Self.builder(fixture, .en).digest(siren: "212901896")
        #expect(english.greeting == "Hello Claire Le Gall, Yann Kerjean,")
        #expect(english.state.contains("This covers only what could be verified"), "\(english.state)")
        #expect(DigestRenderer.markdown(english).contains("## What could not be verified"))
        #expect(english.certificates.first?.hasPrefix("Expired on") == true)
    }
}
