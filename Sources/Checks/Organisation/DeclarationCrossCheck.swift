import Model

/// Puts technical results beside the declarations they bear on, after a scan's checks have run.
///
/// Each `org.nis2.*` result lists in its evidence (`technicalPrefixes`) the rule-code prefixes of
/// the technical rules that bear on it: backups → `backup.` (Art. 21(2)(c)), patches → `patch.`
/// (21(2)(e)), TLS → `tls.` and certificates → `cert.` (21(2)(h)). This step counts those results
/// of the same scan in the item's evidence (`technical`: pass, warn, fail, and apart the `error`
/// ones that could not look). When the item was declared "oui" and at
/// least one of them is a `fail`, the declaration is contradicted: the evidence says so
/// (`contradicted`, `contradictedBy`) and a pass becomes a warn — a claim the scan disproves does
/// not earn full credit. It works on results only, so any technical family whose codes use these
/// prefixes takes part without change here.
public enum DeclarationCrossCheck {
    /// At most this many contradicting results are named in one item's evidence.
    public static let namedLimit = 10

    /// `results` with every organisational result annotated; other results unchanged, order kept.
    /// Annotates in place: a scan of thousands of certificate files is not copied for a few declarations.
    public static func apply(_ results: consuming [CheckResult]) -> [CheckResult] {
        var results = results
        for index in results.indices {
            if let annotated = annotation(of: results[index], among: results) { results[index] = annotated }
        }
        return results
    }

    /// `result` annotated with the technical results among `results` it bears on, or nil when it is not
    /// an organisational result that names technical prefixes. Technical prefixes never start with `org.`,
    /// so annotating one declaration never changes what another one counts.
    static func annotation(of result: CheckResult, among results: [CheckResult]) -> CheckResult? {
        guard result.code.hasPrefix("org.nis2."),
              case .array(let prefixValues)? = result.evidence["technicalPrefixes"] else { return nil }
        let prefixes = prefixValues.compactMap(\.stringValue).filter { !$0.hasPrefix("org.") && !$0.isEmpty }
        guard !prefixes.isEmpty else { return nil }
        let technical = results.filter { other in
            other.status.isScored && prefixes.contains { other.code.hasPrefix($0) }
        }
        var annotated = result
        annotated.evidence["technical"] = [
            "pass": .int(technical.filter { $0.status == .pass }.count),
            "warn": .int(technical.filter { $0.status == .warn }.count),
            "fail": .int(technical.filter { $0.status == .fail }.count),
            // Rules that could not look support nothing: counted apart, so a declaration beside
            // unverified technical results does not read as uncontradicted evidence.
            "error": .int(results.filter { $0.status == .error && prefixes.contains(where: $0.code.hasPrefix) }.count),
        ]
        let failures = technical.filter { $0.status == .fail }
        guard result.evidence["declared"] == "oui", !failures.isEmpty else { return annotated }
        annotated.evidence["contradicted"] = true
        annotated.evidence["contradictedBy"] = .array(failures.prefix(namedLimit).map { failure in
            ["code": .string(failure.code), "target": .string(failure.target), "severity": .string(failure.severity.rawValue)]
        })
        if annotated.status == .pass { annotated.status = .warn }
        return annotated
    }
}
