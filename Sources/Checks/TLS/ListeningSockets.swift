import Foundation
import TLSProbe

/// Listening TCP sockets read from `/proc/net/tcp` and `/proc/net/tcp6` (through the audited root).
public enum ListeningSockets {
    /// One listening socket.
    public struct Socket: Sendable, Hashable {
        /// Local address as text (`0.0.0.0`, `127.0.0.1`, `::`, `::1`).
        public let address: String
        public let port: UInt16
        public let ipv6: Bool

        public init(address: String, port: UInt16, ipv6: Bool) {
            self.address = address
            self.port = port
            self.ipv6 = ipv6
        }
    }

    /// Ports where TLS is spoken from the first byte: HTTPS 443/8443, SMTPS 465, IMAPS 993, POP3S 995,
    /// LDAPS 636, SIPS 5061.
    public static let tlsPorts: Set<UInt16> = [443, 8443, 465, 993, 995, 636, 5061]
    /// Ports where TLS starts after a STARTTLS exchange: SMTP 25/587, IMAP 143, POP3 110, LDAP 389, PostgreSQL 5432.
    public static let startTLSPorts: Set<UInt16> = [25, 587, 143, 110, 389, 5432]

    /// Every socket in state LISTEN (0A) in both tables; a missing table is skipped.
    public static func read(root: FileSystemRoot) -> [Socket] {
        var sockets: [Socket] = []
        for (path, ipv6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
            guard let text = try? root.readText(path, limit: 64 << 20) else { continue }
            sockets += parse(text, ipv6: ipv6)
        }
        return sockets
    }

    /// Parses one `/proc/net/tcp{,6}` table. Addresses are hexadecimal, each 32-bit word in host
    /// (little-endian) order; the port is big-endian hexadecimal.
    public static func parse(_ text: String, ipv6: Bool) -> [Socket] {
        var sockets: [Socket] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[3] == "0A" else { continue }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, let port = UInt16(local[1], radix: 16) else { continue }
            guard let address = decode(String(local[0]), ipv6: ipv6) else { continue }
            sockets.append(Socket(address: address, port: port, ipv6: ipv6))
        }
        return sockets
    }

    static func decode(_ hex: String, ipv6: Bool) -> String? {
        let expected = ipv6 ? 32 : 8
        guard hex.count == expected else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 8)
            guard let word = UInt32(hex[index..<next], radix: 16) else { return nil }
            // Little-endian word: the first address byte is the lowest-order byte.
            bytes += [UInt8(word & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word >> 16 & 0xFF), UInt8(word >> 24)]
            index = next
        }
        var buffer = [CChar](repeating: 0, count: 64)
        let family = ipv6 ? AF_INET6 : AF_INET
        let ok = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        return ok ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    /// The TLS endpoints to probe on this host: one per port on the usual TLS and STARTTLS ports,
    /// reached through loopback when the socket listens on every address. IPv4 is preferred when a
    /// port listens on both families (usually the same service).
    public static func endpoints(from sockets: [Socket]) -> [TLSEndpoint] {
        var byPort: [UInt16: TLSEndpoint] = [:]
        for socket in sockets.sorted(by: { ($0.port, $0.ipv6 ? 1 : 0, $0.address) < ($1.port, $1.ipv6 ? 1 : 0, $1.address) }) {
            guard tlsPorts.contains(socket.port) || startTLSPorts.contains(socket.port) else { continue }
            guard byPort[socket.port] == nil else { continue }
            let host: String
            switch socket.address {
            case "0.0.0.0": host = "127.0.0.1"
            case "::": host = "::1"
            default: host = socket.address.hasPrefix("::ffff:") ? String(socket.address.dropFirst(7)) : socket.address
            }
            byPort[socket.port] = TLSEndpoint(
                host: host, port: socket.port,
                startTLS: startTLSPorts.contains(socket.port) ? StartTLSProtocol.forPort(socket.port) : nil)
        }
        return byPort.keys.sorted().map { byPort[$0]! }
    }
}
