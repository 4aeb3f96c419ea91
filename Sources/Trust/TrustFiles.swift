import Agent
import Foundation
import OpenSSLKit

#if canImport(Glibc)
import Glibc
#endif

/// Reading the files trust depends on: bounded in size, and private keys only when nobody else can read them.
public enum TrustFiles {
    /// Largest report accepted: 32 MiB (a report of several thousand results stays far below it;
    /// a typical one is 10–100 KB).
    public static let maximumReportBytes = 32 << 20
    /// Largest signature file accepted: 1 MiB (a cyberctl signature with its certificate is about 1.5 KB).
    public static let maximumSignatureBytes = 1 << 20
    /// Largest key, certificate, CSR or CRL file accepted: 4 MiB.
    public static let maximumPKIFileBytes = 4 << 20

    /// Reads at most `limit` bytes of `path`; refuses larger files before reading them.
    /// - Parameter what: what the file is, for messages (`report`, `signature`).
    /// - Throws: `InputError`: `.missing` (66) when absent, `.invalidData` (65) when over the limit, `.io` (74) otherwise.
    public static func read(_ path: String, limit: Int, what: String) throws(InputError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw InputError(.missing, file: path, "\(what) not found") }
            throw InputError(.io, file: path, "cannot open \(what): \(String(cString: strerror(code)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw InputError(.io, file: path, "cannot stat \(what): \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT != S_IFDIR else { throw InputError(.usage, file: path, "is a folder, expected a \(what) file") }
        if status.st_size > limit { throw tooLarge(path, size: Int(status.st_size), limit: limit, what: what) }
        // Read up to limit + 1 bytes: files whose size stat does not tell (pipes, /proc) are bounded too.
        var bytes = [UInt8](repeating: 0, count: min(limit + 1, max(Int(status.st_size), 4096)))
        var count = 0
        while true {
            if count == bytes.count {
                guard bytes.count <= limit else { break }
                bytes.append(contentsOf: [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - bytes.count)))
            }
            let read = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if read < 0 {
                if errno == EINTR { continue }
                throw InputError(.io, file: path, "cannot read \(what): \(String(cString: strerror(errno)))")
            }
            if read == 0 { break }
            count += read
        }
        if count > limit { throw tooLarge(path, size: count, limit: limit, what: what) }
        bytes.removeSubrange(count...)
        return bytes
    }

    static func tooLarge(_ path: String, size: Int, limit: Int, what: String) -> InputError {
        InputError(.invalidData, file: path, "\(what) too large: \(size) bytes or more, over the limit of \(limit) bytes (\(limit >> 20) MiB); refused unread")
    }

    /// Reads a private key file, refusing it when its mode lets the group or others read or write it.
    /// - Throws: `InputError(.invalidData)` with the `chmod 600` to run; `.missing`; or the key's parse error.
    public static func readPrivateKey(_ path: String) throws(InputError) -> PrivateKey {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT { throw InputError(.missing, file: path, "private key not found") }
            throw InputError(.io, file: path, "cannot read private key: \(String(cString: strerror(code)))")
        }
        let mode = status.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw InputError(
                .invalidData, file: path,
                "private key is accessible to group or others (mode \(String(mode, radix: 8, uppercase: false).leftPadded(to: 4))); refused. Fix it with: chmod 600 \(path)")
        }
        let bytes = try read(path, limit: maximumPKIFileBytes, what: "private key")
        do {
            return try PrivateKey(encoded: bytes)
        } catch {
            throw InputError(.invalidData, file: path, "not an unencrypted private key in PEM or DER form (\(error))")
        }
    }

    /// Reads the first certificate of a PEM or DER file.
    public static func readCertificate(_ path: String, what: String = "certificate") throws(InputError) -> X509Certificate {
        try readCertificates(path, what: what)[0]
    }

    /// Reads every certificate of a PEM file, or one DER certificate.
    public static func readCertificates(_ path: String, what: String = "certificate") throws(InputError) -> [X509Certificate] {
        let bytes = try read(path, limit: maximumPKIFileBytes, what: what)
        do {
            return try X509Certificate.load(bytes)
        } catch {
            throw InputError(.invalidData, file: path, "\(what): \(error)")
        }
    }

    /// Reads a CRL in PEM or DER form.
    public static func readCRL(_ path: String) throws(InputError) -> CertificateRevocationList {
        let bytes = try read(path, limit: maximumPKIFileBytes, what: "CRL")
        do {
            return try CertificateRevocationList(encoded: bytes)
        } catch {
            throw InputError(.invalidData, file: path, "not a CRL in PEM or DER form (\(error))")
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
