import Checks
import Foundation
import Model
import TestSupport
import Testing
@testable import Territory

/// The caps table, rule by rule, from real signed reports through the real store; the territory tiers.
@Suite("Territory caps")
struct CapTests {
    typealias F = TerritoryFixture

    static func backup(_ status: Status, target: String = "/srv/backup") -> CheckResult { F.result("backup.present", status, .high, target: target) }
    static let tls = [F.result("tls.legacy-protocols", .pass, .high), F.result("tls.hsts", .pass, .medium)]
    /// A supported system (`patch.os-eol` passes): a report without that rule did not check it, which caps at C.
    static let supported = F.result(
        "patch.os-eol", .pass, .high, target: "/etc/os-release",
        evidence: ["id": "debian", "release": "Debian 12 bookworm", "phase": "standard", "securitySupportEnds": "2099-01-01"])
    static let clean = tls + [supported]

    /// The entity's caps and levels after ingesting `reports` (host, days ago, results).
    static func judge(_ reports: [(host: String, daysAgo: Double, results: [CheckResult])], fixture: F? = nil) throws -> StatusView.EntityRow {
        let fixture = try fixture ?? F()
        for (index, report) in reports.enumerated() {
            try fixture.write("r\(index).json", host: report.host, daysAgo: report.daysAgo, results: report.results)
        }
        let summary = try fixture.ingest()
        #expect(summary.rejected == 0)
        return try #require(try fixture.views().status().entities.first)
    }

    static func caps(_ row: StatusView.EntityRow) -> [String] { row.score.caps.map { "\($0.rule)/\($0.state)/\($0.level)" } }

    @Test("No backup at all caps at E whatever the score; a host with one working set is not capped")
    func backupNone() throws {
        let none = try Self.judge([("srv-1", 1, Self.clean + [Self.backup(.fail, target: "backup.sets")])])
        #expect(Self.caps(none) == ["backup.none/gap/E"])
        #expect(none.score.score == 67 && none.score.scoreLevel == "C", "TLS 100, patches 100, backups 0: \(none.score)")
        #expect(none.score.level == "E")
        #expect(none.score.caps.first?.hosts == ["srv-1"])
        #expect(none.score.caps.first?.sources.contains("ANSSI-HYG-37") == true)
        let one = try Self.judge([("srv-1", 1, Self.clean + [Self.backup(.fail, target: "/srv/a"), Self.backup(.pass, target: "/srv/b")])])
        #expect(Self.caps(one).isEmpty)
        // Copies kept on another host (skip) are backups.
        let remote = try Self.judge([("srv-1", 1, Self.clean + [Self.backup(.skip, target: "sftp:nas")])])
        #expect(Self.caps(remote).isEmpty)
    }

    @Test("Backups that could not be verified, or never checked on any host, cap at C; one checked host is enough")
    func backupUnverified() throws {
        let erred = try Self.judge([("srv-1", 1, Self.clean + [Self.backup(.error)])])
        #expect(Self.caps(erred) == ["backup.none/unverified/C"])
        // The backups domain is not evaluated (counts 0): the score says C already, the cap's level.
        #expect(erred.score.level == "C" && erred.score.scoreLevel == "C", "\(erred.score)")
        let unchecked = try Self.judge([("srv-1", 1, Self.clean)])
        #expect(Self.caps(unchecked) == ["backup.none/unverified/C"])
        #expect(unchecked.score.scoreLevel == "A" && unchecked.score.level == "C", "a clean TLS score is not a good level when nobody checked the backups")
        #expect(unchecked.score.caps.first?.hosts == [])
        let web = try Self.judge([("srv-web", 1, Self.clean), ("srv-files", 1, Self.clean + [Self.backup(.pass)])])
        #expect(Self.caps(web).isEmpty, "the web server's profile has no backup check; the file server's backups are verified")
        // Fail and error on the same host, nothing verified: no backup found.
        let both = try Self.judge([("srv-1", 1, Self.clean + [Self.backup(.fail, target: "/a"), Self.backup(.error, target: "/b")])])
        #expect(Self.caps(both) == ["backup.none/gap/E"])
    }

    @Test("No copy outside the data's storage caps at D; one set elsewhere lifts it")
    func sameStorage() throws {
        let same = F.result("backup.separate-storage", .warn, .medium, evidence: ["sameDeviceAs": .strings(["/"])])
        let other = F.result("backup.separate-storage", .pass, .medium, target: "/mnt/nas")
        let capped = try Self.judge([("srv-1", 1, Self.clean + [Self.backup(.pass), same])])
        #expect(Self.caps(capped) == ["backup.same-storage/gap/D"])
        let lifted = try Self.judge([("srv-1", 1, Self.clean + [Self.backup(.pass), same, other])])
        #expect(Self.caps(lifted).isEmpty)
    }

    @Test("An expired certificate on a service caps at D, judged at view time; an unreadable one at C")
    func certificates() throws {
        let fixture = try F()
        func cert(_ code: String, _ status: Status, notAfterDays: Double?) -> CheckResult {
            var evidence: [String: JSONValue] = ["subject": "CN=portail.example.fr"]
            if let days = notAfterDays { evidence["notAfter"] = .time(fixture.now.addingTimeInterval(days * 86_400)) }
            return F.result(code, status, .high, target: "/etc/ssl/portail.pem", evidence: evidence)
        }
        // Valid when the report was made 10 days ago, expired 5 days ago: expired now.
        let expired = try Self.judge([("srv-1", 10, Self.clean + [Self.backup(.pass), cert("cert.expiry", .warn, notAfterDays: -5)])], fixture: fixture)
        #expect(Self.caps(expired) == ["certificate.expired/gap/D"])
        #expect(expired.score.caps.first?.detail?.contains("CN=portail.example.fr") == true)
        let valid = try Self.judge([("srv-1", 1, Self.clean + [Self.backup(.pass), cert("tls.cert.expiry", .pass, notAfterDays: 90)])])
        #expect(Self.caps(valid).isEmpty)
        let unreadable = try Self.judge([("srv-1", 1, Self.clean + [Self.backup(.pass), cert("tls.cert.expiry", .error, notAfterDays: nil)])])
        #expect(Self.caps(unreadable) == ["certificate.expired/unverified/C"])
    }

    @Test("An operating system past its end of security support caps at D, also when the date passed since the report")
    func endOfLife() throws {
        func eol(_ status: Status, ends: String?) -> CheckResult {
            var evidence: [String: JSONValue] = ["id": "debian", "release": "Debian 11 bullseye", "phase": "standard"]
            if let ends { evidence["securitySupportEnds"] = .string(ends) }
            return F.result("patch.os-eol", status, .high, target: "/etc/os-release", evidence: evidence)
        }
        #expect(Self.caps(try Self.judge([("srv-1", 1, Self.tls + [Self.backup(.pass), eol(.fail, ends: "2024-08-14")])])) == ["os.end-of-life/gap/D"])
        let fixture = try F()
        let yesterday = String(ISO8601.string(from: fixture.now.addingTimeInterval(-2 * 86_400)).prefix(10))
        let passedSince = try Self.judge([("srv-1", 5, Self.tls + [Self.backup(.pass), eol(.warn, ends: yesterday)])], fixture: fixture)
        #expect(Self.caps(passedSince) == ["os.end-of-life/gap/D"])
        #expect(Self.caps(try Self.judge([("srv-1", 1, Self.tls + [Self.backup(.pass), eol(.pass, ends: "2099-01-01")])])).isEmpty)
        // Standard support over since the report, but Debian LTS runs on: not a gap.
        var lts = eol(.warn, ends: yesterday)
        lts.evidence["extendedSupportEnds"] = "2099-06-30"
        #expect(Self.caps(try Self.judge([("srv-1", 5, Self.tls + [Self.backup(.pass), lts])])).isEmpty)
        #expect(Self.caps(try Self.judge([("srv-1", 1, Self.tls + [Self.backup(.pass), eol(.error, ends: nil)])])) == ["os.end-of-life/unverified/C"])
        // Not checked at all (a profile or `--only` without the patches checks): not "supported" either. Each host is
        // judged on its own report: the host that checked is not named.
        let unchecked = try Self.judge([("srv-1", 1, Self.tls + [Self.backup(.pass)]), ("srv-2", 1, Self.tls + [Self.backup(.pass), eol(.pass, ends: "2099-01-01")])])
        #expect(Self.caps(unchecked) == ["os.end-of-life/unverified/C"])
        #expect(unchecked.score.caps.first?.hosts == ["srv-1"])
        #expect(unchecked.score.scoreLevel == "A" && unchecked.score.level == "C", "a clean score is not a good level when nobody checked the system's support")
    }

    static func security(_ packages: [String]?) -> CheckResult {
        guard let packages else { return F.result("patch.security-updates", .error, .high, target: "/var/lib/dpkg/status") }
        let updates: [JSONValue] = packages.map { .object(["package": .string($0), "installed": "1.0", "candidate": "1.1"]) }
        return F.result(
            "patch.security-updates", packages.isEmpty ? .pass : .fail, .high, target: "/var/lib/dpkg/status",
            evidence: ["count": .int(packages.count), "updates": .array(updates)])
    }

    @Test("A security update pending for more than 30 days, from the first report that listed it, caps at D")
    func securityLate() throws {
        let base = Self.clean + [Self.backup(.pass)]
        let late = try Self.judge([
            ("srv-1", 38, base + [Self.security(["openssl"])]), ("srv-1", 20, base + [Self.security(["openssl", "curl"])]),
            ("srv-1", 1, base + [Self.security(["openssl", "curl"])]),
        ])
        #expect(Self.caps(late) == ["patch.security-late/gap/D"])
        #expect(late.score.caps.first?.detail?.contains("openssl") == true)
        #expect(late.score.caps.first?.detail?.contains("curl") == false, "curl is pending for 19 days only")
        // Installed in between: the run starts again.
        let fixedBetween = try Self.judge([
            ("srv-1", 38, base + [Self.security(["openssl"])]), ("srv-1", 20, base + [Self.security([])]), ("srv-1", 1, base + [Self.security(["openssl"])]),
        ])
        #expect(Self.caps(fixedBetween).isEmpty)
        // A report where the rule could not run neither ends nor extends the run.
        let erredBetween = try Self.judge([
            ("srv-1", 38, base + [Self.security(["openssl"])]), ("srv-1", 20, base + [Self.security(nil)]), ("srv-1", 1, base + [Self.security(["openssl"])]),
        ])
        #expect(Self.caps(erredBetween) == ["patch.security-late/gap/D"])
        // 29 days of history are not 30.
        let young = try Self.judge([("srv-1", 30, base + [Self.security(["openssl"])]), ("srv-1", 1, base + [Self.security(["openssl"])])])
        #expect(Self.caps(young).isEmpty)
        // Could not verify in the latest report: C.
        #expect(Self.caps(try Self.judge([("srv-1", 1, base + [Self.security(nil)])])) == ["patch.security-late/unverified/C"])
    }

    @Test("Migration v4 fills the facts of reports stored before it: the same caps")
    func migrationFillsFacts() throws {
        let fixture = try F()
        let base = Self.clean + [Self.backup(.fail, target: "backup.sets")]
        try fixture.write("a.json", host: "srv-1", daysAgo: 38, results: base + [Self.security(["openssl"])])
        try fixture.write("b.json", host: "srv-1", daysAgo: 1, results: base + [Self.security(["openssl"])])
        _ = try fixture.ingest()
        let expected = try fixture.views().status().entities.map(\.score)
        #expect(expected.first?.caps.count == 2)
        try fixture.downgrade(
            "DROP TABLE report_fact; DROP INDEX report_by_siren; DROP TABLE roster_member; DROP TABLE roster", forgetting: ["v4-roster"])
        #expect(try fixture.views().status().entities.map(\.score) == expected)
    }

    @Test("Territory tiers: C from one member under a cap, D from a quarter, E from half — never stricter than the harshest member cap")
    func tiers() {
        func member(_ level: String?) -> TerritoryJudgement.Member {
            let caps = level.map { [AppliedCap(rule: "backup.none", state: "gap", level: $0, title: "", hosts: [], detail: nil, sources: [])] } ?? []
            return TerritoryJudgement.Member(name: "m", score: 80, coverage: 1, caps: caps)
        }
        func cap(_ levels: [String?], never: Int = 0) -> String? { TerritoryJudgement.cap(levels.map(member), neverReported: never)?.level }
        #expect(cap(Array(repeating: nil, count: 10)) == nil)
        #expect(cap(["E"] + Array(repeating: nil, count: 9)) == "C")
        #expect(cap(["E", "E", "E"] + Array(repeating: nil, count: 7)) == "D")
        #expect(cap(["E", "E"] + Array(repeating: nil, count: 2)) == "E")
        #expect(cap(["C", "C"] + Array(repeating: nil, count: 2)) == "C", "half the members unverified: C, not E")
        #expect(cap(["D", "D", "E"] + Array(repeating: nil, count: 1)) == "E")
        #expect(cap([nil, nil, nil], never: 1) == "C", "one member of four never reported: nothing known, not a known gap")
        #expect(cap(Array(repeating: nil, count: 9), never: 1) == "C")
        #expect(TerritoryJudgement.score([member(nil), TerritoryJudgement.Member(name: "blind", score: nil, coverage: 0, caps: [])]) == 40,
                "a member whose reports verified nothing counts 0")
    }

    @Test("The territory cap's line names the first ten capped members by name and counts the others, as sorting them all would")
    func capLineNames() {
        var random = SystemRandomNumberGenerator()
        let capped = [AppliedCap(rule: "backup.none", state: "gap", level: "E", title: "aucune sauvegarde", hosts: ["srv"], detail: nil, sources: [])]
        for count in [0, 1, 9, 10, 11, 37, 400] {
            // Names drawn from a small set (duplicates), accents, some members not capped.
            let members = (0..<count).map { _ in
                TerritoryJudgement.Member(
                    name: ["Plouzané", "Brest", "Élliant", "Ergué", "Quimper", "Lanvéoc", "Crozon", "Brest", "Île-Molène", "Z", "a"].randomElement(using: &random)!
                        + String(Int.random(in: 0..<30, using: &random)),
                    score: 50, coverage: 1, caps: Bool.random(using: &random) ? capped : [])
            }
            let names = members.filter { !$0.caps.isEmpty }.map(\.name).sorted()
            let cap = TerritoryCap(level: "E", capped: names.count, members: members.count, neverReported: 0, harshest: "E")
            let line = TerritoryJudgement.capLine(cap, members: members, language: .fr)
            let expected = names.prefix(10).joined(separator: ", ") + (names.count > 10 ? " et \(names.count - 10) autres" : "")
            #expect(line.detail == (names.isEmpty ? nil : expected), "\(count)")
        }
    }
}

