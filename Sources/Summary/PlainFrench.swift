import Checks
import Model

/// Who must act on a priority, in the words of a town hall.
public enum Actor: String, Codable, Sendable {
    /// The IT contractor or the technician who runs the servers.
    case technician
    /// The mutualised IT service of the intercommunalité.
    case mutualised
    /// The administration: directeur général des services, secrétaire de mairie.
    case administration
    /// The maire (or président) and the council: a decision, a budget, a person named.
    case council

    public var french: String {
        switch self {
        case .technician: return "le prestataire ou le technicien informatique"
        case .mutualised: return "le service informatique mutualisé"
        case .administration: return "la direction générale des services"
        case .council: return "le maire et le conseil"
        }
    }
}

/// A rough cost band for a priority (external spending; staff time is counted in days).
public enum CostBand: Int, Codable, Sendable, Comparable {
    case none = 0, small, medium, large

    public var french: String {
        switch self {
        case .none: return "sans dépense"
        case .small: return "moins de 1 000 €"
        case .medium: return "1 000 à 5 000 €"
        case .large: return "5 000 à 20 000 €"
        }
    }

    public static func < (lhs: CostBand, rhs: CostBand) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One finding said in plain French: what to do, why, who acts, rough effort.
public struct PlainAction: Codable, Sendable, Equatable {
    /// What to do, as an instruction (`Installer les correctifs de sécurité en attente`).
    public var action: String
    /// Why it matters, one short sentence.
    public var why: String
    public var who: Actor
    /// Working days, low and high estimate.
    public var days: ClosedRange<Int>
    public var cost: CostBand

    init(_ action: String, _ why: String, _ who: Actor, _ days: ClosedRange<Int>, _ cost: CostBand) {
        self.action = action
        self.why = why
        self.who = who
        self.days = days
        self.cost = cost
    }

    /// `1 à 2 jours`, `moins d'une journée`.
    public var effortFrench: String {
        if days.upperBound == 0 { return "moins d'une journée" }
        if days.lowerBound == 0 { return days.upperBound == 1 ? "1 jour au plus" : "\(days.upperBound) jours au plus" }
        if days.lowerBound == days.upperBound { return days.lowerBound == 1 ? "1 jour" : "\(days.lowerBound) jours" }
        return "\(days.lowerBound) à \(days.upperBound) jours"
    }
}

/// The élus' words for rule codes. Findings are translated by exact code first, then by code
/// prefix (`org.nis2.b.` → incident response), then by domain; an unknown code still gets a plain
/// sentence, never its code. The efforts are orders of magnitude for a commune of a few thousand
/// inhabitants with one or two servers (the RSSI adjusts them), not quotes.
public enum PlainFrench {
    typealias A = PlainAction

    static let exact: [String: PlainAction] = {
        let exchanges = A(
            "Renforcer le réglage de la protection des échanges du site internet et de la messagerie",
            "Un réglage trop ancien permet d'espionner ou de détourner ce que les usagers envoient.", .technician, 0...1, .none)
        let renew = A(
            "Renouveler les certificats de sécurité expirés ou proches de l'expiration",
            "Sans certificat valable, le site ou la messagerie affiche une alerte ou cesse de fonctionner.", .technician, 0...1, .small)
        let strengthen = A(
            "Remplacer les certificats de sécurité trop faibles",
            "Une protection trop faible peut être contrefaite par un attaquant.", .technician, 0...1, .small)
        let recognised = A(
            "Faire délivrer des certificats de sécurité reconnus par les navigateurs",
            "Sinon, les usagers prennent l'habitude d'ignorer les alertes de sécurité.", .technician, 0...1, .small)
        let patches = A(
            "Installer les correctifs de sécurité en attente sur les serveurs",
            "La plupart des attaques réussies passent par une faille déjà corrigée par l'éditeur.", .technician, 0...1, .none)
        let patchSearch = A(
            "Remettre en marche la recherche automatique des correctifs sur les serveurs",
            "Sans elle, les failles corrigées par l'éditeur restent ouvertes chez nous.", .technician, 0...1, .none)
        let repairBackups = A(
            "Réparer les sauvegardes qui ne se font plus correctement",
            "Une sauvegarde ancienne ou incomplète ne permet pas de repartir après une attaque.", .technician, 1...2, .none)
        let separate = A(
            "Garder les sauvegardes sur un support séparé des données",
            "Si les sauvegardes sont au même endroit que les données, une attaque ou une panne détruit les deux.", .technician, 1...3, .medium)
        return [
            "tls.legacy-protocols": A(
                "Fermer les anciennes méthodes de protection des échanges encore acceptées par le site et la messagerie",
                "Ces méthodes dépassées peuvent être contournées par un attaquant.", .technician, 0...1, .none),
            "tls.weak-ciphers": A(
                "Retirer les méthodes de chiffrement trop faibles du site et de la messagerie",
                "Un chiffrement faible ne protège plus les échanges des usagers.", .technician, 0...1, .none),
            "tls.forward-secrecy": exchanges, "tls.dh-params": exchanges, "tls.compression": exchanges,
            "tls.renegotiation": exchanges, "tls.ocsp-stapling": exchanges,
            "tls.hsts": A(
                "Obliger les navigateurs à toujours utiliser la connexion protégée du site",
                "Sinon, un usager peut être dirigé sans le voir vers une connexion non protégée.", .technician, 0...1, .none),
            "tls.cert.expiry": renew, "cert.expiry": renew,
            "tls.cert.key-strength": strengthen, "cert.key-strength": strengthen,
            "tls.cert.signature-algorithm": strengthen, "cert.signature-algorithm": strengthen,
            "tls.cert.trust": recognised, "tls.cert.hostname": recognised, "cert.self-signed": recognised,
            "cert.file": A(
                "Remettre en ordre les certificats de sécurité illisibles sur les serveurs",
                "Un certificat illisible cache souvent une expiration ou une erreur d'installation.", .technician, 0...1, .none),
            "patch.security-updates": patches, "patch.pending-updates": patches,
            "patch.auto-updates": A(
                "Faire installer automatiquement les correctifs de sécurité",
                "Les correctifs arrivent chaque semaine ; les installer à la main finit toujours par prendre du retard.",
                .technician, 0...1, .none),
            "patch.reboot-required": A(
                "Redémarrer les serveurs pour que les correctifs installés prennent effet",
                "Un correctif installé mais pas encore actif ne protège pas.", .technician, 0...0, .none),
            "patch.os-eol": A(
                "Remplacer les serveurs dont le système n'est plus suivi par son éditeur",
                "Plus aucune faille n'y est corrigée : c'est une porte ouverte durable.", .council, 5...10, .large),
            "patch.lists-age": patchSearch, "patch.package-lists": patchSearch, "patch.held-packages": patchSearch,
            "backup.present": A(
                "Mettre en place des sauvegardes des données de la collectivité",
                "Sans sauvegarde, une attaque par rançongiciel ou une panne fait perdre l'état civil, les fichiers et la comptabilité.",
                .technician, 3...5, .medium),
            "backup.freshness": repairBackups, "backup.job-status": repairBackups, "backup.size": repairBackups,
            "backup.recent": repairBackups,
            "backup.separate-storage": separate, "backup.offsite": separate,
            "backup.offline-copy": A(
                "Garder une copie des sauvegardes hors ligne, hors d'atteinte d'un rançongiciel",
                "Les rançongiciels cherchent et chiffrent d'abord les sauvegardes joignables par le réseau.", .technician, 2...3, .medium),
            "backup.restore-test": A(
                "Tester la restauration des données au moins une fois par an",
                "Une sauvegarde jamais restaurée est souvent inutilisable le jour où l'on en a besoin.", .technician, 1...1, .none),
            "org.nis2.art20.elu-referent": A(
                "Désigner un élu référent pour la sécurité numérique",
                "Il faut une personne qui suit le sujet et rend compte au conseil.", .council, 0...0, .none),
            "org.nis2.art20.formation-elus": A(
                "Inscrire les élus à une formation aux risques numériques",
                "La directive européenne demande que les dirigeants soient formés.", .council, 1...1, .small),
            "org.nis2.art20.strategie-deliberee": A(
                "Faire approuver par le conseil un plan de sécurité numérique",
                "Le conseil approuve les mesures et en répond.", .council, 1...2, .none),
            "org.nis2.answers": A(
                "Remplir le questionnaire d'organisation de la sécurité numérique",
                "Sans ces réponses, l'organisation de la collectivité n'est pas évaluée.", .administration, 0...1, .none),
            "org.nis2.questionnaire": A(
                "Remplir le questionnaire d'organisation de la sécurité numérique",
                "Sans ces réponses, l'organisation de la collectivité n'est pas évaluée.", .administration, 0...1, .none),
        ].merging(exposure) { own, _ in own }
    }()

    /// Organisational items by questionnaire section (`org.nis2.<section>.`).
    static let sections: [String: PlainAction] = [
        "a": A("Écrire les règles de sécurité numérique de la collectivité à partir de ses risques",
               "Sans règles écrites, chacun fait à sa façon et rien n'est vérifiable.", .administration, 3...5, .none),
        "b": A("Préparer la réponse à une attaque : qui appeler, quoi couper, qui prévenir",
               "Les premières heures décident de l'ampleur des dégâts.", .administration, 2...3, .none),
        "c": A("Préparer la reprise de l'activité après une panne ou une attaque",
               "L'état civil, la paie et l'accueil doivent pouvoir reprendre vite.", .administration, 3...5, .small),
        "d": A("Encadrer la sécurité avec les fournisseurs et le service mutualisé",
               "Une grande partie des attaques passe par un prestataire.", .administration, 2...3, .none),
        "e": A("Tenir les ordinateurs et les serveurs à jour et protégés",
               "Un poste non protégé suffit pour faire entrer un attaquant.", .mutualised, 2...5, .small),
        "f": A("Contrôler régulièrement que les mesures décidées sont appliquées",
               "Une mesure non suivie se dégrade avec le temps.", .administration, 1...2, .none),
        "g": A("Sensibiliser et former les agents aux pièges les plus courants",
               "La plupart des attaques commencent par un courriel piégé.", .administration, 1...2, .small),
        "h": A("Protéger les données sensibles, y compris sur les ordinateurs portables",
               "Un ordinateur perdu ne doit pas livrer les données des habitants.", .mutualised, 1...3, .small),
        "i": A("Tenir à jour la liste des équipements et des accès de chaque agent",
               "Les comptes oubliés d'anciens agents sont une entrée classique.", .administration, 2...3, .none),
        "j": A("Protéger les comptes importants par une double vérification à la connexion",
               "Un mot de passe volé ne suffit alors plus pour entrer.", .mutualised, 1...3, .small),
        "art20": A("Organiser le suivi de la sécurité numérique par les élus",
                   "Le conseil approuve les mesures, en répond et doit être formé.", .council, 1...2, .none),
    ]

    static let domains: [Domain: PlainAction] = [
        .tls: A("Renforcer la protection des échanges du site internet et de la messagerie",
                "Les usagers doivent pouvoir échanger avec la collectivité sans être espionnés.", .technician, 0...1, .none),
        .certificates: A("Remettre en ordre les certificats de sécurité des sites et des serveurs",
                         "Un certificat en défaut provoque des alertes ou des coupures.", .technician, 0...1, .small),
        .patches: A("Mettre à jour les logiciels des serveurs",
                    "Les failles connues sont les premières exploitées.", .technician, 1...2, .none),
        .backups: A("Fiabiliser les sauvegardes",
                    "Les sauvegardes sont la seule façon de repartir après un rançongiciel.", .technician, 1...3, .medium),
        .organisation: A("Organiser la sécurité numérique de la collectivité",
                         "Les mesures techniques ne tiennent que si quelqu'un en est chargé.", .administration, 2...5, .none),
        .exposition: exposureDomain,
    ]

    /// What a domain covers, in words an élu reads (`backups` → `les sauvegardes`).
    public static func domainName(_ domain: Domain) -> String {
        switch domain {
        case .tls: return "la protection des échanges (site internet, messagerie)"
        case .certificates: return "les certificats de sécurité"
        case .patches: return "les mises à jour des serveurs"
        case .backups: return "les sauvegardes"
        case .organisation: return "l'organisation de la sécurité numérique"
        case .exposition: return "les noms de domaine (messagerie et site internet vus d'Internet)"
        }
    }

    /// The plain-French action for a rule code.
    public static func action(for code: String) -> PlainAction {
        if let action = exact[code] { return action }
        if code.hasPrefix("org.nis2.") {
            let rest = code.dropFirst("org.nis2.".count)
            if let section = rest.split(separator: ".").first, let action = sections[String(section)] { return action }
        }
        if let domain = Domain(ruleCode: code), let action = domains[domain] { return action }
        return A("Corriger un point relevé par le contrôle technique", "Le technicien a le détail de ce point.", .technician, 0...2, .none)
    }

    /// One sentence on what a level means, for the council.
    public static func meaning(of level: Level) -> String {
        switch level {
        case .a: return "Très bon niveau : les protections essentielles sont en place ; il faut les entretenir."
        case .b: return "Bon niveau : quelques points restent à corriger, sans urgence majeure."
        case .c: return "Niveau moyen : des failles réelles existent ; un plan d'action sur quelques mois est nécessaire."
        case .d: return "Niveau insuffisant : une attaque courante aurait de bonnes chances de réussir ; il faut agir dans les semaines qui viennent."
        case .e: return "Niveau critique : la collectivité est très exposée ; des mesures urgentes s'imposent."
        }
    }
}
