import Checks
import Foundation
import Model

/// The certificate checks of each host's latest report, kept in the store (`latest_certificate`, migration
/// `v13-latest-certificate`, issue 20) with their end date read once, so that `territory certificates --expiring`
/// and the dashboard read the certificates within the window through an index instead of every certificate result
/// of every latest report with its evidence (900,000 rows at 100,000 reports).
///
/// One row per result of a host's latest report that `TerritoryViews.certificates` can list:
/// - `cert.expiry` (kind `file`) and `tls.cert.expiry` (kind `served`) results: `notAfter` (Unix seconds, as
///   `ISO8601.date` reads the evidence's `notAfter`) and `notAfterText` (that text as the evidence gives it), with
///   the evidence's `subject`, `issuer`, `sha256` and `subjectAltNames` (a JSON array of strings); both NULL when the
///   evidence gives no readable `notAfter`, in which case a result in `skip` is not kept (the view does not list it)
///   and any other is an unverified certificate;
/// - `cert.file` and `cert.discovery` results in `error` (kind `file`, `notAfter` NULL): a certificate file or a
///   configuration naming certificates that could not be read, always unverified.
///
/// An entity's rows are recomputed whole (`refresh`) inside the ingest transaction for every entity whose
/// per-rule totals are (`Ingest.write`'s `staleTotals`: a superset of the entities one of whose hosts got a new latest
/// report), after a withdrawal for the entities whose reports were withdrawn (`withdrawRevokedReports`), and by the
/// migration for every host; `prune` never removes a latest report, so it leaves them as they are; `territory migrate`
/// copies them.
enum LatestCertificates {
    /// The rule codes whose results carry a certificate's end date.
    static let expiryCodes = ["cert.expiry", "tls.cert.expiry"]
    /// The rule codes whose `error` results are certificates that could not be read at all.
    static let unreadCodes = ["cert.file", "cert.discovery"]

    /// Migration `v13-latest-certificate`: the table, its indexes, and its rows for every host's latest report.
    /// The index by end date holds the code and SIREN the view's filter tests, so that the dashboard's count of the
    /// certificates within the window reads the index alone (with the end date only, it read each row: 174,000 at
    /// 100,000 reports).
    static func createTable(_ db: any SQLConnection) throws {
        let integer = db.dialect == .sqlite ? "INTEGER" : "BIGINT"
        let real = db.dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        try db.execute(sql: """
            CREATE TABLE latest_certificate (
                hostID \(integer) NOT NULL REFERENCES host(id),
                ordinal \(integer) NOT NULL,
                reportKey \(integer) NOT NULL,
                siren TEXT NOT NULL,
                code TEXT NOT NULL,
                target TEXT NOT NULL,
                status TEXT NOT NULL,
                notAfter \(real),
                notAfterText TEXT,
                subject TEXT, issuer TEXT, sha256 TEXT, subjectAltNames TEXT,
                reason TEXT, reasonFr TEXT,
                PRIMARY KEY (hostID, ordinal)
            );
            CREATE INDEX latest_certificate_by_end ON latest_certificate(notAfter, code, siren) WHERE notAfter IS NOT NULL;
            CREATE INDEX latest_certificate_unverified ON latest_certificate(siren) WHERE notAfter IS NULL;
            CREATE INDEX latest_certificate_by_entity ON latest_certificate(siren);
            """)
        try refreshAll(db)
    }

    /// Recomputes the rows of every host (the migration's back-fill).
    static func refreshAll(_ db: any SQLConnection) throws {
        try db.execute(sql: "DELETE FROM latest_certificate")
        // 1,000 hosts at a time: the rows of one batch are held before they are written.
        let hosts = try db.fetchAll(Int64.self, sql: "SELECT id FROM host WHERE latestReportKey IS NOT NULL ORDER BY id")
        for start in stride(from: 0, to: hosts.count, by: 1_000) {
            let ids = hosts[start..<min(start + 1_000, hosts.count)].map(String.init).joined(separator: ",")
            try insert(db, where: "h.id IN (\(ids))", arguments: [])
        }
    }

    /// Recomputes the rows of the hosts of entities `sirens` from their latest reports.
    static func refresh(_ db: any SQLConnection, sirens: [String]) throws {
        for siren in sirens {
            try db.execute(sql: "DELETE FROM latest_certificate WHERE siren = ?", arguments: [siren])
            try insert(db, where: "h.siren = ?", arguments: [siren])
        }
    }

    /// Inserts the rows of the latest reports of the hosts `condition` selects (on `host h`).
    static func insert(_ db: any SQLConnection, where condition: String, arguments: SQLArguments) throws {
        var rows = SQLArguments([SQLValue]())
        var count = 0
        func flush() throws {
            guard count > 0 else { return }
            let placeholders = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
            try db.execute(sql: """
                INSERT INTO latest_certificate (hostID, ordinal, reportKey, siren, code, target, status, notAfter, notAfterText, subject, issuer,
                    sha256, subjectAltNames, reason, reasonFr)
                VALUES \(placeholders)
                """, arguments: rows)
            rows = SQLArguments([SQLValue]())
            count = 0
        }
        var pending: [SQLArguments] = []
        try db.forEachRow(sql: """
            SELECT h.id, res.ordinal, res.reportKey, h.siren, res.code, res.target, res.status, res.evidence, res.reason, res.reasonFr
            FROM host h JOIN result res\(db.indexedBy("result_certificate")) ON res.reportKey = h.latestReportKey
            WHERE \(condition) AND res.code IN ('cert.expiry', 'tls.cert.expiry')
            """, arguments: arguments) { row in
            let status: String = row[6]
            var end: (seconds: Double, text: String)?
            var subject: String?, issuer: String?, sha256: String?, sans: String?
            if case .object(let evidence) = JSONText.decode(row[7] as String), let text = evidence["notAfter"]?.stringValue,
               let date = ISO8601.date(from: text)
            {
                end = (date.timeIntervalSince1970, text)
                subject = evidence["subject"]?.stringValue
                issuer = evidence["issuer"]?.stringValue
                sha256 = evidence["sha256"]?.stringValue
                let names: [String]
                if case .array(let values)? = evidence["subjectAltNames"] { names = values.compactMap(\.stringValue) } else { names = [] }
                sans = JSONText.encode(.array(names.map { .string($0) }))
            } else if status == Status.skip.rawValue {
                return
            }
            let values: SQLArguments = [
                row[0] as Int64, row[1] as Int64, row[2] as Int64, row[3] as String, row[4] as String, row[5] as String, status,
                end?.seconds, end?.text, subject, issuer, sha256, sans, row[8] as String?, row[9] as String?,
            ]
            pending.append(values)
        }
        try db.forEachRow(sql: """
            SELECT h.id, res.ordinal, res.reportKey, h.siren, res.code, res.target, res.status, res.reason, res.reasonFr
            FROM host h JOIN result res ON res.reportKey = h.latestReportKey
            WHERE \(condition) AND res.code IN ('cert.file', 'cert.discovery') AND res.status = 'error'
            """, arguments: arguments) { row in
            let values: SQLArguments = [
                row[0] as Int64, row[1] as Int64, row[2] as Int64, row[3] as String, row[4] as String, row[5] as String, row[6] as String,
                nil as Double?, nil as String?, nil as String?, nil as String?, nil as String?, nil as String?, row[7] as String?, row[8] as String?,
            ]
            pending.append(values)
        }
        // Rows written after the reads (a statement is not run while another's rows are being read), 1,000 at a time.
        for values in pending {
            rows.append(contentsOf: values)
            count += 1
            if count == 1_000 { try flush() }
        }
        try flush()
    }
}
