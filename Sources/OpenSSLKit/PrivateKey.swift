internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// A private key held by libcrypto (`EVP_PKEY*`), freed in `deinit`.
///
/// cyberctl generates ECDSA P-256 keys (`prime256v1`, NIST P-256, RFC 5480) for its CA and agents,
/// and reads any key libcrypto reads (PEM PKCS#8, traditional PEM, DER), never an encrypted one.
public final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// Generates a new ECDSA key on NIST P-256 (`prime256v1`).
    /// - Throws: `OpenSSLError` when libcrypto cannot generate it.
    public static func generateP256() throws(OpenSSLError) -> PrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw OpenSSLError.drain("creating an EC key context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, "P-256") == 1 else {
            throw OpenSSLError.drain("preparing P-256 key generation")
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else { throw OpenSSLError.drain("generating a P-256 key") }
        return PrivateKey(owning: key)
    }

    /// Parses a private key in PEM (PKCS#8 or traditional) or DER form. Encrypted keys are refused
    /// (no passphrase prompt is ever shown: the agent runs unattended).
    /// - Throws: `OpenSSLError` naming libcrypto's reason.
    public convenience init(encoded bytes: [UInt8]) throws(OpenSSLError) {
        guard !bytes.isEmpty else { throw OpenSSLError(operation: "reading a private key", entries: []) }
        let bio: MemoryBIO
        do { bio = try MemoryBIO(bytes: bytes) } catch { throw OpenSSLError.drain("reading a private key") }
        // A callback that gives no passphrase: an encrypted key fails instead of prompting on the terminal.
        let noPassphrase: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in 0 }
        if let key = PEM_read_bio_PrivateKey(bio.pointer, nil, noPassphrase, nil) {
            OpenSSLError.clearQueue()
            self.init(owning: key)
            return
        }
        let pemError = OpenSSLError.drain("reading a private key")
        let parsed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            OpenSSLError.clearQueue()
            throw pemError
        }
        self.init(owning: parsed)
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), unencrypted, as `openssl genpkey` writes it.
    public func pkcs8PEM() throws(OpenSSLError) -> [UInt8] {
        let bio: MemoryBIO
        do { bio = try MemoryBIO() } catch { throw OpenSSLError.drain("encoding a private key") }
        guard PEM_write_bio_PrivateKey(bio.pointer, pointer, nil, nil, 0, nil, nil) == 1 else {
            throw OpenSSLError.drain("encoding a private key")
        }
        return bio.bytes
    }

    /// The public key in PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo).
    public func publicKeyPEM() throws(OpenSSLError) -> String {
        let bio: MemoryBIO
        do { bio = try MemoryBIO() } catch { throw OpenSSLError.drain("encoding a public key") }
        guard PEM_write_bio_PUBKEY(bio.pointer, pointer) == 1 else { throw OpenSSLError.drain("encoding a public key") }
        return bio.string
    }

    /// Algorithm, size and curve, as for certificate keys.
    public var description: PublicKeyDescription {
        let bits = Int(EVP_PKEY_get_bits(pointer))
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_EC:
            var buffer = [CChar](repeating: 0, count: 80)
            var length = 0
            var curve: String?
            if EVP_PKEY_get_utf8_string_param(pointer, "group", &buffer, buffer.count, &length) == 1 {
                curve = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            } else {
                OpenSSLError.clearQueue()
            }
            return PublicKeyDescription(algorithm: "EC", bits: bits, curve: curve)
        case EVP_PKEY_RSA: return PublicKeyDescription(algorithm: "RSA", bits: bits, curve: nil)
        case EVP_PKEY_ED25519: return PublicKeyDescription(algorithm: "ED25519", bits: bits, curve: nil)
        default:
            let name = OBJ_nid2sn(EVP_PKEY_get_base_id(pointer)).map { String(cString: $0) } ?? "unknown"
            return PublicKeyDescription(algorithm: name, bits: bits, curve: nil)
        }
    }

    /// True when `certificate` carries this key's public half (`X509_check_private_key`).
    public func matches(_ certificate: X509Certificate) -> Bool {
        let result = X509_check_private_key(certificate.pointer, pointer) == 1
        OpenSSLError.clearQueue()
        return result
    }
}
