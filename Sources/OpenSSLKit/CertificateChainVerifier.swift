internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// A set of trust anchors, kept compact: each anchor's DER and the canonical hashes of its subject and
/// issuer names (`X509_NAME_hash_ex`, the hash `c_rehash` names files by), not a decoded `X509`.
///
/// The system bundle holds about 146 roots; decoded into libcrypto `X509`s they cost about 1 MB
/// of resident memory for a whole scan (issue 19), while a chain can only ever use the few whose
/// subject names it meets. `CertificateChainVerifier.verify` therefore gives libcrypto an
/// `X509_STORE` of the anchors that can matter to the chain at hand: those whose subject name is the
/// subject or issuer name of a certificate of the chain, then, transitively, the issuer names of the
/// anchors chosen. libcrypto looks anchors up by subject name only (issuer search, and the search
/// for a chain certificate that is itself trusted), so the verdict, the built path and the error are
/// those of a store holding every anchor (`openssl verify -CAfile bundle`); a hash collision only
/// adds an anchor that cannot be used.
///
/// Built from PEM bundles the caller read (the system bundle `/etc/ssl/certs/ca-certificates.crt`
/// read through the audited root, or a `--ca-file`), so no hidden file access happens here.
/// Read-only once built: one store serves concurrent verifications.
public final class TrustStore: @unchecked Sendable {
    struct Anchor {
        let der: [UInt8]
        let subjectHash: UInt
        let issuerHash: UInt
    }

    private var anchors: [Anchor] = []
    private var known: Set<[UInt8]> = []
    /// Number of distinct anchors added.
    public var count: Int { anchors.count }

    /// An empty store.
    public init() throws {}

    /// Adds every certificate of `certificates` as a trust anchor (duplicates once).
    public func add(_ certificates: [X509Certificate]) {
        for certificate in certificates { add(certificate.pointer) }
    }

    /// Adds every `CERTIFICATE` block of a PEM bundle, read as `CertificateFile.load(contents:)` reads
    /// it, one certificate decoded at a time.
    /// - Returns: the number of blocks read (duplicates included).
    /// - Throws: `CertificateFile.LoadError` when no certificate can be read.
    @discardableResult
    public func add(bundle contents: [UInt8]) throws(CertificateFile.LoadError) -> Int {
        let (read, _) = try CertificateFile.load(contents: contents) { encoded, trailingBytesAllowed -> Bool? in
            guard let certificate = X509Certificate.parse(derEncoded: encoded, allowingTrailingBytes: trailingBytesAllowed) else { return nil }
            add(certificate.pointer)
            return true
        }
        return read.count
    }

    private func add(_ certificate: OpaquePointer) {
        let der = X509Certificate(retaining: certificate).derEncoded
        guard !der.isEmpty, known.insert(der).inserted else { return }
        anchors.append(Anchor(der: der, subjectHash: Self.hash(X509_get_subject_name(certificate)), issuerHash: Self.hash(X509_get_issuer_name(certificate))))
    }

    static func hash(_ name: OpaquePointer?) -> UInt {
        var ok: Int32 = 0
        let value = X509_NAME_hash_ex(name, nil, nil, &ok)
        return UInt(value)
    }

    /// A new `X509_STORE` (the caller frees it) with the anchors that can matter to `chain`
    /// (see the type's description), or nil when libcrypto cannot allocate one.
    func makeStore(for chain: [X509Certificate]) -> OpaquePointer? {
        guard let store = X509_STORE_new() else { return nil }
        var wanted = Set<UInt>()
        for certificate in chain {
            wanted.insert(Self.hash(X509_get_subject_name(certificate.pointer)))
            wanted.insert(Self.hash(X509_get_issuer_name(certificate.pointer)))
        }
        var chosen = [Bool](repeating: false, count: anchors.count)
        var grew = true
        while grew {
            grew = false
            for (index, anchor) in anchors.enumerated() where !chosen[index] && wanted.contains(anchor.subjectHash) {
                chosen[index] = true
                grew = true
                wanted.insert(anchor.issuerHash)
            }
        }
        for (index, anchor) in anchors.enumerated() where chosen[index] {
            guard let certificate = X509Certificate.parse(derEncoded: anchor.der) else { continue }
            _ = X509_STORE_add_cert(store, certificate.pointer)
        }
        OpenSSLError.clearQueue()
        return store
    }
}

/// The outcome of path validation of a served chain.
public struct ChainVerification: Sendable {
    /// True when a path from the leaf to an anchor of the store was built and every signature verified.
    public let trusted: Bool
    /// OpenSSL's verification error code (`X509_V_ERR_*`), 0 when trusted.
    public let errorCode: Int
    /// `X509_verify_cert_error_string` text (`self-signed certificate`, `unable to get local issuer certificate`).
    public let errorText: String
    /// Depth at which the error happened (0 = leaf), -1 when trusted.
    public let errorDepth: Int
    /// The path validation built, leaf first, anchor last (partial when validation failed).
    public let chain: [X509Certificate]

    /// `X509_V_ERR_*` values cyberctl reasons about.
    public enum Code {
        public static let unableToGetIssuerCertificate = 2
        public static let certificateNotYetValid = 9
        public static let certificateHasExpired = 10
        public static let errorInNotBeforeField = 13
        public static let errorInNotAfterField = 14
        public static let depthZeroSelfSigned = 18
        public static let selfSignedInChain = 19
        public static let unableToGetIssuerLocally = 20
        public static let unableToVerifyLeafSignature = 21
        public static let chainTooLong = 22
    }
}

/// Path validation with libcrypto's verifier (`X509_verify_cert`), the one `openssl verify` uses.
public enum CertificateChainVerifier {
    /// Validates `leaf` with `untrusted` as candidate intermediates against `store`.
    /// - Parameters:
    ///   - at: the validation time; when `checkTime` is false, validity dates are ignored.
    ///   - maximumDepth: longest path accepted (intermediates + anchor), bounding work on huge chains.
    ///   - asTLSClient: verify as a TLS client verifies a server (the `ssl_server` parameters libssl
    ///     sets on a client connection, so `openssl s_client -verify_return_error`'s verdict): the
    ///     certificates' purpose (extended key usage) must allow a TLS server.
    public static func verify(
        leaf: X509Certificate, untrusted: [X509Certificate], store: TrustStore, at date: Date,
        checkTime: Bool = false, maximumDepth: Int = 10, asTLSClient: Bool = false
    ) -> ChainVerification {
        guard let context = X509_STORE_CTX_new() else {
            OpenSSLError.clearQueue()
            return ChainVerification(trusted: false, errorCode: -1, errorText: "cannot allocate a verification context", errorDepth: -1, chain: [])
        }
        defer { X509_STORE_CTX_free(context) }
        guard let stack = cyberctl_sk_X509_new_null() else {
            return ChainVerification(trusted: false, errorCode: -1, errorText: "cannot allocate a stack", errorDepth: -1, chain: [])
        }
        // The stack borrows the certificates; the array below keeps them alive.
        defer { cyberctl_sk_X509_free(stack) }
        for certificate in untrusted { _ = cyberctl_sk_X509_push(stack, certificate.pointer) }
        guard let anchors = store.makeStore(for: [leaf] + untrusted) else {
            OpenSSLError.clearQueue()
            return ChainVerification(trusted: false, errorCode: -1, errorText: "cannot allocate a trust store", errorDepth: -1, chain: [])
        }
        defer { X509_STORE_free(anchors) }
        guard X509_STORE_CTX_init(context, anchors, leaf.pointer, stack) == 1 else {
            let error = OpenSSLError.drain("initialising verification")
            return ChainVerification(trusted: false, errorCode: -1, errorText: error.description, errorDepth: -1, chain: [])
        }
        // Before the depth and time below: set_default copies the named parameters over the context's.
        if asTLSClient { _ = X509_STORE_CTX_set_default(context, "ssl_server") }
        if let parameters = X509_STORE_CTX_get0_param(context) {
            X509_VERIFY_PARAM_set_depth(parameters, Int32(maximumDepth))
            // USE_CHECK_TIME (set by set_time) wins over NO_CHECK_TIME in x509_vfy.c: set only one.
            if checkTime {
                X509_VERIFY_PARAM_set_time(parameters, time_t(date.timeIntervalSince1970))
            } else {
                X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_NO_CHECK_TIME))
            }
        }
        let verified = withExtendedLifetime(untrusted) { X509_verify_cert(context) == 1 }
        let code = Int(X509_STORE_CTX_get_error(context))
        let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
        var chain: [X509Certificate] = []
        if let built = X509_STORE_CTX_get1_chain(context) {
            for index in 0..<cyberctl_sk_X509_num(built) {
                if let certificate = cyberctl_sk_X509_value(built, index) {
                    chain.append(X509Certificate(retaining: certificate))
                }
            }
            cyberctl_sk_X509_pop_free(built)
        }
        OpenSSLError.clearQueue()
        return ChainVerification(
            trusted: verified, errorCode: verified ? 0 : code, errorText: verified ? "ok" : text,
            errorDepth: verified ? -1 : Int(X509_STORE_CTX_get_error_depth(context)), chain: chain)
    }
}

/// How a certificate's names relate to the name a client asked for.
public enum NameMatch: String, Sendable, Codable {
    /// A subject alternative name matches (RFC 6125).
    case subjectAltName = "san"
    /// Only the subject common name matches (no usable SAN): browsers reject this since 2017.
    case commonNameOnly = "cn-only"
    /// Nothing matches.
    case mismatch
}

extension X509Certificate {
    /// Matches a DNS name (`X509_check_host`, no partial wildcards) or an IP address literal
    /// (`X509_check_ip_asc`) against the certificate.
    public func match(name: String) -> NameMatch {
        let isIP = name.contains(":") || name.split(separator: ".").count == 4 && name.allSatisfy { $0.isNumber || $0 == "." }
        if isIP {
            let result = X509_check_ip_asc(pointer, name, 0) == 1 ? NameMatch.subjectAltName : .mismatch
            OpenSSLError.clearQueue()
            return result
        }
        let strict = cyberctl_X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS() | cyberctl_X509_CHECK_FLAG_NEVER_CHECK_SUBJECT()
        if X509_check_host(pointer, name, name.utf8.count, strict, nil) == 1 {
            OpenSSLError.clearQueue()
            return .subjectAltName
        }
        let lenient = X509_check_host(pointer, name, name.utf8.count, cyberctl_X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS(), nil) == 1
        OpenSSLError.clearQueue()
        return lenient ? .commonNameOnly : .mismatch
    }
}
