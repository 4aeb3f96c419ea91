import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
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
