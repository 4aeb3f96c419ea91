import Agent
import ArgumentParser
import Collector
import Foundation
import Logging
import Trust

extension Cyberctl {
    /// The RSSI's HTTPS collector.
    struct Collect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reçoit les rapports signés des agents en HTTPS (receive signed reports from agents over mutual TLS).",
            discussion: """
                Listens for POST /v1/reports over HTTPS with mutual TLS: the client certificate must chain to --ca and \
                not be revoked by the --crl files (reloaded when they change). Each report is verified exactly as \
                `cyberctl consolidate` verifies it, must be signed for the client's own SIREN, and is stored durably in \
                --inbox as <siren>/<report>.json and .json.p7s (and ingested into --db when given) before the agent is \
                answered 201; the same report again is answered 200. Statuses: 400 malformed, 403 forbidden, 413 too \
                large, 422 refused (with the verification code), 429 rate limited, 503 unavailable. One log line per \
                request on stderr. Stops cleanly on SIGTERM or SIGINT. See docs/collector.md.
                """)

        @Option(help: "Address and port to listen on: 0.0.0.0:8443, [::]:8443, 127.0.0.1:8443, [::1]:8443.")
        var listen: String

        @Option(name: .customLong("tls-cert"), help: "The collector's certificate, PEM (cyberctl pki issue --server).", completion: .file())
        var tlsCert: String

        @Option(name: .customLong("tls-key"), help: "The collector's private key, PEM, mode 0600.", completion: .file())
        var tlsKey: String

        @Option(help: "The RSSI's CA certificate, PEM: client certificates and report signers must chain to it.", completion: .file())
        var ca: String

        @Option(parsing: .singleValue, help: "CRL of the CA (PEM or DER); repeatable. Default: crl.pem next to the CA file, when there is one.")
        var crl: [String] = []

        @Option(help: "Inbox folder: reports are stored as <siren>/<name>.json with <name>.json.p7s.", completion: .directory)
        var inbox: String

        @Option(help: "Territory store (SQLite) to ingest each accepted report into.")
        var db: String?

        @Option(name: .customLong("max-body-bytes"), help: "Largest request body, in bytes (default 16 MiB).")
        var maxBodyBytes = CollectorConfiguration.defaultMaxBodyBytes

        @Option(help: "Uploads allowed per client certificate, as N/min (default 120/min).")
        var rate = "\(CollectorConfiguration.defaultRatePerMinute)/min"

        @Option(help: "Verification threads (default: the number of cores).")
        var workers: Int?

        func validate() throws {
            guard CollectorConfiguration.parseListen(listen) != nil else {
                throw ValidationError("--listen \"\(listen)\": expected ADDR:PORT, e.g. 0.0.0.0:8443 or [::1]:8443.")
            }
            guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024.") }
            guard Self.parseRate(rate) != nil else { throw ValidationError("--rate \"\(rate)\": expected N/min with N ≥ 1, e.g. 120/min.") }
            if let workers, workers < 1 { throw ValidationError("--workers must be at least 1.") }
        }

        static func parseRate(_ text: String) -> Int? {
            let trimmed = text.hasSuffix("/min") ? String(text.dropLast(4)) : text
            guard let value = Int(trimmed), value >= 1 else { return nil }
            return value
        }

        func run() async throws {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .info
                return handler
            }
            let logger = Logger(label: "cyberctl.collect")
            do {
                let (host, port) = CollectorConfiguration.parseListen(listen)!
                var crlFiles = crl
                if crlFiles.isEmpty {
                    let sibling = URL(fileURLWithPath: ca).deletingLastPathComponent().appendingPathComponent("crl.pem").path
                    if FileManager.default.fileExists(atPath: sibling) { crlFiles = [sibling] }
                }
                if crlFiles.isEmpty {
                    logger.warning("no CRL given: revoked agents cannot be refused (give --crl FILE)")
                }
                let configuration = CollectorConfiguration(
                    host: host, port: port, certificatePath: tlsCert, keyPath: tlsKey, caPath: ca, crlPaths: crlFiles, inbox: inbox,
                    databasePath: db, maxBodyBytes: maxBodyBytes, ratePerMinute: Self.parseRate(rate)!,
                    workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
                let collector = try Collector(configuration: configuration, logger: logger)
                _ = try collector.tlsConfiguration()
                logger.info(
                    "inbox ready", metadata: ["inbox": "\(collector.inbox.root)", "reports": "\(collector.inbox.count)", "db": "\(db ?? "-")"])
                try await collector.run { address in
                    logger.notice("listening on \(address)", metadata: ["address": "\(address)"])
                }
                logger.notice("stopped")
            } catch {
                throw failure(reporting: error)
            }
        }
    }
}
