internal import COpenSSL
internal import COpenSSLShims
import FoundationEssentials
import FoundationGaps
import OpenSSLKit

#if canImport(Glibc)
import Glibc
#endif

/// One `GET /` over HTTP/1.1, in clear or over TLS, read up to the end of the response headers: what
/// `tls.hsts` needs (status, `Strict-Transport-Security`, `Location`) and nothing more.
///
/// It runs on the probe's own sockets and libssl (certificate checks off, TLS 1.0 to 1.3, every
/// suite at security level 0, ALPN `http/1.1`), so a scan never loads libcurl and the libraries it
/// pulls in (about 3.7 MB of resident memory: GnuTLS, p11-kit, Kerberos, LDAP, libssh2 …; issue 19).
/// The verdicts are those libcurl gave (`curl --http1.1 -k`): a status line `HTTP/x[.y] NNN`, interim
/// 1xx answers skipped, the first header of a name (case-insensitive, value trimmed), `Location`
/// only on a 3xx answer and resolved against the request's URL (RFC 3986 §5.2, as
/// `CURLINFO_REDIRECT_URL`); bytes that do not begin a status line are not HTTP (libcurl refuses
/// HTTP/0.9). Bounded by `timeout` seconds from connect to the blank line ending the headers;
/// headers over 64 KiB are an error. The body is never read.
public enum HTTPHeadProbe {
    /// A response's head.
    public struct Response: Sendable, Equatable {
        /// Status code (`200`, `301`).
        public var status: Int
        /// The first `Strict-Transport-Security` value, trimmed.
        public var hsts: String?
        /// The `Location` of a 3xx answer, as an absolute URL.
        public var location: String?
    }

    /// Why no response head was read.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Nothing accepts connections there (RST to the SYN).
        case connectRefused(String)
        /// The peer answered, but not with HTTP: closed without a byte, or bytes that are not an HTTP
        /// status line (`detail` says which).
        case notHTTP(String)
        /// The connection was reset once established.
        case reset
        /// Anything else: timeout, TLS handshake failure, resolution, oversized head (proves nothing).
        case other(String)

        public var description: String {
            switch self {
            case .connectRefused(let detail): return "connection refused (\(detail))"
            case .notHTTP(let detail): return detail
            case .reset: return ProbeNetworkError.reset.description
            case .other(let detail): return detail
            }
        }
    }

    /// Largest response head read, in bytes.
    static let maximumHeadBytes = 64 * 1024

    /// The context HTTPS requests share when no prober is given, made on first use (nil if libssl cannot make one).
    private static let sharedContext: ProbeContext? = try? ProbeContext()

    /// `GET /` to `host`:`port` (`https` over TLS), connecting to `address` (an IP literal) when given,
    /// else to `host`'s addresses in the resolver's order. `host` names the server in the `Host`
    /// header and, when it is not an IP literal, in SNI. HTTPS requests use `prober`'s libssl context
    /// when given (a scan then sets up one `SSL_CTX`, not two).
    public static func get(
        host: String, port: UInt16, https: Bool, address: String?, timeout: Double, prober: TLSProber? = nil
    ) -> Result<Response, Failure> {
        let deadline = Deadline(secondsFromNow: timeout)
        let connection: TCPConnection
        switch connect(host: host, port: port, address: address, deadline: deadline) {
        case .success(let opened): connection = opened
        case .failure(let failure): return .failure(failure)
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let urlHost = bareHost.contains(":") ? "[\(bareHost)]" : bareHost
        let defaultPort: UInt16 = https ? 443 : 80
        let authority = port == defaultPort ? urlHost : "\(urlHost):\(port)"
        let base = "\(https ? "https" : "http")://\(authority)"
        let request = Array("GET / HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: cyberctl-tls-check\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
        guard https else {
            return exchange(request, base: base, send: { bytes throws(ProbeNetworkError) in try connection.send(bytes) },
                            receive: { () throws(ProbeNetworkError) in try connection.receive(maximum: 16_384) })
        }
        guard let context = prober?.context ?? sharedContext else { return .failure(.other("libssl could not set up a client context")) }
        var handshake = HandshakeRequest()
        handshake.serverName = TLSEndpoint.isIPLiteral(bareHost) ? nil : bareHost
        handshake.alpn = ["http/1.1"]
        let outcome = context.session(handshake, on: connection) { ssl in
            exchange(request, base: base,
                     send: { bytes throws(ProbeNetworkError) in try write(bytes, ssl: ssl, connection: connection) },
                     receive: { () throws(ProbeNetworkError) in try read(ssl: ssl, connection: connection) })
        }
        switch outcome {
        case .success(let result): return result
        case .failure(let failure): return .failure(.other("TLS handshake failed: \(failure.text.en)"))
        }
    }

    private static func connect(host: String, port: UInt16, address: String?, deadline: Deadline) -> Result<TCPConnection, Failure> {
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: address ?? host, port: port)
        } catch {
            return .failure(.other(error.description))
        }
        var last: ProbeNetworkError = .connect("no address")
        for candidate in addresses {
            do {
                return .success(try TCPConnection(to: candidate, deadline: deadline))
            } catch {
                last = error
                if error == .timeout { break }
            }
        }
        if case .connect(let detail) = last, detail == String(cString: strerror(ECONNREFUSED)) {
            return .failure(.connectRefused(detail))
        }
        return .failure(.other(last.description))
    }

    /// Sends `request`, then reads response heads until a final (non-1xx) one is complete.
    static func exchange(
        _ request: [UInt8], base: String,
        send: ([UInt8]) throws(ProbeNetworkError) -> Void, receive: () throws(ProbeNetworkError) -> [UInt8]
    ) -> Result<Response, Failure> {
        var buffer: [UInt8] = []
        do {
            try send(request)
            while true {
                if let end = headEnd(buffer) {
                    let head = Array(buffer[..<end])
                    buffer.removeFirst(end)
                    switch parse(head, base: base) {
                    case .failure(let failure): return .failure(failure)
                    case .success(let response) where (100...199).contains(response.status) && response.status != 101:
                        continue
                    case .success(let response): return .success(response)
                    }
                }
                if let failure = notHTTP(buffer) { return .failure(failure) }
                guard buffer.count <= maximumHeadBytes else {
                    return .failure(.other("response head over \(maximumHeadBytes / 1024) KiB"))
                }
                do {
                    buffer += try receive()
                } catch ProbeNetworkError.closed {
                    if buffer.isEmpty { return .failure(.notHTTP("empty reply: the connection closed without an answer")) }
                    return .failure(notHTTP(buffer) ?? .other("connection closed inside the response head"))
                }
            }
        } catch ProbeNetworkError.reset {
            return .failure(.reset)
        } catch {
            return .failure(.other(error.description))
        }
    }

    /// Offset just past the blank line ending the head (`\r\n\r\n`, or bare `\n\n`), nil when not yet there.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }

    /// `.notHTTP` as soon as the bytes received cannot begin an HTTP status line.
    static func notHTTP(_ bytes: [UInt8]) -> Failure? {
        let prefix = Array("HTTP/".utf8)
        let compared = min(bytes.count, prefix.count)
        guard Array(bytes.prefix(compared)) == Array(prefix.prefix(compared)) else {
            return .notHTTP("the answer is not HTTP (no status line; HTTP/0.9 refused)")
        }
        return nil
    }

    /// The status line and headers of one head.
    static func parse(_ head: [UInt8], base: String) -> Result<Response, Failure> {
        // Split on the bytes: in a Swift String "\r\n" is one Character, which "\n" does not match.
        let lines = head.split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { Substring(String(decoding: $0.last == 0x0D ? $0.dropLast() : $0, as: UTF8.self)) }
        guard let statusLine = lines.first, let status = statusCode(statusLine) else {
            return .failure(.notHTTP("malformed HTTP status line"))
        }
        var response = Response(status: status)
        var location: String?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...]).trimming(.whitespaces)
            if name == "strict-transport-security", response.hsts == nil { response.hsts = value }
            if name == "location", location == nil { location = value }
        }
        if (300...399).contains(status), let location, !location.isEmpty {
            response.location = resolve(location, against: base)
        }
        return .success(response)
    }

    /// `HTTP/1.1 301 …`, `HTTP/2 200`: the three-digit code, nil when the line is not a status line.
    static func statusCode(_ line: Substring) -> Int? {
        guard line.hasPrefix("HTTP/") else { return nil }
        let fields = line.dropFirst(5).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard fields.count >= 2 else { return nil }
        let version = fields[0]
        guard version.count == 1 || version.count == 3, version.first?.isNumber == true,
              version.count == 1 || (version.dropFirst().first == "." && version.last?.isNumber == true) else { return nil }
        let code = fields[1]
        guard code.count == 3, code.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(code)
    }

    /// `location` made absolute against `base` (`scheme://authority`, the request's path being `/`):
    /// kept when it has a scheme, `scheme:` prefixed to `//authority/…`, `base` prefixed otherwise.
    static func resolve(_ location: String, against base: String) -> String {
        if let colon = location.firstIndex(of: ":"), let first = location.first, first.isLetter,
           location[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) {
            return location
        }
        if location.hasPrefix("//") {
            return String(base[..<base.firstIndex(of: ":")!]) + ":" + location
        }
        return base + (location.hasPrefix("/") ? location : "/" + location)
    }

    private static func write(_ bytes: [UInt8], ssl: OpaquePointer, connection: TCPConnection) throws(ProbeNetworkError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, Int32($0.count - offset)) }
            if written > 0 {
                offset += Int(written)
                continue
            }
            try wait(after: written, ssl: ssl, connection: connection)
        }
    }

    private static func read(ssl: OpaquePointer, connection: TCPConnection) throws(ProbeNetworkError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress!, Int32($0.count)) }
            if count > 0 { return Array(buffer.prefix(Int(count))) }
            try wait(after: count, ssl: ssl, connection: connection)
        }
    }

    /// Waits when libssl wants to, else throws what the failed `SSL_read`/`SSL_write` meant.
    private static func wait(after status: Int32, ssl: OpaquePointer, connection: TCPConnection) throws(ProbeNetworkError) {
        let error = SSL_get_error(ssl, status)
        let savedErrno = errno
        switch error {
        case SSL_ERROR_WANT_READ: try connection.wait(for: Int16(POLLIN))
        case SSL_ERROR_WANT_WRITE: try connection.wait(for: Int16(POLLOUT))
        case SSL_ERROR_ZERO_RETURN:
            OpenSSLError.clearQueue()
            throw .closed
        case SSL_ERROR_SYSCALL:
            OpenSSLError.clearQueue()
            throw savedErrno == ECONNRESET || savedErrno == EPIPE ? .reset : .closed
        default:
            let queue = OpenSSLError.drain("TLS read/write")
            if queue.entries.contains(where: { $0.reason.contains("unexpected eof") }) { throw .closed }
            throw .protocolViolation(.verbatim(queue.entries.map(\.reason).joined(separator: "; ")))
        }
    }
}
