/// Application protocols that upgrade a plain connection to TLS (opportunistic TLS).
public enum StartTLSProtocol: String, Sendable, CaseIterable, Codable {
    /// SMTP (RFC 3207): banner, EHLO, STARTTLS.
    case smtp
    /// IMAP (RFC 3501 §6.2.1): greeting, `a STARTTLS`.
    case imap
    /// POP3 (RFC 2595 §4): greeting, `STLS`.
    case pop3
    /// LDAP (RFC 4511 §4.14): ExtendedRequest 1.3.6.1.4.1.1466.20037.
    case ldap
    /// PostgreSQL: SSLRequest message, answer `S`.
    case postgres

    /// The protocol usually spoken on a port with STARTTLS, for discovered endpoints.
    public static func forPort(_ port: UInt16) -> StartTLSProtocol? {
        switch port {
        case 25, 587: return .smtp
        case 143: return .imap
        case 110: return .pop3
        case 389: return .ldap
        case 5432: return .postgres
        default: return nil
        }
    }

    /// Runs the plain-text exchange on `connection` until the next byte sent is the ClientHello.
    /// Reads are bounded (lines of 4 KiB, at most 64 lines) and bounded in time by the connection.
    public func negotiate(on connection: TCPConnection) throws(ProbeNetworkError) {
        switch self {
        case .smtp:
            try readSMTPReply(connection, expecting: "220")
            try connection.send(Array("EHLO cyberctl.invalid\r\n".utf8))
            try readSMTPReply(connection, expecting: "250")
            try connection.send(Array("STARTTLS\r\n".utf8))
            try readSMTPReply(connection, expecting: "220")
        case .imap:
            let greeting = try connection.receiveLine()
            guard greeting.hasPrefix("* OK") || greeting.hasPrefix("* PREAUTH") else {
                throw .protocolViolation(
                    ProbeText(fr: "accueil IMAP « \(greeting.prefix(80)) »", en: "IMAP greeting \"\(greeting.prefix(80))\"") + Self.speaks(greeting))
            }
            try connection.send(Array("a1 STARTTLS\r\n".utf8))
            for _ in 0..<64 {
                let line = try connection.receiveLine()
                if line.hasPrefix("a1 ") {
                    guard line.hasPrefix("a1 OK") else { throw .protocolViolation(ProbeText(fr: "STARTTLS refusé par IMAP : \(line.prefix(80))", en: "IMAP STARTTLS refused: \(line.prefix(80))")) }
                    return
                }
            }
            throw .protocolViolation(ProbeText(fr: "pas de réponse étiquetée à STARTTLS (IMAP)", en: "no tagged answer to IMAP STARTTLS"))
        case .pop3:
            let greeting = try connection.receiveLine()
            guard greeting.hasPrefix("+OK") else { throw .protocolViolation(
                    ProbeText(fr: "accueil POP3 « \(greeting.prefix(80)) »", en: "POP3 greeting \"\(greeting.prefix(80))\"") + Self.speaks(greeting)) }
            try connection.send(Array("STLS\r\n".utf8))
            let answer = try connection.receiveLine()
            guard answer.hasPrefix("+OK") else { throw .protocolViolation(ProbeText(fr: "STLS refusé par POP3 : \(answer.prefix(80))", en: "POP3 STLS refused: \(answer.prefix(80))")) }
        case .ldap:
            // LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0] "1.3.6.1.4.1.1466.20037" } }
            let oid = Array("1.3.6.1.4.1.1466.20037".utf8)
            let request: [UInt8] = [0x30, UInt8(7 + oid.count), 0x02, 0x01, 0x01, 0x77, UInt8(2 + oid.count), 0x80, UInt8(oid.count)] + oid
            try connection.send(request)
            let header = try connection.receive(exactly: 2)
            guard header[0] == 0x30 else { throw .protocolViolation(ProbeText(fr: "la réponse LDAP n'est pas un message", en: "LDAP answer is not a message")) }
            var length = Int(header[1])
            if length & 0x80 != 0 {
                let octets = length & 0x7F
                guard octets >= 1 && octets <= 3 else { throw .protocolViolation(ProbeText(fr: "longueur LDAP invalide", en: "LDAP length")) }
                length = try connection.receive(exactly: octets).reduce(0) { $0 << 8 | Int($1) }
            }
            guard length <= 65_536 else { throw .protocolViolation(ProbeText(fr: "réponse LDAP de \(length) octets", en: "LDAP answer of \(length) bytes")) }
            let body = try connection.receive(exactly: length)
            // messageID (02 01 01), then ExtendedResponse [APPLICATION 24] (0x78), then resultCode ENUMERATED.
            guard let start = body.firstIndex(of: 0x78), start + 1 < body.count else {
                throw .protocolViolation(ProbeText(fr: "la réponse LDAP n'est pas une ExtendedResponse", en: "LDAP answer is not an ExtendedResponse"))
            }
            var index = start + 1
            if body[index] & 0x80 != 0 { index += Int(body[index] & 0x7F) }
            index += 1
            guard index + 2 < body.count, body[index] == 0x0A, body[index + 1] == 0x01 else {
                throw .protocolViolation(ProbeText(fr: "ExtendedResponse LDAP sans code de résultat", en: "LDAP ExtendedResponse without a result code"))
            }
            guard body[index + 2] == 0 else { throw .protocolViolation(
                    ProbeText(fr: "StartTLS refusé par LDAP, resultCode \(body[index + 2])", en: "LDAP StartTLS refused, resultCode \(body[index + 2])")) }
        case .postgres:
            // SSLRequest: length 8, code 80877103.
            try connection.send([0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F])
            let answer = try connection.receive(exactly: 1)
            guard answer[0] == UInt8(ascii: "S") else { throw .protocolViolation(ProbeText(fr: "PostgreSQL a refusé SSL (réponse \(answer[0]))", en: "PostgreSQL refused SSL (answer \(answer[0]))")) }
        }
    }

    /// ` (the port speaks SSH)` when a greeting that is not the expected one is recognisable.
    static func speaks(_ line: String) -> ProbeText {
        PlainProtocol(firstBytes: Array(line.utf8)).displayName.map { ProbeText(fr: " (le port parle \($0))", en: " (the port speaks \($0))") }
            ?? .verbatim("")
    }

    private func readSMTPReply(_ connection: TCPConnection, expecting code: String) throws(ProbeNetworkError) {
        for _ in 0..<64 {
            let line = try connection.receiveLine()
            guard line.hasPrefix(code) else {
                throw .protocolViolation(
                    ProbeText(fr: "SMTP « \(line.prefix(80)) », \(code) attendu", en: "SMTP \"\(line.prefix(80))\", expected \(code)") + Self.speaks(line))
            }
            // "250-" continues a multi-line reply, "250 " ends it.
            if line.count <= 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return }
        }
        throw .protocolViolation(ProbeText(fr: "réponse SMTP de plus de 64 lignes", en: "SMTP reply longer than 64 lines"))
    }
}
