import Checks
import Foundation
import Model
import Prometheus
import Territory

/// The collector's Prometheus metrics (`collect --metrics-listen`), in the text exposition format 0.0.4,
/// written by swift-prometheus.
///
/// Two parts:
/// - The collector's own counters, kept for the life of the process: uploads received, accepted (new or
///   duplicate), refused by status and reason code, the time an upload that reached verification took
///   (histogram, seconds), and the verification queue (waiting, running, limit).
/// - The territory, read from the store at each scrape (when the collector has one): the territory's
///   score, every member's score and newest report time, the members per level (those that never reported
///   and those whose reports verified nothing included), and the members silent. A member is never left
///   out of these families because it is the weakest: a member with reports whose every result erred has
///   score 0, as in the territory's mean (`StatusView.Territory.score`); a member that never reported has no
///   score sample but is counted in `cyberctl_territory_members{level="sans-rapport"}` and in
///   `cyberctl_territory_members_silent{reason="never-reported"}`. When the store cannot be read,
///   `cyberctl_territory_store_up` is 0 and no territory figure is given (none would be current).
///
/// Names and units follow Prometheus' conventions (`_total`, `_seconds`, base units): docs/monitoring.md
/// explains each family. `promtool check metrics` passes on the output (MonitoringTests).
public final class CollectorMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let received: Counter
    let accepted: [String: Counter]
    /// Upper bounds of the upload-duration histogram, in seconds.
    public static let durationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    let duration: ValueHistogram
    let queueWaiting: Gauge
    let queueRunning: Gauge

    /// Creates the families; `queueLimit` and `workers` are exposed as constant gauges.
    public init(queueLimit: Int, workers: Int, startTime: Date = Date()) {
        let registry = self.registry
        received = registry.makeCounter(
            name: "cyberctl_collector_reports_received_total", help: "Uploads received on POST /v1/reports, whatever their answer.")
        accepted = Dictionary(
            uniqueKeysWithValues: ["new", "duplicate"].map { outcome in
                (
                    outcome,
                    registry.makeCounter(
                        name: "cyberctl_collector_reports_accepted_total", labels: [("outcome", outcome)],
                        help: "Reports verified and kept: new (201) or already received (200).")
                )
            })
        duration = registry.makeValueHistogram(
            name: "cyberctl_collector_upload_duration_seconds", buckets: Self.durationBuckets,
            help: "Time from the request to the answer for uploads that reached verification: queue, verification, ingest, inbox write.")
        queueWaiting = registry.makeGauge(
            name: "cyberctl_collector_verification_queue_depth", help: "Uploads waiting for a verification thread.")
        queueRunning = registry.makeGauge(
            name: "cyberctl_collector_verification_in_progress", help: "Uploads being verified, ingested and stored now.")
        registry.makeGauge(
            name: "cyberctl_collector_verification_queue_limit", help: "Uploads allowed to wait; one more is answered 503 busy (--queue-limit)."
        ).set(Double(queueLimit))
        registry.makeGauge(name: "cyberctl_collector_verification_threads", help: "Verification threads (--workers).").set(Double(workers))
        registry.makeGauge(name: "cyberctl_collector_start_time_seconds", help: "When the collector started, Unix time in seconds.")
            .set(startTime.timeIntervalSince1970.rounded())
    }

    /// Counts one answer to `POST /v1/reports`; `seconds` is given for uploads that reached verification.
    public func record(_ reply: CollectorReply, seconds: Double?) {
        received.increment()
        switch reply.status {
        case "accepted": accepted["new"]?.increment()
        case "duplicate": accepted["duplicate"]?.increment()
        default:
            registry.makeCounter(
                name: "cyberctl_collector_reports_refused_total",
                labels: [("status", reply.status), ("code", reply.code ?? reply.status)],
                help: "Uploads not kept, by answer (malformed, too-large, refused, forbidden, rate-limited, unavailable) and reason code."
            ).increment()
        }
        if let seconds { duration.record(seconds) }
    }

    /// The exposition: the collector's families, then the territory's read from `views` (nil: no store).
    /// - Returns: the page, and the store's error when it could not be read (the page then says
    ///   `cyberctl_territory_store_up 0`; the caller logs the error).
    public func exposition(pool: BlockingPool, views: TerritoryViews?) -> (page: [UInt8], storeError: (any Error)?) {
        let load = pool.load
        queueWaiting.set(Double(load.waiting))
        queueRunning.set(Double(load.running))
        var buffer = registry.emitToBuffer()
        guard let views else { return (buffer, nil) }
        let (territory, error) = Self.territory(views)
        territory.emit(into: &buffer)
        return (buffer, error)
    }

    /// The territory's families, in a registry of their own made at each scrape: a member removed from the
    /// roster or the store leaves no stale sample behind.
    static func territory(_ views: TerritoryViews) -> (PrometheusCollectorRegistry, (any Error)?) {
        let registry = PrometheusCollectorRegistry()
        let up = registry.makeGauge(
            name: "cyberctl_territory_store_up", help: "1 when the territory store was read for this scrape; 0 when it could not be (no territory figure is then given).")
        let status: StatusView
        do {
            status = try views.status(fixes: 0)
        } catch {
            up.set(0.0)
            return (registry, error)
        }
        up.set(1.0)
        let territory = status.territory
        if let score = territory.score.score {
            registry.makeGauge(
                name: "cyberctl_territory_score", help: "The territory's score, 0 to 100: the mean of its members' scores, each member weighing one."
            ).set(Double(score))
        }
        registry.makeGauge(name: "cyberctl_territory_members_expected", help: "Members expected to report: the roster's members, or every entity in the store without a roster.")
            .set(Double(territory.members))
        for (reason, count) in [("stale", territory.staleEntities), ("never-reported", territory.neverReported)] {
            registry.makeGauge(
                name: "cyberctl_territory_members_silent", labels: [("reason", reason)],
                help: "Members silent: newest report older than the silence threshold (stale), or no report ever (never-reported).")
                .set(Double(count))
        }
        registry.makeGauge(
            name: "cyberctl_territory_hosts_silent",
            help: "Members' servers whose own latest report is older than the silence threshold, or with no trusted report left (a member's other servers may still report).")
            .set(Double(territory.staleHosts))
        registry.makeGauge(
            name: "cyberctl_territory_level", labels: [("level", territory.score.level ?? "non-evalue")],
            help: "Always 1; the label is the territory's level shown (A to E), no better than the harshest cap its members are under.")
            .set(1.0)
        for (level, count) in territory.distribution.sorted(by: { $0.key < $1.key }) {
            registry.makeGauge(
                name: "cyberctl_territory_members", labels: [("level", level)],
                help: "Members per level shown (caps applied), members whose reports verified nothing (non-evalue) and members that never reported (sans-rapport).")
                .set(Double(count))
        }
        registry.makeGauge(name: "cyberctl_territory_members_under_cap", help: "Members whose level is capped by a gap (no backup, unsupported system, expired certificate …).")
            .set(Double(territory.membersUnderCap.count))
        for row in status.entities where row.inPerimeter {
            let labels = [("siren", row.siren), ("name", row.name ?? "")]
            if row.newestReport != nil {
                registry.makeGauge(
                    name: "cyberctl_territory_member_score", labels: labels,
                    help: "A member's score, 0 to 100; 0 when its reports verified nothing, as in the territory's mean.")
                    .set(Double(row.score.score ?? 0))
            }
            if let newest = row.newestReport.flatMap(ISO8601.date(from:)) {
                registry.makeGauge(
                    name: "cyberctl_territory_member_last_report_timestamp_seconds", labels: labels,
                    help: "When a member's newest report was made, Unix time in seconds.")
                    .set(newest.timeIntervalSince1970.rounded())
            }
        }
        return (registry, nil)
    }
}
