import Checks
import Foundation
import Model
import Rendering
import TestSupport
import Testing
@testable import Territory

/// `latest_certificate` (`LatestCertificates`, migration `v13-latest-certificate`, issue 20): the certificates view read
/// from the kept rows equals the view as it was computed before them, from every certificate result of the hosts'
/// latest reports and its evidence, after every way a host's latest report changes, prune, the migration and a copy.
@Suite("Latest certificates: kept at ingest, the view equal to a reading of every result", .serialized)
struct LatestCertificatesTests {
    typealias F = TerritoryFixture

    /// The view as `TerritoryViews.certificates` computed it before `latest_certificate` (cyberctl fe3bbc7): every
    /// cert.expiry/tls.cert.expiry result of the hosts' latest reports, its evidence decoded; cert.file/cert.discovery
    /// errors; then sorted the same way.
    static func reference(_ store: TerritoryStore, now: Date, days: Int, filter: ViewFilter = ViewFilter(), language: Language = .en) throws
        -> CertificatesView
    {
        func reason(_ english: String?, _ french: String?) -> String? { language == .fr ? (french ?? english) : english }
        return try store.read { db in
            let limit = now.addingTimeInterval(TimeInterval(days) * 86_400)
            var certificates: [CertificatesView.Certificate] = []
            var unverified: [CertificatesView.Unverified] = []
            try db.forEachRow(sql: """
                SELECT h.siren, e.name, h.hostname, res.target, res.code, res.evidence, res.status, res.reason, res.reasonFr
                FROM host h JOIN entity e ON e.siren = h.siren JOIN result res ON res.reportKey = h.latestReportKey
                WHERE res.code IN ('cert.expiry', 'tls.cert.expiry')
                """, arguments: []) { row in
                guard filter.keeps(siren: row[0] as String), filter.keeps(code: row[4] as String) else { return }
                let kind = (row[4] as String) == "cert.expiry" ? "file" : "served"
                guard case .object(let evidence) = JSONText.decode(row[5] as String),
                      let notAfterText = evidence["notAfter"]?.stringValue, let notAfter = ISO8601.date(from: notAfterText)
                else {
                    let status: String = row[6]
                    if status != Status.skip.rawValue {
                        unverified.append(CertificatesView.Unverified(
                            kind: kind, siren: row[0], entity: row[1], host: row[2], target: row[3], status: status, reason: reason(row[7], row[8])))
                    }
                    return
                }
                guard notAfter <= limit else { return }
                let sans: [String]
                if case .array(let values)? = evidence["subjectAltNames"] { sans = values.compactMap(\.stringValue) } else { sans = [] }
                certificates.append(CertificatesView.Certificate(
                    notAfter: notAfterText, daysLeft: Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down)),
                    subject: evidence["subject"]?.stringValue, issuer: evidence["issuer"]?.stringValue, sha256: evidence["sha256"]?.stringValue,
                    subjectAltNames: sans, kind: kind, siren: row[0], entity: row[1], host: row[2], target: row[3], status: row[6]))
            }
            certificates.sort { ($0.notAfter, $0.siren, $0.host, $0.target) < ($1.notAfter, $1.siren, $1.host, $1.target) }
            try db.forEachRow(sql: """
                SELECT h.siren, e.name, h.hostname, res.target, res.status, res.reason, res.reasonFr
                FROM host h JOIN entity e ON e.siren = h.siren JOIN result res ON res.reportKey = h.latestReportKey
                WHERE res.code IN ('cert.file', 'cert.discovery') AND res.status = 'error'
                """, arguments: []) { row in
                guard filter.keeps(siren: row[0] as String), filter.keeps(domain: .certificates) else { return }
                unverified.append(CertificatesView.Unverified(
                    kind: "file", siren: row[0], entity: row[1], host: row[2], target: row[3], status: row[4], reason: reason(row[5], row[6])))
            }
            unverified.sort { ($0.siren, $0.host, $0.target) < ($1.siren, $1.host, $1.target) }
            let views = TerritoryViews(store: store, now: now, language: language)
            return CertificatesView(
                now: ISO8601.string(from: now), windowDays: days, certificates: certificates, unverified: unverified, filter: filter.orNil,
                coverage: try views.coverage(db, filter: filter, domains: filter.domain.map { [$0] } ?? [.certificates, .tls]))
        }
    }

    /// The kept rows, for comparing two stores: one line per row.
    static func stored(_ store: TerritoryStore) throws -> [String] {
        try store.read { db in
            try db.fetchRows(sql: """
                SELECT hostID, ordinal, reportKey, siren, code, target, status, notAfter, notAfterText, subject, issuer, sha256, subjectAltNames,
                    reason, reasonFr FROM latest_certificate ORDER BY hostID, ordinal
                """).map { row in
                (0..<15).map { index -> String in
                    if row.isNull(index) { return "-" }
                    if index == 7 { return String(row[index] as Double) }
                    if index < 3 { return String(row[index] as Int64) }
                    return row[index] as String
                }.joined(separator: "|")
            }
        }
    }

    /// Filters compared: none, each entity, each domain that has certificates, one that has none, both together.
    static let filters = [
        ViewFilter(), ViewFilter(entities: [F.sirenA]), ViewFilter(entities: [F.sirenB]), ViewFilter(domain: .tls),
        ViewFilter(domain: .certificates), ViewFilter(domain: .backups), ViewFilter(entities: [F.sirenB], domain: .tls),
    ]

    /// The view equals the reference for several windows, filters and both languages; cut at `limit`, it is the
    /// whole list's first rows with the whole list's counts.
    /// With `brief`, the unfiltered 60-day view in English only, whole and cut at one row, and the scenario may list
    /// nothing (a withdrawal can leave no report at all: `RevocationWithdrawalTests`).
    static func expectEqual(_ store: TerritoryStore, now: Date, _ step: String, brief: Bool = false) throws {
        var listed = 0
        for language in brief ? [Language.en] : [.en, .fr] {
            let views = TerritoryViews(store: store, now: now, language: language)
            for days in brief ? [60] : [0, 30, 60, 400] {
                for filter in brief ? [ViewFilter()] : filters {
                    let expected = try reference(store, now: now, days: days, filter: filter, language: language)
                    let view = try views.certificates(expiringWithinDays: days, filter: filter)
                    #expect(try ViewJSON.encode(view) == ViewJSON.encode(expected), "\(step): \(days) days, \(filter), \(language)")
                    listed += expected.certificates.count + expected.unverified.count
                    for limit in brief ? [1] : [0, 1, 2, 3, 300] {
                        let cut = try views.certificates(expiringWithinDays: days, filter: filter, limit: limit)
                        #expect(cut.totalCertificates == expected.certificates.count && cut.totalUnverified == expected.unverified.count)
                        #expect(cut.certificateCount == expected.certificates.count && cut.unverifiedCount == expected.unverified.count)
                        var prefix = expected
                        prefix.certificates = Array(expected.certificates.prefix(limit))
                        prefix.unverified = Array(expected.unverified.prefix(limit))
                        var shown = cut
                        shown.totalCertificates = nil
                        shown.totalUnverified = nil
                        #expect(try ViewJSON.encode(shown) == ViewJSON.encode(prefix), "\(step): \(days) days, \(filter), limit \(limit)")
                    }
                }
            }
        }
        #expect(brief || listed > 0, "\(step): the scenario lists certificates")
    }

    /// A certificate check's result ending `days` from `now` (evidence as the checks write it).
    static func certificate(
        _ code: String, _ status: Status, target: String, endsIn days: Double, now: Date, subject: String? = nil
    ) -> CheckResult {
        let end = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + days * 86_400).rounded(.down))
        var evidence: [String: JSONValue] = [
            "notAfter": .string(ISO8601.string(from: end)), "issuer": .string("CN=R11, O=Let's Encrypt, C=US"),
            "sha256": .string(String(repeating: "c", count: 64)), "daysLeft": .int(Int(days)),
        ]
        if let subject {
            evidence["subject"] = .string(subject)
            evidence["subjectAltNames"] = .array([.string("DNS:\(subject.dropFirst(3))"), .int(3)])
        }
        return F.result(code, status, .high, target: target, evidence: evidence)
    }

    /// A certificate check that could not read the end date.
    static func unreadable(_ code: String, _ status: Status, target: String, reason: String? = nil) -> CheckResult {
        var result = F.result(code, status, .high, target: target, evidence: status == .error ? [:] : ["notAfter": .string("not a date")])
        result.reason = reason
        if reason != nil { result.reasonFr = "impossible de lire " + target }
        return result
    }

    static func results(_ seed: Int, now: Date) -> [CheckResult] {
        [
            certificate("cert.expiry", .pass, target: "/etc/ssl/mairie-\(seed).pem", endsIn: 20 + Double(seed), now: now, subject: "CN=mairie.test"),
            certificate("cert.expiry", .fail, target: "/etc/ssl/old-\(seed).pem", endsIn: -3, now: now, subject: "CN=old.test"),
            // Two certificates ending at the same second: the cut keeps the whole list's order among them.
            certificate("tls.cert.expiry", .warn, target: "www:443", endsIn: 10, now: now, subject: "CN=www.test"),
            certificate("tls.cert.expiry", .warn, target: "mail:993", endsIn: 10, now: now),
            certificate("tls.cert.expiry", .pass, target: "intranet:443", endsIn: 90 + Double(seed), now: now),
            certificate("cert.expiry", .pass, target: "/etc/ssl/late.pem", endsIn: 300, now: now),
            unreadable("cert.expiry", .skip, target: "/etc/ssl/skipped.pem"),
            unreadable("tls.cert.expiry", .error, target: "vpn:443", reason: "connection refused"),
            unreadable("cert.expiry", .warn, target: "/etc/ssl/garbled-\(seed).pem"),
            unreadable("cert.file", .error, target: "/etc/ssl/unreadable.pem", reason: "permission denied"),
            unreadable("cert.discovery", .error, target: "/etc/nginx/nginx.conf"),
            unreadable("cert.discovery", .pass, target: "/etc/apache2"),
            F.result("tls.hsts", .warn, .medium, target: "www:443"),
        ] + F.mixed(seed)
    }

    @Test("Latest replaced, a late report, one older still, prune, migration back-fill, migrate: the view = the reading of every result")
    func certificatesFollowEveryChange() throws {
        let fixture = try F()
        let now = fixture.now
        try fixture.write("a-mairie-10.json", daysAgo: 10, results: Self.results(0, now: now))
        try fixture.write("a-ecole-3.json", host: "srv-ecole", daysAgo: 3, results: Self.results(1, now: now))
        try fixture.write("b-mairie-4.json", siren: F.sirenB, daysAgo: 4, results: Self.results(2, now: now))
        #expect(try fixture.ingest().stored == 3)
        try Self.expectEqual(try fixture.store(), now: now, "first reports")

        // A newer report replaces srv-mairie's latest, with other certificates.
        try fixture.write("a-mairie-5.json", daysAgo: 5, results: Self.results(3, now: now) + [
            Self.certificate("cert.expiry", .fail, target: "/etc/ssl/new.pem", endsIn: 1, now: now, subject: "CN=new.test"),
        ])
        #expect(try fixture.ingest().stored == 1)
        try Self.expectEqual(try fixture.store(), now: now, "latest replaced")
        #expect(try fixture.views().certificates(expiringWithinDays: 60).certificates.contains { $0.target == "/etc/ssl/new.pem" })

        // A late report, older than the latest: nothing changes.
        let before = try Self.stored(try fixture.store())
        try fixture.write("a-mairie-7.json", daysAgo: 7, results: Self.results(4, now: now))
        try fixture.write("a-mairie-12.json", daysAgo: 12, results: Self.results(5, now: now))
        #expect(try fixture.ingest().stored == 2)
        try Self.expectEqual(try fixture.store(), now: now, "late reports")
        #expect(try Self.stored(try fixture.store()) == before)

        // Prune before 6 days: srv-mairie keeps its latest.
        #expect(try fixture.store().prune(before: now.addingTimeInterval(-6 * 86_400)).reports == 3)
        try Self.expectEqual(try fixture.store(), now: now, "after prune")
        #expect(try Self.stored(try fixture.store()) == before)

        // The migration's back-fill gives the rows ingest kept.
        try fixture.downgrade("DROP TABLE latest_certificate", forgetting: ["v13-latest-certificate"])
        #expect(try Self.stored(try fixture.store()) == before)
        try Self.expectEqual(try fixture.store(), now: now, "after the migration's back-fill")

        // Migrate into a SQLite store: the rows are copied, the view answers the same.
        let copy = try TerritoryStore(path: fixture.folder.url("copy.sqlite"), create: true)
        _ = try StoreCopy.copy(from: try fixture.store(), to: copy)
        #expect(try Self.stored(copy) == before)
        try Self.expectEqual(copy, now: now, "after migrate")
    }
}
