import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import Model
import Trust

extension AgentCommand {
    /// An agent's key and certificate request.
    struct Enroll: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Crée la clé de l'agent et sa demande de certificat (create the agent key and CSR).")

        @Option(name: .customLong("entity-name"), help: "Nom de la collectivité, champ O du certificat (name of the local authority).")
        var entityName: String

        @Option(help: "SIREN de la collectivité, 9 chiffres, clé de Luhn, espaces admis : 212 900 195 ; organizationIdentifier NTRFR-<SIREN> (SIREN of the local authority, spaces allowed).", transform: Identifiers.normalizedSIREN)
        var siren: String

        @Option(help: "Nom de l'hôte, champ CN du certificat ; par défaut : le nom de ce serveur (host name).")
        var host: String?

        @Option(help: "Dossier pour agent.key (mode 0600) et agent.csr (folder for the key and the request).")
        var dir = "/etc/cyberctl"

        @Flag(help: "Remplace une clé d'agent existante (replace an existing agent key).")
        var force = false

        func run() throws {
            do {
                let hostName = host ?? HostFacts.collect(root: .system).hostname
                let identity = try AgentIdentity(entityName: entityName, siren: siren, host: hostName)
                let result = try Enrolment.enroll(identity: identity, directory: dir, replace: force)
                emit("""
                    Clé de l'agent : \(result.keyPath) (mode 0600)
                    Demande de certificat : \(result.requestPath)
                    Sujet : \(identity.subject)

                    Étapes suivantes / next steps:
                      1. envoyer \(result.requestPath) au RSSI, qui lance : cyberctl pki issue agent.csr
                      2. installer le certificat reçu en \(dir)/agent.crt
                      3. dans \(dir)/agent.yaml :
                           signing:
                             key: \(result.keyPath)
                             certificate: \(dir)/agent.crt

                    """)
            } catch {
                throw failure(reporting: error)
            }
        }
    }
}
