import FoundationEssentials
import FoundationGaps
import Model
import TLSProbe
import NIS2

/// What `tls.hsts` judges: the HSTS header of an HTTPS answer and the http:// redirect.
public struct HTTPSecurityFacts: Sendable, Equatable {
    /// What plain `http://` does for this service.
    ///
    /// For a service on port 443 the plain counterpart is `http://` on port 80 (what a browser opens
    /// for a bare name). For a service on any other port (8443, 8006, 10443 …) it is `http://` on the
    /// same port: servers such as pveproxy or nginx answer a plain request there with a redirect or an
    /// error page, and a port that serves pages in clear as well is the weakness looked for.
    public enum Redirect: String, Sendable {
        /// A 301/302/303/307/308 to an https:// location.
        case redirected
        /// Plain HTTP answers without sending clients to https:// (pages served in clear).
        case notRedirected = "not-redirected"
        /// Nothing answers plain HTTP there: port 80 closed, or the TLS port drops a plain request.
        case noHTTPService = "no-http-service"
        /// The TLS port answers a plain request with an error status (nginx 400 "plain HTTP request
        /// sent to HTTPS port", 497 …): nothing is served in clear.
        case plainRefused = "plain-http-refused"
        /// The plain request timed out or failed in a way that proves nothing.
        case undetermined
    }

    /// How the endpoint was recognised as an HTTPS service: `alpn` (the server selected h2 or
    /// http/1.1), `http-answer` (it answered an HTTP request after the handshake), `profile`
    /// (declared `https: true`).
    public var recognisedBy = "http-answer"
    /// The ALPN protocol the server selected in the probe's handshake.
    public var alpn: String?
    public var httpsStatus: Int?
    /// The first Strict-Transport-Security header, as sent.
    public var hstsHeader: String?
    /// Its max-age directive, seconds; nil when absent or unreadable.
    public var hstsMaxAge: Int?
    public var httpRedirect: Redirect = .undetermined
    /// The plain URL tried for the redirect.
    public var httpURL: String?
    public var httpStatus: Int?
    public var httpLocation: String?
    /// Why the plain request proved nothing (`undetermined`).
    public var httpError: String?
    /// Why the HTTPS request itself failed.
    public var error: LocalizedText?

    public init() {}

    /// `max-age` of a Strict-Transport-Security value (RFC 6797 §6.1), nil when the browser ignores
    /// the header (`hstsProblem` says why).
    public static func maxAge(ofHSTS value: String) -> Int? {
        if case .valid(let maxAge) = hsts(value) { return maxAge }
        return nil
    }

    /// How a browser reads a Strict-Transport-Security value (RFC 6797 §6.1).
    public enum HSTSReading: Sendable, Equatable {
        /// A header the browser takes, with its max-age in seconds (0: forget the host's HSTS policy, §6.1.1).
        case valid(maxAge: Int)
        /// A header the browser must ignore, and why.
        case ignored(LocalizedText)
    }

    /// Reads a Strict-Transport-Security value as RFC 6797 §6.1 has the browser do: directives
    /// separated by `;`, names compared ignoring case, values a token or a quoted string. The
    /// header is ignored — no HSTS at all — when a directive appears more than once (§6.1: "All
    /// directives MUST appear only once"; §6.1 item 2 has the UA ignore such a header), when
    /// `max-age` is absent (§6.1.1 REQUIRED), or when its value is not delta-seconds (digits).
    public static func hsts(_ value: String) -> HSTSReading {
        var seen: Set<String> = []
        var maxAge: Int?
        for directive in value.split(separator: ";", omittingEmptySubsequences: false) {
            let parts = directive.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimming(.whitespaces) }
            let name = parts[0].lowercased()
            if name.isEmpty { continue }
            guard seen.insert(name).inserted else {
                return .ignored(LocalizedText(
                    fr: "la directive \(parts[0]) est répétée : le navigateur ignore l'en-tête entier (RFC 6797 §6.1), pas de HSTS",
                    en: "directive \(parts[0]) is repeated: the browser ignores the whole header (RFC 6797 §6.1), no HSTS"))
            }
            guard name == "max-age" else { continue }
            var text = parts.count == 2 ? parts[1] : ""
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return .ignored(LocalizedText(
                    fr: "max-age « \(parts.count == 2 ? parts[1] : "") » n'est pas un nombre de secondes : le navigateur ignore l'en-tête (RFC 6797 §6.1.1), pas de HSTS",
                    en: "max-age \"\(parts.count == 2 ? parts[1] : "")\" is not a number of seconds: the browser ignores the header (RFC 6797 §6.1.1), no HSTS"))
            }
            maxAge = Int(text) ?? Int.max
        }
        guard let maxAge else {
            return .ignored(LocalizedText(
                fr: "pas de directive max-age : le navigateur ignore l'en-tête (RFC 6797 §6.1.1), pas de HSTS",
                en: "no max-age directive: the browser ignores the header (RFC 6797 §6.1.1), no HSTS"))
        }
        return .valid(maxAge: maxAge)
    }
}

/// Whether a TLS service is a web service, decided by what it speaks, never by its port.
public enum WebService: Sendable, Equatable {
    /// Not a web service, or HSTS not asked for; the reason says why (`tls.hsts` skips).
    case notWeb(LocalizedText)
    /// Whether it speaks HTTP could not be established (`tls.hsts` errs).
    case undetermined(LocalizedText)
    /// An HTTPS service, with what its answers showed.
    case https(HTTPSecurityFacts)
}

/// Recognises HTTPS services and reads HSTS and the http→https redirect with `HTTPHeadProbe` (the
/// probe's own sockets and libssl, certificate checks off and every version and suite allowed: the
/// certificate and the protocol are judged by the TLS rules, this only reads headers; no libcurl, so
/// a scan does not load it and its dependencies, issue 19). Bounded by `timeout` per request; bodies
/// are never read.
enum HTTPSecurityProbe {
    /// ALPN ids that mean HTTP (IANA ALPN registry: HTTP/2 over TLS, HTTP/1.1, HTTP/1.0).
    static let webALPN: Set<String> = ["h2", "http/1.1", "http/1.0"]

    /// Decides whether `report`'s endpoint is a web service and, when it is, reads its headers.
    ///
    /// 1. `declared` (the profile's `https:`) wins when given;
    /// 2. a STARTTLS service is not a web service;
    /// 3. ALPN: h2 or http/1.1 selected in the probe's handshake means HTTPS; another protocol
    ///    selected, or no_application_protocol, means not;
    /// 4. no ALPN: an HTTP request after the handshake; an HTTP answer means HTTPS, an answer that is
    ///    not HTTP (nothing, or other bytes) means not, and a timeout or failed handshake proves nothing.
    static func examine(report: ProbeReport, declared: Bool?, timeout: Double, prober: TLSProber? = nil) -> WebService {
        let endpoint = report.endpoint
        if declared == false { return .notWeb(LocalizedText(fr: "déclaré https: false dans le profil", en: "declared https: false in the profile")) }
        if declared == nil {
            if let startTLS = endpoint.startTLS {
                return .notWeb(LocalizedText(
                    fr: "service STARTTLS (\(startTLS.rawValue)) : pas un service web", en: "STARTTLS service (\(startTLS.rawValue)): not a web service"))
            }
            if report.alpnRefused {
                return .notWeb(LocalizedText(
                    fr: "le serveur a refusé ALPN h2 et http/1.1 (no_application_protocol) : pas un service web",
                    en: "the server refused ALPN h2 and http/1.1 (no_application_protocol): not a web service"))
            }
            if let alpn = report.alpn, !webALPN.contains(alpn) {
                return .notWeb(LocalizedText(
                    fr: "le serveur a choisi ALPN « \(alpn) » : pas un service web", en: "the server selected ALPN \"\(alpn)\": not a web service"))
            }
        }
        var facts = HTTPSecurityFacts()
        facts.alpn = report.alpn
        facts.recognisedBy = declared == true ? "profile" : (report.alpn.map(webALPN.contains) == true ? "alpn" : "http-answer")
        let name = endpoint.sniName ?? endpoint.host
        let urlHost = name.contains(":") ? "[\(name)]" : name
        let ip = ip(of: report.address)
        let https = request(https: true, host: name, port: endpoint.port, ip: ip, timeout: timeout, prober: prober)
        if let error = https.error {
            if facts.recognisedBy == "http-answer" {
                // Nothing said it is a web service: only a real HTTP answer would have.
                if https.notHTTP {
                    return .notWeb(LocalizedText(
                        fr: "aucun protocole ALPN choisi, et pas de réponse HTTP à une requête après la négociation (\(error)) : pas un service web",
                        en: "no ALPN protocol selected, and no HTTP answer to a request after the handshake (\(error)): not a web service"))
                }
                return .undetermined(LocalizedText(
                    fr: "impossible de dire si c'est un service web : la requête HTTPS a échoué (\(error))",
                    en: "could not tell whether this is a web service: the HTTPS request failed (\(error))"))
            }
            facts.error = LocalizedText(fr: "la requête HTTPS a échoué : \(error)", en: "HTTPS request failed: \(error)")
            return .https(facts)
        }
        facts.httpsStatus = https.status
        facts.hstsHeader = https.hsts
        facts.hstsMaxAge = https.hsts.flatMap(HTTPSecurityFacts.maxAge(ofHSTS:))
        let plainURL = endpoint.port == 443 ? "http://\(urlHost)/" : "http://\(urlHost):\(endpoint.port)/"
        let plainPort: UInt16 = endpoint.port == 443 ? 80 : endpoint.port
        facts.httpURL = plainURL
        let http = request(https: false, host: name, port: plainPort, ip: ip, timeout: timeout)
        facts.httpStatus = http.status
        facts.httpLocation = http.location
        if let status = http.status {
            if [301, 302, 303, 307, 308].contains(status), let location = http.location, location.lowercased().hasPrefix("https://") {
                facts.httpRedirect = .redirected
            } else if endpoint.port != 443, status >= 400 {
                facts.httpRedirect = .plainRefused
            } else {
                facts.httpRedirect = .notRedirected
            }
        } else if http.connectRefused || http.notHTTP || (endpoint.port != 443 && http.reset) {
            // A TLS port that resets a plain request (a TLS server closing with the request unread)
            // served nothing in clear either.
            facts.httpRedirect = .noHTTPService
        } else {
            facts.httpRedirect = .undetermined
            facts.httpError = http.error
        }
        return .https(facts)
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
        /// The connection was refused (RST to the SYN): nothing listens there.
        var connectRefused = false
        /// The peer answered, but not with HTTP: it closed without a byte, or sent bytes that are not
        /// an HTTP status line (HTTP/0.9 refused). A timeout or a reset proves nothing.
        var notHTTP = false
        /// The connection was reset once the request was sent.
        var reset = false
    }

    /// `GET /` to `host`:`port` over HTTPS or plain HTTP (`HTTPHeadProbe`), connecting to `ip` when given.
    static func request(https: Bool, host: String, port: UInt16, ip: String?, timeout: Double, prober: TLSProber? = nil) -> Answer {
        var answer = Answer()
        switch HTTPHeadProbe.get(host: host, port: port, https: https, address: ip, timeout: timeout, prober: prober) {
        case .success(let response):
            answer.status = response.status
            answer.hsts = response.hsts
            answer.location = response.location
        case .failure(let failure):
            answer.error = failure.description
            switch failure {
            case .connectRefused: answer.connectRefused = true
            case .notHTTP: answer.notHTTP = true
            case .reset: answer.reset = true
            case .other: break
            }
        }
        return answer
    }
}
