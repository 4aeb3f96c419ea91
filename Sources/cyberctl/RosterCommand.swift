import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import NIS2
import Model
import OpenSSLKit
import Rendering
import Territory

extension Cyberctl.TerritoryCommand {
    /// The declared roster: the grouping and its members, with contacts.
    struct RosterCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "roster",
            abstract: "Périmètre déclaré du territoire : vérifier, importer, afficher (the declared roster: check, import, show).",
            discussion: """
                Le périmètre (fichier YAML) nomme l'EPCI, le syndicat ou l'OPSN (nom, SIREN) et ses membres (nom, SIREN, code \
                INSEE, type, population, département, contacts). Les vues et le bilan des élus comptent alors les membres du \
                périmètre, signalent ceux qui n'ont jamais envoyé de rapport et marquent « hors périmètre » les rapports des \
                autres entités. Format : docs/territory.md.

                The roster (a YAML file) names the EPCI, syndicat or OPSN (name, SIREN) and its members (name, SIREN, INSEE \
                code, kind, population, département, contacts). Views and the élus summary then count the roster's members, \
                flag those that never reported and mark reports of other entities as out of perimeter. Format: docs/territory.md.
                """,
            subcommands: [Check.self, Import.self, Show.self])
    }
}

/// The roster file: `argument` when given, else the configuration's `roster:`.
func rosterFile(_ argument: String?, _ config: RSSIConfigOption, language: Language) throws(InputError) -> String {
    if let argument { return argument }
    if let roster = try config.configuration(language: language)?.roster { return roster.path }
    throw InputError(
        .usage,
        fr: "donnez le FICHIER du périmètre, ou une clé roster dans la configuration du RSSI",
        en: "please give the roster FILE, or a roster key in the RSSI configuration")
}

/// Prints every problem of a roster file, in `language`, and exits 65 (66 when it is missing).
func rosterFailure(_ error: RosterError, language: Language) -> ExitCode {
    for problem in error.problems {
        writeStandard(Array("cyberctl: \(TerminalText.block(problem.description(in: language)))\n".utf8), to: STDERR_FILENO)
    }
    return ExitCode(error.exitCode)
}

extension Cyberctl.TerritoryCommand.RosterCommand {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Vérifie un fichier de périmètre : chaque problème avec sa ligne ; code 65 s'il y en a (check a roster file).")
        @Argument(help: "Fichier YAML du périmètre ; par défaut : la clé roster de la configuration du RSSI (roster file).", completion: .file())
        var file: String?
        @OptionGroup var config: RSSIConfigOption
        @Option(name: .customLong("lang"), help: languageOptionHelp)
        var chosenLanguage: Language?
        var lang: Language { config.language(chosenLanguage) }

        func run() throws {
            let file: String
            do { file = try rosterFile(self.file, config, language: lang) } catch { throw failure(reporting: error, language: lang) }
            let roster: Roster
            do { roster = try Roster.load(path: file) } catch { throw rosterFailure(error, language: lang) }
            let contacts = roster.members.filter { !$0.contacts.isEmpty }.count
            emit(lang == .fr
                ? "\(file) : périmètre valable — \(roster.territory.name) (SIREN \(roster.territory.siren)), \(roster.members.count) membres dont \(contacts) avec des contacts\n"
                : "\(file): valid roster — \(roster.territory.name) (SIREN \(roster.territory.siren)), \(roster.members.count) members, \(contacts) with contacts\n")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Vérifie puis range le périmètre dans la base du territoire, à la place du précédent (check and store the roster).")
        @Argument(help: "Fichier YAML du périmètre ; par défaut : la clé roster de la configuration du RSSI (roster file).", completion: .file())
        var file: String?
        @OptionGroup var store: StoreOptions
        @Option(name: .customLong("lang"), help: languageOptionHelp)
        var chosenLanguage: Language?
        var lang: Language { store.config.language(chosenLanguage) }

        func run() throws {
            let file: String
            do { file = try rosterFile(self.file, store.config, language: lang) } catch { throw failure(reporting: error, language: lang) }
            let roster: Roster
            do { roster = try Roster.load(path: file) } catch { throw rosterFailure(error, language: lang) }
            try runView(lang) {
                let bytes = try InputError.readInput(file, what: LocalizedText(fr: "liste des membres du territoire", en: "territory roster"))
                let territory = try store.open(create: true, language: lang)
                try territory.importRoster(roster, sourcePath: URL(fileURLWithPath: file).standardizedFileURL.path, sha256: Digest.sha256Hex(bytes))
                let status = try TerritoryViews(store: territory, language: lang).status(fixes: 0)
                let t = status.territory
                emit(lang == .fr
                    ? "Périmètre importé : \(roster.territory.name), \(roster.members.count) membres ; \(t.entities) avec des rapports, \(t.neverReported) sans aucun rapport, \(t.outOfPerimeter) entité(s) de la base hors périmètre\n"
                    : "Roster imported: \(roster.territory.name), \(roster.members.count) members; \(t.entities) with reports, \(t.neverReported) never reported, \(t.outOfPerimeter) stored entit(y/ies) out of perimeter\n")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Affiche le périmètre rangé dans la base, avec les contacts (show the stored roster).")
        @OptionGroup var options: ViewOptions

        func validate() throws {
            try options.filters.refuseDomain(
                "territory roster show",
                because: ("le périmètre liste des entités, pas des contrôles", "the roster lists entities, not checks"), language: options.lang)
        }

        func run() throws {
            try runView(options.lang) {
                let store = try options.store.open(readOnly: true, language: options.lang)
                guard let whole = try store.roster() else {
                    throw InputError(.missing, file: store.path, fr: "aucun périmètre dans cette base : `cyberctl territory roster import FICHIER`",
                                                                 en: "no roster in this store: `cyberctl territory roster import FILE`")
                }
                try TerritoryViews(store: store, language: options.lang).requireKnown(options.filter)
                let roster = whole.restricted(to: options.filter)
                let tables = RosterTables.tables(roster, source: try store.rosterImport(), options.lang)
                try options.render(
                    tables: tables, export: { RosterTables.export(roster, options.lang, note: options.filter.line(options.lang)) },
                    json: { try ViewJSON.encode(RosterJSON(roster: roster, filter: options.filter.isEmpty ? nil : options.filter)) },
                    html: {
                        HTMLPage.render(
                            title: roster.territory.name, subtitle: options.subtitle(roster.territory.siren), tables: tables, language: options.lang)
                    })
            }
        }
    }
}

/// The roster as tables: the grouping, then one row per member with its contacts.
enum RosterTables {
    static func tables(_ roster: Roster, source: TerritoryStore.RosterImport?, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        func contacts(_ member: Roster.Member) -> String {
            member.contacts.map { "\($0.role.french) : \($0.line)" }.joined(separator: " · ")
        }
        let t = roster.territory
        let header = TextTable(
            title: "\(t.name) — SIREN \(t.siren)" + (source.map { fr ? " — importé de \($0.sourcePath)" : " — imported from \($0.sourcePath)" } ?? ""),
            headers: [fr ? "Type" : "Kind", fr ? "Département" : "Département", fr ? "Membres" : "Members",
                      fr ? "Silencieux après (jours)" : "Silent after (days)", fr ? "Domaines" : "Domains", "Contacts"],
            rows: [[t.kind ?? "", t.departement ?? "", String(roster.members.count), String(roster.silentAfterDays), t.domains.joined(separator: ", "), contacts(t)]])
        let members = TextTable(
            title: fr ? "Membres" : "Members",
            headers: [fr ? "Nom" : "Name", "SIREN", "INSEE", fr ? "Type" : "Kind", "Population", fr ? "Département" : "Département",
                      fr ? "Domaines" : "Domains", "Contacts"],
            rows: roster.members.map {
                [$0.name, $0.siren, $0.insee ?? "", $0.kind ?? "", $0.population.map(String.init) ?? "", $0.departement ?? "",
                 $0.domains.joined(separator: ", "), contacts($0)]
            })
        return [header, members]
    }

    /// One row per member, every contact in full: INSEE code and département stay text (`01004`, `2A`).
    static func export(_ roster: Roster, _ language: Language, note: String?) -> CSVTable {
        let fr = language == .fr
        return CSVTable(
            headers: [fr ? "Nom" : "Name", "SIREN", "INSEE", fr ? "Type" : "Kind", "Population", fr ? "Département" : "Département",
                      fr ? "Domaines" : "Domains", "Contacts"],
            rows: roster.members.map { member in
                [.text(member.name), .text(member.siren), .text(member.insee), .text(member.kind), .integer(member.population),
                 .text(member.departement), .text(member.domains.joined(separator: ", ")),
                 .text(member.contacts.map { "\($0.role.french) : \($0.line)" }.joined(separator: " · "))]
            },
            note: note)
    }
}

/// `territory roster show --format json`: the roster, with the filter applied when there is one.
struct RosterJSON: Encodable {
    var roster: Roster
    var filter: ViewFilter?

    func encode(to encoder: any Encoder) throws {
        try roster.encode(to: encoder)
        guard let filter else { return }
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(filter, forKey: Key(stringValue: "filter"))
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
