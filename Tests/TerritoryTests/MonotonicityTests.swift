import Checks
import Foundation
import Model
import TerritoryGenerator
import NIS2
import TestSupport
import Testing
@testable import Territory

/// Properties over generated stores (seeded, a fixed number of cases): fixing a finding never lowers an
/// entity's or the territory's score or level; answering the NIS 2 questionnaire never scores worse than
/// leaving it unanswered for the same technical facts. Stores are real: reports generated, signed by
/// enrolled agents, verified and ingested.
@Suite("Territory monotonicity (generated stores)", .serialized)
struct MonotonicityTests {
    typealias F = TerritoryFixture

    /// Seeded randomness (SplitMix64).
    struct Random {
        var generator: SplitMix64
        init(_ seed: UInt64) { generator = SplitMix64(seed: seed) }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(generator.next() % UInt64(range.count)) }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
        mutating func chance(_ p: Double) -> Bool { generator.unit() < p }
    }

    /// The NIS 2 items the generated reports answer (codes of the shipped questionnaire's shape).
    static let organisationCodes = ["org.nis2.art20.elu-referent", "org.nis2.b.procedure-incident", "org.nis2.c.sauvegardes-hors-ligne", "org.nis2.j.mfa-messagerie"]

    /// A result as the checks write it, evidence consistent with the status (what the caps read).
    static func result(_ code: String, _ status: Status, now: Date, packages: [String] = []) -> CheckResult {
        var evidence: [String: JSONValue] = [:]
        var severity = Severity.high
        switch code {
        case "cert.expiry":
            if status != .error {
                evidence["notAfter"] = .time(now.addingTimeInterval((status == .pass ? 120 : -4) * 86_400))
                evidence["subject"] = "CN=www.example.fr"
            }
        case "patch.security-updates":
            if status == .fail {
                evidence["updates"] = .array(packages.map { .object(["package": .string($0)]) })
                evidence["count"] = .int(packages.count)
            }
        case "patch.os-eol":
            if status != .error {
                evidence["securitySupportEnds"] = status == .pass ? "2099-06-30" : "2020-07-18"
                evidence["phase"] = status == .pass ? "standard" : "ended"
                evidence["release"] = "Debian"
            }
        case "backup.separate-storage", "tls.hsts": severity = .medium
        default: if code.hasPrefix("org.nis2.") { severity = .medium }
        }
        if code.hasPrefix("org.nis2."), status == .error { evidence["unanswered"] = true }
        return F.result(code, status, severity, target: code.hasPrefix("org.") ? "/etc/cyberctl/nis2-answers.yaml" : "t", evidence: evidence)
    }

    /// One host's results: a random subset of the rules behind the scores and the caps.
    static func results(_ random: inout Random, now: Date) -> [CheckResult] {
        var out: [CheckResult] = []
        func maybe(_ code: String, _ statuses: [Status]) {
            if random.chance(0.85) { out.append(result(code, random.pick(statuses), now: now)) }
        }
        maybe("tls.legacy-protocols", [.pass, .pass, .fail, .error])
        maybe("tls.hsts", [.pass, .warn, .fail])
        maybe("cert.expiry", [.pass, .pass, .fail, .error])
        maybe("patch.os-eol", [.pass, .pass, .fail, .error])
        if random.chance(0.85) {
            let pending = ["openssl", "curl", "bash"].filter { _ in random.chance(0.5) }
            let status: Status = random.chance(0.15) ? .error : pending.isEmpty ? .pass : .fail
            out.append(result("patch.security-updates", status, now: now, packages: pending))
        }
        maybe("backup.present", [.pass, .pass, .warn, .fail, .error])
        maybe("backup.separate-storage", [.pass, .warn])
        for code in organisationCodes where random.chance(0.7) { out.append(result(code, random.pick([.pass, .warn, .fail, .error, .skip]), now: now)) }
        return out
    }

    /// The fixed version of a finding: passing, with the evidence a passing check writes.
    static func fixed(_ finding: CheckResult, now: Date) -> CheckResult {
        var result = result(finding.code, .pass, now: now)
        result.severity = finding.severity
        result.target = finding.target
        return result
    }

    struct World {
        var fixture: F
        /// (siren, host) → (daysAgo of its latest report, its latest results).
        var latest: [String: (siren: String, host: String, daysAgo: Double, results: [CheckResult])] = [:]
        var written = 0
    }

    /// A store of 2–4 entities, 1–2 hosts each, 1–3 reports per host over the last 35 days.
    static func world(seed: UInt64) throws -> (World, Random) {
        var random = Random(seed)
        var world = World(fixture: try F())
        for entity in 0..<random.int(2...4) {
            let siren = TerritoryGenerator.siren(100 + entity)
            for host in 0..<random.int(1...2) {
                let hostname = "srv-\(entity)-\(host)"
                var daysAgo = Double(random.int(20...35))
                for _ in 0..<random.int(1...3) {
                    let results = results(&random, now: world.fixture.now)
                    try world.fixture.write("r\(world.written).json", siren: siren, host: hostname, daysAgo: daysAgo, results: results)
                    world.written += 1
                    world.latest["\(siren)/\(hostname)"] = (siren, hostname, daysAgo, results)
                    daysAgo = max(1, daysAgo - Double(random.int(5...15)))
                }
            }
        }
        let summary = try world.fixture.ingest()
        #expect(summary.rejected == 0)
        return (world, random)
    }

    /// Writes and ingests a newer report of the same host with the same generation time (signed later):
    /// only the results change, not the time the caps are measured at.
    static func replace(_ world: inout World, key: String, results: [CheckResult], signedAfter: TimeInterval) throws {
        let host = world.latest[key]!
        let path = try world.fixture.write(
            "r\(world.written).json", siren: host.siren, host: host.host, daysAgo: host.daysAgo, results: results, signedAfter: signedAfter)
        world.written += 1
        world.latest[key] = (host.siren, host.host, host.daysAgo, results)
        let summary = try world.fixture.ingest([path])
        #expect(summary.stored == 1)
    }

    /// `after` is no worse than `before`: score not lower, level not lower (A best).
    static func notWorse(_ after: ScoreLine, _ before: ScoreLine, _ what: String) {
        #expect((after.score ?? -1) >= (before.score ?? -1), "\(what): score \(before.score ?? -1) → \(after.score ?? -1)")
        let rank = { (line: ScoreLine) in line.level.flatMap(Level.init(rawValue:))?.rank ?? 5 }
        #expect(rank(after) <= rank(before), "\(what): level \(before.level ?? "—") → \(after.level ?? "—") (caps \(before.caps.map { $0.rule }) → \(after.caps.map { $0.rule }))")
    }

    static func lines(_ status: StatusView) -> [String: ScoreLine] {
        Dictionary(uniqueKeysWithValues: status.entities.map { ($0.siren, $0.score) })
    }

    @Test("Fixing a finding never lowers an entity's or the territory's score or level", arguments: 0..<14)
    func fixingNeverLowers(seed: Int) throws {
        var (world, random) = try Self.world(seed: 0xC0FFEE &+ UInt64(seed))
        let views = try world.fixture.views()
        // Three fixes in a row, each compared with the state just before it.
        for step in 0..<3 {
            let candidates = world.latest.filter { $0.value.results.contains(where: \.status.isFinding) }.keys.sorted()
            guard !candidates.isEmpty else { break }
            let key = random.pick(candidates)
            var results = world.latest[key]!.results
            let findings = results.indices.filter { results[$0].status.isFinding }
            let index = random.pick(findings)
            let code = results[index].code
            results[index] = Self.fixed(results[index], now: world.fixture.now)
            let before = try views.status()
            try Self.replace(&world, key: key, results: results, signedAfter: 60 + 60 * Double(step + 1))
            let after = try views.status()
            let siren = world.latest[key]!.siren
            Self.notWorse(Self.lines(after)[siren]!, Self.lines(before)[siren]!, "seed \(seed) step \(step): \(siren) fixed \(code)")
            Self.notWorse(after.territory.score, before.territory.score, "seed \(seed) step \(step): territory after fixing \(code)")
        }
    }

    /// What the real `org.nis2` check writes for an answers file (nil: no file at all).
    static func organisation(_ answers: String?, now: Date) async throws -> [CheckResult] {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("root")
        if let answers { try directory.write("root/etc/cyberctl/nis2-answers.yaml", answers) }
        return await NIS2AnswersCheck().run(CheckContext(root: try FileSystemRoot(root), clock: .fixed(now)))
    }

    @Test("Answering the NIS 2 questionnaire never scores worse than leaving it unanswered", arguments: 0..<10)
    func answeringNeverLowers(seed: Int) async throws {
        var (world, random) = try Self.world(seed: 0xA55E55 &+ UInt64(seed))
        let views = try world.fixture.views()
        let key = random.pick(world.latest.keys.sorted())
        let now = world.fixture.now
        let technical = world.latest[key]!.results.filter { !$0.code.hasPrefix("org.") }
        // Unanswered: no answers file, or a file where nothing is answered (the real check's results).
        let unansweredResults = try await Self.organisation(random.chance(0.5) ? nil : "answers: {}\n", now: now)
        try Self.replace(&world, key: key, results: technical + unansweredResults, signedAfter: 120)
        let unanswered = try views.status()
        let siren = world.latest[key]!.siren
        // Answered honestly, every item at random (non, partiel, ne sais pas, sans objet… included), some left blank.
        var text = "answers:\n"
        for item in try Questionnaire.shipped().items where random.chance(0.8) {
            let statuses = ["oui", "partiel", "non", "non", "ne sais pas"] + (item.allowsNotApplicable ? ["sans objet", "sans objet"] : [])
            text += "  \(item.id): {status: \(random.pick(statuses))}\n"
        }
        let answeredResults = try await Self.organisation(text, now: now)
        #expect(!answeredResults.contains { $0.code == "org.nis2.answers" }, "the generated answers file is valid")
        try Self.replace(&world, key: key, results: technical + answeredResults, signedAfter: 180)
        let after = try views.status()
        Self.notWorse(Self.lines(after)[siren]!, Self.lines(unanswered)[siren]!, "seed \(seed): \(siren) answered")
        Self.notWorse(after.territory.score, unanswered.territory.score, "seed \(seed): territory")
    }
}
