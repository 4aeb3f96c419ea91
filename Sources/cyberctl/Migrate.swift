import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import Model
import Rendering
import Territory

extension Cyberctl.TerritoryCommand {
    /// Copies a whole store into a new, empty one (`StoreCopy`).
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copie toute une base du territoire dans une base neuve, SQLite ou PostgreSQL (copy a whole territory store into a new one).",
            discussion: """
                Copie chaque table de la base SOURCE (fichier SQLite ou postgresql://…) dans la base CIBLE, vide, préparée \
                par cette commande (ses migrations), en gardant les clés : rapports, résultats, hôtes, refus, périmètre, \
                incidents. Une seule transaction : la cible reçoit toute la copie ou reste vide ; la source est lue dans un \
                instantané et n'est jamais modifiée (un collecteur peut continuer à y écrire ; ce qu'il range après le début \
                de la copie n'est pas copié). Compare ensuite le nombre de lignes de chaque table dans les deux bases. \
                Code de sortie 0 si la copie est complète et vérifiée, 66 si la source manque, 74 si la cible n'est pas vide \
                (rien n'est écrit) ou si l'une des bases ne peut être lue ou écrite.

                Copies every table of the SOURCE store (a SQLite file or postgresql://…) into the empty TARGET store, which \
                this command prepares (its migrations), keeping the keys: reports, results, hosts, refusals, roster, \
                incidents. One transaction: the target gets the whole copy or stays empty; the source is read in one \
                snapshot and never changed (a collector may keep writing it; what it stores after the copy began is not \
                copied). Then compares the rows of each table in both stores. Exit 0 when the copy is complete and checked, \
                66 when the source is missing, 74 when the target is not empty (nothing is written) or either store cannot \
                be read or written.
                """)

        @Option(help: "Base source : un fichier SQLite ou postgresql://… (source store).")
        var from: String

        @Option(help: "Base cible, vide : un fichier SQLite (créé s'il n'existe pas) ou une base PostgreSQL existante et vide (postgresql://… ; createdb d'abord) (empty target store).")
        var to: String

        @OptionGroup var config: RSSIConfigOption

        @Option(help: "Format du bilan : table ou json (output format of the summary).")
        var format: OutputFormat = .table

        @Option(name: .customLong("lang"), help: languageOptionHelp)
        var chosenLanguage: Language?
        var lang: Language { config.language(chosenLanguage) }

        func validate() throws {
            if from == to {
                throw ValidationError(lang == .fr ? "--from et --to désignent la même base." : "--from and --to name the same store.")
            }
        }

        func run() throws {
            let started = Date()
            let counts: [StoreCopy.TableCount]
            let source: TerritoryStore
            let target: TerritoryStore
            do {
                source = try Self.openSource(from)
                var status = stat()
                let targetIsNewFile = !StoreLocation.isPostgres(to) && lstat(to, &status) != 0
                target = try TerritoryStore(location: to, create: true)
                if targetIsNewFile {
                    note(lang == .fr ? "cyberctl: base du territoire créée : \(to)" : "cyberctl: territory store created: \(to)")
                }
                counts = try StoreCopy.copy(from: source, to: target)
            } catch {
                throw failure(reporting: error, language: lang)
            }
            let seconds = Date().timeIntervalSince(started)
            let fr = lang == .fr
            switch format {
            case .json:
                struct Summary: Encodable {
                    let source: String
                    let target: String
                    let tables: [StoreCopy.TableCount]
                    let rows: Int
                    let seconds: Double
                }
                let summary = Summary(
                    source: source.path, target: target.path, tables: counts, rows: counts.reduce(0) { $0 + $1.target },
                    seconds: (seconds * 1000).rounded() / 1000)
                emit((try? ViewJSON.encode(summary)) ?? "{}\n")
            case .table:
                let table = TextTable(
                    headers: fr ? ["table", "source", "cible", ""] : ["table", "source", "target", ""],
                    rows: counts.map { [$0.table, "\($0.source)", "\($0.target)", $0.source == $0.target ? "=" : "≠"] })
                emit(table.text)
                let rows = counts.reduce(0) { $0 + $1.target }
                emit(fr
                    ? "copie vérifiée : \(counts.count) tables, \(rows) lignes, autant dans la cible que dans la source — \(String(format: "%.1f", seconds)) s\n\(source.path) → \(target.path)\n"
                    : "copy checked: \(counts.count) tables, \(rows) rows, as many in the target as in the source — \(String(format: "%.1f", seconds)) s\n\(source.path) → \(target.path)\n")
            }
        }

        /// The source, read-only; a missing SQLite file is `.missing` (66), never created.
        static func openSource(_ location: String) throws(InputError) -> TerritoryStore {
            try TerritoryStore(location: location, create: false, readOnly: true)
        }
    }
}

extension Cyberctl.TerritoryCommand {
    /// Deletes old history (`TerritoryStore.prune`).
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Supprime l'historique ancien : les rapports de plus de N jours qui ne sont le dernier d'aucun hôte (delete reports older than N days that are no host's latest).",
            discussion: """
                Supprime, en une transaction, les rapports générés il y a plus de --keep-days jours, avec leurs résultats, \
                sauf le dernier rapport de chaque hôte, quel que soit son âge. Les entités, hôtes, refus, incidents et le \
                périmètre restent ; l'évolution (trend) commence à la date limite. À lancer par un timer systemd, par exemple \
                chaque semaine. Code de sortie 0, 66 si la base manque, 74 si elle ne peut être écrite.

                Deletes, in one transaction, the reports generated more than --keep-days days ago, with their results, except \
                each host's latest report, however old. Entities, hosts, refusals, incidents and the roster stay; the trend \
                starts at the cutoff. Run it from a systemd timer, weekly for instance. Exit 0, 66 when the store is missing, \
                74 when it cannot be written.
                """)

        @OptionGroup var store: StoreOptions

        @Option(name: .customLong("keep-days"), help: "Jours d'historique gardés, de 1 à 36500 (days of history kept).")
        var keepDays: Int

        @Flag(name: .customLong("dry-run"), help: "Compte ce qui serait supprimé, sans rien supprimer (count what would be deleted, delete nothing).")
        var dryRun = false

        @Option(help: "Format du bilan : table ou json (output format of the summary).")
        var format: OutputFormat = .table

        @Option(name: .customLong("lang"), help: languageOptionHelp)
        var chosenLanguage: Language?
        var lang: Language { store.config.language(chosenLanguage) }

        func validate() throws {
            try requireRange(keepDays, 1...36_500, option: "--keep-days", language: lang)
        }

        func run() throws {
            let summary: TerritoryStore.PruneSummary
            do {
                let territory = try store.open(readOnly: dryRun, language: lang)
                summary = try territory.prune(before: Date().addingTimeInterval(-Double(keepDays) * 86_400), dryRun: dryRun)
            } catch {
                throw failure(reporting: error, language: lang)
            }
            switch format {
            case .json:
                emit((try? ViewJSON.encode(summary)) ?? "{}\n")
            case .table:
                let day = String(ISO8601.string(from: summary.cutoff).prefix(10))
                let fr = lang == .fr
                let verb = dryRun ? (fr ? "seraient supprimés" : "would be deleted") : (fr ? "supprimés" : "deleted")
                emit(fr
                    ? "rapports générés avant le \(day) : \(summary.reports) \(verb) (\(summary.results) résultats), \(summary.keptAsLatest) gardés comme dernier rapport de leur hôte ; \(summary.remaining) rapports dans la base\n"
                    : "reports generated before \(day): \(summary.reports) \(verb) (\(summary.results) results), \(summary.keptAsLatest) kept as their host's latest; \(summary.remaining) reports in the store\n")
            }
        }
    }
}
