import Foundation

/// `territory alerts`: what needs someone's attention now or within a window, for a timer or a mail
/// (issue 18). Each part is read through the view that owns its rule: certificates through `certificates`,
/// silence through `status` (the roster's `silent_after_days` plus `Roster.graceDays`), agent certificates
/// through `agentCertificates`, legal deadlines through `Incident.pendingDeadlines`, contacts through the
/// roster. A part that could not be read is listed in `errors`, never taken as "nothing due".
public struct AlertsView: Codable, Sendable {
    public var now: String
    /// The window in whole days: what expires or falls due before now + window (already past included).
    public var windowDays: Int
    /// Expired and overdue first, then soonest first; alerts without a date (silence, no contact) last.
    public var alerts: [Alert]
    /// Alerts per kind (every kind present, 0 included).
    public var counts: [String: Int]
    /// The parts that could not be read: their alerts are unknown, so the command fails.
    public var errors: [PartError]
    /// The filter applied (its entities: alerts about them only), absent when none.
    public var filter: ViewFilter?

    public init(now: String, windowDays: Int, alerts: [Alert], errors: [PartError], filter: ViewFilter? = nil) {
        self.now = now
        self.filter = filter
        self.windowDays = windowDays
        self.alerts = alerts
        self.errors = errors
        var counts = Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0.rawValue, 0) })
        for alert in alerts { counts[alert.kind.rawValue, default: 0] += 1 }
        self.counts = counts
    }

    /// Whether something is due (the command exits 1).
    public var somethingDue: Bool { !alerts.isEmpty }

    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A certificate (file on a host, or served by an endpoint) past its notAfter.
        case certificateExpired = "certificate-expired"
        /// A certificate whose notAfter falls within the window.
        case certificateExpiring = "certificate-expiring"
        /// A certificate check whose end date could not be read (the check erred): not known to be valid.
        case certificateUnverified = "certificate-unverified"
        /// A member whose newest report is older than `silent_after_days` plus a day of grace.
        case memberSilent = "member-silent"
        /// A roster member that never sent a report.
        case memberNeverReported = "member-never-reported"
        /// An agent's signing certificate past its notAfter: the host's next reports will be refused.
        case agentCertificateExpired = "agent-certificate-expired"
        /// An agent's signing certificate whose notAfter falls within the window.
        case agentCertificateExpiring = "agent-certificate-expiring"
        /// A legal report of an incident (NIS 2 24 h / 72 h / 1 month, GDPR 72 h) past its deadline, not sent.
        case incidentOverdue = "incident-deadline-overdue"
        /// A legal report of an incident falling due within the window, not sent.
        case incidentDue = "incident-deadline-due"
        /// A roster member without any contact (nobody to call or mail).
        case memberWithoutContact = "member-without-contact"
        /// A host of a member that still reports (its other hosts do) whose own latest report is older than
        /// `silent_after_days` plus a day of grace: the member's newest report would otherwise hide it.
        case hostSilent = "host-silent"
        /// A file refused by verification (`territory rejected`), not accepted since, and seen within the silence
        /// horizon (`silent_after_days` plus a day of grace): a member's newest attempt may have been refused while
        /// its older report keeps speaking for it. Its entity is not named: a refused report is not trusted.
        case reportRefused = "report-refused"
        /// A stored report withdrawn because the RSSI revoked its signer's certificate (`withdrawRevokedReports`),
        /// within the silence horizon: its host now speaks through an older report, or is not evaluated. Its entity is
        /// named: the certificate the RSSI issued names it.
        case reportWithdrawn = "report-withdrawn"
        /// A CRL the last `consolidate` or `collect` trusted (`CRLState`) whose nextUpdate is past: revocations issued
        /// since may be missing from it (a revoked agent still accepted, its reports kept). Territory-wide: no entity.
        case crlStale = "crl-stale"
        /// A CA the last `consolidate` or `collect` trusted without any CRL, while the store holds reports: their
        /// signers' revocation was not checked. Territory-wide: no entity.
        case crlMissing = "crl-missing"
        /// A store without any trusted report (none stored yet, or every one withdrawn): nothing was verified, so an
        /// empty list would read as "nothing to report". Whatever the window; no entity. The daily timer then says
        /// so (exit 1) instead of staying quiet when, for instance, the collector writes to another store.
        case noReports = "no-reports"
    }

    /// The parts read, as `errors` names them.
    public enum Part: String, Codable, Sendable, CaseIterable {
        case certificates, silence, agents, incidents, contacts, refusals
        /// The revocation state last recorded (`crl_state`).
        case revocation
    }

    public struct Alert: Codable, Sendable, Equatable {
        public var kind: Kind
        public var siren: String?
        public var entity: String?
        /// The host concerned, when one is.
        public var host: String?
        /// What: a certificate's target (file path or endpoint), an agent certificate's serial, an incident
        /// (`INC-7`), a CRL file (`crl-stale`) or a CA's name (`crl-missing`), empty for a member.
        public var subject: String
        /// The date it expires or falls due (`YYYY-MM-DDTHH:MM:SSZ`); for a silent member, its newest report.
        public var date: String?
        /// Whole days left (negative once past); for a silent member, days since its newest report.
        public var days: Int?
        /// What it is, in the command's language.
        public var detail: String

        public init(kind: Kind, siren: String?, entity: String?, host: String? = nil, subject: String, date: String?, days: Int?, detail: String) {
            self.kind = kind
            self.siren = siren
            self.entity = entity
            self.host = host
            self.subject = subject
            self.date = date
            self.days = days
            self.detail = detail
        }
    }

    public struct PartError: Codable, Sendable, Equatable {
        public var part: Part
        public var message: String

        public init(part: Part, message: String) {
            self.part = part
            self.message = message
        }
    }
}
