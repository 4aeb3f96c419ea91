internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// A public key as a value, independent of how it was encoded: two encodings of the same key give equal
/// identities, two different keys never do.
///
/// One key has several valid SubjectPublicKeyInfo encodings: an EC point compressed or uncompressed
/// (SEC 1 §2.3.3, RFC 5480 §2.2), the curve by name or by explicit parameters (RFC 3279 §2.3.5), and
/// comparing their bytes lets a re-encoded key pass for a new one. The identity is decoded by libcrypto:
/// - EC: `EC <curve short name> 04<x><y>`, the uncompressed point, each coordinate zero-padded to the field size
///   (read as the `qx` / `qy` key parameters, whatever the encoding the key came in). A key with explicit
///   parameters that libcrypto matches to a named curve gets that curve's name, so it equals the named-curve key.
/// - RSA: `RSA n=<hex> e=<hex>` (modulus and public exponent, big-endian, no leading zero).
/// - anything else (Ed25519 has one encoding), or an EC key whose curve has no name: `SPKI <hex of the DER>`.
public struct PublicKeyIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The canonical text above (hexadecimal lower-case).
    public let description: String

    /// Decodes `key` (an `EVP_PKEY*`); nil when it cannot even be DER-encoded.
    init?(key: OpaquePointer?) {
        guard let key else {
            OpenSSLError.clearQueue()
            return nil
        }
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_EC:
            if let curve = Self.utf8Parameter(key, "group"), let x = Self.bignumParameter(key, "qx"), let y = Self.bignumParameter(key, "qy") {
                let size = (Int(EVP_PKEY_get_bits(key)) + 7) / 8
                if size > 0, x.count <= size, y.count <= size {
                    let point = [0x04] + Self.padded(x, to: size) + Self.padded(y, to: size)
                    description = "EC \(curve) \(Self.hex(point))"
                    return
                }
            }
        case EVP_PKEY_RSA:
            if let n = Self.bignumParameter(key, "n"), let e = Self.bignumParameter(key, "e") {
                description = "RSA n=\(Self.hex(n)) e=\(Self.hex(e))"
                return
            }
        default: break
        }
        let der = encodedSubjectPublicKeyInfo(key)
        guard !der.isEmpty else { return nil }
        description = "SPKI \(Self.hex(der))"
    }

    /// Whether `key` is an EC key whose curve is given by explicit parameters rather than by name (the key
    /// parameter `encoding` is `explicit`): keys this toolkit generates always name their curve, and explicit
    /// parameters are how a forged curve passes for a standard one (CVE-2020-0601).
    static func hasExplicitCurveParameters(_ key: OpaquePointer?) -> Bool {
        guard let key else {
            OpenSSLError.clearQueue()
            return false
        }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_EC else { return false }
        return utf8Parameter(key, "encoding") != "named_curve"
    }

    private static func utf8Parameter(_ key: OpaquePointer, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_utf8_string_param(key, name, &buffer, buffer.count, &length) == 1 else {
            OpenSSLError.clearQueue()
            return nil
        }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A BIGNUM key parameter, big-endian without leading zeros (one zero byte for 0).
    private static func bignumParameter(_ key: OpaquePointer, _ name: String) -> [UInt8]? {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, name, &number) == 1, let number else {
            OpenSSLError.clearQueue()
            return nil
        }
        defer { BN_free(number) }
        let count = max(1, (Int(BN_num_bits(number)) + 7) / 8)
        var bytes = [UInt8](repeating: 0, count: count)
        guard BN_bn2binpad(number, &bytes, Int32(count)) == Int32(count) else {
            OpenSSLError.clearQueue()
            return nil
        }
        return bytes
    }

    private static func padded(_ bytes: [UInt8], to size: Int) -> [UInt8] { [UInt8](repeating: 0, count: size - bytes.count) + bytes }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension X509Certificate {
    /// The certificate's public key, decoded (see `PublicKeyIdentity`); nil when it cannot be read.
    public var publicKeyIdentity: PublicKeyIdentity? { PublicKeyIdentity(key: X509_get0_pubkey(pointer)) }
}

extension CertificateSigningRequest {
    /// The requested public key, decoded (see `PublicKeyIdentity`); nil when it cannot be read.
    public var publicKeyIdentity: PublicKeyIdentity? { PublicKeyIdentity(key: X509_REQ_get0_pubkey(pointer)) }

    /// True when the requested key is EC with explicit curve parameters instead of a named curve (RFC 5480 §2.1.1
    /// requires the named form in certificates; explicit parameters are the CVE-2020-0601 attack surface).
    public var hasExplicitCurveParameters: Bool { PublicKeyIdentity.hasExplicitCurveParameters(X509_REQ_get0_pubkey(pointer)) }
}
