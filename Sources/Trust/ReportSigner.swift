import FoundationEssentials
import Model
import OpenSSLKit

/// Signs reports with the agent's key: CMS SignedData (RFC 5652), detached, DER, SHA-256, the signer
/// certificate included, a signing-time attribute — the form `openssl cms -verify -binary` checks.
public final class ReportSigner: Sendable {
    public let certificate: X509Certificate
    let key: PrivateKey
    /// The signer's identity, read from its certificate.
    public let identity: AgentIdentity

    /// Loads the agent key and certificate.
    /// - Throws: `InputError`: a key readable by others (with the `chmod 600` to run), unreadable
    ///   files, a key that does not match the certificate, a certificate without an agent identity,
    ///   or a certificate not valid at `now`.
    public init(keyPath: String, certificatePath: String, now: Date = Date()) throws(InputError) {
        let key = try TrustFiles.readPrivateKey(keyPath)
        let certificate = try TrustFiles.readCertificate(certificatePath, what: LocalizedText(fr: "certificat de l'agent", en: "agent certificate"))
        guard key.matches(certificate) else {
            throw InputError(
                .invalidData, file: certificatePath, fr: "ce certificat ne correspond pas à la clé privée \(keyPath)",
                en: "this certificate does not match the private key \(keyPath)")
        }
        switch AgentIdentity.from(certificate.subjectName) {
        case .success(let identity): self.identity = identity
        case .failure(let problem):
            throw InputError(.invalidData, file: certificatePath, fr: "pas un certificat d'agent : \(problem.text.fr)", en: "not an agent certificate: \(problem.text.en)")
        }
        if let notAfter = certificate.notAfter, notAfter < now {
            throw InputError(
                .invalidData, file: certificatePath,
                fr: "certificat d'agent expiré le \(PeopleTime.string(from: notAfter)) ; les rapports qu'il signerait seraient refusés. Enrôlez à nouveau (cyberctl enroll --force) et faites émettre un nouveau certificat par le RSSI",
                en: "agent certificate expired on \(PeopleTime.string(from: notAfter)); reports signed with it would be refused. Enrol again (cyberctl enroll --force) and have the RSSI issue a new one")
        }
        if let notBefore = certificate.notBefore, notBefore > now {
            let start = PeopleTime.string(from: notBefore)
            throw InputError(
                .invalidData, file: certificatePath, fr: "certificat d'agent pas encore valide, avant le \(start) (vérifiez l'horloge)",
                en: "agent certificate not valid before \(start) (check the clock)")
        }
        self.key = key
        self.certificate = certificate
    }

    /// Detached CMS signature (DER) over exactly `bytes`.
    /// - Parameter signingTime: the signing-time attribute; nil for the system clock.
    public func sign(_ bytes: [UInt8], signingTime: Date? = nil) throws(OpenSSLError) -> [UInt8] {
        try CMSSignedData.signDetached(bytes, certificate: certificate, key: key, signingTime: signingTime).derEncoded()
    }

    /// A signer for a report given in pieces as it is written (`update` each piece, then `finish()`
    /// and `derEncoded()`): the same detached signature `sign` makes of the same bytes, without holding them.
    /// - Parameter signingTime: the signing-time attribute; nil for the system clock.
    public func detachedSigner(signingTime: Date? = nil) throws(OpenSSLError) -> CMSSignedData.DetachedSigner {
        try CMSSignedData.DetachedSigner(certificate: certificate, key: key, signingTime: signingTime)
    }

    /// `<report>.p7s`: where the signature of `reportPath` goes.
    public static func signaturePath(for reportPath: String) -> String { reportPath + ".p7s" }
}
