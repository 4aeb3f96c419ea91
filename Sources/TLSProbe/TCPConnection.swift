import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Why a network operation of the probe stopped.
public enum ProbeNetworkError: Error, Equatable, Sendable, CustomStringConvertible {
    case resolution(String)
    case connect(String)
    /// The connection's time budget ran out (connect, a read or a write).
    case timeout
    /// The peer closed the connection (FIN) before the exchange ended.
    case closed
    /// The peer reset the connection.
    case reset
    case io(String)
    /// The peer answered something that is not the expected protocol.
    case protocolViolation(ProbeText)
    /// The peer answered a ClientHello with bytes that are not TLS records (a banner, an HTTP page).
    case notTLS(PlainProtocol)
    /// The probe was cancelled (endpoint deadline or scan cancellation).
    case cancelled

    public var description: String {
        switch self {
        case .resolution(let detail): return "name resolution failed: \(detail)"
        case .connect(let detail): return "connection failed: \(detail)"
        case .timeout: return "timed out"
        case .closed: return "connection closed by the peer"
        case .reset: return "connection reset by the peer"
        case .io(let detail): return "I/O error: \(detail)"
        case .protocolViolation(let detail): return "unexpected answer: \(detail.en)"
        case .notTLS(let plain): return plain.description
        case .cancelled: return "cancelled"
        }
    }

    /// The description in both languages; the system's and OpenSSL's own texts as they are.
    public var text: ProbeText {
        switch self {
        case .resolution(let detail): return ProbeText(fr: "échec de la résolution du nom : \(detail)", en: description)
        case .connect(let detail): return ProbeText(fr: "échec de la connexion : \(Self.french(detail))", en: description)
        case .timeout: return ProbeText(fr: "délai dépassé", en: description)
        case .closed: return ProbeText(fr: "connexion fermée par le pair", en: description)
        case .reset: return ProbeText(fr: "connexion réinitialisée par le pair", en: description)
        case .io(let detail): return ProbeText(fr: "erreur d'entrée-sortie : \(detail)", en: description)
        case .protocolViolation(let detail): return ProbeText(fr: "réponse inattendue : \(detail.fr)", en: description)
        case .notTLS(let plain): return plain.text
        case .cancelled: return ProbeText(fr: "annulé", en: description)
        }
    }

    /// The common connect(2) failures as glibc's `strerror` words them (C locale), in French; any other text as
    /// the system gave it.
    static func french(_ systemText: String) -> String {
        switch systemText {
        case "Connection refused": "connexion refusée"
        case "Network is unreachable": "réseau inaccessible"
        case "No route to host": "aucune route vers l'hôte"
        case "Connection timed out": "délai de connexion dépassé"
        case "Permission denied": "permission refusée"
        case "Cannot assign requested address": "impossible d'attribuer l'adresse demandée"
        case "Address family not supported by protocol": "famille d'adresses non prise en charge"
        default: systemText
        }
    }
}

/// A resolved socket address (IPv4 or IPv6) with its printable form.
public struct SocketAddress: Sendable, Hashable {
    let storage: [UInt8]
    let family: Int32
    /// `127.0.0.1` or `::1`.
    public let ip: String
    public let port: UInt16

    /// `127.0.0.1:443` or `[::1]:443`.
    public var description: String { family == AF_INET6 ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    /// Resolves `host` (a name or an IP literal, brackets allowed) to its addresses, IPv4 and IPv6,
    /// in the resolver's order.
    public static func resolve(host: String, port: UInt16) throws(ProbeNetworkError) -> [SocketAddress] {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var result: UnsafeMutablePointer<addrinfo>?
        var status = getaddrinfo(bare, String(port), &hints, &result)
        if status != 0 {
            // AI_ADDRCONFIG hides ::1 on hosts without a global IPv6 address; loopback still works.
            hints.ai_flags = 0
            status = getaddrinfo(bare, String(port), &hints, &result)
        }
        guard status == 0, let first = result else {
            throw .resolution("\(bare): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let sockaddrPointer = entry.pointee.ai_addr {
                let length = Int(entry.pointee.ai_addrlen)
                let bytes = Array(UnsafeRawBufferPointer(start: sockaddrPointer, count: length))
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                getnameinfo(sockaddrPointer, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let address = SocketAddress(storage: bytes, family: entry.pointee.ai_family, ip: text, port: port)
                if !addresses.contains(address) { addresses.append(address) }
            }
            cursor = entry.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw .resolution("\(bare): no address") }
        return addresses
    }
}

/// A moment after which a connection gives up. Every wait of a connection is bounded by it, so a
/// peer that drip-feeds bytes still costs at most the connection's budget.
public struct Deadline: Sendable {
    public let instant: ContinuousClock.Instant

    public init(secondsFromNow seconds: Double) {
        instant = ContinuousClock.now.advanced(by: .milliseconds(Int64(max(0, seconds) * 1000)))
    }

    init(instant: ContinuousClock.Instant) { self.instant = instant }

    /// The earlier of two deadlines.
    public func earliest(_ other: Deadline) -> Deadline { instant < other.instant ? self : other }

    /// Milliseconds left (0 when passed), capped for poll().
    var remainingMilliseconds: Int32 {
        let left = instant - ContinuousClock.now
        let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, ms))
    }

    public var hasPassed: Bool { ContinuousClock.now >= instant }
}

/// A non-blocking TCP socket whose every operation waits at most until the connection's deadline.
/// The descriptor is closed in `deinit`.
public final class TCPConnection {
    public let fd: Int32
    public let address: SocketAddress
    let deadline: Deadline

    /// Connects to `address` before `deadline`.
    public init(to address: SocketAddress, deadline: Deadline) throws(ProbeNetworkError) {
        let descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .connect(String(cString: strerror(errno))) }
        self.fd = descriptor
        self.address = address
        self.deadline = deadline
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let status = address.storage.withUnsafeBytes { raw in
            connect(descriptor, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if status != 0 {
            guard errno == EINPROGRESS else { throw .connect(String(cString: strerror(errno))) }
            try wait(for: Int16(POLLOUT))
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw .connect(String(cString: strerror(error))) }
        }
    }

    deinit { close(fd) }

    /// Waits until the socket is ready for `events`, or throws `.timeout` at the deadline.
    public func wait(for events: Int16) throws(ProbeNetworkError) {
        while true {
            let left = deadline.remainingMilliseconds
            if left <= 0 { throw .timeout }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, left)
            if ready > 0 { return }
            if ready == 0 { throw .timeout }
            if errno != EINTR { throw .io(String(cString: strerror(errno))) }
        }
    }

    /// Sends all of `bytes`.
    public func send(_ bytes: [UInt8]) throws(ProbeNetworkError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                offset += written
                continue
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLOUT))
            case EINTR: continue
            case ECONNRESET, EPIPE: throw .reset
            default: throw .io(String(cString: strerror(errno)))
            }
        }
    }

    /// Reads what is available, at most `maximum` bytes, waiting for at least one.
    /// - Throws: `.closed` at end of stream, `.reset`, `.timeout`.
    public func receive(maximum: Int = 16_384) throws(ProbeNetworkError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if count > 0 { return Array(buffer.prefix(count)) }
            if count == 0 { throw .closed }
            switch errno {
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN))
            case EINTR: continue
            case ECONNRESET: throw .reset
            default: throw .io(String(cString: strerror(errno)))
            }
        }
    }

    /// Reads exactly `count` bytes.
    public func receive(exactly count: Int) throws(ProbeNetworkError) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count { bytes += try receive(maximum: count - bytes.count) }
        return bytes
    }

    /// Reads one line ending in `\n` (the line ending stripped), at most `maximum` bytes, one byte
    /// at a time so nothing after the line is consumed (STARTTLS must not eat TLS bytes).
    public func receiveLine(maximum: Int = 4096) throws(ProbeNetworkError) -> String {
        var line: [UInt8] = []
        while line.count < maximum {
            let byte = try receive(maximum: 1)
            if byte[0] == UInt8(ascii: "\n") {
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            line.append(byte[0])
        }
        throw .protocolViolation(ProbeText(fr: "ligne de plus de \(maximum) octets", en: "line longer than \(maximum) bytes"))
    }
}
