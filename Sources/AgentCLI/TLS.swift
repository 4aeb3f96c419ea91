import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import Model
import TLSProbe

extension StartTLSProtocol: ExpressibleByArgument {}

extension AgentCommand {
    /// Probes TLS endpoints with the same engine and rules as `scan`.
    struct TLS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tls",
            abstract: "Contrôle la configuration TLS de services (check TLS endpoints: versions, suites, certificates).",
            discussion: """
                Chaque service est HÔTE[:PORT] (port 443 par défaut, ou le port usuel du protocole STARTTLS) ; les adresses
                IPv6 vont entre crochets : [::1]:8443. Les résultats sont ceux de `cyberctl scan` pour le contrôle
                tls.endpoint.

                Each endpoint is HOST[:PORT] (port 443 by default, or the STARTTLS protocol's usual port);
                IPv6 literals go in brackets: [::1]:8443. Results are the same as those of `cyberctl scan`
                for the tls.endpoint check.
                """)

        @Argument(help: "Services à contrôler, HÔTE[:PORT] (endpoints).")
        var endpoints: [String]

        @Option(help: "Passe d'abord en TLS par STARTTLS : smtp, imap, pop3, ldap ou postgres (STARTTLS protocol).")
        var starttls: StartTLSProtocol?

        @Option(help: "Nom de serveur envoyé (SNI) et attendu dans le certificat (server name).")
        var sni: String?

        @Option(name: .customLong("ca-file"), help: "Fichier PEM des autorités de confiance ; par défaut : celles du système (trust anchors).", completion: .file())
        var caFile: String?

        @Option(name: .customLong("connection-timeout"), help: "Délai par connexion : 5, 5s, 1min ; un nombre seul compte en secondes ; au plus 600 s ; \(DurationOption.unitsHelpFrench) (per-connection timeout: 5, 5s, 1min; a bare number counts seconds; at most 600 s; \(DurationOption.unitsHelpEnglish)).")
        var connectionTimeoutText = DurationArgument("5")

        @Option(name: .customLong("endpoint-deadline"), help: "Délai total par service : 30, 30s, 1min ; un nombre seul compte en secondes ; au plus 600 s ; \(DurationOption.unitsHelpFrench) (per-endpoint deadline: 30, 30s, 1min; a bare number counts seconds; at most 600 s; \(DurationOption.unitsHelpEnglish)).")
        var endpointDeadlineText = DurationArgument("30")

        /// `--connection-timeout` in seconds.
        var connectionTimeout: Double { get throws { try DurationOption.seconds("--connection-timeout", maximum: 600).seconds(connectionTimeoutText, language: options.lang) } }
        /// `--endpoint-deadline` in seconds.
        var endpointDeadline: Double { get throws { try DurationOption.seconds("--endpoint-deadline", maximum: 600).seconds(endpointDeadlineText, language: options.lang) } }

        @Option(help: "Services sondés en parallèle (endpoints probed at once).")
        var concurrency = 16

        @Flag(name: .customLong("no-hsts"), help: "Ne demande pas les en-têtes HTTPS : HSTS, redirection (no HTTPS headers).")
        var noHSTS = false

        @OptionGroup var expiry: ExpiryThresholdOptions

        @OptionGroup var options: RunOptions

        func validate() throws {
            let english = options.lang == .en
            guard !endpoints.isEmpty else {
                throw ValidationError(english ? "Please give at least one endpoint, HOST[:PORT]." : "Donnez au moins un service, HÔTE[:PORT].")
            }
            for endpoint in endpoints {
                do { _ = try TLSEndpoint.parse(endpoint, defaultPort: 443) } catch { throw ValidationError(error.description) }
            }
            _ = try connectionTimeout
            _ = try endpointDeadline
            guard (1...256).contains(concurrency) else {
                throw ValidationError(english ? "Please give --concurrency between 1 and 256." : "--concurrency doit être compris entre 1 et 256.")
            }
            _ = try expiry.thresholds(language: options.lang)
        }

        /// The usual port of a STARTTLS protocol, for endpoints given without one.
        static func defaultPort(_ protocolName: StartTLSProtocol?) -> UInt16 {
            switch protocolName {
            case .smtp: return 587
            case .imap: return 143
            case .pop3: return 110
            case .ldap: return 389
            case .postgres: return 5432
            case nil: return 443
            }
        }

        func run() async throws {
            var check = TLSEndpointCheck()
            check.discover = false
            check.hsts = !noHSTS
            check.connectionTimeout = try connectionTimeout
            check.endpointDeadline = try endpointDeadline
            check.concurrency = concurrency
            check.thresholds = try expiry.thresholds(language: options.lang)
            if let caFile {
                let path = caFile.hasPrefix("/") ? caFile : FileManager.default.currentDirectoryPath + "/" + caFile
                guard FileManager.default.fileExists(atPath: path) else {
                    throw failure(
                        reporting: InputError(.missing, file: caFile, fr: "fichier des autorités de confiance introuvable",
                                                                      en: "CA file not found"),
                        language: options.lang)
                }
                check.caFile = path
            }
            check.endpoints = endpoints.map { text in
                let (host, port) = try! TLSEndpoint.parse(text, defaultPort: Self.defaultPort(starttls))
                return TLSEndpointCheck.Target(endpoint: TLSEndpoint(host: host, port: port, serverName: sni, startTLS: starttls))
            }
            // An endpoint that could not be checked at all counts as a finding: nothing says it is fine.
            let failOn = options.failOn
            func fails(_ result: CheckResult) -> Bool {
                failOn.isTripped(by: result) || (result.code == TLSRules.connectionCode && failOn.isTripped(by: result.severity))
            }
            var failed = false
            switch options.format {
            case .json:
                // Each endpoint is written as soon as it is judged (memory independent of the count).
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

