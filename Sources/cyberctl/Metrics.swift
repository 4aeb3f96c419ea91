import Agent
import ArgumentParser
import Checks
import Foundation
import Monitoring
import Trust

extension Cyberctl {
    /// Runs checks (or reads a report) and writes their figures for Prometheus's node_exporter (textfile
    /// collector). docs/monitoring.md.
    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Écrit les mesures d'un contrôle pour la supervision : fichier texte Prometheus (write figures for monitoring: Prometheus textfile).")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case prometheus
        }

        @Option(help: "Format : prometheus (fichier .prom du collecteur textfile de node_exporter) (format).")
        var format: Format = .prometheus

        @Option(name: .customLong("textfile-dir"), help: "Dossier du collecteur textfile de node_exporter, par exemple /var/lib/prometheus/node-exporter (node_exporter's --collector.textfile.directory).", completion: .directory)
        var textfileDirectory: String?

        @Option(help: "Nom du fichier (sans .prom) et valeur de l'étiquette source : lettres, chiffres, - et _ (file name and source label).")
        var name = "cyberctl"

        @Option(help: "Lit ce rapport JSON au lieu d'exécuter les contrôles (read this report instead of scanning).", completion: .file())
        var report: String?

        @OptionGroup var selection: ScanSelection

        @Option(help: "Langue des messages : fr ou en (language of messages).")
        var lang: Language = .fr

        func validate() throws {
            let english = lang == .en
            guard !name.isEmpty, name.count <= 100, name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }) else {
                throw ValidationError(english ? "--name \"\(name)\": expected letters, digits, - and _ only (at most 100)" : "--name « \(name) » : lettres, chiffres, - et _ seulement (100 au plus)")
            }
            if format == .prometheus && textfileDirectory == nil {
                throw ValidationError(english ? "--format prometheus needs --textfile-dir." : "--format prometheus demande --textfile-dir.")
            }
            if report != nil && (selection.profile != nil || selection.root != nil || !selection.only.isEmpty) {
                throw ValidationError(english ? "--report reads a report: --profile, --root and --only do not apply." : "--report lit un rapport : --profile, --root et --only ne s'appliquent pas.")
            }
        }

        func run() async throws {
            do {
                let scanned: Report
                if let report {
                    scanned = try Report.decode(try TrustFiles.read(report, limit: TrustFiles.maximumReportBytes, what: "report"), file: report)
                } else {
                    scanned = try await selection.scan()
                }
                switch format {
                case .prometheus:
                    let path = try PrometheusTextfile.write(scanned, source: name, folder: textfileDirectory!)
                    note(lang == .fr ? "Mesures écrites : \(path)" : "Figures written: \(path)")
                }
            } catch {
                throw failure(reporting: error, language: lang)
            }
        }
    }
}
