import Agent
import Checks
import Foundation
import Model
import Territory
import Trust

extension ViewTables {
    /// One row per agent whose certificate needs renewing.
    public static func agentCertificates(_ view: AgentCertificatesView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        let rows = view.agents.map { agent -> [String] in
            let state = agent.state == SignerCertificateStatus.State.expired.rawValue
                ? (fr ? "EXPIRÉ depuis \(-agent.daysLeft) j" : "EXPIRED \(-agent.daysLeft) d ago")
                : (fr ? "expire dans \(agent.daysLeft) j" : "expires in \(agent.daysLeft) d")
            return [agent.entity ?? "", agent.siren, agent.host, agent.serial, PeopleTime.day(iso: agent.notAfter), state, PeopleTime.day(iso: agent.latestReport)]
        }
        return [TextTable(
            title: fr
                ? "Certificats d'agent expirés ou expirant sous \(view.windowDays) jours (à renouveler : cyberctl pki issue)"
                : "Agent certificates expired or expiring within \(view.windowDays) days (renew: cyberctl pki issue)",
            headers: [fr ? "Entité" : "Entity", "SIREN", fr ? "Hôte" : "Host", fr ? "Série" : "Serial", fr ? "Fin de validité" : "Not after",
                      fr ? "État" : "State", fr ? "Dernier rapport" : "Latest report"],
            rows: rows)]
    }
}
