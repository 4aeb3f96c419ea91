internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// An X.509 v2 certificate revocation list held by libcrypto (`X509_CRL*`), freed in `deinit`.
public final class CertificateRevocationList: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_CRL_free(pointer) }

    /// CRLReason (RFC 5280 §5.3.1), named as in the RFC and in `openssl ca -crl_reason`.
    public enum Reason: Int, Sendable, CaseIterable, Codable {
        case unspecified = 0
        case keyCompromise = 1
        case cACompromise = 2
        case affiliationChanged = 3
        case superseded = 4
        case cessationOfOperation = 5
        case certificateHold = 6
        case removeFromCRL = 8
        case privilegeWithdrawn = 9
        case aACompromise = 10

        /// The RFC 5280 name (`keyCompromise`).
        public var name: String {
            switch self {
            case .unspecified: return "unspecified"
            case .keyCompromise: return "keyCompromise"
            case .cACompromise: return "cACompromise"
            case .affiliationChanged: return "affiliationChanged"
            case .superseded: return "superseded"
            case .cessationOfOperation: return "cessationOfOperation"
            case .certificateHold: return "certificateHold"
            case .removeFromCRL: return "removeFromCRL"
            case .privilegeWithdrawn: return "privilegeWithdrawn"
            case .aACompromise: return "aACompromise"
            }
        }

        /// Whether a revocation for this reason takes back every signature the key made, even those dated before the
        /// revocation: true for `keyCompromise`, `cACompromise`, `aACompromise`, `certificateHold`, `unspecified` (and an
        /// entry with no reason code, read as `unspecified`, RFC 5280 §5.3.1): a key known or suspected to be stolen, or
        /// revoked without a dated reason, vouches for no signature, since its holder chooses the signing time. False for
        /// `superseded`, `cessationOfOperation`, `affiliationChanged`, `privilegeWithdrawn` (the key was not suspected).
        /// `removeFromCRL` belongs to delta CRLs only: in a full CRL it says nothing dated, so it counts as true. The one rule shared by report verification (`ReportVerifier`), the
        /// withdrawal of stored reports (`WithdrawnReport`) and the CA's refusal to certify such a key again.
        public var voidsEarlierSignatures: Bool {
            switch self {
            case .superseded, .cessationOfOperation, .affiliationChanged, .privilegeWithdrawn: return false
            case .unspecified, .keyCompromise, .cACompromise, .certificateHold, .removeFromCRL, .aACompromise: return true
            }
        }

        /// Parses an RFC 5280 name, case-insensitively.
        public init?(name: String) {
            guard let match = Self.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
            self = match
        }
    }

    /// One revoked certificate.
    public struct Entry: Sendable, Equatable {
        /// Serial number, big-endian magnitude.
        public var serialNumber: [UInt8]
        public var revocationDate: Date
        /// Nil when the entry has no reasonCode extension (RFC 5280 says to treat it as unspecified).
        public var reason: Reason?

        public init(serialNumber: [UInt8], revocationDate: Date, reason: Reason?) {
            self.serialNumber = serialNumber
            self.revocationDate = revocationDate
            self.reason = reason
        }

        /// The serial number in upper-case hexadecimal, as `X509Certificate.serialNumberHex` (and `openssl x509 -serial`)
        /// writes a certificate's: two digits per byte, leading zero bytes left out, `0` for zero.
        public var serialNumberHex: String {
            let significant = serialNumber.drop { $0 == 0 }
            guard !significant.isEmpty else { return "0" }
            let digits = Array("0123456789ABCDEF")
            return String(significant.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
        }
    }

    /// Builds and signs a CRL (SHA-256) for `issuer`.
    /// - Parameters:
    ///   - thisUpdate / nextUpdate: the CRL's validity; relying parties fetch a new one after `nextUpdate`.
    ///   - number: the cRLNumber extension (RFC 5280 §5.2.3), increasing with each CRL.
    public static func build(
        issuer: X509Certificate, issuerKey: PrivateKey, thisUpdate: Date, nextUpdate: Date, number: UInt64, entries: [Entry]
    ) throws(OpenSSLError) -> CertificateRevocationList {
        guard let crl = X509_CRL_new() else { throw OpenSSLError.drain("allocating a CRL") }
        let list = CertificateRevocationList(owning: crl)
        guard X509_CRL_set_version(crl, Int(X509_CRL_VERSION_2)) == 1,
              X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer.pointer)) == 1 else {
            throw OpenSSLError.drain("filling a CRL")
        }
        try CertificateIssuer.setTime(thisUpdate) { X509_CRL_set1_lastUpdate(crl, $0) }
        try CertificateIssuer.setTime(nextUpdate) { X509_CRL_set1_nextUpdate(crl, $0) }
        for entry in entries {
            guard let revoked = X509_REVOKED_new() else { throw OpenSSLError.drain("allocating a CRL entry") }
            guard let bn = BN_bin2bn(entry.serialNumber, Int32(entry.serialNumber.count), nil),
                  let serial = BN_to_ASN1_INTEGER(bn, nil) else {
                X509_REVOKED_free(revoked)
                throw OpenSSLError.drain("encoding a revoked serial number")
            }
            BN_free(bn)
            defer { ASN1_INTEGER_free(serial) }
            guard X509_REVOKED_set_serialNumber(revoked, serial) == 1 else {
                X509_REVOKED_free(revoked)
                throw OpenSSLError.drain("setting a revoked serial number")
            }
            do {
                try CertificateIssuer.setTime(entry.revocationDate) { X509_REVOKED_set_revocationDate(revoked, UnsafeMutablePointer(mutating: $0)) }
            } catch {
                X509_REVOKED_free(revoked)
                throw error
            }
            if let reason = entry.reason {
                let code = ASN1_ENUMERATED_new()
                defer { ASN1_ENUMERATED_free(code) }
                guard let code, ASN1_ENUMERATED_set(code, reason.rawValue) == 1,
                      X509_REVOKED_add1_ext_i2d(revoked, NID_crl_reason, UnsafeMutableRawPointer(code), 0, 0) == 1 else {
                    X509_REVOKED_free(revoked)
                    throw OpenSSLError.drain("setting a revocation reason")
                }
            }
            guard X509_CRL_add0_revoked(crl, revoked) == 1 else {
                X509_REVOKED_free(revoked)
                throw OpenSSLError.drain("adding a CRL entry")
            }
        }
        guard X509_CRL_sort(crl) == 1 else { throw OpenSSLError.drain("sorting a CRL") }
        guard let context = cyberctl_X509V3_CTX_new() else { throw OpenSSLError.drain("allocating an extension context") }
        defer { cyberctl_X509V3_CTX_free(context) }
        X509V3_set_ctx(context, issuer.pointer, nil, nil, crl, 0)
        guard let authorityKey = X509V3_EXT_nconf(nil, context, "authorityKeyIdentifier", "keyid:always") else {
            throw OpenSSLError.drain("building the CRL's authorityKeyIdentifier")
        }
        defer { X509_EXTENSION_free(authorityKey) }
        guard X509_CRL_add_ext(crl, authorityKey, -1) == 1 else { throw OpenSSLError.drain("adding authorityKeyIdentifier") }
        guard let numberBN = BN_new() else { throw OpenSSLError.drain("allocating the CRL number") }
        defer { BN_free(numberBN) }
        guard BN_set_word(numberBN, UInt(number)) == 1, let numberInteger = BN_to_ASN1_INTEGER(numberBN, nil) else {
            throw OpenSSLError.drain("encoding the CRL number")
        }
        defer { ASN1_INTEGER_free(numberInteger) }
        guard X509_CRL_add1_ext_i2d(crl, NID_crl_number, UnsafeMutableRawPointer(numberInteger), 0, 0) == 1 else {
            throw OpenSSLError.drain("adding the CRL number")
        }
        guard X509_CRL_sign(crl, issuerKey.pointer, EVP_sha256()) > 0 else { throw OpenSSLError.drain("signing the CRL") }
        return list
    }

    /// Parses a CRL in PEM (`X509 CRL`) or DER form.
    public convenience init(encoded bytes: [UInt8]) throws(OpenSSLError) {
        guard !bytes.isEmpty else { throw OpenSSLError(operation: "reading a CRL: empty file", entries: []) }
        if CertificateFile.looksLikePEM(bytes) {
            let bio: MemoryBIO
            do { bio = try MemoryBIO(bytes: bytes) } catch { throw OpenSSLError.drain("reading a CRL") }
            guard let crl = PEM_read_bio_X509_CRL(bio.pointer, nil, nil, nil) else { throw OpenSSLError.drain("reading a PEM CRL") }
            self.init(owning: crl)
            return
        }
        let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509_CRL(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw OpenSSLError.drain("reading a DER CRL") }
        self.init(owning: parsed)
    }

    /// PEM text (`-----BEGIN X509 CRL-----`).
    public func pemEncoded() throws(OpenSSLError) -> String {
        let bio: MemoryBIO
        do { bio = try MemoryBIO() } catch { throw OpenSSLError.drain("encoding a CRL") }
        guard PEM_write_bio_X509_CRL(bio.pointer, pointer) == 1 else { throw OpenSSLError.drain("encoding a CRL") }
        return bio.string
    }

    /// The issuer's name.
    public var issuerName: DistinguishedName { DistinguishedName(reading: X509_CRL_get_issuer(pointer)) }

    /// thisUpdate (`lastUpdate` in OpenSSL's words).
    public var thisUpdate: Date? { X509Certificate.date(X509_CRL_get0_lastUpdate(pointer)) }

    /// nextUpdate, when present.
    public var nextUpdate: Date? { X509Certificate.date(X509_CRL_get0_nextUpdate(pointer)) }

    /// True when `issuer` is named as this CRL's issuer and its key verifies the CRL's signature.
    public func isSigned(by issuer: X509Certificate) -> Bool {
        guard X509_NAME_cmp(X509_CRL_get_issuer(pointer), X509_get_subject_name(issuer.pointer)) == 0,
              let key = X509_get0_pubkey(issuer.pointer) else {
            OpenSSLError.clearQueue()
            return false
        }
        let verified = X509_CRL_verify(pointer, key) == 1
        OpenSSLError.clearQueue()
        return verified
    }

    /// True when this CRL's issuer is `certificate`'s issuer (names compared; no signature checked).
    public func covers(_ certificate: X509Certificate) -> Bool {
        X509_NAME_cmp(X509_CRL_get_issuer(pointer), X509_get_issuer_name(certificate.pointer)) == 0
    }

    /// The entry revoking `certificate` (matched by issuer name and serial number), nil when not revoked.
    public func entry(for certificate: X509Certificate) -> Entry? {
        var revoked: OpaquePointer?
        let found = X509_CRL_get0_by_cert(pointer, &revoked, certificate.pointer)
        OpenSSLError.clearQueue()
        // 1: revoked; 2: removeFromCRL entry (not revoked); 0: absent.
        guard found == 1, let revoked else { return nil }
        return Self.entry(revoked, serialNumber: certificate.serialNumberBytes)
    }

    /// Every certificate this CRL revokes, in the CRL's order. An entry whose reason is `removeFromCRL` (a delta CRL's
    /// "no longer revoked", RFC 5280 §5.3.1) is left out, as `entry(for:)` leaves it out; so is an entry whose serial
    /// number cannot be read.
    public var entries: [Entry] {
        guard let stack = X509_CRL_get_REVOKED(pointer) else { return [] }
        var entries: [Entry] = []
        for index in 0..<cyberctl_sk_X509_REVOKED_num(stack) {
            guard let revoked = cyberctl_sk_X509_REVOKED_value(stack, index),
                  let serial = X509_REVOKED_get0_serialNumber(revoked), let bn = ASN1_INTEGER_to_BN(serial, nil) else { continue }
            var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
            _ = BN_bn2bin(bn, &bytes)
            BN_free(bn)
            let entry = Self.entry(revoked, serialNumber: bytes)
            if entry.reason != .removeFromCRL { entries.append(entry) }
        }
        OpenSSLError.clearQueue()
        return entries
    }

    /// The entry `revoked` says, for the certificate with `serialNumber`.
    static func entry(_ revoked: OpaquePointer, serialNumber: [UInt8]) -> Entry {
        var reason: Reason?
        var critical: Int32 = 0
        if let raw = X509_REVOKED_get_ext_d2i(revoked, NID_crl_reason, &critical, nil) {
            let code = raw.assumingMemoryBound(to: ASN1_ENUMERATED.self)
            reason = Reason(rawValue: ASN1_ENUMERATED_get(code))
            ASN1_ENUMERATED_free(code)
        }
        OpenSSLError.clearQueue()
        let date = X509Certificate.date(X509_REVOKED_get0_revocationDate(revoked)) ?? Date(timeIntervalSince1970: 0)
        return Entry(serialNumber: serialNumber, revocationDate: date, reason: reason)
    }
}
