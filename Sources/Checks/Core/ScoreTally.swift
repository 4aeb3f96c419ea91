/// Running sums behind a score: per domain, the weight of the scored results and the credit they
/// earned, plus how many results were scored out of all. `Scoring.summarize` is this tally's
/// `summary`; stores keep tallies so scores of many results (a commune, a territory) are summed,
/// never recomputed from every result, and come out exactly as `Scoring.summarize` of all of them.
public struct ScoreTally: Sendable, Equatable, Codable {
    /// Σ severity weight of the scored results, per domain.
    public var weight: [Domain: Double] = [:]
    /// Σ severity weight × credit (pass 1, warn ½, fail 0), per domain.
    public var earned: [Domain: Double] = [:]
    /// Results that count in the score (pass, warn, fail with a known domain).
    public var scored = 0
    /// All results, scored or not (the coverage's denominator).
    public var total = 0

    public init() {}

    public init(_ results: [CheckResult]) {
        for result in results { add(status: result.status, severity: result.severity, domain: result.domain) }
    }

    /// Counts one result.
    public mutating func add(status: Status, severity: Severity, domain: Domain?) {
        total += 1
        guard let credit = Scoring.credit(status), let domain else { return }
        scored += 1
        weight[domain, default: 0] += severity.weight
        earned[domain, default: 0] += severity.weight * credit
    }

    /// Adds another tally (another host's, another report's).
    public mutating func merge(_ other: ScoreTally) {
        for (domain, value) in other.weight { weight[domain, default: 0] += value }
        for (domain, value) in other.earned { earned[domain, default: 0] += value }
        scored += other.scored
        total += other.total
    }

    /// Unrounded domain scores, 0–100, for the domains with scored results.
    public var exactDomainScores: [Domain: Double] {
        var scores: [Domain: Double] = [:]
        for (domain, total) in weight where total > 0 { scores[domain] = 100 * (earned[domain] ?? 0) / total }
        return scores
    }

    /// Mean of the unrounded domain scores (what `Scoring.bestFixes` ranks by); nil when nothing was scored.
    public var exactScore: Double? {
        let scores = exactDomainScores
        return scores.isEmpty ? nil : scores.values.reduce(0, +) / Double(scores.count)
    }

    /// The published scores: domain scores rounded, overall the rounded mean of those, level, coverage.
    public var summary: ScoreSummary {
        var domains: [Domain: Int] = [:]
        for (domain, score) in exactDomainScores { domains[domain] = Int(score.rounded()) }
        let overall: Int? = domains.isEmpty
            ? nil : Int((Double(domains.values.reduce(0, +)) / Double(domains.count)).rounded())
        let coverage = total == 0 ? 0 : Double(scored) / Double(total)
        return ScoreSummary(
            score: overall, level: overall.map { Scoring.level(forScore: $0) }, coverage: (coverage * 1000).rounded() / 1000,
            domains: domains)
    }
}
