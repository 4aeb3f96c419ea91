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
/// verifier consolidation uses) and loaded again when one of the files changes on disk (its
/// modification time or size), so a CRL refreshed by `cyberctl pki revoke` / `pki crl` and copied
/// over the old one takes effect without a restart. A file that no longer loads keeps the previous
/// trust in force (logged), rather than opening the door or closing it on everyone.
public final class CollectorTrust: @unchecked Sendable {
    public let caFile: String
    public let crlFiles: [String]
    private let lock = NSLock()
    private var current: ReportVerifier
    private var stamps: [FileStamp]
    private var lastCheck: ContinuousClock.Instant
    /// How often the files are looked at: at most once a second.
    static let checkInterval: Duration = .seconds(1)

    struct FileStamp: Equatable {
        var modified: timespec
        var size: Int
        static func == (a: FileStamp, b: FileStamp) -> Bool {
            a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec && a.size == b.size
        }
    }

    /// - Throws: `InputError` naming the CA or CRL file that does not load.
    public init(caFile: String, crlFiles: [String]) throws(InputError) {
        self.caFile = caFile
        self.crlFiles = crlFiles
        current = ReportVerifier(trust: try TrustAnchors.load(caFile: caFile, crlFiles: crlFiles))
        stamps = Self.stamps([caFile] + crlFiles)
        lastCheck = .now
    }

    /// The verifier in force, reloaded first when a file changed. `reloaded` is called with the
    /// outcome of a reload (nil error: the new trust is in force).
    public func verifier(reloaded: ((String?) -> Void)? = nil) -> ReportVerifier {
        lock.lock()
        defer { lock.unlock() }
        let now = ContinuousClock.now
        guard now - lastCheck >= Self.checkInterval else { return current }
        lastCheck = now
        let fresh = Self.stamps([caFile] + crlFiles)
        guard fresh != stamps else { return current }
        stamps = fresh
        do {
            current = ReportVerifier(trust: try TrustAnchors.load(caFile: caFile, crlFiles: crlFiles))
            reloaded?(nil)
        } catch {
            reloaded?(error.description)
        }
        return current
    }

    static func stamps(_ paths: [String]) -> [FileStamp] {
        paths.map { path in
            var status = stat()
            guard stat(path, &status) == 0 else { return FileStamp(modified: timespec(), size: -1) }
            return FileStamp(modified: status.st_mtim, size: Int(status.st_size))
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
