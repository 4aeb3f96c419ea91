internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// The DER `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7) of `key`, what `openssl pkey -pubout -outform DER`
/// writes: two holders of the same key have the same bytes whatever their subjects. Empty when it cannot be
/// encoded.
func encodedSubjectPublicKeyInfo(_ key: OpaquePointer?) -> [UInt8] {
    guard let key else {
        OpenSSLError.clearQueue()
        return []
    }
    var output: UnsafeMutablePointer<UInt8>?
    let length = i2d_PUBKEY(key, &output)
    guard length > 0, let output else {
        OpenSSLError.clearQueue()
        return []
    }
    defer { cyberctl_OPENSSL_free(output) }
    return Array(UnsafeBufferPointer(start: output, count: Int(length)))
}

extension X509Certificate {
    /// The certificate's SubjectPublicKeyInfo, DER-encoded (what DANE selector 1 and DKIM `p=` carry);
    /// empty when it cannot be encoded.
    public var subjectPublicKeyInfoDER: [UInt8] { encodedSubjectPublicKeyInfo(X509_get0_pubkey(pointer)) }
}

extension CertificateSigningRequest {
    /// The requested public key as DER SubjectPublicKeyInfo; empty when it cannot be encoded.
    public var subjectPublicKeyInfoDER: [UInt8] { encodedSubjectPublicKeyInfo(X509_REQ_get0_pubkey(pointer)) }
}

extension PublicKeyDescription {
    /// The algorithm and size of a DER-encoded SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), read with
    /// `d2i_PUBKEY` as `openssl pkey -pubin` reads it. Nil when the bytes are not one whole key.
    public init?(subjectPublicKeyInfoDER bytes: [UInt8]) {
        guard !bytes.isEmpty else { return nil }
        let key: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let key = d2i_PUBKEY(nil, &cursor, buffer.count)
            guard let key, let cursor, cursor == buffer.baseAddress! + buffer.count else {
                if let key { EVP_PKEY_free(key) }
                return nil
            }
            return key
        }
        guard let key else {
            OpenSSLError.clearQueue()
            return nil
        }
        defer { EVP_PKEY_free(key) }
        let bits = Int(EVP_PKEY_get_bits(key))
        let algorithm: String
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA: algorithm = "RSA"
        case EVP_PKEY_RSA_PSS: algorithm = "RSA-PSS"
        case EVP_PKEY_EC: algorithm = "EC"
        case EVP_PKEY_ED25519: algorithm = "ED25519"
        case EVP_PKEY_ED448: algorithm = "ED448"
        case EVP_PKEY_DSA: algorithm = "DSA"
        case let other: algorithm = OBJ_nid2sn(other).map { String(cString: $0) } ?? "unknown"
        }
        self.init(algorithm: algorithm, bits: bits, curve: nil)
    }
}

extension Digest {
    /// SHA-512 of `bytes`, the 64 raw bytes (DANE matching type 2, RFC 6698 §2.1.3).
    public static func sha512(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, sha512Digest.pointer, nil) }
        precondition(ok == 1, "EVP_Digest(SHA-512) cannot fail on in-memory input")
        return Array(digest.prefix(Int(length)))
    }

    static let sha512Digest = FetchedDigest(name: "SHA512")
}
