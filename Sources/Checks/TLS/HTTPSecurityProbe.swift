internal import CCurl
internal import CCurlShims
import Foundation
import TLSProbe

/// What `tls.hsts` judges: the HSTS header of an HTTPS answer and the http:// redirect.
public struct HTTPSecurityFacts: Sendable, Equatable {
    /// Whether `http://` on port 80 sends clients to `https://`.
    public enum Redirect: String, Sendable {
        /// A 301/302/303/307/308 to an https:// location.
        case redirected
        /// Port 80 answers, without sending clients to https://.
        case notRedirected = "not-redirected"
        /// Nothing listens on port 80 (nothing to redirect).
        case noHTTPService = "no-http-service"
        /// Not tested (the endpoint is not on the standard port 443).
        case notTested = "not-tested"
    }

    public var httpsStatus: Int?
    /// The first Strict-Transport-Security header, as sent.
    public var hstsHeader: String?
    /// Its max-age directive, seconds; nil when absent or unreadable.
    public var hstsMaxAge: Int?
    public var httpRedirect: Redirect = .notTested
    public var httpLocation: String?
    /// Why the HTTPS request itself failed.
    public var error: String?

    public init() {}

    /// `max-age` of a Strict-Transport-Security value (RFC 6797 §6.1), nil when missing or malformed.
    public static func maxAge(ofHSTS value: String) -> Int? {
        for directive in value.split(separator: ";") {
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].lowercased() == "max-age" else { continue }
            return Int(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
        return nil
    }
}

/// Reads HSTS and the http→https redirect with libcurl (certificate checks off: the certificate is
/// judged by the TLS rules, this only reads headers). Bounded by `timeout` per request; the body is
/// discarded as it arrives.
enum HTTPSecurityProbe {
    private static let initialised: Bool = {
        cyberctl_curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()

    static func run(endpoint: TLSEndpoint, address: String?, timeout: Double) -> HTTPSecurityFacts {
        _ = initialised
        var facts = HTTPSecurityFacts()
        let name = endpoint.sniName ?? endpoint.host
        let urlHost = name.contains(":") ? "[\(name)]" : name
        let https = request(url: "https://\(urlHost):\(endpoint.port)/", host: name, port: endpoint.port, ip: ip(of: address), timeout: timeout)
        if let error = https.error {
            facts.error = "HTTPS request failed: \(error)"
            return facts
        }
        facts.httpsStatus = https.status
        facts.hstsHeader = https.hsts
        facts.hstsMaxAge = https.hsts.flatMap(HTTPSecurityFacts.maxAge(ofHSTS:))
        if endpoint.port == 443 {
            let http = request(url: "http://\(urlHost)/", host: name, port: 80, ip: ip(of: address), timeout: timeout)
            if http.connectFailed {
                facts.httpRedirect = .noHTTPService
            } else if let status = http.status, [301, 302, 303, 307, 308].contains(status),
                      let location = http.location, location.lowercased().hasPrefix("https://") {
                facts.httpRedirect = .redirected
                facts.httpLocation = location
            } else {
                facts.httpRedirect = http.error == nil ? .notRedirected : .noHTTPService
                facts.httpLocation = http.location
            }
        }
        return facts
    }

    static func ip(of address: String?) -> String? {
        guard let address, let colon = address.lastIndex(of: ":") else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
        return host
    }

    struct Answer {
        var status: Int?
        var hsts: String?
        var location: String?
        var error: String?
        var connectFailed = false
    }

    static func request(url: String, host: String, port: UInt16, ip: String?, timeout: Double) -> Answer {
        var answer = Answer()
        guard let handle = cyberctl_curl_easy_init() else {
            answer.error = cyberctl_curl_unavailable().map { "libcurl unavailable: \(String(cString: $0))" } ?? "curl_easy_init failed"
            return answer
        }
        defer { cyberctl_curl_easy_cleanup(handle) }
        var resolve: UnsafeMutablePointer<curl_slist>?
        defer { cyberctl_curl_slist_free_all(resolve) }
        _ = cyberctl_curl_easy_setopt_string(handle, CURLOPT_URL, url)
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeout * 1000))
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = cyberctl_curl_easy_setopt_long(handle, CURLOPT_MAXFILESIZE, 1 << 20)
        _ = cyberctl_curl_easy_setopt_string(handle, CURLOPT_USERAGENT, "cyberctl-tls-check")
        _ = cyberctl_curl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        // Discard the body as it arrives.
        _ = cyberctl_curl_easy_setopt_write_function(handle, CURLOPT_WRITEFUNCTION) { _, size, count, _ in size * count }
        if let ip, ip != host {
            // Connect to the probed address while asking for `host` (SNI and Host header).
            let bracketed = ip.contains(":") ? "[\(ip)]" : ip
            resolve = cyberctl_curl_slist_append(nil, "\(host):\(port):\(bracketed)")
            _ = cyberctl_curl_easy_setopt_pointer(handle, CURLOPT_RESOLVE, UnsafeMutableRawPointer(resolve))
        }
        let code = cyberctl_curl_easy_perform(handle)
        if code != CURLE_OK && code != CURLE_WRITE_ERROR && code != CURLE_FILESIZE_EXCEEDED {
            answer.error = String(cString: cyberctl_curl_easy_strerror(code))
            answer.connectFailed = code == CURLE_COULDNT_CONNECT
            return answer
        }
        var status = 0
        _ = cyberctl_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        answer.status = status
        var header: UnsafeMutablePointer<curl_header>?
        if cyberctl_curl_easy_header(handle, "Strict-Transport-Security", 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK, let header {
            answer.hsts = String(cString: header.pointee.value)
        }
        var location: UnsafeMutablePointer<CChar>?
        if cyberctl_curl_easy_getinfo_string(handle, CURLINFO_REDIRECT_URL, &location) == CURLE_OK, let location {
            answer.location = String(cString: location)
        }
        return answer
    }
}
