/// The one scoring formula used everywhere (terminal, reports, HTML, élus summary).
///
/// Each scored result (pass, warn, fail) weighs `Severity.weight`; pass earns full credit, warn half,
/// fail none. A domain score is 100 × credit ÷ weight over its results, rounded; the overall score is
/// the mean of the domain scores that have results; the level is read from the overall score.
/// `error` and `skip` are left out of the score and lower the coverage.
public enum Scoring {
    /// Credit a status earns, 0…1; nil when the status is not scored.
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
        var weight: [Domain: Double] = [:]
        var earned: [Domain: Double] = [:]
        for result in results {
            guard let credit = credit(result.status), let domain = result.domain else { continue }
            weight[domain, default: 0] += result.severity.weight
            earned[domain, default: 0] += result.severity.weight * credit
        }
        var domainScores: [Domain: Double] = [:]
        for (domain, total) in weight where total > 0 { domainScores[domain] = 100 * (earned[domain] ?? 0) / total }
        guard !domainScores.isEmpty else { return [] }
        let count = Double(domainScores.count)
        let base = domainScores.values.reduce(0, +) / count
        var gains: [ScoreGain] = []
        for result in results where result.status.isFinding {
            guard let domain = result.domain, let total = weight[domain], total > 0,
                  let credit = credit(result.status) else { continue }
            // Only this result's domain score moves; the overall score is the mean of domain scores.
            let raised = 100 * ((earned[domain] ?? 0) + result.severity.weight * (1 - credit)) / total
            let after = base + (raised - domainScores[domain]!) / count
            gains.append(ScoreGain(
                result: result, scoreAfter: Int(after.rounded()), gain: Int(after.rounded()) - Int(base.rounded()),
                exactGain: after - base))
        }
        gains.sort { ($0.exactGain, $0.result.severity) > ($1.exactGain, $1.result.severity) }
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
    /// Share of results that were scored (not `error` or `skip`), 0…1.
    public var coverage: Double
    /// Score 0–100 per domain that has scored results.
    public var domains: [Domain: Int]

    public init(score: Int?, level: Level?, coverage: Double, domains: [Domain: Int]) {
        self.score = score
        self.level = level
        self.coverage = coverage
        self.domains = domains
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
