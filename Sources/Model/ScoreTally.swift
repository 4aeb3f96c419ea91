/// Running sums behind a score: per domain, the weight of the results that count and the credit they
/// earned, the part of that weight that could not be verified, plus how many results were verified
/// out of all. `Scoring.summarize` is this tally's `summary`; stores keep tallies so scores of many
/// results (a commune, a territory) are summed, never recomputed from every result, and come out
/// exactly as `Scoring.summarize` of all of them.
///
/// An `error` result ("could not look") weighs like any result and earns nothing: what was not
/// verified is not credited, so a rule that could not read its input never scores better than one
/// that read it and failed (issue 12, "never a pass you did not verify"). `skip` ("does not apply
/// here") is left out of the score.
public struct ScoreTally: Sendable, Equatable, Codable {
    /// Σ severity weight of the results that count (pass, warn, fail, error), per domain.
    public var weight: [Domain: Double] = [:]
    /// Σ severity weight × credit (pass 1, warn ½, fail 0, error 0), per domain.
    public var earned: [Domain: Double] = [:]
    /// Σ severity weight of the `error` results, per domain (a part of `weight`).
    public var unverified: [Domain: Double] = [:]
    /// Results that were verified (pass, warn, fail with a known domain): the coverage's numerator.
    public var scored = 0
    /// All results, whatever their status (the coverage's denominator).
    public var total = 0

    public init() {}

    public init(_ results: [CheckResult]) {
        for result in results { add(status: result.status, severity: result.severity, domain: result.domain) }
    }

    /// Counts one result.
    public mutating func add(status: Status, severity: Severity, domain: Domain?) {
        total += 1
        guard let domain else { return }
        if status == .error {
            weight[domain, default: 0] += severity.weight
            unverified[domain, default: 0] += severity.weight
            return
        }
        guard let credit = Scoring.credit(status) else { return }
        scored += 1
        weight[domain, default: 0] += severity.weight
        earned[domain, default: 0] += severity.weight * credit
    }

    /// Adds another tally (another host's, another report's).
    public mutating func merge(_ other: ScoreTally) {
        for (domain, value) in other.weight { weight[domain, default: 0] += value }
        for (domain, value) in other.earned { earned[domain, default: 0] += value }
        for (domain, value) in other.unverified { unverified[domain, default: 0] += value }
        scored += other.scored
        total += other.total
    }

    /// Takes out a tally added before (a host's previous latest report); weights are multiples of ½,
    /// so the sums stay exact.
    public mutating func remove(_ other: ScoreTally) {
        for (domain, value) in other.weight { weight[domain, default: 0] -= value }
        for (domain, value) in other.earned { earned[domain, default: 0] -= value }
        for (domain, value) in other.unverified { unverified[domain, default: 0] -= value }
        scored -= other.scored
        total -= other.total
    }

    /// Weight of the verified results of `domain` (pass, warn, fail).
    public func verifiedWeight(_ domain: Domain) -> Double {
        (weight[domain] ?? 0) - (unverified[domain] ?? 0)
    }

    /// Unrounded domain scores, 0–100, for the domains with at least one verified result.
    public var exactDomainScores: [Domain: Double] {
        var scores: [Domain: Double] = [:]
        for (domain, total) in weight where total > 0 && verifiedWeight(domain) > 0 {
            scores[domain] = 100 * (earned[domain] ?? 0) / total
        }
        return scores
    }

    /// Domains whose every counted result erred: nothing was verified there ("non évalué"). They
    /// have no domain score and count 0 in the overall score.
    public var notEvaluated: [Domain] {
        weight.keys.filter { (weight[$0] ?? 0) > 0 && verifiedWeight($0) <= 0 }.sorted()
    }

    /// Mean of the unrounded domain scores, a domain not evaluated counting 0 (what `Scoring.bestFixes`
    /// ranks by); nil when nothing at all was verified. Summed in `Domain` order: floating-point addition is not
    /// associative, and a dictionary's order differs between instances, so the same results gave gains that
    /// differed in their last bits (7.9999999999999964 or 8 on the élus page) from one run or store to the next.
    public var exactScore: Double? {
        let scores = exactDomainScores
        guard !scores.isEmpty else { return nil }
        return scores.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value } / Double(scores.count + notEvaluated.count)
    }

    /// The published scores: domain scores rounded, overall the rounded mean of those (a domain not
    /// evaluated counting 0), level, coverage, and the domains not evaluated.
    public var summary: ScoreSummary {
        var domains: [Domain: Int] = [:]
        for (domain, score) in exactDomainScores { domains[domain] = Int(score.rounded()) }
        let missing = notEvaluated
        let overall: Int? = domains.isEmpty
            ? nil : Int((Double(domains.values.reduce(0, +)) / Double(domains.count + missing.count)).rounded())
        let coverage = total == 0 ? 0 : Double(scored) / Double(total)
        return ScoreSummary(
            score: overall, level: overall.map { Scoring.level(forScore: $0) }, coverage: (coverage * 1000).rounded() / 1000,
            domains: domains, notEvaluated: missing)
    }

    enum CodingKeys: String, CodingKey { case weight, earned, unverified, scored, total }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        weight = try container.decode([Domain: Double].self, forKey: .weight)
        earned = try container.decode([Domain: Double].self, forKey: .earned)
        unverified = try container.decodeIfPresent([Domain: Double].self, forKey: .unverified) ?? [:]
        scored = try container.decode(Int.self, forKey: .scored)
        total = try container.decode(Int.self, forKey: .total)
    }
}
