import FoundationEssentials
import Model
import NIS2

/// DNS rules: DNSSEC, CAA, name servers.
extension DomainEvaluation {
    /// dns.dnssec from the validation state of the domain's SOA answer.
    func dnssec(_ soa: DNSAnswer, _ started: Stopwatch) async -> CheckResult {
        let code = "dns.dnssec"
        guard let anchor = environment.resolverConfiguration.trustAnchorFile else {
            return make(code, target: domain.name, .error, reason: LocalizedText(fr: "pas d'ancre de confiance DNSSEC (trust_anchor: none, ou \(DNSResolverConfiguration.systemTrustAnchor) absent : installez dns-root-data) : la validation est désactivée", en: "no DNSSEC trust anchor (trust_anchor: none, or \(DNSResolverConfiguration.systemTrustAnchor) absent: install dns-root-data): validation is off"), durationMs: started.elapsedMs)
        }
        let evidence: [String: JSONValue] = ["trustAnchor": .string(anchor)]
        switch soa.security {
        case .bogus(let why):
            return make(code, target: domain.name, .fail, .high, evidence.merging(["state": .string("bogus"), "whyBogus": .string(why)]) { $1 },
                        reason: LocalizedText(fr: "les signatures DNSSEC ne se valident pas (bogus) : \(why)", en: "DNSSEC signatures do not validate (bogus): \(why)"), durationMs: started.elapsedMs)
        case _ where soa.failure != nil:
            return make(code, target: domain.name, .error, nil, evidence, reason: soa.localizedFailure, durationMs: started.elapsedMs)
        case .secure:
            return make(code, target: domain.name, .pass, nil, evidence.merging(["state": .string("secure")]) { $1 }, durationMs: started.elapsedMs)
        case .insecure:
            return make(code, target: domain.name, .fail, nil, evidence.merging(["state": .string("insecure")]) { $1 },
                        reason: LocalizedText(fr: "le domaine n'est pas signé avec DNSSEC (insecure)", en: "the domain is not signed with DNSSEC (insecure)"), durationMs: started.elapsedMs)
        }
    }

    /// dns.caa: the CAA set that applies to the domain, climbing to its parents (RFC 8659 §3), the TLD excluded.
    func caa(_ started: Stopwatch) async -> CheckResult {
        let code = "dns.caa"
        var labels = domain.name.split(separator: ".").map(String.init)
        while labels.count >= 2 {
            let name = labels.joined(separator: ".")
            let answer = await environment.resolver.query(name, .caa)
            if answer.failure != nil { return make(code, target: domain.name, .error, reason: answer.localizedFailure, durationMs: started.elapsedMs) }
            let records = answer.records.compactMap(DNSRecords.caa)
            if !records.isEmpty {
                var evidence: [String: JSONValue] = ["records": .strings(records.map { "\($0.critical ? 128 : 0) \($0.tag) \"\($0.value)\"" })]
                if name != domain.name { evidence["foundAt"] = .string(name) }
                if records.contains(where: { $0.tag == "issue" || $0.tag == "issuewild" }) {
                    return make(code, target: domain.name, .pass, nil, evidence, durationMs: started.elapsedMs)
                }
                return make(code, target: domain.name, .warn, nil, evidence, reason: LocalizedText(fr: "enregistrements CAA sans étiquette issue ni issuewild : toute autorité peut émettre", en: "CAA records without an issue or issuewild tag: any authority may issue"), durationMs: started.elapsedMs)
            }
            labels.removeFirst()
        }
        return make(code, target: domain.name, .warn, reason: LocalizedText(fr: "pas d'enregistrement CAA : toute autorité de certification peut émettre un certificat pour le domaine", en: "no CAA record: any certification authority may issue a certificate for the domain"), durationMs: started.elapsedMs)
    }

    /// dns.ns-consistency: every name server of the delegation answers the zone's SOA, with one serial.
    func nameServers(_ started: Stopwatch) async -> CheckResult {
        let code = "dns.ns-consistency"
        let answer = await environment.resolver.query(domain.name, .ns)
        if answer.failure != nil { return make(code, target: domain.name, .error, reason: answer.localizedFailure, durationMs: started.elapsedMs) }
        let names = answer.records.compactMap(DNSRecords.host).sorted()
        guard !names.isEmpty else {
            return make(code, target: domain.name, .skip, .info, reason: LocalizedText(fr: "\(domain.name) n'est pas un sommet de zone (pas d'enregistrement NS) : les serveurs de sa zone sont contrôlés avec la zone", en: "\(domain.name) is not a zone apex (no NS records): its zone's servers are checked with the zone"), durationMs: started.elapsedMs)
        }
        struct ServerAnswer: Sendable { let name: String; let address: String?; let serial: UInt32?; let problem: LocalizedText? }
        let port = environment.ports.dns
        let timeout = environment.resolverConfiguration.queryTimeout
        let zone = domain.name
        let answers: [ServerAnswer] = await withTaskGroup(of: [ServerAnswer].self) { group in
            for name in names.prefix(8) {
                group.addTask {
                    let (addresses, failure, _) = await self.addresses(name)
                    if let failure { return [ServerAnswer(name: name, address: nil, serial: nil, problem: LocalizedText(fr: "erreur : ", en: "error: ") + failure)] }
                    guard !addresses.isEmpty else { return [ServerAnswer(name: name, address: nil, serial: nil, problem: LocalizedText(fr: "pas d'adresse", en: "no address"))] }
                    var found: [ServerAnswer] = []
                    for address in addresses.prefix(2) {
                        var configuration = DNSResolverConfiguration()
                        configuration.stub = (zone, "\(address)@\(port)")
                        configuration.queryTimeout = timeout
                        guard let direct = try? DNSResolver(configuration) else {
                            found.append(ServerAnswer(name: name, address: address, serial: nil, problem: LocalizedText(fr: "erreur : préparation du résolveur", en: "error: resolver set-up")))
                            continue
                        }
                        let soa = await direct.query(zone, .soa)
                        direct.close()
                        if soa.failure != nil {
                            found.append(ServerAnswer(name: name, address: address, serial: nil, problem: soa.failure.map(DNSAnswer.failureText)))
                        } else if let serial = soa.records.first.flatMap(DNSRecords.soaSerial) {
                            found.append(ServerAnswer(name: name, address: address, serial: serial, problem: nil))
                        } else {
                            found.append(ServerAnswer(name: name, address: address, serial: nil, problem: LocalizedText(fr: "pas de SOA pour la zone (ne fait pas autorité)", en: "no SOA for the zone (not authoritative)")))
                        }
                    }
                    return found
                }
            }
            var all: [ServerAnswer] = []
            for await part in group { all += part }
            return all.sorted { ($0.name, $0.address ?? "") < ($1.name, $1.address ?? "") }
        }
        var servers: [String: JSONValue] = [:]
        for server in answers {
            let key = server.address.map { "\(server.name) \($0)" } ?? server.name
            servers[key] = server.serial.map { .int(Int($0)) } ?? .string(server.problem?.en ?? "?")
        }
        let evidence: [String: JSONValue] = ["nameServers": .strings(names), "answers": .object(servers)]
        let silent = answers.filter { $0.serial == nil }
        if !silent.isEmpty {
            if silent.count == answers.count {
                return make(code, target: domain.name, .error, nil, evidence, reason: LocalizedText(
                    fr: "aucun serveur de noms n'a pu être interrogé directement : \(silent.map { "\($0.name) : \($0.problem?.fr ?? "")" }.joined(separator: " ; "))",
                    en: "no name server could be asked directly: \(silent.map { "\($0.name): \($0.problem?.en ?? "")" }.joined(separator: "; "))"),
                    durationMs: started.elapsedMs)
            }
            return make(code, target: domain.name, .fail, nil, evidence, reason: LocalizedText(
                    fr: "serveurs de noms qui ne répondent pas pour la zone : \(silent.map { "\($0.name)\($0.address.map { " (\($0))" } ?? "") : \($0.problem?.fr ?? "")" }.joined(separator: " ; "))",
                    en: "name servers not answering for the zone: \(silent.map { "\($0.name)\($0.address.map { " (\($0))" } ?? ""): \($0.problem?.en ?? "")" }.joined(separator: "; "))"),
                durationMs: started.elapsedMs)
        }
        let serials = Set(answers.compactMap(\.serial))
        if serials.count > 1 {
            return make(code, target: domain.name, .warn, nil, evidence, reason: LocalizedText(
                    fr: "les serveurs de noms servent des versions différentes de la zone (numéros de série SOA \(serials.sorted().map(String.init).joined(separator: ", ")))",
                    en: "name servers serve different versions of the zone (SOA serials \(serials.sorted().map(String.init).joined(separator: ", ")))"),
                durationMs: started.elapsedMs)
        }
        if names.count < 2 {
            return make(code, target: domain.name, .warn, nil, evidence, reason: LocalizedText(fr: "un seul serveur de noms (RFC 2182 §5 : au moins deux)", en: "a single name server (RFC 2182 §5: at least two)"), durationMs: started.elapsedMs)
        }
        return make(code, target: domain.name, .pass, nil, evidence, durationMs: started.elapsedMs)
    }
}
