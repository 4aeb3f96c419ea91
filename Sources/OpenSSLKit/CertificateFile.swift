internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// Reads the certificates held in one file, whatever its container format.
public enum CertificateFile {
    /// The container a file turned out to be.
    public enum Format: String, Sendable, Codable {
        case pem = "PEM"
        case der = "DER"
        case pkcs12 = "PKCS#12"
    }

    /// Why a file gave no certificate.
    public enum LoadError: Error, Equatable, CustomStringConvertible, Sendable {
        /// The file is empty.
        case empty
        /// PEM armour is there, but no `CERTIFICATE` block could be decoded.
        case noCertificateInPEM(OpenSSLError)
        /// A PKCS#12 file that needs a password cyberctl does not have.
        case pkcs12NeedsPassword
        /// Neither PEM, nor DER, nor PKCS#12.
        case unrecognised(OpenSSLError)

        public var description: String {
            switch self {
            case .empty: return "empty file"
            case .noCertificateInPEM(let error): return "PEM file without a readable certificate (\(error))"
            case .pkcs12NeedsPassword: return "PKCS#12 file protected by a password"
            case .unrecognised(let error): return "not a certificate in PEM, DER or PKCS#12 form (\(error))"
            }
        }
    }

    /// Parses `contents` as PEM (every `CERTIFICATE` block, in order; text around them is ignored),
    /// else as one DER certificate, else as PKCS#12 without a password (leaf first, then its CA certificates).
    /// Private keys in the file are never decoded.
    /// - Returns: the certificates, in file order, and the format recognised.
    /// - Throws: `LoadError` when no certificate can be read.
    public static func load(contents: [UInt8]) throws(LoadError) -> (certificates: [X509Certificate], format: Format) {
        try load(contents: contents) { encoded, trailingBytesAllowed in
            X509Certificate.parse(derEncoded: encoded, allowingTrailingBytes: trailingBytesAllowed)
        }
    }

    /// `load(contents:)` with the parsing of each certificate left to `parse`, so a caller that meets the
    /// same certificate in many files (a CA appended to every chain) can parse it once and reuse the result.
    ///
    /// `parse` receives one certificate's encoding as the file holds it and whether bytes may follow the
    /// certificate (true for a PEM block, as `PEM_read_bio_X509` allows; false for a DER file), and returns
    /// nil when the bytes are not a certificate, leaving OpenSSL's reasons queued so the error can name them. The blocks and their order are those `PEM_read_bio_X509`
    /// reads (`CERTIFICATE` and `X509 CERTIFICATE`, others skipped); reading stops at the first block that
    /// does not parse, as a loop over `PEM_read_bio_X509` does.
    public static func load<Certificate>(
        contents: [UInt8], parse: (_ encoded: [UInt8], _ trailingBytesAllowed: Bool) -> Certificate?
    ) throws(LoadError) -> (certificates: [Certificate], format: Format) {
        guard !contents.isEmpty else { throw .empty }
        // The error names only this file's reasons: nothing left on this thread's queue by earlier work
        // (a scan's tasks run on shared threads) may precede them.
        OpenSSLError.clearQueue()
        if looksLikePEM(contents) {
            let certificates = readPEMCertificates(contents, parse: parse)
            guard !certificates.isEmpty else {
                throw .noCertificateInPEM(OpenSSLError.drain("reading PEM certificates"))
            }
            OpenSSLError.clearQueue()
            return (certificates, .pem)
        }
        if let certificate = parse(contents, false) {
            return ([certificate], .der)
        }
        let derError = OpenSSLError.drain("parsing DER")
        switch readPKCS12(contents) {
        case .certificates(let certificates):
            // Each through `parse` too, from its DER encoding; one that does not parse back ends the list.
            var parsed: [Certificate] = []
            for certificate in certificates {
                guard let value = parse(certificate.derEncoded, false) else { break }
                parsed.append(value)
            }
            guard !parsed.isEmpty else { throw .unrecognised(OpenSSLError.drain("re-reading PKCS#12 certificates")) }
            return (parsed, .pkcs12)
        case .needsPassword: throw .pkcs12NeedsPassword
        case .notPKCS12:
            // d2i_PKCS12_bio's reasons are not this error's (the DER ones are): leave nothing queued.
            OpenSSLError.clearQueue()
            throw .unrecognised(derError)
        }
    }

    static func looksLikePEM(_ contents: [UInt8]) -> Bool {
        let marker = Array("-----BEGIN ".utf8)
        guard contents.count >= marker.count else { return false }
        // A search over the raw bytes: zlint files put a text dump before the PEM block.
        var index = 0
        while index <= contents.count - marker.count {
            if contents[index] == marker[0], Array(contents[index..<index + marker.count]) == marker { return true }
            index += 1
        }
        return false
    }

    /// The `CERTIFICATE` blocks of a PEM text, each handed to `parse`: the same blocks, in the same order,
    /// with the same stop at the first unparsable one, as repeated `PEM_read_bio_X509` calls, which are
    /// `PEM_bytes_read_bio` (block search, type check, base64) followed by `d2i_X509`.
    static func readPEMCertificates<Certificate>(
        _ contents: [UInt8], parse: (_ encoded: [UInt8], _ trailingBytesAllowed: Bool) -> Certificate?
    ) -> [Certificate] {
        // A read-only BIO over `contents` itself (no copy: a 220 KB system bundle would be held twice).
        contents.withUnsafeBytes { raw in readPEMCertificates(raw, parse: parse) }
    }

    private static func readPEMCertificates<Certificate>(
        _ contents: UnsafeRawBufferPointer, parse: (_ encoded: [UInt8], _ trailingBytesAllowed: Bool) -> Certificate?
    ) -> [Certificate] {
        guard let base = contents.baseAddress, let bio = BIO_new_mem_buf(base, Int32(clamping: contents.count)) else { return [] }
        defer { BIO_free(bio) }
        var certificates: [Certificate] = []
        while true {
            var data: UnsafeMutablePointer<UInt8>?
            var length = 0
            // "CERTIFICATE" is PEM_STRING_X509; PEM_bytes_read_bio also accepts "X509 CERTIFICATE" for it
            // and skips blocks of other types (keys, CRLs); it returns 0 at the end of the data.
            guard PEM_bytes_read_bio(&data, &length, nil, "CERTIFICATE", bio, nil, nil) == 1, let data else { break }
            let encoded = Array(UnsafeBufferPointer(start: data, count: length))
            cyberctl_OPENSSL_free(data)
            guard let certificate = parse(encoded, true) else { break }
            certificates.append(certificate)
        }
        return certificates
    }

    enum PKCS12Outcome {
        case certificates([X509Certificate])
        case needsPassword
        case notPKCS12
    }

    static func readPKCS12(_ contents: [UInt8]) -> PKCS12Outcome {
        guard let bio = try? MemoryBIO(bytes: contents),
              let pkcs12 = d2i_PKCS12_bio(bio.pointer, nil) else {
            return .notPKCS12
        }
        defer { PKCS12_free(pkcs12) }
        // "No password" is either an empty string or an absent one, depending on the tool that wrote it.
        for password in ["", nil] as [String?] {
            var leaf: OpaquePointer?
            var others: OpaquePointer?
            let parsed: Int32
            if let password {
                parsed = PKCS12_parse(pkcs12, password, nil, &leaf, &others)
            } else {
                parsed = PKCS12_parse(pkcs12, nil, nil, &leaf, &others)
            }
            guard parsed == 1 else { continue }
            OpenSSLError.clearQueue()
            var certificates: [X509Certificate] = []
            if let leaf { certificates.append(X509Certificate(owning: leaf)) }
            if let others {
                for index in 0..<cyberctl_sk_X509_num(others) {
                    if let certificate = cyberctl_sk_X509_value(others, index) {
                        certificates.append(X509Certificate(retaining: certificate))
                    }
                }
                cyberctl_sk_X509_pop_free(others)
            }
            return certificates.isEmpty ? .notPKCS12 : .certificates(certificates)
        }
        OpenSSLError.clearQueue()
        return .needsPassword
    }
}
