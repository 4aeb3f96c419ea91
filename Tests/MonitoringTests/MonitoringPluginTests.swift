import Agent
import Checks
import Foundation
import Model
import Monitoring
import Testing
import TestSupport

/// The plugin answer for reports made here: states, status line, long output and performance data as the
/// Perl `Monitoring::Plugin` library reads them, and the bound on the output.
@Suite struct MonitoringPluginTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func report(_ results: [CheckResult]) -> Report {
        Report(
            generatedAt: now, agent: .init(version: "0.1.0", profile: "test", profileSHA256: String(repeating: "0", count: 64)),
            entity: Entity(), host: HostFacts(hostname: "srv-mairie", os: .init(id: "debian", version: "12"), kernel: nil, machineID: nil),
            results: results)
    }

    static func certificate(_ path: String, days: Int, _ status: Status, _ severity: Severity) -> CheckResult {
        CheckResult(check: "cert.files", target: path, code: "cert.expiry", status: status, severity: severity, evidence: ["daysLeft": .int(days), "notAfter": .time(now.addingTimeInterval(Double(days) * 86_400 + 3600))])
    }

    static let passing = certificate("/etc/ssl/portail.pem", days: 300, .pass, .high)
    static let expiring = certificate("/etc/ssl/intranet.pem", days: 20, .warn, .medium)
    static let expired = certificate("/etc/ssl/ancien.pem", days: -3, .fail, .critical)
    static let unreadable = CheckResult(
        check: "cert.files", target: "/etc/ssl/casse.pem", code: "cert.file", status: .error, severity: .medium, reason: .init(fr: "aucun certificat trouvé", en: "no certificate found"))

    @Test func stateIsTheWorstResultUnknownAboveWarning() throws {
        let cases: [([CheckResult], PluginState)] = [
            ([Self.passing], .ok),
            ([Self.passing, Self.expiring], .warning),
            ([Self.passing, Self.expiring, Self.unreadable], .unknown),
            ([Self.passing, Self.expiring, Self.unreadable, Self.expired], .critical),
            // A fail under high severity is a warning.
            ([CheckResult(check: "patch.packages", target: "apt", code: "patch.held-packages", status: .fail, severity: .medium)], .warning),
            // Nothing verified is never OK.
            ([], .unknown),
            ([CheckResult(check: "cert.files", target: "cert.files", code: "cert.discovery", status: .skip, severity: .info, reason: .init(fr: "aucun certificat", en: "no certificate"))], .unknown),
        ]
        for (results, expected) in cases {
            let answer = MonitoringPlugin(language: .en).evaluate(Self.report(results))
            #expect(answer.state == expected, "\(answer.text)")
            #expect(answer.text.hasPrefix("CYBERCTL \(expected.word): "))
            let parsed = try PerlReference.parse(answer.text)
            #expect(parsed.state == expected.word)
        }
    }

    @Test func longOutputAndPerformanceDataReadByMonitoringPlugin() throws {
        let answer = MonitoringPlugin(language: .fr).evaluate(Self.report([Self.passing, Self.expiring, Self.unreadable, Self.expired]))
        let lines = answer.text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("CYBERCTL CRITICAL: 1 critique, 1 non vérifié, 1 avertissement, 1 conforme — pire : cert.expiry /etc/ssl/ancien.pem"))
        // Worst first: critical, unknown, warning; the passing certificate has no line.
        #expect(lines[1].hasPrefix("[CRITICAL] cert.expiry /etc/ssl/ancien.pem : Expiration du certificat (fail, critical) ; -3 j restants"))
        #expect(lines[2].hasPrefix("[UNKNOWN] cert.file /etc/ssl/casse.pem"))
        #expect(lines[2].hasSuffix(" : aucun certificat trouvé"), "the reason in the language asked (issue 18)")
        #expect(MonitoringPlugin(language: .en).evaluate(Self.report([Self.unreadable])).text.contains(": no certificate found"))
        #expect(lines[3].hasPrefix("[WARNING] cert.expiry /etc/ssl/intranet.pem"))
        #expect(lines[4].hasPrefix("| "))
        #expect(lines.count == 5)
        let items = try PerlReference.parse(answer.text).items
        let values = Dictionary(uniqueKeysWithValues: items.map { ($0.label, $0.value) })
        #expect(values["days_left:/etc/ssl/portail.pem"] == "300")
        #expect(values["days_left:/etc/ssl/intranet.pem"] == "20")
        #expect(values["days_left:/etc/ssl/ancien.pem"] == "-3")
        // The unreadable file has no figure (no made-up value).
        #expect(!values.keys.contains { $0.contains("casse") })
        // Scores: pass high 8, warn medium 4 × 0.5, fail critical 0 of 16, error medium 0 of 4: 10 / 32 → 31.
        let score = try #require(items.first { $0.label == "score:certificates" })
        #expect(score == .init(label: "score:certificates", value: "31", unit: "", warning: "", critical: "", minimum: "0", maximum: "100"))
        #expect(values["score"] == "31")
    }

    @Test func thresholdsApplyToTheChosenFigureAndOnlyAddAlerts() throws {
        let thresholds = PluginThresholds(metric: .daysLeft, warning: ThresholdRange("400:"), critical: ThresholdRange("10:"))
        let answer = MonitoringPlugin(thresholds: thresholds, language: .en).evaluate(Self.report([Self.passing]))
        #expect(answer.state == .warning, "\(answer.text)")
        #expect(answer.text.contains("[WARNING] days-left /etc/ssl/portail.pem = 300 (-w 400:)"))
        let item = try #require(try PerlReference.parse(answer.text).items.first { $0.label == "days_left:/etc/ssl/portail.pem" })
        #expect(item.warning == "400:" && item.critical == "10:")
        // A loose threshold does not hide the rule's finding.
        let loose = PluginThresholds(metric: .daysLeft, warning: ThresholdRange("1:"), critical: ThresholdRange("0:"))
        #expect(MonitoringPlugin(thresholds: loose, language: .en).evaluate(Self.report([Self.expired])).state == .critical)
        // Thresholds on a figure the run does not have: UNKNOWN, saying so.
        let absent = PluginThresholds(metric: .backupAge, warning: ThresholdRange("~:3600"), critical: nil)
        let unknown = MonitoringPlugin(thresholds: absent, language: .en).evaluate(Self.report([Self.passing]))
        #expect(unknown.state == .unknown)
        #expect(unknown.text.contains("no backup-age figure"))
    }

    @Test func updateAndBackupFiguresCarryTheRuleThresholds() throws {
        let results = [
            CheckResult(check: "patch.packages", target: "/var/lib/dpkg/status", code: "patch.security-updates", status: .fail, severity: .high, evidence: ["count": 3]),
            CheckResult(check: "patch.packages", target: "/var/lib/dpkg/status", code: "patch.pending-updates", status: .pass, severity: .medium, evidence: ["count": 12, "threshold": 20]),
            CheckResult(
                check: "backup.sets", target: "/srv/backup", code: "backup.freshness", status: .pass, severity: .high,
                evidence: ["newestAt": .time(Self.now.addingTimeInterval(-7200)), "maxAgeHours": 26.0, "ageHours": 2.0]),
        ]
        let answer = MonitoringPlugin(language: .en).evaluate(Self.report(results))
        #expect(answer.state == .critical)
        let items = try PerlReference.parse(answer.text).items
        #expect(items.contains(.init(label: "security_updates", value: "3", unit: "", warning: "", critical: "0", minimum: "0", maximum: "")))
        #expect(items.contains(.init(label: "pending_updates", value: "12", unit: "", warning: "20", critical: "", minimum: "0", maximum: "")))
        #expect(items.contains(.init(label: "backup_age:/srv/backup", value: "7200", unit: "s", warning: "", critical: "~:93600", minimum: "", maximum: "")))
        // Update counts are on the status line, per-target figures after the long output.
        let first = try #require(answer.text.split(separator: "\n").first)
        #expect(first.contains("'security_updates'=3;;0;0") && !first.contains("backup_age"))
    }

    @Test func outputIsBoundedAndSaysWhatWasLeftOut() throws {
        var results: [CheckResult] = []
        for index in 0..<300 {
            results.append(Self.certificate("/etc/ssl/site-\(index)-\(String(repeating: "x", count: 40)).pem", days: index - 5, index < 5 ? .fail : .warn, index < 5 ? .critical : .medium))
        }
        results.append(Self.unreadable)
        for limit in [1024, 4096, 65_536] {
            let answer = MonitoringPlugin(language: .en, maxBytes: limit).evaluate(Self.report(results))
            #expect(answer.text.utf8.count <= limit, "\(limit): \(answer.text.utf8.count)")
            #expect(answer.state == .critical)
            let lines = answer.text.split(separator: "\n").map(String.init)
            // The status line is whole, and the UNKNOWN result comes right after the critical ones.
            #expect(lines[0].hasPrefix("CYBERCTL CRITICAL: 5 critical, 1 not verified, 295 warnings — worst: cert.expiry /etc/ssl/site-0-"))
            let shown = lines.filter { $0.hasPrefix("[") }.count
            if answer.text.utf8.count > 32_000 {
                // 64 KiB holds everything: nothing is cut, no note.
                #expect(shown == 301 && !answer.text.contains("left out"))
                continue
            }
            let note = try #require(lines.first { $0.hasPrefix("… left out for room") }, "\(limit)")
            #expect(note.contains("--max-bytes \(limit)): \(301 - shown) detail line(s)"))
            if shown > 5 { #expect(lines[6].hasPrefix("[UNKNOWN] cert.file")) }
            // What is kept still parses.
            _ = try PerlReference.parse(answer.text)
        }
        let small = MonitoringPlugin(language: .en, maxBytes: 100)
        #expect(small.maxBytes == MonitoringPlugin.minimumMaxBytes)
    }

    @Test func textFromTheReportCannotBreakTheProtocol() throws {
        let hostile = CheckResult(
            check: "cert.files", target: "/etc/ssl/a|b'c=d\nCYBERCTL OK: faux.pem", code: "cert.expiry", status: .fail, severity: .critical,
            evidence: ["daysLeft": -1], reason: .verbatim("x | 'y'=1"))
        let answer = MonitoringPlugin(language: .en).evaluate(Self.report([hostile]))
        let lines = answer.text.split(separator: "\n")
        #expect(lines.count == 3, "\(answer.text)")
        #expect(!lines[1].contains("|"))
        let items = try PerlReference.parse(answer.text).items
        #expect(items.contains { $0.label == "days_left:/etc/ssl/a_b_c_d_CYBERCTL OK: faux.pem" && $0.value == "-1" }, "\(items)")
    }

    @Test func unknownAnswerForWhatCouldNotRun() {
        let answer = MonitoringPlugin.unknown("profile.yaml:3: bad\nsecond line")
        #expect(answer.state == .unknown && answer.state.exitCode == 3)
        #expect(answer.text == "CYBERCTL UNKNOWN: profile.yaml:3: bad\\u000asecond line\n")
    }
}
