internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// A set of trust anchors (`X509_STORE`), freed in `deinit`.
///
/// Built from PEM bundles the caller read (the system bundle `/etc/ssl/certs/ca-certificates.crt`
/// read through the audited root, or a `--ca-file`), so no hidden file access happens here.
public final class TrustStore: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Number of anchors added.
    public private(set) var count = 0

    /// An empty store.
    public init() throws {
        guard let store = X509_STORE_new() else { throw OpenSSLError.drain("allocating a trust store") }
        pointer = store
    }

    deinit { X509_STORE_free(pointer) }

    /// Adds every certificate of `certificates` as a trust anchor.
    public func add(_ certificates: [X509Certificate]) {
        for certificate in certificates where X509_STORE_add_cert(pointer, certificate.pointer) == 1 {
            count += 1
        }
        // Duplicates are reported as errors by X509_STORE_add_cert; they are harmless.
        OpenSSLError.clearQueue()
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
        guard X509_STORE_CTX_init(context, store.pointer, leaf.pointer, stack) == 1 else {
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
