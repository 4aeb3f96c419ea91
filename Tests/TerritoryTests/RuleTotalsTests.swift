import Checks
import Foundation
import Model
import Rendering
import TestSupport
import Testing
@testable import Territory

/// `entity_rule` (`RuleTotals`, migration `v9-entity-rule`, issue 20): the per-entity, per-rule totals kept at ingest
/// equal a recomputation from the stored results after every way the latest or previous report of a host changes.
@Suite("Rule totals: kept at ingest, equal to a full recomputation", .serialized)
struct RuleTotalsTests {
    typealias F = TerritoryFixture

    /// The totals as stored: `siren code` → the row's figures, the unrounded gain to nine decimals.
    static func stored(_ store: TerritoryStore) throws -> [String: String] {
        try store.read { db in
            var rows: [String: String] = [:]
            try db.forEachRow(sql: """
                SELECT siren, code, domain, severity, hosts, results, new, persistent, resolved, deficit, scoreGain, exactGain FROM entity_rule
                """, arguments: []) { row in
                let figures: [String] = [
                    (row[2] as String?) ?? "-", String(row[3] as Int), String(row[4] as Int), String(row[5] as Int), String(row[6] as Int),
                    String(row[7] as Int), String(row[8] as Int), String(row[9] as Double), String(row[10] as Int),
                    String(format: "%.9f", row[11] as Double),
                ]
                rows["\(row[0] as String) \(row[1] as String)"] = figures.joined(separator: " ")
            }
            return rows
        }
    }

    /// The same figures recomputed from `report` and `result` alone, the way the findings view counted them before
    /// the totals: each host's reports ranked (generation time, signing time, id: newest first), the latest's and the
    /// previous one's warn/fail results compared per (host, code, target); the entity's tally from its hosts' latest
    /// results, the gain from fixing every warn/fail result of the rule there.
    static func recomputed(_ store: TerritoryStore) throws -> [String: String] {
        try store.read { db in
            var ranked: [Int64: [(key: Int64, order: (Int, Int, String))]] = [:]
            var sirenOf: [Int64: String] = [:]
            try db.forEachRow(sql: "SELECT key, hostID, siren, generatedAt, signingTime, id FROM report", arguments: []) { row in
                ranked[row[1] as Int64, default: []].append((row[0], (row[3], row[4], row[5])))
                sirenOf[row[1] as Int64] = row[2]
            }
            var latest: [Int64: Int64] = [:], previous: [Int64: Int64] = [:]
            for (host, reports) in ranked {
                let sorted = reports.sorted { $0.order > $1.order }
                latest[sorted[0].key] = host
                if sorted.count > 1 { previous[sorted[1].key] = host }
            }
            struct Key: Hashable { var host: Int64; var code: String; var target: String }
            var now: [Key: Severity] = [:]
            var before = Set<Key>()
            // The latest reports' (host, code, target) that passed.
            var passed = Set<Key>()
            var tallies: [String: ScoreTally] = [:]
            var deficits: [String: [String: Double]] = [:]
            try db.forEachRow(sql: "SELECT reportKey, code, target, status, severity FROM result", arguments: []) { row in
                let report: Int64 = row[0], code: String = row[1]
                let status = Status(rawValue: row[3])!, severity = Severity(rawValue: row[4])!
                if let host = latest[report] {
                    if status == .pass { passed.insert(Key(host: host, code: code, target: row[2])) }
                    let siren = sirenOf[host]!
                    tallies[siren, default: ScoreTally()].add(status: status, severity: severity, domain: Domain(ruleCode: code))
                    guard status.isFinding else { return }
                    let key = Key(host: host, code: code, target: row[2])
                    now[key] = max(now[key] ?? .info, severity)
                    deficits[siren, default: [:]][code, default: 0] += severity.weight * (1 - Scoring.credit(status)!)
                } else if let host = previous[report], status.isFinding {
                    before.insert(Key(host: host, code: code, target: row[2]))
                }
            }
            struct Sum { var severity = Severity.info; var hosts = Set<Int64>(); var results = 0, new = 0, persistent = 0, resolved = 0 }
            var sums: [String: [String: Sum]] = [:]
            for (key, severity) in now {
                let siren = sirenOf[key.host]!
                var sum = sums[siren, default: [:]][key.code] ?? Sum()
                sum.severity = max(sum.severity, severity)
                sum.hosts.insert(key.host)
                sum.results += 1
                if before.contains(key) { sum.persistent += 1 } else { sum.new += 1 }
                sums[siren, default: [:]][key.code] = sum
            }
            // Resolved: gone from the latest report, which passed the rule on that very target.
            for key in before where now[key] == nil && passed.contains(key) {
                sums[sirenOf[key.host]!, default: [:]][key.code, default: Sum()].resolved += 1
            }
            var rows: [String: String] = [:]
            for (siren, codes) in sums {
                let tally = tallies[siren] ?? ScoreTally()
                for (code, sum) in codes {
                    let deficit = deficits[siren]?[code] ?? 0
                    var scoreGain = 0, exactGain = 0.0
                    if let domain = Domain(ruleCode: code), deficit > 0 {
                        var fixed = tally
                        fixed.earned[domain, default: 0] += deficit
                        scoreGain = (fixed.summary.score ?? 0) - (tally.summary.score ?? 0)
                        exactGain = (fixed.exactScore ?? 0) - (tally.exactScore ?? 0)
                    }
                    let figures: [String] = [
                        Domain(ruleCode: code)?.rawValue ?? "-", String(Severity.allCases.firstIndex(of: sum.severity)!), String(sum.hosts.count),
                        String(sum.results), String(sum.new), String(sum.persistent), String(sum.resolved), String(deficit), String(scoreGain),
                        String(format: "%.9f", exactGain),
                    ]
                    rows["\(siren) \(code)"] = figures.joined(separator: " ")
                }
            }
            return rows
        }
    }

    /// `rule_total` as stored, its rules none has left out: `code` → the sums, the gain to nine decimals.
    static func storedTotals(_ store: TerritoryStore) throws -> [String: String] {
        try store.read { db in
            try RuleTotals.sums(db, scope: .all).mapValues { sum in
                "\(sum.domain?.rawValue ?? "-") \(sum.entities) \(sum.worst) \(sum.hosts) \(sum.results) \(sum.new) \(sum.persistent) \(sum.resolved) "
                    + "\(sum.scoreGain) \(String(format: "%.9f", sum.exactGain))"
            }
        }
    }

    /// The same summed from `entity_rule`'s rows.
    static func summedTotals(_ store: TerritoryStore) throws -> [String: String] {
        let sirens = try store.read { db in try db.fetchAll(String.self, sql: "SELECT DISTINCT siren FROM entity_rule") }
        return try store.read { db in
            try RuleTotals.sums(db, scope: .only(sirens)).mapValues { sum in
                "\(sum.domain?.rawValue ?? "-") \(sum.entities) \(sum.worst) \(sum.hosts) \(sum.results) \(sum.new) \(sum.persistent) \(sum.resolved) "
                    + "\(sum.scoreGain) \(String(format: "%.9f", sum.exactGain))"
            }
        }
    }

    static func expectEqual(_ store: TerritoryStore, _ step: String) throws {
        let stored = try stored(store), expected = try recomputed(store)
        #expect(!expected.isEmpty, "\(step): the scenario has findings")
        for key in Set(stored.keys).union(expected.keys).sorted() where stored[key] != expected[key] {
            Issue.record("\(step): \(key): stored \(stored[key] ?? "none"), recomputed \(expected[key] ?? "none")")
        }
        // Each entity's score, kept beside its rows, is its tally's (`memberInputs`' reading of the sums).
        let views = TerritoryViews(store: store)
        var scores: [String: String] = [:]
        try store.read { db in
            try db.forEachRow(sql: "SELECT siren, score, exactScore FROM entity_score", arguments: []) { row in
                let score: Int? = row[1], exact: Double? = row[2]
                scores[row[0] as String] = "\(score.map(String.init) ?? "-") \(exact.map { String($0) } ?? "-")"
            }
            // An entity whose every report was withdrawn keeps no score row: a member judged on nothing.
            for siren in try db.fetchAll(String.self, sql: "SELECT DISTINCT siren FROM host WHERE latestReportKey IS NULL") where scores[siren] == nil {
                scores[siren] = "- -"
            }
        }
        let inputs = try store.read { db in try views.memberInputs(db, caps: false) }
        var members: [String: String] = [:]
        for (siren, sums) in inputs.entities {
            let score: Int? = sums.tally.summary.score, exact: Double? = sums.tally.exactScore
            members[siren] = "\(score.map(String.init) ?? "-") \(exact.map { String($0) } ?? "-")"
        }
        #expect(scores == members, "\(step): entity_score")
        // The findings' gains (from entity_score) are the status's fixes' (from the member sums).
        let gains = Dictionary(uniqueKeysWithValues: try views.findings(affectedLimit: 0).findings.filter { $0.entities > 0 && $0.domain != nil }.map { ($0.code, $0.gain) })
        let fixes = Dictionary(uniqueKeysWithValues: try views.status(fixes: 1000).fixes.map { ($0.code, $0.gain) })
        #expect(gains == fixes, "\(step): findings' gains and status's fixes")
        let totals = try storedTotals(store), summed = try summedTotals(store)
        for key in Set(totals.keys).union(summed.keys).sorted() where totals[key] != summed[key] {
            Issue.record("\(step): rule_total \(key): stored \(totals[key] ?? "none"), summed \(summed[key] ?? "none")")
        }
    }

    @Test("Latest replaced, a late report that becomes the previous one, one older still, prune, migrate: totals = recomputation")
    func totalsFollowEveryChange() throws {
        let fixture = try F()
        // Commune A: two hosts, srv-mairie reporting twice; commune B: one host, and the only one failing org.nis2.mfa.
        try fixture.write("a-mairie-10.json", daysAgo: 10, results: F.mixed(0))
        try fixture.write("a-ecole-3.json", host: "srv-ecole", daysAgo: 3, results: F.mixed(0) + [F.result("tls.hsts", .fail, .high, target: "intranet:443")])
        try fixture.write("b-mairie-4.json", siren: F.sirenB, daysAgo: 4, results: F.mixed(1) + [F.result("org.nis2.mfa", .fail, .critical, target: "org")])
        #expect(try fixture.ingest().stored == 3)
        try Self.expectEqual(try fixture.store(), "first reports")

        // A newer report replaces srv-mairie's latest: the 10-day one becomes its previous.
        try fixture.write("a-mairie-5.json", daysAgo: 5, results: F.mixed(1) + [F.result("patch.security-updates", .warn, .medium, target: "apt")])
        #expect(try fixture.ingest().stored == 1)
        try Self.expectEqual(try fixture.store(), "latest replaced")
        let legacy = { (views: TerritoryViews) in try views.findings().findings.first { $0.code == "tls.legacy-protocols" } }
        #expect(try legacy(fixture.views())?.resolved == 1, "tls.legacy-protocols failed at 10 days, passes at 5")

        // A late report, older than the latest, newer than the previous: it becomes the previous one.
        try fixture.write("a-mairie-7.json", daysAgo: 7, results: F.mixed(1))
        #expect(try fixture.ingest().stored == 1)
        try Self.expectEqual(try fixture.store(), "late report, now the previous one")
        #expect(try legacy(fixture.views())?.resolved == 0, "compared with the 7-day report now, where it passed already")

        // Older still: neither latest nor previous; nothing changes.
        let before = try Self.stored(try fixture.store())
        try fixture.write("a-mairie-12.json", daysAgo: 12, results: F.mixed(0))
        #expect(try fixture.ingest().stored == 1)
        try Self.expectEqual(try fixture.store(), "late report older than the previous one")
        #expect(try Self.stored(try fixture.store()) == before)

        // Prune before 6 days: srv-mairie keeps its latest (5 days) and loses its previous (7 days).
        let pruned = try fixture.store().prune(before: fixture.now.addingTimeInterval(-6 * 86_400))
        #expect(pruned.reports == 3)
        try Self.expectEqual(try fixture.store(), "after prune")
        #expect(try Self.stored(try fixture.store()) != before, "srv-mairie has no previous report any more")

        // rule_total summed at once (the back-fill's and a large prune's way) is the one moved entity by entity.
        let moved = try Self.storedTotals(try fixture.store())
        try fixture.store().write { db in try RuleTotals.sumRuleTotals(db) }
        #expect(try Self.storedTotals(try fixture.store()) == moved)

        // The weakest member is never hidden: org.nis2.mfa fails at B alone and is listed, with its gain.
        let views = try fixture.views()
        let mfa = try views.findings().findings.first { $0.code == "org.nis2.mfa" }
        #expect(mfa?.entities == 1 && mfa?.affected.map(\.siren) == [F.sirenB] && (mfa?.gain ?? 0) > 0)
        #expect(try views.status(fixes: 50).fixes.contains { $0.code == "org.nis2.mfa" && $0.entities == 1 })

        // Migrate into a SQLite store: the rows are copied, the views answer the same.
        let copy = try TerritoryStore(path: fixture.folder.url("copy.sqlite"), create: true)
        _ = try StoreCopy.copy(from: try fixture.store(), to: copy)
        try Self.expectEqual(copy, "after migrate")
        #expect(try Self.stored(copy) == Self.stored(try fixture.store()))
        let copied = TerritoryViews(store: copy, now: fixture.now, language: .en)
        #expect(try ViewJSON.encode(copied.findings()) == ViewJSON.encode(views.findings()))
        #expect(try ViewJSON.encode(copied.status()) == ViewJSON.encode(views.status()))
    }

    @Test("affectedLimit lists the first entities by SIREN and the counts stay whole; 0 lists none")
    func affectedLimit() throws {
        let fixture = try F()
        try fixture.write("a.json", daysAgo: 2, results: F.mixed(0))
        try fixture.write("a-ecole.json", host: "srv-ecole", daysAgo: 2, results: F.mixed(0))
        try fixture.write("b.json", siren: F.sirenB, daysAgo: 2, results: F.mixed(0))
        #expect(try fixture.ingest().stored == 3)
        let views = try fixture.views()
        let full = try views.findings()
        let one = try views.findings(affectedLimit: 1)
        let none = try views.findings(affectedLimit: 0)
        let key = try #require(full.findings.first { $0.code == "cert.key-strength" })
        #expect(key.entities == 2 && key.hosts == 3 && key.affected.map(\.siren) == [F.sirenA, F.sirenB])
        #expect(key.affected[0].hosts == ["srv-ecole", "srv-mairie"])
        let cut = try #require(one.findings.first { $0.code == "cert.key-strength" })
        #expect(cut.entities == 2 && cut.hosts == 3 && cut.affected.map(\.siren) == [F.sirenA] && cut.affected[0].hosts == key.affected[0].hosts)
        #expect(none.findings.allSatisfy { $0.affected.isEmpty })
        // Everything but the lists is the same.
        for (a, b) in zip(full.findings, none.findings) {
            #expect(a.code == b.code && a.entities == b.entities && a.results == b.results && a.gain == b.gain && a.new == b.new)
        }
        // The table names up to three and counts the rest from `entities`: only the names column differs.
        let cutRows = ViewTables.findings(one, .en)[0].rows, fullRows = ViewTables.findings(full, .en)[0].rows
        #expect(cutRows.count == fullRows.count)
        for (a, b) in zip(cutRows, fullRows) {
            #expect(Array(a[..<10]) == Array(b[..<10]) && Array(a[11...]) == Array(b[11...]))
            #expect(a[10] == "Commune de Plouzané" && b[10] == "Commune de Plouzané, Commune de Lanvéoc")
        }
    }

    @Test("cyberctl territory findings --affected: 64 out of range; JSON names at most N entities per rule, its counts whole")
    func affectedOption() throws {
        let folder = try TemporaryDirectory()
        let path = try StoreFixtureTests.copy(folder)
        #expect(try BuiltBinary.run(["territory", "findings", "--affected", "-1", "--db", path]).exitCode == 64)
        let full = try BuiltBinary.run(["territory", "findings", "--format", "json", "--db", path])
        let one = try BuiltBinary.run(["territory", "findings", "--format", "json", "--affected", "1", "--db", path])
        #expect(full.exitCode == 0 && one.exitCode == 0, "\(full.stderr) \(one.stderr)")
        let all = try JSONDecoder().decode(FindingsView.self, from: Data(full.stdout.utf8))
        let cut = try JSONDecoder().decode(FindingsView.self, from: Data(one.stdout.utf8))
        #expect(all.findings.contains { $0.affected.count > 1 }, "the fixture has a rule at several entities")
        #expect(cut.findings.allSatisfy { $0.affected.count <= 1 })
        #expect(cut.findings.map(\.code) == all.findings.map(\.code) && cut.findings.map(\.entities) == all.findings.map(\.entities))
        #expect(zip(cut.findings, all.findings).allSatisfy { $0.affected.map(\.siren) == Array($1.affected.prefix(1).map(\.siren)) })
    }
}
