import FoundationEssentials
import InputFiles
import Model
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

    /// Reads at most `limit` bytes of `path` (`RegularFile.read`): larger files, FIFOs, devices and
    /// sockets are refused before anything is read, and nothing can block.
    /// - Parameter what: what the file is, for messages, in both languages, without article (`rapport`/`report`).
    /// - Throws: `InputError`: `.missing` (66) when absent, `.usage` (64) for a folder, `.invalidData` (65)
    ///   when over the limit or not a regular file, `.io` (74) otherwise.
    public static func read(_ path: String, limit: Int, what: LocalizedText) throws(InputError) -> [UInt8] {
        do {
            return try RegularFile.read(path, limit: limit)
        } catch {
            throw inputError(error, path: path, what: what)
        }
    }

    /// The `InputError` for a file `RegularFile.read` refused.
    public static func inputError(_ failure: RegularFile.Failure, path: String, what: LocalizedText) -> InputError {
        switch failure {
        case .notFound: return InputError(.missing, file: path, fr: "\(what.fr) introuvable", en: "\(what.en) not found")
        case .isADirectory:
            return InputError(
                .usage, file: path, fr: "c'est un dossier : un fichier est attendu (\(what.fr))", en: "is a folder, expected a \(what.en) file")
        case .notARegularFile(let kind):
            return InputError(
                .invalidData, file: path, fr: "\(what.fr) : \(RegularFile.frenchKind(kind)), pas un fichier ordinaire : refusé sans être lu",
                en: "\(what.en) is a \(kind), not a regular file: refused unread")
        case .tooLarge(let bytes, let limit): return tooLarge(path, size: bytes, limit: limit, what: what)
        case .permissionDenied, .tooManyLinks, .other:
            return InputError(
                .io, file: path, fr: "lecture impossible (\(what.fr)) : \(failure.frenchDescription)", en: "cannot read \(what.en): \(failure)")
        }
    }

    static func tooLarge(_ path: String, size: Int, limit: Int, what: LocalizedText) -> InputError {
        InputError(
            .invalidData, file: path,
            fr: "trop volumineux (\(what.fr)) : \(size) octets ou plus, au-delà de la limite de \(limit) octets (\(limit >> 20) Mio) ; refusé sans être lu",
            en: "\(what.en) too large: \(size) bytes or more, over the limit of \(limit) bytes (\(limit >> 20) MiB); refused unread")
    }

    /// Reads a private key file, refusing it when its mode lets the group or others read or write it.
    /// - Throws: `InputError(.invalidData)` with the `chmod 600` to run; `.missing`; or the key's parse error.
    public static func readPrivateKey(_ path: String) throws(InputError) -> PrivateKey {
        let bytes = try readPrivateKeyBytes(path)
        do {
            return try PrivateKey(encoded: bytes)
        } catch {
            throw InputError(
                .invalidData, file: path, fr: "ce n'est pas une clé privée non chiffrée au format PEM ou DER (\(error))",
                en: "not an unencrypted private key in PEM or DER form (\(error))")
        }
    }

    /// The bytes of a private key file (for a library that parses keys itself), with the same checks
    /// as `readPrivateKey`: mode 0600 or stricter, a regular file within `maximumPKIFileBytes`.
    public static func readPrivateKeyBytes(_ path: String) throws(InputError) -> [UInt8] {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT { throw InputError(.missing, file: path, fr: "clé privée introuvable", en: "private key not found") }
            let reason = String(cString: strerror(code))
            throw InputError(.io, file: path, fr: "lecture impossible de la clé privée : \(reason)", en: "cannot read private key: \(reason)")
        }
        let mode = status.st_mode & 0o777
        if mode & 0o077 != 0 {
            let octal = String(mode, radix: 8, uppercase: false).leftPadded(to: 4)
            throw InputError(
                .invalidData, file: path,
                fr: "la clé privée est accessible au groupe ou aux autres (mode \(octal)) ; refusée. Corrigez avec : chmod 600 \(path)",
                en: "private key is accessible to group or others (mode \(octal)); refused. Fix it with: chmod 600 \(path)")
        }
        return try read(path, limit: maximumPKIFileBytes, what: LocalizedText(fr: "clé privée", en: "private key"))
    }

    /// Reads the first certificate of a PEM or DER file.
    public static func readCertificate(_ path: String, what: LocalizedText = LocalizedText(fr: "certificat", en: "certificate")) throws(InputError) -> X509Certificate {
        try readCertificates(path, what: what)[0]
    }

    /// Reads every certificate of a PEM file, or one DER certificate.
    public static func readCertificates(_ path: String, what: LocalizedText = LocalizedText(fr: "certificat", en: "certificate")) throws(InputError) -> [X509Certificate] {
        let bytes = try read(path, limit: maximumPKIFileBytes, what: what)
        do {
            return try X509Certificate.load(bytes)
        } catch {
            throw InputError(.invalidData, file: path, fr: "\(what.fr) : \(error)", en: "\(what.en): \(error)")
        }
    }

    /// Reads a CRL in PEM or DER form.
    public static func readCRL(_ path: String) throws(InputError) -> CertificateRevocationList {
        let bytes = try read(path, limit: maximumPKIFileBytes, what: LocalizedText(fr: "liste de révocation (CRL)", en: "CRL"))
        do {
            return try CertificateRevocationList(encoded: bytes)
        } catch {
            throw InputError(
                .invalidData, file: path, fr: "ce n'est pas une liste de révocation (CRL) PEM ou DER (\(error))",
                en: "not a CRL in PEM or DER form (\(error))")
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
