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
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
