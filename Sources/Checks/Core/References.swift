/// The documents that rule references point to. Result `references` hold ids; this turns an id into a
/// title and an address, for tables, HTML views and the élus summary.
///
/// Id families: `NIS2-21.2.<letter>` and `NIS2-20` (Directive (EU) 2022/2555), `EU-2024/2690-<section>`
/// (Commission Implementing Regulation (EU) 2024/2690, annex), `RECYF-<objective>` (ANSSI's Référentiel
/// Cyber France v2.5), `ANSSI-HYG-<measure>` (ANSSI Guide d'hygiène informatique, 2017), and single
/// documents (`ANSSI-TLS`, `ANSSI-TLS-R26`, `RGS-B1`, `MOZILLA-TLS`, `ANSSI-DNS`, `ANSSI-WEB`, `INTERNETNL-MAIL`,
/// `INTERNETNL-WEB`), and IETF RFCs (`RFC-7208`). Titles: shared/references/nis2-france.md.
public enum ReferenceCatalogue {
    public struct Entry: Sendable, Equatable {
        public let id: String
        public let title: String
        public let url: String?
    }

    static let directive = "https://eur-lex.europa.eu/eli/dir/2022/2555/oj"
    static let regulation = "https://eur-lex.europa.eu/eli/reg_impl/2024/2690/oj"
    static let hygieneGuide = "https://cyber.gouv.fr/publications/guide-dhygiene-informatique"
    static let recyf = "https://messervices.cyber.gouv.fr/nis2"

    /// Art. 21(2) measures, in the directive's order.
    static let article21: [String: String] = [
        "a": "analyse des risques et sécurité des systèmes d'information",
        "b": "gestion des incidents",
        "c": "continuité d'activité, sauvegardes, gestion de crise",
        "d": "sécurité de la chaîne d'approvisionnement",
        "e": "sécurité de l'acquisition, du développement et de la maintenance, gestion des vulnérabilités",
        "f": "évaluation de l'efficacité des mesures",
        "g": "cyberhygiène et formation",
        "h": "cryptographie et chiffrement",
        "i": "sécurité des ressources humaines, contrôle d'accès, gestion des actifs",
        "j": "authentification multifacteur et communications sécurisées",
    ]

    /// ReCyF v2.5 security objectives 1–20.
    static let recyfObjectives: [Int: String] = [
        1: "Recensement des systèmes d'information", 2: "Cadre de gouvernance de la sécurité numérique",
        3: "Maîtrise de l'écosystème", 4: "Sécurité numérique dans la gestion des RH",
        5: "Maîtrise des systèmes d'information", 6: "Maîtrise des accès physiques aux locaux",
        7: "Sécurisation de l'architecture des SI", 8: "Sécurisation des accès distants",
        9: "Protection contre les codes malveillants", 10: "Gestion des identités et des accès des utilisateurs",
        11: "Maîtrise de l'administration des SI", 12: "Identification et réaction aux incidents de sécurité",
        13: "Continuité et reprise d'activité", 14: "Réaction aux crises d'origine cyber",
        15: "Exercices, tests et entraînements", 16: "Approche par les risques",
        17: "Audit de la sécurité des SI", 18: "Sécurisation de la configuration des ressources",
        19: "Administration depuis des ressources dédiées", 20: "Supervision de la sécurité des SI",
    ]

    /// Documents cited as a whole or by one recommendation.
    static let documents: [String: Entry] = Dictionary(uniqueKeysWithValues: [
        Entry(id: "ANSSI-TLS", title: "ANSSI, Recommandations de sécurité relatives à TLS (v1.2, 2020)", url: "https://cyber.gouv.fr/publications/recommandations-de-securite-relatives-tls"),
        Entry(id: "ANSSI-TLS-R26", title: "ANSSI TLS, R26 — taille des clés RSA (2048 bits au moins)", url: "https://cyber.gouv.fr/publications/recommandations-de-securite-relatives-tls"),
        Entry(id: "RGS-B1", title: "RGS, annexe B1 — mécanismes cryptographiques", url: "https://cyber.gouv.fr/le-referentiel-general-de-securite-rgs"),
        Entry(id: "MOZILLA-TLS", title: "Mozilla, Server Side TLS — profil intermédiaire", url: "https://wiki.mozilla.org/Security/Server_Side_TLS"),
        Entry(id: "ANSSI-DNS", title: "ANSSI, Bonnes pratiques pour l'acquisition et l'exploitation de noms de domaine (2017)", url: "https://cyber.gouv.fr/publications/bonnes-pratiques-pour-lacquisition-et-lexploitation-de-noms-de-domaine"),
        Entry(id: "ANSSI-WEB", title: "ANSSI, Recommandations pour la mise en œuvre d'un site web : maîtriser les standards de sécurité côté navigateur (2021)", url: "https://cyber.gouv.fr/publications/recommandations-pour-la-mise-en-oeuvre-dun-site-web-maitriser-les-standards-de-securite"),
        Entry(id: "INTERNETNL-MAIL", title: "internet.nl, test de la messagerie (SPF, DKIM, DMARC, STARTTLS, DANE)", url: "https://internet.nl/test-mail/"),
        Entry(id: "INTERNETNL-WEB", title: "internet.nl, test du site web (IPv6, DNSSEC, HTTPS, HSTS, security.txt)", url: "https://internet.nl/test-site/"),
        Entry(id: "NIS2-20", title: "Directive (UE) 2022/2555, art. 20 — gouvernance : approbation, responsabilité et formation des organes de direction", url: directive),
        Entry(id: "SSLLABS-CAPS", title: "Qualys SSL Labs, SSL Server Rating Guide — plafonds de note (« grade capped »), modèle des plafonds de niveau", url: "https://github.com/ssllabs/research/wiki/SSL-Server-Rating-Guide"),
        Entry(id: "SSLLABS-T", title: "Qualys SSL Labs, SSL Server Rating Guide — certificat expiré ou non fiable : note T, quel que soit le reste", url: "https://github.com/ssllabs/research/wiki/SSL-Server-Rating-Guide"),
        Entry(id: "NIS2-23", title: "Directive (UE) 2022/2555, art. 23 — obligations d'information (notification des incidents)", url: directive),
    ].map { ($0.id, $0) })

    /// The entry for `id`; nil for an id no family knows.
    public static func entry(for id: String) -> Entry? {
        if let document = documents[id] { return document }
        if id.hasPrefix("NIS2-21.2."), let measure = article21[String(id.dropFirst("NIS2-21.2.".count))] {
            let letter = id.dropFirst("NIS2-21.2.".count)
            return Entry(id: id, title: "Directive (UE) 2022/2555, art. 21(2)(\(letter)) — \(measure)", url: directive)
        }
        if id.hasPrefix("RECYF-") {
            let objective = id.dropFirst("RECYF-".count)
            // "13", or a sub-theme such as "2.B": the objective is the leading number.
            guard let number = Int(objective.prefix { $0.isNumber }), let title = recyfObjectives[number] else { return nil }
            return Entry(id: id, title: "ReCyF (ANSSI), objectif \(objective) — \(title)", url: recyf)
        }
        if id.hasPrefix("ANSSI-HYG-"), let measure = Int(id.dropFirst("ANSSI-HYG-".count)), (1...42).contains(measure) {
            return Entry(id: id, title: "ANSSI, Guide d'hygiène informatique, mesure \(measure)", url: hygieneGuide)
        }
        if id.hasPrefix("RFC-"), let number = Int(id.dropFirst("RFC-".count)) {
            return Entry(id: id, title: "IETF RFC \(number)", url: "https://www.rfc-editor.org/rfc/rfc\(number)")
        }
        if id.hasPrefix("EU-2024/2690-") {
            return Entry(id: id, title: "Règlement d'exécution (UE) 2024/2690, annexe, point \(id.dropFirst("EU-2024/2690-".count))", url: regulation)
        }
        return nil
    }
}
