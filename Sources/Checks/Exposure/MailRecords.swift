import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// Tag-value lists (`v=DMARC1; p=reject; rua=mailto:…`) as DMARC (RFC 7489 §6.4), DKIM (RFC 6376 §3.2),
/// MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3) write them: `;`-separated, whitespace around
/// tags and values ignored, tag names compared case-insensitively (DKIM: case-sensitive, but lower-case in practice).
public enum TagValueList {
    /// The tags in order, names lower-cased; nil when a non-empty part has no `=`.
    public static func parse(_ text: String) -> [(tag: String, value: String)]? {
        var tags: [(String, String)] = []
        for part in text.split(separator: ";", omittingEmptySubsequences: false) {
            let trimmed = part.trimming(.whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else { return nil }
            let tag = trimmed[..<equals].trimming(.whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: equals)...].trimming(.whitespacesAndNewlines)
            guard !tag.isEmpty else { return nil }
            tags.append((tag, value))
        }
        return tags
    }
}

/// A DMARC policy record (RFC 7489 §6.3).
public struct DMARCRecord: Sendable, Equatable {
    /// `none`, `quarantine`, `reject`; nil when `p` is missing or invalid (RFC 7489 §6.6.3: then `none` if `rua` is valid).
    public var policy: String?
    /// `sp`: the policy for subdomains; nil when absent (the `p` policy applies).
    public var subdomainPolicy: String?
    /// `pct`, 0–100 (default 100).
    public var percent = 100
    /// `rua` aggregate report addresses.
    public var aggregateReports: [String] = []
    /// `ruf` failure report addresses.
    public var failureReports: [String] = []
    /// Problems that make the record invalid or weaker than it reads, French and English.
    public var problems: [LocalizedText] = []

    static let policies: Set<String> = ["none", "quarantine", "reject"]

    /// Parses one TXT record that starts with `v=DMARC1`; nil when it does not (not a DMARC record).
    public init?(_ text: String) {
        guard let tags = TagValueList.parse(text), let first = tags.first, first.tag == "v", first.value == "DMARC1" else { return nil }
        for (tag, value) in tags.dropFirst() {
            switch tag {
            case "p":
                if Self.policies.contains(value.lowercased()) { policy = value.lowercased() } else { problems.append(LocalizedText(fr: "p=\(value) n'est ni none, ni quarantine, ni reject", en: "p=\(value) is not none, quarantine or reject")) }
            case "sp":
                if Self.policies.contains(value.lowercased()) { subdomainPolicy = value.lowercased() } else { problems.append(LocalizedText(fr: "sp=\(value) n'est ni none, ni quarantine, ni reject", en: "sp=\(value) is not none, quarantine or reject")) }
            case "pct":
                if let number = Int(value), (0...100).contains(number) { percent = number } else { problems.append(LocalizedText(fr: "pct=\(value) n'est pas un nombre de 0 à 100", en: "pct=\(value) is not a number from 0 to 100")) }
            case "rua": aggregateReports = Self.uris(value)
            case "ruf": failureReports = Self.uris(value)
            default: break
            }
        }
        if policy == nil && !problems.contains(where: { $0.en.hasPrefix("p=") }) { problems.append(LocalizedText(fr: "pas de balise p=", en: "no p= tag")) }
    }

    static func uris(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimming(.whitespaces) }.filter { !$0.isEmpty }
    }

    /// True when the text is meant as a DMARC record (`v=DMARC1` first), valid or not.
    public static func isDMARC(_ text: String) -> Bool {
        text.trimming(.whitespaces).lowercased().hasPrefix("v=dmarc1")
    }
}

/// A DKIM key record (RFC 6376 §3.6.1) at `SELECTOR._domainkey.DOMAIN`.
public struct DKIMKeyRecord: Sendable, Equatable {
    /// `k=`: `rsa` (default) or `ed25519` (RFC 8463).
    public var keyType = "rsa"
    /// The `p=` key, base64-decoded; empty for a revoked key (`p=`).
    public var publicKey: [UInt8] = []
    /// `t=y`: the domain is testing DKIM.
    public var testing = false

    /// nil when the text is not a DKIM key record (a `v=` other than DKIM1, no `p=`, bad base64).
    public init?(_ text: String) {
        guard let tags = TagValueList.parse(text) else { return nil }
        if let version = tags.first(where: { $0.tag == "v" }), version.value != "DKIM1" || tags.first?.tag != "v" { return nil }
        guard let key = tags.first(where: { $0.tag == "p" }) else { return nil }
        let base64 = key.value.filter { !$0.isWhitespace }
        if !base64.isEmpty {
            guard let data = Data(base64Encoded: base64) else { return nil }
            publicKey = Array(data)
        }
        if let type = tags.first(where: { $0.tag == "k" }) { keyType = type.value.lowercased() }
        if let flags = tags.first(where: { $0.tag == "t" }) { testing = flags.value.split(separator: ":").contains { $0.trimming(.whitespaces) == "y" } }
    }
}

/// The MTA-STS TXT record `v=STSv1; id=…` (RFC 8461 §3.1).
public enum MTASTSRecord {
    /// The policy id, nil when the text is not a valid STSv1 record.
    public static func id(_ text: String) -> String? {
        guard let tags = TagValueList.parse(text), tags.first?.tag == "v", tags.first?.value == "STSv1",
              let id = tags.first(where: { $0.tag == "id" })?.value,
              (1...32).contains(id.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return id
    }

    public static func isSTS(_ text: String) -> Bool { text.lowercased().hasPrefix("v=stsv1") }
}

/// An MTA-STS policy file (RFC 8461 §3.2), served at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`.
public struct MTASTSPolicy: Sendable, Equatable {
    public var version: String?
    /// `enforce`, `testing` or `none`.
    public var mode: String?
    /// `mx` patterns (`mail.example.fr`, `*.example.fr`).
    public var mx: [String] = []
    /// `max_age`, seconds.
    public var maxAge: Int?
    /// What makes the policy invalid, French and English.
    public var problems: [LocalizedText] = []

    public init(_ text: String) {
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.trimming(.whitespacesAndNewlines)
            guard !line.isEmpty else { continue }
            guard let colon = line.firstIndex(of: ":") else {
                problems.append(LocalizedText(fr: "la ligne « \(line.prefix(60)) » n'est pas de la forme clé: valeur", en: "line \"\(line.prefix(60))\" is not key: value"))
                continue
            }
            let key = line[..<colon].trimming(.whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimming(.whitespaces)
            switch key {
            case "version": version = value
            case "mode": mode = value.lowercased()
            case "mx": mx.append(value.lowercased().trimmingSuffix("."))
            case "max_age": maxAge = Int(value)
            default: break
            }
        }
        if version != "STSv1" {
            problems.append(LocalizedText(
                fr: "version \(version.map { "« \($0) »" } ?? "absente"), STSv1 attendu", en: "version is \(version.map { "\"\($0)\"" } ?? "missing"), expected STSv1"))
        }
        if !["enforce", "testing", "none"].contains(mode ?? "") {
            problems.append(LocalizedText(
                fr: "mode \(mode.map { "« \($0) »" } ?? "absent"), enforce, testing ou none attendu",
                en: "mode is \(mode.map { "\"\($0)\"" } ?? "missing"), expected enforce, testing or none"))
        }
        if maxAge == nil || maxAge! < 0 || maxAge! > 31_557_600 {
            problems.append(LocalizedText(fr: "max_age absent ou hors limites (0 à 31557600)", en: "max_age missing or out of range (0 to 31557600)"))
        }
        if mode != "none" && mx.isEmpty { problems.append(LocalizedText(fr: "pas de ligne mx", en: "no mx line")) }
    }

    /// Whether `host` matches one of the `mx` patterns (RFC 8461 §4.1: `*.` matches one leftmost label).
    public func covers(_ host: String) -> Bool {
        let name = host.lowercased().trimmingSuffix(".")
        return mx.contains { pattern in
            if pattern.hasPrefix("*.") {
                let suffix = pattern.dropFirst(1)
                guard name.hasSuffix(suffix) else { return false }
                let label = name.dropLast(suffix.count)
                return !label.isEmpty && !label.contains(".")
            }
            return pattern == name
        }
    }
}

/// The TLS-RPT record `v=TLSRPTv1; rua=…` at `_smtp._tls.DOMAIN` (RFC 8460 §3).
public enum TLSRPTRecord {
    /// Report URIs (`mailto:` or `https:`), nil when the text is not a valid TLSRPTv1 record.
    public static func reportURIs(_ text: String) -> [String]? {
        guard let tags = TagValueList.parse(text), tags.first?.tag == "v", tags.first?.value == "TLSRPTv1",
              let rua = tags.first(where: { $0.tag == "rua" })?.value else { return nil }
        let uris = rua.split(separator: ",").map { $0.trimming(.whitespaces) }
        guard !uris.isEmpty, uris.allSatisfy({ $0.lowercased().hasPrefix("mailto:") || $0.lowercased().hasPrefix("https://") }) else { return nil }
        return uris
    }

    public static func isTLSRPT(_ text: String) -> Bool { text.lowercased().hasPrefix("v=tlsrptv1") }
}

/// A `security.txt` file (RFC 9116 §2): fields `Name: value`, comments after `#`, possibly inside an
/// OpenPGP cleartext signature.
public struct SecurityTxt: Sendable, Equatable {
    public var contacts: [String] = []
    /// Each `Expires` value as written.
    public var expiresValues: [String] = []
    /// The one `Expires` date, when there is exactly one and it reads as an RFC 3339 date-time.
    public var expires: Date?

    public init(_ text: String) {
        var inSignature = false
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.trimming(.whitespaces)
            if line.hasPrefix("-----BEGIN PGP SIGNATURE-----") { inSignature = true }
            if line.hasPrefix("-----END PGP SIGNATURE-----") { inSignature = false; continue }
            if inSignature || line.hasPrefix("#") || line.hasPrefix("-----") || line.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let field = line[..<colon].trimming(.whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimming(.whitespaces)
            switch field {
            case "contact": contacts.append(value)
            case "expires": expiresValues.append(value)
            default: break
            }
        }
        if expiresValues.count == 1 { expires = Self.date(expiresValues[0]) }
    }

    /// An RFC 3339 date-time (`2027-01-01T00:00:00Z`, `2027-01-01T01:00:00+01:00`, fractions allowed).
    static func date(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
