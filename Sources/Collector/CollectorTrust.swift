import Agent
import Checks
import Foundation
import Model
import OpenSSLKit
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// The collector's trust: the CA file and CRL files, loaded once into a `ReportVerifier` (the very
/// verifier consolidation uses) and loaded again when one of the files changes on disk (its device, inode,
/// size, modification or change time: a file copied over the old one, or moved in its place, with its
/// modification time kept, is still seen), so a CRL refreshed by `cyberctl pki revoke` / `pki crl` and copied
/// over the old one takes effect without a restart. A file that no longer loads keeps the previous trust in
/// force (reported by `check`), rather than opening the door or closing it on everyone; it is not loaded again
/// until it changes again.
///
/// Who looks: the collector's trust watch every `checkInterval` (`check(force: true)`, on a thread of its own,
/// whether or not requests come), and each request (`check()`, at most once per `checkInterval`). Each reload
/// raises `generation`, so that an upload verified with an older trust can tell, once stored, that the
/// revocations must be applied again (`Collector.process`).
public final class CollectorTrust: @unchecked Sendable {
    public let caFile: String
    public let crlFiles: [String]
    /// Guards `current`, `currentGeneration` and `lastCheck`: held for a swap or a read, never for file work.
    private let lock = NSLock()
    /// Held by the one thread looking at the files (and reloading them); `stamps` is read and written under it.
    private let checking = NSLock()
    private var current: ReportVerifier
    private var currentGeneration = 0
    private var stamps: [FileStamp]
    private var lastCheck: ContinuousClock.Instant
    /// How often the files are looked at: every second by the collector's trust watch, and on a request at most
    /// once a second.
    public static let checkInterval: Duration = .seconds(1)

    struct FileStamp: Equatable {
        var device: UInt64
        var inode: UInt64
        var modified: timespec
        var changed: timespec
        var size: Int
        static func == (a: FileStamp, b: FileStamp) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }
    }

    /// What a look at the files found.
    public enum Outcome: Sendable, Equatable {
        /// Not looked at (too soon, or another thread is looking), or looked at and unchanged.
        case unchanged
        /// Changed and loaded: the new trust is in force (`generation` raised).
        case reloaded
        /// Changed but does not load (the reason): the previous trust stays in force.
        case failed(String)
    }

    /// - Throws: `InputError` naming the CA or CRL file that does not load.
    public init(caFile: String, crlFiles: [String]) throws(InputError) {
        self.caFile = caFile
        self.crlFiles = crlFiles
        // Looked at before reading: a file changed while it is read is seen as changed at the next look.
        stamps = Self.stamps([caFile] + crlFiles)
        current = ReportVerifier(trust: try TrustAnchors.load(caFile: caFile, crlFiles: crlFiles))
        lastCheck = .now
    }

    /// The verifier in force, as it is (the files are not looked at).
    public var verifier: ReportVerifier { snapshot.verifier }

    /// The verifier in force and its generation (0 at start, one more at each reload).
    public var snapshot: (verifier: ReportVerifier, generation: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (current, currentGeneration)
    }

    /// The generation of the verifier in force.
    public var generation: Int { snapshot.generation }

    /// Looks at the files — when `checkInterval` has passed since the last look, or at once with `force` — and
    /// loads them again when one changed. Never waits for another thread's look: it then returns `.unchanged`
    /// (that thread reports what it finds). The files are read outside the lock that `snapshot` takes: uploads
    /// go on with the trust in force meanwhile.
    public func check(force: Bool = false) -> Outcome {
        guard checking.try() else { return .unchanged }
        defer { checking.unlock() }
        let now = ContinuousClock.now
        lock.lock()
        let due = force || now - lastCheck >= Self.checkInterval
        if due { lastCheck = now }
        lock.unlock()
        guard due else { return .unchanged }
        let fresh = Self.stamps([caFile] + crlFiles)
        guard fresh != stamps else { return .unchanged }
        // Recorded whatever the load gives: a file that does not load is not read again (nor reported again) until
        // it changes again.
        stamps = fresh
        do {
            let loaded = ReportVerifier(trust: try TrustAnchors.load(caFile: caFile, crlFiles: crlFiles))
            if let problem = Self.rollback(from: verifier.trust, to: loaded.trust) { return .failed(problem) }
            lock.lock()
            current = loaded
            currentGeneration += 1
            lock.unlock()
            return .reloaded
        } catch {
            return .failed(error.description)
        }
    }

    /// Why `fresh` must not replace `inForce`: one of its CRLs is older (an earlier thisUpdate) than the CRL of the
    /// same issuer in force — an old CRL copied back (a backup restored, or replayed by someone who can write the
    /// file: every CRL the CA ever signed verifies) would accept again the agents revoked since. Nil when none is.
    /// A newer CRL that no longer lists a certificate (a hold lifted) is taken as any newer CRL.
    static func rollback(from inForce: TrustAnchors, to fresh: TrustAnchors) -> String? {
        for crl in fresh.revocationLists {
            let issuer = crl.issuerName.displayText
            guard let new = crl.thisUpdate,
                  let current = inForce.revocationLists.first(where: { $0.issuerName.displayText == issuer }),
                  let old = current.thisUpdate, new < old
            else { continue }
            return "the new CRL of \(issuer) was issued on \(ISO8601.string(from: new)), before the one in force (\(ISO8601.string(from: old))): an older CRL is not taken back, the trust in force stays (copy the latest CRL: cyberctl pki crl)"
        }
        return nil
    }

    static func stamps(_ paths: [String]) -> [FileStamp] {
        paths.map { path in
            var status = stat()
            guard stat(path, &status) == 0 else { return FileStamp(device: 0, inode: 0, modified: timespec(), changed: timespec(), size: -1) }
            return FileStamp(
                device: UInt64(status.st_dev), inode: UInt64(status.st_ino), modified: status.st_mtim, changed: status.st_ctim,
                size: Int(status.st_size))
        }
    }
}

/// Who is at the other end of the TLS connection: the agent certificate the handshake verified.
public struct ClientIdentity: Sendable, Equatable {
    public var commonName: String
    public var siren: String
    public var entityName: String
    /// Serial number, upper-case hex.
    public var serial: String
    /// SHA-256 fingerprint, colon-separated upper-case hex (the rate limit's key).
    public var fingerprint: String

    /// Reads the client certificate (DER, as the TLS handshake received and verified it against the
    /// CA) and checks what the handshake does not: that it is an agent certificate, and that no CRL
    /// of the trust revokes it (any reason: a revoked agent delivers nothing more).
    /// - Returns: the identity, or the 403 to answer.
    public static func check(der: [UInt8], trust: TrustAnchors, now: Date = Date()) -> Result<ClientIdentity, CollectorReply> {
        let certificate: X509Certificate
        do {
            certificate = try X509Certificate(derEncoded: der)
        } catch {
            return .failure(.forbidden("client-certificate-unreadable", french: "certificat client illisible", english: "unreadable client certificate"))
        }
        let identity: AgentIdentity
        switch AgentIdentity.from(certificate.subjectName) {
        case .success(let value): identity = value
        case .failure(let problem):
            return .failure(.forbidden(
                "not-agent-certificate",
                french: "le certificat client n'est pas un certificat d'agent (\(problem)) ; utiliser celui émis par cyberctl pki issue",
                english: "the client certificate is not an agent certificate (\(problem)); use the one issued by cyberctl pki issue"))
        }
        for crl in trust.revocationLists where crl.covers(certificate) {
            if let entry = crl.entry(for: certificate) {
                let date = ISO8601.string(from: entry.revocationDate)
                return .failure(.forbidden(
                    "certificate-revoked",
                    french: "le certificat de l'agent (série \(certificate.serialNumberHex), SIREN \(identity.siren)) est révoqué depuis le \(date) ; réinscrire l'agent (cyberctl enroll) et faire émettre un nouveau certificat",
                    english: "the agent certificate (serial \(certificate.serialNumberHex), SIREN \(identity.siren)) is revoked since \(date); enrol the agent again (cyberctl enroll) and have a new certificate issued"))
            }
        }
        return .success(ClientIdentity(
            commonName: identity.host, siren: identity.siren, entityName: identity.entityName, serial: certificate.serialNumberHex,
            fingerprint: certificate.sha256Fingerprint))
    }
}
