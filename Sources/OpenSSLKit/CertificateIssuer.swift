internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// What a new certificate says: subject, serial, validity window and X.509v3 extensions.
public struct CertificateTemplate: Sendable {
    public var subject: DistinguishedName
    /// Serial number, big-endian magnitude (RFC 5280 §4.1.2.2: positive, at most 20 octets).
    public var serialNumber: [UInt8]
    public var notBefore: Date
    public var notAfter: Date
    /// Extensions in the syntax of OpenSSL's configuration files (x509v3_config(5)), in order:
    /// `("basicConstraints", "critical, CA:FALSE")`, `("keyUsage", "critical, digitalSignature")`,
    /// `("subjectKeyIdentifier", "hash")`, `("authorityKeyIdentifier", "keyid:always")`.
    public var extensions: [(name: String, value: String)]

    public init(
        subject: DistinguishedName, serialNumber: [UInt8], notBefore: Date, notAfter: Date,
        extensions: [(name: String, value: String)]
    ) {
        self.subject = subject
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.extensions = extensions
    }
}

/// Issues X.509v3 certificates with libcrypto (`X509_sign`, SHA-256).
public enum CertificateIssuer {
    /// A self-signed certificate for `key` (a CA root).
    public static func selfSigned(_ template: CertificateTemplate, key: PrivateKey) throws(OpenSSLError) -> X509Certificate {
        try build(template, publicKey: key.pointer, issuer: nil, issuerKey: key)
    }

    /// A certificate for the key and the subject of `request`, signed by `issuer` with `issuerKey`.
    /// The request's own subject is ignored in favour of `template.subject` (the CA decides), and
    /// extensions requested in the CSR are never copied.
    public static func issue(
        _ template: CertificateTemplate, for request: CertificateSigningRequest, issuer: X509Certificate, issuerKey: PrivateKey
    ) throws(OpenSSLError) -> X509Certificate {
        guard let publicKey = X509_REQ_get0_pubkey(request.pointer) else {
            throw OpenSSLError.drain("reading the request's public key")
        }
        return try build(template, publicKey: publicKey, issuer: issuer, issuerKey: issuerKey)
    }

    static func build(
        _ template: CertificateTemplate, publicKey: OpaquePointer, issuer: X509Certificate?, issuerKey: PrivateKey
    ) throws(OpenSSLError) -> X509Certificate {
        guard let x509 = X509_new() else { throw OpenSSLError.drain("allocating a certificate") }
        let certificate = X509Certificate(owning: x509)
        guard X509_set_version(x509, Int(X509_VERSION_3)) == 1 else { throw OpenSSLError.drain("setting the version") }
        try setSerial(x509, template.serialNumber)
        let subject = try template.subject.makeName()
        defer { X509_NAME_free(subject) }
        guard X509_set_subject_name(x509, subject) == 1 else { throw OpenSSLError.drain("setting the subject") }
        let issuerName = issuer.map { X509_get_subject_name($0.pointer) } ?? subject
        guard X509_set_issuer_name(x509, issuerName) == 1 else { throw OpenSSLError.drain("setting the issuer") }
        try setTime(template.notBefore) { X509_set1_notBefore(x509, $0) }
        try setTime(template.notAfter) { X509_set1_notAfter(x509, $0) }
        guard X509_set_pubkey(x509, publicKey) == 1 else { throw OpenSSLError.drain("setting the public key") }
        guard let context = cyberctl_X509V3_CTX_new() else { throw OpenSSLError.drain("allocating an extension context") }
        defer { cyberctl_X509V3_CTX_free(context) }
        X509V3_set_ctx(context, issuer?.pointer ?? x509, x509, nil, nil, 0)
        for (name, value) in template.extensions {
            guard let extensionPointer = X509V3_EXT_nconf(nil, context, name, value) else {
                throw OpenSSLError.drain("building extension \(name) = \(value)")
            }
            defer { X509_EXTENSION_free(extensionPointer) }
            guard X509_add_ext(x509, extensionPointer, -1) == 1 else { throw OpenSSLError.drain("adding extension \(name)") }
        }
        guard X509_sign(x509, issuerKey.pointer, EVP_sha256()) > 0 else { throw OpenSSLError.drain("signing the certificate") }
        return certificate
    }

    static func setSerial(_ x509: OpaquePointer, _ bytes: [UInt8]) throws(OpenSSLError) {
        guard let bn = BN_bin2bn(bytes, Int32(bytes.count), nil) else { throw OpenSSLError.drain("reading the serial number") }
        defer { BN_free(bn) }
        guard let integer = BN_to_ASN1_INTEGER(bn, nil) else { throw OpenSSLError.drain("encoding the serial number") }
        defer { ASN1_INTEGER_free(integer) }
        guard X509_set_serialNumber(x509, integer) == 1 else { throw OpenSSLError.drain("setting the serial number") }
    }

    static func setTime(_ date: Date, _ apply: (UnsafePointer<ASN1_TIME>) -> Int32) throws(OpenSSLError) {
        guard let time = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970.rounded(.down))) else {
            throw OpenSSLError.drain("encoding a time")
        }
        defer { ASN1_TIME_free(time) }
        guard apply(time) == 1 else { throw OpenSSLError.drain("setting a validity time") }
    }
}

extension X509Certificate {
    /// Parses one PEM certificate block or a DER certificate (the first of a PEM file).
    public convenience init(encoded bytes: [UInt8]) throws(CertificateFile.LoadError) {
        let certificates = try CertificateFile.load(contents: bytes).certificates
        self.init(retaining: certificates[0].pointer)
    }
}
