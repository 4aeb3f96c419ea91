/// The one scoring formula used everywhere (terminal, reports, HTML, élus summary).
///
/// Each result weighs `Severity.weight`; pass earns full credit, warn half, fail none, and error none
/// either: a rule that could not look is not credited, so it never scores better than a failing one.
/// `skip` ("does not apply here") is left out. A domain score is 100 × credit ÷ weight over its results,
/// rounded; a domain where every counted result erred is "not evaluated": it has no score and counts 0 in
/// the overall score, which is the mean over the domains that have results. The level is read from the
/// overall score; coverage is the share of results that were verified (pass, warn, fail).
public enum Scoring {
    /// Credit a verified status earns, 0…1; nil for `error` (weighs, earns nothing: see `ScoreTally`)
    /// and `skip` (left out).
    public static func credit(_ status: Status) -> Double? {
        switch status {
        case .pass: return 1
        case .warn: return 0.5
        case .fail: return 0
        case .error, .skip: return nil
        }
    }

    /// Level bands on the overall score: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E below.
    public static func level(forScore score: Int) -> Level {
        switch score {
        case 90...: return .a
        case 75..<90: return .b
        case 60..<75: return .c
        case 40..<60: return .d
        default: return .e
        }
    }

    /// Per-domain scores, overall score, level and coverage of a set of results.
    public static func summarize(_ results: [CheckResult]) -> ScoreSummary {
        ScoreTally(results).summary
    }

    /// The fixes that would raise the overall score most: each warn or fail result, with the overall
    /// score if that one result passed, best first (ties: higher severity first).
    public static func bestFixes(_ results: [CheckResult], limit: Int = 3) -> [ScoreGain] {
        let tally = ScoreTally(results)
        guard let base = tally.exactScore else { return [] }
        var gains: [ScoreGain] = []
        for result in results where result.status.isFinding {
            guard let domain = result.domain, let credit = credit(result.status) else { continue }
            var fixed = tally
            fixed.earned[domain, default: 0] += result.severity.weight * (1 - credit)
            guard let after = fixed.exactScore else { continue }
            gains.append(ScoreGain(
                result: result, scoreAfter: Int(after.rounded()), gain: Int(after.rounded()) - Int(base.rounded()),
                exactGain: after - base))
        }
        // Gains equal but for floating-point noise (the domain means are summed in dictionary order) tie:
        // the higher severity goes first, the same in every process.
        func key(_ gain: ScoreGain) -> Double { (gain.exactGain * 1e9).rounded() }
        gains.sort { (key($0), $0.result.severity) > (key($1), $1.result.severity) }
        return Array(gains.prefix(limit))
    }
}

/// A level A–E.
public enum Level: String, Codable, Sendable, CaseIterable {
    case a = "A", b = "B", c = "C", d = "D", e = "E"
}

/// Scores of a set of results.
public struct ScoreSummary: Codable, Sendable, Equatable {
    /// Overall score 0–100; nil when nothing was scored.
    public var score: Int?
    public var level: Level?
    /// Share of results that were verified (not `error` or `skip`), 0…1.
    public var coverage: Double
    /// Score 0–100 per domain that has verified results.
    public var domains: [Domain: Int]
    /// Domains whose every counted result erred ("non évalué"): no score, 0 in the overall score.
    ///
    /// Not part of the report format (`cyberctl.report/1` predates it, and collectors of that schema
    /// refuse unknown keys): a decoded summary has it empty; derive it from the results with
    /// `Scoring.summarize(_:)`.
    public var notEvaluated: [Domain]

    public init(score: Int?, level: Level?, coverage: Double, domains: [Domain: Int], notEvaluated: [Domain] = []) {
        self.score = score
        self.level = level
        self.coverage = coverage
        self.domains = domains
        self.notEvaluated = notEvaluated
    }

    enum CodingKeys: String, CodingKey { case score, level, coverage, domains }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        score = try container.decodeIfPresent(Int.self, forKey: .score)
        level = try container.decodeIfPresent(Level.self, forKey: .level)
        coverage = try container.decode(Double.self, forKey: .coverage)
        let raw = try container.decode([String: Int].self, forKey: .domains)
        var domains: [Domain: Int] = [:]
        for (key, value) in raw {
            guard let domain = Domain(rawValue: key) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .domains, in: container, debugDescription: "unknown domain \(key)")
            }
            domains[domain] = value
        }
        self.domains = domains
        notEvaluated = []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(score, forKey: .score)
        try container.encode(level, forKey: .level)
        try container.encode(coverage, forKey: .coverage)
        try container.encode(Dictionary(uniqueKeysWithValues: domains.map { ($0.key.rawValue, $0.value) }), forKey: .domains)
    }
}

/// What fixing one finding would do to the overall score.
public struct ScoreGain: Sendable {
    public let result: CheckResult
    public let scoreAfter: Int
    /// Points gained on the overall score, rounded.
    public let gain: Int
    /// The same gain before rounding, for ranking.
    public let exactGain: Double
}
