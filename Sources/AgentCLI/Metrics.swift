import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import FoundationGaps
import Model
import Monitoring
import NIS2
import Trust

extension AgentCommand {
    /// Runs checks (or reads a report) and writes their figures for Prometheus's node_exporter (textfile
    /// collector). docs/monitoring.md.
    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Écrit les mesures d'un contrôle pour la supervision : fichier texte Prometheus, JSON Zabbix (write figures for monitoring: Prometheus textfile, Zabbix JSON).")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case prometheus, zabbix
        }

        @Option(help: "Format : prometheus (fichier .prom du collecteur textfile de node_exporter, dans --textfile-dir) ou zabbix (JSON sur la sortie standard, pour un UserParameter) (format).")
        var format: Format = .prometheus

        @Option(name: .customLong("textfile-dir"), help: "Dossier du collecteur textfile de node_exporter, par exemple /var/lib/prometheus/node-exporter (node_exporter's --collector.textfile.directory).", completion: .directory)
        var textfileDirectory: String?

        @Option(help: "Nom du fichier (sans .prom) et valeur de l'étiquette source : lettres, chiffres, - et _ (file name and source label).")
        var name = "cyberctl"

        @Option(help: "Lit ce rapport JSON au lieu d'exécuter les contrôles ; un dossier : son rapport cyberctl-report-*.json le plus récent (read this report, or a folder's newest, instead of scanning).", completion: .file())
        var report: String?

        @OptionGroup var selection: ScanSelection

        @Option(help: "Langue des messages : fr ou en (language of messages).")
        var lang: Language = .fr

        func validate() throws {
            let english = lang == .en
            guard !name.isEmpty, name.count <= 100, name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }) else {
                throw ValidationError(english ? "--name \"\(name)\": expected letters, digits, - and _ only (at most 100)" : "--name « \(name) » : lettres, chiffres, - et _ seulement (100 au plus)")
            }
            if format == .zabbix && textfileDirectory != nil {
                throw ValidationError(english ? "--textfile-dir is for --format prometheus." : "--textfile-dir est pour --format prometheus.")
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
                    let file = try Self.reportFile(report)
                    scanned = try Report.decode(try TrustFiles.read(file, limit: TrustFiles.maximumReportBytes, what: LocalizedText(fr: "rapport", en: "report")), file: file)
                } else {
                    scanned = try await selection.scan()
                }
                switch format {
                case .prometheus:
                    let path = try PrometheusTextfile.write(scanned, source: name, folder: textfileDirectory!)
                    note(lang == .fr ? "Mesures écrites : \(path)" : "Figures written: \(path)")
                case .zabbix:
                    emit(try ZabbixDocument(scanned).jsonBytes())
                }
            } catch {
                throw failure(reporting: error, language: lang)
            }
        }

        /// `path` itself, or for a folder its newest `cyberctl-report-*.json` (by modification time, then name).
        /// - Throws: `InputError(.missing)` for a folder without a report.
        static func reportFile(_ path: String) throws(InputError) -> String {
            var isFolder = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder else { return path }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                throw InputError(
                    .io, file: path, fr: "impossible de lister le dossier : \(ErrorText.reason(error))",
                    en: "cannot list the folder: \(ErrorText.reason(error))")
            }
            let folder = path.hasSuffix("/") ? path : path + "/"
            let reports = names.filter { $0.hasPrefix("cyberctl-report-") && $0.hasSuffix(".json") }.map { name in
                (name: name, modified: (try? FileManager.default.attributesOfItem(atPath: folder + name)[.modificationDate] as? Date) ?? .distantPast)
            }
            guard let newest = reports.max(by: { ($0.modified, $0.name) < ($1.modified, $1.name) }) else {
                throw InputError(
                    .missing, file: path, fr: "aucun cyberctl-report-*.json dans ce dossier", en: "no cyberctl-report-*.json in this folder")
            }
            return folder + newest.name
        }
    }
}
