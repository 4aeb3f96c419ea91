import Foundation
import TestSupport
import Testing

/// The shipped systemd units (packaging/systemd) checked by systemd itself: `systemd-analyze verify` with no
/// warning at all (unknown keys and unparsable values are only warnings there, so any output fails the test),
/// and `systemd-analyze security --offline` for the sandbox's exposure score.
@Suite("systemd units (systemd-analyze)")
struct SystemdUnitTests {
    static let units = [
        "cyberctl-agent.service", "cyberctl-agent.timer", "cyberctl-push.service", "cyberctl-push.timer", "cyberctl-alerts.service",
        "cyberctl-alerts.timer", "cyberctl-collect.service",
    ]

    /// The units copied to a temporary folder with ExecStart pointing at the built binary (verify checks
    /// that the program exists and is executable).
    func installed() throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "cyberctl-units")
        let binary = try BuiltBinary.path
        for unit in Self.units {
            let text = try String(contentsOfFile: BuiltBinary.packageRoot + "/packaging/systemd/" + unit, encoding: .utf8)
            try folder.write(unit, text.replacingOccurrences(of: "/usr/bin/cyberctl", with: binary))
        }
        return folder
    }

    func verify(_ paths: [String]) throws -> Command.Output {
        try Command.run("systemd-analyze", ["verify"] + paths)
    }

    @Test("Every unit verifies without a warning; a broken copy does not")
    func unitsVerify() throws {
        let folder = try installed()
        let output = try verify(Self.units.map { folder.url($0) })
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(output.stderr.isEmpty && output.stdout.isEmpty, "systemd-analyze warned: \(output.stderr)\(output.stdout)")

        // The check can fail: a misspelt key and a bad value are reported.
        let text = try String(contentsOfFile: folder.url("cyberctl-agent.service"), encoding: .utf8)
        try folder.write("broken.service", text.replacingOccurrences(of: "MemoryMax=512M", with: "MemoryMax=lots\nProtectSystemm=strict"))
        let broken = try verify([folder.url("broken.service")])
        // systemd logs to stdout or stderr depending on where they lead: look at both.
        let said = broken.stdout + broken.stderr
        #expect(said.contains("Invalid memory limit 'lots'") && said.contains("Unknown key 'ProtectSystemm'"), "\(said)")
    }

    @Test("The sandbox: exposure scores stay low, the scan service holds CAP_DAC_READ_SEARCH only, the timer is weekly and randomised")
    func sandbox() throws {
        let folder = try installed()
        for (unit, ceiling) in [
            ("cyberctl-agent.service", 2.5), ("cyberctl-push.service", 2.0), ("cyberctl-alerts.service", 2.0), ("cyberctl-collect.service", 2.0),
        ] {
            let output = try Command.run("systemd-analyze", ["security", "--offline=yes", "--no-pager", folder.url(unit)])
            let text = output.stdout + output.stderr
            let line = try #require(text.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(text)")
            let score = try #require(line.split(separator: ":").last.flatMap { Double($0.split(separator: " ").first ?? "") }, "\(line)")
            #expect(score <= ceiling, "\(unit): \(line)")
        }
        let agent = try String(contentsOfFile: folder.url("cyberctl-agent.service"), encoding: .utf8)
        #expect(agent.contains("\nCapabilityBoundingSet=CAP_DAC_READ_SEARCH\n"))
        #expect(agent.contains("\nAmbientCapabilities=CAP_DAC_READ_SEARCH\n"))
        #expect(agent.contains("\nUser=cyberctl\n") && agent.contains("\nNoNewPrivileges=yes\n") && agent.contains("\nProtectSystem=strict\n"))
        // The agent's units run the agent's own executable (package cyberctl-agent), not the RSSI's cyberctl.
        #expect(agent.contains("/cyberctl-agent scan --config /etc/cyberctl/agent.yaml --fail-on critical\n"), "\(agent)")
        let push = try String(contentsOfFile: folder.url("cyberctl-push.service"), encoding: .utf8)
        #expect(push.contains("\nCapabilityBoundingSet=\n"))
        #expect(push.contains("/cyberctl-agent push --config /etc/cyberctl/agent.yaml\n"), "\(push)")
        // The RSSI's collector: no capability (port 8443), restarted on failure, stopped gracefully.
        let collect = try String(contentsOfFile: folder.url("cyberctl-collect.service"), encoding: .utf8)
        #expect(collect.contains("\nCapabilityBoundingSet=\n") && collect.contains("\nRestart=on-failure\n") && collect.contains(" collect --listen "))
        let timer = try String(contentsOfFile: folder.url("cyberctl-agent.timer"), encoding: .utf8)
        #expect(timer.contains("OnCalendar=weekly") && timer.contains("RandomizedDelaySec=") && timer.contains("Persistent=true"))
        // The RSSI's reminders: daily, read-only store, no network; the store is rssi.yaml's, never a `--db` of its own.
        let alerts = try String(contentsOfFile: folder.url("cyberctl-alerts.service"), encoding: .utf8)
        #expect(alerts.contains(" territory alerts --within 30d\n"), "\(alerts)")
        #expect(!alerts.contains("alerts --db"), "\(alerts)")
        #expect(alerts.contains("\nReadOnlyPaths=/var/lib/cyberctl\n") && alerts.contains("\nPrivateNetwork=yes\n"))
        let daily = try String(contentsOfFile: folder.url("cyberctl-alerts.timer"), encoding: .utf8)
        #expect(daily.contains("OnCalendar=*-*-* 07:30:00 Europe/Paris") && daily.contains("Persistent=true"))
    }
}
