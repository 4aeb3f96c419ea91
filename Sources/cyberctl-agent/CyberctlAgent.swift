import Agent
import AgentCLI
import ArgumentParser

/// `cyberctl-agent`: what runs on a commune's server, and nothing else (no collector, no territory store,
/// no élus summary). The RSSI's full tool is `cyberctl`, which serves the same commands.
@main
struct CyberctlAgent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cyberctl-agent",
        abstract: "Agent cyberctl : contrôles du serveur, rapport signé, envoi au RSSI (cyberctl agent: checks, signed report, delivery).",
        discussion: """
            L'agent d'une commune ou d'une intercommunalité : contrôles en lecture seule (TLS, certificats, mises à jour, \
            sauvegardes, NIS 2), rapport signé, envoi au collecteur du RSSI. Textes en français par défaut ; --lang en pour \
            l'anglais. L'outil complet du RSSI est cyberctl.

            The agent of a commune or intercommunalité: read-only checks, a signed report, delivery to the RSSI's \
            collector. French by default; --lang en for English. The RSSI's full tool is cyberctl.
            """,
        version: Scanner.version,
        subcommands: AgentCommand.subcommands
    )

    /// Synchronous on purpose: an async `main` would end the main thread with pthread_exit, whose stack
    /// unwinding costs 2–3 MB of resident memory per run (`AgentCommand.parkedMain`).
    static func main() {
        AgentCommand.parkedMain(root: CyberctlAgent.self)
    }
}
