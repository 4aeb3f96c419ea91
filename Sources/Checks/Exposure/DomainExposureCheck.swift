import FoundationEssentials
import Model
import OpenSSLKit
import TLSProbe
import NIS2

#if canImport(Glibc)
import Glibc
#endif

/// `exposition.domains`: the entity's domain names as an attacker sees them — mail authentication (SPF,
/// DMARC, DKIM, MTA-STS, TLS-RPT, STARTTLS and DANE on the MX hosts), DNS (DNSSEC, CAA, name servers)
/// and web exposure (HTTPS on the domain and `www.`, redirect, HSTS, security.txt). Rules: `ExposureRules`.
///
/// Domains come from the agent configuration (`entity.domains`, through `CheckContext.domains`) and from
/// the profile's `domains`. Without any, the check sends nothing on the network and says `skip` ("aucun
/// domaine déclaré"). DNS goes through libunbound (`DNSResolver`), validating DNSSEC from a trust anchor;
/// HTTP through libcurl (`HTTPRequest`); the MX hosts' TLS through the TLS engine (`TLSProber`,
/// `TLSEvaluation`). Every query has a deadline (`dns_timeout`), every connection one
/// (`connection_timeout`), and every domain one (`domain_deadline`); `concurrency` domains are checked at once.
///
/// ```yaml
/// exposition.domains:
///   domains: [mairie-exemple.fr, {name: ville-exemple.fr, dkim_selectors: [s1]}]
///   dkim_selectors: [mail]              # for every domain
///   resolver: [192.0.2.53]              # forwarders; default: the nameservers of /etc/resolv.conf
///   trust_anchor: /usr/share/dns/root.key
///   ca_file: /etc/ssl/certs/ca-certificates.crt
/// ```
public struct DomainExposureCheck: ConfigurableCheck {
    public static let id = "exposition.domains"
    public static let domain = Domain.exposition

    /// Domains named in the profile (added to the agent configuration's).
    public var domains: [DeclaredDomain] = []
    /// Selectors tried on every domain, besides each domain's own.
    public var dkimSelectors: [String] = []
    /// Forwarders (`192.0.2.53`, `127.0.0.1@5353`); empty: the nameservers of `resolvConf`.
    public var resolver: [String] = []
    public var resolvConf = "/etc/resolv.conf"
    /// DNSSEC trust anchor file; nil: Debian's `/usr/share/dns/root.key` when present; `none`: no validation.
    public var trustAnchor: String?
    /// PEM bundle for HTTPS (MTA-STS policies, web sites) and the MX certificates; nil: the system's.
    public var caFile: String?
    /// Seconds per DNS query (5).
    public var dnsTimeout: Double = 5
    /// Seconds per connection (SMTP, HTTP, TLS) (5).
    public var connectionTimeout: Double = 5
    /// Seconds per domain, every rule included (120).
    public var domainDeadline: Double = 120
    /// Domains checked at once (8).
    public var concurrency = 8
    /// Probe the MX hosts' TLS with the TLS engine (mail.starttls, mail.dane).
    public var mxTLS = true
    /// Ports of the services, for tests and unusual set-ups (SMTP 25, HTTP 80, HTTPS 443, DNS 53).
    public var ports = Ports()

    public struct Ports: Sendable, Equatable, Decodable {
        public var smtp: UInt16 = 25
        public var http: UInt16 = 80
        public var https: UInt16 = 443
        public var dns: UInt16 = 53

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable { case smtp, http, https, dns }

        public init(from decoder: any Decoder) throws {
            let any = try decoder.container(keyedBy: AnyKey.self)
            if let unknown = any.allKeys.first(where: { CodingKeys(rawValue: $0.stringValue) == nil }) {
                throw DecodingError.dataCorruptedError(forKey: unknown, in: any, debugDescription: "unknown key \"\(unknown.stringValue)\"; expected smtp, http, https, dns")
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            for key in CodingKeys.allCases {
                guard let value = try container.decodeIfPresent(UInt16.self, forKey: key) else { continue }
                guard value > 0 else { throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected a port between 1 and 65535") }
                switch key {
                case .smtp: smtp = value
                case .http: http = value
                case .https: https = value
                case .dns: dns = value
                }
            }
        }
    }

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case domains, resolver, concurrency, ports
        case dkimSelectors = "dkim_selectors"
        case resolvConf = "resolv_conf"
        case trustAnchor = "trust_anchor"
        case caFile = "ca_file"
        case dnsTimeout = "dns_timeout"
        case connectionTimeout = "connection_timeout"
        case domainDeadline = "domain_deadline"
        case mxTLS = "mx_tls"
    }

    public static let parameterNames = CodingKeys.allCases.map(\.rawValue)

    /// One entry of `domains`: a name, or `{name: …, dkim_selectors: […]}`.
    struct DomainEntry: Decodable {
        let value: DeclaredDomain
        enum Keys: String, CodingKey { case name, dkimSelectors = "dkim_selectors" }

        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                if let problem = DeclaredDomain.problem(text) {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
                }
                value = DeclaredDomain(name: text)
                return
            }
            let any = try decoder.container(keyedBy: AnyKey.self)
            if let unknown = any.allKeys.first(where: { Keys(stringValue: $0.stringValue) == nil }) {
                throw DecodingError.dataCorruptedError(forKey: unknown, in: any, debugDescription: "unknown key \"\(unknown.stringValue)\"; expected name, dkim_selectors")
            }
            let container = try decoder.container(keyedBy: Keys.self)
            let name = try container.decode(String.self, forKey: .name)
            if let problem = DeclaredDomain.problem(name) {
                throw DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: problem)
            }
            let selectors = try container.decodeIfPresent([String].self, forKey: .dkimSelectors) ?? []
            if let problem = selectors.lazy.compactMap(DeclaredDomain.selectorProblem).first {
                throw DecodingError.dataCorruptedError(forKey: .dkimSelectors, in: container, debugDescription: problem)
            }
            value = DeclaredDomain(name: name, dkimSelectors: selectors)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        domains = (try container.decodeIfPresent([DomainEntry].self, forKey: .domains) ?? []).map(\.value)
        dkimSelectors = try container.decodeIfPresent([String].self, forKey: .dkimSelectors) ?? []
        if let problem = dkimSelectors.lazy.compactMap(DeclaredDomain.selectorProblem).first {
            throw DecodingError.dataCorruptedError(forKey: .dkimSelectors, in: container, debugDescription: problem)
        }
        resolver = try container.decodeIfPresent([String].self, forKey: .resolver) ?? []
        for forwarder in resolver where Self.forwarderProblem(forwarder) != nil {
            throw DecodingError.dataCorruptedError(forKey: .resolver, in: container, debugDescription: Self.forwarderProblem(forwarder)!)
        }
        resolvConf = try container.decodeIfPresent(String.self, forKey: .resolvConf) ?? "/etc/resolv.conf"
        trustAnchor = try container.decodeIfPresent(String.self, forKey: .trustAnchor)
        caFile = try container.decodeIfPresent(String.self, forKey: .caFile)
        for (key, path) in [(CodingKeys.resolvConf, Optional(resolvConf)), (.trustAnchor, trustAnchor), (.caFile, caFile)] {
            if let path, path != "none" || key != .trustAnchor, !path.hasPrefix("/") {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected an absolute path\(key == .trustAnchor ? " or none" : ""), got \"\(path)\"")
            }
        }
        dnsTimeout = try container.decodeIfPresent(Double.self, forKey: .dnsTimeout) ?? 5
        connectionTimeout = try container.decodeIfPresent(Double.self, forKey: .connectionTimeout) ?? 5
        domainDeadline = try container.decodeIfPresent(Double.self, forKey: .domainDeadline) ?? 120
        for (key, value) in [(CodingKeys.dnsTimeout, dnsTimeout), (.connectionTimeout, connectionTimeout), (.domainDeadline, domainDeadline)] where !(value > 0 && value <= 600) {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected seconds between 0 and 600, got \(value)")
        }
        concurrency = try container.decodeIfPresent(Int.self, forKey: .concurrency) ?? 8
        guard (1...64).contains(concurrency) else {
            throw DecodingError.dataCorruptedError(forKey: .concurrency, in: container, debugDescription: "expected a number between 1 and 64, got \(concurrency)")
        }
        mxTLS = try container.decodeIfPresent(Bool.self, forKey: .mxTLS) ?? true
        ports = try container.decodeIfPresent(Ports.self, forKey: .ports) ?? Ports()
    }

    /// Why `text` is not a forwarder address (`IP` or `IP@PORT`), nil when it is.
    public static func forwarderProblem(_ text: String) -> String? {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count <= 2, TLSEndpoint.isIPAddress(String(parts[0])),
              parts.count == 1 || UInt16(parts[1]).map({ $0 > 0 }) == true else {
            return "resolver \"\(text)\": expected an IP address, optionally @PORT (192.0.2.53, 127.0.0.1@5353, 2001:db8::53)"
        }
        return nil
    }

    /// The domains to check: the agent configuration's, then the profile's, each once (selectors merged,
    /// the check's `dkim_selectors` added to each).
    public func targets(declared: [DeclaredDomain]) -> [DeclaredDomain] {
        var order: [String] = []
        var byName: [String: DeclaredDomain] = [:]
        for domain in declared + domains {
            if var known = byName[domain.name] {
                known.dkimSelectors += domain.dkimSelectors.filter { !known.dkimSelectors.contains($0) }
                byName[domain.name] = known
            } else {
                order.append(domain.name)
                byName[domain.name] = domain
            }
        }
        return order.map { name in
            var domain = byName[name]!
            domain.dkimSelectors += dkimSelectors.filter { !domain.dkimSelectors.contains($0) }
            return domain
        }
    }

    /// The resolver settings this check asks for.
    public var resolverConfiguration: DNSResolverConfiguration {
        var configuration = DNSResolverConfiguration()
        configuration.forwarders = resolver
        configuration.resolvConf = resolvConf
        configuration.queryTimeout = dnsTimeout
        switch trustAnchor {
        case "none"?: configuration.trustAnchorFile = nil
        case let path?: configuration.trustAnchorFile = path
        case nil:
            configuration.trustAnchorFile = FileManager.default.fileExists(atPath: DNSResolverConfiguration.systemTrustAnchor)
                ? DNSResolverConfiguration.systemTrustAnchor : nil
        }
        return configuration
    }

    public func run(_ context: CheckContext) async -> [CheckResult] {
        var all: [CheckResult] = []
        await run(context) { all += $0 }
        return all
    }

    /// Checks every domain, `concurrency` at a time, and hands each domain's results to `deliver` in
    /// domain order as soon as they are known (`cyberctl domain` writes them out as they come).
    public func run(_ context: CheckContext, deliver: ([CheckResult]) -> Void) async {
        await run(context, byDomain: { _, results in deliver(results) })
    }

    /// As `run(_:deliver:)`, each domain's results handed with the domain (`cyberctl domain --roster` groups
    /// them by roster entity); the domain is nil only for the single `skip` when no domain is declared.
    public func run(_ context: CheckContext, byDomain deliver: (DeclaredDomain?, [CheckResult]) -> Void) async {
        let targets = targets(declared: context.domains)
        guard !targets.isEmpty else {
            deliver(nil, [CheckResult(
                check: Self.id, target: "-", code: ExposureRules.resolverCode, status: .skip, severity: .info,
                references: ExposureRules.references[ExposureRules.resolverCode] ?? [],
                reason: LocalizedText(
                    fr: "aucun domaine déclaré (entity.domains dans agent.yaml, ou domains dans le profil)",
                    en: "no domain declared (entity.domains in agent.yaml, or domains in the profile)"))])
            return
        }
        let configuration = resolverConfiguration
        let resolver: DNSResolver
        do {
            resolver = try DNSResolver(configuration)
        } catch {
            for domain in targets {
                deliver(domain, [CheckResult(
                    check: Self.id, target: domain.name, code: ExposureRules.resolverCode, status: .error, severity: .high,
                    references: ExposureRules.references[ExposureRules.resolverCode] ?? [], reason: LocalizedText(fr: "le résolveur DNS n'a pas pu être préparé : \(error)", en: "DNS resolver could not be set up: \(error)"))])
            }
            return
        }
        defer { resolver.close() }
        let prober = try? TLSProber(limits: ProbeLimits(connectionTimeout: connectionTimeout, endpointDeadline: max(10, connectionTimeout * 6), connectionsPerEndpoint: 2))
        var tlsCheck = TLSEndpointCheck()
        tlsCheck.caFile = caFile
        let (store, storeProblem) = tlsCheck.trustStore(root: .system)
        let environment = DomainEvaluation.Environment(
            checkID: Self.id, resolver: resolver, resolverConfiguration: configuration, prober: prober, trustStore: store,
            trustStoreProblem: storeProblem, caFile: caFile, connectionTimeout: connectionTimeout, ports: ports, mxTLS: mxTLS,
            now: context.clock.now())
        var waiting: [Int: [CheckResult]] = [:]
        var nextToDeliver = 0
        let deadline = domainDeadline
        await withTaskGroup(of: (Int, [CheckResult]).self) { group in
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let index = next
                let domain = targets[index]
                next += 1
                group.addTask {
                    (index, await DomainEvaluation(domain: domain, environment: environment).results(deadline: deadline))
                }
            }
            for _ in 0..<min(concurrency, targets.count) { startNext() }
            while let (index, results) = await group.next() {
                waiting[index] = results
                while let ready = waiting.removeValue(forKey: nextToDeliver) {
                    deliver(targets[nextToDeliver], ready)
                    nextToDeliver += 1
                }
                startNext()
            }
        }
    }
}

extension TLSEndpoint {
    /// True when `text` is an IPv4 or IPv6 address.
    public static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
