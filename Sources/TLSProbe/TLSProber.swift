import Dispatch
import FoundationEssentials
import FoundationGaps
import OpenSSLKit

#if canImport(Glibc)
import Glibc
#endif

/// glibc's malloc_trim(3): gives freed heap memory back to the system.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32

/// A flag a caller sets to stop a probe early (scan cancelled, runner deadline).
public final class CancellationFlag: @unchecked Sendable {
    private let lock = Lock()
    private var value = false
    public init() {}
    public func cancel() { lock.withLock { value = true } }
    public var isCancelled: Bool { lock.withLock { value } }
}

/// Probes TLS endpoints with libssl (and handcrafted ClientHellos for what libssl lacks).
///
/// Method, per endpoint (each connection under `connectionTimeout`, all of it under `endpointDeadline`,
/// at most `connectionsPerEndpoint` connections at once):
/// 1. one ordinary handshake (any version, SNI, OCSP status request) reads the served chain, the
///    stapled OCSP response and secure renegotiation; a server that stays silent, resets or answers
///    non-TLS ends the probe here with `fatal` set;
/// 2. per version, accepted suites by "offer all remaining, remove the server's choice, repeat"
///    (testssl.sh, sslscan): libssl for the suites it knows, raw ClientHellos for SSLv3 and for the
///    suites OpenSSL 3 dropped (3DES, RC4, DES, EXPORT, IDEA, SEED …), in lists of at most 128; a
///    dropped connection on a long list is retried with halves (ClientHello size intolerance);
/// 3. server order (same list forward and reversed), groups (one hello per group), DHE size,
///    TLS_FALLBACK_SCSV, compression and Heartbeat (one raw hello).
///
/// Only the first contact is a full handshake. Every later test needs nothing but the server's
/// choice, so it stops at the ServerHello (`ProbeContext.hello`: libssl's own ClientHello, the answer
/// read without completing the handshake; DHE size and TLS 1.2 groups read on to ServerHelloDone for
/// the ServerKeyExchange), and TLS 1.3 groups are asked with an empty key_share (HelloRetryRequest).
/// On 200 loopback nginx endpoints this took cyberctl's CPU from 14.9 s to about 4 s for the same
/// 10,401 connections and identical results (docs/benchmarks.md).
public final class TLSProber: Sendable {
    let context: ProbeContext
    public let limits: ProbeLimits

    /// Process-wide settings are the executable's (`AgentCommand.main`: SIGPIPE ignored, two malloc arenas);
    /// the prober holds SIGPIPE back on its own threads (`PipeSignal`), so a library user needs neither.
    public init(limits: ProbeLimits = ProbeLimits()) throws {
        context = try ProbeContext()
        self.limits = limits
    }

    /// Groups tried one by one: the ANSSI/Mozilla ECDHE curves and the two smallest RFC 7919 FFDHE
    /// groups. ffdhe4096 and larger are not tried: each costs up to a second of CPU on both sides
    /// and can never be a weakness.
    public static let candidateGroups = ["X25519", "X448", "P-256", "P-384", "P-521", "ffdhe2048", "ffdhe3072"]
    static let ellipticGroups: Set<String> = ["X25519", "X448", "P-256", "P-384", "P-521"]

    /// Probes `endpoint` on a dedicated thread, so blocking socket waits never hold a Swift
    /// concurrency thread; task cancellation stops it at its next connection.
    public func probe(_ endpoint: TLSEndpoint) async -> ProbeReport {
        let flag = CancellationFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ProbeReport, Never>) in
                DetachedThread.start { continuation.resume(returning: self.probe(endpoint, cancellation: flag)) }
            }
        } onCancel: {
            flag.cancel()
        }
    }

    /// Probes `endpoint` on the calling thread (blocking, bounded by the limits).
    public func probe(_ endpoint: TLSEndpoint, cancellation: CancellationFlag = CancellationFlag()) -> ProbeReport {
        let started = ContinuousClock.now
        let session = Session(prober: self, endpoint: endpoint, cancellation: cancellation)
        PipeSignal.held { session.run() }
        var report = session.snapshot()
        // A probe frees hundreds of short-lived buffers (libssl records, handshake state): hand
        // them back so the footprint does not grow with the number of endpoints.
        _ = glibcMallocTrim(0)
        let elapsed = ContinuousClock.now - started
        report.durationMs = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return report
    }
}

/// The state of one endpoint's probe, shared by its worker threads under a lock.
final class Session: @unchecked Sendable {
    let prober: TLSProber
    let endpoint: TLSEndpoint
    let cancellation: CancellationFlag
    let deadline: Deadline
    private let lock = Lock()
    private var report: ProbeReport
    private var address: SocketAddress?

    init(prober: TLSProber, endpoint: TLSEndpoint, cancellation: CancellationFlag) {
        self.prober = prober
        self.endpoint = endpoint
        self.cancellation = cancellation
        self.deadline = Deadline(secondsFromNow: prober.limits.endpointDeadline)
        self.report = ProbeReport(endpoint: endpoint)
    }

    var limits: ProbeLimits { prober.limits }
    var context: ProbeContext { prober.context }

    func snapshot() -> ProbeReport { lock.withLock { report } }
    func update(_ change: (inout ProbeReport) -> Void) { lock.withLock { change(&report) } }
    func problem(_ text: ProbeText) { update { $0.problems.append(text) } }

    // MARK: - Connections

    /// A new connection, STARTTLS done, ready for a ClientHello.
    func connect() throws(ProbeNetworkError) -> TCPConnection {
        guard !cancellation.isCancelled, !deadline.hasPassed, let address else {
            update { $0.incomplete = true }
            throw .cancelled
        }
        update { $0.connections += 1 }
        let connection = try TCPConnection(
            to: address, deadline: Deadline(secondsFromNow: limits.connectionTimeout).earliest(deadline))
        if let startTLS = endpoint.startTLS { try startTLS.negotiate(on: connection) }
        return connection
    }

    func handshake(_ request: HandshakeRequest) -> Result<HandshakeFacts, HandshakeFailure> {
        opened(request).flatMap { request, connection in context.handshake(request, on: connection) }
    }

    /// libssl's ClientHello for `request`, read up to the server's ServerHello (see `ProbeContext.hello`).
    func hello(_ request: HandshakeRequest, readFlight: Bool = false) -> Result<RawHandshake.ServerHello, HandshakeFailure> {
        opened(request).flatMap { request, connection in context.hello(request, on: connection, readFlight: readFlight) }
    }

    /// `request` with this endpoint's server name, and a fresh connection to send it on.
    private func opened(_ request: HandshakeRequest) -> Result<(HandshakeRequest, TCPConnection), HandshakeFailure> {
        var request = request
        request.serverName = endpoint.sniName
        do {
            return .success((request, try connect()))
        } catch {
            return .failure(HandshakeFailure(alert: false, network: error, detail: error.description))
        }
    }

    func raw(_ offer: RawHandshake.Offer) -> RawHandshake.Answer {
        var offer = offer
        offer.serverName = endpoint.sniName
        do {
            return RawHandshake.exchange(offer, on: try connect())
        } catch {
            return .failure(error)
        }
    }

    // MARK: - The probe

    func run() {
        let resolved: [SocketAddress]
        do {
            resolved = try SocketAddress.resolve(host: endpoint.host, port: endpoint.port)
        } catch {
            update { $0.fatal = error.text }
            return
        }
        address = resolved[0]
        update { $0.address = resolved[0].description }

        // 1. First contact: the ordinary offer, then (if the connection is dropped) a short offer,
        //    since some servers drop long ClientHellos. Services reached without STARTTLS are offered
        //    ALPN h2 and http/1.1: the protocol the server selects says whether it is a web service.
        var alpn: [String]? = endpoint.startTLS == nil ? Self.webProtocols : nil
        var first = handshake(HandshakeRequest(requestOCSP: true, collectChain: true, alpn: alpn))
        if case .failure(let failure) = first, failure.alert, alpn != nil, failure.detail.contains("no application protocol") {
            // RFC 7301 §3.2: a server with ALPN and none of ours in common refuses with
            // no_application_protocol. It speaks TLS, but not HTTP: go on without ALPN.
            update { $0.alpnRefused = true }
            alpn = nil
            first = handshake(HandshakeRequest(requestOCSP: true, collectChain: true))
        }
        if case .failure(let failure) = first, !failure.alert, !failure.clientSide, Self.isDrop(failure.network) {
            let retry = handshake(HandshakeRequest(suites: Self.shortOffer, requestOCSP: true, collectChain: true, alpn: alpn))
            if case .success = retry { problem(ProbeText(
                fr: "le serveur coupe les ClientHello longs ; des listes plus courtes ont servi", en: "server drops long ClientHellos; shorter lists used")) }
            if case .failure(let again) = retry, again.alert { first = retry }
            if case .success = retry { first = retry }
        }
        switch first {
        case .success(let facts):
            update { report in
                report.setChain(facts.chain)
                report.ocspStapled = facts.stapledOCSPBytes != nil
                if let version = facts.version, version <= .tls1_2 { report.secureRenegotiation = facts.secureRenegotiation }
                report.alpn = facts.alpn
            }
        case .failure(let failure):
            if !failure.alert {
                if case .timeout? = failure.network {
                    let seconds = Self.seconds(limits.connectionTimeout)
                    update {
                        $0.fatal = ProbeText(
                            fr: "pas de réponse au ClientHello en \(seconds) : \(failure.text.fr)",
                            en: "no answer to the ClientHello within \(seconds): \(failure.text.en)")
                    }
                    return
                }
                if case .cancelled? = failure.network { return }
                if let network = failure.network, case .connect = network {
                    update { $0.fatal = network.text }
                    return
                }
                // Maybe a server libssl cannot talk to at all (SSLv3 only, legacy suites only): raw
                // hellos decide, a long one then a short one. A port that answers with something else
                // than TLS records is named by what it sent (a banner, an HTTP page).
                let legacy = legacySuites(for: .sslv3)
                var spoken = false
                for count in [limits.maximumSuitesPerHello, 32] {
                    switch raw(RawHandshake.Offer(version: .tls1_2, suites: Array(legacy.prefix(count)))) {
                    case .serverHello, .alert: spoken = true
                    case .failure(.notTLS(let plain)):
                        update {
                            $0.plainProtocol = plain
                            $0.fatal = ProbeText(fr: "le port ne parle pas TLS : \(plain.text.fr)", en: "the port does not speak TLS: \(plain)")
                        }
                        return
                    case .failure: break
                    }
                    if spoken { break }
                }
                if !spoken {
                    update {
                        $0.fatal = ProbeText(
                            fr: "aucune négociation TLS possible : \(failure.text.fr)", en: "no TLS handshake possible: \(failure.text.en)")
                    }
                    return
                }
            }
            problem(ProbeText(
                fr: "libssl ne peut mener une négociation à terme avec son offre par défaut : \(failure.text.fr)",
                en: "libssl cannot complete a handshake with its default offer: \(failure.text.en)"))
        }

        // 2. Versions and suites.
        var jobs: [() -> Void] = []
        for version in [ProtocolVersion.tls1_3, .tls1_2, .tls1_1, .tls1_0] {
            jobs.append { self.enumerateWithOpenSSL(version) }
        }
        jobs.append { self.enumerateRaw(.sslv3, suites: self.legacySuites(for: .sslv3)) }
        for version in [ProtocolVersion.tls1_2, .tls1_1, .tls1_0] {
            jobs.append { self.enumerateRaw(version, suites: self.rawOnlySuites(for: version)) }
        }
        Parallel.run(width: limits.connectionsPerEndpoint, jobs)
        update { report in
            for version in ProtocolVersion.allCases {
                if !(report.suites[version] ?? []).isEmpty { report.protocols[version] = true }
            }
        }

        // 3. Properties that depend on what was accepted.
        let state = snapshot()
        var more: [() -> Void] = []
        for version in state.acceptedVersions {
            more.append { self.testServerOrder(version) }
        }
        let groups = groupTests()
        update { $0.groups = groups.isEmpty ? [] : ($0.groups ?? []) }
        for (group, request) in groups { more.append { self.testGroup(group, request) } }
        more.append { self.testDHESize() }
        if state.chain.isEmpty { more.append { self.readChainRaw() } }
        more.append { self.testFallbackSCSV() }
        more.append { self.testCompressionAndHeartbeat() }
        if state.secureRenegotiation == nil { more.append { self.testSecureRenegotiation() } }
        Parallel.run(width: limits.connectionsPerEndpoint, more)
        if deadline.hasPassed || cancellation.isCancelled { update { $0.incomplete = true } }
    }

    /// ALPN protocol ids of the web (IANA "TLS Application-Layer Protocol Negotiation (ALPN) Protocol
    /// IDs"): HTTP/2 over TLS and HTTP/1.1, offered by every browser.
    static let webProtocols = ["h2", "http/1.1"]

    /// A short, widely accepted offer for servers that drop long ClientHellos.
    static let shortOffer = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "DHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256",
        "AES128-SHA", "AES256-SHA",
    ]

    /// The connection was closed, reset or carried something else than TLS (not a timeout).
    static func isDrop(_ error: ProbeNetworkError?) -> Bool {
        switch error {
        case .closed?, .reset?, .protocolViolation?: return true
        default: return false
        }
    }

    static func seconds(_ value: Double) -> String { value == value.rounded() ? "\(Int(value)) s" : "\(value) s" }

    // MARK: - Suite lists

    /// Suites libssl can offer at `version` (credential-free, valid for the version).
    func openSSLSuites(for version: ProtocolVersion) -> [CipherSuite] { context.suiteLists.openSSL[version] ?? [] }

    /// Every credential-free suite that exists at `version` (≤ TLS 1.2), known to libssl or not.
    func legacySuites(for version: ProtocolVersion) -> [UInt16] { context.suiteLists.legacy[version] ?? [] }

    /// Suites only raw ClientHellos can test at `version`.
    func rawOnlySuites(for version: ProtocolVersion) -> [UInt16] { context.suiteLists.rawOnly[version] ?? [] }
}

/// The suite lists of each version, computed once per prober: the registry filters (string tests on
/// 370 rows) cost more CPU than a hello-only handshake when redone for every list.
struct SuiteLists: Sendable {
    var openSSL: [ProtocolVersion: [CipherSuite]] = [:]
    var legacy: [ProtocolVersion: [UInt16]] = [:]
    var rawOnly: [ProtocolVersion: [UInt16]] = [:]

    init(knownSuites: [UInt16: String]) {
        for version in ProtocolVersion.allCases {
            openSSL[version] = Self.openSSLSuites(for: version, known: knownSuites)
            legacy[version] = Self.legacySuites(for: version)
            rawOnly[version] = legacy[version]!.filter { knownSuites[$0] == nil }
        }
    }

    static func openSSLSuites(for version: ProtocolVersion, known: [UInt16: String]) -> [CipherSuite] {
        CipherSuite.registry.filter { suite in
            guard known[suite.code] != nil, !suite.needsCredentials else { return false }
            if version == .tls1_3 { return suite.isTLS13 }
            if suite.isTLS13 { return false }
            return version == .tls1_2 || suite.minimumProtocol == "SSLv3" || suite.minimumProtocol == "TLSv1"
        }
    }

    static func legacySuites(for version: ProtocolVersion) -> [UInt16] {
        CipherSuite.registry.filter { suite in
            guard !suite.needsCredentials, !suite.isTLS13 else { return false }
            return version == .tls1_2 || suite.minimumProtocol == "SSLv3" || suite.minimumProtocol == "TLSv1"
        }.map(\.code)
    }
}

extension Session {
    // MARK: - Enumeration

    /// The outcome of one attempt in an enumeration.
    enum Attempt {
        case chose(UInt16, ProtocolVersion?)
        /// The server refused the offer (alert), or the client had nothing to offer.
        case refused
        /// The connection dropped, reset, stalled or carried non-TLS bytes.
        case dropped(ProbeText, timeout: Bool)
    }

    /// What one enumeration established.
    struct Enumeration {
        /// Accepted suite codes, in the order chosen.
        var accepted: [UInt16] = []
        /// Whether the version is accepted or refused is known: a suite was chosen, or every list
        /// ended in a refusal (an alert, another version chosen).
        var decided = true
        /// Every list ended in a refusal: no suite of the candidates is left untested.
        var complete = true
        var note: ProbeText?
    }

    /// "Offer all remaining, remove the chosen one, repeat", with halves on a dropped long list.
    /// Only a refusal (a TLS alert, another version chosen) ends a list as tested: a timeout, a reset
    /// or a closed connection proves nothing about the suites still in the list.
    func enumerate(_ candidates: [UInt16], version: ProtocolVersion, attempt: ([UInt16]) -> Attempt) -> Enumeration {
        var accepted: [UInt16] = []
        var complete = true
        var note: ProbeText?
        var pending: [[UInt16]] = stride(from: 0, to: candidates.count, by: limits.maximumSuitesPerHello).map {
            Array(candidates[$0..<min($0 + limits.maximumSuitesPerHello, candidates.count)])
        }
        while !pending.isEmpty {
            var list = pending.removeFirst()
            while !list.isEmpty {
                switch attempt(list) {
                case .chose(let code, let negotiated):
                    guard negotiated == version, let index = list.firstIndex(of: code) else {
                        // The server answered another version or a suite it was not offered: stop here.
                        if negotiated != version {
                            list = []
                            continue
                        }
                        let suite = String(code, radix: 16)
                        note = ProbeText(
                            fr: "le serveur a choisi la suite \(suite), qui ne lui était pas proposée", en: "server chose suite \(suite) it was not offered")
                        complete = false
                        list = []
                        continue
                    }
                    accepted.append(code)
                    list.remove(at: index)
                case .refused:
                    list = []
                case .dropped(let reason, let timeout):
                    if !timeout, list.count >= limits.retryThreshold {
                        // ClientHello size intolerance: try each half on its own.
                        let half = list.count / 2
                        pending.insert(Array(list[half...]), at: 0)
                        pending.insert(Array(list[..<half]), at: 0)
                    } else {
                        complete = false
                        note = reason
                    }
                    list = []
                }
                if (deadline.hasPassed || cancellation.isCancelled) && !(list.isEmpty && pending.isEmpty) {
                    complete = false
                    note = ProbeText(fr: "délai du point d'accès atteint", en: "endpoint deadline reached")
                    pending = []
                    list = []
                }
            }
        }
        return Enumeration(accepted: accepted, decided: complete || !accepted.isEmpty, complete: complete, note: note)
    }

    /// What a cut-short enumeration says when nothing more precise is known.
    static let probeIncomplete = ProbeText(fr: "sondage incomplet", en: "probe incomplete")

    func enumerateWithOpenSSL(_ version: ProtocolVersion) {
        let suites = openSSLSuites(for: version)
        let names = Dictionary(uniqueKeysWithValues: suites.map { ($0.code, context.knownSuites[$0.code]!) })
        let result = enumerate(suites.map(\.code), version: version) { list in
            var request = HandshakeRequest(minimum: version, maximum: version)
            if version == .tls1_3 {
                request.tls13Suites = list.compactMap { names[$0] }
            } else {
                request.suites = list.compactMap { names[$0] }
            }
            switch self.hello(request) {
            case .success(let answer): return .chose(answer.cipherSuite, answer.version)
            case .failure(let failure):
                if failure.alert || failure.clientSide { return .refused }
                let text = failure.text
                let named = ProbeText(fr: "\(version.name) : \(text.fr)", en: "\(version.name): \(text.en)")
                if case .timeout? = failure.network { return .dropped(named, timeout: true) }
                if case .cancelled? = failure.network { return .dropped(ProbeNetworkError.cancelled.text, timeout: true) }
                return .dropped(named, timeout: false)
            }
        }
        record(version, result)
    }

    func enumerateRaw(_ version: ProtocolVersion, suites: [UInt16]) {
        guard !suites.isEmpty else { return }
        let result = enumerate(suites, version: version) { list in
            switch raw(RawHandshake.Offer(version: version, suites: list)) {
            case .serverHello(let hello): return .chose(hello.cipherSuite, hello.version)
            case .alert: return .refused
            case .failure(let error):
                switch error {
                case .timeout, .cancelled: return .dropped(ProbeText(fr: "\(version.name) (brut) : \(error.text.fr)", en: "\(version.name) (raw): \(error)"), timeout: true)
                default: return .dropped(ProbeText(fr: "\(version.name) (brut) : \(error.text.fr)", en: "\(version.name) (raw): \(error)"), timeout: false)
                }
            }
        }
        record(version, result)
    }

    func record(_ version: ProtocolVersion, _ result: Enumeration) {
        update { report in
            let suites = result.accepted.map { CipherSuite.named(code: $0) ?? .unknown(code: $0) }
            report.suites[version, default: []] += suites
            if !suites.isEmpty {
                report.protocols[version] = true
                if !result.complete {
                    report.suitesIncomplete.insert(version)
                    let note = result.note ?? Self.probeIncomplete
                    report.problems.append(ProbeText(
                        fr: "\(version.name) : énumération des suites interrompue : \(note.fr)",
                        en: "\(version.name): suite enumeration cut short: \(note.en)"))
                }
            } else if result.decided {
                if report.protocols[version] == nil && !report.undecided.contains(version) { report.protocols[version] = false }
            } else {
                // Undecided: an earlier "refused" from the other list no longer stands; "accepted" does.
                if report.protocols[version] == false { report.protocols[version] = nil }
                report.undecided.insert(version)
                report.problems.append(result.note ?? ProbeText(fr: "\(version.name) : non tranché", en: "\(version.name): not decided"))
            }
            if let note = result.note, result.complete, !result.accepted.isEmpty { report.problems.append(note) }
        }
    }

    // MARK: - Properties

    /// Server order with one handshake: the enumeration's first choice came from a list in registry
    /// order; offered the accepted suites in reverse, a server that imposes its order picks the same
    /// suite again, one that follows the client picks the last one.
    func testServerOrder(_ version: ProtocolVersion) {
        let accepted = snapshot().suites[version, default: []]
        let known = accepted.compactMap { suite in context.knownSuites[suite.code].map { (suite.code, $0) } }
        guard known.count >= 2, let firstChoice = accepted.first?.code, known.first?.0 == firstChoice else { return }
        var request = HandshakeRequest(minimum: version, maximum: version)
        let reversed = known.reversed().map(\.1)
        if version == .tls1_3 { request.tls13Suites = reversed } else { request.suites = reversed }
        if case .success(let answer) = hello(request), answer.version == version {
            update { $0.serverOrder[version] = answer.cipherSuite == firstChoice }
        }
    }

    /// The groups to try, with the handshake that tries each; empty when no suite uses a group.
    func groupTests() -> [(String, HandshakeRequest)] {
        let state = snapshot()
        let tls13 = state.protocols[.tls1_3] == true
        let ecdheSuites = (state.suites[.tls1_2] ?? []).filter { $0.keyExchange == "ECDH" && context.knownSuites[$0.code] != nil }
        guard tls13 || !ecdheSuites.isEmpty else { return [] }
        return TLSProber.candidateGroups.compactMap { group in
            if !tls13 && !TLSProber.ellipticGroups.contains(group) { return nil }
            var request = tls13
                ? HandshakeRequest(minimum: .tls1_3, maximum: .tls1_3)
                : HandshakeRequest(minimum: .tls1_2, maximum: .tls1_2, suites: ecdheSuites.compactMap { context.knownSuites[$0.code] })
            request.groups = group
            return (group, request)
        }
    }

    /// The five TLS 1.3 suites (RFC 8446 §B.4), offered by the raw group hellos.
    static let tls13SuiteCodes: [UInt16] = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305]

    /// IANA "TLS Supported Groups" ids of `candidateGroups`.
    static let groupIDs: [String: UInt16] = [
        "X25519": 0x001D, "X448": 0x001E, "P-256": 0x0017, "P-384": 0x0018, "P-521": 0x0019, "ffdhe2048": 0x0100, "ffdhe3072": 0x0101,
    ]

    /// Offered only `group`, the server accepts it when its ServerHello (TLS 1.3: key_share, or a
    /// HelloRetryRequest's selected_group; TLS 1.2: the ServerKeyExchange's named curve) names it.
    ///
    /// TLS 1.3 uses a raw ClientHello with an empty key_share: a server that supports the group answers
    /// with a HelloRetryRequest naming it, without generating a key or signing anything (libssl always
    /// sends a key share, which made each group cost a full key exchange and signature on both sides,
    /// and for ffdhe3072 a 3072-bit public-key check on ours).
    func testGroup(_ group: String, _ request: HandshakeRequest) {
        guard let id = Self.groupIDs[group] else { return }
        let chosen: UInt16?
        // Only a refusal (an alert, another version) says the group is not accepted.
        func undecided() { update { $0.groupsUndecided.append(group) } }
        if request.minimum == .tls1_3 {
            var offer = RawHandshake.Offer(version: .tls1_3, suites: Self.tls13SuiteCodes)
            offer.groups = [id]
            switch raw(offer) {
            case .serverHello(let answer):
                guard answer.version == .tls1_3 else { return }
                chosen = answer.keyShareGroup
            case .alert: return
            case .failure: return undecided()
            }
        } else {
            switch hello(request, readFlight: true) {
            case .success(let answer): chosen = answer.ecdheGroup
            case .failure(let failure):
                if !failure.alert && !failure.clientSide { undecided() }
                return
            }
        }
        if chosen == id {
            update { report in
                var groups = report.groups ?? []
                groups.append(group)
                report.groups = TLSProber.candidateGroups.filter(groups.contains)
            }
        }
    }

    /// Handshakes `testDHESize` may spend: one per class of DHE suites (`dheGroupClass`), the agent being a guest.
    static let maximumDHEHandshakes = 4

    /// Groups offered by the DHE size handshakes: elliptic curves only, no RFC 7919 `ffdhe*` group, so that the
    /// server answers with the group it gives clients that name none (older clients), not a negotiated one of
    /// 2048 bits or more (RFC 7919 §4: without an offered FFDHE group the server uses its own).
    static let dheSizeGroups: [UInt16] = [0x001D, 0x0017, 0x0018, 0x0019, 0x001E]

    /// The DHE group the server uses for each class of its accepted DHE suites, at the highest version that
    /// accepts the class. A server may use different groups for different suites: OpenSSL's automatic parameters
    /// (nginx without `ssl_dhparam`, `SSL_CTX_set_dh_auto`) follow the strength of the certificate's key, so
    /// DHE-DSS with a 1024-bit DSA certificate gets a 1024-bit group while DHE-RSA with RSA 2048 gets 2048 bits
    /// (OpenSSL ssl/t1_lib.c `ssl_get_auto_dh`; anonymous suites by cipher strength). sslscan and testssl.sh
    /// (`-E`) show the group per suite; one handshake per class (`dheGroupClass`) finds the same weakest group
    /// in at most `maximumDHEHandshakes` handshakes (plus a raw retry, or one at a lower version, for a class
    /// whose size could not be read).
    func testDHESize() {
        let state = snapshot()
        let versions = [ProtocolVersion.tls1_2, .tls1_1, .tls1_0, .sslv3]
        var classes: [String] = []
        for version in versions {
            for suite in (state.suites[version] ?? []) where suite.isDHE && !classes.contains(suite.dheGroupClass) {
                classes.append(suite.dheGroupClass)
            }
        }
        guard !classes.isEmpty else { return }
        if classes.count > Self.maximumDHEHandshakes { update { $0.dheSizeUnknown = true } }
        for groupClass in classes.prefix(Self.maximumDHEHandshakes) {
            var sample: DHEGroupSample?
            for version in versions {
                let dhe = (state.suites[version] ?? []).filter { $0.isDHE && $0.dheGroupClass == groupClass }
                guard !dhe.isEmpty else { continue }
                sample = dheSample(version, dhe)
                if sample != nil { break }
            }
            if let sample {
                update { report in
                    report.dheGroups.append(sample)
                    report.dheBits = min(report.dheBits ?? sample.bits, sample.bits)
                }
            } else {
                update { $0.dheSizeUnknown = true }
            }
        }
    }

    /// The group of one handshake offering `dhe` (accepted DHE suites of one class) at `version`: through libssl
    /// when it knows the suites, else (or when libssl's handshake shows no group) through a raw ClientHello,
    /// reading the ServerKeyExchange. Nil when neither shows the prime.
    private func dheSample(_ version: ProtocolVersion, _ dhe: [CipherSuite]) -> DHEGroupSample? {
        func sample(_ code: UInt16, _ bits: Int) -> DHEGroupSample? {
            guard let suite = dhe.first(where: { $0.code == code }) else { return nil }
            return DHEGroupSample(suite: suite, version: version, bits: bits)
        }
        let names = dhe.compactMap { context.knownSuites[$0.code] }
        if names.count == dhe.count, context.handlesWithOpenSSL(version) {
            var request = HandshakeRequest(minimum: version, maximum: version, suites: names)
            request.groups = "X25519:P-256:P-384:P-521:X448"
            if case .success(let answer) = hello(request, readFlight: true), let bits = answer.dhePrimeBits,
               let found = sample(answer.cipherSuite, bits) {
                return found
            }
        }
        var offer = RawHandshake.Offer(version: version, suites: dhe.map(\.code))
        offer.readServerFlight = true
        offer.groups = Self.dheSizeGroups
        if case .serverHello(let hello) = raw(offer), let bits = hello.dhePrimeBits {
            return sample(hello.cipherSuite, bits)
        }
        return nil
    }

    /// For servers libssl cannot complete a handshake with (SSLv3 or legacy suites only): the chain
    /// from the Certificate message of a raw handshake.
    func readChainRaw() {
        let state = snapshot()
        guard state.chain.isEmpty,
              let version = state.acceptedVersions.last(where: { $0 <= .tls1_2 }),
              let suites = state.suites[version], !suites.isEmpty else { return }
        var offer = RawHandshake.Offer(version: version, suites: Array(suites.map(\.code).prefix(limits.maximumSuitesPerHello)))
        offer.readServerFlight = true
        if case .serverHello(let hello) = raw(offer) {
            update { report in
                report.setChain(hello.certificates)
                if !report.chain.isEmpty {
                    report.problems.append(ProbeText(
                        fr: "chaîne de certificats lue dans une négociation \(version.name) brute",
                        en: "certificate chain read from a raw \(version.name) handshake"))
                }
            }
        }
    }

    func testFallbackSCSV() {
        let versions = snapshot().acceptedVersions.filter { $0 >= .tls1_0 && context.handlesWithOpenSSL($0) }
        guard versions.count >= 2 else { return }
        let lower = versions[versions.count - 2]
        var request = HandshakeRequest(minimum: lower, maximum: lower)
        request.fallbackSCSV = true
        switch hello(request) {
        case .success: update { $0.fallbackSCSV = false }
        case .failure(let failure):
            if failure.alertCode == 86 { update { $0.fallbackSCSV = true } }
            else { problem(ProbeText(fr: "test TLS_FALLBACK_SCSV : \(failure.text.fr)", en: "TLS_FALLBACK_SCSV test: \(failure.text.en)")) }
        }
    }

    func testCompressionAndHeartbeat() {
        let state = snapshot()
        guard let version = state.acceptedVersions.last(where: { $0 <= .tls1_2 }),
              let suites = state.suites[version], !suites.isEmpty else { return }
        var offer = RawHandshake.Offer(version: version, suites: Array(suites.map(\.code).prefix(limits.maximumSuitesPerHello)))
        offer.offerCompression = true
        offer.offerHeartbeat = true
        switch raw(offer) {
        case .serverHello(let hello):
            update { report in
                report.compression = hello.compressionMethod != 0
                report.heartbeat = hello.extensions[RawHandshake.Extension.heartbeat.rawValue] != nil
                if report.secureRenegotiation == nil, version >= .tls1_0 {
                    report.secureRenegotiation = hello.extensions[RawHandshake.Extension.renegotiationInfo.rawValue] != nil
                }
            }
        case .alert(let code):
            problem(ProbeText(
                fr: "hello compression/heartbeat refusé par l'alerte \(code)", en: "compression/heartbeat hello refused with alert \(code)"))
        case .failure(let error):
            problem(ProbeText(fr: "hello compression/heartbeat : \(error.text.fr)", en: "compression/heartbeat hello: \(error)"))
        }
    }

    func testSecureRenegotiation() {
        guard snapshot().protocols[.tls1_2] == true else { return }
        if case .success(let answer) = hello(HandshakeRequest(minimum: .tls1_0, maximum: .tls1_2)), answer.version != nil {
            update { $0.secureRenegotiation = answer.extensions[RawHandshake.Extension.renegotiationInfo.rawValue] != nil }
        }
    }
}

extension ProbeContext {
    /// libssl itself can negotiate this version (SSLv3 is compiled out of Debian's OpenSSL 3).
    func handlesWithOpenSSL(_ version: ProtocolVersion) -> Bool { version >= .tls1_0 }
}

/// Runs blocking jobs on at most `width` dedicated threads and waits for all of them.
enum Parallel {
    static func run(width: Int, _ jobs: [() -> Void]) {
        guard !jobs.isEmpty else { return }
        let queue = JobQueue(jobs)
        let group = DispatchGroup()
        for _ in 0..<min(width, jobs.count) {
            group.enter()
            DetachedThread.start {
                PipeSignal.held { while let job = queue.next() { job() } }
                group.leave()
            }
        }
        group.wait()
    }

    private final class JobQueue: @unchecked Sendable {
        private let lock = Lock()
        private var jobs: [() -> Void]
        init(_ jobs: [() -> Void]) { self.jobs = jobs.reversed() }
        func next() -> (() -> Void)? { lock.withLock { jobs.popLast() } }
    }
}
