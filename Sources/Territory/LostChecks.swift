import Foundation
import Model

/// The rules an entity's (or a territory's) hosts no longer verified where they did at an earlier trend point: what
/// makes two trend points measure different ground even when the same servers reported.
///
/// Per host, its latest report is compared with its report as it stood at that point (the newest one generated at or
/// before it); a host that sent nothing since, or nothing before, compares nothing. A rule verified there (pass, warn
/// or fail on a target) is lost when the latest report does not verify it on that target: the target is named with
/// `error` (could not look) or `skip` (said not to apply), or the rule is verified on no target at all (left out:
/// another profile, an older agent's partial scan). A target no longer named is lost too when it was in warn or fail:
/// an endpoint (`host:port`) no longer discovered, a configuration no longer readable, another profile's target list
/// or a certificate file replaced by another one — nothing says the finding was fixed, whatever the rule says on other
/// targets. A target that passed and is no longer named is lost only when the rule is verified on no target at all (a
/// passing target gone raises nothing). Findings count "resolved" by the same rule (`RuleTotals`: only a pass on that
/// very target resolves a finding).
public struct LostChecks: Sendable, Equatable {
    /// Rule codes lost, sorted.
    public var codes: [String]

    public init(codes: [String]) { self.codes = codes.sorted() }

    /// The domains of the rules lost (`Domain(ruleCode:)`), in `Domain` order; codes of no domain are left out.
    public var domains: [Domain] { Array(Set(codes.compactMap(Domain.init(ruleCode:)))).sorted() }
}

extension TerritoryViews {
    /// Per entity of `since` (normalised SIREN → a time, seconds since 1970 UTC: the generation time of the trend point
    /// compared with): the rules its hosts' latest reports no longer verified compared with each host's newest report
    /// generated at or before that time (see `LostChecks`), the union over its hosts; an entity that lost nothing has no
    /// entry. A report generated in the same second as the point but after it (by signing time, report id) counts as
    /// before it: the same second, nothing a reader could tell apart.
    ///
    /// Reads, per host that reported after that time, the report it had then (`report_by_host`) and the results of the
    /// pairs compared (their primary key), compared in the store: only the lost rules come back. SQLite and PostgreSQL run the same statements.
    /// The cost is that of the entities asked: the caller asks only those whose trend it shows.
    /// - Throws: the backend's `InputError(.io)` when the store cannot be read.
    public func lostChecks(since: [String: Int64]) throws -> [String: LostChecks] {
        guard !since.isEmpty else { return [:] }
        let sirens = since.keys.sorted()
        return try store.read { db in
            var out: [String: LostChecks] = [:]
            let chunk = 500
            for start in stride(from: 0, to: sirens.count, by: chunk) {
                let part = sirens[start..<min(start + chunk, sirens.count)].map { ($0, since[$0]!) }
                for (siren, codes) in try Self.lostChecks(db, since: part) { out[siren] = LostChecks(codes: codes) }
            }
            return out
        }
    }

    /// `lostChecks(since:)` on an open connection, for at most a few hundred SIRENs (they are inlined).
    static func lostChecks(_ db: any SQLConnection, since: [(siren: String, at: Int64)]) throws -> [String: [String]] {
        // Per host of the entities that reported after the entity's time: its latest report, and its newest report
        // generated at or before that time (an index seek in `report_by_host`). A host whose latest report is not after
        // that time compares nothing: no ranking of its reports.
        let cuts = since.map { "(\(sqlList([$0.siren])), \($0.at))" }.joined(separator: ", ")
        var pairs: [(previous: Int64, newest: Int64)] = []
        var sirenOf: [Int64: String] = [:]
        try db.forEachRow(sql: """
            WITH cut (siren, cutAt) AS (VALUES \(cuts))
            SELECT c.siren, h.latestReportKey, (
                SELECT r.key FROM report r WHERE r.hostID = h.id AND r.generatedAt <= c.cutAt
                ORDER BY r.generatedAt DESC, r.signingTime DESC, r.id DESC LIMIT 1)
            FROM cut c JOIN host h ON h.siren = c.siren
            WHERE h.latestReportKey IS NOT NULL AND h.latestGeneratedAt > c.cutAt
            """, arguments: []) { row in
            guard let before = row[2] as Int64?, let newest = row[1] as Int64?, before != newest else { return }
            pairs.append((before, newest))
            sirenOf[newest] = row[0] as String
        }
        guard !pairs.isEmpty else { return [:] }
        let verified = "r.status IN ('\(Status.pass.rawValue)', '\(Status.warn.rawValue)', '\(Status.fail.rawValue)')"
        // Per newest report and (rule, target): verified before, verified now, named now; and whether the rule is
        // verified now on any target. Keys are integers read from the store, inlined.
        let finding = "r.status IN ('\(Status.warn.rawValue)', '\(Status.fail.rawValue)')"
        var lost: [String: Set<String>] = [:]
        try db.forEachRow(sql: """
            WITH pair (previousKey, newestKey) AS (VALUES \(pairs.map { "(\($0.previous), \($0.newest))" }.joined(separator: ", ")))
            SELECT newestKey, code FROM (
                SELECT newestKey, code, target, MAX(wasVerified) AS wasVerified, MAX(wasFinding) AS wasFinding,
                    MAX(isVerified) AS isVerified, MAX(isNamed) AS isNamed,
                    MAX(MAX(isVerified)) OVER (PARTITION BY newestKey, code) AS codeVerified
                FROM (
                    SELECT p.newestKey AS newestKey, r.code AS code, r.target AS target,
                        CASE WHEN \(verified) THEN 1 ELSE 0 END AS wasVerified, CASE WHEN \(finding) THEN 1 ELSE 0 END AS wasFinding,
                        0 AS isVerified, 0 AS isNamed
                    FROM pair p JOIN result r ON r.reportKey = p.previousKey
                    UNION ALL
                    SELECT p.newestKey, r.code, r.target, 0, 0, CASE WHEN \(verified) THEN 1 ELSE 0 END, 1
                    FROM pair p JOIN result r ON r.reportKey = p.newestKey
                ) sides GROUP BY newestKey, code, target
            ) compared
            WHERE wasVerified = 1 AND isVerified = 0 AND (isNamed = 1 OR wasFinding = 1 OR codeVerified = 0)
            """, arguments: []) { row in
            guard let siren = sirenOf[row[0] as Int64] else { return }
            lost[siren, default: []].insert(row[1] as String)
        }
        return lost.mapValues { Array($0) }
    }
}
