internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials
import OpenSSLKit

#if canImport(Glibc)
import Glibc
#endif

/// An owned client `SSL_CTX` set up for probing: security level 0 with an allow-all security
/// callback (so OpenSSL 3 offers TLS 1.0/1.1 and weak suites, and accepts weak keys and groups),
/// no certificate verification during the handshake (the chain is judged afterwards), legacy
/// server connect allowed (servers without RFC 5746), no session tickets. Freed in `deinit`.
/// One context serves every connection of a probe; `SSL_new` on a configured context is thread-safe.
final class ProbeContext: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Suites this libssl can offer, TLS 1.3 included, with OpenSSL's names.
    let knownSuites: [UInt16: String]
    /// The suite lists each version's enumeration offers.
    let suiteLists: SuiteLists

    /// Largest certificate list accepted from a server, in bytes (OpenSSL's default is 100 KiB).
    static let maximumCertificateListBytes = 256 * 1024

    init() throws {
        guard let method = TLS_client_method(), let context = SSL_CTX_new(method) else {
            throw OpenSSLError.drain("creating the TLS client context")
        }
        pointer = context
        cyberctl_SSL_CTX_allow_everything(context)
        cyberctl_SSL_CTX_set_probe_options(context)
        cyberctl_SSL_CTX_set_max_cert_list(context, Self.maximumCertificateListBytes)
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard SSL_CTX_set_cipher_list(context, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") == 1,
              SSL_CTX_set_ciphersuites(context, Self.tls13Suites.joined(separator: ":")) == 1 else {
            throw OpenSSLError.drain("setting the probe's cipher lists")
        }
        var known: [UInt16: String] = [:]
        if let ssl = SSL_new(context) {
            if let ciphers = SSL_get_ciphers(ssl) {
                for index in 0..<cyberctl_sk_SSL_CIPHER_num(ciphers) {
                    guard let cipher = cyberctl_sk_SSL_CIPHER_value(ciphers, index), let name = SSL_CIPHER_get_name(cipher) else { continue }
                    known[SSL_CIPHER_get_protocol_id(cipher)] = String(cString: name)
                }
            }
            SSL_free(ssl)
        }
        knownSuites = known
        suiteLists = SuiteLists(knownSuites: known)
        OpenSSLError.clearQueue()
    }

    deinit { SSL_CTX_free(pointer) }

    /// The five TLS 1.3 suites OpenSSL 3 implements (CCM ones are off by default elsewhere).
    static let tls13Suites = [
        "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
        "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
    ]
}

/// What one libssl handshake asks for.
struct HandshakeRequest {
    var minimum: ProtocolVersion = .tls1_0
    var maximum: ProtocolVersion = .tls1_3
    /// TLS 1.0–1.2 suites by OpenSSL name; nil keeps the context's list.
    var suites: [String]?
    /// TLS 1.3 suites; nil keeps the context's list.
    var tls13Suites: [String]?
    /// Groups (`X25519:P-256`); nil keeps OpenSSL's defaults.
    var groups: String?
    var serverName: String?
    var requestOCSP = false
    var fallbackSCSV = false
    var collectChain = false
    /// ALPN protocol ids to offer (`h2`, `http/1.1`); nil offers none.
    var alpn: [String]?
}

/// What a successful libssl handshake showed.
struct HandshakeFacts {
    let version: ProtocolVersion?
    let suite: UInt16
    /// DER of every certificate the server sent, leaf first (when asked for).
    let chain: [[UInt8]]
    /// Ephemeral key: `DH`/`EC`/`X25519`/`X448`, its size in bits, and its group when known.
    let ephemeralKeyType: String?
    let ephemeralKeyBits: Int?
    let group: String?
    /// RFC 5746 secure renegotiation indicated by the server.
    let secureRenegotiation: Bool
    /// Length of the stapled OCSP response, nil when none.
    let stapledOCSPBytes: Int?
    /// The ALPN protocol the server selected, nil when none.
    let alpn: String?
}

/// How a libssl handshake ended when it did not succeed.
struct HandshakeFailure: Error {
    /// The server answered with a TLS alert (it speaks TLS and refused the offer).
    let alert: Bool
    /// The network failed (closed, reset, timeout) or the bytes were not TLS.
    let network: ProbeNetworkError?
    /// OpenSSL's reason strings.
    let detail: String
    /// The client could not even build the ClientHello (no suite valid for the version).
    var clientSide = false
    /// The alert's description code, when the server's alert was read directly (hello-only exchanges).
    var alertCode: UInt8?

    /// `detail` in both languages: the network error's text, or OpenSSL's own strings as they are.
    var text: ProbeText { network.map { $0.text } ?? .verbatim(detail) }
}

extension ProbeContext {
    /// A new `SSL` on this context, set up for `request` (versions, suites, groups, SNI, OCSP, SCSV).
    /// The caller frees it.
    func makeSSL(_ request: HandshakeRequest) -> Result<OpaquePointer, HandshakeFailure> {
        OpenSSLError.clearQueue()
        guard let ssl = SSL_new(pointer) else {
            return .failure(HandshakeFailure(alert: false, network: nil, detail: OpenSSLError.drain("SSL_new").description, clientSide: true))
        }
        func fail(alert: Bool, network: ProbeNetworkError?, detail: String, clientSide: Bool) -> Result<OpaquePointer, HandshakeFailure> {
            SSL_free(ssl)
            return .failure(HandshakeFailure(alert: alert, network: network, detail: detail, clientSide: clientSide))
        }
        SSL_set_quiet_shutdown(ssl, 1)
        _ = cyberctl_SSL_set_min_proto_version(ssl, Int32(request.minimum.rawValue))
        _ = cyberctl_SSL_set_max_proto_version(ssl, Int32(request.maximum.rawValue))
        if let suites = request.suites {
            let list = (["@SECLEVEL=0"] + suites).joined(separator: ":")
            guard SSL_set_cipher_list(ssl, list) == 1 else {
                return fail(alert: false, network: nil, detail: OpenSSLError.drain("cipher list").description, clientSide: true)
            }
        }
        if let suites = request.tls13Suites {
            guard SSL_set_ciphersuites(ssl, suites.joined(separator: ":")) == 1 else {
                return fail(alert: false, network: nil, detail: OpenSSLError.drain("TLS 1.3 suites").description, clientSide: true)
            }
        }
        if let groups = request.groups, cyberctl_SSL_set1_groups_list(ssl, groups) != 1 {
            return fail(alert: false, network: nil, detail: OpenSSLError.drain("groups \(groups)").description, clientSide: true)
        }
        if let name = request.serverName { _ = cyberctl_SSL_set_tlsext_host_name(ssl, name) }
        if request.requestOCSP { _ = cyberctl_SSL_request_ocsp_status(ssl) }
        if request.fallbackSCSV { cyberctl_SSL_set_send_fallback_scsv(ssl) }
        if let protocols = request.alpn {
            // Wire format (RFC 7301 §3.1): each id preceded by its length. SSL_set_alpn_protos returns 0 on success.
            let wire = protocols.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            guard SSL_set_alpn_protos(ssl, wire, UInt32(wire.count)) == 0 else {
                return fail(alert: false, network: nil, detail: OpenSSLError.drain("ALPN").description, clientSide: true)
            }
        }
        return .success(ssl)
    }

    /// libssl's ClientHello for `request`, read from a memory BIO, then the server's answer up to its
    /// ServerHello (or alert) read by `RawHandshake.RecordReader`; the handshake goes no further.
    ///
    /// What the server chooses (version, suite, group) is all enumeration, server order, group and
    /// fallback tests need: stopping there spares both sides the certificate parsing, signature
    /// checks, key exchange and Finished messages of a full handshake (sslscan's raw tests stop there
    /// too). The offer is byte for byte the one `handshake` sends. `readFlight` reads on to
    /// ServerHelloDone (TLS 1.2 and lower: Certificate and ServerKeyExchange are in clear).
    func hello(_ request: HandshakeRequest, on connection: TCPConnection, readFlight: Bool = false) -> Result<RawHandshake.ServerHello, HandshakeFailure> {
        let ssl: OpaquePointer
        switch makeSSL(request) {
        case .success(let made): ssl = made
        case .failure(let failure): return .failure(failure)
        }
        defer { SSL_free(ssl) }
        guard let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem()) else {
            return .failure(HandshakeFailure(alert: false, network: nil, detail: OpenSSLError.drain("memory BIO").description, clientSide: true))
        }
        SSL_set_bio(ssl, input, output)  // the SSL owns both BIOs now
        let status = SSL_connect(ssl)
        if status != 1, SSL_get_error(ssl, status) != SSL_ERROR_WANT_READ {
            let queue = OpenSSLError.drain("ClientHello")
            let text = queue.entries.map(\.reason).joined(separator: "; ")
            return .failure(HandshakeFailure(alert: false, network: nil, detail: text, clientSide: true))
        }
        var clientHello = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(output)))
        let read = clientHello.withUnsafeMutableBytes { BIO_read(output, $0.baseAddress, Int32($0.count)) }
        OpenSSLError.clearQueue()
        guard read > 0 else {
            return .failure(HandshakeFailure(alert: false, network: nil, detail: "libssl wrote no ClientHello", clientSide: true))
        }
        do {
            try connection.send(Array(clientHello.prefix(Int(read))))
            var reader = RawHandshake.RecordReader(readFlight: readFlight)
            while true {
                guard let answer = try reader.feed(try connection.receive(maximum: 16_384)) else { continue }
                switch answer {
                case .serverHello(let hello): return .success(hello)
                case .alert(let code):
                    return .failure(HandshakeFailure(alert: true, network: nil, detail: "alert \(code) (\(RawHandshake.alertName(code)))", alertCode: code))
                case .failure(let error):
                    return .failure(HandshakeFailure(alert: false, network: error, detail: error.description))
                }
            }
        } catch {
            return .failure(HandshakeFailure(alert: false, network: error, detail: error.description))
        }
    }

    /// Runs one handshake on an already connected (and STARTTLS-upgraded) socket.
    func handshake(_ request: HandshakeRequest, on connection: TCPConnection) -> Result<HandshakeFacts, HandshakeFailure> {
        session(request, on: connection) { ssl in Self.facts(of: ssl, request) }
    }

    /// Runs one handshake on `connection`, then `body` with the established `SSL` (freed on return).
    func session<T>(_ request: HandshakeRequest, on connection: TCPConnection, _ body: (OpaquePointer) -> T) -> Result<T, HandshakeFailure> {
        let ssl: OpaquePointer
        switch makeSSL(request) {
        case .success(let made): ssl = made
        case .failure(let failure): return .failure(failure)
        }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, connection.fd)
        while true {
            let status = SSL_connect(ssl)
            if status == 1 { break }
            let error = SSL_get_error(ssl, status)
            do {
                switch error {
                case SSL_ERROR_WANT_READ: try connection.wait(for: Int16(POLLIN))
                case SSL_ERROR_WANT_WRITE: try connection.wait(for: Int16(POLLOUT))
                default:
                    let savedErrno = errno
                    let queue = OpenSSLError.drain("handshake")
                    let text = queue.entries.map(\.reason).joined(separator: "; ")
                    // An alert, or a ServerHello for a version outside the offered range ("unsupported
                    // protocol", "version too low"): the server speaks TLS and refused the offer.
                    if queue.entries.contains(where: {
                        $0.reason.contains("alert") || $0.reason.contains("unsupported protocol") || $0.reason.contains("version too low")
                    }) {
                        return .failure(HandshakeFailure(alert: true, network: nil, detail: text))
                    }
                    if queue.entries.contains(where: { $0.reason.contains("no ciphers available") || $0.reason.contains("no protocols available") }) {
                        return .failure(HandshakeFailure(alert: false, network: nil, detail: text, clientSide: true))
                    }
                    if error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN || queue.entries.contains(where: { $0.reason.contains("unexpected eof") }) {
                        let network: ProbeNetworkError = savedErrno == ECONNRESET ? .reset : .closed
                        return .failure(HandshakeFailure(alert: false, network: network, detail: text.isEmpty ? network.description : text))
                    }
                    return .failure(HandshakeFailure(alert: false, network: .protocolViolation(.verbatim(text)), detail: text))
                }
            } catch {
                OpenSSLError.clearQueue()
                return .failure(HandshakeFailure(alert: false, network: error, detail: error.description))
            }
        }
        return .success(body(ssl))
    }

    /// What the established `ssl` shows (see `HandshakeFacts`).
    private static func facts(of ssl: OpaquePointer, _ request: HandshakeRequest) -> HandshakeFacts {
        let version = ProtocolVersion(rawValue: UInt16(SSL_version(ssl)))
        let suite = SSL_get_current_cipher(ssl).map { SSL_CIPHER_get_protocol_id($0) } ?? 0
        var chain: [[UInt8]] = []
        if request.collectChain, let stack = SSL_get_peer_cert_chain(ssl) {
            for index in 0..<cyberctl_sk_X509_num(stack) {
                guard let certificate = cyberctl_sk_X509_value(stack, index) else { continue }
                var output: UnsafeMutablePointer<UInt8>?
                let length = i2d_X509(certificate, &output)
                if length > 0, let output {
                    chain.append(Array(UnsafeBufferPointer(start: output, count: Int(length))))
                    cyberctl_OPENSSL_free(output)
                }
            }
        }
        var keyType: String?
        var keyBits: Int?
        var group: String?
        if let key = cyberctl_SSL_get_peer_tmp_key(ssl) {
            keyBits = Int(EVP_PKEY_get_bits(key))
            switch EVP_PKEY_get_base_id(key) {
            case EVP_PKEY_DH, EVP_PKEY_DHX: keyType = "DH"
            case EVP_PKEY_EC: keyType = "EC"
            case EVP_PKEY_X25519: keyType = "X25519"
            case EVP_PKEY_X448: keyType = "X448"
            default: keyType = EVP_PKEY_get0_type_name(key).map { String(cString: $0) }
            }
            EVP_PKEY_free(key)
        }
        let groupID = cyberctl_SSL_get_negotiated_group(ssl)
        if groupID != 0, let name = SSL_group_to_name(ssl, groupID) { group = String(cString: name) }
        var ocsp: UnsafePointer<UInt8>?
        let ocspLength = cyberctl_SSL_get_tlsext_status_ocsp_resp(ssl, &ocsp)
        var selected: UnsafePointer<UInt8>?
        var selectedLength: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &selected, &selectedLength)
        let alpn = selected.flatMap { selectedLength > 0 ? String(decoding: UnsafeBufferPointer(start: $0, count: Int(selectedLength)), as: UTF8.self) : nil }
        let facts = HandshakeFacts(
            version: version, suite: suite, chain: chain, ephemeralKeyType: keyType, ephemeralKeyBits: keyBits,
            group: group, secureRenegotiation: cyberctl_SSL_get_secure_renegotiation_support(ssl) == 1,
            stapledOCSPBytes: ocspLength > 0 && ocsp != nil ? Int(ocspLength) : nil, alpn: alpn)
        OpenSSLError.clearQueue()
        return facts
    }
}
