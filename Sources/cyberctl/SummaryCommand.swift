import Agent
import ArgumentParser
import Foundation
import NIS2
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
                Reads the territory store (`cyberctl consolidate`) and writes one A4 page in plain French: level A–E and what \
                it means, the trend since the previous report, the three priorities (who acts, rough effort), the NIS 2 status \
                and what it implies for the council, the decisions asked of the council, and the regional CSIRT to call. \
                With --territory: the page for the whole territory, then a table of the member communes. \
                HTML prints on one A4 sheet; PDF needs headless Chromium (package `chromium`); Markdown is for an e-mail.
                """)

        @Option(help: "SIREN of the entity (commune, intercommunalité) to summarise.")
        var entity: String?

        @Flag(help: "Summarise the whole territory (every entity in the store), with a table of member communes.")
        var territory = false

        @OptionGroup var store: StoreOptions

        @Option(help: "Output format: html, pdf or markdown.")
        var format: SummaryFormat = .html

        @Option(help: "Write to this file instead of stdout (required for pdf).")
        var out: String?

        @Option(help: "NIS 2 answers file of the entity (`cyberctl assess`); the decisions then follow its answers.")
        var answers: String?

        func validate() throws {
            guard (entity != nil) != territory else { throw ValidationError("Please give either --entity SIREN or --territory.") }
            if let entity, !Identifiers.isValidSIREN(entity) {
                throw ValidationError("--entity \(entity): expected a SIREN, 9 digits with a valid Luhn check digit.")
            }
            if format == .pdf && out == nil { throw ValidationError("--format pdf writes a file: please give --out FILE.") }
        }

        func run() throws {
            do {
                let views = TerritoryViews(store: try TerritoryStore(path: store.path, create: false, readOnly: true), language: .fr)
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
                FileHandle.standardError.write(Data("cyberctl: \(error.message)\n".utf8))
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
