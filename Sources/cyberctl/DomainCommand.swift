import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import Model
import Territory

extension Cyberctl {
    /// Checks domain names with the same engine and rules as the `exposition.domains` check of `scan`.
    struct DomainCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "domain",
            abstract: "Contrôle des noms de domaine vus d'Internet : SPF, DMARC, DKIM, MTA-STS, DNSSEC, HTTPS (check domain names as attackers see them).",
            discussion: """
                Chaque NOM est un domaine (mairie-exemple.fr). Les résultats sont ceux du contrôle exposition.domains de
                `cyberctl scan` : authentification des courriels, chiffrement vers les MX, DNSSEC, CAA, serveurs DNS,
                HTTPS, HSTS, security.txt. Le DNS passe par libunbound, qui valide DNSSEC avec l'ancre de confiance du système.

                Each NAME is a domain (mairie-exemple.fr). Results are those of the exposition.domains check of `cyberctl
                scan`: mail authentication, encryption towards the MX hosts, DNSSEC, CAA, name servers, HTTPS, HSTS,
                security.txt. DNS goes through libunbound, which validates DNSSEC from the system's trust anchor.

                Avec --roster FICHIER, contrôle les domaines (`domains:`) de chaque entité du périmètre du territoire
                (docs/territory.md), résultats regroupés par entité (SIREN dans le JSON).
                With --roster FILE, checks the domains (`domains:`) of every entity of the territory roster, results
                grouped by entity (SIREN in the JSON).
                """)

        @Argument(help: "Noms de domaine à contrôler (domain names).")
        var names: [String] = []

        @Option(help: "Périmètre du territoire (YAML) : contrôle les domaines de chaque entité (roster file: check every entity's domains).", completion: .file())
        var roster: String?

        @Option(name: .customLong("dkim-selector"), help: "Sélecteur DKIM à vérifier, répétable (DKIM selector, repeatable).")
        var dkimSelectors: [String] = []

        @Option(help: "Résolveur DNS à interroger, IP[@PORT], répétable ; par défaut : ceux de /etc/resolv.conf (DNS forwarder).")
        var resolver: [String] = []

        @Option(name: .customLong("trust-anchor"), help: "Ancre de confiance DNSSEC ; par défaut : /usr/share/dns/root.key ; none : pas de validation (DNSSEC trust anchor).", completion: .file())
        var trustAnchor: String?

        @Option(name: .customLong("ca-file"), help: "Fichier PEM des autorités de confiance pour HTTPS et les MX ; par défaut : celles du système (trust anchors).", completion: .file())
        var caFile: String?

        @Option(name: .customLong("dns-timeout"), help: "Délai par requête DNS : 5, 5s, 1min ; un nombre seul compte en secondes ; au plus 600 s ; \(DurationOption.unitsHelpFrench) (per-query timeout: 5, 5s, 1min; a bare number counts seconds; at most 600 s; \(DurationOption.unitsHelpEnglish)).")
        var dnsTimeoutText = DurationArgument("5")

        @Option(name: .customLong("connection-timeout"), help: "Délai par connexion : 5, 5s, 1min ; un nombre seul compte en secondes ; au plus 600 s ; \(DurationOption.unitsHelpFrench) (per-connection timeout: 5, 5s, 1min; a bare number counts seconds; at most 600 s; \(DurationOption.unitsHelpEnglish)).")
        var connectionTimeoutText = DurationArgument("5")

        @Option(name: .customLong("domain-deadline"), help: "Délai total par domaine : 120, 2min ; un nombre seul compte en secondes ; au plus 600 s ; \(DurationOption.unitsHelpFrench) (per-domain deadline: 120, 2min; a bare number counts seconds; at most 600 s; \(DurationOption.unitsHelpEnglish)).")
        var domainDeadlineText = DurationArgument("120")

        /// `--dns-timeout`, `--connection-timeout`, `--domain-deadline` in seconds, read by the shared duration parser.
        func seconds(_ name: String, _ text: DurationArgument) throws(ValidationError) -> Double {
            try DurationOption.seconds(name, maximum: 600).seconds(text, language: options.lang)
        }

        @Option(help: "Domaines contrôlés en parallèle (domains checked at once).")
        var concurrency = 8

        @Flag(name: .customLong("no-mx-tls"), help: "Ne sonde pas le TLS des serveurs MX (no TLS probe of the MX hosts).")
        var noMXTLS = false

        @Option(name: .customLong("smtp-port"), help: .hidden) var smtpPort: UInt16 = 25
        @Option(name: .customLong("http-port"), help: .hidden) var httpPort: UInt16 = 80
        @Option(name: .customLong("https-port"), help: .hidden) var httpsPort: UInt16 = 443
        @Option(name: .customLong("dns-port"), help: .hidden) var dnsPort: UInt16 = 53

        @OptionGroup var options: RunOptions

        func validate() throws {
            let english = options.lang == .en
            guard roster == nil || names.isEmpty else {
                throw ValidationError(english ? "Please give domain names or --roster, not both." : "Donnez des noms de domaine ou --roster, pas les deux.")
            }
            guard !names.isEmpty || roster != nil else {
                throw ValidationError(english ? "Please give at least one domain name, or --roster FILE." : "Donnez au moins un nom de domaine, ou --roster FICHIER.")
            }
            for name in names {
                if let problem = DeclaredDomain.problem(name) { throw ValidationError(problem) }
            }
            for selector in dkimSelectors {
                if let problem = DeclaredDomain.selectorProblem(selector) { throw ValidationError(problem) }
            }
            for forwarder in resolver {
                if let problem = DomainExposureCheck.forwarderProblem(forwarder) { throw ValidationError(problem) }
            }
            _ = try seconds("--dns-timeout", dnsTimeoutText)
            _ = try seconds("--connection-timeout", connectionTimeoutText)
            _ = try seconds("--domain-deadline", domainDeadlineText)
            guard (1...64).contains(concurrency) else {
                throw ValidationError(english ? "Please give --concurrency between 1 and 64." : "--concurrency doit être compris entre 1 et 64.")
            }
            guard [smtpPort, httpPort, httpsPort, dnsPort].allSatisfy({ $0 > 0 }) else {
                throw ValidationError(english ? "Ports are between 1 and 65535." : "Les ports sont compris entre 1 et 65535.")
            }
        }

        /// An existing file given on the command line, made absolute; exit 66 when missing.
        func existingFile(_ path: String, what: (fr: String, en: String)) throws -> String {
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            guard FileManager.default.fileExists(atPath: absolute) else {
                throw failure(reporting: InputError(.missing, file: path, fr: what.fr, en: what.en), language: options.lang)
            }
            return absolute
        }

        func run() async throws {
            var check = DomainExposureCheck()
            var groups: [DomainRosterGroups.Entity] = []
            if let roster {
                let loaded: Roster
                do { loaded = try Roster.load(path: roster) } catch { throw rosterFailure(error, language: options.lang) }
                groups = DomainRosterGroups.entities(loaded)
                guard !groups.isEmpty else {
                    throw failure(reporting: InputError(.invalidData, file: roster, fr: "aucune entité du périmètre ne déclare de domaines (domains: [mairie-exemple.fr] sous territory ou un membre)",
                                                                                    en: "no entity of the roster declares domains (domains: [mairie-exemple.fr] under territory or a member)"), language: options.lang)
                }
                check.domains = DomainRosterGroups.uniqueDomains(groups).map { DeclaredDomain(name: $0) }
            } else {
                check.domains = names.map { DeclaredDomain(name: $0) }
            }
            check.dkimSelectors = dkimSelectors
            check.resolver = resolver
            check.dnsTimeout = try seconds("--dns-timeout", dnsTimeoutText)
            check.connectionTimeout = try seconds("--connection-timeout", connectionTimeoutText)
            check.domainDeadline = try seconds("--domain-deadline", domainDeadlineText)
            check.concurrency = concurrency
            check.mxTLS = !noMXTLS
            check.ports.smtp = smtpPort
            check.ports.http = httpPort
            check.ports.https = httpsPort
            check.ports.dns = dnsPort
            if let trustAnchor {
                check.trustAnchor = trustAnchor == "none" ? "none"
                    : try existingFile(trustAnchor, what: ("ancre de confiance DNSSEC introuvable", "DNSSEC trust anchor not found"))
            }
            if let caFile {
                check.caFile = try existingFile(caFile, what: ("fichier des autorités de confiance introuvable", "CA file not found"))
            }
            // A rule that could not be checked counts as a finding: nothing says it is fine.
            let failOn = options.failOn
            func fails(_ result: CheckResult) -> Bool { failOn.isTripped(by: result) }
            var failed = false
            if roster != nil {
                var byDomain: [String: [CheckResult]] = [:]
                await check.run(CheckContext(root: .system), byDomain: { domain, results in
                    if let domain { byDomain[domain.name, default: []] += results }
                })
                let all = byDomain.values.flatMap { $0 }
                DomainRosterGroups.write(groups, results: byDomain, options: options)
                if all.contains(where: fails) { throw ExitCode(1) }
                return
            }
            switch options.format {
            case .json:
                var writer = StreamingAdHocJSON()
                await check.run(CheckContext(root: .system)) { results in
                    failed = failed || results.contains(where: fails)
                    writer.write(results)
                }
                writer.finish()
            case .table:
                let results = await check.run(CheckContext(root: .system))
                emitAdHocResults(results, options: options)
                failed = results.contains(where: fails)
            }
            if failed { throw ExitCode(1) }
        }
    }
}
