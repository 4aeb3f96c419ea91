internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// A PKCS#10 certificate signing request held by libcrypto (`X509_REQ*`), freed in `deinit`.
public final class CertificateSigningRequest: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_REQ_free(pointer) }

    /// Creates a request for `subject`, carrying `key`'s public half, signed with `key` (SHA-256).
    /// - Throws: `OpenSSLError` with libcrypto's reason (an unknown attribute name, for instance).
    public convenience init(subject: DistinguishedName, key: PrivateKey) throws(OpenSSLError) {
        guard let request = X509_REQ_new() else { throw OpenSSLError.drain("allocating a certificate request") }
        self.init(owning: request)
        let name = try subject.makeName()
        defer { X509_NAME_free(name) }
        guard X509_REQ_set_version(request, Int(X509_REQ_VERSION_1)) == 1,
              X509_REQ_set_subject_name(request, name) == 1,
              X509_REQ_set_pubkey(request, key.pointer) == 1 else {
            throw OpenSSLError.drain("filling a certificate request")
        }
        guard X509_REQ_sign(request, key.pointer, EVP_sha256()) > 0 else {
            throw OpenSSLError.drain("signing a certificate request")
        }
    }

    /// Parses a request in PEM (`CERTIFICATE REQUEST`) or DER form.
    /// - Throws: `OpenSSLError` when the bytes are neither.
    public convenience init(encoded bytes: [UInt8]) throws(OpenSSLError) {
        guard !bytes.isEmpty else { throw OpenSSLError(operation: "reading a certificate request: empty file", entries: []) }
        if CertificateFile.looksLikePEM(bytes) {
            let bio: MemoryBIO
            do { bio = try MemoryBIO(bytes: bytes) } catch { throw OpenSSLError.drain("reading a certificate request") }
            guard let request = PEM_read_bio_X509_REQ(bio.pointer, nil, nil, nil) else {
                throw OpenSSLError.drain("reading a PEM certificate request")
            }
            self.init(owning: request)
            return
        }
        let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509_REQ(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw OpenSSLError.drain("reading a DER certificate request") }
        self.init(owning: parsed)
    }

    /// The requested subject.
    public var subject: DistinguishedName { DistinguishedName(reading: X509_REQ_get_subject_name(pointer)) }

    /// The public key's algorithm and size; nil when it cannot be decoded.
    public var publicKey: PublicKeyDescription? {
        guard let key = X509_REQ_get0_pubkey(pointer) else {
            OpenSSLError.clearQueue()
            return nil
        }
        return PrivateKey(retainingPublic: key).description
    }

    /// True when the request's self-signature verifies with the key it carries (proof of possession).
    public var isSignatureValid: Bool {
        guard let key = X509_REQ_get0_pubkey(pointer) else {
            OpenSSLError.clearQueue()
            return false
        }
        let result = X509_REQ_verify(pointer, key) == 1
        OpenSSLError.clearQueue()
        return result
    }

    /// PEM text (`-----BEGIN CERTIFICATE REQUEST-----`).
    public func pemEncoded() throws(OpenSSLError) -> String {
        let bio: MemoryBIO
        do { bio = try MemoryBIO() } catch { throw OpenSSLError.drain("encoding a certificate request") }
        guard PEM_write_bio_X509_REQ(bio.pointer, pointer) == 1 else { throw OpenSSLError.drain("encoding a certificate request") }
        return bio.string
    }
}

extension PrivateKey {
    /// Wraps a borrowed public key (adds a reference), to describe it.
    convenience init(retainingPublic pointer: OpaquePointer) {
        EVP_PKEY_up_ref(pointer)
        self.init(owning: pointer)
    }
}
