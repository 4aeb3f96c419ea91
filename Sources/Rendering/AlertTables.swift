import Agent
import Checks
import Foundation
import Model
import Territory

extension ViewTables {
    /// `territory alerts`: one row per alert (kind, entity, SIREN, host, what, date, days), or a line saying
    /// nothing is due; the parts that could not be read are a table of their own, never left out.
    public static func alerts(_ view: AlertsView, _ language: Language) -> [TextTable] {
        let fr = language == .fr
        var tables: [TextTable] = []
        if !view.errors.isEmpty {
            tables.append(TextTable(
                title: fr ? "⚠ Parties illisibles : leurs alertes sont inconnues" : "⚠ Parts that could not be read: their alerts are unknown",
                headers: [fr ? "Partie" : "Part", fr ? "Erreur" : "Error"],
                rows: view.errors.map { [partName($0.part, fr), $0.message] }))
        }
        let rows = view.alerts.map { alert -> [String] in
            [kindName(alert.kind, fr), alert.entity ?? "", alert.siren ?? "", alert.host ?? "", alert.subject,
             alert.date.map { PeopleTime.day(iso: $0) } ?? "", alert.days.map { days(alert.kind, $0, fr) } ?? "", alert.detail]
        }
        let title: String
        if view.alerts.isEmpty {
            title = view.errors.isEmpty
                ? (fr ? "Rien à signaler d'ici \(view.windowDays) j" : "Nothing due within \(view.windowDays) days")
                : (fr ? "Rien à signaler dans les parties lues d'ici \(view.windowDays) j" : "Nothing due within \(view.windowDays) days in the parts read")
        } else {
            title = fr
                ? "\(view.alerts.count) alerte(s) : échus, ou échéant d'ici \(view.windowDays) j"
                : "\(view.alerts.count) alert(s): past, or due within \(view.windowDays) days"
        }
        tables.append(TextTable(
            title: title,
            headers: [fr ? "Alerte" : "Alert", fr ? "Entité" : "Entity", "SIREN", fr ? "Hôte" : "Host", fr ? "Objet" : "Subject",
                      fr ? "Date" : "Date", fr ? "Délai" : "Time left", fr ? "Détail" : "Detail"],
            rows: rows))
        return tables
    }

    static func kindName(_ kind: AlertsView.Kind, _ fr: Bool) -> String {
        switch kind {
        case .certificateExpired: fr ? "Certificat expiré" : "Certificate expired"
        case .certificateExpiring: fr ? "Certificat expirant" : "Certificate expiring"
        case .certificateUnverified: fr ? "Certificat non vérifié" : "Certificate not verified"
        case .memberSilent: fr ? "Membre silencieux" : "Member silent"
        case .memberNeverReported: fr ? "Membre sans rapport" : "Member never reported"
        case .agentCertificateExpired: fr ? "Certificat d'agent expiré" : "Agent certificate expired"
        case .agentCertificateExpiring: fr ? "Certificat d'agent expirant" : "Agent certificate expiring"
        case .incidentOverdue: fr ? "Déclaration en retard" : "Incident report overdue"
        case .incidentDue: fr ? "Déclaration à faire" : "Incident report due"
        case .memberWithoutContact: fr ? "Membre sans contact" : "Member without contact"
        case .hostSilent: fr ? "Serveur silencieux" : "Host silent"
        case .reportRefused: fr ? "Rapport refusé" : "Report refused"
        case .reportWithdrawn: fr ? "Rapport retiré (signataire révoqué)" : "Report withdrawn (signer revoked)"
        case .crlStale: fr ? "CRL périmée" : "CRL out of date"
        case .crlMissing: fr ? "Aucune CRL" : "No CRL"
        case .noReports: fr ? "Aucun rapport dans la base" : "No report in the store"
        }
    }

    static func partName(_ part: AlertsView.Part, _ fr: Bool) -> String {
        switch part {
        case .certificates: fr ? "certificats" : "certificates"
        case .silence: fr ? "silence des membres" : "members' silence"
        case .agents: fr ? "certificats d'agent" : "agent certificates"
        case .incidents: fr ? "incidents" : "incidents"
        case .contacts: fr ? "contacts du périmètre" : "roster contacts"
        case .refusals: fr ? "rapports refusés" : "refused reports"
        case .revocation: fr ? "état des CRL" : "CRL state"
        }
    }

    /// `dans 12 j` / `depuis 3 j`; for a silent member, the days since its newest report.
    static func days(_ kind: AlertsView.Kind, _ days: Int, _ fr: Bool) -> String {
        if kind == .memberSilent || kind == .hostSilent { return fr ? "muet depuis \(days) j" : "silent for \(days) d" }
        if kind == .reportRefused { return fr ? "refusé il y a \(days) j" : "refused \(days) d ago" }
        if kind == .reportWithdrawn { return fr ? "retiré il y a \(days) j" : "withdrawn \(days) d ago" }
        if days < 0 { return fr ? "échu depuis \(-days) j" : "\(-days) d ago" }
        return fr ? "dans \(days) j" : "in \(days) d"
    }
}
