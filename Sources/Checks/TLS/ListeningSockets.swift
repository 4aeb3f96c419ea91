import FoundationEssentials
import Model
import TLSProbe
import NIS2

#if canImport(Glibc)
import Glibc
#endif

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
    /// Ports whose service never speaks TLS from the first byte, left out of the search for TLS on
    /// other ports (no ClientHello sent to them): FTP 21, SSH 22, Telnet 23, DNS 53, HTTP 80, rpcbind
    /// 111, NetBIOS 139, SMB 445, CUPS 631, NFS 2049, MySQL 3306, Redis 6379, memcached 11211.
    public static let plainPorts: Set<UInt16> = [21, 22, 23, 53, 80, 111, 139, 445, 631, 2049, 3306, 6379, 11211]

    /// The socket tables of the audited system, as far as they could be read.
    public struct Table: Sendable, Equatable {
        /// Every socket in state LISTEN (0A).
        public var sockets: [Socket] = []
        /// The tables read (`/proc/net/tcp`, `/proc/net/tcp6`).
        public var read: [String] = []
        /// Why a table that exists could not be read or parsed (file, line, reason); listening
        /// services may be missing from `sockets`.
        public var problems: [LocalizedText] = []

        public init() {}
    }

    /// The two tables, read through the audited root.
    public static let tablePaths = [("/proc/net/tcp", false), ("/proc/net/tcp6", true)]

    /// Every socket in state LISTEN (0A) in both tables. A missing table is left out (tcp6 with IPv6
    /// disabled; both on a disk image); one that exists but cannot be read or parsed is a problem.
    public static func read(root: FileSystemRoot) -> Table {
        var table = Table()
        for (path, ipv6) in tablePaths {
            let text: String
            do {
                text = try root.readText(path, limit: 64 << 20)
            } catch .notFound {
                continue
            } catch {
                table.problems.append(error.localizedText)
                continue
            }
            do {
                table.sockets += try parse(text, ipv6: ipv6)
                table.read.append(path)
            } catch {
                table.problems.append(LocalizedText(fr: "\(path) : \(error.text.fr)", en: "\(path): \(error.text.en)"))
            }
        }
        return table
    }

    /// Why a socket table could not be parsed.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        /// What is wrong, in both languages (`line N: expected …`).
        public let text: LocalizedText
        public var description: String { text.en }
    }

    /// Parses one `/proc/net/tcp{,6}` table (proc(5)). Addresses are hexadecimal, each 32-bit word in
    /// host (little-endian) order; the port is big-endian hexadecimal.
    /// - Throws: `ParseError` naming the line when the header or a socket line is not in that format.
    public static func parse(_ text: String, ipv6: Bool) throws(ParseError) -> [Socket] {
        var sockets: [Socket] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first, header.split(separator: " ").first == "sl" else {
            throw ParseError(text: LocalizedText(
                fr: "ligne 1 : en-tête « sl local_address rem_address st … » attendu", en: "line 1: expected the header \"sl local_address rem_address st …\""))
        }
        for (offset, line) in lines.enumerated().dropFirst() where !line.allSatisfy(\.isWhitespace) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let local = fields.count > 3 ? fields[1].split(separator: ":") : []
            guard local.count == 2, let port = UInt16(local[1], radix: 16), let address = decode(String(local[0]), ipv6: ipv6),
                  fields[3].count == 2, UInt8(fields[3], radix: 16) != nil else {
                throw ParseError(text: LocalizedText(
                    fr: "ligne \(offset + 1) : « sl: local_address:port rem_address:port st … » attendu, lu « \(line.prefix(80)) »",
                    en: "line \(offset + 1): expected \"sl: local_address:port rem_address:port st …\", got \"\(line.prefix(80))\""))
            }
            guard fields[3] == "0A" else { continue }
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
        reachable(sockets) { tlsPorts.contains($0) || startTLSPorts.contains($0) }.map { socket in
            TLSEndpoint(
                host: socket.host, port: socket.port,
                startTLS: startTLSPorts.contains(socket.port) ? StartTLSProtocol.forPort(socket.port) : nil)
        }
    }

    /// The other listening ports, where TLS may be spoken (admin consoles on 8006, 10443, 4443 …):
    /// every port that is neither a usual TLS or STARTTLS port nor a known plain-text one.
    public static func otherEndpoints(from sockets: [Socket]) -> [TLSEndpoint] {
        reachable(sockets) { !tlsPorts.contains($0) && !startTLSPorts.contains($0) && !plainPorts.contains($0) }
            .map { TLSEndpoint(host: $0.host, port: $0.port) }
    }

    /// One socket per port among those `included`, by port, IPv4 first.
    static func reachable(_ sockets: [Socket], _ included: (UInt16) -> Bool) -> [Socket] {
        var byPort: [UInt16: Socket] = [:]
        for socket in sockets.sorted(by: { ($0.port, $0.ipv6 ? 1 : 0, $0.address) < ($1.port, $1.ipv6 ? 1 : 0, $1.address) }) {
            guard included(socket.port), byPort[socket.port] == nil else { continue }
            byPort[socket.port] = socket
        }
        return byPort.keys.sorted().map { byPort[$0]! }
    }
}

extension ListeningSockets.Socket {
    /// The address to connect to: loopback for a socket listening on every address.
    var host: String {
        switch address {
        case "0.0.0.0": return "127.0.0.1"
        case "::": return "::1"
        default: return address.hasPrefix("::ffff:") ? String(address.dropFirst(7)) : address
        }
    }
}
