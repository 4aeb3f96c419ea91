import Agent
import Checks
import Dispatch
import Foundation
import NIS2
import Model
import OpenSSLKit
import Trust

/// A report file found in an inbox, and where its detached signature should be.
public struct InboxFile: Sendable, Equatable {
    public var reportPath: String
    public var signaturePath: String
}

/// Finding report/signature pairs in the folders an RSSI collects reports into.
public enum Inbox {
    /// Every `*.json` file under `paths` (recursively; a path may also name a report file), sorted,
    /// each with its `<report>.json.p7s` signature path. Symbolic links to files are followed, links to
    /// folders are not (no cycles). Hidden files (`.name`) and atomic-write leftovers are skipped.
    /// - Throws: `InputError(.missing)` when a path does not exist.
    public static func discover(_ paths: [String]) throws(InputError) -> [InboxFile] {
        var found: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw InputError(.missing, file: path, fr: "ni dossier ni rapport à cet endroit", en: "no such folder or report")
            }
            if !isFolder.boolValue {
                found.append(path)
                continue
            }
            walk(path, into: &found)
        }
        var seen = Set<String>()
        return found.filter { seen.insert($0).inserted }.sorted().map {
            InboxFile(reportPath: $0, signaturePath: ReportSigner.signaturePath(for: $0))
        }
    }

    static func walk(_ folder: String, into found: inout [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where !name.hasPrefix(".") {
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: walk(path, into: &found)
            case S_IFREG, S_IFLNK:
                if name.hasSuffix(".json") { found.append(path) }
            default: continue
            }
        }
    }
}

/// Why the consolidation refused a file: a `VerificationFailure` code, or one of its own.
public enum RejectionCode {
    /// The report file could not be read (permissions, I/O error).
    public static let reportUnreadable = "report-unreadable"
    /// A report with the same id but different bytes is already stored.
    public static let reportIDConflict = "report-id-conflict"
    /// The report verified but its content cannot be stored (a time or result the store cannot read).
    public static let reportInvalid = "report-invalid"
    /// A partial scan (`scan --only`): it says nothing of the domains it left out, so it may not become a host's
    /// latest report (its absent rules would read as fixed, its score as the host's).
    public static let reportPartial = "report-partial"

    /// Short title, French or English, for any rejection code.
    public static func title(_ code: String, _ language: Language) -> String {
        if let known = VerificationFailure.Code(rawValue: code) { return known.title(language) }
        switch code {
        case reportUnreadable: return language == .fr ? "rapport illisible" : "report unreadable"
        case reportIDConflict: return language == .fr ? "identifiant déjà utilisé par un autre rapport" : "report id used by another report"
        case reportInvalid: return language == .fr ? "rapport inexploitable" : "report cannot be stored"
        case reportPartial: return language == .fr ? "rapport partiel" : "partial report"
        case reportWithdrawn: return language == .fr ? "rapport retiré : signataire révoqué" : "report withdrawn: signer revoked"
        default: return code
        }
    }
}

/// Counts of an ingest, as the summary line and `--format json` show them.
public struct IngestSummary: Sendable, Codable, Equatable {
    /// Report files found.
    public var found = 0
    /// Reports verified and newly stored.
    public var stored = 0
    /// Reports verified and already in the store (same bytes): nothing written.
    public var alreadyStored = 0
    /// Files stored by an earlier run and unchanged since (same device, inode, size, mtime and ctime, report and
    /// signature): not read again. Counted in `found`, in none of the other counts.
    public var unchanged = 0
    /// Of the newly stored, those older than their host's latest report (kept as history only).
    public var storedAsHistory = 0
    /// Files refused (recorded in `rejection`).
    public var rejected = 0
    /// Rejections by code.
    public var rejectedByCode: [String: Int] = [:]
    /// Signer certificates of the accepted reports (stored or already stored) that have expired or
    /// expire within `ReportVerifier.signerExpiryWarningDays` days at ingest time, one per serial.
    public var signers: [SignerNotice] = []
    /// Verification warnings of the accepted reports (stored or already stored): one per distinct text, with how many
    /// reports gave it and the first one's path, in the order first seen; at most `warningLimit` texts, the reports
    /// of further texts counted in `otherWarnings`. What `cyberctl verify` prints for one report (a stale CRL, a host
    /// or entity name that differs from the certificate's), said once per text for a whole inbox.
    public var warnings: [WarningNotice] = []
    /// Reports whose warning text came after `warningLimit` distinct texts.
    public var otherWarnings = 0
    /// Distinct warning texts kept in `warnings`.
    public static let warningLimit = 50
    /// Stored reports withdrawn at the end of the run because the CRLs in hand revoke their signer
    /// (`TerritoryStore.withdrawRevokedReports`); empty when none.
    public var withdrawn: [WithdrawnReport] = []
    /// Wall-clock seconds.
    public var seconds = 0.0

    /// One verification warning and the reports that gave it.
    public struct WarningNotice: Sendable, Codable, Equatable {
        public var fr: String
        public var en: String
        /// Reports with this warning.
        public var reports: Int
        /// The first of them.
        public var example: String
    }

    /// Counts `text` for the report at `path`.
    mutating func noteWarning(_ text: LocalizedText, path: String, reports: Int = 1) {
        if let index = warnings.firstIndex(where: { $0.en == text.en && $0.fr == text.fr }) {
            warnings[index].reports += reports
        } else if warnings.count < Self.warningLimit {
            warnings.append(WarningNotice(fr: text.fr, en: text.en, reports: reports, example: path))
        } else {
            otherWarnings += reports
        }
    }

    /// An agent certificate that needs renewing, seen on an accepted report.
    public struct SignerNotice: Sendable, Codable, Equatable {
        public var serial: String
        public var siren: String
        public var entityName: String
        public var host: String
        public var status: SignerCertificateStatus
    }

    /// Adds a signer notice for `verified` when its certificate needs a look, once per serial.
    mutating func noteSigner(_ verified: VerifiedReport) {
        guard verified.signerCertificate.state != .valid, !signers.contains(where: { $0.serial == verified.signer.serial }) else { return }
        let signer = verified.signer
        signers.append(SignerNotice(
            serial: signer.serial, siren: signer.siren, entityName: signer.entityName, host: signer.host, status: verified.signerCertificate))
    }
}

/// Progress of a running ingest, for a progress bar.
public struct IngestProgress: Sendable {
    public var done: Int
    public var total: Int
    public var rejected: Int
    public var elapsed: Double
}

/// Verifies report files and stores the verified ones.
///
/// Each file is verified by `ReportVerifier` exactly as `cyberctl verify` does, on every core; the
/// verified reports of a batch are written in one transaction (a report is stored with all its
/// results or not at all: a killed ingest loses nothing committed and leaves nothing partial).
/// Files are only ever opened read-only: a refused file is recorded, never moved, changed or deleted.
public struct Ingest: Sendable {
    public let store: TerritoryStore
    public let verifier: ReportVerifier
    /// Reports per write transaction: 64 (fewer commits, each still all-or-nothing per report).
    public var batchSize: Int
    /// Verification threads: every core.
    public var workers: Int
    /// The ingest's "now" (rejection times, `ingestedAt`).
    public var clock: @Sendable () -> Date
    /// What `verifier` trusts, recorded with the files it verified (`KnownInboxFiles.trustKey`).
    let trustKey: String
    /// The reports handed over one at a time (`ingest(verified:document:path:)`) waiting to be written together.
    let group = GroupCommit()

    public init(store: TerritoryStore, verifier: ReportVerifier, batchSize: Int = 64, workers: Int? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.verifier = verifier
        self.batchSize = max(1, batchSize)
        self.workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.clock = clock
        trustKey = KnownInboxFiles.trustKey(verifier.trust)
    }

    enum Outcome: Sendable {
        /// Verified; `identity` is the files' as they were before being read (nil: not read from an inbox).
        case verified(ReportRecord, identity: FilePairIdentity?)
        case rejected(path: String, sha256: String, code: String, message: LocalizedText)
    }

    /// Verifies and stores `files`. A file stored by an earlier run whose report and signature still have the
    /// identity they had when read (`FileIdentity`: device, inode, size, mtime and ctime), verified then
    /// against the same CA certificates and CRLs, is not read again (`unchanged`), unless `rereadUnchanged`; its
    /// signer certificate is still judged, from the store. A new CRL or CA has every file read again once.
    /// - Parameters:
    ///   - rereadUnchanged: read, verify and store every file, as if none were known.
    ///   - progress: called after each batch is committed.
    /// - Throws: a database error when the store cannot be written (what was committed stays).
    public func run(
        _ allFiles: [InboxFile], rereadUnchanged: Bool = false, progress: (@Sendable (IngestProgress) -> Void)? = nil
    ) throws -> IngestSummary {
        let start = ContinuousClock.now
        var files = allFiles
        var unchanged: [String] = []
        if !rereadUnchanged {
            let known = try store.read { try KnownInboxFiles.load($0, trustKey: trustKey) }
            if !known.isEmpty {
                files = allFiles.filter { file in
                    guard let entry = known[file.reportPath], FilePairIdentity(file) == entry.identity else { return true }
                    unchanged.append(entry.sha256)
                    return false
                }
            }
        }
        let state = IngestState(found: allFiles.count, toRead: files.count)
        let writer = DispatchQueue(label: "territory.ingest.writer")
        let inFlight = DispatchSemaphore(value: 2)
        var index = 0
        while index < files.count {
            if state.failure != nil { break }
            let batch = Array(files[index..<min(index + batchSize, files.count)])
            index += batch.count
            let outcomes = verify(batch)
            inFlight.wait()
            writer.async {
                defer { inFlight.signal() }
                guard state.failure == nil else { return }
                do {
                    try write(outcomes, state: state)
                    if let progress {
                        let elapsed = ContinuousClock.now - start
                        progress(state.progress(elapsed: Self.seconds(elapsed)))
                    }
                } catch {
                    state.fail(error)
                }
            }
        }
        writer.sync {}
        if let failure = state.failure { throw failure }
        var summary = state.summary
        summary.unchanged = unchanged.count
        if !unchanged.isEmpty {
            let notices = try store.read { try KnownInboxFiles.signerNotices($0, sha256s: unchanged, now: clock()) }
            for notice in notices where !summary.signers.contains(where: { $0.serial == notice.serial }) { summary.signers.append(notice) }
        }
        // The reports stored before a revocation, matched against the CRLs this run trusts (the files just refused are
        // not enough: a file gone from the inbox is never read again, while its report would keep speaking).
        summary.withdrawn = try store.withdrawRevokedReports(trust: verifier.trust, now: clock())
        summary.seconds = Self.seconds(ContinuousClock.now - start)
        return summary
    }

    /// What became of one report handed over already verified (`ingest(verified:document:path:)`).
    public enum SingleOutcome: Sendable, Equatable {
        /// Newly stored; `latest` when it is now its host's latest report.
        case stored(latest: Bool)
        /// The same bytes were stored before: nothing written.
        case alreadyStored
        /// Refused and recorded as a rejection: a `RejectionCode` (`report-id-conflict`, `report-invalid`) and why,
        /// French and English.
        case rejected(code: String, message: LocalizedText)
    }

    /// Stores one report that `verifier` already verified (the collector's path: it verified the bytes
    /// it received), exactly as `run` stores a verified file: the same bytes twice are stored once, a report id
    /// reused with other bytes is refused and recorded.
    ///
    /// Group commit: reports handed over at the same moment by several threads (the collector's verification
    /// threads) are written in one transaction by whichever of those threads finds the store free, up to
    /// `batchSize`; the others wait for it. A report is still stored with all its results or not at all, and a
    /// group whose transaction fails is written again one report per transaction, so one report's failure is
    /// never another's. With one caller at a time, each report has its own transaction, as before.
    /// - Parameters:
    ///   - path: where the report is (or will be) kept, recorded as its source.
    ///   - recordingRejection: false when the caller refuses the report rather than keeping its file
    ///     (the collector does not store a report the store refuses): nothing is then written to
    ///     `rejection` for a path that will never exist.
    /// - Throws: a database error when the store cannot be written (nothing is half-written).
    public func ingest(verified: VerifiedReport, document: JSONValue, path: String, recordingRejection: Bool = true) throws -> SingleOutcome {
        let outcome: Outcome
        do {
            outcome = .verified(try ReportRecord(verified: verified, document: document, path: path), identity: nil)
        } catch {
            outcome = .rejected(path: path, sha256: verified.reportSHA256, code: error.code, message: error.message)
        }
        let result = try group.submit(GroupCommit.Pending(outcome: outcome, recordingRejection: recordingRejection), limit: batchSize) { batch in
            do {
                return try write(batch.map(\.outcome), recordingRejections: batch.map(\.recordingRejection)).map { .success($0) }
            } catch where batch.count > 1 {
                return batch.map { pending in
                    Result { try write([pending.outcome], recordingRejections: [pending.recordingRejection])[0] }
                }
            } catch {
                return [.failure(error)]
            }
        }
        // The caller's answer goes to the agent: the conflict is said without the stored report's file and SHA-256
        // (the recorded rejection keeps them for the RSSI).
        if case .rejected(RejectionCode.reportIDConflict, _) = result {
            return .rejected(code: RejectionCode.reportIDConflict, message: LocalizedText(
                fr: "l'identifiant de rapport \(verified.reportID) est déjà enregistré avec un autre contenu",
                en: "report id \(verified.reportID) is already stored with other content"))
        }
        return result
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Verifies a batch on `workers` threads; outcomes in the batch's order.
    func verify(_ batch: [InboxFile]) -> [Outcome] {
        let slots = Slots<Outcome>(count: batch.count)
        let next = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: min(workers, batch.count)) { _ in
            while true {
                let i = next.increment()
                guard i < batch.count else { return }
                slots[i] = verify(batch[i])
            }
        }
        return slots.values
    }

    func verify(_ file: InboxFile) -> Outcome {
        // Taken before reading: a file changed while it is read has another identity at the next run.
        let identity = FilePairIdentity(file)
        let reportBytes: [UInt8]
        let signatureBytes: [UInt8]
        do {
            (reportBytes, signatureBytes) = try ReportVerifier.readPair(reportPath: file.reportPath, signaturePath: file.signaturePath)
        } catch let failure as VerificationFailure {
            // The report is readable when only its signature is missing or too large: fingerprint it.
            let sha = (try? TrustFiles.read(file.reportPath, limit: TrustFiles.maximumReportBytes, what: LocalizedText(fr: "rapport", en: "report"))).map(Digest.sha256Hex) ?? ""
            return .rejected(path: file.reportPath, sha256: sha, code: failure.code.rawValue, message: failure.text)
        } catch let error as InputError {
            return .rejected(path: file.reportPath, sha256: "", code: RejectionCode.reportUnreadable, message: error.fullText)
        } catch {
            return .rejected(path: file.reportPath, sha256: "", code: RejectionCode.reportUnreadable, message: .verbatim("\(error)"))
        }
        do {
            let (verified, document) = try verifier.verifyDocument(reportBytes: reportBytes, signatureBytes: signatureBytes)
            return .verified(try ReportRecord(verified: verified, document: document, path: file.reportPath), identity: identity)
        } catch let failure as VerificationFailure {
            return .rejected(path: file.reportPath, sha256: Digest.sha256Hex(reportBytes), code: failure.code.rawValue, message: failure.text)
        } catch let invalid as ReportRecord.Invalid {
            return .rejected(path: file.reportPath, sha256: Digest.sha256Hex(reportBytes), code: invalid.code, message: invalid.message)
        } catch {
            return .rejected(path: file.reportPath, sha256: Digest.sha256Hex(reportBytes), code: RejectionCode.reportInvalid, message: .verbatim("\(error)"))
        }
    }

    /// Writes one batch in one write transaction and adds it to `state`.
    func write(_ outcomes: [Outcome], state: IngestState) throws {
        let results = try write(outcomes, recordingRejections: Array(repeating: true, count: outcomes.count))
        var delta = IngestSummary()
        for (outcome, result) in zip(outcomes, results) {
            switch result {
            case .stored(let latest):
                delta.stored += 1
                if !latest { delta.storedAsHistory += 1 }
            case .alreadyStored:
                delta.alreadyStored += 1
            case .rejected(let code, _):
                delta.rejected += 1
                delta.rejectedByCode[code, default: 0] += 1
            }
            if case .verified(let record, _) = outcome {
                switch result {
                case .stored, .alreadyStored:
                    delta.noteSigner(record.verified)
                    for warning in record.verified.warnings { delta.noteWarning(warning, path: record.path) }
                case .rejected: break
                }
            }
        }
        state.add(delta, done: outcomes.count)
    }

    /// Writes `outcomes` in one write transaction (all or none), recording the refusals of those whose
    /// `recordingRejections` is true; what became of each, in order.
    /// - Throws: a database error when the store cannot be written (nothing of the batch is written).
    func write(_ outcomes: [Outcome], recordingRejections: [Bool]) throws -> [SingleOutcome] {
        let now = Int(clock().timeIntervalSince1970)
        let crlsIssued = Self.crlsIssued(verifier.trust)
        return try store.write { db in
            var results: [SingleOutcome] = []
            results.reserveCapacity(outcomes.count)
            // Entities whose per-rule totals the batch changed: each recomputed once, at the end of the transaction
            // (once per report, an entity of five hosts was recomputed five times in a batch: ingest took twice the CPU).
            var staleTotals = Set<String>()
            for (outcome, recording) in zip(outcomes, recordingRejections) {
                switch outcome {
                case .rejected(let path, let sha, let code, let message):
                    if recording { try Self.reject(db, path: path, sha256: sha, code: code, message: message, now: now) }
                    try KnownInboxFiles.forget(db, path: path)
                    results.append(.rejected(code: code, message: message))
                case .verified(let record, let identity):
                    let insertion = try Self.insert(db, record, now: now, crlsIssued: crlsIssued, staleTotals: &staleTotals)
                    if case .refused = insertion {
                        try KnownInboxFiles.forget(db, path: record.path)
                    } else {
                        if let identity {
                            try KnownInboxFiles.record(db, path: record.path, sha256: record.verified.reportSHA256, trustKey: trustKey, identity: identity)
                        }
                        // Accepted now: an earlier refusal of these same bytes, or of this file (a copy cut
                        // short, then completed), is resolved.
                        try db.execute(
                            sql: "UPDATE rejection SET resolvedAt = ? WHERE (sha256 = ? OR path = ?) AND resolvedAt IS NULL",
                            arguments: [now, record.verified.reportSHA256, record.path])
                    }
                    switch insertion {
                    case .alreadyStored:
                        results.append(.alreadyStored)
                    case .stored(let latest):
                        results.append(.stored(latest: latest))
                    case .refused(let code, let message):
                        if recording {
                            try Self.reject(db, path: record.path, sha256: record.verified.reportSHA256, code: code, message: message, now: now)
                        }
                        results.append(.rejected(code: code, message: message))
                    }
                }
            }
            for siren in staleTotals.sorted() { try RuleTotals.refresh(db, siren: siren) }
            try HostCaps.refresh(db, outcomes: outcomes, results: results)
            try LatestCertificates.refresh(db, sirens: staleTotals.sorted())
            try TrendDays.refresh(db, outcomes: outcomes, results: results)
            try EntityJudgements.refresh(db, outcomes: outcomes, results: results, also: staleTotals, now: now)
            return results
        }
    }

    /// Records a refusal: `message` in English (`message`) and French (`messageFr`, migration `v7-rejection-message-fr`).
    static func reject(_ db: any SQLConnection, path: String, sha256: String, code: String, message: LocalizedText, now: Int) throws {
        try db.execute(sql: """
            INSERT INTO rejection (path, sha256, code, message, messageFr, firstSeen, lastSeen, seen) VALUES (?, ?, ?, ?, ?, ?, ?, 1)
            ON CONFLICT (path, sha256) DO UPDATE SET code = excluded.code, message = excluded.message, messageFr = excluded.messageFr,
                lastSeen = excluded.lastSeen, seen = rejection.seen + 1, resolvedAt = NULL
            """, arguments: [path, sha256, code, message.en, message.fr, now, now])
    }

    enum Insertion {
        case stored(latest: Bool)
        case alreadyStored
        /// Not stored, with the refusal's code: `report-id-conflict` (the same report id with other bytes) or
        /// `report-withdrawn` (these bytes were withdrawn after their signer's revocation).
        case refused(code: String, message: LocalizedText)
    }

    /// Why `record` is refused when the store withdrew reports of its signer certificate before (`report_withdrawal`:
    /// serial, issuer, reason, revocation date), nil when it did not or when that revocation does not refuse it:
    /// - the reasons that refuse every report (keyCompromise, unspecified … `CertificateRevocationList.Reason.voidsEarlierSignatures`) refuse
    ///   this one, and a dated reason (superseded …) one signed at or after the revocation date (the rule of
    ///   `ReportVerifier.revocationRefuses`, applied to what the store saw);
    /// - except a `certificateHold` (the one reversible reason, RFC 5280 §5.3.1) when `crlsIssued` holds a CRL of the
    ///   signer's issuer issued after the withdrawal: the report verified under it, so that newer CRL lifted the hold.
    /// The store's memory outlives the CRL it was given: an older CRL (a backup restored, a replayed file: every CRL
    /// the CA ever signed verifies), a regenerated one that lost the entry, or none at all would otherwise accept
    /// again a stolen key's old reports, or new ones, and put its commune back at a level it never earned.
    static func withdrawnSigner(_ db: any SQLConnection, _ record: ReportRecord, crlsIssued: [String: Int]) throws -> LocalizedText? {
        let signer = record.verified.signer
        let rows = try db.fetchRows(
            sql: "SELECT reason, revokedAt, withdrawnAt FROM report_withdrawal WHERE signerSerial = ? AND signerIssuer = ? ORDER BY withdrawnAt",
            arguments: [signer.serial, signer.issuer])
        for row in rows {
            let reason: String = row["reason"]
            let revokedAt: Int = row["revokedAt"]
            let withdrawnAt: Int = row["withdrawnAt"]
            let every = (CertificateRevocationList.Reason(name: reason) ?? .unspecified).voidsEarlierSignatures
            guard every || record.signingTime >= revokedAt else { continue }
            if reason == "certificateHold", let issued = crlsIssued[signer.issuer], issued > withdrawnAt { continue }
            let since = PeopleTime.string(iso: ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(revokedAt))))
            return LocalizedText(
                fr: "certificat signataire n° \(signer.serial) (émis par \(signer.issuer)) révoqué le \(since), motif \(reason), et des rapports qu'il a signés déjà retirés de la base : "
                    + "ce rapport n'est pas repris, même vérifié avec une CRL plus ancienne, régénérée sans cette révocation, ou sans CRL (copiez la dernière CRL : cyberctl pki crl)",
                en: "signer certificate serial \(signer.serial) (issued by \(signer.issuer)) revoked on \(since), reason \(reason), and reports it signed already withdrawn from the store: "
                    + "this report is not taken, even when verified with an older CRL, one regenerated without this revocation, or no CRL (copy the latest CRL: cyberctl pki crl)")
        }
        return nil
    }

    /// Per CRL issuer (its name as `report.signerIssuer` stores a signer's issuer), the newest thisUpdate (Unix seconds)
    /// among the CRLs `trust` holds.
    static func crlsIssued(_ trust: TrustAnchors) -> [String: Int] {
        var issued: [String: Int] = [:]
        for crl in trust.revocationLists {
            guard let thisUpdate = crl.thisUpdate else { continue }
            let seconds = Int(thisUpdate.timeIntervalSince1970.rounded(.down))
            issued[crl.issuerName.displayText] = max(issued[crl.issuerName.displayText] ?? seconds, seconds)
        }
        return issued
    }

    /// Stores `record` (see `Insertion`); adds its entity to `staleTotals` when the report became one of its host's two
    /// newest, whose per-rule totals (`RuleTotals.refresh`) the caller recomputes before the transaction commits.
    ///
    /// A report whose signer certificate the store once withdrew reports of (`report_withdrawal`) is refused
    /// (`certificate-revoked`) as that revocation refuses reports (`withdrawnSigner`), whatever trust verified it.
    static func insert(
        _ db: any SQLConnection, _ record: ReportRecord, now: Int, crlsIssued: [String: Int] = [:], staleTotals: inout Set<String>
    ) throws -> Insertion {
        let verified = record.verified
        // One look-up for both (one round trip on PostgreSQL): the same bytes (the SHA-256 is unique), or the same
        // report id with other bytes.
        let known = try db.fetchRows(
            sql: "SELECT sha256, sourcePath FROM report WHERE sha256 = ? OR id = ?", arguments: [verified.reportSHA256, verified.reportID])
        if known.contains(where: { ($0["sha256"] as String) == verified.reportSHA256 }) {
            return .alreadyStored
        }
        if let row = known.first {
            let sha: String = row["sha256"]
            let source: String = row["sourcePath"]
            return .refused(code: RejectionCode.reportIDConflict, message: LocalizedText(
                fr: "l'identifiant de rapport \(verified.reportID) est déjà enregistré avec un autre contenu (SHA-256 \(sha), venu de \(source)) ; le SHA-256 de ce fichier est \(verified.reportSHA256)",
                en: "report id \(verified.reportID) is already stored with other content (SHA-256 \(sha), from \(source)); this file's SHA-256 is \(verified.reportSHA256)"))
        }
        // Its signer's reports were withdrawn before: refused as that revocation refuses them (see above).
        if let refusal = try Self.withdrawnSigner(db, record, crlsIssued: crlsIssued) {
            return .refused(code: VerificationFailure.Code.certificateRevoked.rawValue, message: refusal)
        }
        let entity = record.entity
        // The entity's descriptive fields follow its newest report.
        try db.execute(sql: """
            INSERT INTO entity (siren, name, insee, kind, population, departement, region, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (siren) DO UPDATE SET name = excluded.name, insee = excluded.insee, kind = excluded.kind,
                population = excluded.population, departement = excluded.departement, region = excluded.region,
                updatedAt = excluded.updatedAt
            WHERE excluded.updatedAt >= entity.updatedAt
            """, arguments: [
                entity.siren, entity.name, entity.insee, entity.kind, entity.population, entity.departement, entity.region, record.generatedAt,
            ])
        try db.execute(
            sql: "INSERT INTO host (siren, hostname) VALUES (?, ?) ON CONFLICT (siren, hostname) DO NOTHING", arguments: [entity.siren, record.hostname])
        guard let host = try db.fetchRow(sql: """
                SELECT h.id, h.latestReportKey, r.generatedAt, r.signingTime, r.id AS reportID FROM host h LEFT JOIN report r ON r.key = h.latestReportKey
                WHERE h.siren = ? AND h.hostname = ?
                """, arguments: [entity.siren, record.hostname])
        else { throw StoreInconsistency("host row missing after insert") }
        let hostID: Int64 = host["id"]
        let signer = verified.signer
        // Kept in English, as before warnings had a French text (no view shows them; `cyberctl verify` does).
        let warnings = JSONText.encode(.array(verified.warnings.map { .string($0.en) }))
        guard let key = try db.fetchOne(Int64.self, sql: """
            INSERT INTO report (id, sha256, hostID, siren, generatedAt, signingTime, signerSubject, signerSerial, signerIssuer,
                signerFingerprint, signerNotAfter, profile, profileSHA256, agentVersion, osID, osVersion, kernel, score, level,
                coverage, resultCount, scoredCount, sourcePath, warnings, ingestedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            RETURNING key
            """, arguments: [
                verified.reportID, verified.reportSHA256, hostID, entity.siren, record.generatedAt, record.signingTime,
                signer.subject, signer.serial, signer.issuer, signer.fingerprint,
                signer.notAfter.map { Int($0.timeIntervalSince1970) }, record.profile, record.profileSHA256, record.agentVersion,
                record.osID, record.osVersion, record.kernel, record.summary.score, record.summary.level?.rawValue,
                record.summary.coverage, record.tally.total, record.tally.scored, record.path, warnings, now,
            ])
        else { throw StoreInconsistency("no key returned for the inserted report") }
        let domainStatement = try db.makeStatement(sql: """
            INSERT INTO report_domain (reportKey, domain, weight, earned, unverified, scored, failing, warning) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for domain in Domain.allCases where record.tally.weight[domain] != nil || record.failing[domain] != nil || record.warning[domain] != nil {
            try domainStatement.execute(arguments: [
                key, domain.rawValue, record.tally.weight[domain] ?? 0, record.tally.earned[domain] ?? 0,
                record.tally.unverified[domain] ?? 0, record.scoredByDomain[domain] ?? 0, record.failing[domain] ?? 0, record.warning[domain] ?? 0,
            ])
        }
        let findingStatement = try db.makeStatement(sql: """
            INSERT INTO report_finding (reportKey, code, domain, failing, warning, severity, deficit) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for (code, sum) in record.findings {
            try findingStatement.execute(arguments: [key, code, sum.domain?.rawValue, sum.failing, sum.warning, sum.severity.rawValue, sum.deficit])
        }
        try insertFacts(db, report: key, record.capFacts)
        let resultStatement = try db.makeStatement(sql: """
            INSERT INTO result (reportKey, ordinal, "check", target, code, domain, status, severity, evidence, "references", reason, reasonFr, durationMs)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // The values built directly (a report's ~60 rows are most of ingest's bindings): an array literal of
        // `SQLValueConvertible` boxes every value in an existential first.
        for (ordinal, row) in record.results.enumerated() {
            try resultStatement.execute(arguments: SQLArguments([
                .integer(key), .integer(Int64(ordinal)), .text(row.check), .text(row.target), .text(row.code),
                row.domain.map { .text($0.rawValue) } ?? .null, .text(row.status.rawValue), .text(row.severity.rawValue),
                .text(row.evidence), .text(row.references), row.reason.sqlValue, row.reasonFr.sqlValue, .integer(Int64(row.durationMs)),
            ]))
        }
        // Latest only moves forward: generated later, then signed later, then the greater id.
        let newer: Bool
        if let latestTime: Int = host["generatedAt"] {
            let latestSigning: Int = host["signingTime"]
            let latestID: String = host["reportID"]
            newer = (record.generatedAt, record.signingTime, verified.reportID) > (latestTime, latestSigning, latestID)
        } else {
            newer = true
        }
        if newer {
            try db.execute(sql: "UPDATE host SET latestReportKey = ?, latestGeneratedAt = ? WHERE id = ?", arguments: [key, record.generatedAt, hostID])
            // The entity's sums: the host's previous latest report out, this one in.
            if let previous: Int64 = host["latestReportKey"] { try moveEntitySums(db, siren: entity.siren, report: previous, sign: -1) }
            try moveEntitySums(db, siren: entity.siren, report: key, sign: 1)
        }
        // The entity's per-rule totals, when this report is its host's latest or previous one (a late, older report
        // may become the previous one, which the findings compare the latest with).
        if !staleTotals.contains(entity.siren), try newer || RuleTotals.isLatestOrPrevious(db, report: key, host: hostID) {
            staleTotals.insert(entity.siren)
        }
        return .stored(latest: newer)
    }
}

/// Adds (`sign` 1) or removes (`sign` −1) report `report`'s domain sums and result counts to its entity's.
func moveEntitySums(_ db: any SQLConnection, siren: String, report: Int64, sign: Int) throws {
    try db.execute(sql: """
        INSERT INTO entity_domain (siren, domain, weight, earned, unverified, failing, warning)
        SELECT ?, domain, ? * weight, ? * earned, ? * unverified, ? * failing, ? * warning FROM report_domain WHERE reportKey = ?
        ON CONFLICT (siren, domain) DO UPDATE SET weight = entity_domain.weight + excluded.weight, earned = entity_domain.earned + excluded.earned,
            unverified = entity_domain.unverified + excluded.unverified, failing = entity_domain.failing + excluded.failing,
            warning = entity_domain.warning + excluded.warning
        """, arguments: [siren, sign, sign, sign, sign, sign, report])
    try db.execute(sql: """
        UPDATE entity SET latestResults = latestResults + ? * (SELECT resultCount FROM report WHERE key = ?),
            latestScored = latestScored + ? * (SELECT scoredCount FROM report WHERE key = ?)
        WHERE siren = ?
        """, arguments: [sign, report, sign, report, siren])
}

/// The store holds rows that contradict each other (a bug, or a store changed by hand): what ingest expected to
/// find right after writing it is not there.
struct StoreInconsistency: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Group commit of reports handed over one at a time by several threads (`Ingest.ingest(verified:…)`): the
/// first caller to find no write in progress writes everything waiting (up to a limit) in one transaction, the
/// others wait for their result. Nobody waits for a timer: an idle store writes a report at once.
final class GroupCommit: @unchecked Sendable {
    /// One report waiting, and its fate once written.
    final class Pending {
        let outcome: Ingest.Outcome
        let recordingRejection: Bool
        /// Set under the condition's lock.
        var result: Result<Ingest.SingleOutcome, any Error>?

        init(outcome: Ingest.Outcome, recordingRejection: Bool) {
            self.outcome = outcome
            self.recordingRejection = recordingRejection
        }
    }

    private let condition = NSCondition()
    private var waiting: [Pending] = []
    private var writing = false

    /// How many reports wait for a write (tests).
    var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting.count
    }

    /// Queues `pending` and returns its result once a write took it: this thread's (`write` gets at most
    /// `limit` reports, oldest first, and returns one result per report, in order), or another's.
    /// - Throws: what `write` returned as this report's failure.
    func submit(
        _ pending: Pending, limit: Int, write: ([Pending]) -> [Result<Ingest.SingleOutcome, any Error>]
    ) throws -> Ingest.SingleOutcome {
        condition.lock()
        waiting.append(pending)
        while pending.result == nil {
            if writing {
                condition.wait()
                continue
            }
            writing = true
            let batch = Array(waiting.prefix(max(1, limit)))
            waiting.removeFirst(batch.count)
            condition.unlock()
            var results = write(batch)
            if results.count != batch.count {
                // A write that failed as a whole answers once for all.
                results = Array(repeating: results.first ?? .failure(StoreInconsistency("no result for a report of the group")), count: batch.count)
            }
            condition.lock()
            for (item, result) in zip(batch, results) { item.result = result }
            writing = false
            condition.broadcast()
        }
        let result = pending.result!
        condition.unlock()
        return try result.get()
    }
}

/// Shared counters of a running ingest.
final class IngestState: @unchecked Sendable {
    private let lock = NSLock()
    private var _summary: IngestSummary
    private var done = 0
    private var _failure: (any Error)?

    /// `found` files in all, `toRead` of them read (the progress total); the same by default.
    init(found: Int, toRead: Int? = nil) {
        _summary = IngestSummary()
        _summary.found = found
        total = toRead ?? found
    }

    private let total: Int

    var summary: IngestSummary { lock.withLock { _summary } }
    var failure: (any Error)? { lock.withLock { _failure } }

    func fail(_ error: any Error) { lock.withLock { if _failure == nil { _failure = error } } }

    func add(_ delta: IngestSummary, done count: Int) {
        lock.withLock {
            _summary.stored += delta.stored
            _summary.alreadyStored += delta.alreadyStored
            _summary.storedAsHistory += delta.storedAsHistory
            _summary.rejected += delta.rejected
            for (code, n) in delta.rejectedByCode { _summary.rejectedByCode[code, default: 0] += n }
            for notice in delta.signers where !_summary.signers.contains(where: { $0.serial == notice.serial }) {
                _summary.signers.append(notice)
            }
            for warning in delta.warnings {
                _summary.noteWarning(LocalizedText(fr: warning.fr, en: warning.en), path: warning.example, reports: warning.reports)
            }
            _summary.otherWarnings += delta.otherWarnings
            done += count
        }
    }

    func progress(elapsed: Double) -> IngestProgress {
        lock.withLock { IngestProgress(done: done, total: total, rejected: _summary.rejected, elapsed: elapsed) }
    }
}

/// Fixed slots written by index from several threads (each index by one thread only), read after.
package final class Slots<T>: @unchecked Sendable {
    private var storage: [T?]
    private let lock = NSLock()

    package init(count: Int) { storage = Array(repeating: nil, count: count) }

    package subscript(index: Int) -> T? {
        get { lock.withLock { storage[index] } }
        set { lock.withLock { storage[index] = newValue } }
    }

    package var values: [T] { lock.withLock { storage.map { $0! } } }
}

/// A thread-safe counter handing out 0, 1, 2 …
package final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    package init() {}

    package func increment() -> Int {
        lock.withLock {
            defer { value += 1 }
            return value
        }
    }
}
