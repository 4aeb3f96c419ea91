import Foundation
import Testing
import TestSupport

/// The Zabbix integration end to end: the shipped UserParameter file (packaging/zabbix/cyberctl.conf) in a real
/// Zabbix agent's configuration (Debian zabbix-agent), its key read with `zabbix_agentd -t`, and every JSONPath
/// of the shipped template (packaging/zabbix/cyberctl-template.yaml) applied to what the agent returned.
@Suite(.serialized) struct ZabbixAgentTests {
    @Test func agentReturnsTheReportAndTheTemplateFindsEveryFigure() throws {
        let directory = try TemporaryDirectory()
        _ = try MonitoringPluginTests.services(in: directory)
        let profile = try directory.write("profiles/tous.yaml", """
            name: tous
            checks:
              cert.files:
                discover: false
                paths: [/etc/ssl/valide.pem, /etc/ssl/bientot.pem, /etc/ssl/expire.pem, /etc/ssl/casse.pem]
            """)
        let reports = try directory.makeDirectory("reports")
        let scan = try BuiltBinary.run([
            "scan", "--root", directory.url("image"), "--profile", profile, "--out", "\(reports)/cyberctl-report-test.json", "--no-sign",
            "--fail-on", "never",
        ])
        #expect(scan.exitCode == 0, "\(scan.stderr)")

        // The shipped file, with this build's agent binary (the agent package's /usr/bin/cyberctl-agent) and the
        // test's report folder.
        let shipped = try String(contentsOfFile: BuiltBinary.packageRoot + "/packaging/zabbix/cyberctl.conf", encoding: .utf8)
        #expect(shipped.contains("/usr/bin/cyberctl-agent ") && shipped.contains(" /var/lib/cyberctl/reports "))
        let userParameters = shipped.replacingOccurrences(of: "/usr/bin/cyberctl-agent ", with: try BuiltBinary.agentPath + " ")
            .replacingOccurrences(of: " /var/lib/cyberctl/reports ", with: " \(reports) ")
        try directory.write("zabbix/cyberctl.conf", userParameters)
        // The agent's own configuration: the include, and what a test run as root needs.
        let configuration = try directory.write("zabbix/zabbix_agentd.conf", """
            LogType=console
            AllowRoot=1
            Timeout=30
            Include=\(directory.url("zabbix/cyberctl.conf"))

            """)
        let output = try Command.run("zabbix_agentd", ["-c", configuration, "-t", "cyberctl.json"])
        #expect(output.exitCode == 0, "\(output.stdout) \(output.stderr)")
        // `cyberctl.json   [t|{…}]`: t is a text value.
        let line = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let start = try #require(line.range(of: "[t|"), "zabbix_agentd: \(output.stdout) \(output.stderr)")
        let json = String(line[start.upperBound...].dropLast())
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
        let report = try #require(document["report"] as? [String: Any])
        #expect(report["state"] as? Int == 2)
        #expect(report["profile"] as? String == "tous")
        #expect((document["results"] as? [String: Int])?["error"] == 1)
        let certificates = try #require(document["certificates"] as? [[String: Any]])
        #expect(certificates.contains { $0["{#TARGET}"] as? String == "/etc/ssl/bientot.pem" && $0["daysLeft"] as? Int == 20 })
        #expect(!certificates.contains { $0["{#TARGET}"] as? String == "/etc/ssl/casse.pem" })
        // Updates were not checked: null, so the Zabbix item turns unsupported rather than 0.
        #expect((document["updates"] as? [String: Any])?["security"] is NSNull)

        // Every item of the template: its JSONPath finds a value in this document (LLD rows for prototypes).
        let template = try String(contentsOfFile: BuiltBinary.packageRoot + "/packaging/zabbix/cyberctl-template.yaml", encoding: .utf8)
        let paths = template.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("- \"$.") else { return nil }
            return String(trimmed.dropFirst(3).dropLast())
        }
        #expect(paths.count == 14, "\(paths)")
        var checked = 0
        for path in paths {
            if let filter = path.range(of: "[?(") {
                // $.rows[?(@['{#A}'] == '{#A}' && …)].field.first(): for every discovered row, the row itself.
                let rowsKey = String(path[path.index(path.startIndex, offsetBy: 2)..<filter.lowerBound])
                let rows = try #require(document[rowsKey] as? [[String: Any]], "\(rowsKey)")
                let field = try #require(path.components(separatedBy: ")].").last?.components(separatedBy: ".first()").first)
                let macros = path.components(separatedBy: "@['").dropFirst().map { String($0.prefix { $0 != "'" }) }
                func key(_ row: [String: Any]) -> [String] { macros.map { name in row[name].map { "\($0)" } ?? "" } }
                for row in rows {
                    let matches = rows.filter { other in key(other) == key(row) }
                    #expect(matches.count == 1, "\(path): \(row) matches \(matches.count) rows")
                    #expect(matches.first?[field] is NSNumber, "\(path): \(row)")
                    checked += 1
                }
            } else {
                var value: Any? = document
                for key in path.dropFirst(2).split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
                #expect(value != nil, "\(path) finds nothing")
                if path == "$.updates.security" || path == "$.updates.pending" { #expect(value is NSNull) } else { #expect(!(value is NSNull), "\(path)") }
                checked += 1
            }
        }
        #expect(checked > 20)
    }
}
