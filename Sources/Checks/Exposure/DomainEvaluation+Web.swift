import FoundationEssentials
import Model
import NIS2

/// Web rules: HTTPS, http→https redirect, HSTS on the domain and `www.`, security.txt.
extension DomainEvaluation {
    /// What one web host answered.
    struct WebHost: Sendable {
        let host: String
        var address: String?
        /// Why the host was not asked (no address: skip; DNS failure: error).
        var dnsFailure: LocalizedText?
        var https: HTTPRequest.Response?
        var http: HTTPRequest.Response?
    }

    func web() async -> [CheckResult] {
        let started = Stopwatch()
        async let apex = webHost(domain.name)
        async let www = webHost("www.\(domain.name)")
        let hosts = await [apex, www]
        var results: [CheckResult] = []
        for host in hosts { results.append(https(host, started)) }
        for host in hosts { results.append(redirect(host, started)) }
        for host in hosts { results.append(hsts(host, started)) }
        results.append(await securityTxt(hosts, started))
        return results
    }

    func request(_ url: String, host: String, port: UInt16, address: String) -> HTTPRequest {
        var request = HTTPRequest(url: url)
        request.connectTo = (host, port, address)
        request.caFile = environment.caFile
        request.timeout = environment.connectionTimeout * 2
        return request
    }

    func webHost(_ host: String) async -> WebHost {
        var web = WebHost(host: host)
        let (addresses, failure, _) = await addresses(host)
        if let failure {
            web.dnsFailure = failure
            return web
        }
        guard let address = addresses.first else { return web }
        web.address = address
        let ports = environment.ports
        let https = request("https://\(Self.urlHost(host, port: ports.https, standard: 443))/", host: host, port: ports.https, address: address)
        let http = request("http://\(Self.urlHost(host, port: ports.http, standard: 80))/", host: host, port: ports.http, address: address)
        async let secure = Blocking.run { https.perform() }
        async let plain = Blocking.run { http.perform() }
        (web.https, web.http) = await (secure, plain)
        return web
    }

    /// Skip or error when the host could not be asked; nil when it was.
    func notAsked(_ code: String, _ host: WebHost, _ started: Stopwatch) -> CheckResult? {
        if let failure = host.dnsFailure { return make(code, target: host.host, .error, reason: failure, durationMs: started.elapsedMs) }
        if host.address == nil { return make(code, target: host.host, .skip, .info, reason: LocalizedText(fr: "\(host.host) n'a pas d'adresse (pas de site web sous ce nom)", en: "\(host.host) has no address (no web site on this name)"), durationMs: started.elapsedMs) }
        return nil
    }

    func https(_ host: WebHost, _ started: Stopwatch) -> CheckResult {
        let code = "web.https"
        if let result = notAsked(code, host, started) { return result }
        guard let https = host.https, let http = host.http else { return make(code, target: host.host, .error, reason: LocalizedText(fr: "non demandé", en: "not asked")) }
        var evidence: [String: JSONValue] = ["address": .string(host.address ?? "")]
        if let status = https.status { evidence["httpsStatus"] = .int(status) }
        if let status = http.status { evidence["httpStatus"] = .int(status) }
        switch https.failure {
        case nil:
            return make(code, target: host.host, .pass, nil, evidence, durationMs: started.elapsedMs)
        case .certificate?:
            return make(code, target: host.host, .fail, nil, evidence, reason: LocalizedText(
                fr: "le certificat HTTPS n'est pas valide pour \(host.host) : \(https.error ?? "")", en: "the HTTPS certificate is not valid for \(host.host): \(https.error ?? "")"), durationMs: started.elapsedMs)
        case .refused?:
            switch http.failure {
            case nil: return make(code, target: host.host, .fail, nil, evidence, reason: LocalizedText(fr: "\(host.host) répond seulement en http:// (connexion HTTPS refusée)", en: "\(host.host) answers on http:// only (HTTPS connection refused)"), durationMs: started.elapsedMs)
            case .refused?: return make(code, target: host.host, .skip, .info, evidence, reason: LocalizedText(fr: "pas de service web sur \(host.host) (connexions HTTP et HTTPS refusées)", en: "no web service at \(host.host) (HTTP and HTTPS connections refused)"), durationMs: started.elapsedMs)
            default: return make(code, target: host.host, .error, nil, evidence, reason: LocalizedText(fr: "HTTPS refusé, HTTP : \(http.error ?? "")", en: "HTTPS refused, HTTP: \(http.error ?? "")"), durationMs: started.elapsedMs)
            }
        case .other?:
            return make(code, target: host.host, .error, nil, evidence, reason: LocalizedText(fr: "la requête HTTPS a échoué : \(https.error ?? "")", en: "HTTPS request failed: \(https.error ?? "")"), durationMs: started.elapsedMs)
        }
    }

    func redirect(_ host: WebHost, _ started: Stopwatch) -> CheckResult {
        let code = "web.redirect"
        if let result = notAsked(code, host, started) { return result }
        guard let http = host.http, let https = host.https else { return make(code, target: host.host, .error, reason: LocalizedText(fr: "non demandé", en: "not asked")) }
        var evidence: [String: JSONValue] = [:]
        switch http.failure {
        case .refused?:
            if https.failure == .refused {
                return make(code, target: host.host, .skip, .info, reason: LocalizedText(fr: "pas de service web sur \(host.host)", en: "no web service at \(host.host)"), durationMs: started.elapsedMs)
            }
            return make(code, target: host.host, .pass, nil, ["http": .string("refused")], durationMs: started.elapsedMs)
        case .other?, .certificate?:
            return make(code, target: host.host, .error, nil, evidence, reason: LocalizedText(fr: "la requête HTTP a échoué : \(http.error ?? "")", en: "HTTP request failed: \(http.error ?? "")"), durationMs: started.elapsedMs)
        case nil: break
        }
        let status = http.status ?? 0
        evidence["httpStatus"] = .int(status)
        if let location = http.redirectURL ?? http.headers["location"] { evidence["location"] = .string(location) }
        guard [301, 302, 303, 307, 308].contains(status), let location = http.redirectURL ?? http.headers["location"] else {
            return make(code, target: host.host, .fail, nil, evidence, reason: LocalizedText(fr: "http://\(host.host)/ répond \(status) sans rediriger vers https://", en: "http://\(host.host)/ answers \(status) without redirecting to https://"), durationMs: started.elapsedMs)
        }
        guard let components = URLComponents(string: location), components.scheme?.lowercased() == "https" else {
            return make(code, target: host.host, .fail, nil, evidence, reason: LocalizedText(fr: "http://\(host.host)/ redirige vers \(location), pas vers https://", en: "http://\(host.host)/ redirects to \(location), not to https://"), durationMs: started.elapsedMs)
        }
        if components.host?.lowercased() != host.host {
            return make(code, target: host.host, .warn, nil, evidence, reason: LocalizedText(
                fr: "http://\(host.host)/ redirige vers un autre hôte (\(components.host ?? "")) avant https://\(host.host) (RFC 6797 §7.2)",
                en: "http://\(host.host)/ redirects to another host (\(components.host ?? "")) before https://\(host.host) (RFC 6797 §7.2)"), durationMs: started.elapsedMs)
        }
        return make(code, target: host.host, .pass, nil, evidence, durationMs: started.elapsedMs)
    }

    func hsts(_ host: WebHost, _ started: Stopwatch) -> CheckResult {
        let code = "web.hsts"
        if let result = notAsked(code, host, started) { return result }
        guard let https = host.https else { return make(code, target: host.host, .error, reason: LocalizedText(fr: "non demandé", en: "not asked")) }
        switch https.failure {
        case .refused?, .certificate?:
            // Browsers ignore HSTS received over a connection with certificate errors (RFC 6797 §8.1).
            return make(code, target: host.host, .skip, .info, reason: LocalizedText(fr: "pas de réponse HTTPS valide (voir web.https)", en: "no valid HTTPS answer (see web.https)"), durationMs: started.elapsedMs)
        case .other?:
            return make(code, target: host.host, .error, reason: LocalizedText(fr: "la requête HTTPS a échoué : \(https.error ?? "")", en: "HTTPS request failed: \(https.error ?? "")"), durationMs: started.elapsedMs)
        case nil: break
        }
        guard let header = https.headers["strict-transport-security"] else {
            return make(code, target: host.host, .fail, reason: LocalizedText(fr: "pas d'en-tête Strict-Transport-Security sur https://\(host.host)/", en: "no Strict-Transport-Security header on https://\(host.host)/"), durationMs: started.elapsedMs)
        }
        var evidence: [String: JSONValue] = ["header": .string(header)]
        let maxAge: Int
        switch HTTPSecurityFacts.hsts(header) {
        case .valid(let value): maxAge = value
        case .ignored(let why):
            return make(code, target: host.host, .fail, nil, evidence, reason: why, durationMs: started.elapsedMs)
        }
        evidence["maxAge"] = .int(maxAge)
        if maxAge < 31_536_000 {
            return make(code, target: host.host, maxAge == 0 ? .fail : .warn, nil, evidence, reason: LocalizedText(fr: "max-age=\(maxAge), moins d'un an (31536000 s)", en: "max-age=\(maxAge), under one year (31536000 s)"), durationMs: started.elapsedMs)
        }
        return make(code, target: host.host, .pass, nil, evidence, durationMs: started.elapsedMs)
    }

    /// web.security-txt on the domain's web site (the apex, else www).
    func securityTxt(_ hosts: [WebHost], _ started: Stopwatch) async -> CheckResult {
        let code = "web.security-txt"
        if let failed = hosts.first(where: { $0.dnsFailure != nil }), hosts.allSatisfy({ $0.address == nil }) {
            return make(code, target: domain.name, .error, reason: failed.dnsFailure, durationMs: started.elapsedMs)
        }
        guard let site = hosts.first(where: { $0.address != nil && ($0.https?.failure != .refused || $0.http?.failure != .refused) }),
              let address = site.address else {
            return make(code, target: domain.name, .skip, .info, reason: LocalizedText(fr: "pas de site web sur \(domain.name) ni www.\(domain.name)", en: "no web site on \(domain.name) or www.\(domain.name)"), durationMs: started.elapsedMs)
        }
        let port = environment.ports.https
        let url = "https://\(Self.urlHost(site.host, port: port, standard: 443))/.well-known/security.txt"
        let request = request(url, host: site.host, port: port, address: address)
        let response = await Blocking.run { request.perform() }
        var evidence: [String: JSONValue] = ["url": .string(url)]
        let target = site.host
        switch response.failure {
        case .refused?: return make(code, target: target, .fail, nil, evidence, reason: LocalizedText(fr: "security.txt doit être servi en HTTPS (RFC 9116 §3) : HTTPS refusé", en: "security.txt must be served over HTTPS (RFC 9116 §3): HTTPS refused"), durationMs: started.elapsedMs)
        case .certificate?: return make(code, target: target, .fail, nil, evidence, reason: LocalizedText(
            fr: "security.txt n'est pas servi en HTTPS valide (RFC 9116 §3) : \(response.error ?? "")",
            en: "security.txt is not served over valid HTTPS (RFC 9116 §3): \(response.error ?? "")"), durationMs: started.elapsedMs)
        case .other?: return make(code, target: target, .error, nil, evidence, reason: LocalizedText(fr: "récupération de \(url) : \(response.error ?? "")", en: "fetching \(url): \(response.error ?? "")"), durationMs: started.elapsedMs)
        case nil: break
        }
        let status = response.status ?? 0
        evidence["status"] = .int(status)
        guard status == 200 else {
            return make(code, target: target, .warn, nil, evidence, reason: LocalizedText(fr: "pas de security.txt (\(url) a répondu \(status))", en: "no security.txt (\(url) answered \(status))"), durationMs: started.elapsedMs)
        }
        let file = SecurityTxt(String(decoding: response.body, as: UTF8.self))
        evidence["contact"] = .strings(file.contacts)
        evidence["expires"] = .strings(file.expiresValues)
        var failures: [LocalizedText] = []
        if file.contacts.isEmpty { failures.append(LocalizedText(fr: "pas de champ Contact (RFC 9116 §2.5.3)", en: "no Contact field (RFC 9116 §2.5.3)")) }
        if file.expiresValues.count != 1 {
            failures.append(LocalizedText(
                fr: "\(file.expiresValues.count) champs Expires, un seul est exigé (RFC 9116 §2.5.5)",
                en: "\(file.expiresValues.count) Expires fields, exactly one is required (RFC 9116 §2.5.5)"))
        } else if file.expires == nil {
            failures.append(LocalizedText(
                fr: "Expires « \(file.expiresValues[0]) » n'est pas une date RFC 3339", en: "Expires \"\(file.expiresValues[0])\" is not an RFC 3339 date"))
        }
        if let expires = file.expires, expires <= environment.now {
            failures.append(LocalizedText(fr: "expiré le \(file.expiresValues[0])", en: "expired on \(file.expiresValues[0])"))
        }
        if !failures.isEmpty { return make(code, target: target, .fail, nil, evidence, reason: failures.joined(), durationMs: started.elapsedMs) }
        var warnings: [LocalizedText] = []
        if let expires = file.expires, expires.timeIntervalSince(environment.now) > 366 * 86_400 {
            warnings.append(LocalizedText(
                fr: "Expires à plus d'un an (RFC 9116 §2.5.5 recommande moins)", en: "Expires more than a year ahead (RFC 9116 §2.5.5 recommends less)"))
        }
        if let type = response.headers["content-type"], !type.lowercased().hasPrefix("text/plain") {
            warnings.append(LocalizedText(fr: "servi comme \(type), pas text/plain (RFC 9116 §3)", en: "served as \(type), not text/plain (RFC 9116 §3)"))
        }
        if !warnings.isEmpty { return make(code, target: target, .warn, nil, evidence, reason: warnings.joined(), durationMs: started.elapsedMs) }
        return make(code, target: target, .pass, nil, evidence, durationMs: started.elapsedMs)
    }
}
