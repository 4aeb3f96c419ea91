import Foundation
import Model

/// The rules an entity's newest report no longer verified where its host's previous report did: what makes two
/// consecutive trend points measure different ground even when the same servers reported.
///
/// A trend point is made per report (`TrendBuilder`): an entity's last point and the one before it differ by its
/// newest report only, which took the place of its host's previous report. A rule verified there (pass, warn or
/// fail on a target) is lost when the newest report does not verify it on that target: the target is named with
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
    /// Per entity of `sirens` (normalised SIRENs): the rules its newest report no longer verified compared with the
    /// previous report of the same host (see `LostChecks`); an entity whose newest report's host has no earlier report
    /// in the store, or that lost nothing, has no entry. "Newest" and "previous" follow the trend's order (generation
    /// time, signing time, report id), so the pair is exactly what separates the entity's last two trend points and,
    /// for the entity of a territory's newest report, the territory's last two points.
    ///
    /// Reads the reports' ranks through `report_by_host` and the two reports' results per entity (their primary key),
    /// compared in the store: only the lost rules come back. SQLite and PostgreSQL run the same statements.
    /// - Throws: the backend's `InputError(.io)` when the store cannot be read.
    public func lostChecks(sirens: [String]) throws -> [String: LostChecks] {
        guard !sirens.isEmpty else { return [:] }
        return try store.read { db in
            var out: [String: LostChecks] = [:]
            let chunk = 500
            for start in stride(from: 0, to: sirens.count, by: chunk) {
                let part = Array(sirens[start..<min(start + chunk, sirens.count)])
                for (siren, codes) in try Self.lostChecks(db, sirens: part) { out[siren] = LostChecks(codes: codes) }
            }
            return out
        }
    }

    /// `lostChecks(sirens:)` on an open connection, for at most a few hundred SIRENs (they are inlined).
    static func lostChecks(_ db: any SQLConnection, sirens: [String]) throws -> [String: [String]] {
        // Each entity's newest report (its rank among the entity's reports) and every host's second report.
        var newest: [String: (host: Int64, key: Int64)] = [:]
        var previous: [Int64: Int64] = [:]
        try db.forEachRow(sql: """
            SELECT siren, hostID, key, entityPosition, hostPosition FROM (
                SELECT r.siren, r.hostID, r.key,
                    ROW_NUMBER() OVER (PARTITION BY r.siren ORDER BY r.generatedAt DESC, r.signingTime DESC, r.id DESC) AS entityPosition,
                    ROW_NUMBER() OVER (PARTITION BY r.hostID ORDER BY r.generatedAt DESC, r.signingTime DESC, r.id DESC) AS hostPosition
                FROM report r WHERE r.hostID IN (SELECT id FROM host WHERE siren IN (\(sqlList(sirens))))) ranked
            WHERE entityPosition = 1 OR hostPosition = 2
            """, arguments: []) { row in
            if (row[3] as Int) == 1 { newest[row[0] as String] = (row[1], row[2]) }
            if (row[4] as Int) == 2 { previous[row[1] as Int64] = row[2] }
        }
        var pairs: [(previous: Int64, newest: Int64)] = []
        var sirenOf: [Int64: String] = [:]
        for (siren, report) in newest {
            guard let before = previous[report.host] else { continue }
            pairs.append((before, report.key))
            sirenOf[report.key] = siren
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
