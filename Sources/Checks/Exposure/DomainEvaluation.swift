import FoundationEssentials
import FoundationGaps
import Model
import OpenSSLKit
import TLSProbe
import NIS2

/// The `ExposureRules` applied to one domain. Mail rules are in `DomainEvaluation+Mail.swift`, DNS rules
/// in `+DNS`, web rules in `+Web`.
///
/// A DNS failure (SERVFAIL, timeout, bogus answer) gives `error` with the query that failed, never
/// "absent"; only NXDOMAIN and NODATA are absences. Rules run concurrently; past the domain deadline the
/// rules not finished give `error` ("deadline").
struct DomainEvaluation: Sendable {
    let domain: DeclaredDomain
    let environment: Environment

    /// What every rule of a run shares.
    struct Environment: Sendable {
        let checkID: String
        let resolver: DNSResolver
        let resolverConfiguration: DNSResolverConfiguration
        /// Nil when libssl could not be set up (mail.starttls then errs).
        let prober: TLSProber?
        let trustStore: TrustStore?
        let trustStoreProblem: LocalizedText?
        let caFile: String?
        let connectionTimeout: Double
        let ports: DomainExposureCheck.Ports
        let mxTLS: Bool
        let now: Date
    }

    /// Results gathered as rules finish, so a deadline keeps what was done.
    final class Collector: @unchecked Sendable {
        private let lock = Lock()
        private var results: [CheckResult] = []
        private var finished: Set<String> = []

        func add(_ new: [CheckResult], finishing code: String) {
            lock.withLock {
                results += new
                finished.insert(code)
            }
        }

        var snapshot: (results: [CheckResult], finished: Set<String>) { lock.withLock { (results, finished) } }
    }

    /// Rule groups, in report order; each finishes as a whole.
    static let groups = ["mail.spf", "mail.dmarc", "mail.dkim", "mail.mta-sts", "mail.tls-rpt", "mail.starttls", "dns.dnssec", "dns.caa", "dns.ns-consistency", "web"]
    static let order = ["mail.spf", "mail.dmarc", "mail.dkim", "mail.mta-sts", "mail.tls-rpt", "mail.starttls", "mail.dane", "dns.dnssec", "dns.caa", "dns.ns-consistency", "web.https", "web.redirect", "web.hsts", "web.security-txt"]

    /// Every rule's results, or what was done by `deadline` seconds plus `error` for the rest.
    func results(deadline: Double) async -> [CheckResult] {
        let collector = Collector()
        let started = Stopwatch()
        // What finished in time is read before the rest is cancelled: a rule cut short by the cancellation
        // answers "cancelled", and is reported as past the deadline instead.
        let (completed, snapshot) = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.evaluate(into: collector)
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(deadline * 1000)))
                return false
            }
            let first = await group.next() ?? false
            let snapshot = collector.snapshot
            group.cancelAll()
            return (first, snapshot)
        }
        var (results, finished) = snapshot
        if !completed {
            for group in Self.groups where !finished.contains(group) {
                let codes = group == "web" ? ["web.https", "web.redirect", "web.hsts", "web.security-txt"]
                    : group == "mail.starttls" ? ["mail.starttls", "mail.dane"] : [group]
                for code in codes {
                    results.append(make(code, target: domain.name, .error, reason: LocalizedText(fr: "le délai de \(DNSResolver.seconds(deadline)) s du domaine est passé avant que cette règle soit contrôlée", en: "the domain deadline of \(DNSResolver.seconds(deadline)) s passed before this rule was checked"), durationMs: started.elapsedMs))
                }
            }
        }
        return results.sorted { (Self.order.firstIndex(of: $0.code) ?? 99) < (Self.order.firstIndex(of: $1.code) ?? 99) }
    }

    /// Runs every rule group concurrently.
    func evaluate(into collector: Collector) async {
        // The domain itself: a name that does not exist is a configuration mistake, said once.
        let soa = await environment.resolver.query(domain.name, .soa)
        if soa.isNXDomain {
            collector.add([make(ExposureRules.resolverCode, target: domain.name, .error, reason: LocalizedText(fr: "\(domain.name) n'existe pas (NXDOMAIN) : vérifiez le nom de domaine déclaré", en: "\(domain.name) does not exist (NXDOMAIN): check the declared domain name"))], finishing: "all")
            for group in Self.groups { collector.add([], finishing: group) }
            return
        }
        let mail = MailFacts()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let started = Stopwatch()
                let (result, spf) = await self.spf(started)
                mail.setSPF(spf)
                collector.add([result], finishing: "mail.spf")
            }
            group.addTask { collector.add([await self.dmarc(Stopwatch())], finishing: "mail.dmarc") }
            group.addTask { collector.add([await self.dnssec(soa, Stopwatch())], finishing: "dns.dnssec") }
            group.addTask { collector.add([await self.caa(Stopwatch())], finishing: "dns.caa") }
            group.addTask { collector.add([await self.nameServers(Stopwatch())], finishing: "dns.ns-consistency") }
            group.addTask { collector.add(await self.web(), finishing: "web") }
            group.addTask {
                let mx = await self.mailExchangers()
                await withTaskGroup(of: Void.self) { inner in
                    inner.addTask { collector.add([await self.dkim(mx, spf: await mail.waitSPF(), Stopwatch())], finishing: "mail.dkim") }
                    inner.addTask { collector.add([await self.mtaSTS(mx, Stopwatch())], finishing: "mail.mta-sts") }
                    inner.addTask { collector.add([await self.tlsRPT(mx, Stopwatch())], finishing: "mail.tls-rpt") }
                    inner.addTask { collector.add(await self.mailServers(mx), finishing: "mail.starttls") }
                }
            }
        }
    }

    /// The SPF analysis, shared by mail.spf and mail.dkim (a domain that sends no mail needs no DKIM).
    final class MailFacts: @unchecked Sendable {
        private let lock = Lock()
        private var spf: SPFAnalysis?
        private var waiters: [CheckedContinuation<SPFAnalysis?, Never>] = []
        private var done = false

        func setSPF(_ value: SPFAnalysis?) {
            let toResume = lock.withLock { () -> [CheckedContinuation<SPFAnalysis?, Never>] in
                spf = value
                done = true
                let all = waiters
                waiters.removeAll()
                return all
            }
            for waiter in toResume { waiter.resume(returning: value) }
        }

        func waitSPF() async -> SPFAnalysis? {
            await withCheckedContinuation { continuation in
                let ready = lock.withLock { () -> (Bool, SPFAnalysis?) in
                    if done { return (true, spf) }
                    waiters.append(continuation)
                    return (false, nil)
                }
                if ready.0 { continuation.resume(returning: ready.1) }
            }
        }
    }

    // MARK: - Shared helpers

    func make(
        _ code: String, target: String, _ status: Status, _ severity: Severity? = nil, _ evidence: [String: JSONValue] = [:],
        reason: LocalizedText? = nil, durationMs: Int = 0
    ) -> CheckResult {
        let description = Catalogue.rule(code)
        return CheckResult(
            check: environment.checkID, target: target, code: code, status: status,
            severity: severity ?? description?.severity ?? .medium, evidence: evidence,
            references: description?.references ?? [], reason: reason, durationMs: durationMs)
    }

    /// TXT records of `name` that `isWanted` keeps, or the DNS failure.
    func txt(_ name: String, _ isWanted: (String) -> Bool) async -> (records: [String], answer: DNSAnswer) {
        let answer = await environment.resolver.query(name, .txt)
        return (answer.records.compactMap(DNSRecords.txt).filter(isWanted), answer)
    }

    /// The IPv4 then IPv6 addresses of `host`; `failure` when neither query answered.
    func addresses(_ host: String) async -> (addresses: [String], failure: LocalizedText?, secure: Bool) {
        async let v4 = environment.resolver.query(host, .a)
        async let v6 = environment.resolver.query(host, .aaaa)
        let (a, aaaa) = await (v4, v6)
        let found = (a.records + aaaa.records).compactMap(DNSRecords.address)
        if found.isEmpty, let failed = [a, aaaa].first(where: { $0.failure != nil }) {
            return ([], failed.localizedFailure, false)
        }
        return (found, nil, a.security == .secure)
    }

    /// `[::1]` or `127.0.0.1` for URLs.
    static func urlHost(_ host: String, port: UInt16, standard: UInt16) -> String {
        port == standard ? host : "\(host):\(port)"
    }
}
