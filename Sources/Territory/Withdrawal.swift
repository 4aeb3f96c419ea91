import Foundation
import Model
import OpenSSLKit
import Trust

/// Stored reports withdrawn after their signer's certificate was revoked: a report the store already trusts is
/// matched again against every CRL at each consolidation (and by the collector when its CRL changes), so that a
/// revocation takes back what the revoked key said before it (false reassurance otherwise: a stolen key's flattering
/// report would keep a commune at level A after the RSSI revoked the key).
///
/// Which reports go: exactly those `ReportVerifier` would refuse now (`ReportVerifier.revocationRefuses`), so that
/// the store holds only what a verification accepts today:
/// - `keyCompromise`, `cACompromise`, `aACompromise`, `certificateHold`, `unspecified`, or no reason code (read as
///   `unspecified`, RFC 5280 §5.3.1): every report signed with the certificate, whatever its signing time. A key
///   known to be compromised, or revoked by a CA that does not say why, cannot vouch for any signature: the signing
///   time and `generatedAt` are written by whoever holds the key, and a stolen key can claim any date.
/// - `superseded`, `cessationOfOperation`, `affiliationChanged`, `privilegeWithdrawn`: only the reports signed at or
///   after the revocation date (the key was not suspected; what it signed before stays true).
///
/// The CRL entry's `invalidityDate` (RFC 5280 §5.3.2: when the key is known or suspected to have been compromised)
/// is not read: `cyberctl pki revoke` does not write one, and for a compromised key it could only be weighed against
/// a time the store itself witnessed (`report.ingestedAt`), never against a signing time the key's holder chose.
/// A revocation with no invalidity date therefore withdraws everything the key signed, as RFC 5280 §5.3.2 leaves it:
/// without it, nothing tells when the compromise began.
///
/// Withdrawing deletes the report and everything stored per report (results, domain sums, findings, facts), as
/// `prune` does, rather than marking it: every view, sum and total already reads "what is stored"; a mark would
/// have to be honoured by each of them, and one forgotten query would bring the false reassurance back. What is
/// kept is a record in `report_withdrawal` (migration `v11-report-withdrawal`: who, which report, which certificate,
/// why, when) and a refusal in `rejection` (code `report-withdrawn`).
public struct WithdrawnReport: Sendable, Codable, Equatable {
    public var reportID: String
    public var sha256: String
    public var siren: String
    /// The entity's name as stored (the signer certificate's O), when known.
    public var entity: String?
    public var host: String
    /// Where the report was read from (`report.sourcePath`).
    public var path: String
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public var generatedAt: String
    public var signingTime: String
    /// The signer certificate: serial (upper-case hexadecimal) and issuer.
    public var serial: String
    public var issuer: String
    /// RFC 5280 name of the revocation reason (`keyCompromise`, `superseded` …; `unspecified` when the CRL gives none).
    public var reason: String
    /// The CRL's revocation date.
    public var revokedAt: String
    /// When the store withdrew it.
    public var withdrawnAt: String
    /// Whether it was its host's latest report.
    public var wasLatest: Bool
    /// The generation time of the host's latest report after the withdrawal; nil when the host has no trusted report
    /// left (it counts as not evaluated).
    public var hostLatestAfter: String?

    /// Whether the reason withdraws every report of the certificate (not only those signed after the revocation).
    /// `CertificateRevocationList.Reason.voidsEarlierSignatures`; a name it does not know counts as `unspecified`.
    public var everyReport: Bool { (CertificateRevocationList.Reason(name: reason) ?? .unspecified).voidsEarlierSignatures }

    /// Why, French and English: the certificate, its revocation and what it means for this report.
    public var message: LocalizedText {
        let since = PeopleTime.string(iso: revokedAt)
        let signed = PeopleTime.string(iso: signingTime)
        // The certificate by its serial and the authority that issued it (the issuer: serials are unique per issuer).
        let fr = "rapport retiré de la base : son certificat signataire n° \(serial) (émis par \(issuer)) a été révoqué le \(since), motif \(reason) ; "
            + (everyReport
                ? "une clé compromise, ou révoquée sans motif daté, ne garantit aucune signature, même antérieure (RFC 5280 §5.3.1)"
                : "ce rapport a été signé le \(signed), après la révocation")
        let en = "report withdrawn from the store: its signer certificate serial \(serial) (issued by \(issuer)) was revoked on \(since), reason \(reason); "
            + (everyReport
                ? "a compromised key, or one revoked without a dated reason, vouches for no signature, not even an earlier one (RFC 5280 §5.3.1)"
                : "this report was signed on \(signed), after the revocation")
        return LocalizedText(fr: fr, en: en)
    }
}

/// Refusal code of a stored report withdrawn after its signer's revocation.
extension RejectionCode {
    public static let reportWithdrawn = "report-withdrawn"
}

extension TerritoryStore {
    /// Migration `v11-report-withdrawal`: the withdrawals' record, and an index to find a certificate's reports.
    static func createWithdrawalTable(_ db: any SQLConnection) throws {
        let integer = db.dialect == .sqlite ? "INTEGER" : "BIGINT"
        let key = db.dialect == .sqlite ? "INTEGER PRIMARY KEY" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        try db.execute(sql: """
            CREATE TABLE report_withdrawal (
                id \(key),
                reportID TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                siren TEXT NOT NULL,
                hostname TEXT NOT NULL,
                sourcePath TEXT NOT NULL,
                generatedAt \(integer) NOT NULL,
                signingTime \(integer) NOT NULL,
                signerSerial TEXT NOT NULL,
                signerIssuer TEXT NOT NULL,
                reason TEXT NOT NULL,
                revokedAt \(integer) NOT NULL,
                withdrawnAt \(integer) NOT NULL,
                wasLatest \(integer) NOT NULL,
                hostLatestAfter \(integer)
            );
            CREATE INDEX report_withdrawal_by_time ON report_withdrawal(withdrawnAt);
            CREATE INDEX report_by_signer ON report(signerSerial);
            """)
    }

    /// One revocation: the CRL's issuer (as `report.signerIssuer` stores it) and its entry.
    struct Revocation {
        var issuer: String
        var entry: CertificateRevocationList.Entry
    }

    /// Withdraws the stored reports whose signer certificate `trust`'s CRLs revoke (see `WithdrawnReport` for which),
    /// in one write transaction: each report and its rows deleted; its host's latest report moved back to the newest
    /// remaining one (none: the host is not evaluated), the entity's sums (`entity_domain`, `entity.latest*`) moved
    /// with it and its per-rule totals (`entity_rule`, `rule_total`, `entity_score`) recomputed; a `report_withdrawal`
    /// record and a `rejection` (code `report-withdrawn`) written; the file's `inbox_file` rows (its path, and any
    /// copy with the same bytes) forgotten, so that a later read verifies it again. Idempotent: a second call with the
    /// same CRLs finds nothing left to withdraw and writes nothing.
    ///
    /// The CRLs are `trust`'s, each already authenticated against a trusted CA (`TrustAnchors`); a report matches an
    /// entry on the certificate's serial and issuer name (`report.signerSerial`, `report.signerIssuer`).
    /// - Parameter now: the withdrawal time recorded.
    /// - Returns: what was withdrawn, by host then generation time; empty when nothing was (nothing written).
    /// - Throws: the backend's `InputError(.io)` when the store cannot be read or written (nothing is half-done).
    public func withdrawRevokedReports(trust: TrustAnchors, now: Date = Date()) throws -> [WithdrawnReport] {
        var revocations: [String: [Revocation]] = [:]
        for crl in trust.revocationLists {
            let issuer = crl.issuerName.displayText
            for entry in crl.entries { revocations[entry.serialNumberHex, default: []].append(Revocation(issuer: issuer, entry: entry)) }
        }
        guard !revocations.isEmpty else { return [] }
        struct Doomed {
            var key: Int64, id: String, sha256: String, hostID: Int64, siren: String, hostname: String, entity: String?
            var generatedAt: Int, signingTime: Int, serial: String, issuer: String, path: String, latest: Int64?
            var revocation: Revocation
        }
        let serials = revocations.keys.sorted()
        let select = """
            SELECT r.key, r.id, r.sha256, r.hostID, r.siren, h.hostname, e.name, r.generatedAt, r.signingTime, r.signerSerial,
                r.signerIssuer, r.sourcePath, h.latestReportKey
            FROM report r JOIN host h ON h.id = r.hostID LEFT JOIN entity e ON e.siren = r.siren
            WHERE r.signerSerial IN
            """
        func candidates(_ db: any SQLConnection) throws -> [Doomed] {
            var found: [Doomed] = []
            for start in stride(from: 0, to: serials.count, by: 500) {
                let chunk = Array(serials[start..<min(start + 500, serials.count)])
                try db.forEachRow(sql: "\(select) (\(chunk.map { _ in "?" }.joined(separator: ",")))", arguments: SQLArguments(chunk)) { row in
                    let serial: String = row[9], issuer: String = row[10], signingTime: Int = row[8]
                    let signed = Date(timeIntervalSince1970: TimeInterval(signingTime))
                    guard let revocation = revocations[serial]?.first(where: {
                        $0.issuer == issuer && ReportVerifier.revocationRefuses($0.entry, signingTime: signed)
                    }) else { return }
                    found.append(Doomed(
                        key: row[0], id: row[1], sha256: row[2], hostID: row[3], siren: row[4], hostname: row[5], entity: row[6],
                        generatedAt: row[7], signingTime: signingTime, serial: serial, issuer: issuer, path: row[11], latest: row[12],
                        revocation: revocation))
                }
            }
            return found
        }
        // Most consolidations withdraw nothing: looked for in a read transaction, written only when something is found.
        guard try !read({ try candidates($0) }).isEmpty else { return [] }
        let withdrawnAt = Int(now.timeIntervalSince1970.rounded(.down))
        func iso(_ seconds: Int) -> String { ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))) }
        return try write { db in
            // Found again inside the write transaction: another writer may have moved things since the read.
            let doomed = try candidates(db)
            var withdrawn: [WithdrawnReport] = []
            var touched = Set<String>()
            for (hostID, reports) in Dictionary(grouping: doomed, by: \.hostID).sorted(by: { $0.key < $1.key }) {
                let first = reports[0]
                let latestGoes = first.latest.map { latest in reports.contains { $0.key == latest } } ?? false
                // The entity's sums: the host's latest report out before its rows go.
                if latestGoes, let latest = first.latest { try moveEntitySums(db, siren: first.siren, report: latest, sign: -1) }
                let keys = reports.map { String($0.key) }.joined(separator: ",")
                for table in ["result", "report_domain", "report_finding", "report_fact"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE reportKey IN (\(keys))")
                }
                try db.execute(sql: "DELETE FROM report WHERE key IN (\(keys))")
                var latestAfter: Int?
                if latestGoes {
                    // The newest remaining report, in ingest's order (generated, then signed later, then the greater id).
                    var nextKey: Int64?
                    if let next = try db.fetchRow(sql: """
                        SELECT key, generatedAt FROM report WHERE hostID = ?
                        ORDER BY generatedAt DESC, signingTime DESC, id\(db.dialect.byteOrder) DESC LIMIT 1
                        """, arguments: [hostID]) {
                        nextKey = next["key"] as Int64
                        latestAfter = next["generatedAt"] as Int
                    }
                    try db.execute(
                        sql: "UPDATE host SET latestReportKey = ?, latestGeneratedAt = ? WHERE id = ?", arguments: [nextKey, latestAfter, hostID])
                    if let nextKey { try moveEntitySums(db, siren: first.siren, report: nextKey, sign: 1) }
                } else {
                    latestAfter = try db.fetchRow(sql: "SELECT latestGeneratedAt FROM host WHERE id = ?", arguments: [hostID]).flatMap { $0[0] as Int? }
                }
                touched.insert(first.siren)
                for report in reports.sorted(by: { ($0.generatedAt, $0.id) < ($1.generatedAt, $1.id) }) {
                    let entry = report.revocation.entry
                    let revokedAt = Int(entry.revocationDate.timeIntervalSince1970.rounded(.down))
                    let item = WithdrawnReport(
                        reportID: report.id, sha256: report.sha256, siren: report.siren, entity: report.entity, host: report.hostname,
                        path: report.path, generatedAt: iso(report.generatedAt), signingTime: iso(report.signingTime), serial: report.serial,
                        issuer: report.issuer, reason: (entry.reason ?? .unspecified).name, revokedAt: iso(revokedAt), withdrawnAt: iso(withdrawnAt),
                        wasLatest: report.key == first.latest, hostLatestAfter: latestAfter.map(iso))
                    try db.execute(sql: """
                        INSERT INTO report_withdrawal (reportID, sha256, siren, hostname, sourcePath, generatedAt, signingTime, signerSerial,
                            signerIssuer, reason, revokedAt, withdrawnAt, wasLatest, hostLatestAfter)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [
                            report.id, report.sha256, report.siren, report.hostname, report.path, report.generatedAt, report.signingTime,
                            report.serial, report.issuer, item.reason, revokedAt, withdrawnAt, item.wasLatest ? 1 : 0, latestAfter,
                        ])
                    try Ingest.reject(
                        db, path: report.path, sha256: report.sha256, code: RejectionCode.reportWithdrawn, message: item.message, now: withdrawnAt)
                    // Read again next time, whatever the file's identity: the verification refuses it now.
                    try db.execute(sql: "DELETE FROM inbox_file WHERE path = ? OR reportSHA256 = ?", arguments: [report.path, report.sha256])
                    withdrawn.append(item)
                }
            }
            try RuleTotals.refresh(db, sirens: touched.sorted())
            // The hosts' cap inputs (`host_cap`) follow their latest report, moved back or gone.
            try HostCaps.refresh(db, sirens: touched.sorted())
            // The certificates listed (`latest_certificate`) follow their latest report too.
            try LatestCertificates.refresh(db, sirens: touched.sorted())
            // The trend's kept days follow the reports left.
            try TrendDays.refresh(db, sirens: touched.sorted())
            // The entities' judged status rows (`entity_judged`) follow their hosts.
            try EntityJudgements.refresh(db, sirens: touched.sorted(), now: withdrawnAt)
            return withdrawn
        }
    }

    /// The withdrawals recorded at or after `since`, newest first (the alerts' `report-withdrawn`), with the entity's
    /// stored name.
    public func withdrawals(since: Date) throws -> [WithdrawnReport] {
        let seconds = Int(since.timeIntervalSince1970.rounded(.down))
        func iso(_ seconds: Int) -> String { ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))) }
        return try read { db in
            try db.fetchRows(sql: """
                SELECT w.*, e.name FROM report_withdrawal w LEFT JOIN entity e ON e.siren = w.siren WHERE w.withdrawnAt >= ?
                ORDER BY w.withdrawnAt DESC, w.siren\(db.dialect.byteOrder), w.hostname\(db.dialect.byteOrder), w.generatedAt DESC
                """, arguments: [seconds]).map { row in
                let after: Int? = row["hostLatestAfter"]
                return WithdrawnReport(
                    reportID: row["reportID"], sha256: row["sha256"], siren: row["siren"], entity: row["name"], host: row["hostname"],
                    path: row["sourcePath"], generatedAt: iso(row["generatedAt"]), signingTime: iso(row["signingTime"]),
                    serial: row["signerSerial"], issuer: row["signerIssuer"], reason: row["reason"], revokedAt: iso(row["revokedAt"]),
                    withdrawnAt: iso(row["withdrawnAt"]), wasLatest: (row["wasLatest"] as Int) != 0, hostLatestAfter: after.map(iso))
            }
        }
    }
}
