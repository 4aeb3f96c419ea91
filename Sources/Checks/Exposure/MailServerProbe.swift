import FoundationEssentials
import OpenSSLKit
import TLSProbe

/// What an MX host says before TLS: its banner and its EHLO extensions (RFC 5321 §4.1.1.1; STARTTLS
/// is advertised as an EHLO keyword, RFC 3207 §4). The TLS itself is probed by `TLSProber`.
public struct SMTPGreeting: Sendable, Equatable {
    public var banner: String
    /// EHLO keywords, upper-cased (`STARTTLS`, `PIPELINING`, `SIZE`).
    public var extensions: [String]

    public var offersStartTLS: Bool { extensions.contains("STARTTLS") }

    /// Connects to `address:port`, reads the banner, sends EHLO, reads the extensions, sends QUIT.
    /// Blocking, bounded by `timeout` seconds in all; at most 64 reply lines of 4 KiB.
    /// - Throws: `ProbeNetworkError` (connection refused or timed out, not an SMTP server).
    public static func read(address: String, port: UInt16, timeout: Double) throws(ProbeNetworkError) -> SMTPGreeting {
        let deadline = Deadline(secondsFromNow: timeout)
        guard let socketAddress = try SocketAddress.resolve(host: address, port: port).first else {
            throw .resolution("no address for \(address)")
        }
        let connection = try TCPConnection(to: socketAddress, deadline: deadline)
        let banner = try reply(connection, expecting: "220")
        try connection.send(Array("EHLO cyberctl.invalid\r\n".utf8))
        let lines = try replyLines(connection, expecting: "250")
        try? connection.send(Array("QUIT\r\n".utf8))
        // The first 250 line is the server's name; the others are keywords with parameters.
        let extensions = lines.dropFirst().map { line in
            String(line.split(separator: " ").first ?? "").uppercased()
        }
        return SMTPGreeting(banner: banner.first ?? "", extensions: extensions)
    }

    static func reply(_ connection: TCPConnection, expecting code: String) throws(ProbeNetworkError) -> [String] {
        try replyLines(connection, expecting: code)
    }

    /// The texts of one (multi-line) reply, after the code and separator.
    static func replyLines(_ connection: TCPConnection, expecting code: String) throws(ProbeNetworkError) -> [String] {
        var texts: [String] = []
        for _ in 0..<64 {
            let line = try connection.receiveLine()
            guard line.hasPrefix(code) else { throw .protocolViolation(ProbeText(fr: "SMTP « \(line.prefix(80)) », \(code) attendu", en: "SMTP \"\(line.prefix(80))\", expected \(code)")) }
            texts.append(String(line.dropFirst(4)))
            if line.count <= 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return texts }
        }
        throw .protocolViolation(ProbeText(fr: "réponse SMTP de plus de 64 lignes", en: "SMTP reply longer than 64 lines"))
    }
}

/// DANE matching of TLSA records against a served chain (RFC 6698 §2.1, RFC 7671 §5, RFC 7672 §3.1).
public enum DANEMatch {
    /// For SMTP only DANE-TA(2) and DANE-EE(3) are usable (RFC 7672 §3.1.3: PKIX-TA(0)/PKIX-EE(1) SHOULD NOT be used).
    public static func isUsableForSMTP(_ record: DNSRecords.TLSA) -> Bool {
        (record.usage == 2 || record.usage == 3) && record.selector <= 1 && record.matchingType <= 2
    }

    /// True when `record` matches `certificate` (selector 0: the whole certificate, 1: its
    /// SubjectPublicKeyInfo; matching 0: exact, 1: SHA-256, 2: SHA-512).
    public static func matches(_ record: DNSRecords.TLSA, _ certificate: X509Certificate) -> Bool {
        let selected: [UInt8]
        switch record.selector {
        case 0: selected = certificate.derEncoded
        case 1: selected = certificate.subjectPublicKeyInfoDER
        default: return false
        }
        guard !selected.isEmpty else { return false }
        switch record.matchingType {
        case 0: return selected == record.data
        case 1: return Digest.sha256(selected) == record.data
        case 2: return Digest.sha512(selected) == record.data
        default: return false
        }
    }

    /// The usable records that match `chain` (leaf first): DANE-EE against the leaf, DANE-TA against any
    /// certificate of the chain above the leaf (RFC 7671 §5.2: the trust anchor is served in the chain).
    public static func matching(_ records: [DNSRecords.TLSA], chain: [X509Certificate]) -> [DNSRecords.TLSA] {
        guard let leaf = chain.first else { return [] }
        return records.filter { record in
            guard isUsableForSMTP(record) else { return false }
            if record.usage == 3 { return matches(record, leaf) }
            return chain.dropFirst().contains { matches(record, $0) }
        }
    }
}
