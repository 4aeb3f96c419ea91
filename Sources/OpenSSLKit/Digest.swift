internal import COpenSSL
import FoundationEssentials

/// Message digests through libcrypto's EVP interface.
public enum Digest {
    /// SHA-256 of `bytes`, lower-case hexadecimal (64 characters).
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, sha256.pointer, nil) }
        precondition(ok == 1, "EVP_Digest(SHA-256) cannot fail on in-memory input")
        return Hex.encode(digest.prefix(Int(length)))
    }

    /// SHA-256 of `bytes`, the 32 raw bytes.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, sha256.pointer, nil) }
        precondition(ok == 1, "EVP_Digest(SHA-256) cannot fail on in-memory input")
        return Array(digest.prefix(Int(length)))
    }

    /// Lower-case (or upper-case) hexadecimal of `bytes`, two digits per byte, optionally separated.
    public static func hex<C: Collection<UInt8>>(_ bytes: C, uppercase: Bool = false, separator: UInt8? = nil) -> String {
        Hex.encode(bytes, uppercase: uppercase, separator: separator)
    }

    /// SHA-256 fetched once from the default provider. `EVP_sha256()` makes OpenSSL 3 look the
    /// algorithm up again on every use (a locked hash-table search), which dominates small digests.
    static let sha256 = FetchedDigest(name: "SHA256")
}

/// An `EVP_MD` fetched explicitly (`EVP_MD_fetch`), freed in `deinit`.
final class FetchedDigest: @unchecked Sendable {
    let pointer: OpaquePointer

    init(name: String) {
        guard let fetched = EVP_MD_fetch(nil, name, nil) else {
            preconditionFailure("the default OpenSSL provider has no \(name): \(OpenSSLError.drain("fetching \(name)"))")
        }
        pointer = fetched
    }

    deinit { EVP_MD_free(pointer) }
}
