import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import Model

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
        let configuration = try loadConfiguration()
        let scanner = Scanner(
            profile: try Profile.load(path: try profilePath(configuration)), root: try auditedRoot(), entity: configuration.entity, only: only,
            domains: configuration.domains)
        return try await scanner.scan()
    }

    /// The agent configuration: the file when it exists; defaults when the default file is absent.
    /// - Throws: `InputError` for a file named that is missing or malformed.
    func loadConfiguration() throws(InputError) -> AgentConfiguration {
        if config == AgentConfiguration.defaultPath && !FileManager.default.fileExists(atPath: config) {
            return AgentConfiguration()
        }
        return try AgentConfiguration.load(path: config)
    }

    /// `--root` as a file-system root (this host's `/` without it).
    /// - Throws: `InputError(.missing)` naming the folder, in `language`.
    func auditedRoot(language: Language = .fr) throws(InputError) -> FileSystemRoot {
        guard let root else { return .system }
        do {
            return try FileSystemRoot(root)
        } catch {
            throw InputError(.missing, file: root, fr: "--root : \(error)",
                                                   en: "--root: \(error)")
        }
    }

    /// The profile file: `--profile`, else the configuration's, else `default`.
    /// - Throws: `InputError` when no such profile is found.
    func profilePath(_ configuration: AgentConfiguration) throws(InputError) -> String {
        try ProfileLocator.locate(profile ?? configuration.profile ?? "default")
    }
}
