import Checks
import Foundation
import Model
import Trust

/// `territory agents`: the agents whose signing certificate has expired or expires soon, from each
/// host's latest report. An expired agent certificate does not invalidate the reports it signed
/// while valid, but every later report of that host will be refused (`certificate-expired`): the
/// RSSI must issue a new one before the next weekly report.
public struct AgentCertificatesView: Codable, Sendable {
    public var now: String
    /// Window in days: certificates whose notAfter is before now + window (expired ones included).
    public var windowDays: Int
    /// Soonest notAfter first.
    public var agents: [Agent]
    /// The filter applied (its entities), absent when none.
    public var filter: ViewFilter?

    public struct Agent: Codable, Sendable, Equatable {
        public var siren: String
        public var entity: String?
        public var host: String
        /// The signer certificate's serial (upper-case hex), subject and issuer, as verified.
        public var serial: String
        public var subject: String
        /// notAfter, `YYYY-MM-DDTHH:MM:SSZ`.
        public var notAfter: String
        /// Whole days left from now, rounded down; negative once expired.
        public var daysLeft: Int
        /// `expired` or `expiring-soon` (`SignerCertificateStatus.State`).
        public var state: String
        /// `generatedAt` of the host's latest report, the one this certificate signed.
        public var latestReport: String
    }
}

extension TerritoryViews {
    /// Agents (hosts) whose latest report was signed by a certificate expiring before now + `days`
    /// (already expired ones included), soonest first. A host whose latest report carries no
    /// signer notAfter is not listed. With a filter, the agents of its entities only (its domain is not used:
    /// an agent's certificate belongs to no check domain, and the command refuses `--domain`).
    /// - Throws: `InputError(.missing)` when the filter names a SIREN the store does not know.
    public func agentCertificates(
        expiringWithinDays days: Int = ReportVerifier.signerExpiryWarningDays, filter: ViewFilter = ViewFilter()
    ) throws -> AgentCertificatesView {
        try store.read { db in
            try requireKnown(filter, db)
            let limit = nowSeconds + days * 86_400
            var agents: [AgentCertificatesView.Agent] = []
            try db.forEachRow(sql: """
                SELECT h.siren, e.name, h.hostname, r.signerSerial, r.signerSubject, r.signerNotAfter, r.generatedAt
                FROM host h JOIN report r ON r.key = h.latestReportKey JOIN entity e ON e.siren = h.siren
                WHERE r.signerNotAfter IS NOT NULL AND r.signerNotAfter < ?
                """, arguments: [limit]) { row in
                guard filter.keeps(siren: row[0] as String) else { return }
                let notAfter = Date(timeIntervalSince1970: TimeInterval(row[5] as Int))
                let status = SignerCertificateStatus(notAfter: notAfter, now: now, warningDays: days)
                agents.append(.init(
                    siren: row[0], entity: row[1], host: row[2], serial: row[3], subject: row[4], notAfter: ISO8601.string(from: notAfter),
                    daysLeft: status.daysLeft ?? 0, state: status.state == .expired ? SignerCertificateStatus.State.expired.rawValue
                        : SignerCertificateStatus.State.expiringSoon.rawValue,
                    latestReport: Self.time(row[6])))
            }
            agents.sort { ($0.notAfter, $0.siren, $0.host) < ($1.notAfter, $1.siren, $1.host) }
            return AgentCertificatesView(
                now: ISO8601.string(from: now), windowDays: days, agents: agents, filter: ViewFilter(entities: filter.entities).orNil)
        }
    }
}
