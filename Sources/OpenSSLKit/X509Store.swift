internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials

/// A set of trusted certificates (`X509_STORE*`), freed in `deinit`, to build and check chains the
/// way `openssl verify` does. Read-only once built, so one store serves many verifications at once.
public final class X509Store: @unchecked Sendable {
    let pointer: OpaquePointer

    /// A store trusting `anchors` (root or intermediate CA certificates).
    /// - Throws: `OpenSSLError` when libcrypto refuses a certificate.
    public init(trusting anchors: [X509Certificate]) throws(OpenSSLError) {
        guard let store = X509_STORE_new() else { throw OpenSSLError.drain("allocating a certificate store") }
        pointer = store
        for anchor in anchors {
            guard X509_STORE_add_cert(store, anchor.pointer) == 1 else {
                throw OpenSSLError.drain("adding a trusted certificate")
            }
        }
    }

    deinit { X509_STORE_free(pointer) }

    /// The outcome of a chain verification.
    public enum ChainResult: Sendable {
        /// The chain, leaf first, ending at a trusted certificate.
        case valid([X509Certificate])
        /// `X509_V_ERR_*` code, libcrypto's text for it, the depth (0 = leaf) and the certificate at fault.
        case invalid(ChainError)
    }

    /// Why a chain did not verify.
    public struct ChainError: Error, Sendable, CustomStringConvertible {
        public let code: Int32
        /// `X509_verify_cert_error_string` (`certificate has expired`).
        public let reason: String
        public let depth: Int
        public let certificate: X509Certificate?

        public var kind: Kind {
            switch code {
            case X509_V_ERR_CERT_HAS_EXPIRED: return .expired
            case X509_V_ERR_CERT_NOT_YET_VALID: return .notYetValid
            case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
                 X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
                 X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
                return .untrustedIssuer
            case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE: return .badSignature
            default: return .other
            }
        }

        public enum Kind: Sendable { case expired, notYetValid, untrustedIssuer, badSignature, other }

        public var description: String { "\(reason) (depth \(depth))" }
    }

    /// Builds and verifies the chain of `leaf` at time `at`, with `untrusted` as candidate intermediates.
    /// No purpose is enforced (as `-purpose any`); revocation is left to the caller.
    public func verify(_ leaf: X509Certificate, untrusted: [X509Certificate] = [], at time: Date) -> ChainResult {
        guard let context = X509_STORE_CTX_new() else {
            let error = OpenSSLError.drain("allocating a verification context")
            return .invalid(ChainError(code: -1, reason: error.description, depth: 0, certificate: leaf))
        }
        defer { X509_STORE_CTX_free(context) }
        let stack = cyberctl_sk_X509_new_null()
        defer { if let stack { cyberctl_sk_X509_free(stack) } }
        for certificate in untrusted { _ = cyberctl_sk_X509_push(stack, certificate.pointer) }
        guard X509_STORE_CTX_init(context, pointer, leaf.pointer, stack) == 1 else {
            let error = OpenSSLError.drain("initialising a verification context")
            return .invalid(ChainError(code: -1, reason: error.description, depth: 0, certificate: leaf))
        }
        X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970.rounded(.down)))
        let verified = X509_verify_cert(context)
        OpenSSLError.clearQueue()
        if verified == 1, let chain = X509_STORE_CTX_get0_chain(context) {
            var certificates: [X509Certificate] = []
            for index in 0..<cyberctl_sk_X509_num(chain) {
                if let certificate = cyberctl_sk_X509_value(chain, index) { certificates.append(X509Certificate(retaining: certificate)) }
            }
            return .valid(certificates)
        }
        let code = X509_STORE_CTX_get_error(context)
        let reason = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "verification failed"
        let at = X509_STORE_CTX_get_current_cert(context).map { X509Certificate(retaining: $0) }
        return .invalid(ChainError(code: code, reason: reason, depth: Int(X509_STORE_CTX_get_error_depth(context)), certificate: at))
    }
}
