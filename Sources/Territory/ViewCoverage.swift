import Foundation
import Model

/// What a list view (`territory findings`, `territory certificates`) could see: its members, and those it could not
/// judge. A list is only as complete as the reports behind it: an empty findings list over members that never
/// reported, went silent or whose checks erred means "nothing seen", not "nothing wrong", and the view says so.
///
/// Members are counted as the status counts them (`StatusView.Territory`): the roster's members (every entity with
/// reports when no roster was imported), narrowed to the filter's entities; entities out of the roster's perimeter
/// are not counted.
public struct ViewCoverage: Codable, Sendable, Equatable {
    /// Members expected to report (see above).
    public var members: Int
    /// Members with at least one stored report (a latest report on some host).
    public var reporting: Int
    /// Roster members that never sent a report (`members - reporting`).
    public var neverReported: Int
    /// Reporting members with a server whose latest report is older than the silence limit (`silent_after_days` of
    /// the roster, 7 by default, plus `Roster.graceDays`: `TerritoryJudgement.silenceLimit`), or left without any
    /// trusted report (withdrawn after its signer's revocation): the list shows that server's past, or nothing.
    public var silent: Int
    /// Reporting members whose latest reports verified nothing (no score: every scored check erred or none ran).
    public var notEvaluated: Int
    /// Reporting members with at least one check in error (status `error`: unread, unparsed or untrusted input) in
    /// their hosts' latest reports, in the filter's domain when it has one (`entity_domain.unverified`: errors of
    /// rules that weigh in the score).
    public var withErrors: Int
    /// Reporting members, not counted in `notEvaluated`, with a server whose latest report has no check of the view's
    /// domain (for `certificates`, `certificates` or `tls` when no domain is given; for `findings`, `--domain`'s; 0 for a
    /// view without a domain): no result there but skipped ones (`report_domain` has no row of it), whether its profile
    /// left them out, its agent did not run them or found nothing to check. The list says nothing of that server's
    /// part of the domain.
    public var notChecked: Int

    /// True when every member reported recently and every one of their checks could look.
    public var complete: Bool { neverReported == 0 && silent == 0 && notEvaluated == 0 && withErrors == 0 && notChecked == 0 }

    public init(members: Int, reporting: Int, neverReported: Int, silent: Int, notEvaluated: Int, withErrors: Int, notChecked: Int = 0) {
        self.members = members
        self.reporting = reporting
        self.neverReported = neverReported
        self.silent = silent
        self.notEvaluated = notEvaluated
        self.withErrors = withErrors
        self.notChecked = notChecked
    }
}

extension TerritoryViews {
    /// The coverage of a list view under `filter`, from the sums kept at ingest (`entity_score`, `host`,
    /// `entity_domain`, `report_domain`): at 100,000 reports, 20,000 score rows, one aggregate over the hosts and one
    /// look-up by key per host's latest report, no result read.
    /// Checks in error are counted in `domains` (every domain when nil); servers without any check of `domains`
    /// (`notChecked`) only when it is given.
    func coverage(_ db: any SQLConnection, filter: ViewFilter, domains: [Domain]? = nil) throws -> ViewCoverage {
        let roster = try TerritoryStore.roster(db)
        let perimeter = roster?.sirens
        func counted(_ siren: String) -> Bool { (perimeter?.contains(siren) ?? true) && filter.keeps(siren: siren) }
        // Members with a server (`TerritoryStore.hasServer`, as the status counts them); without a score (none kept, or
        // every server's reports withdrawn: no row) they verified nothing.
        var reporting = Set<String>()
        var notEvaluated = Set<String>()
        try db.forEachRow(sql: """
            SELECT e.siren, s.score FROM entity e LEFT JOIN entity_score s ON s.siren = e.siren WHERE \(TerritoryStore.hasServer)
            """, arguments: []) { row in
            let siren: String = row[0]
            guard counted(siren) else { return }
            reporting.insert(siren)
            if (row[1] as Int?) == nil { notEvaluated.insert(siren) }
        }
        let days = roster?.silentAfterDays ?? Roster.defaultSilentAfterDays
        var silent = 0
        // Per server: one fresh server must not hide a silent one, nor one whose every report was withdrawn (an
        // entity left with only such servers has reported, and verifies nothing).
        try db.forEachRow(sql: """
            SELECT DISTINCT siren FROM host WHERE latestReportKey IS NULL OR latestGeneratedAt < ?
            """, arguments: [TerritoryJudgement.silenceLimit(now: nowSeconds, days: days)]) { row in
            let siren: String = row[0]
            guard counted(siren) else { return }
            silent += 1
        }
        var withErrors = Set<String>()
        let domains = domains.map { $0.map(\.rawValue) }
        try db.forEachRow(
            sql: "SELECT DISTINCT siren FROM entity_domain WHERE unverified > 0"
                + (domains.map { " AND domain IN (\($0.map { _ in "?" }.joined(separator: ", ")))" } ?? ""),
            arguments: SQLArguments(domains ?? [])
        ) { row in
            let siren: String = row[0]
            if reporting.contains(siren) { withErrors.insert(siren) }
        }
        // Servers whose latest report has no row of the view's domains in `report_domain` (a row is written for every
        // domain with a pass, warn, fail or error result: `Ingest`): a key look-up per server. A member that verified
        // nothing at all is said as such already.
        var notChecked = Set<String>()
        if let domains, !domains.isEmpty {
            try db.forEachRow(sql: """
                SELECT DISTINCT h.siren FROM host h WHERE h.latestReportKey IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM report_domain d WHERE d.reportKey = h.latestReportKey
                    AND d.domain IN (\(domains.map { _ in "?" }.joined(separator: ", "))))
                """, arguments: SQLArguments(domains)) { row in
                let siren: String = row[0]
                if reporting.contains(siren) && !notEvaluated.contains(siren) { notChecked.insert(siren) }
            }
        }
        // Roster members without any report; the grouping counts only when listed among the members (`neverReported`).
        let never = roster?.members.filter { filter.keeps(siren: $0.siren) && !reporting.contains($0.siren) }.count ?? 0
        return ViewCoverage(
            members: reporting.count + never, reporting: reporting.count, neverReported: never, silent: silent,
            notEvaluated: notEvaluated.count, withErrors: withErrors.count, notChecked: notChecked.count)
    }
}

extension TerritoryViews {
    /// The servers whose state is not known, by SIREN then hostname (bytewise): latest report older than the silence
    /// limit (`TerritoryJudgement.silenceLimit`, the roster's `silent_after_days`), or none left (every report withdrawn
    /// after its signer's revocation). Per server, as `coverage` counts them: one fresh server does not hide another.
    /// The servers of `silentHosts(silentAfterDays:)`, which `territory alerts` names, at the roster's threshold.
    public func silentServers() throws -> [String: [String]] {
        let days = try store.roster()?.silentAfterDays ?? Roster.defaultSilentAfterDays
        var out: [String: [String]] = [:]
        for host in try silentHosts(silentAfterDays: days) { out[host.siren, default: []].append(host.hostname) }
        return out
    }
}
