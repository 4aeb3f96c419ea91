import FoundationEssentials
import Model
import OpenSSLKit
import TLSProbe
import NIS2

/// Mail rules: SPF, DMARC, DKIM, MTA-STS, TLS-RPT, STARTTLS and DANE on the MX hosts.
extension DomainEvaluation {
    /// The MX set of the domain.
    struct MailExchangers: Sendable {
        /// Hosts by preference, lowest first.
        var hosts: [(preference: Int, host: String)] = []
        /// The DNS failure, when the MX query did not answer.
        var failure: LocalizedText?
        /// RFC 7505 null MX: one record, preference 0, exchange ".".
        var isNullMX: Bool { hosts.count == 1 && hosts[0].host == "." }
        /// Why the inbound mail rules do not apply, nil when they do.
        var notReceivingReason: LocalizedText? {
            if isNullMX { return LocalizedText(fr: "le domaine n'accepte aucun courriel (MX nul, RFC 7505)", en: "the domain accepts no mail (null MX, RFC 7505)") }
            if failure == nil && hosts.isEmpty { return LocalizedText(fr: "le domaine ne publie aucun enregistrement MX", en: "the domain publishes no MX record") }
            return nil
        }
        var evidence: JSONValue { .strings(hosts.map { "\($0.preference) \($0.host)" }) }
    }

    func mailExchangers() async -> MailExchangers {
        let answer = await environment.resolver.query(domain.name, .mx)
        var exchangers = MailExchangers()
        if answer.failure != nil {
            exchangers.failure = answer.localizedFailure
            return exchangers
        }
        exchangers.hosts = answer.records.compactMap(DNSRecords.mx).sorted { ($0.preference, $0.exchange) < ($1.preference, $1.exchange) }
            .map { ($0.preference, $0.exchange) }
        return exchangers
    }

    // MARK: - SPF

    func spf(_ started: Stopwatch) async -> (CheckResult, SPFAnalysis?) {
        let code = "mail.spf"
        let analysis = await SPFAnalysis.analyse(domain.name, resolver: environment.resolver)
        var evidence: [String: JSONValue] = ["records": .strings(analysis.records), "lookups": .int(analysis.lookups)]
        if !analysis.followed.isEmpty { evidence["followed"] = .strings(analysis.followed) }
        if !analysis.notFollowed.isEmpty { evidence["notFollowed"] = .strings(analysis.notFollowed) }
        if let all = analysis.allQualifier { evidence["all"] = .string("\(all)all") }
        if !analysis.ignoredAfterAll.isEmpty { evidence["ignoredAfterAll"] = .strings(analysis.ignoredAfterAll) }
        evidence["passingIPv4Addresses"] = .int(Int(clamping: analysis.passingIPv4.count))
        evidence["passingIPv6Networks64"] = .int(Int(clamping: analysis.passingIPv6.count))
        if !analysis.includesPassingAll.isEmpty { evidence["includesPassingAll"] = .strings(analysis.includesPassingAll) }
        if !analysis.wideHostMechanisms.isEmpty { evidence["wideHostMechanisms"] = .strings(analysis.wideHostMechanisms) }
        let make = { (status: Status, severity: Severity?, reason: LocalizedText?) in
            (self.make(code, target: self.domain.name, status, severity, evidence, reason: reason, durationMs: started.elapsedMs), Optional(analysis))
        }
        if let failure = analysis.failure { return make(.error, nil, failure) }
        if analysis.records.isEmpty { return make(.fail, nil, LocalizedText(fr: "pas d'enregistrement SPF (TXT « v=spf1 … ») sur \(domain.name)", en: "no SPF record (TXT \"v=spf1 …\") at \(domain.name)")) }
        if !analysis.permanentErrors.isEmpty {
            evidence["permanentErrors"] = .strings(analysis.permanentErrors.map(\.en))
            return make(.fail, nil, LocalizedText(fr: "erreurs permanentes SPF : ", en: "SPF permanent errors: ") + analysis.permanentErrors.joined())
        }
        if analysis.allQualifier != "+", let open = analysis.tooOpen {
            evidence["limits"] = .object([
                "ipv4Addresses": .int(Int(SPFAnalysis.ipv4Limit)), "ipv6Networks64": .int(Int(SPFAnalysis.ipv6Limit)),
                "source": "IPv4: more than a /8, IANA's allocation unit to the regional registries (RFC 7020); IPv6: more than a /32, a provider's minimum allocation in the regional registries' policies",
            ])
            return make(.fail, .critical, open)
        }
        switch analysis.allQualifier {
        case "-"?, "~"?:
            if analysis.usesPTR { return make(.warn, .low, LocalizedText(fr: "le mécanisme ptr est employé (RFC 7208 §5.5 : SHOULD NOT)", en: "the ptr mechanism is used (RFC 7208 §5.5: SHOULD NOT)")) }
            return make(.pass, nil, nil)
        case "+"?: return make(.fail, .critical, LocalizedText(fr: "+all laisse tout hôte d'Internet envoyer pour le domaine", en: "+all lets every host on the Internet send for the domain"))
        case "?"?: return make(.fail, nil, LocalizedText(fr: "?all (neutre) : les destinataires ne peuvent rejeter les expéditeurs usurpés", en: "?all (neutral): receivers cannot reject forged senders"))
        default: return make(.fail, nil, LocalizedText(fr: "l'enregistrement finit sans -all ni ~all (les destinataires traitent les autres expéditeurs comme neutres)", en: "the record ends without -all or ~all (receivers treat other senders as neutral)"))
        }
    }

    // MARK: - DMARC

    func dmarc(_ started: Stopwatch) async -> CheckResult {
        let code = "mail.dmarc"
        var evidence: [String: JSONValue] = [:]
        var (records, answer) = await txt("_dmarc.\(domain.name)", DMARCRecord.isDMARC)
        let fail = { (status: Status, severity: Severity?, reason: LocalizedText?) in
            self.make(code, target: self.domain.name, status, severity, evidence, reason: reason, durationMs: started.elapsedMs)
        }
        if answer.failure != nil { return fail(.error, nil, answer.localizedFailure) }
        // RFC 7489 §6.6.3: without a record, the organisational domain's applies (its sp, else its p); the
        // organisational domain is the public suffix plus one label (§3.2), from the Public Suffix List.
        var inherited = false
        if records.isEmpty {
            guard let list = PublicSuffixList.shared else {
                return fail(.error, nil, LocalizedText(
                    fr: "pas d'enregistrement DMARC sur _dmarc.\(domain.name), et la Public Suffix List n'a pas pu être chargée (libpsl, /usr/share/publicsuffix) pour trouver celui du domaine organisationnel",
                    en: "no DMARC record at _dmarc.\(domain.name), and the Public Suffix List could not be loaded (libpsl, /usr/share/publicsuffix) to find the organisational domain's"))
            }
            if let organisational = list.organisationalDomain(of: domain.name), organisational != domain.name {
                evidence["organisationalDomain"] = .string(organisational)
                let parent = await txt("_dmarc.\(organisational)", DMARCRecord.isDMARC)
                if parent.answer.failure != nil { return fail(.error, nil, parent.answer.localizedFailure) }
                if !parent.records.isEmpty {
                    records = parent.records
                    inherited = true
                    evidence["inheritedFrom"] = .string(organisational)
                }
            }
        }
        evidence["records"] = .strings(records)
        guard !records.isEmpty else { return fail(.fail, nil, LocalizedText(fr: "pas d'enregistrement DMARC (TXT « v=DMARC1; p=… ») sur _dmarc.\(domain.name)", en: "no DMARC record (TXT \"v=DMARC1; p=…\") at _dmarc.\(domain.name)")) }
        guard records.count == 1 else { return fail(.fail, nil, LocalizedText(fr: "\(records.count) enregistrements DMARC : les destinataires les ignorent tous (RFC 7489 §6.6.3)", en: "\(records.count) DMARC records: receivers ignore them all (RFC 7489 §6.6.3)")) }
        guard var record = DMARCRecord(records[0]) else { return fail(.fail, nil, LocalizedText(fr: "l'enregistrement ne commence pas par v=DMARC1", en: "the record does not start with v=DMARC1")) }
        if inherited, let subdomain = record.subdomainPolicy { record.policy = subdomain }
        if let policy = record.policy { evidence["policy"] = .string(policy) }
        if let sp = record.subdomainPolicy { evidence["subdomainPolicy"] = .string(sp) }
        evidence["pct"] = .int(record.percent)
        evidence["rua"] = .strings(record.aggregateReports)
        if record.policy == nil {
            return fail(.fail, nil, LocalizedText(fr: "politique invalide : ", en: "invalid policy: ") + record.problems.joined())
        }
        if record.policy == "none" { return fail(.warn, nil, LocalizedText(fr: "p=none : les messages usurpés sont toujours remis (surveillance seulement)", en: "p=none: spoofed messages are still delivered (monitoring only)")) }
        var weaknesses: [LocalizedText] = []
        if record.percent < 100 {
            weaknesses.append(LocalizedText(
                fr: "pct=\(record.percent) : la politique ne s'applique qu'à une partie du courriel", en: "pct=\(record.percent): the policy applies to part of the mail only"))
        }
        if record.aggregateReports.isEmpty {
            weaknesses.append(LocalizedText(fr: "pas de rua : personne ne reçoit les rapports agrégés", en: "no rua: nobody receives the aggregate reports"))
        }
        if !inherited, record.subdomainPolicy == "none" {
            weaknesses.append(LocalizedText(fr: "sp=none : les sous-domaines peuvent être usurpés", en: "sp=none: subdomains can be spoofed"))
        }
        weaknesses += record.problems
        if !weaknesses.isEmpty { return fail(.warn, nil, weaknesses.joined()) }
        return fail(.pass, nil, nil)
    }

    // MARK: - DKIM

    func dkim(_ mx: MailExchangers, spf: SPFAnalysis?, _ started: Stopwatch) async -> CheckResult {
        let code = "mail.dkim"
        if spf?.sendsNoMail == true {
            return make(code, target: domain.name, .skip, .info, ["spf": .strings(spf?.records ?? [])], reason: LocalizedText(fr: "le domaine n'envoie pas de courriel (v=spf1 -all)", en: "the domain sends no mail (v=spf1 -all)"), durationMs: started.elapsedMs)
        }
        guard !domain.dkimSelectors.isEmpty else {
            return make(code, target: domain.name, .skip, .info, reason: LocalizedText(fr: "aucun sélecteur DKIM déclaré (dkim_selectors) : les clés DKIM ne peuvent être listées depuis le DNS", en: "no DKIM selector declared (dkim_selectors): DKIM keys cannot be listed from DNS"), durationMs: started.elapsedMs)
        }
        var selectors: [String: JSONValue] = [:]
        var failures: [LocalizedText] = []
        var errors: [LocalizedText] = []
        var warnings: [LocalizedText] = []
        await withTaskGroup(of: (String, DNSAnswer).self) { group in
            for selector in domain.dkimSelectors {
                group.addTask { (selector, await self.environment.resolver.query("\(selector)._domainkey.\(self.domain.name)", .txt)) }
            }
            for await (selector, answer) in group {
                if answer.failure != nil {
                    errors.append(answer.localizedFailure)
                    selectors[selector] = .string("error")
                    continue
                }
                let texts = answer.records.compactMap(DNSRecords.txt)
                guard let text = texts.first(where: { DKIMKeyRecord($0) != nil }), let record = DKIMKeyRecord(text) else {
                    failures.append(LocalizedText(
                        fr: "sélecteur \(selector) : pas de clé DKIM sur \(selector)._domainkey.\(domain.name)",
                        en: "selector \(selector): no DKIM key at \(selector)._domainkey.\(domain.name)"))
                    selectors[selector] = .string("absent")
                    continue
                }
                var entry: [String: JSONValue] = ["keyType": .string(record.keyType)]
                if record.testing {
                    entry["testing"] = .bool(true)
                    warnings.append(LocalizedText(fr: "sélecteur \(selector) : mode test (t=y)", en: "selector \(selector): test mode (t=y)"))
                }
                if record.publicKey.isEmpty {
                    failures.append(LocalizedText(fr: "sélecteur \(selector) : clé révoquée (p= vide)", en: "selector \(selector): revoked key (empty p=)"))
                    entry["revoked"] = .bool(true)
                } else if record.keyType == "ed25519" {
                    if record.publicKey.count != 32 { failures.append(LocalizedText(
                        fr: "sélecteur \(selector) : une clé Ed25519 fait 32 octets, lu \(record.publicKey.count)",
                        en: "selector \(selector): an Ed25519 key is 32 bytes, found \(record.publicKey.count)")) }
                    entry["bits"] = .int(256)
                } else if record.keyType == "rsa" {
                    if let key = PublicKeyDescription(subjectPublicKeyInfoDER: record.publicKey), key.algorithm == "RSA" {
                        entry["bits"] = .int(key.bits)
                        if key.bits < 1024 {
                            failures.append(LocalizedText(
                                fr: "sélecteur \(selector) : clé RSA de \(key.bits) bits, moins de 1024 (RFC 8301 §3.2)",
                                en: "selector \(selector): RSA key of \(key.bits) bits, under 1024 (RFC 8301 §3.2)"))
                        } else if key.bits < 2048 {
                            warnings.append(LocalizedText(
                                fr: "sélecteur \(selector) : clé RSA de \(key.bits) bits, moins de 2048 (RFC 8301, RGS B1)",
                                en: "selector \(selector): RSA key of \(key.bits) bits, under 2048 (RFC 8301, RGS B1)"))
                        }
                    } else {
                        failures.append(LocalizedText(
                            fr: "sélecteur \(selector) : la clé p= n'est pas une SubjectPublicKeyInfo RSA",
                            en: "selector \(selector): the p= key is not an RSA SubjectPublicKeyInfo"))
                    }
                } else {
                    failures.append(LocalizedText(
                        fr: "sélecteur \(selector) : type de clé inconnu k=\(record.keyType)", en: "selector \(selector): unknown key type k=\(record.keyType)"))
                }
                selectors[selector] = .object(entry)
            }
        }
        let evidence: [String: JSONValue] = ["selectors": .object(selectors)]
        if !failures.isEmpty { return make(code, target: domain.name, .fail, nil, evidence, reason: failures.sorted { $0.en < $1.en }.joined(), durationMs: started.elapsedMs) }
        if !errors.isEmpty { return make(code, target: domain.name, .error, nil, evidence, reason: errors.sorted { $0.en < $1.en }.joined(), durationMs: started.elapsedMs) }
        if !warnings.isEmpty { return make(code, target: domain.name, .warn, nil, evidence, reason: warnings.sorted { $0.en < $1.en }.joined(), durationMs: started.elapsedMs) }
        return make(code, target: domain.name, .pass, nil, evidence, durationMs: started.elapsedMs)
    }

    // MARK: - MTA-STS

    func mtaSTS(_ mx: MailExchangers, _ started: Stopwatch) async -> CheckResult {
        let code = "mail.mta-sts"
        var evidence: [String: JSONValue] = ["mx": mx.evidence]
        func result(_ status: Status, _ reason: LocalizedText?) -> CheckResult {
            make(code, target: domain.name, status, nil, evidence, reason: reason, durationMs: started.elapsedMs)
        }
        if let failure = mx.failure { return result(.error, failure) }
        if let reason = mx.notReceivingReason { return make(code, target: domain.name, .skip, .info, evidence, reason: reason, durationMs: started.elapsedMs) }
        let (records, answer) = await txt("_mta-sts.\(domain.name)", MTASTSRecord.isSTS)
        if answer.failure != nil { return result(.error, answer.localizedFailure) }
        evidence["records"] = .strings(records)
        guard !records.isEmpty else { return result(.warn, LocalizedText(fr: "pas d'enregistrement MTA-STS sur _mta-sts.\(domain.name)", en: "no MTA-STS record at _mta-sts.\(domain.name)")) }
        guard records.count == 1 else { return result(.fail, LocalizedText(fr: "\(records.count) enregistrements MTA-STS (RFC 8461 §3.1 : les expéditeurs les ignorent)", en: "\(records.count) MTA-STS records (RFC 8461 §3.1: senders ignore them)")) }
        guard MTASTSRecord.id(records[0]) != nil else { return result(.fail, LocalizedText(fr: "enregistrement invalide « \(records[0]) » : v=STSv1; id=1 à 32 lettres ou chiffres attendu", en: "invalid record \"\(records[0])\": expected v=STSv1; id=1 to 32 letters or digits")) }
        let policyHost = "mta-sts.\(domain.name)"
        let (addresses, failure, _) = await addresses(policyHost)
        if let failure { return result(.error, failure) }
        guard let address = addresses.first else { return result(.fail, LocalizedText(fr: "\(policyHost) n'a pas d'adresse : la politique ne peut être récupérée", en: "\(policyHost) has no address: the policy cannot be fetched")) }
        let port = environment.ports.https
        var request = HTTPRequest(url: "https://\(Self.urlHost(policyHost, port: port, standard: 443))/.well-known/mta-sts.txt")
        request.connectTo = (policyHost, port, address)
        request.caFile = environment.caFile
        request.timeout = environment.connectionTimeout * 2
        let fetch = request
        let response = await Blocking.run { fetch.perform() }
        evidence["policyURL"] = .string(request.url)
        switch response.failure {
        case .certificate?:
            return result(.fail, LocalizedText(
                fr: "la politique n'est pas servie avec un certificat valide : \(response.error ?? "")",
                en: "the policy is not served with a valid certificate: \(response.error ?? "")"))
        case .refused?:
            return result(.fail, LocalizedText(
                fr: "rien ne répond en HTTPS sur \(policyHost) : \(response.error ?? "")", en: "nothing answers HTTPS at \(policyHost): \(response.error ?? "")"))
        case .other?:
            return result(.error, LocalizedText(
                fr: "récupération de \(request.url) : \(response.error ?? "")", en: "fetching \(request.url): \(response.error ?? "")"))
        case nil: break
        }
        guard response.status == 200 else { return result(.fail, LocalizedText(fr: "\(request.url) a répondu HTTP \(response.status ?? 0) (RFC 8461 §3.3 : 200 seulement, sans redirection)", en: "\(request.url) answered HTTP \(response.status ?? 0) (RFC 8461 §3.3: 200 only, no redirect)")) }
        let policy = MTASTSPolicy(String(decoding: response.body, as: UTF8.self))
        if let mode = policy.mode { evidence["mode"] = .string(mode) }
        evidence["policyMX"] = .strings(policy.mx)
        if let maxAge = policy.maxAge { evidence["maxAge"] = .int(maxAge) }
        guard policy.problems.isEmpty else { return result(.fail, LocalizedText(fr: "politique invalide : ", en: "invalid policy: ") + policy.problems.joined()) }
        let uncovered = mx.hosts.map(\.host).filter { !policy.covers($0) }
        if !uncovered.isEmpty {
            evidence["uncovered"] = .strings(uncovered)
            if policy.mode == "enforce" { return result(.fail, LocalizedText(
                fr: "hôtes MX non couverts par la politique : \(uncovered.joined(separator: ", ")) — les expéditeurs refusent de leur remettre",
                en: "MX hosts not covered by the policy: \(uncovered.joined(separator: ", ")) — senders refuse to deliver to them")) }
        }
        if policy.mode != "enforce" { return result(.warn, LocalizedText(
            fr: "mode: \(policy.mode ?? "?") : la politique n'est pas appliquée", en: "mode: \(policy.mode ?? "?"): the policy is not enforced")) }
        return result(.pass, nil)
    }

    // MARK: - TLS-RPT

    func tlsRPT(_ mx: MailExchangers, _ started: Stopwatch) async -> CheckResult {
        let code = "mail.tls-rpt"
        if let failure = mx.failure { return make(code, target: domain.name, .error, reason: failure, durationMs: started.elapsedMs) }
        if let reason = mx.notReceivingReason { return make(code, target: domain.name, .skip, .info, reason: reason, durationMs: started.elapsedMs) }
        let (records, answer) = await txt("_smtp._tls.\(domain.name)", TLSRPTRecord.isTLSRPT)
        let evidence: [String: JSONValue] = ["records": .strings(records)]
        if answer.failure != nil { return make(code, target: domain.name, .error, nil, evidence, reason: answer.localizedFailure, durationMs: started.elapsedMs) }
        guard !records.isEmpty else { return make(code, target: domain.name, .warn, nil, evidence, reason: LocalizedText(fr: "pas d'enregistrement TLS-RPT sur _smtp._tls.\(domain.name)", en: "no TLS-RPT record at _smtp._tls.\(domain.name)"), durationMs: started.elapsedMs) }
        guard records.count == 1 else { return make(code, target: domain.name, .fail, nil, evidence, reason: LocalizedText(fr: "\(records.count) enregistrements TLS-RPT (RFC 8460 §3 : un seul)", en: "\(records.count) TLS-RPT records (RFC 8460 §3: exactly one)"), durationMs: started.elapsedMs) }
        guard TLSRPTRecord.reportURIs(records[0]) != nil else {
            return make(code, target: domain.name, .fail, nil, evidence, reason: LocalizedText(fr: "enregistrement invalide : v=TLSRPTv1; rua=mailto:… ou https://… attendu", en: "invalid record: expected v=TLSRPTv1; rua=mailto:… or https://…"), durationMs: started.elapsedMs)
        }
        return make(code, target: domain.name, .pass, nil, evidence, durationMs: started.elapsedMs)
    }

    // MARK: - MX hosts: STARTTLS and DANE

    /// mail.starttls and mail.dane for every MX host (at most 10).
    func mailServers(_ mx: MailExchangers) async -> [CheckResult] {
        if let failure = mx.failure {
            return ["mail.starttls", "mail.dane"].map { make($0, target: domain.name, .error, reason: failure) }
        }
        if let reason = mx.notReceivingReason {
            return ["mail.starttls", "mail.dane"].map { make($0, target: domain.name, .skip, .info, ["mx": mx.evidence], reason: reason) }
        }
        return await withTaskGroup(of: (Int, [CheckResult]).self) { group in
            for (index, exchanger) in mx.hosts.prefix(10).enumerated() {
                group.addTask { (index, await self.mailServer(exchanger.host)) }
            }
            var byIndex: [Int: [CheckResult]] = [:]
            for await (index, results) in group { byIndex[index] = results }
            return byIndex.keys.sorted().flatMap { byIndex[$0]! }
        }
    }

    func mailServer(_ host: String) async -> [CheckResult] {
        let started = Stopwatch()
        let port = environment.ports.smtp
        let target = "\(host):\(port)"
        let (addresses, failure, _) = await addresses(host)
        if let failure { return ["mail.starttls", "mail.dane"].map { make($0, target: target, .error, reason: failure, durationMs: started.elapsedMs) } }
        guard let address = addresses.first else {
            return [
                make("mail.starttls", target: target, .fail, reason: LocalizedText(fr: "l'hôte MX \(host) n'a pas d'adresse", en: "the MX host \(host) has no address"), durationMs: started.elapsedMs),
                make("mail.dane", target: target, .skip, .info, reason: LocalizedText(fr: "l'hôte MX n'a pas d'adresse", en: "the MX host has no address")),
            ]
        }
        // DANE records are published for port 25 whatever port is probed (RFC 7672 §2.2.1).
        async let tlsaAnswer = environment.resolver.query("_25._tcp.\(host)", .tlsa)
        let timeout = environment.connectionTimeout
        let greeting: Result<SMTPGreeting, ProbeNetworkError> = await Blocking.run {
            do throws(ProbeNetworkError) { return .success(try SMTPGreeting.read(address: address, port: port, timeout: timeout)) } catch { return .failure(error) }
        }
        let tlsa = await tlsaAnswer
        var evidence: [String: JSONValue] = ["address": .string(address)]
        switch greeting {
        case .failure(let error):
            let reason = LocalizedText(
                fr: "SMTP sur \(address):\(port) : \(error.text.fr)" + (port == 25 ? " (le port 25 sortant est peut-être filtré depuis ce réseau)" : ""),
                en: "SMTP at \(address):\(port): \(error)" + (port == 25 ? " (outgoing port 25 may be filtered from this network)" : ""))
            return [make("mail.starttls", target: target, .error, nil, evidence, reason: reason, durationMs: started.elapsedMs),
                    dane(tlsa, chain: nil, target: target, chainProblem: reason, started)]
        case .success(let value):
            evidence["extensions"] = .strings(value.extensions)
            guard value.offersStartTLS else {
                return [make("mail.starttls", target: target, .fail, nil, evidence, reason: LocalizedText(fr: "\(host) ne propose pas STARTTLS : le courriel vers lui circule en clair", en: "\(host) does not offer STARTTLS: mail to it travels in clear"), durationMs: started.elapsedMs),
                        dane(tlsa, chain: nil, target: target, chainProblem: LocalizedText(fr: "pas de STARTTLS", en: "no STARTTLS"), started)]
            }
        }
        guard environment.mxTLS else {
            return [make("mail.starttls", target: target, .pass, nil, evidence, durationMs: started.elapsedMs),
                    dane(tlsa, chain: nil, target: target, chainProblem: LocalizedText(fr: "mx_tls est désactivé : la chaîne présentée n'a pas été lue", en: "mx_tls is off: the served chain was not read"), started)]
        }
        guard let prober = environment.prober else {
            return [make("mail.starttls", target: target, .error, nil, evidence, reason: LocalizedText(fr: "libssl n'a pas pu être préparée", en: "libssl could not be set up"), durationMs: started.elapsedMs)]
        }
        let report = await prober.probe(TLSEndpoint(host: address, port: port, serverName: host, startTLS: .smtp))
        let daneResult = dane(tlsa, chain: report.fatal == nil ? report.chain : nil, target: target, chainProblem: report.fatal.map(TLSEvaluation.text) ?? LocalizedText(fr: "aucun certificat présenté", en: "no certificate served"), started)
        let evaluation = TLSEvaluation(
            checkID: environment.checkID, trustStore: environment.trustStore, trustStoreProblem: environment.trustStoreProblem,
            now: environment.now, thresholds: CertificateRules.ExpiryThresholds(), nameKnown: true, web: .notWeb(LocalizedText(fr: "un serveur SMTP (STARTTLS), pas un service web", en: "an SMTP server (STARTTLS), not a web service")))
        // With matching DANE records, the certificate's names, authority and dates are not checked (RFC 7672 §3.1.1, §3.1.2).
        let daneAuthenticates = daneResult.status == .pass
        let ignored: Set<String> = daneAuthenticates
            ? ["tls.ocsp-stapling", "tls.hsts", "tls.cert.trust", "tls.cert.hostname", "tls.cert.expiry"] : ["tls.ocsp-stapling", "tls.hsts"]
        let tlsResults = evaluation.results(for: report).filter { !ignored.contains($0.code) && $0.status != .skip }
        var statuses: [String: JSONValue] = [:]
        for result in tlsResults { statuses[result.code] = .string(result.status.rawValue) }
        evidence["tls"] = .object(statuses)
        evidence["versions"] = .strings(report.acceptedVersions.map(\.name))
        let failing = tlsResults.filter { $0.status == .fail }
        let erring = tlsResults.filter { $0.status == .error }
        let warning = tlsResults.filter { $0.status == .warn }
        func summary(_ results: [CheckResult]) -> LocalizedText {
            results.map { result in
                LocalizedText(
                    fr: result.code + (result.reason(in: .fr).map { " : \($0)" } ?? ""), en: result.code + (result.reason.map { ": \($0)" } ?? ""))
            }.joined()
        }
        let starttls: CheckResult
        if !failing.isEmpty {
            starttls = make("mail.starttls", target: target, .fail, failing.map(\.severity).max(), evidence, reason: summary(failing), durationMs: started.elapsedMs)
        } else if !erring.isEmpty {
            starttls = make("mail.starttls", target: target, .error, nil, evidence, reason: summary(erring), durationMs: started.elapsedMs)
        } else if !warning.isEmpty {
            starttls = make("mail.starttls", target: target, .warn, warning.map(\.severity).max(), evidence, reason: summary(warning), durationMs: started.elapsedMs)
        } else {
            starttls = make("mail.starttls", target: target, .pass, nil, evidence, durationMs: started.elapsedMs)
        }
        return [starttls, daneResult]
    }

    /// mail.dane for one MX host from its TLSA answer and served chain.
    func dane(_ answer: DNSAnswer, chain: [X509Certificate]?, target: String, chainProblem: LocalizedText, _ started: Stopwatch) -> CheckResult {
        let code = "mail.dane"
        if answer.failure != nil { return make(code, target: target, .error, reason: answer.localizedFailure, durationMs: started.elapsedMs) }
        let records = answer.records.compactMap(DNSRecords.tlsa)
        guard !records.isEmpty else { return make(code, target: target, .skip, .info, reason: LocalizedText(fr: "pas d'enregistrement TLSA sur \(answer.name) (DANE non employé)", en: "no TLSA record at \(answer.name) (DANE not used)"), durationMs: started.elapsedMs) }
        var evidence: [String: JSONValue] = ["tlsa": .strings(records.map(\.presentation)), "dnssec": .string(answer.security == .secure ? "secure" : "insecure")]
        guard answer.security == .secure else {
            return make(code, target: target, .fail, nil, evidence, reason: LocalizedText(fr: "enregistrements TLSA non validés par DNSSEC : les expéditeurs les ignorent (RFC 7672 §2.2)", en: "TLSA records not validated by DNSSEC: senders ignore them (RFC 7672 §2.2)"), durationMs: started.elapsedMs)
        }
        let usable = records.filter(DANEMatch.isUsableForSMTP)
        guard !usable.isEmpty else {
            return make(code, target: target, .fail, nil, evidence, reason: LocalizedText(fr: "aucun enregistrement TLSA utilisable : seuls DANE-TA(2) et DANE-EE(3) s'appliquent à SMTP (RFC 7672 §3.1.3)", en: "no usable TLSA record: only DANE-TA(2) and DANE-EE(3) apply to SMTP (RFC 7672 §3.1.3)"), durationMs: started.elapsedMs)
        }
        guard let chain, !chain.isEmpty else {
            return make(code, target: target, .error, nil, evidence, reason: LocalizedText(fr: "le certificat présenté n'a pas pu être lu : \(chainProblem.fr)", en: "the served certificate could not be read: \(chainProblem.en)"), durationMs: started.elapsedMs)
        }
        let matching = DANEMatch.matching(usable, chain: chain)
        evidence["matching"] = .strings(matching.map(\.presentation))
        evidence["leafSPKISHA256"] = .string(Digest.hex(Digest.sha256(chain[0].subjectPublicKeyInfoDER)))
        guard !matching.isEmpty else {
            return make(code, target: target, .fail, nil, evidence, reason: LocalizedText(fr: "aucun enregistrement TLSA ne correspond à la chaîne de certificats présentée : les expéditeurs DANE refusent de remettre", en: "no TLSA record matches the served certificate chain: DANE senders refuse to deliver"), durationMs: started.elapsedMs)
        }
        return make(code, target: target, .pass, nil, evidence, durationMs: started.elapsedMs)
    }
}
