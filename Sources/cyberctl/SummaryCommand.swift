import Agent
import AgentCLI
import ArgumentParser
import Foundation
import NIS2
import Model
import Summary
import Territory

/// Output formats of the élus summary.
enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
    case html, pdf, markdown
}

extension Cyberctl {
    /// The one-page readiness summary for élus.
    struct SummaryCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "summary",
            abstract: "Bilan d'une page pour les élus : niveau, priorités, NIS 2, décisions, CSIRT (one-page summary for élus).",
            discussion: """
                Lit la base du territoire (`cyberctl consolidate`) et écrit une page A4 en français simple : niveau A–E et \
                ce qu'il signifie, l'évolution depuis le rapport précédent, les trois priorités (qui agit, effort estimé), la \
                situation NIS 2 et ce qu'elle implique pour le conseil, les décisions demandées au conseil et le CSIRT \
                régional à appeler. Avec --territory : la page de tout le territoire, puis un tableau des communes membres. \
                Le HTML s'imprime sur une feuille A4 ; le PDF demande Chromium sans interface (paquet `chromium`) ; le \
                Markdown est fait pour un courriel.

                Reads the territory store (`cyberctl consolidate`) and writes one A4 page in plain French: level A–E and what \
                it means, the trend since the previous report, the three priorities (who acts, rough effort), the NIS 2 status \
                and what it implies for the council, the decisions asked of the council, and the regional CSIRT to call. \
                With --territory: the page for the whole territory, then a table of the member communes. \
                HTML prints on one A4 sheet; PDF needs headless Chromium (package `chromium`); Markdown is for an e-mail.
                """)

        @Option(help: "SIREN de l'entité (commune, intercommunalité) à résumer, espaces admis : 212 900 195 (SIREN of the entity, spaces allowed).", transform: Identifiers.normalizedSIREN)
        var entity: String?

        @Flag(help: "Bilan de tout le territoire (chaque entité de la base), avec un tableau des communes membres (whole territory).")
        var territory = false

        @OptionGroup var store: StoreOptions

        @Option(help: "Format de sortie : html, pdf ou markdown (output format).")
        var format: SummaryFormat = .html

        @Option(help: "Écrit dans ce fichier au lieu de la sortie standard ; obligatoire pour pdf (output file).")
        var out: String?

        @Option(help: "Fichier de réponses NIS 2 de l'entité (`cyberctl assess`) ; les décisions suivent alors ses réponses (NIS 2 answers file).")
        var answers: String?

        func validate() throws {
            guard (entity != nil) != territory else { throw ValidationError("Donnez --entity SIREN ou --territory (please give either --entity SIREN or --territory).") }
            if let entity, !Identifiers.isValidSIREN(entity) {
                throw ValidationError(
                    "--entity \(entity) : un SIREN est attendu, 9 chiffres avec une clé de Luhn valide (expected a SIREN, 9 digits with a valid Luhn check digit).")
            }
            if format == .pdf && out == nil { throw ValidationError("--format pdf écrit un fichier : donnez --out FICHIER (--format pdf writes a file: please give --out FILE).") }
        }

        func run() throws {
            do {
                let views = TerritoryViews(store: try store.open(readOnly: true, language: .fr), language: .fr)
                let answersFile = try answers.map { path in
                    try AnswersFile.load(path: path, questionnaire: try Questionnaire.shipped(), today: CalendarDay(Date()))
                }
                let builder = SummaryBuilder(views: views, scopeRules: try ScopeRules.shipped(), answers: answersFile)
                let summary = try entity.map { try builder.entity($0) } ?? builder.territory()
                switch format {
                case .html: try write(SummaryRenderer.html(summary))
                case .markdown: try write(SummaryRenderer.markdown(summary))
                case .pdf: try PDFPrinter().print(html: SummaryRenderer.html(summary), to: out!)
                }
            } catch let error as PDFPrinterError {
                writeStandard(Array("cyberctl: \(error.message)\n".utf8), to: STDERR_FILENO)
                throw ExitCode(error.exitCode)
            } catch let code as ExitCode {
                throw code
            } catch {
                throw failure(reporting: error)
            }
        }

        func write(_ text: String) throws {
            if let out {
                try AtomicFile.write(Array(text.utf8), to: out, mode: 0o640)
            } else {
                emit(text)
            }
        }
    }
}
