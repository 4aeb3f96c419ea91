import Model

/// Scores of the organisational questionnaire per NIS 2 section (Art. 21(2) letters a–j, Art. 20)
/// and overall, computed with `Scoring`'s formula over the `org.nis2.*` results: each result
/// weighs its severity; pass earns full credit, warn half, fail none; skip (sans objet) and error
/// are left out.
public struct NIS2ScoreSheet: Sendable {
    public struct Section: Sendable {
        /// `a` … `j`, `art20`.
        public let id: String
        /// `21(2)(c)`, `20`.
        public let article: String
        /// 0–100; nil when no item of the section was scored.
        public let score: Int?
        /// Items answered "oui" without reservation (pass).
        public let done: Int
        /// Items scored in the section.
        public let scored: Int
    }

    /// Sections in order a … j, then Art. 20.
    public let sections: [Section]
    /// Overall score of the organisation domain, 0–100; nil when nothing was scored.
    public let overall: Int?
    /// Items answered "ne sais pas": counted as not done, listed so someone finds out.
    public let unknown: [CheckResult]
    /// Items with no answer at all.
    public let unanswered: [CheckResult]
    /// Items whose review date is past.
    public let overdue: [CheckResult]
    /// "oui" declarations contradicted by a failing technical rule of the same scan.
    public let contradicted: [CheckResult]

    /// The sheet of the `org.nis2.*` results among `results`; nil when there are none.
    public init?(_ results: [CheckResult]) {
        let items = results.filter { $0.code.hasPrefix("org.nis2.") && $0.evidence["section"] != nil }
        guard !items.isEmpty else { return nil }
        var order: [String] = []
        for result in items {
            if let section = result.evidence["section"]?.stringValue, !order.contains(section) { order.append(section) }
        }
        order.sort { ($0 == "art20" ? 1 : 0, $0) < ($1 == "art20" ? 1 : 0, $1) }
        sections = order.map { id in
            let members = items.filter { $0.evidence["section"]?.stringValue == id }
            return Section(
                id: id, article: members.first?.evidence["article"]?.stringValue ?? id,
                score: Scoring.summarize(members).domains[.organisation],
                done: members.filter { $0.status == .pass }.count,
                scored: members.filter { $0.status.isScored }.count)
        }
        overall = Scoring.summarize(items).domains[.organisation]
        unknown = items.filter { $0.evidence["unknown"] == true }
        unanswered = items.filter { $0.evidence["unanswered"] == true }
        overdue = items.filter { $0.evidence["reviewOverdue"] == true }
        contradicted = items.filter { $0.evidence["contradicted"] == true }
    }
}
