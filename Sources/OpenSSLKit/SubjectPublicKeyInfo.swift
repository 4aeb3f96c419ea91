internal import COpenSSL
internal import COpenSSLShims

/// The DER `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7) of the key a certificate or a request carries: two holders
/// of the same key have the same bytes, whatever their subjects or encodings (what `openssl pkey -pubin -outform
/// DER` writes).
func subjectPublicKeyInfoDER(_ key: OpaquePointer?) -> [UInt8]? {
    guard let key else {
        OpenSSLError.clearQueue()
        return nil
    }
    var output: UnsafeMutablePointer<UInt8>?
    let length = i2d_PUBKEY(key, &output)
    guard length > 0, let output else {
        OpenSSLError.clearQueue()
        return nil
    }
    defer { cyberctl_OPENSSL_free(output) }
    return Array(UnsafeBufferPointer(start: output, count: Int(length)))
}

extension X509Certificate {
    /// The certificate's public key as DER SubjectPublicKeyInfo; nil when it cannot be encoded.
    public var subjectPublicKeyInfo: [UInt8]? { subjectPublicKeyInfoDER(X509_get0_pubkey(pointer)) }
}

extension CertificateSigningRequest {
    /// The requested public key as DER SubjectPublicKeyInfo; nil when it cannot be encoded.
    public var subjectPublicKeyInfo: [UInt8]? { subjectPublicKeyInfoDER(X509_REQ_get0_pubkey(pointer)) }
}
