import Agent
import ArgumentParser
import Checks
import Foundation
import TLSProbe

extension StartTLSProtocol: ExpressibleByArgument {}

extension Cyberctl {
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

        @Option(name: .customLong("connection-timeout"), help: "Délai par connexion, en secondes (per-connection timeout, seconds).")
        var connectionTimeout: Double = 5

        @Option(name: .customLong("endpoint-deadline"), help: "Délai total par service, en secondes (per-endpoint deadline, seconds).")
        var endpointDeadline: Double = 30

        @Option(help: "Services sondés en parallèle (endpoints probed at once).")
        var concurrency = 16

        @Flag(name: .customLong("no-hsts"), help: "Ne demande pas les en-têtes HTTPS : HSTS, redirection (no HTTPS headers).")
        var noHSTS = false

        @Option(name: .customLong("warning-days"), help: "Avertissement sous ce nombre de jours restants sur un certificat (warn under this many days left).")
        var warningDays = 30

        @Option(name: .customLong("critical-days"), help: "Échec sous ce nombre de jours restants sur un certificat (fail under this many days left).")
        var criticalDays = 14

        @OptionGroup var options: RunOptions

        func validate() throws {
            let english = options.lang == .en
            guard !endpoints.isEmpty else {
                throw ValidationError(english ? "Please give at least one endpoint, HOST[:PORT]." : "Donnez au moins un service, HÔTE[:PORT].")
            }
            for endpoint in endpoints {
                do { _ = try TLSEndpoint.parse(endpoint, defaultPort: 443) } catch { throw ValidationError(error.description) }
            }
            guard connectionTimeout > 0, connectionTimeout <= 600, endpointDeadline > 0, endpointDeadline <= 600 else {
                throw ValidationError(
                    english ? "Please give timeouts between 0 and 600 seconds." : "Les délais doivent être compris entre 0 et 600 secondes.")
            }
            guard (1...256).contains(concurrency) else {
                throw ValidationError(english ? "Please give --concurrency between 1 and 256." : "--concurrency doit être compris entre 1 et 256.")
            }
            try requireRange(criticalDays, 0...36_500, option: "--critical-days", language: options.lang)
            try requireRange(warningDays, 0...36_500, option: "--warning-days", language: options.lang)
            guard criticalDays >= 0, warningDays >= criticalDays else {
                throw ValidationError(
                    english ? "Please give 0 <= --critical-days <= --warning-days." : "Il faut 0 <= --critical-days <= --warning-days.")
            }
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
            check.connectionTimeout = connectionTimeout
            check.endpointDeadline = endpointDeadline
            check.concurrency = concurrency
            check.thresholds = .init(warningDays: warningDays, criticalDays: criticalDays)
            if let caFile {
                let path = caFile.hasPrefix("/") ? caFile : FileManager.default.currentDirectoryPath + "/" + caFile
                guard FileManager.default.fileExists(atPath: path) else {
                    throw failure(
                        reporting: InputError(.missing, file: caFile, options.lang == .en ? "CA file not found" : "fichier des autorités de confiance introuvable"),
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
                (result.status.isFinding || result.code == TLSRules.connectionCode) && failOn.isTripped(by: result.severity)
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

