import FoundationGaps

/// A domain name the entity declares (agent.yaml `entity.domains`, or the profile's `domains`), with the
/// DKIM selectors its mail is signed with (DKIM keys cannot be listed from DNS: RFC 6376 §3.6.2.1).
public struct DeclaredDomain: Sendable, Equatable, Hashable {
    /// Lower-case, without a final dot (`mairie-exemple.fr`).
    public let name: String
    /// Selectors (`mail`, `s1`), for `SELECTOR._domainkey.NAME`.
    public var dkimSelectors: [String]

    public init(name: String, dkimSelectors: [String] = []) {
        self.name = DeclaredDomain.normalised(name)
        self.dkimSelectors = dkimSelectors
    }

    /// Lower-cased, trimmed, final dot removed.
    public static func normalised(_ name: String) -> String {
        var text = name.trimming(.whitespaces).lowercased()
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Why `name` is not a usable domain name, nil when it is: LDH labels of 1–63 characters
    /// (RFC 1035 §2.3.1, RFC 5890 A-labels for IDNs: `xn--…`), at least two labels, 253 characters at most.
    public static func problem(_ name: String) -> String? {
        let text = normalised(name)
        guard !text.isEmpty else { return "empty domain name" }
        guard text.count <= 253 else { return "\"\(name)\" is longer than 253 characters" }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return "\"\(name)\": expected a domain name with at least two labels (mairie-exemple.fr)" }
        for label in labels {
            guard !label.isEmpty, label.count <= 63,
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
                  label.first != "-", label.last != "-" else {
                return "\"\(name)\": expected letters, digits and hyphens in labels of 1 to 63 characters (IDNs in their xn-- form)"
            }
        }
        return nil
    }

    /// Why `selector` is not a DKIM selector (RFC 6376 §3.1: dot-separated sub-domain labels), nil when it is.
    public static func selectorProblem(_ selector: String) -> String? {
        let labels = selector.split(separator: ".", omittingEmptySubsequences: false)
        guard !selector.isEmpty, labels.allSatisfy({ label in
            !label.isEmpty && label.count <= 63 && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }) else { return "DKIM selector \"\(selector)\": expected letters, digits, hyphens, dot-separated" }
        return nil
    }
}
