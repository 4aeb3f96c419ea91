import FoundationEssentials
import FoundationGaps
import Model
import OpenSSLKit
import TLSProbe
import NIS2

/// `tls.endpoint`: how each TLS service speaks TLS, judged by `TLSRules` (ANSSI TLS guide, Mozilla
/// intermediate): versions, suites, forward secrecy, DH size, served chain, OCSP stapling, HSTS,
/// compression, secure renegotiation.
///
/// Targets are the endpoints of the profile and, when `discover` is on, the sockets listening on
/// this host (`/proc/net/tcp{,6}` read through the audited root): the usual TLS and STARTTLS ports,
/// and with `all_ports` every other listening port that answers a ClientHello with TLS (admin
/// consoles on 8006, 10443, 4443 …). Probing goes through libssl (`TLSProbe`); every endpoint is
/// bounded by `endpoint_deadline`.
///
/// Discovery itself gives a `tls.discovery` result when it could not look (`error`: a socket table
/// that exists but cannot be read or parsed) or found nothing to look at (`skip`, with the reason:
/// no TLS service listening, no socket table on a disk image, nothing configured).
///
/// ```yaml
/// tls.endpoint:
///   discover: true
///   all_ports: true
///   endpoints:
///     - mail.example.fr:993
///     - {host: mail.example.fr, port: 587, starttls: smtp}
///     - {host: 192.0.2.10, port: 443, sni: portail.example.fr}
///   ca_file: /etc/ssl/certs/ca-certificates.crt
/// ```
public struct TLSEndpointCheck: ConfigurableCheck {
    public static let id = "tls.endpoint"
    public static let domain = Domain.tls

    /// One configured endpoint.
    public struct Target: Sendable, Decodable, Equatable {
        public var endpoint: TLSEndpoint
        /// Whether this is an HTTPS service (HSTS and the http→https redirect judged). nil, the
        /// default: decided by what the endpoint speaks, whatever its port (ALPN h2/http/1.1 selected,
        /// or an HTTP answer after the handshake; see `HTTPSecurityProbe.examine`).
        public var https: Bool?
        /// The name clients use is known (given, or the host is a name); false for discovered sockets.
        public var nameKnown: Bool

        public init(endpoint: TLSEndpoint, https: Bool? = nil, nameKnown: Bool = true) {
            self.endpoint = endpoint
            self.https = https
            self.nameKnown = nameKnown
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case host, port, sni, starttls, https
        }

        public init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                do {
                    let (host, port) = try TLSEndpoint.parse(text, defaultPort: 443)
                    self.init(endpoint: TLSEndpoint(host: host, port: port))
                } catch {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
                }
                return
            }
            // Unknown keys are errors (a typo such as `sin:` must not silently drop the SNI name).
            let any = try decoder.container(keyedBy: AnyKey.self)
            let known = Set(CodingKeys.allCases.map(\.rawValue))
            if let unknown = any.allKeys.first(where: { !known.contains($0.stringValue) }) {
                throw DecodingError.dataCorruptedError(
                    forKey: unknown, in: any,
                    debugDescription: "unknown key \"\(unknown.stringValue)\"; expected \(CodingKeys.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let host = try container.decode(String.self, forKey: .host)
            let startTLSName = try container.decodeIfPresent(String.self, forKey: .starttls)
            var startTLS: StartTLSProtocol?
            if let startTLSName {
                guard let value = StartTLSProtocol(rawValue: startTLSName) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .starttls, in: container,
                        debugDescription: "expected one of \(StartTLSProtocol.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(startTLSName)\"")
                }
                startTLS = value
            }
            let port = try container.decodeIfPresent(UInt16.self, forKey: .port) ?? 443
            guard port > 0 else { throw DecodingError.dataCorruptedError(forKey: .port, in: container, debugDescription: "expected a port between 1 and 65535") }
            let parsed: (host: String, port: UInt16)
            do {
                parsed = try TLSEndpoint.parse(host, defaultPort: port)
            } catch {
                throw DecodingError.dataCorruptedError(forKey: .host, in: container, debugDescription: error.description)
            }
            self.init(
                endpoint: TLSEndpoint(host: parsed.host, port: parsed.port, serverName: try container.decodeIfPresent(String.self, forKey: .sni), startTLS: startTLS),
                https: try container.decodeIfPresent(Bool.self, forKey: .https))
        }
    }

    /// Endpoints to probe.
    public var endpoints: [Target] = []
    /// Also probe the sockets listening on the usual TLS/STARTTLS ports of this host.
    public var discover = true
    /// With `discover`, also look for TLS on every other listening port (one connection each; ports
    /// of known plain-text services left out, see `ListeningSockets.plainPorts`).
    public var allPorts = true
    /// PEM bundle of trust anchors (inside the audited root); default: the system bundle.
    public var caFile: String?
    /// Per-connection timeout, seconds (5).
    public var connectionTimeout: Double = 5
    /// Per-endpoint deadline, seconds (30).
    public var endpointDeadline: Double = 30
    /// Endpoints probed at once (16).
    public var concurrency = 16
    /// Connections at once to one endpoint (4).
    public var connectionsPerEndpoint = 4
    /// Judge HSTS on HTTPS endpoints.
    public var hsts = true
    /// Days-left thresholds for `tls.cert.expiry` (same as `cert.expiry`).
    public var thresholds = CertificateRules.ExpiryThresholds()

    public init() {}

    public init(endpoints: [Target], discover: Bool, caFile: String? = nil) {
        self.endpoints = endpoints
        self.discover = discover
        self.caFile = caFile
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case endpoints, discover, hsts, concurrency
        case allPorts = "all_ports"
        case caFile = "ca_file"
        case connectionTimeout = "connection_timeout"
        case endpointDeadline = "endpoint_deadline"
        case connectionsPerEndpoint = "connections_per_endpoint"
        case warningDays = "warning_days"
        case criticalDays = "critical_days"
    }

    public static let parameterNames = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        endpoints = try container.decodeIfPresent([Target].self, forKey: .endpoints) ?? []
        discover = try container.decodeIfPresent(Bool.self, forKey: .discover) ?? true
        allPorts = try container.decodeIfPresent(Bool.self, forKey: .allPorts) ?? true
        caFile = try container.decodeIfPresent(String.self, forKey: .caFile)
        if let caFile, !caFile.hasPrefix("/") {
            throw DecodingError.dataCorruptedError(forKey: .caFile, in: container, debugDescription: "expected an absolute path, got \"\(caFile)\"")
        }
        hsts = try container.decodeIfPresent(Bool.self, forKey: .hsts) ?? true
        connectionTimeout = try container.decodeIfPresent(Double.self, forKey: .connectionTimeout) ?? 5
        endpointDeadline = try container.decodeIfPresent(Double.self, forKey: .endpointDeadline) ?? 30
        concurrency = try container.decodeIfPresent(Int.self, forKey: .concurrency) ?? 16
        connectionsPerEndpoint = try container.decodeIfPresent(Int.self, forKey: .connectionsPerEndpoint) ?? 4
        for (key, value) in [(CodingKeys.connectionTimeout, connectionTimeout), (.endpointDeadline, endpointDeadline)] where !(value > 0 && value <= 600) {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected seconds between 0 and 600, got \(value)")
        }
        for (key, value) in [(CodingKeys.concurrency, concurrency), (.connectionsPerEndpoint, connectionsPerEndpoint)] where !(1...256).contains(value) {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected a number between 1 and 256, got \(value)")
        }
        let warning = try container.decodeIfPresent(Int.self, forKey: .warningDays) ?? 30
        let critical = try container.decodeIfPresent(Int.self, forKey: .criticalDays) ?? 14
        guard critical >= 0, warning >= critical else {
            throw DecodingError.dataCorruptedError(
                forKey: .warningDays, in: container,
                debugDescription: "expected 0 <= critical_days <= warning_days, got \(critical) and \(warning)")
        }
        thresholds = .init(warningDays: warning, criticalDays: critical)
    }

    /// The limits a probe runs under.
    public var limits: ProbeLimits {
        ProbeLimits(connectionTimeout: connectionTimeout, endpointDeadline: endpointDeadline, connectionsPerEndpoint: connectionsPerEndpoint)
    }

    /// What to probe, before any connection.
    public struct Plan: Sendable {
        /// Profile endpoints first, then the discovered ones on the usual TLS/STARTTLS ports.
        public var targets: [Target] = []
        /// Other listening ports, probed only if they answer a ClientHello with TLS.
        public var candidates: [TLSEndpoint] = []
        /// The socket tables as read (nil when `discover` is off).
        public var table: ListeningSockets.Table?
    }

    /// Profile endpoints first, then discovered ones not already listed.
    public func plan(in root: FileSystemRoot) -> Plan {
        var plan = Plan(targets: endpoints)
        guard discover else { return plan }
        let table = ListeningSockets.read(root: root)
        plan.table = table
        func listed(_ endpoint: TLSEndpoint) -> Bool {
            plan.targets.contains { $0.endpoint.port == endpoint.port && $0.endpoint.host == endpoint.host }
        }
        for endpoint in ListeningSockets.endpoints(from: table.sockets) where !listed(endpoint) {
            plan.targets.append(Target(endpoint: endpoint, nameKnown: false))
        }
        if allPorts {
            plan.candidates = ListeningSockets.otherEndpoints(from: table.sockets).filter { !listed($0) }
        }
        return plan
    }

    /// The targets known before any connection (profile endpoints and usual ports).
    public func targets(in root: FileSystemRoot) -> [Target] { plan(in: root).targets }

    /// Code of the results discovery itself gives.
    public static let discoveryCode = TLSRules.discoveryCode

    /// Where listening sockets are read, as a result's target.
    static let socketTablesTarget = ListeningSockets.tablePaths.map(\.0).joined(separator: ", ")

    /// The `tls.discovery` result for `plan` once the other ports were tried: `error` when a socket
    /// table could not be read or parsed; `skip` with the reason when there is nothing to probe.
    func discoveryResults(_ plan: Plan, found: [TLSEndpoint], tried: [TLSEndpoint]) -> [CheckResult] {
        func result(_ status: Status, _ reason: LocalizedText, _ evidence: [String: JSONValue] = [:]) -> CheckResult {
            CheckResult(
                check: Self.id, target: Self.socketTablesTarget, code: Self.discoveryCode, status: status,
                severity: status == .error ? .high : .info, evidence: evidence,
                references: TLSRules.references[Self.discoveryCode] ?? [], reason: reason)
        }
        guard let table = plan.table else {
            return plan.targets.isEmpty
                ? [result(.skip, LocalizedText(
                    fr: "aucun point d'accès dans le profil et discover: false : rien à contrôler",
                    en: "no endpoint in the profile and discover: false: nothing to check"))]
                : []
        }
        var evidence: [String: JSONValue] = ["tablesRead": .strings(table.read), "listeningPorts": .array(Set(table.sockets.map(\.port)).sorted().map { .int(Int($0)) })]
        if !tried.isEmpty {
            evidence["otherPortsTried"] = .array(tried.map { .int(Int($0.port)) })
            evidence["otherPortsWithTLS"] = .array(found.map { .int(Int($0.port)) })
        }
        if !table.problems.isEmpty {
            evidence["problems"] = .strings(table.problems.map(\.en))
            return [result(
                .error,
                LocalizedText(
                    fr: "les sockets en écoute n'ont pas pu être lues, des services TLS peuvent manquer : ",
                    en: "listening sockets could not be read, TLS services may be missed: ") + table.problems.joined(),
                evidence)]
        }
        if table.read.isEmpty {
            return [result(
                .skip,
                LocalizedText(
                    fr: "aucune table des sockets sous la racine auditée (\(Self.socketTablesTarget)) : les services en écoute ne se voient pas, "
                        + "comme sur une image disque ; listez les points d'accès dans le profil",
                    en: "no socket table under the audited root (\(Self.socketTablesTarget)): listening services cannot be seen, as on a disk image; list the endpoints in the profile"),
                evidence)]
        }
        if plan.targets.isEmpty && found.isEmpty {
            let others = allPorts
                ? LocalizedText(fr: ", et aucun autre port en écoute ne répond en TLS", en: ", and no other listening port answers TLS")
                : LocalizedText(fr: " (all_ports: false : autres ports non essayés)", en: " (all_ports: false: other ports not tried)")
            return [result(
                .skip,
                LocalizedText(
                    fr: "aucun service TLS n'écoute sur cet hôte : rien sur les ports TLS et STARTTLS habituels",
                    en: "no TLS service listens on this host: nothing on the usual TLS and STARTTLS ports") + others,
                evidence)]
        }
        return []
    }

    /// System trust bundles, Debian first, then RHEL and others.
    public static let systemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"]

    /// The trust anchors: `ca_file`, else the first system bundle found, read through the root.
    public func trustStore(root: FileSystemRoot) -> (TrustStore?, LocalizedText?) {
        let paths = caFile.map { [$0] } ?? Self.systemBundles
        for path in paths {
            guard caFile != nil || root.exists(path) else { continue }
            do {
                let store = try TrustStore()
                try store.add(bundle: try root.read(path, limit: 32 << 20))
                return (store, nil)
            } catch {
                let why = CertificateFilesCheck.text(of: error)
                return (nil, LocalizedText(fr: "ancres de confiance \(path) : \(why.fr)", en: "trust anchors \(path): \(why.en)"))
            }
        }
        let bundles = Self.systemBundles.joined(separator: ", ")
        return (nil, LocalizedText(
            fr: "aucun magasin de certificats de confiance du système trouvé (\(bundles)) ; donnez ca_file",
            en: "no system trust bundle found (\(bundles)); give ca_file"))
    }

    public func run(_ context: CheckContext) async -> [CheckResult] {
        var all: [CheckResult] = []
        await run(context) { all += $0 }
        return all
    }

    /// Probes every target, `concurrency` at a time, and hands each endpoint's results to `deliver`
    /// as soon as they and those of every earlier target are known (target order, as `run(_:)`
    /// returns them). Nothing is kept once delivered: `cyberctl tls` writes each endpoint out and
    /// its memory does not grow with the number of endpoints.
    public func run(_ context: CheckContext, deliver: ([CheckResult]) -> Void) async {
        let plan = plan(in: context.root)
        var targets = plan.targets
        guard !targets.isEmpty || !plan.candidates.isEmpty else {
            deliver(discoveryResults(plan, found: [], tried: []))
            return
        }
        let prober: TLSProber
        do {
            prober = try TLSProber(limits: limits)
        } catch {
            deliver((targets.map(\.endpoint) + plan.candidates).map {
                CheckResult(check: Self.id, target: $0.target, code: TLSRules.connectionCode, status: .error, severity: .high,
                            references: TLSRules.references[TLSRules.connectionCode] ?? [],
                            reason: LocalizedText(fr: "libssl n'a pas pu être préparée : \(error)", en: "libssl could not be set up: \(error)"))
            })
            return
        }
        let found = await tlsPorts(among: plan.candidates, prober: prober)
        targets += found.map { Target(endpoint: $0, nameKnown: false) }
        let discovery = discoveryResults(plan, found: found, tried: plan.candidates)
        if !discovery.isEmpty { deliver(discovery) }
        guard !targets.isEmpty else { return }
        let (store, storeProblem) = trustStore(root: context.root)
        let now = context.clock.now()
        var waiting: [Int: [CheckResult]] = [:]
        var nextToDeliver = 0
        await withTaskGroup(of: (Int, [CheckResult]).self) { group in
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let index = next
                let target = targets[index]
                next += 1
                group.addTask {
                    (index, await self.probe(target, prober: prober, store: store, storeProblem: storeProblem, now: now))
                }
            }
            for _ in 0..<min(concurrency, targets.count) { startNext() }
            while let (index, results) = await group.next() {
                waiting[index] = results
                while let ready = waiting.removeValue(forKey: nextToDeliver) {
                    deliver(ready)
                    nextToDeliver += 1
                }
                startNext()
            }
        }
    }

    /// The endpoints among `candidates` that answer a ClientHello with TLS, in port order,
    /// `concurrency` at a time.
    func tlsPorts(among candidates: [TLSEndpoint], prober: TLSProber) async -> [TLSEndpoint] {
        guard !candidates.isEmpty else { return [] }
        var speaksTLS = [Bool](repeating: false, count: candidates.count)
        await withTaskGroup(of: (Int, Bool).self) { group in
            var next = 0
            func startNext() {
                guard next < candidates.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await prober.speech(candidates[index]) == .tls) }
            }
            for _ in 0..<min(concurrency, candidates.count) { startNext() }
            while let (index, tls) = await group.next() {
                speaksTLS[index] = tls
                startNext()
            }
        }
        return candidates.indices.filter { speaksTLS[$0] }.map { candidates[$0] }
    }

    /// Probes one endpoint and applies the rules.
    func probe(_ target: Target, prober: TLSProber, store: TrustStore?, storeProblem: LocalizedText?, now: Date) async -> [CheckResult] {
        let report = await prober.probe(target.endpoint)
        var web = WebService.notWeb(LocalizedText(
            fr: "HSTS non jugé : hsts: false dans le profil (ou --no-hsts)", en: "HSTS not judged: hsts: false in the profile (or --no-hsts)"))
        if hsts && report.fatal == nil {
            let timeout = connectionTimeout
            let declared = target.https
            web = await Blocking.run { HTTPSecurityProbe.examine(report: report, declared: declared, timeout: timeout, prober: prober) }
        }
        let evaluation = TLSEvaluation(
            checkID: Self.id, trustStore: store, trustStoreProblem: storeProblem, now: now, thresholds: thresholds,
            nameKnown: target.nameKnown, web: web)
        return evaluation.results(for: report)
    }
}

/// Any key of a mapping, to find unknown ones.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Runs blocking work (HTTP requests on blocking sockets) on a dedicated thread, so it never holds a Swift concurrency thread.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DetachedThread.start { continuation.resume(returning: work()) }
        }
    }
}
