import FoundationEssentials
import FoundationGaps
import OpenSSLKit

/// What a verifier remembers about signer certificates, keyed by their exact DER bytes: the decoded
/// certificate, its identity and display fields, and the window in which its chain to the trusted CA
/// verified. Consolidation checks many reports from the same few hundred agents; decoding and
/// chain-building once per certificate rather than once per report is most of the verification cost.
///
/// Only successful chain verifications are remembered, and only for the intersection of the validity
/// periods of the chain's certificates: with a fixed trust store, `X509_verify_cert` gives the same
/// answer at any time inside that window. Revocation is never cached. Bounded to `capacity` entries
/// (cleared when full).
final class CertificateCache: @unchecked Sendable {
    struct Entry: Sendable {
        let certificate: X509Certificate
        let identity: Result<AgentIdentity, AgentIdentity.IdentityProblem>
        let subject: String
        let issuer: String
        let serial: String
        let notBefore: Date?
        let notAfter: Date?
        let fingerprint: String
        let isCertificateAuthority: Bool
        let keyUsage: [String]?
        /// The window in which the chain verified; nil when never verified.
        let chainWindow: ClosedRange<Date>?

        func chainHolds(at time: Date) -> Bool { chainWindow?.contains(time) ?? false }
    }

    static let capacity = 10_000
    private let lock = Lock()
    private var entries: [[UInt8]: Entry] = [:]

    /// The entry for these certificate bytes, when its chain verified before.
    func entry(for der: ArraySlice<UInt8>) -> Entry? {
        let key = Array(der)
        return lock.withLock { entries[key] }
    }

    /// Facts about `certificate` (not remembered: used when the chain was not cached).
    func entry(for certificate: X509Certificate) -> Entry { Self.facts(certificate, chainWindow: nil) }

    /// Remembers `certificate`, whose chain `chain` (leaf first) just verified.
    func remember(_ certificate: X509Certificate, der: [UInt8]?, chain: [X509Certificate]) {
        guard let der else { return }
        let starts = chain.compactMap(\.notBefore)
        let ends = chain.compactMap(\.notAfter)
        guard starts.count == chain.count, ends.count == chain.count, let from = starts.max(), let until = ends.min(), from <= until else { return }
        let entry = Self.facts(certificate, chainWindow: from...until)
        lock.withLock {
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[der] = entry
        }
    }

    static func facts(_ certificate: X509Certificate, chainWindow: ClosedRange<Date>?) -> Entry {
        Entry(
            certificate: certificate, identity: AgentIdentity.from(certificate.subjectName), subject: certificate.subjectName.displayText,
            issuer: certificate.issuerName.displayText, serial: certificate.serialNumberHex, notBefore: certificate.notBefore,
            notAfter: certificate.notAfter, fingerprint: certificate.sha256Fingerprint, isCertificateAuthority: certificate.isCertificateAuthority,
            keyUsage: certificate.keyUsage, chainWindow: chainWindow)
    }
}
