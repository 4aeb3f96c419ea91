import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import Model

extension AgentCommand {
    /// Lists the checks and the rules they apply.
    struct Checks: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Liste les contrôles et leurs règles (list checks and their rules).")

        @Option(help: "Langue des textes : fr ou en (language of what people read).")
        var lang: Language = .fr

        func run() {
            var lines: [String] = []
            for type in CheckRegistry.all {
                lines.append("\(type.id)  [\(type.domain.rawValue)]  paramètres/parameters: \(type.parameterNames.joined(separator: ", "))")
            }
            lines.append("")
            for rule in Catalogue.rules.values.sorted(by: { $0.code < $1.code }) {
                let text = rule.text(lang)
                lines.append("\(rule.code.padded(28)) \(rule.severity.rawValue.padded(8)) \(text.title)  [\(rule.references.joined(separator: ", "))]")
            }
            emit(lines.joined(separator: "\n") + "\n")
        }
    }

    /// Lists the profiles found.
    struct Profiles: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Liste les profils disponibles (list available profiles).")

        func run() throws {
            let profiles = ProfileLocator.available()
            if profiles.isEmpty {
                note("cyberctl: aucun dossier de profils trouvé (no profile folder found) ; cherché dans : \(ProfileLocator.searchDirectories().joined(separator: ", "))")
                throw ExitCode(66)
            }
            var lines: [String] = []
            for (name, path) in profiles {
                let description = (try? Profile.load(path: path))?.description ?? "(profil invalide / invalid profile)"
                lines.append("\(name.padded(12)) \(description)  — \(path)")
            }
            emit(lines.joined(separator: "\n") + "\n")
        }
    }
}
