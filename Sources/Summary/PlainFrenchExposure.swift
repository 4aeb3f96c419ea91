import Checks

/// The élus' words for the rules of the commune's domain names (`exposition`: mail authentication, the
/// domain's protection, its web site), merged into `PlainFrench.exact`.
extension PlainFrench {
    static let exposure: [String: PlainAction] = {
        let imitated = A(
            "Empêcher que l'on imite les courriels de la mairie",
            "Les courriels de la mairie peuvent être imités : il manque une règle de protection dans le nom de domaine.",
            .technician, 0...1, .none)
        let inbound = A(
            "Protéger les courriels reçus par la mairie pendant leur acheminement",
            "Les messages envoyés à la mairie peuvent circuler sans protection et être lus en chemin.", .technician, 0...2, .none)
        let name = A(
            "Sécuriser le nom de domaine de la collectivité chez son hébergeur",
            "Sans cette protection, un attaquant peut détourner le site ou la messagerie vers ses propres machines.", .mutualised, 1...2, .small)
        let site = A(
            "Protéger les connexions au site internet de la collectivité",
            "Les visiteurs du site peuvent être espionnés ou dirigés vers une fausse page.", .technician, 0...1, .none)
        return [
            "mail.spf": imitated, "mail.dmarc": imitated, "mail.dkim": imitated,
            "mail.mta-sts": inbound, "mail.tls-rpt": inbound, "mail.starttls": inbound, "mail.dane": inbound,
            "dns.dnssec": name, "dns.caa": name, "dns.ns-consistency": name,
            "dns.resolver": A(
                "Faire vérifier les noms de domaine de la collectivité",
                "Ils n'ont pas pu être contrôlés : leur protection reste inconnue.", .mutualised, 0...1, .none),
            "web.https": site, "web.redirect": site, "web.hsts": site,
            "web.security-txt": A(
                "Indiquer sur le site à qui signaler une faille de sécurité",
                "Une personne qui découvre un problème doit savoir qui prévenir.", .administration, 0...0, .none),
        ]
    }()

    static let exposureDomain = A(
        "Protéger les noms de domaine de la collectivité (messagerie et site internet)",
        "C'est par eux que passent la plupart des tentatives d'escroquerie visant la mairie.", .technician, 1...2, .none)
}
