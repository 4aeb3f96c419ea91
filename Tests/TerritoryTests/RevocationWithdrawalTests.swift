import Agent
import Checks
import Foundation
import Incidents
import Model
import OpenSSLKit
import TestSupport
import Testing
@testable import Territory
@testable import Trust

/// Reports stored before their signer's certificate was revoked are withdrawn at the next consolidation
/// (`TerritoryStore.withdrawRevokedReports`): real CA (`CertificateAuthority`, and `cyberctl pki revoke`), real agent
/// certificates and signed reports, real CRL files, a real store on either backend (`CYBERCTL_TEST_STORE`).
@Suite("Reports of revoked signers withdrawn from the store", .serialized)
struct RevocationWithdrawalTests {
    typealias F = TerritoryFixture

    static let roster = AlertsTests.rosterOfAAndB

    /// Every rule passes: a report at level A.
    static let good: [CheckResult] = CapTests.clean + [
        F.result("backup.present", .pass, .high, target: "/srv/backup"),
        F.result("backup.separate-storage", .pass, .high, target: "/srv/backup"),
    ]

    /// A second agent certificate for (siren, host), issued `daysAgo` days before the fixture's now (a re-enrolled
    /// server: same host, new key).
    static func secondSigner(_ fixture: F, siren: String = F.sirenA, host: String = "srv-mairie", daysAgo: Double = 10) throws -> ReportSigner {
        let identity = try AgentIdentity(entityName: "Commune de Plouzané", siren: siren, host: host)
        let directory = fixture.folder.url("agents/second-\(siren)-\(host)")
        let enrolment = try Enrolment.enroll(identity: identity, directory: directory)
        let issuedAt = fixture.now.addingTimeInterval(-daysAgo * 86_400)
        let (certificate, _) = try fixture.authority.issue(enrolment.request, days: 400, now: issuedAt)
        try AtomicFile.write(Array(certificate.pemEncoded.utf8), to: directory + "/agent.crt", mode: 0o644)
        return try ReportSigner(keyPath: enrolment.keyPath, certificatePath: directory + "/agent.crt", now: issuedAt.addingTimeInterval(60))
    }

    /// Writes a report signed by `signer` into the inbox, signed 60 s after its generation time.
    @discardableResult
    static func write(_ fixture: F, _ name: String, signer: ReportSigner, daysAgo: Double, results: [CheckResult]) throws -> String {
        let bytes = try fixture.reportBytes(daysAgo: daysAgo, results: results)
        let path = try fixture.folder.write("inbox/\(name)", Data(bytes))
        let generated = Date(timeIntervalSince1970: (fixture.now.timeIntervalSince1970 - daysAgo * 86_400).rounded(.down))
        try fixture.folder.write("inbox/\(name).p7s", Data(try signer.sign(bytes, signingTime: generated.addingTimeInterval(60))))
        return path
    }

    /// The serial of the certificate that signed the stored report read from `path`.
    static func serial(_ fixture: F, path: String) throws -> String {
        try #require(try fixture.store().read { db in
            try db.fetchOne(String.self, sql: "SELECT signerSerial FROM report WHERE sourcePath = ?", arguments: [path])
        })
    }

    /// The store's sums kept at ingest equal a recomputation: each host's latest report is its newest stored one (ingest's
    /// order), `entity_domain` and `entity.latest*` are the sums of the latest reports, and the per-rule totals are
    /// `RuleTotalsTests`' full recomputation.
    static func expectConsistent(_ fixture: F, _ step: String) throws {
        let store = try fixture.store()
        try store.read { db in
            var newest: [Int64: (key: Int64, order: (Int, Int, String))] = [:]
            try db.forEachRow(sql: "SELECT key, hostID, generatedAt, signingTime, id FROM report", arguments: []) { row in
                let order: (Int, Int, String) = (row[2], row[3], row[4])
                let host: Int64 = row[1]
                if newest[host].map({ order > $0.order }) ?? true { newest[host] = (row[0], order) }
            }
            try db.forEachRow(sql: "SELECT id, latestReportKey FROM host", arguments: []) { row in
                let host: Int64 = row[0], latest: Int64? = row[1]
                #expect(latest == newest[host]?.key, "\(step): host \(host)'s latest report is its newest stored one")
            }
            var expected: [String: String] = [:]
            try db.forEachRow(sql: """
                SELECT h.siren, d.domain, SUM(d.weight), SUM(d.earned), SUM(d.failing), SUM(d.warning)
                FROM host h JOIN report_domain d ON d.reportKey = h.latestReportKey GROUP BY h.siren, d.domain
                """, arguments: []) { row in
                expected["\(row[0] as String) \(row[1] as String)"] = "\(row[2] as Double) \(row[3] as Double) \(row[4] as Int) \(row[5] as Int)"
            }
            var stored: [String: String] = [:]
            try db.forEachRow(sql: "SELECT siren, domain, weight, earned, failing, warning FROM entity_domain", arguments: []) { row in
                let weight: Double = row[2], failing: Int = row[4], warning: Int = row[5]
                guard weight != 0 || failing != 0 || warning != 0 else { return }
                stored["\(row[0] as String) \(row[1] as String)"] = "\(weight) \(row[3] as Double) \(failing) \(warning)"
            }
            #expect(stored == expected, "\(step): entity_domain is the sum of the latest reports")
            try db.forEachRow(sql: """
                SELECT e.siren, e.latestResults, e.latestScored,
                    (SELECT COALESCE(SUM(r.resultCount), 0) FROM host h JOIN report r ON r.key = h.latestReportKey WHERE h.siren = e.siren),
                    (SELECT COALESCE(SUM(r.scoredCount), 0) FROM host h JOIN report r ON r.key = h.latestReportKey WHERE h.siren = e.siren)
                FROM entity e
                """, arguments: []) { row in
                #expect((row[1] as Int, row[2] as Int) == (row[3] as Int, row[4] as Int), "\(step): entity \(row[0] as String)'s latest counts")
            }
            #expect(try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM result WHERE reportKey NOT IN (SELECT key FROM report)") == 0)
            #expect(try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report_fact WHERE reportKey NOT IN (SELECT key FROM report)") == 0)
        }
        try RuleTotalsTests.expectEqual(store, step)
        // The hosts' kept cap inputs follow their latest report: a row per host that still has one, equal to a
        // recomputation; none left for a host whose reports were all withdrawn.
        let (latest, rows) = try store.read { db in
            (try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM host WHERE latestReportKey IS NOT NULL") ?? 0,
             try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM host_cap") ?? 0)
        }
        #expect(rows == latest, "\(step): host_cap rows")
        if latest > 0 { try HostCapsTests.expectEqual(store, step, nows: [Int(Date().timeIntervalSince1970)]) }
        // The certificates listed (`latest_certificate`) follow their latest report too: the view equals a reading of
        // every result of the latest reports.
        try LatestCertificatesTests.expectEqual(store, now: fixture.now, step, brief: true)
    }

    @Test("A member at A whose only report's signer is revoked keyCompromise is no longer A: not evaluated, and alerted")
    func keyCompromiseWithdrawsEverything() throws {
        let fixture = try F()
        let good = try fixture.write("a/good.json", daysAgo: 1, results: Self.good)
        // Lanvéoc has a finding, so that the totals have something to compare, and is not touched.
        try fixture.write("b/r.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 1, results: F.mixed())
        let first = try fixture.ingest()
        #expect(first.stored == 2 && first.withdrawn.isEmpty)
        try fixture.store().importRoster(try Roster.parse(Self.roster, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "00")
        let before = try fixture.views().status()
        #expect(before.entities.first { $0.siren == F.sirenA }?.score.level == "A", "\(before.entities.map { ($0.siren, $0.score.level, CapTests.caps($0)) })")
        let serial = try Self.serial(fixture, path: good)

        // The RSSI revokes the agent's key with the real command; the CRL beside the CA is regenerated.
        let revoke = try BuiltBinary.run(["pki", "revoke", serial, "--reason", "keyCompromise", "--dir", fixture.folder.url("pki")])
        #expect(revoke.exitCode == 0, "\(revoke.stderr)")
        let ca = fixture.authority.certificatePath, crl = fixture.authority.crlPath, db = fixture.storeLocation
        let consolidate = try BuiltBinary.run(["consolidate", fixture.inbox, "--db", db, "--ca", ca, "--crl", crl, "--lang", "en"])
        #expect(consolidate.exitCode == 65, "withdrawn and refused: \(consolidate.stdout) \(consolidate.stderr)")
        #expect(consolidate.stdout.contains("⚠ report withdrawn: srv-mairie (Commune de Plouzané, SIREN \(F.sirenA))"), "\(consolidate.stdout)")
        #expect(consolidate.stdout.contains("certificate \(serial) revoked on"), "\(consolidate.stdout)")
        #expect(consolidate.stdout.contains("(reason keyCompromise); the server has no trusted report left: not evaluated"), "\(consolidate.stdout)")

        // The member has no trusted report left: never "A". Its server stays, silent, verifying nothing, every cap
        // unverified: the member is "non évalué" and under a cap, not dropped.
        let after = try fixture.views().status()
        let row = try #require(after.entities.first { $0.siren == F.sirenA }, "\(after.entities.map(\.siren))")
        #expect(row.score.score == nil && row.hosts == 1 && row.staleHosts == 1 && row.stale && row.newestReport == nil, "\(row)")
        #expect(!row.score.caps.isEmpty && row.score.caps.allSatisfy { $0.state == CapState.unverified.rawValue }, "\(row.score.caps)")
        #expect(after.neverReported.isEmpty)
        #expect(after.territory.distribution["non-evalue"] == 1, "\(after.territory.distribution)")
        #expect(after.territory.membersUnderCap.contains(F.sirenA))
        #expect(after.entities.first { $0.siren == F.sirenB }?.score == before.entities.first { $0.siren == F.sirenB }?.score)
        let counts = try fixture.store().counts()
        #expect(counts.reports == 1 && counts.results == 6)
        try Self.expectConsistent(fixture, "after the withdrawal")

        // Recorded: the refusal (English and French text naming the certificate and the reason), the file forgotten.
        let refusal = try #require(try fixture.views().rejected().rejections.first { $0.path == good })
        #expect(refusal.code == RejectionCode.reportWithdrawn)
        #expect(refusal.message.contains(serial) && refusal.message.contains("keyCompromise"), "\(refusal.message)")
        let french = try fixture.store().read { db in try db.fetchOne(String.self, sql: "SELECT messageFr FROM rejection WHERE path = ?", arguments: [good]) }
        #expect(french?.contains("rapport retiré de la base") == true && french?.contains(serial) == true, "\(french ?? "")")
        #expect(try fixture.store().read { db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM inbox_file WHERE path = ?", arguments: [good]) } == 0)

        // The alerts name the member, its host and the withdrawal (French first).
        let alerts = try BuiltBinary.run(["territory", "alerts", "--db", db, "--format", "json"])
        let view = try JSONDecoder().decode(AlertsView.self, from: Data(alerts.stdout.utf8))
        let withdrawn = view.alerts.filter { $0.kind == .reportWithdrawn }
        #expect(withdrawn.count == 1, "\(view.alerts.map(\.kind))")
        #expect(withdrawn.first?.siren == F.sirenA && withdrawn.first?.host == "srv-mairie" && withdrawn.first?.subject == good)
        #expect(withdrawn.first?.detail.contains("n'a plus aucun rapport de confiance") == true, "\(withdrawn.first?.detail ?? "")")
        #expect(!view.alerts.contains { $0.kind == .reportRefused && $0.subject == good }, "said once, as a withdrawal")
        #expect(view.counts["report-withdrawn"] == 1)

        // The élus page names the member among those without a recent trusted report, not at its former level.
        let page = try BuiltBinary.run(["summary", "--territory", "--db", db, "--format", "markdown"])
        #expect(page.exitCode == 0, "\(page.stderr)")
        let line = page.stdout.split(separator: "\n").first { $0.contains("pas envoyé de contrôle depuis plus de") }
        #expect(line?.contains("Commune de Plouzané") == true, "\(page.stdout)")

        // Idempotent: the same CRL again withdraws nothing more and says nothing new.
        let again = try BuiltBinary.run(["consolidate", fixture.inbox, "--db", db, "--ca", ca, "--crl", crl, "--format", "json"])
        let summary = try JSONDecoder().decode(IngestSummary.self, from: Data(again.stdout.utf8))
        #expect(summary.withdrawn.isEmpty && summary.stored == 0)
        #expect(summary.rejectedByCode == ["certificate-revoked": 1], "the file is still refused when read again")
        #expect(try fixture.store().counts().reports == 1)
        let later = try fixture.views().alerts(withinDays: 30).view
        #expect(later.alerts.filter { $0.kind == .reportWithdrawn }.count == 1)
        try Self.expectConsistent(fixture, "after a second consolidation")
    }

    @Test("A superseded revocation escalated to keyCompromise (same date) withdraws the reports signed before it at the next consolidation")
    func escalationToKeyCompromiseWithdrawsEverything() throws {
        let fixture = try F()
        try fixture.write("srv1.json", host: "srv-mairie", daysAgo: 2, results: Self.good)
        try fixture.write("b.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 1, results: F.mixed())
        #expect(try fixture.ingest().stored == 2)
        let serial = try fixture.signer(siren: F.sirenA, host: "srv-mairie").certificate.serialNumberHex
        try fixture.authority.revoke(serial: serial, reason: .superseded, now: fixture.now.addingTimeInterval(-86_400))
        #expect(try fixture.ingest().withdrawn.isEmpty, "signed before a superseded revocation: stays")
        #expect(try fixture.views().status().entities.first { $0.siren == F.sirenA }?.score.level == "A")
        let change = try fixture.authority.revocation(serial: serial, reason: .keyCompromise, now: fixture.now)
        #expect(change.previousReason == "superseded")
        let withdrawn = try fixture.ingest().withdrawn
        #expect(withdrawn.count == 1 && withdrawn.first?.reason == "keyCompromise" && withdrawn.first?.everyReport == true, "\(withdrawn)")
        #expect(try fixture.views().status().entities.first { $0.siren == F.sirenA }?.score.level != "A")
        try Self.expectConsistent(fixture, "after an escalation to keyCompromise")
    }

    @Test("A member with a good server and a withdrawn one is not judged on the good one alone: the other is silent, its caps unverified")
    func withdrawnServerDoesNotVanish() throws {
        let fixture = try F()
        try fixture.write("srv1.json", host: "srv-mairie", daysAgo: 1, results: Self.good + [F.result("tls.hsts", .warn, .medium, target: "intranet:443")])
        // srv-ecole has no backup: the member is at E while its report stands.
        try fixture.write("srv2.json", host: "srv-ecole", daysAgo: 1, results: CapTests.clean + [F.result("backup.present", .fail, .critical, target: "/srv/backup")])
        #expect(try fixture.ingest().stored == 2)
        #expect(try fixture.views().status().entities.first?.score.level == "E")
        let serial = try fixture.signer(siren: F.sirenA, host: "srv-ecole").certificate.serialNumberHex
        try fixture.authority.revoke(serial: serial, reason: .keyCompromise, now: fixture.now)
        #expect(try fixture.ingest().withdrawn.count == 1)
        let row = try #require(try fixture.views().status().entities.first { $0.siren == F.sirenA })
        #expect(row.hosts == 2 && row.staleHosts == 1 && row.newestReport != nil, "\(row)")
        #expect(row.score.level != "A" && row.score.caps.contains { $0.state == CapState.unverified.rawValue && $0.hosts == ["srv-ecole"] }, "\(row.score)")
        // The lists say they could not see that server.
        let coverage = try fixture.views().findings().coverage
        #expect(coverage.silent == 1 && !coverage.complete, "\(coverage)")
        try Self.expectConsistent(fixture, "after the withdrawal of one server of two")
    }

    @Test("An entity out of the roster whose every report was withdrawn stays one entity with a server everywhere: status, consolidate's out-of-perimeter list, fixes, list coverage")
    func outOfPerimeterWithdrawnEverywhere() throws {
        let fixture = try F()
        try fixture.write("a.json", daysAgo: 1, results: Self.good)
        try fixture.write("b.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 1, results: F.mixed())
        // C (not in the roster of A and B) reports once, by a key that is then revoked: every report of C withdrawn.
        try fixture.write("c.json", siren: AlertsTests.sirenC, host: "srv-c", daysAgo: 1, results: F.mixed(1), entityName: "Commune sans rien")
        #expect(try fixture.ingest().stored == 3)
        try fixture.store().importRoster(try Roster.parse(Self.roster, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "00")
        let store = try fixture.store()
        #expect(try store.entitiesOutOfPerimeter()?.map(\.siren) == [AlertsTests.sirenC])
        let serial = try fixture.signer(siren: AlertsTests.sirenC, host: "srv-c", entityName: "Commune sans rien").certificate.serialNumberHex
        try fixture.authority.revoke(serial: serial, reason: .keyCompromise, now: fixture.now)
        #expect(try fixture.ingest().withdrawn.count == 1)
        #expect(try store.read { db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report WHERE siren = ?", arguments: [AlertsTests.sirenC]) } == 0)

        // The status shows C, out of perimeter; consolidate's note lists it; the fixes' base and the lists' coverage leave it
        // out of the members, as they leave out an out-of-perimeter entity with reports.
        let status = try fixture.views().status()
        let row = try #require(status.entities.first { $0.siren == AlertsTests.sirenC }, "\(status.entities.map(\.siren))")
        #expect(!row.inPerimeter && row.hosts == 1 && row.score.score == nil, "\(row)")
        #expect(status.territory.outOfPerimeter == 1 && status.territory.members == 2)
        #expect(try store.entitiesOutOfPerimeter()?.map(\.siren) == [AlertsTests.sirenC], "listed like the status lists it")
        let base = try store.read { db in try TerritoryViews.FixBase(db) }
        let inputs = try store.read { db in try fixture.views().memberInputs(db) }
        let fromInputs = TerritoryViews.FixBase(inputs)
        #expect(base.members == fromInputs.members && base.outside.sorted() == fromInputs.outside.sorted() && base.outside == [AlertsTests.sirenC])
        #expect(base.scoreSum == fromInputs.scoreSum)
        let coverage = try fixture.views().findings().coverage
        #expect(coverage.members == 2 && coverage.reporting == 2 && coverage.silent == 0, "\(coverage)")

        // In the roster, C is a member with a server, judged on nothing, in every one of them alike.
        try store.importRoster(try Roster.parse(AlertsTests.roster, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "01")
        #expect(try store.entitiesOutOfPerimeter()?.isEmpty == true)
        let member = try #require(try fixture.views().status().entities.first { $0.siren == AlertsTests.sirenC })
        #expect(member.inPerimeter && member.score.score == nil)
        let memberBase = try store.read { db in try TerritoryViews.FixBase(db) }
        #expect(memberBase.members.contains(AlertsTests.sirenC) && memberBase.outside.isEmpty)
        #expect(memberBase.members == (try store.read { db in TerritoryViews.FixBase(try fixture.views().memberInputs(db)) }).members)
        let memberCoverage = try fixture.views().findings().coverage
        #expect(memberCoverage.members == 3 && memberCoverage.reporting == 3 && memberCoverage.neverReported == 0, "\(memberCoverage)")
        #expect(memberCoverage.notEvaluated == 1 && memberCoverage.silent == 1, "\(memberCoverage)")
        try Self.expectConsistent(fixture, "after the withdrawal of an entity out of perimeter")
    }

    @Test("A host whose newest report's signer is revoked falls back on its older report by a valid certificate, file gone from the inbox")
    func fallsBackOnOlderReport() throws {
        let fixture = try F()
        let older = try fixture.write("old.json", daysAgo: 5, results: F.mixed(1))
        let second = try Self.secondSigner(fixture)
        let newer = try Self.write(fixture, "new.json", signer: second, daysAgo: 1, results: Self.good)
        // Lanvéoc has a finding, so that the totals have something to compare (the newer report's targets are not the
        // older one's: nothing of the older report counts as resolved).
        try fixture.write("b/r.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 1, results: F.mixed())
        #expect(try fixture.ingest().stored == 3)
        try Self.expectConsistent(fixture, "before")
        #expect(try fixture.views().host("srv-mairie").first?.reports.first?.sourcePath == newer)
        let olderScore = try fixture.store().read { db in
            try db.fetchOne(Int.self, sql: "SELECT score FROM report WHERE sourcePath = ?", arguments: [older])
        }

        // The newer file is gone from the inbox: never read again, yet its report must not keep speaking.
        try FileManager.default.removeItem(atPath: newer)
        try FileManager.default.removeItem(atPath: newer + ".p7s")
        try fixture.authority.revoke(serial: second.certificate.serialNumberHex, reason: .keyCompromise, now: fixture.now)
        let summary = try fixture.ingest()
        #expect(summary.rejected == 0 && summary.withdrawn.count == 1, "\(summary)")
        let withdrawn = try #require(summary.withdrawn.first)
        #expect(withdrawn.path == newer && withdrawn.wasLatest && withdrawn.reason == "keyCompromise")
        #expect(withdrawn.serial == second.certificate.serialNumberHex)
        #expect(withdrawn.hostLatestAfter == ISO8601.string(from: Date(timeIntervalSince1970: (fixture.now.timeIntervalSince1970 - 5 * 86_400).rounded(.down))))
        let detail = try #require(try fixture.views().host("srv-mairie").first)
        #expect(detail.reports.map(\.sourcePath) == [older])
        #expect(detail.score.score == olderScore)
        #expect(try fixture.views().status().entities.first { $0.siren == F.sirenA }?.score.score == olderScore)
        try Self.expectConsistent(fixture, "after the fallback")
        #expect(try fixture.ingest().withdrawn.isEmpty, "idempotent")
    }

    @Test("superseded between two reports withdraws only the one signed after the revocation")
    func supersededWithdrawsOnlyLaterReports() throws {
        let fixture = try F()
        let earlier = try fixture.write("r1.json", daysAgo: 5, results: F.mixed(0))
        let later = try fixture.write("r2.json", daysAgo: 1, results: F.mixed(1))
        #expect(try fixture.ingest().stored == 2)
        let serial = try Self.serial(fixture, path: later)
        // Revoked three days ago: r1 (five days ago) was signed before, r2 (one day ago) after.
        try fixture.authority.revoke(serial: serial, reason: .superseded, now: fixture.now.addingTimeInterval(-3 * 86_400))
        let summary = try fixture.ingest()
        #expect(summary.withdrawn.map(\.path) == [later], "\(summary)")
        #expect(summary.withdrawn.first?.reason == "superseded" && summary.withdrawn.first?.everyReport == false)
        #expect(summary.withdrawn.first?.message.en.contains("after the revocation") == true)
        #expect(summary.rejectedByCode == ["certificate-revoked": 1], "the verifier refuses the later file too, and only it")
        #expect(try fixture.views().host("srv-mairie").first?.reports.map(\.sourcePath) == [earlier])
        #expect(try fixture.store().counts().reports == 1)
        try Self.expectConsistent(fixture, "after superseded")
        let again = try fixture.ingest()
        #expect(again.withdrawn.isEmpty && again.stored == 0)
        #expect(try fixture.store().counts().reports == 1)

        // No CRL at all (or the CRL from before the revocation: a backup restored, a replayed file): the file left in
        // the inbox verifies again, but the store remembers the revocation; an earlier report of the same signer still
        // counts (superseded is dated), a later one is refused too.
        let unlisted = ReportVerifier(trust: try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: []))
        let refused = try Ingest(store: try fixture.store(), verifier: unlisted).run(try Inbox.discover([fixture.inbox]))
        #expect(refused.stored == 0 && refused.rejectedByCode == ["certificate-revoked": 1], "\(refused)")
        #expect(try fixture.views().host("srv-mairie").first?.reports.map(\.sourcePath) == [earlier])
        let refusal = try #require(try fixture.views().rejected().rejections.first { $0.path == later })
        #expect(refusal.code == "certificate-revoked" && refusal.message.contains(serial) && refusal.message.contains("superseded"), "\(refusal)")
        try Self.expectConsistent(fixture, "after a consolidation without CRL")

        // A CRL regenerated later without the entry (the CA's folder restored from a backup taken before the
        // revocation, then `pki crl`): superseded is final, the report stays refused.
        try Self.liftRevocation(fixture, serial: serial, at: fixture.now.addingTimeInterval(3_600))
        let regenerated = ReportVerifier(trust: try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: [fixture.authority.crlPath]))
        let still = try Ingest(store: try fixture.store(), verifier: regenerated).run(try Inbox.discover([fixture.inbox]))
        #expect(still.stored == 0 && still.rejectedByCode == ["certificate-revoked": 1], "\(still)")
        #expect(try fixture.views().host("srv-mairie").first?.reports.map(\.sourcePath) == [earlier])
    }

    /// Takes `serial`'s revocation out of the CA's index and signs a fresh CRL at `at`: a hold lifted, or a CA folder
    /// restored from before the revocation.
    static func liftRevocation(_ fixture: F, serial: String, at: Date) throws {
        var index = try fixture.authority.readIndex()
        for position in index.certificates.indices where index.certificates[position].serial == serial {
            index.certificates[position].revokedAt = nil
            index.certificates[position].revocationReason = nil
        }
        try fixture.authority.writeIndex(index)
        try fixture.authority.refreshCRL(now: at)
    }

    @Test("keyCompromise: neither a new report of the revoked key nor its withdrawn one is taken under no CRL or a CRL regenerated without the entry")
    func compromisedSignerStaysRefused() throws {
        let fixture = try F()
        // Lanvéoc has a finding, so that the totals have something to compare, and is not touched.
        try fixture.write("b/r.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 1, results: F.mixed())
        let first = try fixture.write("r1.json", daysAgo: 3, results: Self.good)
        #expect(try fixture.ingest().stored == 2)
        let serial = try Self.serial(fixture, path: first)
        try fixture.authority.revoke(serial: serial, reason: .keyCompromise, now: fixture.now.addingTimeInterval(-86_400))
        #expect(try fixture.ingest().withdrawn.map(\.path) == [first])
        // The thief signs a new flattering report with the stolen key, and the RSSI's run has no CRL (or an old one).
        try fixture.write("r2.json", daysAgo: 0.5, results: Self.good)
        let unlisted = ReportVerifier(trust: try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: []))
        let noCRL = try Ingest(store: try fixture.store(), verifier: unlisted).run(try Inbox.discover([fixture.inbox]))
        #expect(noCRL.stored == 0 && noCRL.rejectedByCode == ["certificate-revoked": 2], "\(noCRL)")
        try Self.liftRevocation(fixture, serial: serial, at: fixture.now.addingTimeInterval(3_600))
        let regenerated = ReportVerifier(trust: try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: [fixture.authority.crlPath]))
        let later = try Ingest(store: try fixture.store(), verifier: regenerated).run(try Inbox.discover([fixture.inbox]))
        #expect(later.stored == 0 && later.rejectedByCode == ["certificate-revoked": 2], "\(later)")
        #expect(try fixture.store().counts().reports == 1, "Lanvéoc's only")
        #expect(try fixture.views().status().entities.first { $0.siren == F.sirenA }?.score.score == nil)
        // The refusals reach the RSSI as alerts.
        let alerts = try fixture.views().alerts(withinDays: 30).view
        #expect(alerts.alerts.contains { $0.kind == .reportRefused }, "\(alerts.alerts.map(\.kind))")
        try Self.expectConsistent(fixture, "after the thief's reports")
    }

    @Test("consolidate refuses a CRL older than the one the store already saw (exit 65, the file named), and stores nothing")
    func olderCRLRefused() throws {
        let fixture = try F()
        let first = try fixture.write("r1.json", daysAgo: 3, results: Self.good)
        let ca = fixture.authority.certificatePath, crl = fixture.authority.crlPath, db = fixture.storeLocation
        // The CRL from the CA's creation, kept aside (a backup), then a revocation signs a newer one.
        let old = fixture.folder.url("old-crl.pem")
        try FileManager.default.copyItem(atPath: crl, toPath: old)
        #expect(try BuiltBinary.run(["consolidate", fixture.inbox, "--db", db, "--ca", ca, "--crl", crl]).exitCode == 0)
        let serial = try Self.serial(fixture, path: first)
        try fixture.authority.revoke(serial: serial, reason: .superseded, now: fixture.now.addingTimeInterval(-86_400))
        #expect(try BuiltBinary.run(["consolidate", fixture.inbox, "--db", db, "--ca", ca, "--crl", crl]).exitCode == 0, "signed before: kept")
        try fixture.write("r2.json", daysAgo: 0.5, results: Self.good)
        let refused = try BuiltBinary.run(["consolidate", fixture.inbox, "--db", db, "--ca", ca, "--crl", old])
        #expect(refused.exitCode == 65, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains(old) && refused.stderr.contains("plus ancienne que celle déjà vue par cette base"), "\(refused.stderr)")
        #expect(try fixture.store().counts().reports == 1, "r2 not stored")
        // The newest CRL again: r2, signed after the revocation, is refused by the verification.
        let again = try BuiltBinary.run(["consolidate", fixture.inbox, "--db", db, "--ca", ca, "--crl", crl, "--format", "json"])
        #expect(again.exitCode == 65)
        #expect(try fixture.store().counts().reports == 1)
    }

    @Test("certificateHold lifted by a later CRL: the withdrawn report is taken back; under no CRL it is not")
    func holdLiftedTakesBack() throws {
        let fixture = try F()
        // Lanvéoc has a finding, so that the totals have something to compare, and is not touched.
        try fixture.write("b/r.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 1, results: F.mixed())
        let first = try fixture.write("r1.json", daysAgo: 3, results: Self.good)
        #expect(try fixture.ingest().stored == 2)
        let serial = try Self.serial(fixture, path: first)
        try fixture.authority.revoke(serial: serial, reason: .certificateHold, now: fixture.now.addingTimeInterval(-86_400))
        let withdrawal = try fixture.ingest()
        #expect(withdrawal.withdrawn.map(\.path) == [first] && withdrawal.withdrawn.first?.reason == "certificateHold", "\(withdrawal)")
        let withdrawnAt = try #require(withdrawal.withdrawn.first.flatMap { ISO8601.date(from: $0.withdrawnAt) })
        let unlisted = ReportVerifier(trust: try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: []))
        #expect(try Ingest(store: try fixture.store(), verifier: unlisted).run(try Inbox.discover([fixture.inbox])).stored == 0)
        try Self.liftRevocation(fixture, serial: serial, at: withdrawnAt.addingTimeInterval(60))
        let lifted = ReportVerifier(trust: try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: [fixture.authority.crlPath]))
        let restored = try Ingest(store: try fixture.store(), verifier: lifted).run(try Inbox.discover([fixture.inbox]))
        #expect(restored.stored == 1 && restored.withdrawn.isEmpty, "\(restored)")
        #expect(try fixture.views().host("srv-mairie").first?.reports.map(\.sourcePath) == [first])
        #expect(try fixture.store().withdrawals(since: .distantPast).map(\.path) == [first], "the record stays")
        try Self.expectConsistent(fixture, "after the hold was lifted")
    }

    @Test("A CRL listing no stored signer withdraws nothing and writes nothing")
    func unrelatedRevocationChangesNothing() throws {
        let fixture = try F()
        try fixture.write("r.json", daysAgo: 1, results: F.mixed())
        // Another agent's certificate, revoked: the stored report's signer is not listed.
        let other = try Self.secondSigner(fixture, host: "srv-autre")
        #expect(try fixture.ingest().stored == 1)
        try fixture.authority.revoke(serial: other.certificate.serialNumberHex, reason: .keyCompromise, now: fixture.now)
        let summary = try fixture.ingest()
        #expect(summary.withdrawn.isEmpty && summary.rejected == 0)
        #expect(try fixture.store().counts().reports == 1)
        #expect(try fixture.store().withdrawals(since: .distantPast).isEmpty)
    }

    @Test("A CRL's entries read back as written: serial in the certificates' hexadecimal, date, reason")
    func crlEntriesReadBack() throws {
        let fixture = try F()
        let signer = try fixture.signer(siren: F.sirenA, host: "srv-mairie")
        let revokedAt = fixture.now.addingTimeInterval(-86_400)
        try fixture.authority.revoke(serial: signer.certificate.serialNumberHex, reason: .cessationOfOperation, now: revokedAt)
        let trust = try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: [fixture.authority.crlPath])
        let entries = trust.revocationLists.flatMap(\.entries)
        #expect(entries.count == 1)
        #expect(entries.first?.serialNumberHex == signer.certificate.serialNumberHex)
        #expect(entries.first?.revocationDate == revokedAt)
        #expect(entries.first?.reason == .cessationOfOperation)
        #expect(trust.revocationLists.first?.issuerName.displayText == signer.certificate.issuerName.displayText)
        #expect(CertificateRevocationList.Entry(serialNumber: [0, 0x0A, 0xFF], revocationDate: revokedAt, reason: nil).serialNumberHex == "0AFF")
        #expect(CertificateRevocationList.Entry(serialNumber: [], revocationDate: revokedAt, reason: nil).serialNumberHex == "0")
    }
}
