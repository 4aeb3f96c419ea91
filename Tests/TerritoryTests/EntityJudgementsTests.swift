import Checks
import Foundation
import Model
import Rendering
import TestSupport
import Testing
@testable import Territory

/// `entity_judged` (`EntityJudgements`, migration `v18-entity-judged`, issue 20): the status row kept per entity at
/// ingest equals, at any `now` where it is read as valid, a full recomputation from the entity sums and every host's
/// latest facts (`memberInputs`, `CapEvaluation.entityCaps`), and the status from the kept rows is byte for byte the one
/// judged from scratch, before, at and after every certificate's and system's end and every staleness boundary, after
/// every way an entity's inputs change. Never a stale level for a member whose certificate ended since its judgement.
@Suite("Entity judgements: kept at ingest, equal to a full recomputation at any time", .serialized)
struct EntityJudgementsTests {
    typealias F = TerritoryFixture

    /// At each of `nows`, at each judgement's time, at each fact's date and at each host's staleness boundary (a second
    /// before and after each): every entity read through its kept row equals the recomputation from `memberInputs`, and
    /// the status JSON equals the one with no row kept. Returns how many (entity, instant) pairs were read from a row
    /// still valid, so that a caller can require the kept path to be exercised.
    @discardableResult
    static func expectEqual(_ store: TerritoryStore, _ step: String, nows: [Int]) throws -> Int {
        var instants = Set(nows)
        var fromRows = 0
        try store.read { db in
            let count = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM entity_judged") ?? -1
            let entities = try db.fetchOne(Int.self, sql: "SELECT COUNT(DISTINCT siren) FROM host") ?? -2
            #expect(count == entities, "\(step): one row per entity with a host")
            for at in try db.fetchAll(Int.self, sql: "SELECT judgedAt FROM entity_judged") { instants.formUnion([at - 1, at, at + 1]) }
            var days = Roster.defaultSilentAfterDays
            if let roster = try TerritoryStore.roster(db) { days = roster.silentAfterDays }
            try db.forEachRow(sql: "SELECT latestGeneratedAt FROM host WHERE latestGeneratedAt IS NOT NULL", arguments: []) { row in
                let time: Int = row[0]
                let boundary = time + (days + Roster.graceDays) * 86_400
                instants.formUnion([boundary - 1, boundary, boundary + 1, boundary + 2])
            }
            let keys = try db.fetchAll(Int64.self, sql: "SELECT latestReportKey FROM host WHERE latestReportKey IS NOT NULL")
            for list in try FactReader.facts(db, reports: keys).values { for at in list.compactMap(\.at) { instants.formUnion([at - 1, at, at + 1]) } }
        }
        for now in instants.sorted() {
            let date = Date(timeIntervalSince1970: TimeInterval(now))
            let views = TerritoryViews(store: store, now: date, language: .fr)
            try store.read { db in
                let inputs = try views.memberInputs(db)
                let kept = try EntityJudgements.read(db, now: now, language: .fr)
                let english = Dictionary(uniqueKeysWithValues: try EntityJudgements.read(db, now: now, language: .en).map { ($0.siren, $0) })
                #expect(kept.count == inputs.entities.count, "\(step) at \(now): every entity")
                var valid = Set<String>()
                try db.forEachRow(sql: "SELECT siren, validFrom, validUntil, caps FROM entity_judged", arguments: []) { row in
                    var judged = EntityJudgements.Judged(siren: row[0])
                    judged.validFrom = row[1]
                    judged.validUntil = row[2]
                    judged.caps = (row[3] as String?).flatMap(EntityJudgements.caps)
                    if judged.valid(at: now) { valid.insert(judged.siren) }
                }
                fromRows += valid.count
                let limit = TerritoryJudgement.silenceLimit(now: now, days: inputs.silentAfterDays)
                for entity in kept {
                    let expected = try #require(inputs.entities[entity.siren], "\(step): \(entity.siren) known")
                    let caps = CapEvaluation.entityCaps(expected.capInputs, now: now, language: .fr)
                    let where_ = "\(step): \(entity.siren) at \(now)\(valid.contains(entity.siren) ? " (kept row)" : "")"
                    // As the status shows them: judged at read time in the view's language, else the kept caps given words.
                    let shown = { (judged: EntityJudgements.Judged?, language: Language) in judged?.applied ?? judged?.caps?.map { $0.applied(language) } }
                    #expect(shown(entity, .fr) == caps, "\(where_): caps")
                    #expect(shown(english[entity.siren], .en) == CapEvaluation.entityCaps(expected.capInputs, now: now, language: .en), "\(where_): caps (en)")
                    #expect(valid.contains(entity.siren) == (entity.applied == nil), "\(where_): judged again exactly when its row does not hold")
                    #expect(entity.summary == expected.tally.summary, "\(where_): score")
                    #expect(entity.exactScore == expected.tally.exactScore, "\(where_): exact score")
                    #expect(entity.failing == expected.failing && entity.warnings == expected.warnings, "\(where_): failures")
                    #expect(entity.hosts == expected.hosts && entity.newest == expected.newest, "\(where_): hosts")
                    #expect(entity.staleHosts(before: limit) == expected.staleHosts, "\(where_): stale hosts")
                    #expect(entity.name == expected.name || inputs.roster?.member(entity.siren) != nil, "\(where_): name")
                }
            }
        }
        // The whole status, from the kept rows and from none, at the given times and each judgement's.
        var compared = Set(nows)
        try store.read { db in for at in try db.fetchAll(Int.self, sql: "SELECT judgedAt FROM entity_judged") { compared.insert(at) } }
        let kept = try compared.sorted().map { at in
            try ViewJSON.encode(TerritoryViews(store: store, now: Date(timeIntervalSince1970: TimeInterval(at)), language: .fr).status(fixes: 3))
        }
        let saved = try store.read { db in try db.fetchRows(sql: "SELECT siren FROM entity_judged") }.count
        try store.write { db in try db.execute(sql: "DELETE FROM entity_judged") }
        let recomputed = try compared.sorted().map { at in
            try ViewJSON.encode(TerritoryViews(store: store, now: Date(timeIntervalSince1970: TimeInterval(at)), language: .fr).status(fixes: 3))
        }
        #expect(kept == recomputed, "\(step): status from the kept rows = from none")
        // Back as they were: the back-fill (the migration's) writes them again.
        try store.write { db in try EntityJudgements.refreshAll(db, now: Int(Date().timeIntervalSince1970)) }
        #expect(try store.read { db in try db.fetchRows(sql: "SELECT siren FROM entity_judged") }.count == saved)
        return fromRows
    }

    @Test("New latest, a late report, prune, migrate, back-fill, roster: rows = recomputation at every boundary")
    func rowsFollowEveryChange() throws {
        let fixture = try F()
        let now = Int(fixture.now.timeIntervalSince1970)
        let nows = [now - 60 * 86_400, now, now + 9 * 86_400, now + 11 * 86_400, now + 400 * 86_400]
        try fixture.write("a-10.json", daysAgo: 10, results: HostCapsTests.results(fixture, ends: [10 * 86_400, 30 * 86_400], endOfLife: 200 * 86_400, pending: ["openssl"]))
        try fixture.write("a-1.json", daysAgo: 1, results: HostCapsTests.results(fixture, ends: [10 * 86_400, 30 * 86_400], endOfLife: 200 * 86_400, pending: ["openssl", "curl"]))
        try fixture.write("a-ecole.json", host: "srv-ecole", daysAgo: 3, results: HostCapsTests.results(fixture, ends: [20 * 86_400], endOfLife: nil, pending: []))
        try fixture.write(
            "b.json", siren: F.sirenB, daysAgo: 4,
            results: HostCapsTests.results(fixture, ends: [-3 * 86_400, 5 * 86_400, 5 * 86_400, 90 * 86_400], endOfLife: -86_400, pending: []))
        #expect(try fixture.ingest().stored == 4)
        let first = try Self.expectEqual(try fixture.store(), "first reports", nows: nows)
        #expect(first > 0, "some instants read kept rows")

        // The worst defect: an entity judged before its certificate ends is never shown without the cap after.
        let capped = { (at: Int) in
            try TerritoryViews(store: fixture.store(), now: Date(timeIntervalSince1970: TimeInterval(at)), language: .en).status().entities
                .first { $0.siren == F.sirenA }?.score.caps.contains { $0.rule == CapRule.certificateExpired.rawValue && $0.state == "gap" } ?? false
        }
        #expect(try !capped(now))
        #expect(try capped(now + 10 * 86_400 + 3_600), "srv-mairie's certificate ended 10 days after the judgement")

        try fixture.write("a-36.json", daysAgo: 36, results: HostCapsTests.results(fixture, ends: [10 * 86_400], endOfLife: 200 * 86_400, pending: ["openssl"]))
        #expect(try fixture.ingest().stored == 1)
        try Self.expectEqual(try fixture.store(), "late report older than the two newest", nows: nows)

        try fixture.write("a-0.json", daysAgo: 0.5, results: HostCapsTests.results(fixture, ends: [-1 * 86_400, 15 * 86_400], endOfLife: 8 * 86_400, pending: ["openssl"]))
        #expect(try fixture.ingest().stored == 1)
        try Self.expectEqual(try fixture.store(), "latest replaced", nows: nows)

        #expect(try fixture.store().prune(before: fixture.now.addingTimeInterval(-30 * 86_400)).reports == 1)
        try Self.expectEqual(try fixture.store(), "after prune", nows: nows)

        // A roster: names, perimeter (B outside) and a shorter silence threshold, read at view time.
        let roster = try Roster.parse("""
            territory:
              name: Communauté de test
              siren: "200066777"
              kind: cc
            silent_after_days: 2
            members:
              - name: Commune renommée
                siren: "\(F.sirenA)"
                kind: commune
              - name: Commune sans rapport
                siren: "212900195"
                kind: commune
            """, file: "roster.yaml")
        try fixture.store().importRoster(roster, sourcePath: "roster.yaml", sha256: String(repeating: "0", count: 64))
        try Self.expectEqual(try fixture.store(), "after a roster", nows: nows)

        // An ingest 11 days later re-judges the entities whose interval ended since (B's certificates at day 5, A's end of support at day 8):
        // at that time every row holds again.
        let later = now + 11 * 86_400
        let outOfInterval = { (at: Int) in
            try fixture.store().read { db in
                try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM entity_judged WHERE validUntil <= ? OR validFrom > ?", arguments: [at, at]) ?? -1
            }
        }
        #expect(try outOfInterval(later) > 0)
        try fixture.store().write { db in try EntityJudgements.refresh(db, outcomes: [], results: [], also: [], now: later) }
        #expect(try outOfInterval(later) == 0)
        try Self.expectEqual(try fixture.store(), "after an ingest 11 days later", nows: nows + [later])

        let copy = try TerritoryStore(path: fixture.folder.url("copy.sqlite"), create: true)
        _ = try StoreCopy.copy(from: try fixture.store(), to: copy)
        try Self.expectEqual(copy, "after migrate", nows: nows)

        // Rows a writer left wrong in the way the view can see (unkept caps, an interval that no longer holds): judged again.
        let views = { try TerritoryViews(store: fixture.store(), now: fixture.now.addingTimeInterval(9 * 86_400), language: .en).status() }
        let expected = try ViewJSON.encode(views())
        try fixture.store().write { db in
            try db.execute(sql: "UPDATE entity_judged SET caps = NULL WHERE siren = ?", arguments: [F.sirenA])
            try db.execute(sql: "UPDATE entity_judged SET validUntil = judgedAt, caps = '' WHERE siren = ?", arguments: [F.sirenB])
        }
        #expect(try ViewJSON.encode(views()) == expected)
    }

    @Test("Random worlds: ingest's and the back-fill's rows are the recomputation's, at any time", arguments: 0..<4)
    func randomWorlds(seed: Int) throws {
        let (world, _) = try MonotonicityTests.world(seed: UInt64(9_400 + seed))
        let now = Int(world.fixture.now.timeIntervalSince1970)
        let nows = [now - 400 * 86_400, now - 40 * 86_400, now, now + 130 * 86_400, now + 4_000 * 86_400]
        let fromRows = try Self.expectEqual(try world.fixture.store(), "ingest", nows: nows)
        #expect(fromRows > 0)
        try world.fixture.store().write { db in try EntityJudgements.refreshAll(db, now: now + 30 * 86_400) }
        try Self.expectEqual(try world.fixture.store(), "back-fill a month later", nows: nows)
    }

    @Test("The caps text: what it writes it reads back; a separator in a text is not kept")
    func capsText() {
        let caps = [
            EntityJudgements.KeptCap(rule: .certificateExpired, state: .gap, hosts: ["a", "b"], detail: "a: CN=x (2026-01-01) +2; b: y (2026-01-02)"),
            EntityJudgements.KeptCap(rule: .backupNone, state: .unverified, hosts: [], detail: nil),
            EntityJudgements.KeptCap(rule: .osEndOfLife, state: .unverified, hosts: ["c"], detail: nil),
            EntityJudgements.KeptCap(rule: .osEndOfLife, state: .gap, hosts: ["d"], detail: ""),
        ]
        #expect(EntityJudgements.caps(EntityJudgements.capsText(caps)) == caps)
        #expect(EntityJudgements.caps("") == [])
        #expect(EntityJudgements.caps("nonsense") == nil)
        #expect(EntityJudgements.counts(EntityJudgements.counts(["tls": 3, "backups": 1])) == ["tls": 3, "backups": 1])
        let every = Dictionary(uniqueKeysWithValues: Domain.allCases.enumerated().map { ($1.rawValue, $0 * 1_000 + 7) })
        #expect(EntityJudgements.counts(EntityJudgements.counts(every)) == every)
        #expect(EntityJudgements.counts("") == [:])
        // A count that is not a decimal integer is left out, the other pairs kept.
        #expect(EntityJudgements.counts("tls=x1,patches=12,backups=,=4,exposition=-2,certificates=3") == ["patches": 12, "exposition": -2, "certificates": 3])
    }
}
