internal import CCurl
internal import CCurlShims
import FoundationEssentials

/// One HTTP(S) GET through libcurl (opened on first use, `CCurlShims`): never follows redirects,
/// bounded in time and size, connecting to an address the caller resolved (so the name asked for, its
/// SNI and Host header stay those of the URL).
///
/// Blocking: call it from a dedicated thread (`Blocking.run`), never from a Swift concurrency thread.
public struct HTTPRequest: Sendable {
    public var url: String
    /// Host name of the URL and the address to connect to instead of resolving it (`CURLOPT_RESOLVE`).
    public var connectTo: (host: String, port: UInt16, address: String)?
    /// Verify the server's certificate chain and name (libcurl's OpenSSL verification, RFC 6125).
    public var verifyCertificate = true
    /// PEM bundle of trust anchors; nil: libcurl's default (the system bundle).
    public var caFile: String?
    /// Seconds for the whole request (connection included).
    public var timeout: Double = 10
    /// Largest body kept, bytes; longer bodies are cut and `bodyTruncated` is set.
    public var maximumBody = 64 << 10
    public var userAgent = "cyberctl"

    public init(url: String) { self.url = url }

    /// What came back.
    public struct Response: Sendable {
        public var status: Int?
        /// Header values by lower-cased name (first occurrence), of the final response.
        public var headers: [String: String] = [:]
        public var body: [UInt8] = []
        public var bodyTruncated = false
        /// `Location` resolved against the URL, for redirects.
        public var redirectURL: String?
        /// libcurl's error, nil on success.
        public var error: String?
        public var failure: Failure?
        /// The address connected to (`127.0.0.1`).
        public var address: String?

        /// Why a request failed, in the classes the rules tell apart.
        public enum Failure: String, Sendable {
            /// Nothing listens (connection refused): a verified absence of the service.
            case refused
            /// The certificate could not be verified (chain, name, dates).
            case certificate
            /// Timeout, reset, TLS handshake or protocol failure: not conclusive.
            case other
        }
    }

    private static let initialised: Bool = {
        cyberctl_curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()

    /// Performs the request.
    public func perform() -> Response {
        _ = Self.initialised
        var response = Response()
        guard let handle = cyberctl_curl_easy_init() else {
            response.error = cyberctl_curl_unavailable().map { "libcurl unavailable: \(String(cString: $0))" } ?? "curl_easy_init failed"
            response.failure = .other
            return response
        }
        defer { cyberctl_curl_easy_cleanup(handle) }
        var resolve: UnsafeMutablePointer<curl_slist>?
        defer { cyberctl_curl_slist_free_all(resolve) }
        _ = cyberctl_curl_easy_setopt_string(handle, CURLOPT_URL, url)
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeout * 1000))
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, verifyCertificate ? 1 : 0)
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, verifyCertificate ? 2 : 0)
        if let caFile { _ = cyberctl_curl_easy_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = cyberctl_curl_easy_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        _ = cyberctl_curl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        if let connectTo {
            let bracketed = connectTo.address.contains(":") ? "[\(connectTo.address)]" : connectTo.address
            resolve = cyberctl_curl_slist_append(nil, "\(connectTo.host):\(connectTo.port):\(bracketed)")
            _ = cyberctl_curl_easy_setopt_pointer(handle, CURLOPT_RESOLVE, UnsafeMutableRawPointer(resolve))
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        _ = cyberctl_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        let sink = BodySink(limit: maximumBody)
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        _ = cyberctl_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        _ = cyberctl_curl_easy_setopt_write_function(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            let sink = Unmanaged<BodySink>.fromOpaque(user).takeUnretainedValue()
            let total = size * count
            let room = max(0, sink.limit - sink.bytes.count)
            if total > room {
                sink.bytes += UnsafeRawBufferPointer(start: data, count: room)
                sink.truncated = true
                return 0  // stops the transfer: CURLE_WRITE_ERROR, read as "truncated"
            }
            sink.bytes += UnsafeRawBufferPointer(start: data, count: total)
            return total
        }
        let code = cyberctl_curl_easy_perform(handle)
        var primary: UnsafeMutablePointer<CChar>?
        if cyberctl_curl_easy_getinfo_string(handle, CURLINFO_PRIMARY_IP, &primary) == CURLE_OK, let primary, primary.pointee != 0 {
            response.address = String(cString: primary)
        }
        if code != CURLE_OK && !(code == CURLE_WRITE_ERROR && sink.truncated) {
            let detail = String(cString: errorBuffer)
            response.error = detail.isEmpty ? String(cString: cyberctl_curl_easy_strerror(code)) : detail
            switch code {
            case CURLE_COULDNT_CONNECT: response.failure = .refused
            case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE: response.failure = .certificate
            default: response.failure = .other
            }
            if code == CURLE_COULDNT_CONNECT, !detail.lowercased().contains("refused") {
                // A connect timeout or unreachable network is not a verified absence.
                response.failure = .other
            }
            return response
        }
        var status = 0
        _ = cyberctl_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        response.status = status
        response.body = sink.bytes
        response.bodyTruncated = sink.truncated
        for name in ["strict-transport-security", "content-type", "location"] {
            var header: UnsafeMutablePointer<curl_header>?
            if cyberctl_curl_easy_header(handle, name, 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK, let header {
                response.headers[name] = String(cString: header.pointee.value)
            }
        }
        var location: UnsafeMutablePointer<CChar>?
        if cyberctl_curl_easy_getinfo_string(handle, CURLINFO_REDIRECT_URL, &location) == CURLE_OK, let location {
            response.redirectURL = String(cString: location)
        }
        return response
    }
}

/// The body as it arrives, up to a limit.
private final class BodySink {
    let limit: Int
    var bytes: [UInt8] = []
    var truncated = false
    init(limit: Int) { self.limit = limit }
}
