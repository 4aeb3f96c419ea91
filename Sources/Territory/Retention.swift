import Checks
import Foundation
import Model

/// How the store's history stays bounded (issue 20): `cyberctl territory prune --keep-days N` deletes the reports
/// generated before a cutoff that are no host's latest report, with everything stored per report (results, domain
/// sums, findings, facts), in one transaction, on both backends.
///
/// What stays: every host's latest report, however old (a silent host keeps its last word, and the status, caps
/// and silence alerts read it); entities, hosts, the entity sums (they are sums of latest reports, which are not
/// touched); refusals, incidents, the roster. The `inbox_file` rows of pruned reports stay too, so a weekly
/// `consolidate` does not read the old files again and store them back (`consolidate --reread` would). The trend
/// and a host's history start at the cutoff. The per-rule totals (`entity_rule`) of the entities that lost reports
/// are recomputed in the same transaction: a pruned report may have been a host's previous one, which the findings
/// compare the latest with.
///
/// Why a retention window rather than monthly partitions of `result`: partitions would exist on PostgreSQL only
/// (SQLite has none), change the primary keys, and still need someone to drop old ones; a window works the same on
/// both engines, from a timer or by hand. At a national scale (docs/benchmarks.md), PostgreSQL partitions can come
/// on top without changing this command's meaning. Space: PostgreSQL's autovacuum reuses the freed pages; a SQLite
/// file keeps its size and reuses its free pages for later reports (`VACUUM` shrinks it, offline).
extension TerritoryStore {
    /// What a prune deleted (or, in a dry run, would delete).
    public struct PruneSummary: Encodable, Sendable, Equatable {
        /// Reports generated before this instant were candidates (UTC, second precision).
        public let cutoff: Date
        /// Reports deleted.
        public let reports: Int
        /// Their results deleted.
        public let results: Int
        /// Reports older than the cutoff kept because they are their host's latest.
        public let keptAsLatest: Int
        /// Reports left in the store.
        public let remaining: Int

        enum CodingKeys: String, CodingKey { case cutoff, reports, results, keptAsLatest, remaining }

        /// JSON: the cutoff as UTC ISO 8601 (`2026-12-06T10:00:00Z`), the counts as numbers.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(ISO8601.string(from: cutoff), forKey: .cutoff)
            try container.encode(reports, forKey: .reports)
            try container.encode(results, forKey: .results)
            try container.encode(keptAsLatest, forKey: .keptAsLatest)
            try container.encode(remaining, forKey: .remaining)
        }
    }

    /// Deletes the reports generated before `cutoff` that are no host's latest, with their rows in `result`,
    /// `report_domain`, `report_finding` and `report_fact`, in one write transaction (all or nothing; collectors
    /// writing at the same time wait for it as for any writer). With `dryRun`, counts and deletes nothing.
    /// - Throws: the backend's `InputError(.io)` naming the store when it cannot be read or written.
    public func prune(before cutoff: Date, dryRun: Bool = false) throws -> PruneSummary {
        let seconds = Int64(cutoff.timeIntervalSince1970.rounded(.down))
        let doomed = """
            SELECT r.key FROM report r WHERE r.generatedAt < ?
            AND NOT EXISTS (SELECT 1 FROM host h WHERE h.latestReportKey = r.key)
            """
        let body: (any SQLConnection) throws -> PruneSummary = { db in
            let reports = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM (\(doomed)) d", arguments: [seconds]) ?? 0
            let results = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM result WHERE reportKey IN (\(doomed))", arguments: [seconds]) ?? 0
            let old = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report WHERE generatedAt < ?", arguments: [seconds]) ?? 0
            let total = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report") ?? 0
            if !dryRun && reports > 0 {
                // Entities whose hosts lose reports: a host's previous report may go, which the findings compare with.
                let touched = try db.fetchAll(String.self, sql: "SELECT DISTINCT siren FROM report WHERE key IN (\(doomed))", arguments: [seconds])
                for table in ["result", "report_domain", "report_finding", "report_fact"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE reportKey IN (\(doomed))", arguments: [seconds])
                }
                try db.execute(sql: "DELETE FROM report WHERE key IN (\(doomed))", arguments: [seconds])
                try RuleTotals.refresh(db, sirens: touched)
                try HostCaps.refresh(db, sirens: touched)
                try TrendDays.refresh(db, sirens: touched)
                try EntityJudgements.refresh(db, sirens: touched, now: Int(Date().timeIntervalSince1970))
            }
            return PruneSummary(
                cutoff: Date(timeIntervalSince1970: TimeInterval(seconds)), reports: reports, results: results,
                keptAsLatest: old - reports, remaining: dryRun ? total : total - reports)
        }
        return dryRun ? try read(body) : try write(body)
    }
}
