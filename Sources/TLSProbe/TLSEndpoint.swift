import FoundationEssentials
import FoundationGaps

#if canImport(Glibc)
import Glibc
#endif

/// One TLS service to probe: where it listens, the name to ask for, and how to reach TLS.
public struct TLSEndpoint: Sendable, Hashable, Codable {
    /// Host name or IP literal (IPv6 without brackets).
    public var host: String
    public var port: UInt16
    /// Server name sent in SNI and matched against the certificate; defaults to `host` when it is a name.
    public var serverName: String?
    /// Plain-text protocol to upgrade from, for STARTTLS services.
    public var startTLS: StartTLSProtocol?

    public init(host: String, port: UInt16, serverName: String? = nil, startTLS: StartTLSProtocol? = nil) {
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.serverName = serverName
        self.startTLS = startTLS
    }

    /// `mail.example.fr:993`, `127.0.0.1:443`, `[::1]:8443`.
    public var target: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True when `host` is an IPv4 or IPv6 literal.
    public var hostIsIPLiteral: Bool { Self.isIPLiteral(host) }

    /// The name sent as SNI: the explicit server name, else the host when it is a name. Never an IP
    /// literal (RFC 6066 §3 forbids them).
    public var sniName: String? {
        if let serverName, !Self.isIPLiteral(serverName) { return serverName }
        return hostIsIPLiteral ? nil : host
    }

    /// The name the certificate must match: the SNI name, else the IP literal.
    public var expectedName: String { serverName ?? host }

    static func isIPLiteral(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Why a `HOST[:PORT]` text is not an endpoint.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal.
    /// - Parameter defaultPort: used when no port is given (443, or the STARTTLS protocol's port).
    public static func parse(_ text: String, defaultPort: UInt16) throws(ParseError) -> (host: String, port: UInt16) {
        let trimmed = text.trimming(.whitespaces)
        guard !trimmed.isEmpty else { throw ParseError(description: "empty endpoint: expected HOST[:PORT]") }
        var host = trimmed
        var portText: String?
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else {
                throw ParseError(description: "\(text): missing ']' after an IPv6 address")
            }
            host = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            let rest = trimmed[trimmed.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw ParseError(description: "\(text): expected ':PORT' after ']'") }
                portText = String(rest.dropFirst())
            }
        } else if trimmed.filter({ $0 == ":" }).count == 1, let colon = trimmed.firstIndex(of: ":") {
            host = String(trimmed[..<colon])
            portText = String(trimmed[trimmed.index(after: colon)...])
        }
        guard !host.isEmpty else { throw ParseError(description: "\(text): empty host") }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:".contains($0) }) else {
            throw ParseError(description: "\(text): \"\(host)\" is not a host name or IP address")
        }
        guard let portText else { return (host, defaultPort) }
        guard let port = UInt16(portText), port > 0 else {
            throw ParseError(description: "\(text): port \"\(portText)\" is not a number between 1 and 65535")
        }
        return (host, port)
    }
}

/// Bounds of a probe. Defaults: the 5 s per connection, 30 s per endpoint, 4 connections
/// at once per endpoint, and ClientHellos of at most 128 suites (testssl.sh's bundle size: some
/// servers fail on longer lists).
public struct ProbeLimits: Sendable, Equatable {
    /// Budget of one connection (connect, STARTTLS, handshake), seconds.
    public var connectionTimeout: Double
    /// Budget of the whole endpoint, seconds; work not done by then is reported as not verified.
    public var endpointDeadline: Double
    /// Connections open at once to one endpoint.
    public var connectionsPerEndpoint: Int
    /// Largest number of suites in one ClientHello.
    public var maximumSuitesPerHello: Int
    /// Lists at least this long that end in a dropped connection are retried in halves (servers
    /// intolerant of large ClientHellos).
    public var retryThreshold: Int

    public init(
        connectionTimeout: Double = 5, endpointDeadline: Double = 30, connectionsPerEndpoint: Int = 4,
        maximumSuitesPerHello: Int = 128, retryThreshold: Int = 24
    ) {
        self.connectionTimeout = connectionTimeout
        self.endpointDeadline = endpointDeadline
        self.connectionsPerEndpoint = max(1, connectionsPerEndpoint)
        self.maximumSuitesPerHello = max(8, min(maximumSuitesPerHello, 128))
        self.retryThreshold = retryThreshold
    }
}
