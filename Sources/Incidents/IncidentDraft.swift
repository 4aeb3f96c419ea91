import Checks
import Foundation
import Territory

/// Pre-filled French drafts of the reports an incident requires, with the fields each stage must
/// contain, in Markdown or plain text.
///
/// Fields per stage (sources: Directive (EU) 2022/2555 Art. 23(4); GDPR Art. 33(3), 33(1) for late
/// notifications, Art. 34 for informing people): see `requiredFields(_:)`. Fields cyberctl cannot know
/// are marked "[À compléter]"; the entity's identity, the timeline (awareness, log), the affected hosts
/// and their latest findings from the store are filled in.
public struct IncidentDraft: Sendable {
    public enum Format: String, Sendable, CaseIterable { case markdown, text }

    public var incident: Incident
    public var stage: IncidentStage
    public var entity: EntityIdentity?
    public var hosts: [HostEvidence]
    /// Where to send it and who to call (lines prepared by the caller from the CSIRT directory).
    public var recipients: [String]
    /// The entity's contacts from the declared roster (maire, élu référent, DGS, DPO, prestataire).
    public var contacts: [Roster.Contact]
    public var now: Date

    public init(
        incident: Incident, stage: IncidentStage, entity: EntityIdentity?, hosts: [HostEvidence], recipients: [String],
        contacts: [Roster.Contact] = [], now: Date = Date()
    ) {
        self.incident = incident
        self.stage = stage
        self.entity = entity
        self.hosts = hosts
        self.recipients = recipients
        self.contacts = contacts
        self.now = now
    }

    /// The people to contact, from the roster: the élu référent and the DGS first (they answer the
    /// authorities), then the others; nil when the roster names nobody.
    var contactText: String? {
        let order: [Roster.ContactRole] = [.eluReferent, .dgs, .maire, .president, .dpo, .prestataire]
        let known = order.compactMap { role in contacts.first { $0.role == role } }
        guard !known.isEmpty else { return nil }
        return known.map { "\($0.role.french) : \($0.line)" }.joined(separator: " ; ")
    }

    static let toComplete = "[À compléter]"

    /// Labels common to every draft.
    public static let commonFields = [
        "Entité", "SIREN", "Personne à contacter", "Date et heure de prise de connaissance", "Chronologie", "Systèmes concernés",
    ]

    /// The labels a draft of `stage` must contain, in order (common fields first).
    public static func requiredFields(_ stage: IncidentStage) -> [String] {
        commonFields + stageFields(stage).map(\.label)
    }

    /// The stage's own fields, each with the text that explains it.
    static func stageFields(_ stage: IncidentStage) -> [(label: String, help: String)] {
        switch stage {
        case .earlyWarning:
            [("Acte illicite ou malveillant suspecté", "oui / non / à déterminer (art. 23(4)(a))"),
             ("Impact transfrontière possible", "oui / non / à déterminer (art. 23(4)(a))")]
        case .notification:
            [("Mise à jour de l'alerte précoce", "ce qui a changé depuis l'alerte précoce (art. 23(4)(b))"),
             ("Évaluation initiale : gravité", "faible / modérée / élevée / critique, et pourquoi"),
             ("Évaluation initiale : impact", "services, usagers et données touchés ; durée d'indisponibilité"),
             ("Indicateurs de compromission", "adresses IP, domaines, empreintes de fichiers, comptes, s'ils sont disponibles")]
        case .final:
            [("Description détaillée de l'incident, gravité et impact", "art. 23(4)(d)(i)"),
             ("Type de menace ou cause profonde", "art. 23(4)(d)(ii) ; probable si non établie"),
             ("Mesures d'atténuation appliquées", "art. 23(4)(d)(iii)"),
             ("Mesures d'atténuation en cours", "art. 23(4)(d)(iii)"),
             ("Impact transfrontière", "art. 23(4)(d)(iv), le cas échéant")]
        case .cnil:
            [("Nature de la violation", "confidentialité / intégrité / disponibilité ; ce qui s'est passé (art. 33(3)(a))"),
             ("Catégories de personnes concernées", "agents, usagers, élus, mineurs… (art. 33(3)(a))"),
             ("Nombre approximatif de personnes concernées", "art. 33(3)(a)"),
             ("Catégories d'enregistrements concernés", "état civil, fiscalité, social, RH… (art. 33(3)(a))"),
             ("Nombre approximatif d'enregistrements concernés", "art. 33(3)(a)"),
             ("Délégué à la protection des données (DPO) ou point de contact", "nom et coordonnées (art. 33(3)(b))"),
             ("Conséquences probables", "art. 33(3)(c)"),
             ("Mesures prises ou envisagées", "pour remédier à la violation et en atténuer les effets (art. 33(3)(d))"),
             ("Information des personnes concernées", "nécessaire si risque élevé (art. 34) : oui / non, et comment"),
             ("Motifs du retard", "à remplir si la notification part plus de 72 h après la prise de connaissance (art. 33(1))")]
        }
    }

    /// The draft in `format`.
    public func render(_ format: Format) -> String {
        var out: [String] = []
        let md = format == .markdown
        func heading(_ text: String, level: Int) {
            if md { out.append(String(repeating: "#", count: level) + " " + text) } else {
                out.append(text)
                out.append(String(repeating: level == 1 ? "=" : "-", count: text.count))
            }
            out.append("")
        }
        func field(_ label: String, _ value: String) { out.append(md ? "- **\(label)** : \(value)" : "  \(label) : \(value)") }
        func bullet(_ text: String, depth: Int = 0) { out.append(String(repeating: "  ", count: depth + (md ? 0 : 1)) + "- " + text) }

        let deadline = incident.deadlines(now: now).first { $0.stage == stage }
        heading("\(stage.title(english: false)) — brouillon (incident \(incident.id) : \(incident.title))", level: 1)
        out.append("Brouillon préparé par cyberctl le \(IncidentClock.local(now)) ; à relire et compléter avant envoi. Base légale : \(stage.basis).")
        if let deadline {
            let state = switch deadline.state {
            case .submitted: "envoyé le \(deadline.submittedAt.map(IncidentClock.local) ?? "")"
            case .late: "⚠ envoyé en retard (de \(IncidentClock.span(seconds: deadline.lateBy ?? 0, english: false))) le \(deadline.submittedAt.map(IncidentClock.local) ?? "")"
            case .overdue: "⚠ \(deadline.remaining)"
            case .pending: deadline.remaining
            }
            out.append("Échéance : \(deadline.dueLocal) (\(deadline.computedFrom)) — \(state).")
        } else if stage != .cnil {
            out.append("Note : l'incident est marqué comme non significatif (art. 23(3)) ; aucune déclaration NIS 2 n'est exigée.")
        } else {
            out.append("Note : l'incident n'est pas marqué comme touchant des données personnelles ; notification CNIL non exigée à ce stade.")
        }
        if stage == .final && incident.isOpen {
            out.append("L'incident est toujours en cours : à cette échéance, envoyer un rapport d'avancement, puis le rapport final au plus tard un mois après la fin du traitement (art. 23(4)(e)).")
        }
        out.append("")

        heading("Destinataires et contacts", level: 2)
        for line in recipients { bullet(line) }
        out.append("")

        heading("Identification de l'entité", level: 2)
        field("Entité", entity?.name ?? Self.toComplete)
        field("SIREN", incident.siren ?? Self.toComplete)
        if let entity {
            if let kind = entity.kind { field("Type", kind) }
            if let insee = entity.insee { field("Code INSEE", insee) }
            if let departement = entity.departement { field("Département", departement) }
            if let region = entity.region { field("Région", region) }
        }
        field("Personne à contacter", contactText.map { "\($0) (d'après le périmètre déclaré ; à vérifier)" } ?? "\(Self.toComplete) (nom, fonction, téléphone, courriel)")
        out.append("")

        heading("Incident", level: 2)
        field("Intitulé", incident.title)
        field("Date et heure de prise de connaissance", IncidentClock.local(incident.awareAt))
        field("Incident significatif (art. 23(3))", ["yes": "oui", "no": "non", "unknown": "à déterminer"][incident.significant.rawValue]!)
        field("Données personnelles concernées", incident.personalData ? "oui" : "non")
        field("État", incident.isOpen ? "en cours" : "traité le \(IncidentClock.local(incident.closedAt!))")
        // The reasons for a delay are asked for once the deadline is missed (overdue, or sent late); before, or sent on time, they do not apply.
        let missed = deadline.map { $0.state == .overdue || $0.state == .late } ?? false
        for (label, help) in Self.stageFields(stage) where !(label == "Motifs du retard" && !missed) {
            if label.hasPrefix("Délégué à la protection des données"), let dpo = contacts.first(where: { $0.role == .dpo }) {
                field(label, "\(dpo.line) (d'après le périmètre déclaré ; à vérifier)")
                continue
            }
            field(label, "\(Self.toComplete) — \(help)")
        }
        if stage == .cnil, !missed {
            field("Motifs du retard", "sans objet si envoyée avant l'échéance (art. 33(1))")
        }
        out.append("")

        heading("Chronologie", level: 2)
        bullet("\(IncidentClock.local(incident.awareAt)) — prise de connaissance")
        for entry in incident.log {
            let sent = entry.stage.map { " [envoi : \($0.title(english: false))]" } ?? ""
            bullet("\(IncidentClock.local(entry.at)) — \(entry.text)\(sent)")
        }
        out.append("")

        heading("Systèmes concernés", level: 2)
        if hosts.isEmpty { out.append(md ? Self.toComplete : "  \(Self.toComplete)") }
        for host in hosts {
            guard let latest = host.latestReport else {
                bullet("\(host.hostname) : aucun rapport de l'agent dans la base du territoire")
                continue
            }
            bullet("\(host.hostname) : dernier rapport du \(latest), score \(host.score.map(String.init) ?? "—")/100, \(host.findings.count) constat(s) à traiter")
            for finding in host.findings {
                bullet("[\(finding.status.rawValue)/\(finding.severity.rawValue)] \(finding.title) (\(finding.code)) — \(finding.target)", depth: 1)
            }
        }
        out.append("")
        return out.joined(separator: "\n")
    }
}
