/// The documents that rule references point to, by id. Result `references` hold these ids.
public enum ReferenceCatalogue {
    public struct Entry: Sendable {
        public let id: String
        public let title: String
        public let url: String?
    }

    public static let entries: [String: Entry] = Dictionary(uniqueKeysWithValues: [
        Entry(id: "NIS2-21.2.a", title: "Directive (UE) 2022/2555, art. 21(2)(a) — analyse des risques et sécurité des SI", url: "https://eur-lex.europa.eu/eli/dir/2022/2555/oj"),
        Entry(id: "NIS2-21.2.b", title: "Directive (UE) 2022/2555, art. 21(2)(b) — gestion des incidents", url: "https://eur-lex.europa.eu/eli/dir/2022/2555/oj"),
        Entry(id: "NIS2-21.2.c", title: "Directive (UE) 2022/2555, art. 21(2)(c) — continuité, sauvegardes, crise", url: "https://eur-lex.europa.eu/eli/dir/2022/2555/oj"),
        Entry(id: "NIS2-21.2.e", title: "Directive (UE) 2022/2555, art. 21(2)(e) — maintenance, vulnérabilités", url: "https://eur-lex.europa.eu/eli/dir/2022/2555/oj"),
        Entry(id: "NIS2-21.2.h", title: "Directive (UE) 2022/2555, art. 21(2)(h) — cryptographie et chiffrement", url: "https://eur-lex.europa.eu/eli/dir/2022/2555/oj"),
        Entry(id: "ANSSI-TLS", title: "ANSSI, Recommandations de sécurité relatives à TLS (v1.2, 2020)", url: "https://cyber.gouv.fr/publications/recommandations-de-securite-relatives-tls"),
        Entry(id: "ANSSI-TLS-R26", title: "ANSSI TLS, R26 — taille des clés RSA (2048 bits au moins)", url: "https://cyber.gouv.fr/publications/recommandations-de-securite-relatives-tls"),
        Entry(id: "RGS-B1", title: "RGS, annexe B1 — mécanismes cryptographiques", url: "https://cyber.gouv.fr/le-referentiel-general-de-securite-rgs"),
        Entry(id: "ANSSI-HYG-34", title: "ANSSI, Guide d'hygiène informatique, mesure 34 — politique de mise à jour", url: "https://cyber.gouv.fr/publications/guide-dhygiene-informatique"),
        Entry(id: "EU-2024-2690-4.2", title: "Règlement d'exécution (UE) 2024/2690, annexe, point 4.2 — sauvegardes et redondance", url: "https://eur-lex.europa.eu/eli/reg_impl/2024/2690/oj"),
        Entry(id: "RECYF-13", title: "ANSSI, ReCyF (Référentiel Cyber France), objectif 13 — continuité et reprise d'activité", url: "https://messervices.cyber.gouv.fr/nis2"),
        Entry(id: "ANSSI-HYG-37", title: "ANSSI, Guide d'hygiène informatique, mesure 37 — sauvegardes", url: "https://cyber.gouv.fr/publications/guide-dhygiene-informatique"),
    ].map { ($0.id, $0) })
}
