import Agent
import Foundation
import TestSupport
import Testing
import Territory
import Trust

/// Two `cyberctl collect` processes, each with its own inbox, writing into one PostgreSQL store (issue 20): the
/// writers' advisory lock and the UNIQUE key on a report's SHA-256 store each report once, and a host's latest report
/// is its newest whatever the order the collectors commit in.
@Suite("Two collectors on one PostgreSQL", .serialized)
struct TwoCollectorsTests {
    @Test("2,000 signed reports split between two collectors (every tenth sent to both at once) by 80 concurrent clients: stored once each, the SHA-256 set as sent, each host's latest its newest")
    func twoCollectors() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-collect-pg")
        let cluster = try PostgresCluster.shared()
        let uri = try cluster.createDatabase(prefix: "collect")
        // 40 agents (20 entities × 2 hosts), 50 reports each, generated one minute apart.
        var agents: [CollectorFixture.Agent] = []
        for n in 1...20 {
            for host in ["srv-a", "srv-b"] { agents.append(try fixture.agent(siren: CollectorLoadTests.siren(n), host: host)) }
        }
        var uploads: [[(upload: CollectorFixture.Upload, minutesAgo: Int)]] = []
        var rng = SystemRandomNumberGenerator()
        for agent in agents {
            // Shuffled: an older report often reaches its collector, and commits, after a newer one.
            let reports = try (0..<50).map { index -> (upload: CollectorFixture.Upload, minutesAgo: Int) in
                let minutesAgo = 10 + index * 7 + Int.random(in: 0...5, using: &rng)
                return (try fixture.signedReport(agent, minutesAgo: Double(minutesAgo)), minutesAgo)
            }
            uploads.append(reports.shuffled(using: &rng))
        }
        let inboxA = fixture.folder.url("inbox-a")
        let inboxB = fixture.folder.url("inbox-b")
        let extra = ["--db", uri, "--rate", "100000/min", "--queue-limit", "4096"]
        let first = try fixture.startCollector(extra: extra, inbox: inboxA)
        let second = try fixture.startCollector(extra: extra, inbox: inboxB)

        // Per agent, one client per collector. Every tenth report goes to both, first in both queues, so that the two
        // collectors verify and store it at the same moment; then the even-numbered to the first, the odd to the second.
        var jobs: [(agent: CollectorFixture.Agent, uploads: [CollectorFixture.Upload], port: Int)] = []
        for (n, agent) in agents.enumerated() {
            let numbered = uploads[n].enumerated()
            let both = numbered.filter { $0.offset % 10 == 0 }.map(\.element.upload)
            let toFirst = both + numbered.filter { $0.offset % 2 == 0 && $0.offset % 10 != 0 }.map(\.element.upload)
            let toSecond = both + numbered.filter { $0.offset % 2 == 1 }.map(\.element.upload)
            jobs.append((agent, toFirst, first.port))
            jobs.append((agent, toSecond, second.port))
        }
        let statuses = try fixture.curlAll(jobs, label: "two", maxTime: 600)
        let sent = uploads.flatMap { $0.map(\.upload) }
        #expect(statuses.count == sent.count + sent.count / 10, "one status per upload")
        #expect(statuses.allSatisfy { $0 == 201 || $0 == 200 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        first.stop()
        second.stop()

        let store = try TerritoryStore(location: uri, create: false, readOnly: true)
        try store.read { db in
            let counts = try db.fetchRow(sql: "SELECT COUNT(*), COUNT(DISTINCT sha256), COUNT(DISTINCT id) FROM report")!
            #expect(counts[0] as Int == 2000 && counts[1] as Int == 2000 && counts[2] as Int == 2000, "\(counts.values)")
            let stored = Set(try db.fetchAll(String.self, sql: "SELECT sha256 FROM report"))
            #expect(stored == Set(sent.map(\.sha256)))
            // Each report holds all its results, written in its transaction.
            #expect(try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM result") == 2000 * 3)
            // Each host's latest report is its newest (generation time, the tie broken by signing time then id).
            let wrong = try db.fetchAll(String.self, sql: """
                SELECT h.hostname FROM host h JOIN report l ON l.key = h.latestReportKey
                WHERE EXISTS (SELECT 1 FROM report r WHERE r.hostID = h.id AND r.generatedAt > l.generatedAt)
                   OR h.latestGeneratedAt != l.generatedAt
                """)
            #expect(wrong.isEmpty, "hosts whose latest report regressed: \(wrong)")
            #expect(try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM host WHERE latestReportKey IS NOT NULL") == 40)
            // The entity sums kept at ingest equal the sums of the hosts' latest reports recomputed now.
            let drift = try db.fetchOne(Int.self, sql: """
                SELECT COUNT(*) FROM entity_domain e FULL JOIN (
                    SELECT h.siren, d.domain, SUM(d.weight) AS weight, SUM(d.failing) AS failing
                    FROM host h JOIN report_domain d ON d.reportKey = h.latestReportKey GROUP BY h.siren, d.domain
                ) s ON s.siren = e.siren AND s.domain = e.domain
                WHERE s.siren IS NULL OR e.siren IS NULL OR abs(e.weight - s.weight) > 1e-9 OR e.failing != s.failing
                """)
            #expect(drift == 0, "entity sums drifted from the hosts' latest reports")
        }
        // Both collectors stored reports; a pair sent to both is stored once in the store (and once per inbox).
        let filesA = fixture.inboxFiles(inboxA).filter { $0.hasSuffix(".json") }.count
        let filesB = fixture.inboxFiles(inboxB).filter { $0.hasSuffix(".json") }.count
        #expect(filesA == 1000 && filesB == 1200, "\(filesA) \(filesB)")
    }
}
