import FoundationEssentials
import Model
import OpenSSLKit
import TLSProbe
import NIS2

/// Applies the `TLSRules` table to one endpoint's probe report, giving one result per rule.
///
/// A fact the probe could not establish gives `error` with the reason, never a pass; a rule that
/// does not apply (DH size without DHE, HSTS on a mail port) gives `skip`.
public struct TLSEvaluation: Sendable {
    public var checkID: String
    /// Trust anchors for `tls.cert.trust`.
    public var trustStore: TrustStore?
    /// Why there is no trust store, when there is none.
    public var trustStoreProblem: LocalizedText?
    public var now: Date
    public var thresholds: CertificateRules.ExpiryThresholds
    /// False for discovered endpoints: nobody said which name clients use, so the hostname rule is skipped.
    public var nameKnown: Bool
    /// Whether the endpoint is a web service, and its HTTP facts for `tls.hsts`.
    public var web: WebService
    /// Longest validated path accepted.
    public var maximumChainDepth = 10

    public init(checkID: String, trustStore: TrustStore?, trustStoreProblem: LocalizedText? = nil, now: Date,
                thresholds: CertificateRules.ExpiryThresholds, nameKnown: Bool, web: WebService) {
        self.checkID = checkID
        self.trustStore = trustStore
        self.trustStoreProblem = trustStoreProblem
        self.now = now
        self.thresholds = thresholds
        self.nameKnown = nameKnown
        self.web = web
    }

    /// Every rule's result for `report`.
    public func results(for report: ProbeReport) -> [CheckResult] {
        let target = report.endpoint.target
        var base: [String: JSONValue] = [:]
        if let address = report.address { base["address"] = .string(address) }
        if let startTLS = report.endpoint.startTLS { base["starttls"] = .string(startTLS.rawValue) }
        if let sni = report.endpoint.sniName { base["sni"] = .string(sni) }
        func make(_ code: String, _ status: Status, _ severity: Severity? = nil, _ evidence: [String: JSONValue] = [:], reason: LocalizedText? = nil) -> CheckResult {
            CheckResult(
                check: checkID, target: target, code: code, status: status,
                severity: severity ?? TLSRules.row(code).severity,
                evidence: evidence.merging(base) { own, _ in own }, references: TLSRules.references[code] ?? [],
                reason: reason, durationMs: report.durationMs)
        }
        if let fatal = report.fatal {
            var evidence: [String: JSONValue] = ["connections": .int(report.connections)]
            if let plain = report.plainProtocol {
                // What the port speaks instead (a banner, an HTTP page), when recognisable.
                evidence["speaks"] = plain.name.map(JSONValue.string) ?? .null
                evidence["firstLine"] = .string(plain.firstLine)
                if let server = plain.server { evidence["server"] = .string(server) }
            }
            return [make(TLSRules.connectionCode, .error, .high, evidence, reason: Self.text(fatal))]
        }
        var results: [CheckResult] = []
        results.append(legacyProtocols(report, make))
        results.append(weakCiphers(report, make))
        results.append(forwardSecrecy(report, make))
        results.append(dhParameters(report, make))
        results += certificates(report, make)
        results.append(ocspStapling(report, make))
        results.append(hsts(make))
        results.append(compression(report, make))
        results.append(renegotiation(report, make))
        return results
    }

    typealias Make = (String, Status, Severity?, [String: JSONValue], LocalizedText?) -> CheckResult

    /// A probe's text as a reason.
    static func text(_ text: ProbeText) -> LocalizedText { LocalizedText(fr: text.fr, en: text.en) }

    /// The probe's last problem, or `fallback`: what cut a test short.
    static func lastProblem(_ report: ProbeReport, or fallback: LocalizedText = LocalizedText(fr: "sondage incomplet", en: "probe incomplete")) -> LocalizedText {
        report.problems.last.map(text) ?? fallback
    }

    // MARK: - Protocols and suites

    static func suiteEvidence(_ suite: CipherSuite, versions: [ProtocolVersion]? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "iana": .string(suite.ianaName), "openssl": .string(suite.openSSLName), "code": .string(suite.hexCode),
        ]
        if let versions { object["versions"] = .strings(versions.map(\.name)) }
        return .object(object)
    }

    func acceptedEvidence(_ report: ProbeReport) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for version in report.acceptedVersions {
            object[version.name] = .array((report.suites[version] ?? []).map { Self.suiteEvidence($0) })
        }
        return .object(object)
    }

    func legacyProtocols(_ report: ProbeReport, _ make: Make) -> CheckResult {
        let code = "tls.legacy-protocols"
        let legacy: [ProtocolVersion] = [.sslv3, .tls1_0, .tls1_1]
        var evidence: [String: JSONValue] = [
            "accepted": .strings(report.acceptedVersions.map(\.name)),
            "refused": .strings(report.protocols.filter { !$0.value }.map(\.key).sorted().map(\.name)),
        ]
        if let fallback = report.fallbackSCSV { evidence["fallbackSCSV"] = .bool(fallback) }
        if let heartbeat = report.heartbeat { evidence["heartbeat"] = .bool(heartbeat) }
        var order: [String: JSONValue] = [:]
        for (version, imposed) in report.serverOrder { order[version.name] = .bool(imposed) }
        if !order.isEmpty { evidence["serverCipherOrder"] = .object(order) }
        let acceptedLegacy = legacy.filter { report.protocols[$0] == true }
        if !acceptedLegacy.isEmpty {
            return make(code, .fail, acceptedLegacy.contains(.sslv3) ? .critical : .high, evidence, nil)
        }
        let unknown = legacy.filter { report.protocols[$0] == nil }
        if !unknown.isEmpty {
            evidence["undecided"] = .strings(unknown.map(\.name))
            let names = unknown.map(\.name).joined(separator: ", ")
            let why = Self.lastProblem(report)
            return make(
                code, .error, nil, evidence,
                LocalizedText(fr: "impossible de dire si \(names) est accepté : \(why.fr)", en: "could not decide whether \(names) is accepted: \(why.en)"))
        }
        if report.acceptedVersions.isEmpty {
            return make(code, .error, nil, evidence, LocalizedText(fr: "aucune version du protocole acceptée", en: "no protocol version accepted"))
        }
        return make(code, .pass, nil, evidence, nil)
    }

    func weakCiphers(_ report: ProbeReport, _ make: Make) -> CheckResult {
        let code = "tls.weak-ciphers"
        var weak: [JSONValue] = []
        var worst: TLSRules.SuiteClass?
        for (suite, versions) in report.allAcceptedSuites {
            guard let suiteClass = TLSRules.suiteClass(of: suite) else { continue }
            var entry = Self.suiteEvidence(suite, versions: versions)
            if case .object(var object) = entry {
                object["weakness"] = .string(suiteClass.name)
                entry = .object(object)
            }
            weak.append(entry)
            if worst == nil || Self.rank(suiteClass.status, suiteClass.severity) > Self.rank(worst!.status, worst!.severity) {
                worst = suiteClass
            }
        }
        let evidence: [String: JSONValue] = ["weak": .array(weak), "accepted": acceptedEvidence(report)]
        if let worst, worst.status == .fail { return make(code, .fail, worst.severity, evidence, nil) }
        if report.suiteListIncomplete {
            return make(code, .error, nil, evidence, LocalizedText(fr: "liste des suites incomplète : ", en: "suite list incomplete: ") + Self.lastProblem(report))
        }
        if report.acceptedVersions.isEmpty { return make(code, .error, nil, evidence, Self.noSuite) }
        if let worst { return make(code, worst.status, worst.severity, evidence, nil) }
        return make(code, .pass, nil, evidence, nil)
    }

    func forwardSecrecy(_ report: ProbeReport, _ make: Make) -> CheckResult {
        let code = "tls.forward-secrecy"
        let suites = report.allAcceptedSuites
        let without = suites.filter { !$0.suite.hasForwardSecrecy }
        var evidence: [String: JSONValue] = [
            "withoutForwardSecrecy": .array(without.map { Self.suiteEvidence($0.suite, versions: $0.versions) }),
        ]
        if let groups = report.groups { evidence["groups"] = .strings(groups) }
        if !report.groupsUndecided.isEmpty { evidence["groupsUndecided"] = .strings(report.groupsUndecided) }
        if suites.isEmpty { return make(code, .error, nil, evidence, Self.noSuite) }
        // Some suites with and some without: a warning whatever the untested suites are.
        if !without.isEmpty && without.count < suites.count { return make(code, .warn, .medium, evidence, nil) }
        // "None has forward secrecy" and "all have it" both need every suite tested.
        if report.suiteListIncomplete {
            return make(code, .error, nil, evidence, LocalizedText(fr: "liste des suites incomplète : ", en: "suite list incomplete: ") + Self.lastProblem(report))
        }
        if without.count == suites.count { return make(code, .fail, nil, evidence, nil) }
        return make(code, .pass, nil, evidence, nil)
    }

    /// ANSSI TLS and Mozilla intermediate: DHE groups of at least 2048 bits.
    public static let minimumDHBits = 2048

    func dhParameters(_ report: ProbeReport, _ make: Make) -> CheckResult {
        let code = "tls.dh-params"
        let dhe = report.allAcceptedSuites.filter { $0.suite.isDHE }
        var evidence: [String: JSONValue] = [
            "dheSuites": .array(dhe.map { Self.suiteEvidence($0.suite, versions: $0.versions) }),
            "minimumBits": .int(Self.minimumDHBits),
        ]
        if let groups = report.groups { evidence["ffdheGroups"] = .strings(groups.filter { $0.hasPrefix("ffdhe") }) }
        guard !dhe.isEmpty else {
            if report.suiteListIncomplete {
                return make(
                    code, .error, nil, evidence,
                    LocalizedText(
                        fr: "aucune suite DHE parmi celles testées, mais la liste des suites est incomplète : ",
                        en: "no DHE suite among those tested, but the suite list is incomplete: ") + Self.lastProblem(report))
            }
            return make(
                code, .skip, .info, evidence,
                LocalizedText(
                    fr: "aucune suite DHE acceptée (toutes les suites testées) : les paramètres Diffie-Hellman ne servent pas",
                    en: "no DHE suite accepted (every suite tested): Diffie-Hellman parameters are not used"))
        }
        evidence["dheGroups"] = .array(report.dheGroups.map { sample in
            .object([
                "openssl": .string(sample.suite.openSSLName), "iana": .string(sample.suite.ianaName),
                "version": .string(sample.version.name), "bits": .int(sample.bits),
            ])
        })
        // The weakest group of any DHE suite the server negotiates (one handshake per class of suites).
        guard let weakest = report.dheGroups.min(by: { $0.bits < $1.bits }) else {
            return make(
                code, .error, nil, evidence,
                LocalizedText(
                    fr: "DHE accepté, mais la taille de son groupe n'a pas pu être lue (suites absentes de libssl, ou négociation échouée)",
                    en: "DHE accepted but its group size could not be read (suites libssl lacks, or the handshake failed)"))
        }
        evidence["dhBits"] = .int(weakest.bits)
        evidence["dhSuite"] = .string(weakest.suite.openSSLName)
        if weakest.bits < Self.minimumDHBits {
            return make(
                code, .fail, nil, evidence,
                LocalizedText(
                    fr: "groupe DH de \(weakest.bits) bits avec \(weakest.suite.openSSLName) (\(weakest.version.name)), moins de \(Self.minimumDHBits) bits",
                    en: "a \(weakest.bits)-bit DH group with \(weakest.suite.openSSLName) (\(weakest.version.name)), under \(Self.minimumDHBits) bits"))
        }
        if report.dheSizeUnknown {
            let read = report.dheGroups.map(\.suite.openSSLName).joined(separator: ", ")
            return make(
                code, .error, nil, evidence,
                LocalizedText(
                    fr: "la taille du groupe DH n'a pu être lue que pour une partie des suites DHE (\(read)) : les autres peuvent en utiliser un plus faible",
                    en: "the DH group size could be read for only some DHE suites (\(read)): the others may use a weaker one"))
        }
        return make(code, .pass, nil, evidence, nil)
    }

    // MARK: - Certificates

    func certificates(_ report: ProbeReport, _ make: Make) -> [CheckResult] {
        let codes = ["tls.cert.trust", "tls.cert.hostname", "tls.cert.expiry", "tls.cert.key-strength", "tls.cert.signature-algorithm"]
        if let problem = report.chainProblem {
            return codes.map { make($0, .error, nil, ["servedCount": .int(report.chain.count)], Self.text(problem)) }
        }
        guard let leaf = report.chain.first else {
            return codes.map {
                make(
                    $0, .error, nil, [:],
                    LocalizedText(
                        fr: "aucun certificat lu : libssl n'a pu mener à terme aucune négociation avec ce serveur",
                        en: "no certificate read: libssl could not complete a handshake with this server"))
            }
        }
        let served = report.chain
        let infos = served.prefix(maximumChainDepth + 2).map(CertificateInfo.init)
        var chainEvidence: [String: JSONValue] = [
            "servedChain": .array(infos.map { .object(["subject": .string($0.subject), "issuer": .string($0.issuer), "sha256": .string($0.sha256Fingerprint)]) }),
            "servedCount": .int(served.count),
        ]
        var results: [CheckResult] = []

        // Trust: what a TLS client sees at scan time (path, signatures, purpose and every validity
        // period checked at `now`), the verdict of `openssl s_client -verify_return_error`.
        var validated: [X509Certificate] = []
        var built: [X509Certificate] = []
        if let trustStore {
            let verification = CertificateChainVerifier.verify(
                leaf: leaf, untrusted: Array(served.dropFirst().prefix(maximumChainDepth * 2)), store: trustStore, at: now,
                checkTime: true, maximumDepth: maximumChainDepth, asTLSClient: true)
            built = verification.chain
            var evidence = chainEvidence
            evidence["trusted"] = .bool(verification.trusted)
            evidence["anchors"] = .int(trustStore.count)
            let orderProblems = (0..<max(0, min(served.count, maximumChainDepth + 1) - 1)).filter { !served[$0].isIssued(by: served[$0 + 1]) }
            if verification.trusted {
                validated = verification.chain
                evidence["validatedChain"] = .strings(validated.map(\.subject))
                if !orderProblems.isEmpty {
                    evidence["problem"] = "chain served out of order or with unrelated certificates"
                    evidence["outOfOrderAt"] = .array(orderProblems.map { .int($0 + 1) })
                    results.append(make("tls.cert.trust", .warn, .low, evidence, nil))
                } else {
                    results.append(make("tls.cert.trust", .pass, nil, evidence, nil))
                }
            } else {
                evidence["verifyError"] = .string(verification.errorText)
                evidence["verifyErrorCode"] = .int(verification.errorCode)
                evidence["errorDepth"] = .int(verification.errorDepth)
                let problem: String
                switch verification.errorCode {
                case ChainVerification.Code.depthZeroSelfSigned: problem = "self-signed"
                case ChainVerification.Code.selfSignedInChain: problem = "untrusted-root"
                case ChainVerification.Code.chainTooLong: problem = "chain-too-long"
                case ChainVerification.Code.unableToGetIssuerLocally, ChainVerification.Code.unableToGetIssuerCertificate,
                     ChainVerification.Code.unableToVerifyLeafSignature:
                    // The last certificate served is not self-issued: an intermediate is missing.
                    let last = served[min(served.count, maximumChainDepth + 1) - 1]
                    problem = last.isSelfSigned ? "untrusted-root" : "missing-intermediate"
                case ChainVerification.Code.certificateHasExpired: problem = "expired"
                case ChainVerification.Code.certificateNotYetValid: problem = "not-yet-valid"
                case ChainVerification.Code.errorInNotBeforeField, ChainVerification.Code.errorInNotAfterField: problem = "invalid-validity-dates"
                default: problem = "invalid"
                }
                evidence["problem"] = .string(problem)
                // Which certificate of the path failed, and why (OpenSSL's error depth: 0 is the leaf).
                var reason = LocalizedText(
                    fr: "OpenSSL : \(verification.errorText) (profondeur \(verification.errorDepth))",
                    en: "OpenSSL: \(verification.errorText) (depth \(verification.errorDepth))")
                if verification.errorDepth >= 0, verification.errorDepth < verification.chain.count {
                    let failed = verification.chain[verification.errorDepth]
                    let role = verification.errorDepth == 0 ? "leaf" : (failed.isSelfSigned ? "root" : "intermediate")
                    var object: [String: JSONValue] = [
                        "depth": .int(verification.errorDepth), "role": .string(role), "subject": .string(failed.subject),
                        "sha256": .string(failed.sha256Fingerprint),
                    ]
                    if let notBefore = failed.notBefore { object["notBefore"] = .time(notBefore) }
                    if let notAfter = failed.notAfter { object["notAfter"] = .time(notAfter) }
                    evidence["failedCertificate"] = .object(object)
                    let roleFr = verification.errorDepth == 0 ? "final" : (failed.isSelfSigned ? "racine" : "intermédiaire")
                    reason = LocalizedText(
                        fr: "certificat \(roleFr) « \(failed.subject) » : \(verification.errorText)",
                        en: "\(role) certificate \"\(failed.subject)\": \(verification.errorText)")
                    if problem == "expired", let notAfter = failed.notAfter { reason = reason + .verbatim(" (notAfter \(ISO8601.string(from: notAfter)))") }
                    if problem == "not-yet-valid", let notBefore = failed.notBefore { reason = reason + .verbatim(" (notBefore \(ISO8601.string(from: notBefore)))") }
                }
                results.append(make("tls.cert.trust", .fail, nil, evidence, reason))
            }
        } else {
            results.append(make(
                "tls.cert.trust", .error, nil, chainEvidence, trustStoreProblem ?? LocalizedText(fr: "pas de magasin de confiance", en: "no trust store")))
        }
        chainEvidence["servedChain"] = nil

        // Hostname.
        if nameKnown {
            let name = report.endpoint.expectedName
            let match = leaf.match(name: name)
            let evidence: [String: JSONValue] = [
                "name": .string(name), "match": .string(match.rawValue),
                "subjectAltNames": .strings(Array(leaf.subjectAlternativeNames.prefix(20))),
                "commonNames": .strings(leaf.subjectCommonNames),
            ]
            switch match {
            case .subjectAltName: results.append(make("tls.cert.hostname", .pass, nil, evidence, nil))
            case .commonNameOnly: results.append(make("tls.cert.hostname", .warn, .medium, evidence, nil))
            case .mismatch: results.append(make("tls.cert.hostname", .fail, nil, evidence, nil))
            }
        } else {
            results.append(make(
                "tls.cert.hostname", .skip, .info, [:],
                LocalizedText(
                    fr: "point d'accès découvert sur l'hôte : le nom qu'emploient les clients est inconnu (donnez-le dans le profil)",
                    en: "endpoint discovered on the host: the name clients use is not known (give it in the profile)")))
        }

        // Expiry: the leaf and every certificate of the validated path; when validation failed, the
        // path it built if longer than the served chain's first certificate, else the served chain.
        let path = validated.isEmpty ? (built.count > 1 ? built : []) : validated
        let expiryCertificates = path.isEmpty ? Array(infos) : [infos[0]] + path.dropFirst().map(CertificateInfo.init)
        results.append(worst("tls.cert.expiry", expiryCertificates.map { ($0, CertificateRules.expiry($0, now: now, thresholds: thresholds)) }, make))
        // Key strength: every certificate served (a weak intermediate key weakens the chain).
        results.append(worst("tls.cert.key-strength", infos.map { ($0, CertificateRules.keyStrength($0)) }, make))
        // Signatures: leaf and intermediates; a self-signature is never checked by anyone.
        let signed = infos.filter { !$0.selfSigned }
        if signed.isEmpty {
            results.append(make(
                "tls.cert.signature-algorithm", .skip, .info, ["subject": .string(infos[0].subject)],
                LocalizedText(
                    fr: "certificat final autosigné : les clients ne vérifient pas sa signature (voir tls.cert.trust)",
                    en: "self-signed leaf: its signature is not checked by clients (see tls.cert.trust)")))
        } else {
            results.append(worst("tls.cert.signature-algorithm", signed.map { ($0, CertificateRules.signatureAlgorithm($0)) }, make))
        }
        return results
    }

    /// One result per rule: the worst outcome over the certificates, with a line per certificate.
    func worst(_ code: String, _ outcomes: [(CertificateInfo, CertificateRules.Outcome)], _ make: Make) -> CheckResult {
        let chosen = outcomes.enumerated().max { lhs, rhs in
            Self.rank(lhs.element.1.status, lhs.element.1.severity) < Self.rank(rhs.element.1.status, rhs.element.1.severity)
        }!
        var evidence = chosen.element.1.evidence
        evidence["position"] = .int(chosen.offset + 1)
        evidence["certificates"] = .array(outcomes.enumerated().map { index, pair in
            var line = pair.1.evidence
            line["position"] = .int(index + 1)
            line["status"] = .string(pair.1.status.rawValue)
            return .object(line)
        })
        let outcome = chosen.element.1
        return make(code, outcome.status, outcome.severity, evidence, outcome.status == .error ? outcome.reason : nil)
    }

    /// Orders outcomes: fail > error > warn > pass > skip, then by severity.
    static func rank(_ status: Status, _ severity: Severity) -> Int {
        let base: Int
        switch status {
        case .fail: base = 40
        case .error: base = 30
        case .warn: base = 20
        case .pass: base = 10
        case .skip: base = 0
        }
        return base + Severity.allCases.firstIndex(of: severity)!
    }

    // MARK: - Other properties

    func ocspStapling(_ report: ProbeReport, _ make: Make) -> CheckResult {
        guard let stapled = report.ocspStapled else {
            return make(
                "tls.ocsp-stapling", .error, .info, [:],
                LocalizedText(
                    fr: "aucune négociation que libssl ait pu mener à terme pour demander une réponse OCSP agrafée",
                    en: "no handshake libssl could complete to ask for a stapled response"))
        }
        return make("tls.ocsp-stapling", stapled ? .pass : .warn, .info, ["stapled": .bool(stapled)], nil)
    }

    /// hstspreload.org's minimum max-age (one year); Mozilla recommends two (63072000 s).
    public static let minimumHSTSMaxAge = 31_536_000

    func hsts(_ make: Make) -> CheckResult {
        let code = "tls.hsts"
        let http: HTTPSecurityFacts
        switch web {
        case .notWeb(let reason): return make(code, .skip, .info, [:], reason)
        case .undetermined(let reason): return make(code, .error, nil, [:], reason)
        case .https(let facts): http = facts
        }
        var evidence: [String: JSONValue] = [
            "recommendedMaxAge": .int(63_072_000), "minimumMaxAge": .int(Self.minimumHSTSMaxAge),
            "recognisedBy": .string(http.recognisedBy), "httpRedirect": .string(http.httpRedirect.rawValue),
        ]
        if let alpn = http.alpn { evidence["alpn"] = .string(alpn) }
        if let status = http.httpsStatus { evidence["httpsStatus"] = .int(status) }
        if let header = http.hstsHeader { evidence["header"] = .string(header) }
        if let maxAge = http.hstsMaxAge { evidence["maxAge"] = .int(maxAge) }
        if let url = http.httpURL { evidence["httpURL"] = .string(url) }
        if let status = http.httpStatus { evidence["httpStatus"] = .int(status) }
        if let location = http.httpLocation { evidence["httpLocation"] = .string(location) }
        if let error = http.error { return make(code, .error, nil, evidence, error) }
        guard http.hstsHeader != nil else { return make(code, .fail, nil, evidence, nil) }
        let maxAge: Int
        switch http.hstsHeader.map(HTTPSecurityFacts.hsts) {
        case .valid(let value)?:
            maxAge = value
        case .ignored(let why)?:
            evidence["problem"] = "header ignored by browsers"
            evidence.removeValue(forKey: "maxAge")
            return make(code, .fail, nil, evidence, why)
        case nil:
            return make(code, .fail, nil, evidence, nil)
        }
        if maxAge == 0 {
            evidence["problem"] = "max-age=0"
            return make(code, .fail, nil, evidence, LocalizedText(
                fr: "max-age=0 : le navigateur oublie HSTS pour ce site (RFC 6797 §6.1.1), aucune protection",
                en: "max-age=0: the browser forgets HSTS for this site (RFC 6797 §6.1.1), no protection"))
        }
        if maxAge < Self.minimumHSTSMaxAge {
            evidence["problem"] = "max-age under one year"
            return make(code, .warn, .medium, evidence, LocalizedText(
                fr: "max-age=\(maxAge), moins d'un an (31536000 s)", en: "max-age=\(maxAge), under one year (31536000 s)"))
        }
        switch http.httpRedirect {
        case .notRedirected:
            evidence["problem"] = "http:// answers without redirecting to https://"
            return make(code, .warn, .medium, evidence, nil)
        case .undetermined:
            let url = http.httpURL ?? "http://"
            return make(
                code, .error, nil, evidence,
                LocalizedText(
                    fr: "HSTS est correct, mais on n'a pas pu lire si \(url) redirige vers https:// : \(http.httpError ?? "pas de réponse")",
                    en: "HSTS is right, but whether \(url) redirects to https:// could not be read: \(http.httpError ?? "no answer")"))
        case .redirected, .noHTTPService, .plainRefused:
            return make(code, .pass, nil, evidence, nil)
        }
    }

    func compression(_ report: ProbeReport, _ make: Make) -> CheckResult {
        let code = "tls.compression"
        if let compression = report.compression {
            return make(code, compression ? .fail : .pass, nil, ["compressionAccepted": .bool(compression)], nil)
        }
        if report.onlyTLS13 {
            return make(code, .pass, nil, ["compressionAccepted": false, "note": "TLS 1.3 has no compression"], nil)
        }
        return make(
            code, .error, nil, [:],
            LocalizedText(fr: "la compression n'a pas pu être testée : ", en: "compression could not be tested: ") + Self.lastProblem(report, or: Self.noOldHandshake))
    }

    func renegotiation(_ report: ProbeReport, _ make: Make) -> CheckResult {
        let code = "tls.renegotiation"
        if let secure = report.secureRenegotiation {
            return make(code, secure ? .pass : .fail, nil, ["secureRenegotiation": .bool(secure)], nil)
        }
        if report.onlyTLS13 {
            return make(code, .pass, nil, ["note": "TLS 1.3 has no renegotiation"], nil)
        }
        return make(
            code, .error, nil, [:],
            LocalizedText(fr: "la renégociation sécurisée n'a pas pu être testée : ", en: "secure renegotiation could not be tested: ")
                + Self.lastProblem(report, or: Self.noOldHandshake))
    }
}

extension TLSEvaluation {
    static let noSuite = LocalizedText(fr: "aucune suite acceptée", en: "no suite accepted")
    static let noOldHandshake = LocalizedText(fr: "aucune négociation en TLS 1.2 ou plus ancien", en: "no TLS 1.2 or lower handshake")
}
