import FoundationEssentials
import Model
import NIS2

/// What the SPF record of a domain says, followed through `include:` and `redirect=` (RFC 7208).
///
/// It does not evaluate a sender (no IP address is tested): it checks what makes a record unusable
/// for every receiver — several records (§4.5), an unknown mechanism (§4.6.1), an include or redirect
/// target without a record (§5.2, §6.1), more than 10 terms that cause DNS queries (§4.6.4: `include`,
/// `a`, `mx`, `ptr`, `exists`, `redirect`, counted through every include), and which `all` ends the
/// evaluation (the record's own, or its redirect's).
public struct SPFAnalysis: Sendable {
    /// The SPF records at the domain itself.
    public var records: [String] = []
    /// DNS-querying terms counted, through includes and redirects.
    public var lookups = 0
    /// Qualifier of the `all` that ends the evaluation (`-`, `~`, `?`, `+`); nil when there is none.
    public var allQualifier: Character?
    /// Reasons the record is a permanent error for receivers (RFC 7208 §2.6.7).
    public var permanentErrors: [LocalizedText] = []
    /// A DNS failure met on the way: the analysis is not conclusive.
    public var failure: LocalizedText?
    /// Domains followed through include/redirect, in order.
    public var followed: [String] = []
    /// Terms that make no sense to follow here (macros), kept for the evidence.
    public var notFollowed: [String] = []
    /// `ptr` is used (RFC 7208 §5.5: SHOULD NOT).
    public var usesPTR = false

    /// RFC 7208 §4.6.4.
    public static let lookupLimit = 10

    /// The record is exactly `v=spf1 -all`: the domain declares that it sends no mail.
    public var sendsNoMail: Bool {
        records.count == 1 && records[0].lowercased().split(separator: " ").map(String.init) == ["v=spf1", "-all"]
    }

    /// True when `text` is an SPF record: `v=spf1` alone or followed by a space (RFC 7208 §4.5).
    public static func isSPF(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower == "v=spf1" || lower.hasPrefix("v=spf1 ")
    }

    /// Analyses the SPF record of `domain`, querying TXT records through `resolver`.
    public static func analyse(_ domain: String, resolver: DNSResolver) async -> SPFAnalysis {
        var analysis = SPFAnalysis()
        var visited: Set<String> = []
        let top = await analysis.follow(domain, role: .top, resolver: resolver, visited: &visited, depth: 0)
        analysis.allQualifier = top
        if analysis.lookups > lookupLimit {
            analysis.permanentErrors.append(LocalizedText(
                fr: "\(analysis.lookups) termes qui interrogent le DNS, au-delà de la limite de \(lookupLimit) (RFC 7208 §4.6.4)",
                en: "\(analysis.lookups) DNS-querying terms, more than the limit of \(lookupLimit) (RFC 7208 §4.6.4)"))
        }
        return analysis
    }

    enum Role { case top, include, redirect }

    /// Reads the record of `domain` and follows it; returns the qualifier of the `all` that ends it.
    mutating func follow(_ domain: String, role: Role, resolver: DNSResolver, visited: inout Set<String>, depth: Int) async -> Character? {
        guard failure == nil, depth <= 20 else { return nil }
        let answer = await resolver.query(domain, .txt)
        if let problem = answer.failure {
            failure = answer.localizedFailure
            _ = problem
            return nil
        }
        let spf = answer.records.compactMap(DNSRecords.txt).filter(Self.isSPF)
        if role == .top { records = spf }
        guard spf.count == 1 else {
            switch (spf.count, role) {
            case (0, .top): break
            case (0, _):
                let term = role == .include ? "include" : "redirect"
                permanentErrors.append(LocalizedText(
                    fr: "la cible \(domain) de \(term) n'a pas d'enregistrement SPF (RFC 7208 §5.2)",
                    en: "\(term) target \(domain) has no SPF record (RFC 7208 §5.2)"))
            default:
                permanentErrors.append(LocalizedText(
                    fr: "\(domain) a \(spf.count) enregistrements SPF, un seul est permis (RFC 7208 §4.5)",
                    en: "\(domain) has \(spf.count) SPF records, exactly one is allowed (RFC 7208 §4.5)"))
            }
            return nil
        }
        var all: Character?
        var redirect: String?
        for term in spf[0].split(separator: " ").dropFirst().map(String.init) where !term.isEmpty {
            var body = Substring(term)
            var qualifier: Character = "+"
            if let first = body.first, "+-~?".contains(first) {
                qualifier = first
                body = body.dropFirst()
            }
            let lower = body.lowercased()
            let name = String(lower.prefix { $0 != ":" && $0 != "/" && $0 != "=" })
            let argument: String? = {
                guard let separator = body.firstIndex(where: { $0 == ":" || $0 == "=" }) else { return nil }
                return String(body[body.index(after: separator)...])
            }()
            if lower.contains("=") && !lower.hasPrefix("ip4:") && !lower.hasPrefix("ip6:") && !["a", "mx", "include", "exists", "ptr"].contains(name) {
                // A modifier.
                if name == "redirect" { redirect = argument } else if !Self.isValidModifierName(name) {
                    permanentErrors.append(LocalizedText(fr: "\(domain) : terme mal formé « \(term) »", en: "\(domain): malformed term \"\(term)\""))
                }
                continue
            }
            switch name {
            case "all":
                all = qualifier
            case "include", "exists":
                lookups += 1
                guard let target = argument, !target.isEmpty else {
                    permanentErrors.append(LocalizedText(fr: "\(domain) : \(name) sans domaine", en: "\(domain): \(name) without a domain"))
                    continue
                }
                if name == "include" {
                    if target.contains("%") {
                        notFollowed.append(term)
                    } else if lookups <= Self.lookupLimit {
                        let key = target.lowercased()
                        followed.append(key)
                        if visited.insert(key).inserted {
                            _ = await follow(key, role: .include, resolver: resolver, visited: &visited, depth: depth + 1)
                        } else {
                            permanentErrors.append(LocalizedText(fr: "boucle d'include passant par \(key)", en: "include loop through \(key)"))
                        }
                    }
                }
            case "a", "mx":
                lookups += 1
            case "ptr":
                lookups += 1
                usesPTR = true
            case "ip4", "ip6":
                break
            default:
                permanentErrors.append(LocalizedText(
                    fr: "\(domain) : mécanisme inconnu « \(term) » (RFC 7208 §4.6.1)", en: "\(domain): unknown mechanism \"\(term)\" (RFC 7208 §4.6.1)"))
            }
            if failure != nil { return nil }
        }
        // A redirect is used only when the record has no `all` (RFC 7208 §6.1).
        if all == nil, let redirect {
            lookups += 1
            if redirect.contains("%") {
                notFollowed.append("redirect=\(redirect)")
            } else if lookups <= Self.lookupLimit {
                let key = redirect.lowercased()
                followed.append(key)
                if visited.insert(key).inserted {
                    return await follow(key, role: .redirect, resolver: resolver, visited: &visited, depth: depth + 1)
                }
                permanentErrors.append(LocalizedText(fr: "boucle de redirect passant par \(key)", en: "redirect loop through \(key)"))
            }
        }
        return all
    }

    /// RFC 7208 §12: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
    static func isValidModifierName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
