import FoundationEssentials
import Model
import OpenSSLKit

/// What cyberctl reads from one certificate, in plain values (no OpenSSL types).
public struct CertificateInfo: Sendable, Equatable, Codable {
    /// Subject in RFC 2253 form, as `openssl x509 -subject -nameopt RFC2253` prints it.
    public var subject: String
    public var issuer: String
    /// Subject alternative names, `DNS:…`, `IP Address:…`, `email:…`, `URI:…`.
    public var subjectAlternativeNames: [String]
    /// Common names of the subject, in order.
    public var commonNames: [String]
    /// Serial number, upper-case hexadecimal.
    public var serialNumber: String
    public var notBefore: Date?
    public var notAfter: Date?
    public var publicKey: PublicKeyDescription?
    /// Long name of the signature algorithm (`sha256WithRSAEncryption`).
    public var signatureAlgorithm: String
    /// Digest behind the signature (`SHA256`, `SHA1`), nil for Ed25519 or unknown.
    public var signatureDigest: String?
    /// Issuer equals subject and the signature verifies with the certificate's own key.
    public var selfSigned: Bool
    /// Basic constraints say CA.
    public var isCertificateAuthority: Bool
    /// SHA-256 of the DER encoding, `AB:CD:…`.
    public var sha256Fingerprint: String

    public init(_ certificate: X509Certificate) {
        subject = certificate.subject
        issuer = certificate.issuer
        subjectAlternativeNames = certificate.subjectAlternativeNames
        commonNames = certificate.subjectCommonNames
        serialNumber = certificate.serialNumberHex
        notBefore = certificate.notBefore
        notAfter = certificate.notAfter
        publicKey = certificate.publicKey
        signatureAlgorithm = certificate.signatureAlgorithm
        signatureDigest = certificate.signatureDigest
        selfSigned = certificate.isSelfSigned
        isCertificateAuthority = certificate.isCertificateAuthority
        sha256Fingerprint = certificate.sha256Fingerprint
    }

    /// The identifying facts, for the evidence of every result about this certificate.
    public func identityEvidence(sanLimit: Int = 20) -> [String: JSONValue] {
        var evidence: [String: JSONValue] = [
            "subject": .string(subject), "issuer": .string(issuer), "serial": .string(serialNumber),
            "sha256": .string(sha256Fingerprint), "signatureAlgorithm": .string(signatureAlgorithm),
            "selfSigned": .bool(selfSigned), "ca": .bool(isCertificateAuthority),
        ]
        if !subjectAlternativeNames.isEmpty {
            evidence["subjectAltNames"] = .strings(Array(subjectAlternativeNames.prefix(sanLimit)))
            if subjectAlternativeNames.count > sanLimit { evidence["subjectAltNameCount"] = .int(subjectAlternativeNames.count) }
        }
        if let notBefore { evidence["notBefore"] = .time(notBefore) }
        if let notAfter { evidence["notAfter"] = .time(notAfter) }
        if let key = publicKey {
            evidence["keyType"] = .string(key.algorithm)
            evidence["keyBits"] = .int(key.bits)
            if let curve = key.curve { evidence["curve"] = .string(curve) }
        }
        return evidence
    }
}
