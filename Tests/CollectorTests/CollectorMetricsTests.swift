import Foundation
import OpenSSLKit
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `collect --metrics-listen`: the built binary serves `/metrics` on loopback; real uploads through curl
/// move its counters, the territory figures come from the store, `promtool check metrics` (Debian
/// prometheus) accepts every scrape, and a store that can no longer be read says so instead of going quiet.
@Suite("Collector /metrics", .serialized)
struct CollectorMetricsTests {
    /// `name{labels}` → value, for every sample of an exposition.
    static func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = value
        }
        return out
    }

    static func scrape(_ port: Int) throws -> (text: String, contentType: String) {
        let output = try Command.run("curl", ["-sS", "--max-time", "30", "-w", "\n%{content_type}", "http://127.0.0.1:\(port)/metrics"])
        guard output.exitCode == 0, let cut = output.stdout.lastIndex(of: "\n") else {
            throw TestSupportError("curl failed (\(output.exitCode)): \(output.stderr)")
        }
        return (String(output.stdout[..<cut]) + "\n", String(output.stdout[output.stdout.index(after: cut)...]))
    }

    static func promtool(_ text: String) throws -> Command.Output {
        try Command.run("promtool", ["check", "metrics"], input: Data(text.utf8))
    }

    @Test("counters follow real uploads, the territory's members are all there, promtool accepts the page, a store that cannot be read gives store_up 0")
    func countersTerritoryAndPromtool() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-metrics")
        // A roster of three members: A reports, B's only report is refused, C never reports.
        let roster = try fixture.folder.write(
            "roster.yaml",
            """
            territory:
              name: Communauté de communes de test
              siren: "242900645"
            members:
              - name: Commune A
                siren: "\(CollectorFixture.sirenA)"
              - name: "Commune \\"B\\""
                siren: "\(CollectorFixture.sirenB)"
              - name: Commune C
                siren: "\(CollectorFixture.sirenC)"

            """)
        let imported = try BuiltBinary.run(["territory", "roster", "import", roster, "--db", fixture.databasePath])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        let agentA = try fixture.agent(siren: CollectorFixture.sirenA, host: "srv-mairie")
        let agentB = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-b")
        let collector = try fixture.startCollector(db: true, extra: ["--metrics-listen", "127.0.0.1:0"])
        let port = try collector.metricsPort()

        // Before any upload: the families are there, at zero, and the page is valid.
        let empty = try Self.scrape(port)
        #expect(empty.contentType == "text/plain; version=0.0.4; charset=utf-8")
        let emptyCheck = try Self.promtool(empty.text)
        #expect(emptyCheck.exitCode == 0, "\(emptyCheck.stdout)\(emptyCheck.stderr)\n\(empty.text)")
        let before = Self.samples(empty.text)
        #expect(before["cyberctl_collector_reports_received_total"] == 0)
        #expect(before["cyberctl_collector_verification_queue_depth"] == 0)
        #expect(before["cyberctl_territory_store_up"] == 1)
        #expect(before["cyberctl_territory_members_silent{reason=\"never-reported\"}"] == 3)
        #expect(before["cyberctl_territory_members{level=\"sans-rapport\"}"] == 3)

        // One accepted, the same again (duplicate), one tampered (refused), two with a wrong SHA-256 header
        // (malformed, never reach verification).
        let first = try fixture.signedReport(agentA)
        let firstReply = try fixture.push(first, as: agentA, port: collector.port)
        #expect(firstReply.status == 201, "\(firstReply.json) \(firstReply.stderr) \(collector.log)")
        #expect(try fixture.push(first, as: agentA, port: collector.port).status == 200)
        let second = try fixture.signedReport(agentB)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: second.reportPath))
        bytes[bytes.firstRange(of: Data("srv-b".utf8))!.lowerBound] = UInt8(ascii: "S")
        try bytes.write(to: URL(fileURLWithPath: second.reportPath))
        let tampered = CollectorFixture.Upload(
            reportPath: second.reportPath, signaturePath: second.signaturePath, sha256: Digest.sha256Hex(Array(bytes)))
        #expect(try fixture.push(tampered, as: agentB, port: collector.port).status == 422)
        let third = try fixture.signedReport(agentA)
        for _ in 0..<2 {  // twice: the same refusal adds to the same series
            #expect(try fixture.push(third, as: agentA, port: collector.port, sha256Header: String(repeating: "0", count: 64)).status == 400)
        }

        let page = try Self.scrape(port)
        let check = try Self.promtool(page.text)
        #expect(check.exitCode == 0, "\(check.stdout)\(check.stderr)\n\(page.text)")
        #expect(check.stdout.isEmpty && check.stderr.isEmpty, "promtool lint: \(check.stdout)\(check.stderr)")
        let after = Self.samples(page.text)
        #expect(after["cyberctl_collector_reports_received_total"] == 5)
        #expect(after["cyberctl_collector_reports_accepted_total{outcome=\"new\"}"] == 1)
        #expect(after["cyberctl_collector_reports_accepted_total{outcome=\"duplicate\"}"] == 1)
        #expect(after["cyberctl_collector_reports_refused_total{status=\"refused\",code=\"content-mismatch\"}"] == 1, "\(page.text)")
        #expect(after["cyberctl_collector_reports_refused_total{status=\"malformed\",code=\"sha256-mismatch\"}"] == 2, "\(page.text)")
        // Three uploads reached verification; the malformed one did not.
        #expect(after["cyberctl_collector_upload_duration_seconds_count"] == 3)
        #expect(after["cyberctl_collector_upload_duration_seconds_bucket{le=\"+Inf\"}"] == 3)

        // The territory: A has a score and a report time; B (refused) and C (silent) are counted, never dropped.
        let scoreA = after["cyberctl_territory_member_score{siren=\"\(CollectorFixture.sirenA)\",name=\"Commune A\"}"]
        #expect(scoreA != nil && (0...100).contains(scoreA!), "\(page.text)")
        let reportTime = after["cyberctl_territory_member_last_report_timestamp_seconds{siren=\"\(CollectorFixture.sirenA)\",name=\"Commune A\"}"]
        #expect(reportTime.map { abs($0 - (fixture.now.timeIntervalSince1970 - 600)) <= 1 } == true, "\(page.text)")
        #expect(after["cyberctl_territory_members_expected"] == 3)
        #expect(after["cyberctl_territory_members_silent{reason=\"never-reported\"}"] == 2)
        #expect(after["cyberctl_territory_members{level=\"sans-rapport\"}"] == 2)
        // The territory's score is its members' mean; its level line is present, whatever the level.
        #expect(after["cyberctl_territory_score"] != nil)
        #expect(page.text.contains("cyberctl_territory_level{level=\""))
        // A label value with a double quote is escaped as the format requires.
        #expect(!page.text.contains("Commune \"B\""))

        // Anything but /metrics is a 404 on this port.
        let other = try Command.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/v1/reports"])
        #expect(other.stdout == "404")

        // The store loses its reports table: the page says the store could not be read, with no stale figure.
        let drop = try Command.run(
            "python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DROP TABLE report'); c.commit()", fixture.databasePath])
        #expect(drop.exitCode == 0, "\(drop.stderr)")
        let broken = try Self.scrape(port)
        let brokenSamples = Self.samples(broken.text)
        #expect(brokenSamples["cyberctl_territory_store_up"] == 0, "\(broken.text)")
        #expect(!broken.text.contains("cyberctl_territory_score"))
        #expect(!broken.text.contains("cyberctl_territory_member_score"))
        #expect(brokenSamples["cyberctl_collector_reports_received_total"] == 5)
        #expect(try Self.promtool(broken.text).exitCode == 0)
        #expect(collector.log.contains("the territory store cannot be read"), "\(collector.log)")
        #expect(collector.stop() == 0)
    }

    @Test("no --metrics-listen: no metrics server; a bad address is a usage error naming the option")
    func optionIsCheckedAndOffByDefault() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-metrics-off")
        let collector = try fixture.startCollector()
        #expect(!collector.log.contains("metrics on"))
        collector.stop()
        let (certificate, key) = try fixture.serverCertificate()
        let bad = try BuiltBinary.run([
            "collect", "--listen", "127.0.0.1:0", "--tls-cert", certificate, "--tls-key", key, "--ca", fixture.caPath,
            "--inbox", fixture.inbox, "--metrics-listen", "9464",
        ])
        #expect(bad.exitCode == 64)
        #expect(bad.stderr.contains("--metrics-listen"))
    }
}
