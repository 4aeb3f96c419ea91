import Foundation
import OpenSSLKit
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// What `stat(2)` says of one file, enough to tell it has not changed since it was read: device, inode,
/// size, and modification and status-change times to the nanosecond. The status-change time (ctime) cannot
/// be set back by a user (`touch -d` sets mtime, and moves ctime to now), so a file rewritten in place with
/// the same size and a restored mtime is still seen as changed. Symbolic links are followed: a link pointed
/// at another file is another inode.
public struct FileIdentity: Sendable, Equatable {
    public var device: Int64
    public var inode: Int64
    public var size: Int64
    public var modifiedNs: Int64
    public var changedNs: Int64

    /// The identity of `path` now; nil when it cannot be stat'ed.
    public init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = Int64(bitPattern: UInt64(status.st_dev))
        inode = Int64(bitPattern: UInt64(status.st_ino))
        size = Int64(status.st_size)
        modifiedNs = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        changedNs = Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec)
    }

    init(device: Int64, inode: Int64, size: Int64, modifiedNs: Int64, changedNs: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNs = modifiedNs
        self.changedNs = changedNs
    }
}

/// A report file and its signature as they were when read, before verification: the identity recorded
/// with a stored report, and compared at the next consolidation.
public struct FilePairIdentity: Sendable, Equatable {
    public var report: FileIdentity
    public var signature: FileIdentity

    /// Both files' identities now; nil when either cannot be stat'ed.
    public init?(_ file: InboxFile) {
        guard let report = FileIdentity(path: file.reportPath), let signature = FileIdentity(path: file.signaturePath) else { return nil }
        self.report = report
        self.signature = signature
    }

    init(report: FileIdentity, signature: FileIdentity) {
        self.report = report
        self.signature = signature
    }
}

/// The inbox files already verified and stored (issue 20, "a weekly consolidate must not redo the past"):
/// table `inbox_file`, one row per report path, written with the report in the same transaction. A file
/// whose report and signature have the identity recorded, verified against the same trust (`trustKey`: the
/// CA certificates and CRLs), is not read again; any other file is read, verified and stored or refused as
/// ever — so a new CRL (a revoked agent) or a new CA has every file read again once. A file refused later
/// loses its row.
enum KnownInboxFiles {
    /// Migration `v7-inbox-files`.
    static func createTable(_ db: any SQLConnection) throws {
        if db.dialect == .sqlite {
            try db.execute(sql: """
                CREATE TABLE inbox_file (
                    path TEXT PRIMARY KEY NOT NULL,
                    reportSHA256 TEXT NOT NULL,
                    trustKey TEXT NOT NULL,
                    device INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL,
                    modifiedNs INTEGER NOT NULL, changedNs INTEGER NOT NULL,
                    signatureDevice INTEGER NOT NULL, signatureInode INTEGER NOT NULL, signatureSize INTEGER NOT NULL,
                    signatureModifiedNs INTEGER NOT NULL, signatureChangedNs INTEGER NOT NULL
                ) WITHOUT ROWID
                """)
            return
        }
        try db.execute(sql: """
            CREATE TABLE inbox_file (
                path TEXT PRIMARY KEY NOT NULL,
                reportSHA256 TEXT NOT NULL,
                trustKey TEXT NOT NULL,
                device BIGINT NOT NULL, inode BIGINT NOT NULL, size BIGINT NOT NULL,
                modifiedNs BIGINT NOT NULL, changedNs BIGINT NOT NULL,
                signatureDevice BIGINT NOT NULL, signatureInode BIGINT NOT NULL, signatureSize BIGINT NOT NULL,
                signatureModifiedNs BIGINT NOT NULL, signatureChangedNs BIGINT NOT NULL
            )
            """)
    }

    /// Every path recorded under `trustKey`, with its identity and report SHA-256.
    static func load(_ db: any SQLConnection, trustKey: String) throws -> [String: (identity: FilePairIdentity, sha256: String)] {
        var known: [String: (identity: FilePairIdentity, sha256: String)] = [:]
        try db.forEachRow(sql: "SELECT * FROM inbox_file WHERE trustKey = ?", arguments: [trustKey]) { row in
            let identity = FilePairIdentity(
                report: FileIdentity(
                    device: row["device"], inode: row["inode"], size: row["size"], modifiedNs: row["modifiedNs"], changedNs: row["changedNs"]),
                signature: FileIdentity(
                    device: row["signatureDevice"], inode: row["signatureInode"], size: row["signatureSize"],
                    modifiedNs: row["signatureModifiedNs"], changedNs: row["signatureChangedNs"]))
            known[row["path"]] = (identity, row["reportSHA256"])
        }
        return known
    }

    /// Records `path` as stored with `sha256`, read when it had `identity`, verified under `trustKey`.
    static func record(_ db: any SQLConnection, path: String, sha256: String, trustKey: String, identity: FilePairIdentity) throws {
        let report = identity.report
        let signature = identity.signature
        try db.execute(sql: """
            INSERT INTO inbox_file (path, reportSHA256, trustKey, device, inode, size, modifiedNs, changedNs,
                signatureDevice, signatureInode, signatureSize, signatureModifiedNs, signatureChangedNs)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (path) DO UPDATE SET reportSHA256 = excluded.reportSHA256, trustKey = excluded.trustKey,
                device = excluded.device, inode = excluded.inode, size = excluded.size, modifiedNs = excluded.modifiedNs,
                changedNs = excluded.changedNs, signatureDevice = excluded.signatureDevice, signatureInode = excluded.signatureInode,
                signatureSize = excluded.signatureSize, signatureModifiedNs = excluded.signatureModifiedNs,
                signatureChangedNs = excluded.signatureChangedNs
            """, arguments: [
                path, sha256, trustKey, report.device, report.inode, report.size, report.modifiedNs, report.changedNs,
                signature.device, signature.inode, signature.size, signature.modifiedNs, signature.changedNs,
            ])
    }

    /// What the verification trusted: SHA-256 over the CA certificates' fingerprints and the CRLs' PEM, in order.
    static func trustKey(_ trust: TrustAnchors) -> String {
        var text = trust.certificateAuthorities.map(\.sha256Fingerprint).joined(separator: "\n")
        for crl in trust.revocationLists { text += "\n" + ((try? crl.pemEncoded()) ?? "unreadable CRL") }
        return Digest.sha256Hex(Array(text.utf8))
    }

    /// Forgets `path` (refused now: it will be read again next time, whatever its identity).
    static func forget(_ db: any SQLConnection, path: String) throws {
        try db.execute(sql: "DELETE FROM inbox_file WHERE path = ?", arguments: [path])
    }

    /// Signer notices for reports not read again: their signer certificate judged now, from what the store
    /// kept of it (`report.signerNotAfter`), once per serial — as a re-read would have noted them.
    static func signerNotices(_ db: any SQLConnection, sha256s: [String], now: Date) throws -> [IngestSummary.SignerNotice] {
        var notices: [IngestSummary.SignerNotice] = []
        var seen = Set<String>()
        for chunk in stride(from: 0, to: sha256s.count, by: 500).map({ Array(sha256s[$0..<min($0 + 500, sha256s.count)]) }) {
            let placeholders = chunk.map { _ in "?" }.joined(separator: ",")
            try db.forEachRow(sql: """
                SELECT r.signerSerial, r.signerNotAfter, r.siren, e.name, h.hostname
                FROM report r JOIN host h ON h.id = r.hostID LEFT JOIN entity e ON e.siren = r.siren
                WHERE r.sha256 IN (\(placeholders)) AND r.signerNotAfter IS NOT NULL
                """, arguments: SQLArguments(chunk)) { row in
                let serial: String = row[0]
                let notAfter = Date(timeIntervalSince1970: TimeInterval(row[1] as Int))
                let status = SignerCertificateStatus(notAfter: notAfter, now: now)
                guard status.state != .valid, seen.insert(serial).inserted else { return }
                notices.append(.init(serial: serial, siren: row[2], entityName: row[3] ?? "", host: row[4], status: status))
            }
        }
        return notices
    }
}
