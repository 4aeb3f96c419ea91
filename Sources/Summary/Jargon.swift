import Foundation

/// The words an élu should not meet on the summary: protocol and cipher names, CVE ids, port
/// numbers, rule codes, English technical terms and acronyms. The summary's own text is held
/// against this list by the tests; `violations(in:)` works on any visible text.
public enum Jargon {
    /// Forbidden whole words (case ignored).
    public static let words: [String] = [
        // Protocols, ciphers, algorithms, formats.
        "TLS", "SSL", "HTTP", "HTTPS", "HSTS", "OCSP", "STARTTLS", "IMAP", "IMAPS", "SMTP", "POP3", "LDAP", "DNS", "DNSSEC",
        "SPF", "DKIM", "DMARC", "MTA-STS", "TLS-RPT", "DANE", "TLSA", "CAA", "MX", "security.txt",
        "VPN", "RDP", "SSH", "SMB", "FTP", "SNMP", "IP", "IPv4", "IPv6", "TCP", "UDP",
        "AES", "RSA", "DSA", "ECDSA", "ECDHE", "DHE", "RC4", "3DES", "MD5", "SHA", "SHA1", "SHA-1", "SHA256", "SHA-256",
        "X.509", "X509", "PKI", "CMS", "PEM", "DER", "PKCS", "JSON", "YAML", "SQLite", "cipher", "ciphers", "ciphersuite",
        // Products and systems.
        "Linux", "Debian", "Ubuntu", "OpenSSL", "nginx", "Apache", "systemd", "restic", "Borg", "apt", "dpkg", "cyberctl",
        // Vulnerabilities and jargon acronyms.
        "CVE", "CVSS", "EOL", "MFA", "2FA", "EDR", "XDR", "SOC", "SIEM", "RSSI", "DSI", "PSSI", "ReCyF", "ANSSI",
        // English terms.
        "port", "ports", "backup", "backups", "patch", "patches", "update", "updates", "upgrade", "firewall", "password",
        "login", "cloud", "server", "servers", "endpoint", "host", "hostname", "ransomware", "phishing", "malware", "scan",
        "scanner", "score", "check", "checks", "fail", "warn", "pass", "skip", "error", "the", "and", "of", "with",
        "security", "offline", "online", "timeout", "domain", "target", "evidence", "severity", "critical", "high",
    ]

    /// Patterns that are jargon whatever the word: CVE ids, `:443`-style port numbers, rule codes
    /// (`tls.legacy-protocols`), Directive references written as codes (`NIS2-21.2.h`, `21(2)`).
    public static let patterns: [String] = [
        #"CVE-\d{4}-\d+"#,
        #"(?<=[\p{L}\p{N}\]]):\d{1,5}\b"#,
        #"\bport\s*\d+"#,
        #"\b(tls|cert|patch|backup|org|runner|mail|dns|web)\.[a-z0-9][a-z0-9.-]*"#,
        #"\bNIS2-\d"#,
        #"\b\d+\(\d+\)"#,
    ]

    /// One expression per word (whole word, case ignored), then the patterns; compiled once.
    nonisolated(unsafe) static let expressions: [NSRegularExpression] = {
        let wordExpressions = words.map { word in
            try! NSRegularExpression(
                pattern: #"(?<![\p{L}\p{N}_.-])"# + NSRegularExpression.escapedPattern(for: word) + #"(?![\p{L}\p{N}_])"#,
                options: [.caseInsensitive])
        }
        return wordExpressions + patterns.map { try! NSRegularExpression(pattern: $0, options: [.caseInsensitive]) }
    }()

    /// The forbidden words and patterns found in `text`, in list order.
    public static func violations(in text: String) -> [String] {
        var found: [String] = []
        let range = NSRange(text.startIndex..., in: text)
        for regex in expressions {
            if let match = regex.firstMatch(in: text, range: range), let r = Range(match.range, in: text) { found.append(String(text[r])) }
        }
        return found
    }

    /// What a reader sees of an HTML page: the `<style>` block and tags removed, entities decoded.
    public static func visibleText(ofHTML html: String) -> String {
        var text = html.replacingOccurrences(of: #"<style>[\s\S]*?</style>"#, with: " ", options: .regularExpression)
        text = text.replacingOccurrences(of: #"<title>[\s\S]*?</title>"#, with: " ", options: .regularExpression)
        text = text.replacingOccurrences(of: #"<[^>]*>"#, with: " ", options: .regularExpression)
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        return text
    }
}
