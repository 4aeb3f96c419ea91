import Dispatch
import Rendering
import Synchronization
import Territory

/// The views of the HTML dashboard (`territory status --format html`), read on two threads: the status (judging every
/// member: most of the page's time) on one, the trend, the certificates and the findings on the other. Each view reads
/// in its own transaction, as when they were read one after the other; with PostgreSQL, the server's time for the
/// second thread's statements overlaps the client's judging (docs/benchmarks.md, issue 20: the dashboard within 1 s).
struct DashboardRead {
    var status: StatusView
    var trend: TrendView
    var certificates: CertificatesView
    var findings: FindingsView

    /// - Throws: what the status's read throws, else what the other views' reads throw (the first of them), as when
    ///   they were read in this order one after the other.
    static func read(_ views: TerritoryViews, fixes: Int, filter: ViewFilter) throws -> DashboardRead {
        let status = Mutex<Result<StatusView, any Error>?>(nil)
        let others = Mutex<Result<(TrendView, CertificatesView, FindingsView), any Error>?>(nil)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                let result = Result { try views.status(fixes: fixes, filter: filter) }
                status.withLock { $0 = result }
            } else {
                let result = Result {
                    (try views.trend(filter: ViewFilter(entities: filter.entities), dailyBeyond: HTMLPage.trendPointLimit),
                     try views.certificates(expiringWithinDays: 60, filter: filter, limit: HTMLPage.listLimit),
                     // The page names three entities per finding (`ViewTables.findings`): only those are read.
                     try views.findings(top: 15, filter: filter, affectedLimit: 3))
                }
                others.withLock { $0 = result }
            }
        }
        let judged = try status.withLock { $0! }.get()
        let (trend, certificates, findings) = try others.withLock { $0! }.get()
        return DashboardRead(status: judged, trend: trend, certificates: certificates, findings: findings)
    }
}
