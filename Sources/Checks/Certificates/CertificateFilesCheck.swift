import FoundationEssentials
import FoundationGaps
import Model
import OpenSSLKit
import Synchronization
import NIS2

/// `cert.files`: the certificates that services on the host use, read from disk, judged by
/// `CertificateRules` (expiry, key strength, signature algorithm, self-signed leaf).
///
/// Targets are the files named in the profile (`paths`, globs allowed) and, when `discover` is on,
/// the files named by nginx, Apache, Postfix and Dovecot configurations and Let's Encrypt's `live/`
/// folder. A file named twice is read once. A file that cannot be read or parsed gives one `error`
/// result (code `cert.file`) naming the file and the reason; the others go on. A configuration,
/// include or folder that exists but cannot be read gives an `error` (code `cert.discovery`): the
/// certificates it names are unknown. When nothing names a certificate and nothing failed, one `skip`
/// (`cert.discovery`) says why.
public struct CertificateFilesCheck: ConfigurableCheck {
    public static let id = "cert.files"
    public static let domain = Domain.certificates

    /// Certificate files to check, absolute paths inside the audited system; globs allowed.
    public var paths: [String] = []
    /// Also check the files named by service configurations found on the host.
    public var discover = true
    /// Days-left thresholds for `cert.expiry`.
    public var thresholds = CertificateRules.ExpiryThresholds()
    /// Largest certificate file read, in bytes (a 10,000-name certificate is about 300 KB).
    public var maximumFileBytes = 4 << 20

    public init() {}

    public init(paths: [String], discover: Bool, thresholds: CertificateRules.ExpiryThresholds = .init()) {
        self.paths = paths
        self.discover = discover
        self.thresholds = thresholds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case paths, discover
        case warningDays = "warning_days"
        case criticalDays = "critical_days"
        case maximumFileBytes = "maximum_file_bytes"
    }

    public static let parameterNames = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        paths = try container.decodeIfPresent([String].self, forKey: .paths) ?? []
        discover = try container.decodeIfPresent(Bool.self, forKey: .discover) ?? true
        let warning = try container.decodeIfPresent(Int.self, forKey: .warningDays) ?? 30
        let critical = try container.decodeIfPresent(Int.self, forKey: .criticalDays) ?? 14
        guard critical >= 0, warning >= critical else {
            throw DecodingError.dataCorruptedError(
                forKey: .warningDays, in: container,
                debugDescription: "expected 0 <= critical_days <= warning_days, got \(critical) and \(warning)")
        }
        thresholds = .init(warningDays: warning, criticalDays: critical)
        maximumFileBytes = try container.decodeIfPresent(Int.self, forKey: .maximumFileBytes) ?? (4 << 20)
        for path in paths where !path.hasPrefix("/") {
            throw DecodingError.dataCorruptedError(
                forKey: .paths, in: container, debugDescription: "expected an absolute path, got \"\(path)\"")
        }
    }

    /// What a run reads: the certificate files, and the inputs that could not be read to find them.
    public struct Plan: Sendable {
        /// Profile paths first, then discovered ones, one per file.
        public var references: [CertificateReference] = []
        /// Service configurations, includes and folders that exist but could not be read (the
        /// certificates they name are unknown), and profile patterns over folders that cannot be listed.
        public var problems: [ServiceCertificateDiscovery.Problem] = []
        /// Service configuration files read.
        public var configurationsRead: [String] = []
    }

    /// The references this run will read: profile paths first, then discovered ones, one per file.
    public func references(in root: FileSystemRoot) -> [CertificateReference] { plan(in: root).references }

    /// The references and the problems met finding them.
    public func plan(in root: FileSystemRoot) -> Plan {
        var plan = Plan()
        var references: [CertificateReference] = []
        // Paths resolved inside the root, computed once per path (the trust-store test and the
        // de-duplication below both need them).
        var resolvedPaths: [String: String] = [:]
        func resolved(_ path: String) -> String {
            if let known = resolvedPaths[path] { return known }
            let value = (try? root.resolve(path)) ?? path
            resolvedPaths[path] = value
            return value
        }
        let discovery = ServiceCertificateDiscovery(root: root)
        for pattern in paths {
            let matches = root.glob(pattern)
            // A literal path that does not exist is still a target: the error says it is missing.
            let isPattern = pattern.contains(where: { "*?[".contains($0) })
            // glob(3) skips a folder it cannot open: a pattern over one is a problem, not "no file".
            let folder = PathText.deletingLastComponent(pattern)
            if isPattern, !folder.contains(where: { "*?[".contains($0) }), root.info(folder)?.isDirectory == true {
                do {
                    _ = try discovery.listing(folder)
                } catch {
                    plan.problems.append(.init(path: folder, service: "profile", reason: error.localizedText, namedBy: "paths: \(pattern)"))
                }
            }
            // A glob over /etc/ssl/certs must not sweep in the system trust store: an expiring root that
            // nobody serves is not a finding. A file named literally is checked as asked.
            let targets = matches.isEmpty && !isPattern
                ? [pattern] : matches.filter { !isPattern || !Self.isTrustAnchor(resolvedPath: resolved($0)) }
            references += targets.map { CertificateReference(path: $0, role: .service, source: "profile") }
        }
        if discover {
            let findings = discovery.search()
            references += findings.references
            plan.problems += findings.problems
            plan.configurationsRead = findings.configurationsRead
        }
        var seen: [String: Int] = [:]
        var unique: [CertificateReference] = []
        for reference in references {
            let key = resolved(reference.path)
            if let index = seen[key] {
                unique[index].source += ", " + reference.source
                // A file used as a service certificate anywhere has a leaf first.
                if reference.role == .service { unique[index].role = .service }
            } else {
                seen[key] = unique.count
                unique.append(reference)
            }
        }
        plan.references = unique
        return plan
    }

    /// Code of the results the search for certificate files gives.
    public static let discoveryCode = "cert.discovery"

    /// `cert.discovery`: one `error` per input that could not be read (a configuration, an include, a
    /// folder), naming it and what named it; one `skip` saying why when no certificate file is named
    /// anywhere and nothing failed.
    func discoveryResults(_ plan: Plan) -> [CheckResult] {
        let references = Catalogue.rule(Self.discoveryCode)?.references ?? []
        var results = plan.problems.map { problem in
            var evidence: [String: JSONValue] = ["service": .string(problem.service), "failure": "read"]
            if let namedBy = problem.namedBy { evidence["namedBy"] = .string(namedBy) }
            return CheckResult(
                check: Self.id, target: problem.path, code: Self.discoveryCode, status: .error, severity: .medium,
                evidence: evidence, references: references,
                reason: LocalizedText(
                    fr: "\(problem.reason.fr) : les certificats que nomme cette configuration \(problem.service) ne peuvent être connus",
                    en: "\(problem.reason.en): the certificates this \(problem.service) configuration names cannot be known"))
        }
        if plan.references.isEmpty && plan.problems.isEmpty {
            let reason: LocalizedText
            if !discover {
                reason = LocalizedText(
                    fr: "discover: false et pas de paths dans le profil : aucun fichier de certificat à contrôler",
                    en: "discover: false and no paths in the profile: no certificate file to check")
            } else if plan.configurationsRead.isEmpty {
                reason = LocalizedText(
                    fr: "aucune configuration nginx, Apache, Postfix ou Dovecot, pas de /etc/letsencrypt/live"
                        + (paths.isEmpty ? " ni de paths dans le profil" : ", et les paths du profil ne désignent aucun fichier")
                        + " : aucun fichier de certificat à contrôler",
                    en: "no nginx, Apache, Postfix or Dovecot configuration, no /etc/letsencrypt/live\(paths.isEmpty ? " and no paths in the profile" : ", and the profile's paths match no file"): no certificate file to check")
            } else {
                reason = LocalizedText(
                    fr: "les \(plan.configurationsRead.count) fichier(s) de configuration de service lus ne nomment aucun fichier de certificat, "
                        + "et il n'y a pas de /etc/letsencrypt/live\(paths.isEmpty ? "" : " ni de fichier désigné par les paths du profil")",
                    en: "the \(plan.configurationsRead.count) service configuration file(s) read name no certificate file, and there is no /etc/letsencrypt/live\(paths.isEmpty ? "" : " nor file matching the profile's paths")")
            }
            var evidence: [String: JSONValue] = [:]
            if !plan.configurationsRead.isEmpty { evidence["configurationsRead"] = .strings(Array(plan.configurationsRead.prefix(50))) }
            results.append(CheckResult(
                check: Self.id, target: Self.id, code: Self.discoveryCode, status: .skip, severity: .info,
                evidence: evidence, references: references, reason: reason))
        }
        return results
    }

    /// Folders and bundle names of the system trust stores (Debian ca-certificates, RHEL ca-trust).
    static let trustStoreFolders = [
        "/usr/share/ca-certificates/", "/usr/local/share/ca-certificates/", "/etc/ca-certificates/",
        "/etc/pki/ca-trust/", "/usr/share/pki/ca-trust-source/",
    ]
    static let trustBundles: Set<String> = ["ca-certificates.crt", "ca-bundle.crt", "ca-bundle.trust.crt", "tls-ca-bundle.pem"]

    /// True when `resolved` (a path with its links resolved inside the root) is, or is in, a system trust store.
    static func isTrustAnchor(resolvedPath resolved: String) -> Bool {
        let name = resolved.split(separator: "/").last.map(String.init) ?? resolved
        return trustBundles.contains(name) || trustStoreFolders.contains { resolved.hasPrefix($0) }
    }

    public func run(_ context: CheckContext) async -> [CheckResult] {
        let now = context.clock.now()
        let plan = plan(in: context.root)
        let discovery = discoveryResults(plan)
        let references = plan.references
        guard !references.isEmpty else { return discovery }
        // Parsing is CPU-bound (OpenSSL 3 decodes every public key): spread the files over the cores,
        // in contiguous slices so results keep the reference order.
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, references.count / 64))
        let sliceSize = (references.count + workers - 1) / max(workers, 1)
        let root = context.root
        let cache = CertificateInfoCache()
        return await withTaskGroup(of: (Int, [CheckResult]).self) { group in
            for worker in 0..<workers {
                let slice = references.dropFirst(worker * sliceSize).prefix(sliceSize)
                group.addTask {
                    var results: [CheckResult] = []
                    for reference in slice {
                        if Task.isCancelled { break }
                        results += check(reference, root: root, now: now, cache: cache)
                    }
                    return (worker, results)
                }
            }
            var slices = [[CheckResult]](repeating: [], count: workers)
            for await (worker, results) in group { slices[worker] = results }
            if workers == 1 && discovery.isEmpty { return slices[0] }
            // Each slice is freed as soon as it is appended: 2,000 files make ~1.5 MB of results per copy.
            var all: [CheckResult] = discovery
            all.reserveCapacity(discovery.count + slices.reduce(0) { $0 + $1.count })
            for worker in slices.indices {
                all += slices[worker]
                slices[worker] = []
            }
            return all
        }
    }

    /// Reads one file and applies every rule to each certificate in it.
    /// - Parameter cache: certificates already read in this run (a CA appended to every chain file is parsed once).
    func check(
        _ reference: CertificateReference, root: FileSystemRoot, now: Date, cache: CertificateInfoCache = CertificateInfoCache()
    ) -> [CheckResult] {
        let stopwatch = Stopwatch()
        let certificates: [CertificateInfo]
        let format: CertificateFile.Format
        var contents: [UInt8] = []
        do {
            contents = try root.read(reference.path, limit: maximumFileBytes)
            (certificates, format) = try CertificateFile.load(contents: contents) { encoded, trailingBytesAllowed in
                cache.info(encoded, trailingBytesAllowed: trailingBytesAllowed)
            }
        } catch {
            // Postfix's smtpd_tls_chain_files may list a key in a file of its own before its certificates:
            // that file is part of the configuration, not an unreadable certificate.
            if reference.mayHoldOnlyKeys, !(error is FileAccessError), Self.holdsOnlyPrivateKeys(contents) { return [] }
            // "read": the file could not be opened or read; "parse": it holds no certificate cyberctl can read.
            let failure: JSONValue = error is FileAccessError ? "read" : "parse"
            return [CheckResult(
                check: Self.id, target: reference.path, code: "cert.file", status: .error, severity: .medium,
                evidence: ["usedBy": .string(reference.source), "failure": failure],
                references: Catalogue.rule("cert.file")?.references ?? [],
                reason: Self.text(of: error), durationMs: stopwatch.elapsedMs)]
        }
        var results: [CheckResult] = []
        for (index, info) in certificates.enumerated() {
            let target = certificates.count == 1 ? reference.path : "\(reference.path)#\(index + 1)"
            var context: [String: JSONValue] = [
                "usedBy": .string(reference.source), "format": .string(format.rawValue),
                "position": .int(index + 1), "sha256": .string(info.sha256Fingerprint),
            ]
            // The first certificate of a file a service presents is what users see, whatever its CA bit:
            // `openssl req -x509` marks self-signed server certificates CA:TRUE by default.
            let isLeaf = reference.role == .service && index == 0
            context["role"] = .string(isLeaf ? "leaf" : (info.selfSigned ? "root" : "intermediate"))
            var outcomes: [(String, CertificateRules.Outcome)] = [
                ("cert.expiry", CertificateRules.expiry(info, now: now, thresholds: thresholds)),
                ("cert.key-strength", CertificateRules.keyStrength(info)),
            ]
            // Nobody verifies a self-signature, so its digest does not matter.
            if !info.selfSigned { outcomes.append(("cert.signature-algorithm", CertificateRules.signatureAlgorithm(info))) }
            if isLeaf { outcomes.append(("cert.self-signed", CertificateRules.selfSigned(info))) }
            let elapsed = stopwatch.elapsedMs
            // The expiry result carries the certificate's full description (issuer, SANs, serial, key…),
            // so views of expiring certificates need nothing else; the others carry what they judged.
            let identity = info.identityEvidence().merging(context) { _, shared in shared }
            for (code, outcome) in outcomes {
                let shared = code == "cert.expiry" ? identity : context
                results.append(CheckResult(
                    check: Self.id, target: target, code: code, status: outcome.status, severity: outcome.severity,
                    evidence: outcome.evidence.merging(shared) { rule, _ in rule },
                    references: Catalogue.rule(code)?.references ?? [],
                    reason: outcome.status == .error ? outcome.reason : nil,
                    durationMs: elapsed))
            }
        }
        // Reading stops at the first certificate block that does not parse (as OpenSSL's loop, and so
        // nginx, do): the blocks from there on are unknown, not absent.
        let blocks = format == .pem ? Self.certificateBlockCount(contents) : certificates.count
        if blocks > certificates.count {
            let position = certificates.count + 1
            results.append(CheckResult(
                check: Self.id, target: "\(reference.path)#\(position)", code: "cert.file", status: .error, severity: .medium,
                evidence: ["usedBy": .string(reference.source), "failure": "parse", "position": .int(position), "blocks": .int(blocks)],
                references: Catalogue.rule("cert.file")?.references ?? [],
                reason: LocalizedText(
                    fr: "le bloc de certificat \(position) sur \(blocks) est illisible : lui et les blocs suivants ne sont pas contrôlés",
                    en: "certificate block \(position) of \(blocks) could not be parsed: it and the blocks after it are not checked"),
                durationMs: stopwatch.elapsedMs))
        }
        return results
    }
}

extension CertificateFilesCheck {
    /// Why a certificate file gave nothing, in both languages: a file that could not be read, or one that holds no
    /// certificate cyberctl can read (`CertificateFile.LoadError`; OpenSSL's own error strings as they are).
    static func text(of error: any Error) -> LocalizedText {
        if let error = error as? FileAccessError { return error.localizedText }
        guard let error = error as? CertificateFile.LoadError else { return .verbatim(String(describing: error)) }
        switch error {
        case .empty: return LocalizedText(fr: "fichier vide", en: error.description)
        case .noCertificateInPEM(let openssl):
            return LocalizedText(fr: "fichier PEM sans certificat lisible (\(openssl))", en: error.description)
        case .pkcs12NeedsPassword: return LocalizedText(fr: "fichier PKCS#12 protégé par un mot de passe", en: error.description)
        case .unrecognised(let openssl):
            return LocalizedText(fr: "pas un certificat sous forme PEM, DER ou PKCS#12 (\(openssl))", en: error.description)
        }
    }

    /// The PEM blocks `PEM_read_bio_X509` takes for a certificate (`CERTIFICATE`, `X509 CERTIFICATE`).
    static func certificateBlockCount(_ contents: [UInt8]) -> Int {
        let text = String(decoding: contents, as: UTF8.self)
        return text.components(separatedBy: "-----BEGIN ").dropFirst()
            .filter { $0.hasPrefix("CERTIFICATE-----") || $0.hasPrefix("X509 CERTIFICATE-----") }.count
    }

    /// True when `contents` is PEM with at least one private-key block (`PRIVATE KEY`, `RSA PRIVATE KEY`,
    /// `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY` …) and no certificate block.
    static func holdsOnlyPrivateKeys(_ contents: [UInt8]) -> Bool {
        let text = String(decoding: contents, as: UTF8.self)
        let labels = text.components(separatedBy: "-----BEGIN ").dropFirst().map { $0.prefix { $0 != "-" } }
        return !labels.isEmpty && labels.allSatisfy { $0.hasSuffix("PRIVATE KEY") || $0 == "EC PARAMETERS" }
    }
}

/// What `CertificateInfo` says of the certificates met more than once during one run, keyed by the SHA-256 of
/// their encoding: a certificate in several files (an intermediate appended to every chain, Let's Encrypt's
/// `cert.pem` and `fullchain.pem`) is parsed at most twice. OpenSSL 3 decodes every public key through
/// its provider decoders and verifies a self-signature on each parse, so this is most of the cost of a repeated
/// certificate. Safe to share between tasks.
///
/// A certificate met once is only remembered by its digest (32 bytes): its description is parsed again if it
/// comes back, and kept from then on. Keeping every description (about 700 bytes with its strings) held 1.4 MB
/// for 2,000 distinct certificates until the check ended, the agent's peak (docs/benchmarks.md, "The agent's
/// executable"), for certificates that in practice seldom repeat; the ones that do cost one parse more.
final class CertificateInfoCache: Sendable {
    private struct Key: Hashable {
        /// The SHA-256, as four words: no array to allocate per key.
        let words: (UInt64, UInt64, UInt64, UInt64)
        let trailingBytesAllowed: Bool

        init(digest: [UInt8], trailingBytesAllowed: Bool) {
            func word(_ index: Int) -> UInt64 {
                (0..<8).reduce(0) { $0 << 8 | UInt64(digest[index * 8 + $1]) }
            }
            words = (word(0), word(1), word(2), word(3))
            self.trailingBytesAllowed = trailingBytesAllowed
        }

        static func == (a: Key, b: Key) -> Bool { a.words == b.words && a.trailingBytesAllowed == b.trailingBytesAllowed }

        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
            hasher.combine(trailingBytesAllowed)
        }
    }

    /// One description, boxed: the table then holds 8 bytes per bucket rather than a 200-byte struct.
    private final class Entry: Sendable {
        let info: CertificateInfo
        init(_ info: CertificateInfo) { self.info = info }
    }

    private struct State {
        /// Certificates parsed once so far.
        var seen: Set<Key> = []
        /// Certificates met a second time, with their description.
        var repeated: [Key: Entry] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// The description of the certificate encoded in `encoded`, parsed unless it was already met twice; nil when
    /// the bytes are not a certificate (never remembered: the caller reports the error).
    func info(_ encoded: [UInt8], trailingBytesAllowed: Bool) -> CertificateInfo? {
        let key = Key(digest: Digest.sha256(encoded), trailingBytesAllowed: trailingBytesAllowed)
        let (known, metBefore) = state.withLock { ($0.repeated[key], $0.seen.contains(key)) }
        if let known { return known.info }
        guard let info = parse(encoded, trailingBytesAllowed: trailingBytesAllowed) else { return nil }
        state.withLock { state in
            if metBefore {
                state.repeated[key] = Entry(info)
            } else {
                state.seen.insert(key)
            }
        }
        return info
    }

    private func parse(_ encoded: [UInt8], trailingBytesAllowed: Bool) -> CertificateInfo? {
        // On failure OpenSSL's reasons stay queued: `CertificateFile.load` puts them in its error.
        X509Certificate.parse(derEncoded: encoded, allowingTrailingBytes: trailingBytesAllowed).map(CertificateInfo.init)
    }
}
