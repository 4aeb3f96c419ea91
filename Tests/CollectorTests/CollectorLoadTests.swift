import Agent
import Foundation
import Model
import TestSupport
import Testing
import Trust

/// Many agents at once against one collector: every report arrives exactly once.
@Suite("Collector under concurrent agents", .serialized)
struct CollectorLoadTests {
    /// SIRENs with a valid Luhn digit: 21290000n + check digit.
    static func siren(_ n: Int) -> String {
        let base = Array(String(format: "%08d", 21_290_000 + n)).map { Int(String($0))! }
        var sum = 0
        for (i, digit) in base.enumerated() {
            let value = i % 2 == 1 ? digit * 2 : digit
            sum += value > 9 ? value - 9 : value
        }
        return base.map(String.init).joined() + String((10 - sum % 10) % 10)
    }

    @Test("1,000 reports from 50 concurrent agents (50 curl clients, 20 uploads each): all accepted once, inbox and store hold 1,000; pushed again, all duplicates")
    func fiftyAgents() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-collect-load")
        var agents: [CollectorFixture.Agent] = []
        for n in 1...50 {
            let siren = Self.siren(n)
            #expect(Identifiers.isValidSIREN(siren), "\(siren)")
            agents.append(try fixture.agent(siren: siren, host: "srv-\(n)"))
        }
        var uploads: [[CollectorFixture.Upload]] = []
        for agent in agents {
            uploads.append(try (0..<20).map { _ in try fixture.signedReport(agent) })
        }
        let collector = try fixture.startCollector(db: true, extra: ["--rate", "600/min"])

        for round in 1...2 {
            let statuses = try fixture.curlAll(agents.enumerated().map { (agent: $1, uploads: uploads[$0], port: collector.port) }, label: "\(round)", maxTime: 300)
            let expected = round == 1 ? 201 : 200
            #expect(statuses.count == 1000)
            #expect(statuses.allSatisfy { $0 == expected }, "round \(round): \(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            let files = fixture.inboxFiles()
            #expect(files.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.count == 1000)
            #expect(files.filter { $0.hasSuffix(".json.p7s") && !$0.hasPrefix(".") }.count == 1000)
            let rows = try Command.run("sqlite3", [fixture.databasePath, "SELECT count(*), count(DISTINCT sha256), count(DISTINCT siren) FROM report;"])
            #expect(rows.stdout == "1000|1000|50\n", "\(rows.stdout) \(rows.stderr)")
        }
        // Each SIREN folder holds exactly its agent's 20 reports.
        for (n, agent) in agents.enumerated() {
            let names = Set(uploads[n].map { URL(fileURLWithPath: $0.reportPath).lastPathComponent })
            let stored = Set(fixture.inboxFiles(fixture.inbox + "/" + agent.siren).filter { $0.hasSuffix(".json") })
            #expect(stored == names)
        }
    }
}
