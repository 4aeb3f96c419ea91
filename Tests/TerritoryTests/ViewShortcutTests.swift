import Checks
import Foundation
import Model
import TestSupport
import Testing
@testable import Territory

/// The reads the views take at scale (issue 20: 100,000 reports) give the answers of the full reads: the latest
/// facts that can cap at a time give every host and entity the caps of all its facts; the facts a trend reads up to
/// its newest report give every report the caps of all its facts; a certificate's `notAfter` read without decoding
/// its evidence is the decoded one. Stores are real (generated, signed, verified, ingested), on the backend under test.
@Suite("Territory view shortcuts (full reads compared)", .serialized)
struct ViewShortcutTests {
    typealias F = TerritoryFixture

    static func words(_ caps: [(rule: CapRule, state: CapState, detail: String?)]) -> [String] {
        caps.map { "\($0.rule.rawValue)/\($0.state.rawValue)/\($0.detail ?? "")" }
    }

    @Test("The latest facts that can cap at a time give the caps of all the latest facts", arguments: 0..<8)
    func latestCapFacts(seed: Int) throws {
        let (world, _) = try MonotonicityTests.world(seed: UInt64(9_000 + seed))
        let now = Int(world.fixture.now.timeIntervalSince1970)
        try world.fixture.store().read { db in
            var hosts: [(siren: String, hostname: String, key: Int64, time: Int)] = []
            try db.forEachRow(sql: "SELECT siren, hostname, latestReportKey, latestGeneratedAt FROM host WHERE latestReportKey IS NOT NULL", arguments: []) {
                hosts.append(($0[0], $0[1], $0[2], $0[3]))
            }
            #expect(!hosts.isEmpty)
            let all = try FactReader.facts(db, reports: hosts.map(\.key))
            // Before, at and after the certificates' ends (the generated ones end 4 days ago or in 120 days).
            for at in [now - 40 * 86_400, now, now + 130 * 86_400, now + 4_000 * 86_400] {
                let some = try FactReader.latestCapFacts(db, reports: hosts.map(\.key), now: at)
                #expect(some.values.map(\.count).reduce(0, +) <= all.values.map(\.count).reduce(0, +))
                var entities: [String: (all: [HostCapInput], some: [HostCapInput])] = [:]
                for host in hosts {
                    let full = HostCapInput(hostname: host.hostname, reportTime: host.time, facts: all[host.key] ?? [], pendingSince: [:])
                    let kept = HostCapInput(hostname: host.hostname, reportTime: host.time, facts: some[host.key] ?? [], pendingSince: [:])
                    #expect(Self.words(CapEvaluation.caps(kept, now: at)) == Self.words(CapEvaluation.caps(full, now: at)), "\(host.hostname) at \(at)")
                    entities[host.siren, default: ([], [])].all.append(full)
                    entities[host.siren, default: ([], [])].some.append(kept)
                }
                for (siren, inputs) in entities {
                    #expect(
                        CapEvaluation.entityCaps(inputs.some, now: at, language: .fr) == CapEvaluation.entityCaps(inputs.all, now: at, language: .fr),
                        "\(siren) at \(at)")
                }
            }
        }
    }

    @Test("The facts a trend reads up to its newest report give every report the caps of all its facts", arguments: 0..<6)
    func trendFacts(seed: Int) throws {
        let (world, _) = try MonotonicityTests.world(seed: UInt64(9_100 + seed))
        try world.fixture.store().read { db in
            var reports: [(key: Int64, hostname: String, time: Int)] = []
            try db.forEachRow(sql: "SELECT r.key, h.hostname, r.generatedAt FROM report r JOIN host h ON h.id = r.hostID", arguments: []) {
                reports.append(($0[0], $0[1], $0[2]))
            }
            let newest = try #require(reports.map(\.time).max())
            let all = try FactReader.facts(db, reports: reports.map(\.key))
            let some = try FactReader.facts(db, reports: reports.map(\.key), evaluatedUpTo: newest)
            for report in reports {
                for at in reports.map(\.time) where at >= report.time {
                    let full = HostCapInput(hostname: report.hostname, reportTime: report.time, facts: all[report.key] ?? [], pendingSince: [:])
                    let kept = HostCapInput(hostname: report.hostname, reportTime: report.time, facts: some[report.key] ?? [], pendingSince: [:])
                    #expect(Self.words(CapEvaluation.caps(kept, now: at)) == Self.words(CapEvaluation.caps(full, now: at)))
                    #expect(CapEvaluation.entityCaps([kept], now: at, language: .en) == CapEvaluation.entityCaps([full], now: at, language: .en))
                }
                // The security history (pending since) reads the same facts.
                #expect((all[report.key] ?? []).filter { $0.kind == .security || $0.kind == .securityPackage }
                    == (some[report.key] ?? []).filter { $0.kind == .security || $0.kind == .securityPackage })
            }
        }
    }

    @Test("A top-level string read without decoding is the decoded one, or nil when unsure")
    func topLevelString() throws {
        let evidence: JSONValue = .object([
            "chain": .array([.object(["notAfter": "2020-01-01T00:00:00Z"])]), "daysLeft": .int(-3), "issuer": "CN=R11, O=Let's Encrypt",
            "notAfter": "2027-03-01T10:00:00Z", "subject": "CN=\"quoted\" \\ name", "subjectAltNames": .strings(["DNS:a", "DNS:b"]),
        ])
        let text = JSONText.encode(evidence)
        #expect(JSONText.topLevelString(text, key: "notAfter") == "2027-03-01T10:00:00Z", "the nested chain's notAfter is not the top-level one")
        #expect(JSONText.topLevelString(text, key: "issuer") == "CN=R11, O=Let's Encrypt")
        #expect(JSONText.topLevelString(text, key: "subject") == nil, "escaped: left to the decoder")
        #expect(JSONText.topLevelString(text, key: "daysLeft") == nil, "not a string")
        #expect(JSONText.topLevelString(text, key: "missing") == nil)
        #expect(JSONText.topLevelString(#"{"notAfter":"a","notAfter":"b"}"#, key: "notAfter") == nil, "given twice")
        #expect(JSONText.topLevelString(#"{"notAfter":"2027-03-01T10:00:00Z""#, key: "notAfter") == nil, "cut short")
        #expect(JSONText.topLevelString(#"["notAfter","x"]"#, key: "notAfter") == nil, "not an object")
        #expect(JSONText.topLevelString(#"{"notAfter":"x"} trailing"#, key: "notAfter") == nil)
        #expect(JSONText.topLevelString(#"{ "a" : [1, {"b": "}"}], "notAfter" : "x" }"#, key: "notAfter") == "x")
        #expect(JSONText.topLevelString("{}", key: "notAfter") == nil)
    }
}
