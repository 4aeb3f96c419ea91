import FoundationEssentials
import FoundationGaps

/// What a port speaks when it answers a ClientHello with something that is not TLS, recognised from
/// the first bytes it sent: a server-first banner (SSH, SMTP, FTP, IMAP, POP3, MySQL) or an answer to
/// the ClientHello (an HTTP error page).
///
/// Recognition follows each protocol's opening message: HTTP status line `HTTP/1.x NNN` (RFC 9112
/// §4), SSH identification string `SSH-protoversion-softwareversion` (RFC 4253 §4.2), SMTP greeting
/// `220 domain` (RFC 5321 §4.2) and FTP's `220` (RFC 959 §4.2, told apart by "FTP" in the text), IMAP
/// `* OK` / `* PREAUTH` / `* BYE` (RFC 9051 §7.1), POP3 `+OK` (RFC 1939 §4), MySQL's protocol-10
/// initial handshake packet (sequence 0, first byte 0x0A, then the server version).
public struct PlainProtocol: Sendable, Equatable, CustomStringConvertible {
    /// `http`, `ssh`, `smtp`, `ftp`, `imap`, `pop3`, `mysql`; nil when the bytes are not recognised.
    public let name: String?
    /// The first line sent, printable characters only (at most 120), or the first bytes in hex when
    /// they are not text.
    public let firstLine: String
    /// The `Server` header of an HTTP answer, when present.
    public let server: String?

    /// The most bytes kept from the peer.
    public static let maximumBytes = 512

    /// Recognises `bytes`, the start of what the peer sent.
    public init(firstBytes bytes: [UInt8]) {
        (name, firstLine, server) = Self.recognise(Array(bytes.prefix(Self.maximumBytes)))
    }

    static func recognise(_ head: [UInt8]) -> (name: String?, firstLine: String, server: String?) {
        if head.count > 5, head[3] == 0, head[4] == 0x0A, let end = head[5...].firstIndex(of: 0) {
            // MySQL: 3-byte length, sequence 0, protocol version 10, NUL-terminated server version.
            return ("mysql", "MySQL protocol 10, server " + printable(Array(head[5..<end])), nil)
        }
        // Text is judged on the first line (at most 64 bytes): recognition reads only that line, and what follows
        // it may be anything (a server's answer to the ClientHello it was sent, a binary packet).
        let firstLineEnd = head.prefix(64).firstIndex(of: 10) ?? min(head.count, 64)
        let isText = !head.isEmpty && head[..<firstLineEnd].allSatisfy { $0 == 9 || $0 == 13 || (32..<127).contains($0) || $0 >= 0x80 }
        guard isText else { return (nil, head.prefix(16).map(hex).joined(separator: " "), nil) }
        // "\r\n" is one Character: split on any line break.
        let lines = String(decoding: head, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        let first = lines.first ?? ""
        let firstLine = printable(Array(first.utf8))
        if first.hasPrefix("HTTP/") {
            let server = lines.dropFirst().prefix { !$0.isEmpty }.first { $0.lowercased().hasPrefix("server:") }
                .map { printable(Array($0.dropFirst(7).trimming(.whitespaces).utf8)) }
            return ("http", firstLine, server)
        }
        let name: String?
        if first.hasPrefix("SSH-") {
            name = "ssh"
        } else if first.hasPrefix("220 ") || first.hasPrefix("220-") || first == "220" {
            name = first.uppercased().contains("FTP") ? "ftp" : "smtp"
        } else if first.hasPrefix("* OK") || first.hasPrefix("* PREAUTH") || first.hasPrefix("* BYE") {
            name = "imap"
        } else if first.hasPrefix("+OK") {
            name = "pop3"
        } else {
            name = nil
        }
        return (name, firstLine, nil)
    }

    /// The protocol's usual name in text (`HTTP`, `SSH`).
    public var displayName: String? {
        switch name {
        case "http": return "HTTP"
        case "ssh": return "SSH"
        case "smtp": return "SMTP"
        case "ftp": return "FTP"
        case "imap": return "IMAP"
        case "pop3": return "POP3"
        case "mysql": return "MySQL"
        default: return nil
        }
    }

    /// The STARTTLS protocol to give when the port speaks one of them in clear.
    public var startTLS: StartTLSProtocol? {
        switch name {
        case "smtp": return .smtp
        case "imap": return .imap
        case "pop3": return .pop3
        default: return nil
        }
    }

    /// `speaks SSH, not TLS ("SSH-2.0-OpenSSH_9.2p1")`, or the first bytes when not recognised.
    public var description: String {
        guard let displayName else { return "not TLS: first bytes \"\(firstLine)\"" }
        var text = "speaks \(displayName), not TLS (\"\(firstLine)\""
        if let server { text += ", Server: \(server)" }
        text += ")"
        if let startTLS { text += "; if TLS is offered with STARTTLS here, give starttls: \(startTLS.rawValue)" }
        return text
    }

    /// `description` in both languages; the bytes the peer sent as they are.
    public var text: ProbeText {
        guard let displayName else { return ProbeText(fr: "pas du TLS : premiers octets « \(firstLine) »", en: description) }
        var french = "parle \(displayName), pas TLS (« \(firstLine) »"
        if let server { french += ", Server: \(server)" }
        french += ")"
        if let startTLS { french += " ; si TLS est proposé ici par STARTTLS, donnez starttls: \(startTLS.rawValue)" }
        return ProbeText(fr: french, en: description)
    }

    static func printable(_ bytes: [UInt8]) -> String {
        String(String(decoding: bytes, as: UTF8.self).unicodeScalars.filter { $0.value >= 32 && $0.value != 127 }.prefix(120).map(Character.init))
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
