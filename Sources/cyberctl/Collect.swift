import Agent
import AgentCLI
import ArgumentParser
import Collector
import Foundation
import Logging
import Model
import Territory
import Trust

extension Cyberctl {
    /// The RSSI's HTTPS collector.
    struct Collect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reçoit les rapports signés des agents en HTTPS (receive signed reports from agents over mutual TLS).",
            discussion: """
                Écoute POST /v1/reports en HTTPS avec TLS mutuel : le certificat client doit dépendre de --ca et ne pas \
                être révoqué par les fichiers --crl (relus quand ils changent). Chaque rapport est vérifié exactement \
                comme `cyberctl consolidate` le vérifie, doit être signé pour le SIREN du client lui-même, et est rangé \
                durablement dans --inbox en <siren>/<rapport>.json et .json.p7s (et versé dans --db si donné) avant que \
                l'agent reçoive 201 ; le même rapport envoyé de nouveau reçoit 200. Statuts : 400 mal formé, 403 interdit, \
                413 trop gros, 422 refusé (avec le code de vérification), 429 trop d'envois, 503 indisponible. Une ligne \
                de journal par requête sur la sortie d'erreur. S'arrête proprement sur SIGTERM ou SIGINT. Sans --ca, \
                --inbox ni --db : les clés ca, inbox et store de la configuration du RSSI (--config, $CYBERCTL_RSSI_CONFIG, \
                /etc/cyberctl/rssi.yaml). Voir docs/collector.md.

                Listens for POST /v1/reports over HTTPS with mutual TLS: the client certificate must chain to --ca and \
                not be revoked by the --crl files (reloaded when they change). Each report is verified exactly as \
                `cyberctl consolidate` verifies it, must be signed for the client's own SIREN, and is stored durably in \
                --inbox as <siren>/<report>.json and .json.p7s (and ingested into --db when given) before the agent is \
                answered 201; the same report again is answered 200. Statuses: 400 malformed, 403 forbidden, 413 too \
                large, 422 refused (with the verification code), 429 rate limited, 503 unavailable. One log line per \
                request on stderr. Stops cleanly on SIGTERM or SIGINT. Without --ca, --inbox or --db: the ca, inbox and \
                store keys of the RSSI configuration (--config, $CYBERCTL_RSSI_CONFIG, /etc/cyberctl/rssi.yaml). See \
                docs/collector.md.
                """)

        @Option(help: "Adresse et port d'écoute : 0.0.0.0:8443, [::]:8443, 127.0.0.1:8443, [::1]:8443 (address and port to listen on).")
        var listen: String

        @Option(name: .customLong("tls-cert"), help: "Certificat du collecteur, PEM, émis par cyberctl pki issue --server (the collector's certificate).", completion: .file())
        var tlsCert: String

        @Option(name: .customLong("tls-key"), help: "Clé privée du collecteur, PEM, mode 0600 (the collector's private key).", completion: .file())
        var tlsKey: String

        @Option(help: "Certificat de l'autorité du RSSI, PEM : les certificats clients et les signataires des rapports doivent en dépendre ; par défaut : ca.pem du dossier ca de la configuration du RSSI, sinon /etc/cyberctl/ca.pem (the RSSI's CA certificate).", completion: .file())
        var ca: String?

        @Option(parsing: .singleValue, help: "CRL de l'autorité, PEM ou DER, répétable ; par défaut : crl.pem à côté du fichier de l'autorité s'il existe (CA's CRL, repeatable).")
        var crl: [String] = []

        @Option(help: "Dossier de réception : rapports rangés en <siren>/<nom>.json avec <nom>.json.p7s ; par défaut : la clé inbox de la configuration du RSSI (inbox folder).", completion: .directory)
        var inbox: String?

        @Option(help: "Base du territoire (SQLite) où ranger chaque rapport accepté, créée au besoin ; par défaut : la clé store de la configuration du RSSI, sinon aucune (territory store to ingest into; default: the configuration's store, else none).")
        var db: String?

        @OptionGroup var config: RSSIConfigOption

        @Option(name: .customLong("max-body-bytes"), help: "Taille maximale d'une requête, en octets ; par défaut : 16 Mio (largest request body, bytes).")
        var maxBodyBytes = CollectorConfiguration.defaultMaxBodyBytes

        @Option(help: "Envois admis par certificat client, en N/min ; par défaut : 120/min (uploads per client certificate).")
        var rate = "\(CollectorConfiguration.defaultRatePerMinute)/min"

        @Option(help: "Fils de vérification ; par défaut : le nombre de cœurs (verification threads).")
        var workers: Int?

        @Option(name: .customLong("queue-limit"), help: "Rapports admis en attente d'un fil de vérification, au-delà : 503 ; par défaut : 256 (reports allowed to wait for verification).")
        var queueLimit = CollectorConfiguration.defaultQueueLimit

        @Option(
            name: .customLong("metrics-listen"),
            help: "Adresse et port du point /metrics de Prometheus, en HTTP simple sans authentification, voir docs/monitoring.md : 127.0.0.1:9464 ; par défaut : aucun (plain-HTTP Prometheus /metrics address; default: none).")
        var metricsListen: String?

        /// `collect` has no `--lang`: each error says it in French, then in English in parentheses.
        func validate() throws {
            guard CollectorConfiguration.parseListen(listen) != nil else {
                throw ValidationError(
                    "--listen \"\(listen)\" : ADRESSE:PORT est attendu, par exemple 0.0.0.0:8443 ou [::1]:8443 "
                        + "(--listen \"\(listen)\": expected ADDR:PORT, e.g. 0.0.0.0:8443 or [::1]:8443).")
            }
            if let metricsListen, CollectorConfiguration.parseListen(metricsListen) == nil {
                throw ValidationError(
                    "--metrics-listen \"\(metricsListen)\" : ADRESSE:PORT est attendu, par exemple 127.0.0.1:9464 "
                        + "(--metrics-listen \"\(metricsListen)\": expected ADDR:PORT, e.g. 127.0.0.1:9464).")
            }
            try requireRange(maxBodyBytes, 1024...(256 << 20), option: "--max-body-bytes")
            guard Self.parseRate(rate) != nil else {
                throw ValidationError(
                    "--rate \"\(rate)\" : N/min est attendu avec N de 1 à \(Self.maximumRate), par exemple 120/min "
                        + "(--rate \"\(rate)\": expected N/min with N from 1 to \(Self.maximumRate), e.g. 120/min).")
            }
            try requireRange(workers, 1...256, option: "--workers")
            try requireRange(queueLimit, 0...100_000, option: "--queue-limit")
        }

        /// Whether `host` is a loopback literal or `localhost` (127.0.0.0/8, ::1).
        static func isLoopback(_ host: String) -> Bool {
            host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }

        /// Largest `--rate`: 100 000 uploads a minute per certificate.
        static let maximumRate = 100_000

        static func parseRate(_ text: String) -> Int? {
            let trimmed = text.hasSuffix("/min") ? String(text.dropLast(4)) : text
            guard let value = Int(trimmed), (1...maximumRate).contains(value) else { return nil }
            return value
        }

        func run() async throws {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .info
                // Header values, certificate names and report text are logged: one safe line each.
                return SanitizingLogHandler(handler)
            }
            let logger = Logger(label: "cyberctl.collect")
            do {
                let (host, port) = CollectorConfiguration.parseListen(listen)!
                let metricsAddress = metricsListen.flatMap(CollectorConfiguration.parseListen)
                let rssi = try config.configuration()
                let ca = try TrustOptions.caFile(option: self.ca, config)
                let crlFiles = TrustOptions.crlFiles(crl, caFile: ca)
                guard let inbox = self.inbox ?? rssi?.inbox?.path else {
                    throw InputError(
                        .usage, fr: "donnez --inbox DOSSIER, ou une clé inbox dans la configuration du RSSI",
                        en: "give --inbox FOLDER, or an inbox key in the RSSI configuration")
                }
                // The store: --db, else the configuration's store; none at all means the inbox only.
                let store: ResolvedPath? = db.map { ResolvedPath(path: $0, origin: .option("--db")) }
                    ?? rssi.flatMap { file in file.store.map { ResolvedPath(path: $0.path, origin: .configuration(file: file.file, key: "store")) } }
                var status = stat()
                let storeExisted = store.map { StoreLocation.isPostgres($0.path) || lstat($0.path, &status) == 0 } ?? true
                if crlFiles.isEmpty {
                    logger.warning("aucune CRL donnée : un agent révoqué ne peut être refusé, donnez --crl FICHIER (no CRL given: revoked agents cannot be refused, give --crl FILE)")
                }
                let collectorConfiguration = CollectorConfiguration(
                    host: host, port: port, certificatePath: tlsCert, keyPath: tlsKey, caPath: ca, crlPaths: crlFiles, inbox: inbox,
                    databasePath: store?.path, maxBodyBytes: maxBodyBytes, ratePerMinute: Self.parseRate(rate)!,
                    workers: workers ?? ProcessInfo.processInfo.activeProcessorCount, queueLimit: queueLimit,
                    testHoldFIFO: ProcessInfo.processInfo.environment["CYBERCTL_COLLECT_TEST_HOLD"].flatMap { $0.isEmpty ? nil : $0 },
                    metricsHost: metricsAddress?.host, metricsPort: metricsAddress?.port)
                if let metricsAddress, !Self.isLoopback(metricsAddress.host) {
                    logger.warning(
                        "/metrics est servi sans authentification sur une adresse qui n'est pas locale : quiconque l'atteint lit les scores des membres ; mettez un pare-feu devant, ou écoutez sur 127.0.0.1 (/metrics is served without authentication on a non-loopback address: anyone who reaches it reads the members' scores; put a firewall in front, or listen on 127.0.0.1)",
                        metadata: ["address": "\(metricsListen ?? "")"])
                }
                if let fifo = collectorConfiguration.testHoldFIFO {
                    logger.warning("crochet de test CYBERCTL_COLLECT_TEST_HOLD actif : chaque vérification attend \(fifo) (testing hook CYBERCTL_COLLECT_TEST_HOLD is set: every verification waits on \(fifo))")
                }
                let collector = try Collector(configuration: collectorConfiguration, logger: logger)
                if let store, !storeExisted { announceCreation(store, nil) }
                _ = try collector.tlsConfiguration()
                logger.info(
                    "boîte de réception prête (inbox ready)", metadata: ["inbox": "\(collector.inbox.root)", "reports": "\(collector.inbox.count)", "db": "\(store.map { PostgresLocation.redact($0.path) } ?? "-")"])
                try await collector.run(
                    onListening: { address in logger.notice("à l'écoute sur \(address) (listening on \(address))", metadata: ["address": "\(address)"]) },
                    onMetricsListening: { address in
                        logger.notice("mesures sur http://\(address)/metrics (metrics on http://\(address)/metrics)", metadata: ["metrics": "\(address)"])
                    })
                logger.notice("arrêté (stopped)")
            } catch {
                throw failure(reporting: error)
            }
        }
    }
}
