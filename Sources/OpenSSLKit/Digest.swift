internal import COpenSSL
import Foundation

/// Message digests through libcrypto's EVP interface.
public enum Digest {
    /// SHA-256 of `bytes`, lower-case hexadecimal (64 characters).
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
        precondition(ok == 1, "EVP_Digest(SHA-256) cannot fail on in-memory input")
        return hex(digest.prefix(Int(length)))
    }

    /// Lower-case hexadecimal of `bytes`, two digits per byte (no Foundation formatting: this is on
    /// the verification hot path).
    public static func hex<C: Collection>(_ bytes: C, uppercase: Bool = false, separator: UInt8? = nil) -> String where C.Element == UInt8 {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 3)
        for (index, byte) in bytes.enumerated() {
            if let separator, index > 0 { text.append(separator) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
