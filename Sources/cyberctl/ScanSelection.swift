import Agent
import ArgumentParser
import Checks
import Foundation

/// What to scan, for the commands that run checks without writing a report (`plugin`, `metrics`): the
/// profile, the audited root, `--only`, the agent configuration (its profile, entity and domain names).
struct ScanSelection: ParsableArguments {
    @Option(help: "Nom du profil ou fichier YAML ; par défaut : celui de la configuration de l'agent, sinon default (profile name or YAML file).")
    var profile: String?

    @Option(help: "Audite le système monté dans ce dossier au lieu de / (audit a mounted system instead of /).")
    var root: String?

    @Option(parsing: .upToNextOption, help: "N'exécute que ces domaines ou contrôles : tls, certificates, patches, backups, organisation, cert.files… (only these domains or check ids).")
    var only: [String] = []

    @Option(help: "Fichier de configuration de l'agent (agent configuration file).")
    var config: String = AgentConfiguration.defaultPath

    /// The scan, as `cyberctl scan` runs it, with no report written.
    /// - Throws: `InputError` for a configuration, root or profile that cannot be used, or an unknown `--only`.
    func scan() async throws -> Report {
        let configuration: AgentConfiguration
        if config == AgentConfiguration.defaultPath && !FileManager.default.fileExists(atPath: config) {
            configuration = AgentConfiguration()
        } else {
            configuration = try AgentConfiguration.load(path: config)
        }
        var fileRoot = FileSystemRoot.system
        if let root {
            do {
                fileRoot = try FileSystemRoot(root)
            } catch {
                throw InputError(.missing, file: root, "--root: \(error)")
            }
        }
        let profilePath = try ProfileLocator.locate(profile ?? configuration.profile ?? "default")
        let scanner = Scanner(
            profile: try Profile.load(path: profilePath), root: fileRoot, entity: configuration.entity, only: only,
            domains: configuration.domains)
        return try await scanner.scan()
    }
}
