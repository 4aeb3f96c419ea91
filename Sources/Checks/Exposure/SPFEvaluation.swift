import FoundationEssentials
import Model
import NIS2

/// What the SPF record of a domain says, followed through `include:` and `redirect=` (RFC 7208).
///
/// It does not evaluate a sender (no IP address is tested): it checks what makes a record unusable
/// for every receiver — several records (§4.5), an unknown mechanism (§4.6.1), an include or redirect
/// target without a record (§5.2, §6.1), more than 10 terms that cause DNS queries (§4.6.4: `include`,
/// `a`, `mx`, `ptr`, `exists`, `redirect`, counted through every include), and which `all` ends the
/// evaluation (the record's own, or its redirect's). Mechanisms after `all` are never tested (§5.1):
/// they are checked for syntax only. It also adds up the addresses the record lets pass: `ip4:` and
/// `ip6:` ranges qualified `+`, through `+include:` (which matches when the included record passes,
/// §5.2) and `redirect=`; an included record that ends in `+all` lets every address pass.
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
    /// Mechanisms written after `all`, never tested (RFC 7208 §5.1).
    public var ignoredAfterAll: [String] = []
    /// `ptr` is used (RFC 7208 §5.5: SHOULD NOT).
    public var usesPTR = false
    /// IPv4 ranges allowed to pass (`+ip4:`, through `+include:` and `redirect=`), merged.
    public var passingIPv4 = AddressRanges()
    /// IPv6 ranges allowed to pass, on the first 64 bits of the address (a range narrower than a
    /// /64 counts as one /64), merged.
    public var passingIPv6 = AddressRanges()
    /// An included or redirected record lets every address pass (`+all` behind `+include:`).
    public var passesEveryAddress = false
    /// The `+include:` targets that end in `+all`.
    public var includesPassingAll: [String] = []
    /// `a` and `mx` terms whose prefix lets a block wider than a /8 (IPv4) or a /32 (IPv6) around each address pass (`a/0`).
    public var wideHostMechanisms: [String] = []

    /// More IPv4 addresses than a /8 (2^24, the unit IANA allocated to the regional registries,
    /// RFC 7020 §2 and IANA's IPv4 address space registry): no organisation's mail goes out from
    /// that much; such a record lets nearly anyone send.
    public static let ipv4Limit: UInt64 = 1 << 24
    /// More IPv6 space than a /32 (the minimum allocation to a provider in the regional registries'
    /// IPv6 policies, RIPE NCC's among them), counted in /64s (2^32).
    public static let ipv6Limit: UInt64 = 1 << 32

    /// Why the record lets too much of the address space send, or nil.
    public var tooOpen: LocalizedText? {
        if passesEveryAddress {
            return LocalizedText(
                fr: "include: d'un enregistrement en +all (\(includesPassingAll.joined(separator: ", "))) : tout hôte d'Internet peut envoyer pour le domaine",
                en: "include: of a +all record (\(includesPassingAll.joined(separator: ", "))): every host on the Internet may send for the domain")
        }
        if !wideHostMechanisms.isEmpty {
            return LocalizedText(
                fr: "\(wideHostMechanisms.joined(separator: ", ")) : le préfixe laisse passer, autour de chaque adresse, un bloc plus large qu'un /8 (IPv4) ou un /32 (IPv6) : presque tout hôte peut envoyer pour le domaine",
                en: "\(wideHostMechanisms.joined(separator: ", ")): the prefix lets a block wider than a /8 (IPv4) or a /32 (IPv6) around each address pass: nearly any host may send for the domain")
        }
        let v4 = passingIPv4.count
        if v4 > Self.ipv4Limit {
            return LocalizedText(
                fr: "les mécanismes ip4 autorisent \(v4) adresses IPv4, plus qu'un /8 (16 777 216, l'unité d'allocation de l'IANA) : presque tout hôte peut envoyer pour le domaine",
                en: "the ip4 mechanisms authorise \(v4) IPv4 addresses, more than a /8 (16,777,216, IANA's allocation unit): nearly any host may send for the domain")
        }
        let v6 = passingIPv6.count
        if v6 > Self.ipv6Limit {
            let text = v6 == UInt64.max ? "2^64" : "\(v6)"
            return LocalizedText(
                fr: "les mécanismes ip6 autorisent \(text) réseaux /64, plus qu'un /32 (l'allocation minimale d'un fournisseur) : presque tout hôte peut envoyer pour le domaine",
                en: "the ip6 mechanisms authorise \(text) /64 networks, more than a /32 (a provider's minimum allocation): nearly any host may send for the domain")
        }
        return nil
    }

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
        let top = await analysis.follow(domain, role: .top, resolver: resolver, visited: &visited, depth: 0, passes: true)
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
    /// `passes`: a match here makes the top record pass (adds to the passing ranges).
    mutating func follow(
        _ domain: String, role: Role, resolver: DNSResolver, visited: inout Set<String>, depth: Int, passes: Bool
    ) async -> Character? {
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
            if all != nil {
                // RFC 7208 §5.1: mechanisms after `all` are never tested; their syntax still counts (§4.6).
                if !["all", "include", "exists", "a", "mx", "ptr", "ip4", "ip6"].contains(name) {
                    permanentErrors.append(LocalizedText(
                        fr: "\(domain) : mécanisme inconnu « \(term) » (RFC 7208 §4.6.1)", en: "\(domain): unknown mechanism \"\(term)\" (RFC 7208 §4.6.1)"))
                }
                if !ignoredAfterAll.contains(term) { ignoredAfterAll.append(term) }
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
                            let included = await follow(
                                key, role: .include, resolver: resolver, visited: &visited, depth: depth + 1, passes: passes && qualifier == "+")
                            if passes, qualifier == "+", included == "+" {
                                passesEveryAddress = true
                                includesPassingAll.append(key)
                            }
                        } else {
                            permanentErrors.append(LocalizedText(fr: "boucle d'include passant par \(key)", en: "include loop through \(key)"))
                        }
                    }
                }
            case "a", "mx":
                lookups += 1
                // `a/0`, `mx//0`: the prefix widens each address the name gives to a whole block (§5.3, §5.4).
                if passes, qualifier == "+", let (v4, v6) = Self.dualCIDR(lower), (v4 ?? 32) < 8 || (v6 ?? 128) < 32 {
                    wideHostMechanisms.append(term)
                }
            case "ptr":
                lookups += 1
                usesPTR = true
            case "ip4", "ip6":
                guard let range = Self.range(name, argument ?? "") else {
                    permanentErrors.append(LocalizedText(fr: "\(domain) : terme mal formé « \(term) »", en: "\(domain): malformed term \"\(term)\""))
                    continue
                }
                if passes, qualifier == "+" {
                    if name == "ip4" { passingIPv4.insert(range) } else { passingIPv6.insert(range) }
                }
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
                    return await follow(key, role: .redirect, resolver: resolver, visited: &visited, depth: depth + 1, passes: passes)
                }
                permanentErrors.append(LocalizedText(fr: "boucle de redirect passant par \(key)", en: "redirect loop through \(key)"))
            }
        }
        return all
    }

    /// The range an `ip4:` / `ip6:` argument names (RFC 7208 §5.6: `ip4:<address>[/<prefix>]`, the
    /// prefix 32 or 128 when absent): IPv4 as 32-bit numbers, IPv6 on its first 64 bits. Nil when malformed.
    static func range(_ kind: String, _ argument: String) -> ClosedRange<UInt64>? {
        let parts = argument.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let bits = kind == "ip4" ? 32 : 128
        let prefix: Int
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...bits).contains(value), parts[1].allSatisfy(\.isNumber) else { return nil }
            prefix = value
        } else {
            prefix = bits
        }
        if kind == "ip4" {
            guard let address = IPAddressText.ipv4(String(parts[0])) else { return nil }
            let size: UInt64 = 1 << UInt64(32 - prefix)
            let start = UInt64(address) & ~(size - 1)
            return start...(start + size - 1)
        }
        guard let high = IPAddressText.ipv6High64(String(parts[0])) else { return nil }
        let width = max(0, 64 - prefix)
        let size: UInt64 = width == 64 ? 0 : 1 << UInt64(width)
        let start = width == 64 ? 0 : high & ~(size - 1)
        return start...(width == 64 ? UInt64.max : start + size - 1)
    }

    /// The `ip4-cidr-length` and `ip6-cidr-length` of an `a` or `mx` term (`a:x.fr/24//64`, `mx//48`),
    /// each nil when absent; nil when malformed (RFC 7208 §5.6).
    static func dualCIDR(_ term: String) -> (Int?, Int?)? {
        guard let slash = term.firstIndex(of: "/") else { return (nil, nil) }
        let lengths = String(term[slash...])
        func length(_ text: String, _ bits: Int) -> Int? {
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text), value <= bits else { return nil }
            return value
        }
        if lengths.hasPrefix("//") {
            guard let v6 = length(String(lengths.dropFirst(2)), 128) else { return nil }
            return (nil, v6)
        }
        let parts = String(lengths.dropFirst()).components(separatedBy: "//")
        guard parts.count <= 2, let v4 = length(parts[0], 32) else { return nil }
        if parts.count == 2 {
            guard let v6 = length(parts[1], 128) else { return nil }
            return (v4, v6)
        }
        return (v4, nil)
    }

    /// RFC 7208 §12: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
    static func isValidModifierName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}

/// Address ranges, merged as they are inserted; `count` is the number of addresses they cover.
public struct AddressRanges: Sendable, Equatable {
    public private(set) var ranges: [ClosedRange<UInt64>] = []

    public init() {}

    public mutating func insert(_ range: ClosedRange<UInt64>) {
        func next(_ value: UInt64) -> UInt64 { value == .max ? .max : value + 1 }
        var merged = range
        var kept: [ClosedRange<UInt64>] = []
        for existing in ranges {
            // Overlapping or adjacent: one range.
            if existing.lowerBound <= next(merged.upperBound) && merged.lowerBound <= next(existing.upperBound) {
                merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
            } else {
                kept.append(existing)
            }
        }
        kept.append(merged)
        ranges = kept.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Addresses covered, saturating at `UInt64.max`.
    public var count: UInt64 {
        var total: UInt64 = 0
        for range in ranges {
            let (size, overflow) = (range.upperBound - range.lowerBound).addingReportingOverflow(1)
            if overflow { return .max }
            let (sum, over) = total.addingReportingOverflow(size)
            if over { return .max }
            total = sum
        }
        return total
    }
}

/// Parses textual IP addresses for SPF ranges (RFC 4001 forms: dotted quad; IPv6 with `::`).
enum IPAddressText {
    /// `a.b.c.d`, each part 0–255 in decimal.
    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }), let byte = UInt32(part), byte <= 255 else { return nil }
            value = value << 8 | byte
        }
        return value
    }

    /// The first 64 bits of an IPv6 address (`2001:db8::1`, `::`, `::ffff:192.0.2.1`).
    static func ipv6High64(_ text: String) -> UInt64? {
        guard text.contains(":") else { return nil }
        var groups: [UInt16] = []
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func parse(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = ipv4(String(piece)) else { return nil }
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                    continue
                }
                guard !piece.isEmpty, piece.count <= 4, let group = UInt16(piece, radix: 16) else { return nil }
                result.append(group)
            }
            return result
        }
        guard let head = parse(halves[0]) else { return nil }
        if halves.count == 2 {
            guard let tail = parse(halves[1]), head.count + tail.count <= 7 else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            groups = head
        }
        return groups.prefix(4).reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
    }
}
