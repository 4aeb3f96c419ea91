import Checks
import Foundation
import Model
import Rendering
import TestSupport
import Testing
@testable import Territory

/// `host_cap` (`HostCaps`, migration `v12-host-cap`, issue 20): the cap inputs kept per host at ingest equal a
/// recomputation from every latest report's facts and every host's security history, and give the caps of the full
/// facts at any `now` (before, at and after each certificate's and system's end), after every way a host's latest
/// report or history changes.
@Suite("Host caps: kept at ingest, equal to a full recomputation at any time", .serialized)
struct HostCapsTests {
    typealias F = TerritoryFixture

    /// Every host with a latest report has a row computed from that report, equal to the one recomputed from the
    /// report's facts and the host's whole history; at each of `nows` (and at each fact's date, a second before and
    /// after), every host's and entity's caps from the kept row are those of the full facts.
    static func expectEqual(_ store: TerritoryStore, _ step: String, nows: [Int]) throws {
        try store.read { db in
            var hosts: [(id: Int64, siren: String, hostname: String, key: Int64, time: Int)] = []
            try db.forEachRow(
                sql: "SELECT id, siren, hostname, latestReportKey, latestGeneratedAt FROM host WHERE latestReportKey IS NOT NULL ORDER BY id", arguments: []
            ) { row in hosts.append((row[0], row[1], row[2], row[3], row[4])) }
            #expect(!hosts.isEmpty, "\(step): the scenario has hosts")
            let facts = try FactReader.facts(db, reports: hosts.map(\.key))
            let pending = try FactReader.pendingSince(db, hostIDs: hosts.map(\.id))
            var stored: [Int64: (key: Int64, row: HostCaps.Row)] = [:]
            try db.forEachRow(sql: "SELECT c.hostID, c.reportKey, \(HostCaps.columns) FROM host_cap c", arguments: []) { row in
                stored[row[0]] = (row[1], HostCaps.Row(row, offset: 2))
            }
            #expect(stored.count == hosts.count, "\(step): one row per host with a latest report")
            var instants = Set(nows)
            for list in facts.values { for at in list.compactMap(\.at) { instants.formUnion([at - 1, at, at + 1]) } }
            for host in hosts {
                let expected = HostCaps.Row(facts: facts[host.key] ?? [], reportTime: host.time, pendingSince: pending[host.id] ?? [:])
                #expect(stored[host.id]?.key == host.key, "\(step): \(host.hostname): row of the latest report")
                #expect(stored[host.id]?.row == expected, "\(step): \(host.hostname): stored row = recomputed")
            }
            for now in instants.sorted() {
                let read = try HostCaps.latestInputs(db, now: now)
                #expect(read.count == hosts.count)
                let kept = Dictionary(uniqueKeysWithValues: read.map { ("\($0.siren)/\($0.input.hostname)", $0) })
                var entities: [String: (full: [HostCapInput], kept: [HostCapInput])] = [:]
                for host in hosts {
                    let full = HostCapInput(hostname: host.hostname, reportTime: host.time, facts: facts[host.key] ?? [], pendingSince: pending[host.id] ?? [:])
                    let keptHost = try #require(kept["\(host.siren)/\(host.hostname)"])
                    #expect(keptHost.time == host.time)
                    #expect(
                        ViewShortcutTests.words(CapEvaluation.caps(keptHost.input, now: now)) == ViewShortcutTests.words(CapEvaluation.caps(full, now: now)),
                        "\(step): \(host.hostname) at \(now)")
                    entities[host.siren, default: ([], [])].full.append(full)
                    entities[host.siren, default: ([], [])].kept.append(keptHost.input)
                }
                for (siren, inputs) in entities {
                    #expect(
                        CapEvaluation.entityCaps(inputs.kept, now: now, language: .fr) == CapEvaluation.entityCaps(inputs.full, now: now, language: .fr),
                        "\(step): \(siren) at \(now)")
                }
            }
        }
    }

    static func day(_ seconds: Int) -> String { String(ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))).prefix(10)) }

    /// A report's cap-relevant results: certificates ending at `ends` (seconds from the fixture's now), the system's
    /// security support ending at `endOfLife` (nil: no `patch.os-eol` result), `pending` security updates (empty: the
    /// rule passes).
    static func results(_ fixture: F, ends: [Int], endOfLife: Int?, pending: [String], seed: Int = 0) -> [CheckResult] {
        let now = Int(fixture.now.timeIntervalSince1970)
        var out = F.mixed(seed)
        for (index, end) in ends.enumerated() {
            out.append(F.result(
                "tls.cert.expiry", .pass, .high, target: "svc\(index):443",
                evidence: ["notAfter": .string(ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(now + end)))), "subject": .string("CN=svc\(index)")]))
        }
        if let endOfLife {
            out.append(F.result("patch.os-eol", .pass, .high, target: "os", evidence: ["release": "Debian 12", "securitySupportEnds": .string(day(now + endOfLife))]))
        }
        out.append(F.result(
            "patch.security-updates", pending.isEmpty ? .pass : .fail, .high, target: "apt",
            evidence: pending.isEmpty ? [:] : ["updates": .array(pending.map { .object(["package": .string($0)]) })]))
        out.append(F.result("backup.present", .pass, .high, target: "/srv/backup"))
        return out
    }

    @Test("New latest, a late report older than the two newest, prune, migrate, time past each end: rows = recomputation")
    func rowsFollowEveryChange() throws {
        let fixture = try F()
        let now = Int(fixture.now.timeIntervalSince1970)
        let nows = [now - 60 * 86_400, now, now + 9 * 86_400, now + 11 * 86_400, now + 400 * 86_400]
        // srv-mairie: openssl pending at 10 and 1 days (not late: 9 days); srv-ecole: no end-of-support result at all
        // (not verified); B: a certificate ended, two tied.
        try fixture.write("a-10.json", daysAgo: 10, results: Self.results(fixture, ends: [10 * 86_400, 30 * 86_400], endOfLife: 200 * 86_400, pending: ["openssl"]))
        try fixture.write("a-1.json", daysAgo: 1, results: Self.results(fixture, ends: [10 * 86_400, 30 * 86_400], endOfLife: 200 * 86_400, pending: ["openssl", "curl"]))
        try fixture.write("a-ecole.json", host: "srv-ecole", daysAgo: 3, results: Self.results(fixture, ends: [20 * 86_400], endOfLife: nil, pending: []))
        try fixture.write("b.json", siren: F.sirenB, daysAgo: 4, results: Self.results(fixture, ends: [-3 * 86_400, 5 * 86_400, 5 * 86_400, 90 * 86_400], endOfLife: -86_400, pending: []))
        #expect(try fixture.ingest().stored == 4)
        try Self.expectEqual(try fixture.store(), "first reports", nows: nows)
        let late = { (store: TerritoryStore) in
            try TerritoryViews(store: store, now: fixture.now, language: .en).status().entities.first { $0.siren == F.sirenA }?.score.caps
                .contains { $0.rule == CapRule.securityUpdateLate.rawValue } ?? false
        }
        #expect(try !late(fixture.store()), "openssl pending for 9 days")

        // A late report, older than both: openssl pending since 36 days, late now; the host's latest did not change.
        try fixture.write("a-36.json", daysAgo: 36, results: Self.results(fixture, ends: [10 * 86_400], endOfLife: 200 * 86_400, pending: ["openssl"]))
        #expect(try fixture.ingest().stored == 1)
        try Self.expectEqual(try fixture.store(), "late report older than the two newest", nows: nows)
        #expect(try late(fixture.store()), "openssl pending since 36 days")

        // A new latest: other certificates and end of support.
        try fixture.write("a-0.json", daysAgo: 0.5, results: Self.results(fixture, ends: [-1 * 86_400, 15 * 86_400], endOfLife: 8 * 86_400, pending: ["openssl"]))
        #expect(try fixture.ingest().stored == 1)
        try Self.expectEqual(try fixture.store(), "latest replaced", nows: nows)
        #expect(try late(fixture.store()))

        // Prune before 30 days: the 36-day report goes, openssl is pending since 10 days again.
        #expect(try fixture.store().prune(before: fixture.now.addingTimeInterval(-30 * 86_400)).reports == 1)
        try Self.expectEqual(try fixture.store(), "after prune", nows: nows)
        #expect(try !late(fixture.store()))

        // Migrate into another store: the rows are copied, the status is the same.
        let copy = try TerritoryStore(path: fixture.folder.url("copy.sqlite"), create: true)
        _ = try StoreCopy.copy(from: try fixture.store(), to: copy)
        try Self.expectEqual(copy, "after migrate", nows: nows)
        for at in nows {
            let date = Date(timeIntervalSince1970: TimeInterval(at))
            #expect(try ViewJSON.encode(TerritoryViews(store: copy, now: date).status())
                == ViewJSON.encode(TerritoryViews(store: fixture.store(), now: date).status()))
        }

        // Rows gone or out of date (a writer that forgot them): the status reads the full facts and says the same.
        let views = { try TerritoryViews(store: fixture.store(), now: fixture.now.addingTimeInterval(9 * 86_400), language: .en).status() }
        let expected = try ViewJSON.encode(views())
        try fixture.store().write { db in
            try db.execute(sql: "DELETE FROM host_cap WHERE hostID IN (SELECT id FROM host WHERE hostname = 'srv-ecole')")
            try db.execute(sql: "UPDATE host_cap SET reportKey = -1, backup = NULL, certificateAt = NULL, endOfLife = NULL WHERE siren = ?", arguments: [F.sirenB])
        }
        #expect(try ViewJSON.encode(views()) == expected)
    }

    @Test("Random worlds: the rows of the migration's back-fill and of ingest are the recomputation's, at any time", arguments: 0..<6)
    func randomWorlds(seed: Int) throws {
        let (world, _) = try MonotonicityTests.world(seed: UInt64(9_300 + seed))
        let now = Int(world.fixture.now.timeIntervalSince1970)
        let nows = [now - 400 * 86_400, now - 40 * 86_400, now, now + 130 * 86_400, now + 4_000 * 86_400]
        try Self.expectEqual(try world.fixture.store(), "ingest", nows: nows)
        // The back-fill (`refreshAll`, the migration's) gives the same rows.
        try world.fixture.store().write { db in try HostCaps.refreshAll(db) }
        try Self.expectEqual(try world.fixture.store(), "back-fill", nows: nows)
    }
}
