import Foundation

extension TerritoryViews {
    /// Hosts whose latest report is older than `silentAfterDays` plus `Roster.graceDays` at the views' `now`, or that
    /// have no trusted report left (every report withdrawn after its signer's revocation: `latest` and `ageDays` nil),
    /// by SIREN then host name: (SIREN, the entity's name, host name, latest report's generation time in Unix seconds,
    /// whole days since). The status counts the same servers (`StatusView.EntityRow.staleHosts`).
    public func silentHosts(silentAfterDays days: Int) throws -> [(siren: String, entity: String?, hostname: String, latest: Int?, ageDays: Int?)] {
        let limit = TerritoryJudgement.silenceLimit(now: nowSeconds, days: days)
        return try store.read { db in
            let roster = try TerritoryStore.roster(db)
            var hosts: [(siren: String, entity: String?, hostname: String, latest: Int?, ageDays: Int?)] = []
            try db.forEachRow(sql: """
                SELECT h.siren, e.name, h.hostname, h.latestGeneratedAt, h.latestReportKey FROM host h JOIN entity e ON e.siren = h.siren
                WHERE h.latestReportKey IS NULL OR h.latestGeneratedAt < ?
                ORDER BY h.siren, h.hostname\(db.dialect.byteOrder)
                """, arguments: [Int64(limit)]) { row in
                let siren: String = row[0]
                let latest: Int? = (row[4] as Int64?) == nil ? nil : row[3] as Int?
                hosts.append((siren, roster?.member(siren)?.name ?? row[1], row[2], latest, latest.map { max(0, (nowSeconds - $0) / 86_400) }))
            }
            return hosts
        }
    }
}
