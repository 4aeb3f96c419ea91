internal import CCurl
internal import CCurlShims
import Checks
import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// How to reach the collector: `POST <endpoint>` over mutual TLS (push protocol, issue 11).
public struct CollectorSettings: Sendable, Equatable {
    /// `https://…/v1/reports`.
    public var endpoint: String
    /// The RSSI's CA certificate (PEM): the only trust anchor for the collector's certificate (the system
    /// store is not used); the collector's certificate must also name the endpoint's host.
    public var caFile: String
    /// The agent's enrolled certificate and key (PEM), presented as the TLS client certificate.
    public var certificateFile: String
    public var keyFile: String
    /// Seconds to establish TCP and TLS.
    public var connectTimeout: Double
    /// Seconds for one whole upload, response included.
    public var timeout: Double
    /// `cyberctl/<version>`.
    public var userAgent: String

    public init(
        endpoint: String, caFile: String, certificateFile: String, keyFile: String, connectTimeout: Double, timeout: Double,
        userAgent: String
    ) {
        self.endpoint = endpoint
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.userAgent = userAgent
    }
}

/// What one upload came back with.
public enum CollectorAnswer: Sendable, Equatable {
    /// The collector answered with an HTTP status. `body` holds at most `CollectorClient.responseLimit`
    /// bytes (`truncated` when more came); `retryAfter` is the Retry-After header in seconds, when sent.
    case http(status: Int, body: [UInt8], truncated: Bool, retryAfter: TimeInterval?)
    /// No HTTP answer: DNS, connection refused, TLS handshake or certificate verification, timeout…
    /// `kind` classifies it; `message` is libcurl's detailed reason.
    case transport(kind: TransportFailure, message: String)
}

/// Why no HTTP answer came.
public enum TransportFailure: String, Sendable, Equatable {
    case resolve = "dns"
    case connect = "connection"
    case tls = "tls"
    /// The collector's certificate did not verify against the CA file, or does not name the host.
    case certificate = "certificate"
    /// The agent's own certificate or key could not be used.
    case clientCertificate = "client-certificate"
    case timeout = "timeout"
    case other = "transfer"

    /// What a French reader sees.
    public var frenchLabel: String {
        switch self {
        case .resolve: return "nom du collecteur introuvable (DNS)"
        case .connect: return "connexion au collecteur impossible"
        case .tls: return "échec de la négociation TLS"
        case .certificate: return "certificat du collecteur refusé"
        case .clientCertificate: return "certificat ou clé de l'agent inutilisable"
        case .timeout: return "délai dépassé"
        case .other: return "échec du transfert"
        }
    }
}

/// One libcurl easy handle, kept across uploads of a run (the connection and TLS session are reused).
/// Not thread-safe: one client per thread.
public final class CollectorClient {
    /// Largest response body kept (bytes); collector answers are a few hundred bytes of JSON.
    public static let responseLimit = 64 * 1024

    private static let initialised: Bool = {
        cyberctl_curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()

    public let settings: CollectorSettings
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// - Throws: `CollectorClientError` when libcurl cannot be set up.
    public init(settings: CollectorSettings) throws(CollectorClientError) {
        _ = Self.initialised
        guard let handle = cyberctl_curl_easy_init() else {
            // libcurl's own text (its version check) is quoted as is.
            throw CollectorClientError(
                cyberctl_curl_unavailable().map {
                    LocalizedText(fr: "libcurl indisponible : \(String(cString: $0))", en: "libcurl unavailable: \(String(cString: $0))")
                } ?? LocalizedText(fr: "échec de curl_easy_init", en: "curl_easy_init failed"))
        }
        self.handle = handle
        self.settings = settings
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var failures: [String] = []
        func set(_ option: CURLoption, _ value: Int, _ name: String) {
            if cyberctl_curl_easy_setopt_long(handle, option, value) != CURLE_OK { failures.append(name) }
        }
        func set(_ option: CURLoption, _ value: String?, _ name: String) {
            if cyberctl_curl_easy_setopt_string(handle, option, value) != CURLE_OK { failures.append(name) }
        }
        set(CURLOPT_URL, settings.endpoint, "URL")
        set(CURLOPT_PROTOCOLS_STR, "https", "PROTOCOLS_STR")
        set(CURLOPT_NOSIGNAL, 1, "NOSIGNAL")
        set(CURLOPT_FOLLOWLOCATION, 0, "FOLLOWLOCATION")
        set(CURLOPT_CONNECTTIMEOUT_MS, Int(settings.connectTimeout * 1000), "CONNECTTIMEOUT_MS")
        set(CURLOPT_TIMEOUT_MS, Int(settings.timeout * 1000), "TIMEOUT_MS")
        // TLS 1.2 at least (1.3 is negotiated when both sides have it), peer and host name verified against
        // the RSSI's CA alone: CAINFO replaces the bundle and CAPATH is cleared so /etc/ssl/certs is not used.
        set(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2), "SSLVERSION")
        set(CURLOPT_SSL_VERIFYPEER, 1, "SSL_VERIFYPEER")
        set(CURLOPT_SSL_VERIFYHOST, 2, "SSL_VERIFYHOST")
        set(CURLOPT_CAINFO, settings.caFile, "CAINFO")
        set(CURLOPT_CAPATH, nil, "CAPATH")
        set(CURLOPT_SSLCERTTYPE, "PEM", "SSLCERTTYPE")
        set(CURLOPT_SSLCERT, settings.certificateFile, "SSLCERT")
        set(CURLOPT_SSLKEYTYPE, "PEM", "SSLKEYTYPE")
        set(CURLOPT_SSLKEY, settings.keyFile, "SSLKEY")
        set(CURLOPT_USERAGENT, settings.userAgent, "USERAGENT")
        if cyberctl_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)) != CURLE_OK {
            failures.append("ERRORBUFFER")
        }
        if cyberctl_curl_easy_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, { data, size, count, user in
            guard let data, let user else { return 0 }
            let sink = Unmanaged<ResponseSink>.fromOpaque(user).takeUnretainedValue()
            let length = size * count
            guard sink.bytes.count + length <= CollectorClient.responseLimit else {
                sink.truncated = true
                return 0  // ends the transfer: CURLE_WRITE_ERROR, the status is still known
            }
            data.withMemoryRebound(to: UInt8.self, capacity: length) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
            return length
        }) != CURLE_OK {
            failures.append("WRITEFUNCTION")
        }
        guard failures.isEmpty else {
            cyberctl_curl_easy_cleanup(handle)
            errorBuffer.deallocate()
            throw CollectorClientError(
                LocalizedText(
                    fr: "libcurl a refusé des options : \(failures.joined(separator: ", "))", en: "libcurl refused options: \(failures.joined(separator: ", "))"))
        }
    }

    deinit {
        cyberctl_curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Uploads one pair: `multipart/form-data` with the parts `report` (application/json) and `signature`
    /// (application/pkcs7-signature), header `X-Cyberctl-Report-SHA256`. Blocks for at most `settings.timeout`.
    public func post(report: [UInt8], signature: [UInt8], fileName: String, sha256: String) -> CollectorAnswer {
        errorBuffer[0] = 0
        let sink = ResponseSink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        _ = cyberctl_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())

        var headers: UnsafeMutablePointer<curl_slist>?
        for line in ["X-Cyberctl-Report-SHA256: \(sha256)", "Accept: application/json", "Expect:"] {
            headers = cyberctl_curl_slist_append(headers, line)
        }
        defer { cyberctl_curl_slist_free_all(headers) }
        _ = cyberctl_curl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers))

        guard let mime = cyberctl_curl_mime_init(handle) else { return .transport(kind: .other, message: "curl_mime_init failed") }
        defer {
            _ = cyberctl_curl_easy_setopt_pointer(handle, CURLOPT_MIMEPOST, nil)
            cyberctl_curl_mime_free(mime)
        }
        let parts: [(name: String, fileName: String, type: String, bytes: [UInt8])] = [
            ("report", fileName, "application/json", report),
            ("signature", fileName + ".p7s", "application/pkcs7-signature", signature),
        ]
        for part in parts {
            guard let handlePart = cyberctl_curl_mime_addpart(mime) else { return .transport(kind: .other, message: "curl_mime_addpart failed") }
            var code = cyberctl_curl_mime_name(handlePart, part.name)
            if code == CURLE_OK { code = cyberctl_curl_mime_filename(handlePart, part.fileName) }
            if code == CURLE_OK { code = cyberctl_curl_mime_type(handlePart, part.type) }
            if code == CURLE_OK {
                // libcurl copies the bytes.
                code = part.bytes.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { cyberctl_curl_mime_data(handlePart, $0.baseAddress, buffer.count) }
                }
            }
            guard code == CURLE_OK else { return .transport(kind: .other, message: "multipart: \(String(cString: cyberctl_curl_easy_strerror(code)))") }
        }
        _ = cyberctl_curl_easy_setopt_pointer(handle, CURLOPT_MIMEPOST, UnsafeMutableRawPointer(mime))

        let code = cyberctl_curl_easy_perform(handle)
        var status = 0
        _ = cyberctl_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if code == CURLE_OK || (code == CURLE_WRITE_ERROR && sink.truncated && status > 0) {
            return .http(status: status, body: sink.bytes, truncated: sink.truncated, retryAfter: retryAfter())
        }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: cyberctl_curl_easy_strerror(code)) : detail
        return .transport(kind: Self.kind(of: code), message: message)
    }

    /// The Retry-After header in seconds (delay-seconds or an HTTP-date, RFC 9110 §10.2.3); nil when absent.
    private func retryAfter() -> TimeInterval? {
        var header: UnsafeMutablePointer<curl_header>?
        guard cyberctl_curl_easy_header(handle, "Retry-After", 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK, let header else { return nil }
        return Self.retryAfterSeconds(String(cString: header.pointee.value), now: Date())
    }

    /// Parses a Retry-After value: whole seconds, or an IMF-fixdate; nil when unreadable.
    public static func retryAfterSeconds(_ value: String, now: Date) -> TimeInterval? {
        let text = value.trimming(.whitespaces)
        if let seconds = Int(text), seconds >= 0 { return TimeInterval(seconds) }
        guard let date = InternetDate.parse(text, gmtOnly: true) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    static func kind(of code: CURLcode) -> TransportFailure {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .resolve
        case CURLE_COULDNT_CONNECT, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING: return .connect
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE: return .certificate
        case CURLE_SSL_CERTPROBLEM: return .clientCertificate
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CIPHER,
            CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            return .tls
        default: return .other
        }
    }
}

/// The response body as it arrives, bounded.
private final class ResponseSink {
    var bytes: [UInt8] = []
    var truncated = false
}

/// libcurl could not be set up: why, French and English (libcurl's own text quoted as is).
public struct CollectorClientError: Error, CustomStringConvertible, Sendable {
    public let text: LocalizedText
    init(_ text: LocalizedText) { self.text = text }

    /// The reason in French.
    public var description: String { text.fr }

    /// The reason in `language`.
    public func description(in language: Language) -> String { text.text(in: language) }
}
