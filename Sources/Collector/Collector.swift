import Agent
import Checks
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import Model
import NIOCore
import NIOSSL
import NIS2
import OpenSSLKit
import ServiceLifecycle
import Territory
import Trust

/// What `cyberctl collect` is told.
public struct CollectorConfiguration: Sendable {
    /// Listen address: an IPv4 or IPv6 literal, or a host name (`0.0.0.0`, `::`, `127.0.0.1`, `::1`).
    public var host: String
    /// TCP port; 0 picks a free one (the log line `listening on` says which).
    public var port: Int
    /// The collector's certificate (PEM, chain allowed) and key (PEM, mode 0600).
    public var certificatePath: String
    public var keyPath: String
    /// The RSSI's CA (PEM): client certificates must chain to it; reports are verified against it.
    public var caPath: String
    /// CRL files of the CA, reloaded when they change.
    public var crlPaths: [String]
    /// The inbox folder (`INBOX/<siren>/…`).
    public var inbox: String
    /// The territory store to ingest into, when given.
    public var databasePath: String?
    /// Largest request body: 16 MiB by default (the protocol's default).
    public var maxBodyBytes: Int
    /// Uploads a minute per client certificate.
    public var ratePerMinute: Int
    /// Verification threads: the number of cores by default.
    public var workers: Int
    /// A connection silent this long is closed: 60 s by default.
    public var idleTimeoutSeconds: Int
    /// Reports allowed to wait for a verification thread when all are busy; one more is answered `503 busy`
    /// (0: none wait). 256 by default.
    public var queueLimit: Int
    /// Where the plain-HTTP `/metrics` endpoint listens (`--metrics-listen`); nil: no endpoint. It is not
    /// authenticated: a loopback address, or a firewall in front, keeps the territory's figures private.
    public var metricsHost: String?
    public var metricsPort: Int?
    /// Testing hook, from the environment variable `CYBERCTL_COLLECT_TEST_HOLD` read at start (never set in
    /// production): the path of a FIFO that every verification job opens for reading, and reads to its end,
    /// before verifying. A test holds a verification thread busy by opening the FIFO for writing (which
    /// returns exactly when the job has opened it) and lets it go by closing it.
    public var testHoldFIFO: String?

    public static let defaultMaxBodyBytes = 16 << 20
    public static let defaultRatePerMinute = 120
    public static let defaultQueueLimit = 256

    public init(
        host: String, port: Int, certificatePath: String, keyPath: String, caPath: String, crlPaths: [String], inbox: String,
        databasePath: String? = nil, maxBodyBytes: Int = defaultMaxBodyBytes, ratePerMinute: Int = defaultRatePerMinute,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount, idleTimeoutSeconds: Int = 60, queueLimit: Int = defaultQueueLimit,
        testHoldFIFO: String? = nil, metricsHost: String? = nil, metricsPort: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.caPath = caPath
        self.crlPaths = crlPaths
        self.inbox = inbox
        self.databasePath = databasePath
        self.maxBodyBytes = maxBodyBytes
        self.ratePerMinute = ratePerMinute
        self.workers = max(1, workers)
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.queueLimit = max(0, queueLimit)
        self.testHoldFIFO = testHoldFIFO
        self.metricsHost = metricsHost
        self.metricsPort = metricsPort
    }

    /// Splits `ADDR:PORT`: `127.0.0.1:8443`, `[::1]:8443`, `0.0.0.0:8443`, `[::]:8443`, `collector.example.fr:8443`.
    /// - Returns: nil when it is not of that form or the port is not 0 to 65535.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}

/// The request context: Hummingbird's core context plus the TLS channel, to read the client certificate.
struct CollectorContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The RSSI's HTTPS collector (issue 11): `POST /v1/reports` over mutual TLS.
///
/// Per request, in order: the client certificate (verified against the CA by the handshake) must be an
/// agent certificate not revoked by the CRLs (403); its rate must allow one more upload (429); the
/// body must fit the limit (413) and be the two-part multipart body with the right SHA-256 header
/// (400); the pair must verify with `ReportVerifier`, exactly as consolidation verifies it (422 with
/// the failure code), and be signed for the client's own SIREN (422 `identity-mismatch`). Then, with a
/// store, it is ingested (idempotent), and it is stored in the inbox durably before 201 is answered;
/// the same bytes again answer 200. Verification, file writes and SQLite run on their own threads.
public final class Collector: Sendable {
    public let configuration: CollectorConfiguration
    public let trust: CollectorTrust
    public let inbox: InboxStore
    public let ingest: Ingest?
    let limiter: RateLimiter
    let pool: BlockingPool
    let logger: Logger
    /// The counters and gauges `/metrics` shows (`metricsHost`/`metricsPort` in the configuration).
    public let metrics: CollectorMetrics
    /// The trust watch's queue and what it still has to do (`TrustWatch.swift`).
    let trustFollowUp = TrustFollowUp()

    /// Loads the trust, opens the inbox and the store.
    /// - Throws: `InputError` naming the file that is missing or wrong.
    public init(configuration: CollectorConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        trust = try CollectorTrust(caFile: configuration.caPath, crlFiles: configuration.crlPaths)
        inbox = try InboxStore(root: configuration.inbox)
        if let path = configuration.databasePath {
            let store = try TerritoryStore(location: path)
            ingest = Ingest(store: store, verifier: trust.verifier, workers: 1)
        } else {
            ingest = nil
        }
        limiter = RateLimiter(perMinute: configuration.ratePerMinute)
        pool = BlockingPool(label: "cyberctl.collect.verify", width: configuration.workers, queueLimit: configuration.queueLimit)
        metrics = CollectorMetrics(queueLimit: configuration.queueLimit, workers: configuration.workers)
        // Reports stored before a revocation the CRL now lists: taken back before the first upload is answered (a store
        // that cannot be written then: the trust watch tries again every second).
        trustFollowUp.withdrawalPending = !withdrawRevokedReports()
        recordCRLState()
    }

    /// Records the trust in force's CRLs in the store (`TerritoryStore.recordCRLState`, for `territory alerts`): at
    /// start and after each reload. A store that cannot be written is logged; the next reload or start records it.
    func recordCRLState() {
        guard let store = ingest?.store else { return }
        do {
            try store.recordCRLState(trust.verifier.trust, paths: trust.crlFiles, source: "collect")
        } catch {
            logger.error(
                "état des CRL non enregistré dans la base (CRL state not recorded in the store)", metadata: ["error": "\(error)"])
        }
    }

    /// Withdraws the stored reports whose signer the CRLs in force revoke (`TerritoryStore.withdrawRevokedReports`, the
    /// same as at every `consolidate`), one log line each: at start, after each reload of a changed CA or CRL file, and
    /// after storing an upload verified with a trust reloaded since (`process`). Does nothing without a store or a CRL.
    /// A store that cannot be written is logged (the trust watch tries again every second; the withdrawal is
    /// idempotent).
    /// - Parameter logFailure: false to try again silently (the trust watch's retries, after a first failure logged).
    /// - Returns: false when the store could not be read or written.
    @discardableResult
    func withdrawRevokedReports(logFailure: Bool = true) -> Bool {
        guard let store = ingest?.store else { return true }
        do {
            for report in try store.withdrawRevokedReports(trust: trust.verifier.trust) {
                logger.warning(
                    "rapport retiré de la base, son certificat signataire est révoqué (report withdrawn from the store, its signer certificate is revoked)",
                    metadata: [
                        "siren": "\(report.siren)", "host": "\(report.host)", "report": "\(report.reportID)", "serial": "\(report.serial)",
                        "reason": "\(report.reason)", "revokedAt": "\(report.revokedAt)", "hostLatestAfter": "\(report.hostLatestAfter ?? "none")",
                    ])
            }
        } catch {
            if logFailure {
                logger.error(
                    "retrait des rapports signés par un certificat révoqué impossible, nouvel essai chaque seconde (withdrawing the reports of revoked signers failed, tried again every second)",
                    metadata: ["error": "\(error)"])
            }
            return false
        }
        return true
    }

    /// The server's TLS configuration: the collector's certificate and key, client certificates
    /// required and verified against the CA (no host name check: clients have none to match), TLS 1.2
    /// minimum.
    /// - Throws: `InputError` naming the file NIOSSL cannot load.
    public func tlsConfiguration() throws -> TLSConfiguration {
        // Every file is read by TrustFiles (regular files only, size-bounded: a FIFO never blocks the start),
        // and handed to NIOSSL as bytes.
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(
                try TrustFiles.read(configuration.certificatePath, limit: TrustFiles.maximumPKIFileBytes, what: LocalizedText(fr: "certificat du collecteur", en: "collector certificate")))
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(
                .invalidData, file: configuration.certificatePath, fr: "le certificat du collecteur ne se charge pas (PEM attendu) : \(error)",
                en: "the collector's certificate does not load (PEM expected): \(error)")
        }
        guard !chain.isEmpty else { throw InputError(.invalidData, file: configuration.certificatePath, fr: "aucun certificat dans le fichier", en: "no certificate in the file") }
        let keyBytes = try TrustFiles.readPrivateKeyBytes(configuration.keyPath)  // mode 0600 and readable, with a clear message
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw InputError(
                .invalidData, file: configuration.keyPath, fr: "la clé du collecteur ne se charge pas (PEM attendu) : \(error)",
                en: "the collector's key does not load (PEM expected): \(error)")
        }
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMBytes(try TrustFiles.read(configuration.caPath, limit: TrustFiles.maximumPKIFileBytes, what: LocalizedText(fr: "certificat de l'AC", en: "CA certificate")))
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(
                .invalidData, file: configuration.caPath, fr: "le certificat de l'autorité ne se charge pas (PEM attendu) : \(error)",
                en: "the CA certificate does not load (PEM expected): \(error)")
        }
        var tls = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key), trustRoots: .certificates(roots))
        tls.minimumTLSVersion = .tlsv12
        // TLS 1.2: ECDHE with AEAD only (ANSSI, "Recommandations de sécurité relatives à TLS", R11 to R14);
        // NIOSSL's default also offers the CBC-SHA1 suites, which `cyberctl tls` itself flags
        // (tls.weak-ciphers). TLS 1.3 suites are all AEAD and left as they are.
        tls.cipherSuites = [
            "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
        ].joined(separator: ":")
        tls.certificateVerification = .noHostnameVerification
        // On close, NIOSSL sends close_notify and waits for the client's own before closing the socket: 5 s by
        // default. Clients that simply close (curl, Python's ssl, most HTTP stacks) never send one, so every
        // connection closed by the server, and the exit after SIGTERM, waited 5 s. The answer is already
        // written and flushed by then (the wait is only for the peer's alert), so 1 s is enough.
        tls.shutdownTimeout = .seconds(1)
        // Build the context once here: a key that is not the certificate's (or a CA file NIOSSL cannot use)
        // is then a clear input error naming the files, not an "internal error: failedToLoadPrivateKey".
        do {
            _ = try NIOSSLContext(configuration: tls)
        } catch {
            throw InputError(
                .invalidData, file: configuration.keyPath,
                fr: "la mise en place TLS du collecteur échoue (\(error)) : est-ce bien la clé privée de \(configuration.certificatePath), et \(configuration.caPath) est-il un certificat d'autorité PEM ?",
                en: "the collector's TLS setup fails (\(error)): is this the private key of \(configuration.certificatePath), and is \(configuration.caPath) a PEM CA certificate?")
        }
        return tls
    }

    /// Runs until SIGTERM or SIGINT, then stops accepting, finishes the requests in flight and returns.
    /// With `metricsHost`/`metricsPort` set, also serves `GET /metrics` in plain HTTP there (`metricsApplication`).
    /// - Parameters:
    ///   - onListening: called with the bound address once the reports' server listens.
    ///   - onMetricsListening: called with the bound address once the metrics server listens.
    /// - Throws: `InputError(.io)` when an address cannot be listened on.
    public func run(
        onListening: (@Sendable (String) -> Void)? = nil, onMetricsListening: (@Sendable (String) -> Void)? = nil
    ) async throws {
        let router = Router(context: CollectorContext.self)
        router.post("/v1/reports") { request, context in
            await self.handle(request, context: context)
        }
        // Anything else: the JSON 404 (Hummingbird's own would be an empty body). The "**" routes alone miss
        // `/`, `/v1` and `/v1/reportsx` (the trie does not fall back from the `/v1/reports` branch), so the
        // router's own not-found answer is rewritten by a middleware too.
        router.add(middleware: TrustCheckOnRequest(collector: self))
        router.add(middleware: NotFoundAsJSON())
        router.get("**") { _, _ in Self.response(.notFound) }
        router.post("**") { _, _ in Self.response(.notFound) }
        router.put("**") { _, _ in Self.response(.notFound) }
        let app = Application(
            router: router,
            server: try .tls(.http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))), tlsConfiguration: try tlsConfiguration()),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in onListening?(Self.boundAddress(channel, fallbackHost: self.configuration.host, fallbackPort: self.configuration.port)) },
            logger: logger)
        var services: [any Service] = [app]
        if let host = configuration.metricsHost, let port = configuration.metricsPort {
            services.append(metricsApplication(host: host, port: port, onListening: onMetricsListening))
        }
        // Last: stopped first at SIGTERM (services stop in reverse order), so no reload starts while uploads finish.
        services.append(TrustWatch(collector: self))
        do {
            try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
        } catch let error as IOError where [EADDRINUSE, EADDRNOTAVAIL, EACCES].contains(error.errnoCode) {
            // Not an internal error: the address is taken, not this host's, or a privileged port.
            let busy = error.errnoCode == EADDRINUSE
            let address = "\(configuration.host):\(configuration.port)"
                + (configuration.metricsPort.map { " / \(configuration.metricsHost ?? ""):\($0)" } ?? "")
            let reason = String(cString: strerror(error.errnoCode))
            throw InputError(
                .io, fr: "impossible d'écouter sur \(address) : \(reason)\(busy ? " (un autre programme y écoute déjà)" : "")",
                en: "cannot listen on \(address): \(reason)\(busy ? " (another program already listens there)" : "")")
        }
    }

    /// `ip:port` (IPv6 in brackets) of a bound channel.
    static func boundAddress(_ channel: any Channel, fallbackHost: String, fallbackPort: Int) -> String {
        channel.localAddress.map { bound -> String in
            let ip = bound.ipAddress ?? fallbackHost
            return "\(ip.contains(":") ? "[\(ip)]" : ip):\(bound.port ?? fallbackPort)"
        } ?? "?"
    }

    /// The plain-HTTP `/metrics` server: `GET /metrics` answers the exposition (text format 0.0.4), anything
    /// else 404. The territory part is read from the store on a thread of its own, never on an event loop.
    func metricsApplication(host: String, port: Int, onListening: (@Sendable (String) -> Void)?) -> some Service {
        let router = Router()
        let store = ingest?.store
        router.get("/metrics") { _, _ -> Response in
            let bytes = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    // A fresh `now` each scrape: silence is judged against the time of the scrape.
                    let current = store.map { TerritoryViews(store: $0, now: Date(), language: .fr) }
                    let (page, storeError) = self.metrics.exposition(pool: self.pool, views: current)
                    if let storeError {
                        self.logger.error(
                            "/metrics : la base du territoire ne peut être lue, cyberctl_territory_store_up 0 (/metrics: the territory store cannot be read)", metadata: ["error": "\(storeError)"])
                    }
                    continuation.resume(returning: page)
                }
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in onListening?(Self.boundAddress(channel, fallbackHost: host, fallbackPort: port)) },
            logger: logger)
    }

    /// Answers one upload; logs one line and counts it in `metrics`.
    func handle(_ request: Request, context: CollectorContext) async -> Response {
        let start = ContinuousClock.now
        var trace = UploadTrace()
        let reply = await answer(request, context: context, trace: &trace)
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.record(reply, seconds: trace.reachedVerification ? seconds : nil)
        var metadata: Logger.Metadata = [
            "status": "\(reply.httpStatus)", "result": "\(reply.status)", "ms": "\(String(format: "%.1f", seconds * 1000))",
            "bytes": "\(trace.bodyBytes)",
        ]
        if let client = trace.client { metadata["client"] = "\(client.commonName)/\(client.siren)" }
        if let agent = request.headers[.userAgent] { metadata["agent"] = "\(agent)" }
        if let sha = reply.sha256 { metadata["sha256"] = "\(sha)" }
        if let code = reply.code { metadata["code"] = "\(code)" }
        logger.log(level: reply.httpStatus >= 500 ? .error : (reply.httpStatus >= 400 ? .warning : .info), "POST /v1/reports", metadata: metadata)
        return Self.response(reply)
    }

    /// What one upload revealed on its way, for the log line and the metrics.
    struct UploadTrace {
        var client: ClientIdentity?
        var bodyBytes = 0
        /// Whether it was handed to a verification thread (the upload-duration histogram counts only those).
        var reachedVerification = false
    }

    static func response(_ reply: CollectorReply) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retry = reply.retryAfter { headers[.retryAfter] = "\(retry)" }
        return Response(status: .init(code: reply.httpStatus), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }

    func answer(_ request: Request, context: CollectorContext, trace: inout UploadTrace) async -> CollectorReply {
        // 1. Who is calling: the certificate the handshake verified.
        let der: [UInt8]
        do {
            guard let certificate = try await context.channel.nioSSL_peerCertificate().get() else {
                return .forbidden("client-certificate-missing", french: "aucun certificat client", english: "no client certificate")
            }
            der = try certificate.toDERBytes()
        } catch {
            return .forbidden("client-certificate-unreadable", french: "certificat client illisible", english: "unreadable client certificate")
        }
        // The files were looked at by `TrustCheckOnRequest` (at most once a second) and by the trust watch.
        let (verifier, generation) = trust.snapshot
        let identity: ClientIdentity
        switch ClientIdentity.check(der: der, trust: verifier.trust) {
        case .success(let value): identity = value
        case .failure(let reply): return reply
        }
        trace.client = identity

        // 2. Rate, then size (before reading the body).
        if let retry = limiter.take(identity.fingerprint) {
            return .rateLimited(retryAfter: retry, ratePerMinute: limiter.perMinute)
        }
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            return .tooLarge(limit: limit)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            return .tooLarge(limit: limit)
        } catch {
            return .malformed("body-unreadable", french: "corps de requête interrompu", english: "request body interrupted")
        }
        trace.bodyBytes = body.readableBytes

        // 3. The two parts, and the transfer's integrity.
        let upload: ReportUpload
        do {
            upload = try ReportUpload.parse(body, contentType: request.headers[.contentType])
        } catch {
            return .malformed(error.code, french: error.french, english: error.english)
        }
        let sha256 = Digest.sha256Hex(upload.report)
        let header = request.headers.first { $0.name.canonicalName == Self.sha256Header.lowercased() }?.value
        guard let claimed = header?.trimmingCharacters(in: .whitespaces).lowercased() else {
            return .malformed(
                "sha256-header-missing", french: "en-tête \(Self.sha256Header) absent", english: "\(Self.sha256Header) header missing", sha256: sha256)
        }
        guard claimed == sha256 else {
            return .malformed(
                "sha256-mismatch", french: "l'en-tête \(Self.sha256Header) (\(claimed)) ne correspond pas au rapport reçu (\(sha256)) : transfert altéré",
                english: "the \(Self.sha256Header) header (\(claimed)) does not match the report received (\(sha256)): transfer altered", sha256: sha256)
        }

        // 4. Verify, check the identity, ingest, store: off the event loops.
        trace.reachedVerification = true
        do {
            return try await pool.run { [self] in
                self.process(upload, sha256: sha256, verifier: verifier, generation: generation, client: identity)
            }
        } catch {
            trace.reachedVerification = false  // refused before any thread took it
            return .unavailable(
                "busy", french: "trop de rapports en attente de vérification", english: "too many reports waiting for verification", retryAfter: 5,
                sha256: sha256)
        }
    }

    static let sha256Header = "X-Cyberctl-Report-SHA256"

    /// The testing hook (`CollectorConfiguration.testHoldFIFO`): blocks until a writer opens `fifo`, then
    /// until it closes it.
    static func hold(_ fifo: String) {
        let descriptor = open(fifo, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        while true {
            let count = read(descriptor, &byte, 1)
            if count == 0 || (count < 0 && errno != EINTR) { return }
        }
    }

    /// Blocking: verification, ingest, durable storage.
    /// - Parameter generation: the trust generation of `verifier` (`CollectorTrust.snapshot`). When the trust was
    ///   reloaded since, the report was stored under a trust no longer in force: the revocations in force are applied
    ///   once more after the ingest (the reload's own withdrawal may have run before this report was stored).
    func process(_ upload: ReportUpload, sha256: String, verifier: ReportVerifier, generation: Int, client: ClientIdentity) -> CollectorReply {
        defer {
            // A store that cannot be written now: the trust watch tries again every second.
            if ingest != nil && trust.generation != generation && !withdrawRevokedReports() {
                trustFollowUp.queue.async { self.trustFollowUp.withdrawalPending = true }
            }
        }
        if let fifo = configuration.testHoldFIFO { Self.hold(fifo) }
        let verified: VerifiedReport
        let document: JSONValue
        do {
            (verified, document) = try verifier.verifyDocument(reportBytes: upload.report, signatureBytes: upload.signature)
        } catch {
            return .refused(error, sha256: sha256)
        }
        guard verified.signer.siren == client.siren else {
            return .identityMismatch(signerSIREN: verified.signer.siren, clientSIREN: client.siren, sha256: sha256)
        }
        // Claim the SHA-256 and the file name first: the store then records the path the pair really gets,
        // and the same bytes uploaded twice at once are ingested and written once.
        let claim: InboxStore.Claim
        do {
            claim = try inbox.claim(sha256: sha256, siren: verified.siren, fileName: upload.reportFileName)
        } catch {
            logger.error("réservation dans la boîte de réception impossible (inbox claim failed)", metadata: ["sha256": "\(sha256)", "error": "\(error)"])
            return .unavailable("inbox-unavailable", french: "la boîte de réception ne peut être écrite", english: "the inbox cannot be written", retryAfter: 30, sha256: sha256)
        }
        switch claim {
        case .duplicate(let known):
            // The same bytes are in the inbox already: the agent's delivery is done, whatever the store says.
            // With a store, the pair is ingested now if it is not yet (a store added after the inbox), exactly as
            // `consolidate` would: a report id already stored with other bytes is recorded as a rejection of this
            // inbox file (`report-id-conflict`), the answer is still 200 (sending it again cannot change anything).
            if let ingest {
                do {
                    if case .rejected(let code, let message) = try ingest.ingest(verified: verified, document: document, path: inbox.root + "/" + known) {
                        logger.warning(
                            "déjà dans la boîte de réception, refusé par la base du territoire et consigné comme refus, comme consolidate le consigne (duplicate already in the inbox, refused by the territory store, recorded as a rejection, as consolidate records it)",
                            metadata: ["sha256": "\(sha256)", "path": "\(known)", "code": "\(code)", "problem": "\(message.en)"])
                    }
                } catch {
                    logger.error("écriture dans la base du territoire impossible (territory store write failed)", metadata: ["sha256": "\(sha256)", "error": "\(error)"])
                    return .unavailable("store-unavailable", french: "la base du territoire ne peut être écrite", english: "the territory store cannot be written", retryAfter: 30, sha256: sha256)
                }
            }
            return .duplicate(sha256: sha256, path: known)
        case .reserved(let reservation):
            if let ingest {
                do {
                    // A new report the store refuses is not put in the inbox, and no rejection is recorded for a
                    // file that will not exist: the agent keeps it, marked refused, and the log says why.
                    let outcome = try ingest.ingest(
                        verified: verified, document: document, path: inbox.root + "/" + reservation.relativePath, recordingRejection: false)
                    if case .rejected(let code, let message) = outcome {
                        inbox.release(reservation)
                        return CollectorReply(
                            httpStatus: 422, status: "refused", sha256: sha256, code: code,
                            message: "Rapport refusé par la base du territoire, \(RejectionCode.title(code, .fr)). Détail : \(message.fr)",
                            messageEN: "Report refused by the territory store, \(RejectionCode.title(code, .en)). Detail: \(message.en)")
                    }
                } catch {
                    inbox.release(reservation)
                    logger.error("écriture dans la base du territoire impossible (territory store write failed)", metadata: ["sha256": "\(sha256)", "error": "\(error)"])
                    return .unavailable("store-unavailable", french: "la base du territoire ne peut être écrite", english: "the territory store cannot be written", retryAfter: 30, sha256: sha256)
                }
            }
            do {
                try inbox.commit(reservation, report: upload.report, signature: upload.signature)
                return .accepted(sha256: sha256, path: reservation.relativePath, ingested: ingest != nil)
            } catch {
                // With a store, the report is ingested but not in the inbox: the agent retries (503), and the retry
                // finds it already stored and writes the pair under the same name.
                logger.error("écriture dans la boîte de réception impossible (inbox write failed)", metadata: ["sha256": "\(sha256)", "error": "\(error)"])
                return .unavailable("inbox-unavailable", french: "la boîte de réception ne peut être écrite", english: "the inbox cannot be written", retryAfter: 30, sha256: sha256)
            }
        }
    }
}

/// Turns the router's empty 404 (no route matched) into the protocol's JSON `not-found` answer.
struct NotFoundAsJSON: RouterMiddleware {
    typealias Context = CollectorContext
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Collector.response(.notFound)
        }
    }
}
