import Agent
import Checks
import Foundation
import Model
import Monitoring
import Testing
import TestSupport

/// The node_exporter textfile: checked by `promtool check metrics` (Debian prometheus), label values
/// escaped, families identical from run to run, written atomically.
@Suite struct PrometheusTextfileTests {
    static func promtool(_ text: String) throws -> Command.Output {
        try Command.run("promtool", ["check", "metrics"], input: Data(text.utf8))
    }

    static let results = [
        MonitoringPluginTests.passing, MonitoringPluginTests.expiring, MonitoringPluginTests.expired, MonitoringPluginTests.unreadable,
        // The same rule on the same target twice (a file named twice) must not make one series twice.
        MonitoringPluginTests.passing,
        CheckResult(check: "patch.packages", target: "/var/lib/dpkg/status", code: "patch.security-updates", status: .fail, severity: .high, evidence: ["count": 3]),
        CheckResult(check: "patch.packages", target: "/var/lib/dpkg/status", code: "patch.pending-updates", status: .pass, severity: .medium, evidence: ["count": 12, "threshold": 20]),
        CheckResult(
            check: "backup.sets", target: "/srv/backup", code: "backup.freshness", status: .pass, severity: .high,
            evidence: ["newestAt": .time(MonitoringPluginTests.now.addingTimeInterval(-7200)), "maxAgeHours": 26.0]),
        CheckResult(
            check: "cert.files", target: "/etc/ssl/a \"b\" \\c\nd.pem", code: "cert.expiry", status: .pass, severity: .high,
            evidence: ["daysLeft": 99, "notAfter": "2027-04-14T08:00:00Z"]),
    ]

    @Test func promtoolAcceptsTheFileAndValuesAreThere() throws {
        let text = PrometheusTextfile.text(for: MonitoringPluginTests.report(Self.results), source: "cyberctl")
        let check = try Self.promtool(text)
        #expect(check.exitCode == 0, "promtool: \(check.stdout) \(check.stderr)\n\(text)")
        #expect(check.stdout.isEmpty && check.stderr.isEmpty, "lint: \(check.stdout) \(check.stderr)")
        let lines = Set(text.split(separator: "\n").map(String.init))
        // notAfter of the expired certificate: 3 days before the report, plus the hour the fixture adds.
        #expect(lines.contains(#"cyberctl_certificate_expiry_timestamp_seconds{source="cyberctl",target="/etc/ssl/ancien.pem"} 1799744400"#))
        #expect(lines.contains(#"cyberctl_certificate_expiry_timestamp_seconds{source="cyberctl",target="/etc/ssl/a \"b\" \\c\nd.pem"} 1807689600"#), "\(text)")
        #expect(lines.contains(#"cyberctl_result{source="cyberctl",check="cert.files",rule="cert.file",target="/etc/ssl/casse.pem",status="error",severity="medium"} 1"#))
        #expect(lines.contains(#"cyberctl_result{source="cyberctl",check="cert.files",rule="cert.expiry",target="/etc/ssl/portail.pem",status="pass",severity="high",occurrence="2"} 1"#))
        #expect(lines.contains(#"cyberctl_security_updates_pending{source="cyberctl",target="/var/lib/dpkg/status"} 3"#))
        #expect(lines.contains(#"cyberctl_updates_pending{source="cyberctl",target="/var/lib/dpkg/status"} 12"#))
        #expect(lines.contains(#"cyberctl_backup_newest_timestamp_seconds{source="cyberctl",target="/srv/backup"} 1799992800"#))
        #expect(lines.contains(#"cyberctl_results{source="cyberctl",status="error"} 1"#))
        #expect(lines.contains(#"cyberctl_results{source="cyberctl",status="skip"} 0"#))
        #expect(lines.contains(#"cyberctl_report_timestamp_seconds{source="cyberctl"} 1800000000"#))
        #expect(lines.contains { $0.hasPrefix(#"cyberctl_domain_score{source="cyberctl",domain="certificates"} "#) })
        // The erring certificate has no days-left figure.
        #expect(!text.contains(#"cyberctl_certificate_expiry_timestamp_seconds{source="cyberctl",target="/etc/ssl/casse.pem"}"#))
        // No timestamps: every sample line is `name{labels} value`.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.split(separator: "}").last?.split(separator: " ").count == 1, "\(line)")
        }
    }

    @Test func helpAndTypeAreTheSameInEveryRunAndFile() throws {
        func header(_ text: String) -> [String] { text.split(separator: "\n").filter { $0.hasPrefix("#") }.map(String.init) }
        let full = PrometheusTextfile.text(for: MonitoringPluginTests.report(Self.results), source: "a")
        let other = PrometheusTextfile.text(for: MonitoringPluginTests.report([MonitoringPluginTests.expired]), source: "b")
        // Each family of the smaller file has the very same HELP and TYPE lines as in the larger one.
        #expect(Set(header(other)).isSubset(of: Set(header(full))), "\(header(other))")
        // Both files together (as node_exporter merges them) still pass promtool: no family defined twice
        // differently, no series twice.
        let merged = try Self.promtool(Self.merge([full, other]))
        #expect(merged.exitCode == 0, "\(merged.stdout) \(merged.stderr)")
    }

    /// Files merged family by family, as node_exporter's textfile collector gathers them.
    static func merge(_ texts: [String]) -> String {
        var order: [String] = []
        var headers: [String: [String]] = [:]
        var samples: [String: [String]] = [:]
        for text in texts {
            var family = ""
            for line in text.split(separator: "\n").map(String.init) {
                if line.hasPrefix("# HELP ") {
                    family = String(line.dropFirst(7).prefix { $0 != " " })
                    if headers[family] == nil { order.append(family); headers[family] = [line] }
                } else if line.hasPrefix("# TYPE ") {
                    if headers[family]?.count == 1 { headers[family]!.append(line) }
                } else {
                    samples[family, default: []].append(line)
                }
            }
        }
        return order.map { (headers[$0]! + samples[$0, default: []]).joined(separator: "\n") + "\n" }.joined()
    }

    @Test func writtenAtomicallyInTheFolder() throws {
        let directory = try TemporaryDirectory()
        let path = try PrometheusTextfile.write(MonitoringPluginTests.report(Self.results), source: "cyberctl", folder: directory.path)
        #expect(path == directory.url("cyberctl.prom"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["cyberctl.prom"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        // A folder that does not exist: an error naming the file, nothing written.
        #expect(throws: AtomicFileError.self) { try PrometheusTextfile.write(MonitoringPluginTests.report([]), source: "x", folder: directory.url("absent")) }
    }
}
