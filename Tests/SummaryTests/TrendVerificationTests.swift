import Checks
import Foundation
@testable import Summary
import Model
import Territory
import Testing

/// The trend never calls a rise progress when the newest report stopped verifying what the previous one verified
/// (a check in error, skipped, or left out): the two scores do not measure the same ground (`LostChecks`). Real signed
/// reports ingested into the store under test (SQLite, or PostgreSQL with `CYBERCTL_TEST_STORE=postgresql`).
@Suite("Trend on unverified ground")
struct TrendVerificationTests {
    typealias F = SummaryFixture

    static func result(_ code: String, _ status: Status, _ severity: Severity = .high, target: String = "t") -> CheckResult {
        F.result(code, status, severity, target: target)
    }

    /// `F.weak` with the rules of `changes` replaced (same target) by the given status, and the codes of `dropped` left out.
    static func weak(_ changes: [String: Status] = [:], dropping dropped: Set<String> = []) -> [CheckResult] {
        F.weak.filter { !dropped.contains($0.code) }.map { result in
            var copy = result
            if let status = changes[result.code] { copy.status = status }
            return copy
        }
    }

    /// What the entity page compares: the rules `siren`'s hosts no longer verified since its trend's comparison point.
    static func lost(_ fixture: F, _ siren: String) throws -> [String: LostChecks] {
        let builder = try fixture.builder()
        return try builder.lostChecks(siren, points: builder.views.entityTrend(siren: siren)).map { [siren: $0] } ?? [:]
    }

    /// `daysAgo` of yesterday at `hour` o'clock, Paris time: reports of one local day, whatever time the test runs.
    static func yesterday(_ fixture: F, hour: Int) -> Double {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        let start = calendar.startOfDay(for: fixture.now.addingTimeInterval(-86_400))
        return fixture.now.timeIntervalSince(start.addingTimeInterval(Double(hour) * 3_600)) / 86_400
    }

    @Test("Another server's unchanged report an hour after a rise from lost checks: still not progress, the trend compares with the day before")
    func caveatSurvivesAnotherServer() throws {
        let fixture = try F()
        try fixture.write(F.plouzane, host: "srv1", daysAgo: 3, results: F.weak)
        try fixture.write(F.plouzane, host: "srv2", daysAgo: 3, results: F.good)
        try fixture.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 3, results: F.good)
        try fixture.write(F.plouzane, host: "srv1", daysAgo: Self.yesterday(fixture, hour: 10),
                          results: Self.weak(["patch.security-updates": .skip, "backup.offline-copy": .error]))
        try fixture.write(F.plouzane, host: "srv2", daysAgo: Self.yesterday(fixture, hour: 11), results: F.good)
        try fixture.ingest()
        #expect(try Self.lost(fixture, F.plouzane.siren!)[F.plouzane.siren!]?.codes == ["backup.offline-copy", "patch.security-updates"])
        let summary = try fixture.builder().entity(F.plouzane.siren!)
        #expect(summary.trend.direction == .unverified, "\(summary.trend.sentence)")
        #expect(try #require(summary.score) > (summary.trend.previousScore ?? 100) + SummaryBuilder.stableBand)
        #expect(summary.trend.sentence.contains("2 vérifications faites la fois précédente n'ont pas pu l'être cette fois"))
        #expect(!(summary.trend.sentence.split(separator: ",").first ?? "").contains(" h "), "compared with the day before, not with srv1's report an hour earlier: \(summary.trend.sentence)")
        // The territory: Plouzané's row and the territory's own trend, Lanvéoc's report of three days ago unchanged.
        let page = try fixture.builder().territory()
        #expect(page.members.first { $0.siren == F.plouzane.siren }?.trend == .unverified)
        #expect(page.trend.direction == .unverified, "\(page.trend.sentence)")
        #expect(page.trend.sentence.contains("2 vérifications faites la fois précédente"))
    }

    @Test("The comparison point: the last point of an earlier day (Paris time), else the first point")
    func comparisonPoint() {
        func point(_ at: String) -> TrendPoint {
            TrendPoint(at: at, score: 60, level: "C", scoreLevel: "C", coverage: 1, hosts: 1, host: "srv", siren: nil, caps: [])
        }
        #expect(SummaryBuilder.comparisonIndex([point("2026-11-01T08:00:00Z")]) == nil)
        // 22:30 UTC on 1 November is 23:30 in Paris, the same day; 23:30 UTC is the next day there.
        let points = ["2026-10-30T08:00:00Z", "2026-11-01T08:00:00Z", "2026-11-01T22:30:00Z", "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z"].map(point)
        #expect(SummaryBuilder.comparisonIndex(points) == 2)
        #expect(SummaryBuilder.comparisonIndex(Array(points.prefix(3))) == 0)
        #expect(SummaryBuilder.comparisonIndex(Array(points.prefix(3)) + [point("2026-11-01T23:30:00Z")]) == 2)
        #expect(SummaryBuilder.comparisonIndex(Array(points.prefix(2))) == 0)
        #expect(SummaryBuilder.comparisonIndex(["2026-11-01T08:00:00Z", "2026-11-01T09:00:00Z", "2026-11-01T10:00:00Z"].map(point)) == 0)
        #expect(SummaryBuilder.comparisonTime(Array(points.prefix(4))) == Int64(ISO8601.date(from: "2026-11-01T22:30:00Z")!.timeIntervalSince1970))
    }

    @Test("Failing rules that err or are skipped next time: the score rises, the page says the checks could not be done again, not progress")
    func errorOrSkipIsNotProgress() throws {
        let fixture = try F()
        try fixture.write(F.plouzane, daysAgo: 3, results: F.weak)
        try fixture.write(F.plouzane, daysAgo: 1, results: Self.weak(["patch.security-updates": .skip, "backup.offline-copy": .error, "tls.weak-ciphers": .error]))
        try fixture.ingest()
        let lost = try Self.lost(fixture, F.plouzane.siren!)
        #expect(lost[F.plouzane.siren!]?.codes == ["backup.offline-copy", "patch.security-updates", "tls.weak-ciphers"])
        #expect(lost[F.plouzane.siren!]?.domains == [.tls, .patches, .backups])
        let summary = try fixture.builder().entity(F.plouzane.siren!)
        let before = try #require(summary.trend.previousScore), now = try #require(summary.score)
        #expect(now > before + SummaryBuilder.stableBand, "the rise the tester saw: \(before) → \(now)")
        #expect(summary.trend.direction == .unverified)
        #expect(summary.trend.sentence.contains("3 vérifications faites la fois précédente n'ont pas pu l'être cette fois, sur "
            + "la protection des échanges (site internet, messagerie), les mises à jour des serveurs et les sauvegardes : la hausse (note \(before) → \(now) sur 100"))
        #expect(summary.trend.sentence.hasSuffix("peut venir de là et ne montre pas un progrès."))
        #expect(!summary.trend.sentence.contains("progrès depuis"))
    }

    @Test("Failing rules simply absent from the next full report (another profile): not comparable either")
    func absentIsNotProgress() throws {
        let fixture = try F()
        try fixture.write(F.plouzane, daysAgo: 3, results: F.weak)
        try fixture.write(F.plouzane, daysAgo: 1, results: Self.weak(dropping: ["tls.legacy-protocols", "tls.weak-ciphers", "cert.expiry"]))
        try fixture.ingest()
        let summary = try fixture.builder().entity(F.plouzane.siren!)
        #expect(try #require(summary.score) > (summary.trend.previousScore ?? 100))
        #expect(summary.trend.direction == .unverified)
        #expect(summary.trend.sentence.hasPrefix("Depuis le contrôle du "))
        #expect(summary.trend.sentence.contains("3 vérifications faites la fois précédente"))
    }

    @Test("Real fixes, a new certificate file beside the renewed one, a rule that erred both times: progress it is")
    func fixesStayProgress() throws {
        let fixture = try F()
        let old = F.weak + [Self.result("tls.hsts", .error, .medium, target: "intranet:443")]
        try fixture.write(F.plouzane, daysAgo: 3, results: old)
        var renewed = Self.weak(["tls.legacy-protocols": .pass, "patch.security-updates": .pass, "cert.expiry": .pass])
        renewed.append(Self.result("cert.expiry", .pass, .critical, target: "/etc/ssl/certs/www-2027.pem"))
        renewed.append(Self.result("tls.hsts", .error, .medium, target: "intranet:443"))
        try fixture.write(F.plouzane, daysAgo: 1, results: renewed)
        try fixture.ingest()
        #expect(try Self.lost(fixture, F.plouzane.siren!).isEmpty)
        let summary = try fixture.builder().entity(F.plouzane.siren!)
        #expect(summary.trend.direction == .up)
        #expect(summary.trend.sentence.hasPrefix("En progrès depuis le contrôle du "))
    }

    @Test("A failing endpoint and a failing certificate file simply no longer named, the rules passing on targets named before: lost, not progress")
    func failingTargetGoneIsLost() throws {
        let fixture = try F()
        let before = F.good + [
            Self.result("tls.legacy-protocols", .fail, .high, target: "mairie.example.fr:443"),
            Self.result("cert.expiry", .fail, .critical, target: "/etc/ssl/old.pem"),
        ]
        try fixture.write(F.lanveoc, daysAgo: 3, results: before)
        try fixture.write(F.lanveoc, daysAgo: 1, results: F.good)
        try fixture.ingest()
        let lost = try Self.lost(fixture, F.lanveoc.siren!)
        #expect(lost[F.lanveoc.siren!]?.codes == ["cert.expiry", "tls.legacy-protocols"])
        let summary = try fixture.builder().entity(F.lanveoc.siren!)
        #expect(try #require(summary.score) > (summary.trend.previousScore ?? 100))
        #expect(summary.trend.direction == .unverified, "\(summary.trend.sentence)")
        #expect(!summary.trend.sentence.contains("progrès depuis"))
        // The findings say the same: neither is resolved.
        let findings = try fixture.builder().views.findings().findings
        #expect(findings.filter { ["cert.expiry", "tls.legacy-protocols"].contains($0.code) }.map(\.resolved).reduce(0, +) == 0)
    }

    @Test("An expired certificate file replaced by a new file that passes: the old one was not looked at, lost like the endpoint gone")
    func replacedFileIsLost() throws {
        let fixture = try F()
        try fixture.write(F.lanveoc, daysAgo: 3, results: F.good + [
            Self.result("tls.legacy-protocols", .fail, .high, target: "mairie.example.fr:443"),
            Self.result("cert.expiry", .fail, .critical, target: "/etc/ssl/old.pem"),
        ])
        try fixture.write(F.lanveoc, daysAgo: 1, results: F.good + [Self.result("cert.expiry", .pass, .critical, target: "/etc/ssl/new.pem")])
        try fixture.ingest()
        #expect(try Self.lost(fixture, F.lanveoc.siren!)[F.lanveoc.siren!]?.codes == ["cert.expiry", "tls.legacy-protocols"])
        let findings = try fixture.builder().views.findings().findings
        #expect(findings.filter { ["cert.expiry", "tls.legacy-protocols"].contains($0.code) }.map(\.resolved).reduce(0, +) == 0)
    }

    @Test("A certificate that could be read last time and not this time, beside another one read both times: lost, said beside a stable score")
    func targetInErrorIsLost() throws {
        let fixture = try F()
        let two = F.good + [Self.result("cert.expiry", .fail, .critical, target: "/etc/ssl/b.pem")]
        try fixture.write(F.lanveoc, daysAgo: 3, results: two)
        try fixture.write(F.lanveoc, daysAgo: 1, results: F.good + [Self.result("cert.expiry", .error, .critical, target: "/etc/ssl/b.pem")])
        try fixture.ingest()
        let lost = try Self.lost(fixture, F.lanveoc.siren!)
        #expect(lost[F.lanveoc.siren!]?.codes == ["cert.expiry"])
        let summary = try fixture.builder().entity(F.lanveoc.siren!)
        #expect(summary.trend.direction == .stable, "a failing check in error weighs as it did: \(summary.trend.sentence)")
        #expect(summary.trend.sentence.hasPrefix("Stable depuis le contrôle du "))
        #expect(summary.trend.sentence.hasSuffix(" Attention : 1 vérification faite la fois précédente n'a pas pu l'être cette fois, sur les certificats de sécurité ; "
            + "la comparaison ne porte donc pas sur les mêmes points."))
    }

    @Test("A real fall beside a check gone blind stays a fall, with the caveat: never 'neither progress nor setback'")
    func fallStaysFall() throws {
        let fixture = try F()
        try fixture.write(F.plouzane, daysAgo: 3, results: F.good)
        // The off-site copy check erred; the security updates now fail for real.
        var worse = F.good.map { result -> CheckResult in
            var copy = result
            if copy.code == "backup.offline-copy" { copy.status = .error }
            if copy.code == "patch.security-updates" || copy.code == "tls.legacy-protocols" { copy.status = .fail }
            return copy
        }
        worse.append(Self.result("tls.weak-ciphers", .fail, .high, target: "www:443"))
        try fixture.write(F.plouzane, daysAgo: 1, results: worse)
        try fixture.ingest()
        let summary = try fixture.builder().entity(F.plouzane.siren!)
        #expect(summary.trend.direction == .down)
        #expect(summary.trend.sentence.hasPrefix("En recul depuis le contrôle du "))
        #expect(summary.trend.sentence.contains("Attention : 1 vérification faite la fois précédente n'a pas pu l'être cette fois, sur les sauvegardes ;"))
        #expect(SummaryRenderer.arrow(summary.trend.direction) == "↘ en recul")
    }

    @Test("Since the day before: another server's loss of an earlier day is already in the point compared with")
    func onlyTheNewestReport() throws {
        let fixture = try F()
        try fixture.write(F.plouzane, host: "srv-a", daysAgo: 5, results: F.weak)
        try fixture.write(F.plouzane, host: "srv-b", daysAgo: 4, results: F.weak)
        // srv-a stops verifying two failing rules, then srv-b fixes one for real: the last two points differ by srv-b's fix.
        try fixture.write(F.plouzane, host: "srv-a", daysAgo: 3, results: Self.weak(["patch.security-updates": .error, "backup.offline-copy": .skip]))
        try fixture.write(F.plouzane, host: "srv-b", daysAgo: 1, results: Self.weak(["patch.security-updates": .pass, "tls.legacy-protocols": .pass]))
        try fixture.ingest()
        #expect(try Self.lost(fixture, F.plouzane.siren!).isEmpty)
        #expect(try fixture.builder().entity(F.plouzane.siren!).trend.direction == .up)
    }

    /// `F.weak` with three failing rules fixed, every rule still verified.
    static let fixed = weak(["tls.legacy-protocols": .pass, "patch.security-updates": .pass, "cert.expiry": .pass])

    @Test("Territory: a member's row and the territory's own trend compare with their own day before")
    func territory() throws {
        // Plouzané's newest report, the territory's newest too, erred where it failed before.
        let fixture = try F()
        try fixture.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 6, results: F.weak)
        try fixture.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 4, results: Self.fixed)
        try fixture.write(F.plouzane, daysAgo: 3, results: F.weak)
        try fixture.write(F.plouzane, daysAgo: 1, results: Self.weak(["patch.security-updates": .skip, "cert.expiry": .error]))
        try fixture.ingest()
        let summary = try fixture.builder().territory()
        #expect(summary.members.first { $0.siren == F.plouzane.siren }?.trend == .unverified)
        #expect(summary.members.first { $0.siren == F.lanveoc.siren }?.trend == .up)
        #expect(summary.trend.direction == .unverified)
        #expect(summary.trend.sentence.contains("2 vérifications faites la fois précédente n'ont pas pu l'être cette fois, sur les certificats de sécurité et les mises à jour des serveurs : la hausse"))
        #expect(SummaryRenderer.arrow(.unverified) == "≠ vérifications non refaites")

        // Lanvéoc's real fix comes last: since the territory's day before, Plouzané's loss being in both, only that fix changed.
        let later = try F()
        try later.write(F.plouzane, daysAgo: 6, results: F.weak)
        try later.write(F.plouzane, daysAgo: 4, results: Self.weak(["patch.security-updates": .skip, "cert.expiry": .error]))
        try later.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 3, results: F.weak)
        try later.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 1, results: Self.fixed)
        try later.ingest()
        let page = try later.builder().territory()
        #expect(page.members.first { $0.siren == F.plouzane.siren }?.trend == .unverified)
        #expect(page.members.first { $0.siren == F.lanveoc.siren }?.trend == .up)
        #expect(page.trend.direction == .up)
        // F.good checks fewer rules than F.weak: even with every remaining rule passing, no progress is claimed.
        let fewer = try F()
        try fewer.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 3, results: F.weak)
        try fewer.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 1, results: F.good)
        try fewer.ingest()
        #expect(try fewer.builder().territory().trend.direction == .unverified)
    }

    @Test("Wording: one check, no known domain; a rise is never progress, a fall or a flat score keeps its word and the caveat")
    func wording() {
        let facts = ElusFacts.Trend(
            direction: .unverified, since: "1er novembre 2026", previousScore: 60, score: 70, previousLevel: "C", level: "C", previousHosts: 1, hosts: 1,
            lostChecks: 1, lostDomains: [])
        #expect(ElusWording.trend(facts) == "Depuis le contrôle du 1er novembre 2026, 1 vérification faite la fois précédente n'a pas pu l'être cette fois : "
            + "la hausse (note 60 → 70 sur 100) peut venir de là et ne montre pas un progrès.")
        func point(_ at: String, _ score: Int) -> TrendPoint {
            TrendPoint(at: at, score: score, level: "C", scoreLevel: "C", coverage: 1, hosts: 1, host: "srv", siren: nil, caps: [])
        }
        let points = [point("2026-10-01T08:00:00Z", 60), point("2026-11-01T08:00:00Z", 60)]
        let lost = LostChecks(codes: ["backup.present", "custom.rule"])
        for (score, direction) in [(40, ReadinessSummary.Trend.Direction.down), (61, .stable), (80, .unverified)] {
            let trend = SummaryBuilder.trendFacts(points, score: score, level: "C", lost: lost)
            #expect(trend.direction == direction && trend.lostChecks == 2 && trend.lostDomains == [.backups], "score \(score)")
        }
        // Every domain named, in each sentence: plain words only.
        for score in [40, 61, 80] {
            let sentence = ElusWording.trend(SummaryBuilder.trendFacts(points, score: score, level: "C", lost: LostChecks(codes: ["tls.x", "cert.x", "patch.x", "backup.x", "org.x", "dns.x"])))
            #expect(Jargon.violations(in: sentence).isEmpty, "\(sentence): \(Jargon.violations(in: sentence))")
        }
        #expect(ElusWording.trend(SummaryBuilder.trendFacts(points, score: 40, level: "D", lost: lost))
            == "En recul depuis le contrôle du 1er octobre 2026 (note 60 → 40 sur 100, niveau C → D). Attention : 2 vérifications faites la fois précédente "
            + "n'ont pas pu l'être cette fois, sur les sauvegardes ; la comparaison ne porte donc pas sur les mêmes points.")
        // Another set of servers is said first; no loss, the score decides.
        var added = points[1]
        added.hosts = 2
        #expect(SummaryBuilder.trendFacts([points[0], added], score: 80, level: "C", lost: lost).direction == .perimeter)
        #expect(SummaryBuilder.trendFacts(points, score: 80, level: "C", lost: LostChecks(codes: [])).direction == .up)
    }
}
