internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// An X.509 certificate held by libcrypto (`X509*`), freed in `deinit`.
///
/// Fields are read with the same parser as `openssl x509`, so what cyberctl reports about a
/// certificate is what the reference tool reports.
public final class X509Certificate: @unchecked Sendable {
    // Owned reference; never handed out.
    let pointer: OpaquePointer

    /// Takes ownership of `pointer` (one reference, freed in `deinit`).
    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    /// Adds a reference to a certificate owned elsewhere (`get0` results) and owns that reference.
    init(retaining pointer: OpaquePointer) {
        X509_up_ref(pointer)
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }

    /// Parses one DER-encoded certificate like `init(derEncoded:allowingTrailingBytes:)`, but on failure
    /// returns nil and leaves OpenSSL's reasons on its (per-thread) error queue, for a caller that reports
    /// them later (`CertificateFile.load` names them in its error).
    public static func parse(derEncoded bytes: [UInt8], allowingTrailingBytes: Bool = false) -> X509Certificate? {
        decode(bytes, allowingTrailingBytes: allowingTrailingBytes).map { X509Certificate(owning: $0) }
    }

    /// `d2i_X509` over exactly `bytes`: an owned `X509*`, or nil (reasons left on OpenSSL's error queue).
    private static func decode(_ bytes: [UInt8], allowingTrailingBytes: Bool) -> OpaquePointer? {
        bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let certificate = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            // Trailing bytes mean this was not a single DER certificate.
            if !allowingTrailingBytes, let cursor, let base = buffer.baseAddress, cursor - base != buffer.count {
                X509_free(certificate)
                return nil
            }
            return certificate
        }
    }

    /// Parses one DER-encoded certificate.
    /// - Parameter allowingTrailingBytes: accept bytes after the certificate, as `PEM_read_bio_X509` does
    ///   for the contents of a PEM block; by default they make the input invalid.
    /// - Throws: `OpenSSLError` when the bytes are not one complete DER certificate.
    public convenience init(derEncoded bytes: [UInt8], allowingTrailingBytes: Bool = false) throws {
        guard let parsed = Self.decode(bytes, allowingTrailingBytes: allowingTrailingBytes) else {
            throw OpenSSLError.drain("parsing a DER certificate")
        }
        self.init(owning: parsed)
    }

    /// The DER encoding.
    public var derEncoded: [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(pointer, &output)
        guard length > 0, let output else { return [] }
        defer { cyberctl_OPENSSL_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(length)))
    }

    /// PEM text (`-----BEGIN CERTIFICATE-----`).
    public var pemEncoded: String {
        guard let bio = try? MemoryBIO(), PEM_write_bio_X509(bio.pointer, pointer) == 1 else { return "" }
        return bio.string
    }

    /// Subject as `openssl x509 -noout -subject -nameopt RFC2253` prints it (without the `subject=` prefix).
    public var subject: String { Self.rfc2253(X509_get_subject_name(pointer)) }

    /// Issuer, in the same form as `subject`.
    public var issuer: String { Self.rfc2253(X509_get_issuer_name(pointer)) }

    /// The subject's common names (OID 2.5.4.3), in order; often one, sometimes none.
    public var subjectCommonNames: [String] {
        guard let name = X509_get_subject_name(pointer) else { return [] }
        var names: [String] = []
        var index: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(name, NID_commonName, index)
            if index < 0 { break }
            guard let entry = X509_NAME_get_entry(name, index),
                  let data = X509_NAME_ENTRY_get_data(entry) else { continue }
            var utf8: UnsafeMutablePointer<UInt8>?
            let length = ASN1_STRING_to_UTF8(&utf8, data)
            if length >= 0, let utf8 {
                names.append(String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self))
                cyberctl_OPENSSL_free(utf8)
            }
        }
        return names
    }

    /// Serial number in upper-case hexadecimal, as `openssl x509 -serial` prints it.
    public var serialNumberHex: String {
        guard let serial = X509_get0_serialNumber(pointer), let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { cyberctl_OPENSSL_free(hex) }
        return String(cString: hex)
    }

    /// Start of validity (`notBefore`); nil when the field cannot be read as a time.
    public var notBefore: Date? { Self.date(X509_get0_notBefore(pointer)) }

    /// End of validity (`notAfter`); nil when the field cannot be read as a time.
    public var notAfter: Date? { Self.date(X509_get0_notAfter(pointer)) }

    /// Public key algorithm and size in bits, as `openssl x509 -text` reports them
    /// (`RSA`/2048, `EC`/256 with its curve, `ED25519`/256 …). Nil when the key cannot be decoded.
    public var publicKey: PublicKeyDescription? {
        guard let key = X509_get0_pubkey(pointer) else {
            OpenSSLError.clearQueue()
            return nil
        }
        let bits = Int(EVP_PKEY_get_bits(key))
        let baseID = EVP_PKEY_get_base_id(key)
        var curve: String?
        var algorithm: String
        switch baseID {
        case EVP_PKEY_RSA: algorithm = "RSA"
        case EVP_PKEY_RSA_PSS: algorithm = "RSA-PSS"
        case EVP_PKEY_DSA: algorithm = "DSA"
        case EVP_PKEY_DH, EVP_PKEY_DHX: algorithm = "DH"
        case EVP_PKEY_EC:
            algorithm = "EC"
            var buffer = [CChar](repeating: 0, count: 80)
            var length = 0
            if EVP_PKEY_get_utf8_string_param(key, "group", &buffer, buffer.count, &length) == 1 {
                curve = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            } else {
                OpenSSLError.clearQueue()
            }
        case EVP_PKEY_ED25519: algorithm = "ED25519"
        case EVP_PKEY_ED448: algorithm = "ED448"
        default:
            if let name = OBJ_nid2sn(baseID) { algorithm = String(cString: name) } else { algorithm = "unknown" }
        }
        return PublicKeyDescription(algorithm: algorithm, bits: bits, curve: curve)
    }

    /// Signature algorithm long name as `openssl x509 -text` prints it (`sha256WithRSAEncryption`,
    /// `ecdsa-with-SHA256`), or the dotted OID when OpenSSL does not know it.
    public var signatureAlgorithm: String {
        let nid = X509_get_signature_nid(pointer)
        if nid != NID_undef, let name = OBJ_nid2ln(nid) { return String(cString: name) }
        var algorithm: UnsafePointer<X509_ALGOR>?
        X509_get0_signature(nil, &algorithm, pointer)
        var objectPointer: OpaquePointer?
        X509_ALGOR_get0(&objectPointer, nil, nil, algorithm)
        guard let objectPointer else { return "unknown" }
        var buffer = [CChar](repeating: 0, count: 128)
        let length = OBJ_obj2txt(&buffer, Int32(buffer.count), objectPointer, 1)
        return length > 0 ? String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
    }

    /// The digest behind the signature (`SHA256`, `SHA1`, `MD5` …), nil when there is none
    /// (Ed25519) or it is unknown.
    public var signatureDigest: String? {
        var digestNID: Int32 = NID_undef
        var keyNID: Int32 = NID_undef
        guard OBJ_find_sigid_algs(X509_get_signature_nid(pointer), &digestNID, &keyNID) == 1,
              digestNID != NID_undef, let name = OBJ_nid2sn(digestNID) else { return nil }
        return String(cString: name).uppercased()
    }

    /// Subject alternative names as `DNS:name`, `IP Address:addr`, `email:…`, `URI:…` — the prefixes
    /// `openssl x509 -ext subjectAltName` uses. Empty when the extension is absent.
    public var subjectAlternativeNames: [String] {
        var critical: Int32 = 0
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, &critical, nil) else {
            OpenSSLError.clearQueue()
            return []
        }
        let names = OpaquePointer(raw)
        defer { cyberctl_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<cyberctl_sk_GENERAL_NAME_num(names) {
            guard let name = cyberctl_sk_GENERAL_NAME_value(names, index) else { continue }
            switch name.pointee.type {
            case GEN_DNS: result.append("DNS:" + Self.string(name.pointee.d.dNSName))
            case GEN_EMAIL: result.append("email:" + Self.string(name.pointee.d.rfc822Name))
            case GEN_URI: result.append("URI:" + Self.string(name.pointee.d.uniformResourceIdentifier))
            case GEN_IPADD:
                let octets = Self.bytes(name.pointee.d.iPAddress)
                result.append("IP Address:" + Self.ipAddressText(octets))
            default: continue
            }
        }
        return result
    }

    /// True when the certificate names itself as issuer and its signature verifies with its own key.
    public var isSelfSigned: Bool {
        let result = X509_self_signed(pointer, 1) == 1
        OpenSSLError.clearQueue()
        return result
    }

    /// True when basic constraints mark a CA (`X509_check_ca`).
    public var isCertificateAuthority: Bool { X509_check_ca(pointer) > 0 }

    /// SHA-256 fingerprint of the DER encoding, upper-case hex pairs joined by colons
    /// (`openssl x509 -fingerprint -sha256`).
    public var sha256Fingerprint: String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(pointer, Digest.sha256.pointer, &digest, &length) == 1 else { return "" }
        return Hex.encode(digest.prefix(Int(length)), uppercase: true, separator: UInt8(ascii: ":"))
    }

    /// True when `issuer` issued this certificate: names chain and the signature verifies with the issuer's key.
    public func isIssued(by issuer: X509Certificate) -> Bool {
        guard X509_check_issued(issuer.pointer, pointer) == X509_V_OK,
              let key = X509_get0_pubkey(issuer.pointer) else {
            OpenSSLError.clearQueue()
            return false
        }
        let verified = X509_verify(pointer, key) == 1
        OpenSSLError.clearQueue()
        return verified
    }

    // MARK: - Helpers

    static func rfc2253(_ name: OpaquePointer?) -> String {
        guard let name, let bio = try? MemoryBIO() else { return "" }
        // XN_FLAG_RFC2253 is what `-nameopt RFC2253` selects in the openssl command.
        let flags = cyberctl_XN_FLAG_RFC2253()
        guard X509_NAME_print_ex(bio.pointer, name, 0, flags) >= 0 else { return "" }
        return bio.string
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else {
            OpenSSLError.clearQueue()
            return nil
        }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    static func bytes(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> [UInt8] {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }

    static func string(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String {
        String(decoding: bytes(string), as: UTF8.self)
    }

    static func ipAddressText(_ octets: [UInt8]) -> String {
        switch octets.count {
        case 4: return octets.map(String.init).joined(separator: ".")
        case 16:
            var groups: [String] = []
            for index in stride(from: 0, to: 16, by: 2) {
                groups.append(String(Int(octets[index]) << 8 | Int(octets[index + 1]), radix: 16, uppercase: true))
            }
            return groups.joined(separator: ":")
        default: return "<invalid>"
        }
    }
}

/// A public key's algorithm and strength.
public struct PublicKeyDescription: Sendable, Equatable, Codable {
    /// `RSA`, `RSA-PSS`, `EC`, `DSA`, `ED25519`, `ED448`, or OpenSSL's short name for others.
    public let algorithm: String
    /// Key size in bits as OpenSSL counts it (RSA modulus, EC field size).
    public let bits: Int
    /// Curve name for EC keys (`prime256v1`, `secp384r1`).
    public let curve: String?
}
