import Foundation
import Testing
import TestSupport

/// `cyberctl metrics --format prometheus` end to end: the built binary writes the textfile of the
/// certificate fixture image, `promtool check metrics` accepts it, and a real node_exporter (Debian
/// prometheus-node-exporter, textfile collector only, on loopback) serves the values, scraped over HTTP.
@Suite(.serialized) struct NodeExporterTests {
    @Test func nodeExporterServesTheTextfile() throws {
        let directory = try TemporaryDirectory()
        _ = try MonitoringPluginTests.services(in: directory)
        let profile = try directory.write("profiles/tous.yaml", """
            name: tous
            checks:
              cert.files:
                discover: false
                paths: [/etc/ssl/valide.pem, /etc/ssl/bientot.pem, /etc/ssl/expire.pem, /etc/ssl/casse.pem]
            """)
        let textfiles = try directory.makeDirectory("textfile")
        let run = try BuiltBinary.run([
            "metrics", "--format", "prometheus", "--textfile-dir", textfiles, "--root", directory.url("image"), "--profile", profile,
        ])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: textfiles) == ["cyberctl.prom"])
        // A second file from a report on disk, as a second timer would write it: the families merge.
        let report = directory.url("rapport.json")
        let scan = try BuiltBinary.run(["scan", "--root", directory.url("image"), "--profile", profile, "--out", report, "--no-sign", "--fail-on", "never"])
        #expect(scan.exitCode == 0, "\(scan.stderr)")
        #expect(try BuiltBinary.run(["metrics", "--format", "prometheus", "--textfile-dir", textfiles, "--name", "cyberctl-rapport", "--report", report]).exitCode == 0)
        for file in ["cyberctl.prom", "cyberctl-rapport.prom"] {
            let check = try Command.run("promtool", ["check", "metrics"], input: try Data(contentsOf: URL(fileURLWithPath: "\(textfiles)/\(file)")))
            #expect(check.exitCode == 0, "\(file): \(check.stdout) \(check.stderr)")
        }

        let port = try BackgroundServer.freePort()
        let exporter = try BackgroundServer("prometheus-node-exporter", [
            "--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults", "--collector.textfile",
            "--collector.textfile.directory=\(textfiles)",
        ], port: port, folder: directory.path)
        defer { exporter.stop() }
        let scrape = try Command.run("curl", ["-sS", "--max-time", "20", "http://127.0.0.1:\(port)/metrics"])
        #expect(scrape.exitCode == 0, "\(scrape.stderr)")
        let lines = Set(scrape.stdout.split(separator: "\n").map(String.init))
        // node_exporter read both files without error.
        #expect(lines.contains("node_textfile_scrape_error 0"), "\(scrape.stdout.prefix(3000)) \(exporter.output)")
        for source in ["cyberctl", "cyberctl-rapport"] {
            // notAfter as Unix time: what the fixture issued (20 days and an hour ahead, 3 days less an hour behind).
            for (name, days) in [("bientot", 20), ("expire", -3)] {
                let prefix = #"cyberctl_certificate_expiry_timestamp_seconds{source="\#(source)",target="/etc/ssl/\#(name).pem"} "#
                let value = try #require(lines.first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }, "\(source) \(name)")
                #expect(Int(((value - Date().timeIntervalSince1970) / 86_400).rounded(.down)) == days, "\(source) \(name): \(value)")
            }
            #expect(lines.contains(#"cyberctl_result{check="cert.files",rule="cert.file",severity="medium",source="\#(source)",status="error",target="/etc/ssl/casse.pem"} 1"#), "\(source)")
            #expect(lines.contains(#"cyberctl_results{source="\#(source)",status="fail"} 1"#), "\(source)")
            #expect(lines.contains { $0.hasPrefix(#"cyberctl_report_timestamp_seconds{source="\#(source)"} "#) })
        }
        // The unreadable file has no days-left series.
        #expect(!scrape.stdout.contains(#"cyberctl_certificate_expiry_timestamp_seconds{source="cyberctl",target="/etc/ssl/casse.pem"}"#))
        let lint = try Command.run("promtool", ["check", "metrics"], input: scrape.stdoutData)
        #expect(lint.exitCode == 0, "\(lint.stdout) \(lint.stderr)")
    }
}
