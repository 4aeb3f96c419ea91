import Model

/// The rules of domain `exposition`: a commune's domain names as an attacker sees them from the
/// Internet — mail authentication (`mail.`), DNS (`dns.`), web (`web.`). One row per rule with what makes
/// it fail or warn, its severity and its sources; `DomainEvaluation` applies them and
/// `docs/domains.md` explains each.
///
/// Sources: RFC 7208 (SPF), RFC 7489 (DMARC), RFC 6376 and RFC 8301 (DKIM), RFC 8461 (MTA-STS), RFC 8460
/// (TLS-RPT), RFC 3207 (STARTTLS), RFC 6698 / RFC 7671 / RFC 7672 (DANE), RFC 7505 (null MX), RFC 4033–4035
/// (DNSSEC), RFC 8659 (CAA), RFC 1034 §4.1 and RFC 2182 (name servers), RFC 6797 (HSTS), RFC 9116
/// (security.txt); internet.nl's mail and website tests; ANSSI's guides on domain names (2017), TLS (2020)
/// and web sites (2021).
public enum ExposureRules {
    /// One rule of the table.
    public struct Row: Sendable {
        public let code: String
        public let fails: String
        public let warns: String
        public let severity: Severity
        public let source: String
    }

    public static let table: [Row] = [
        Row(code: "mail.spf", fails: "no SPF record, several, more than 10 DNS-querying terms (through includes), an include without record, an unknown mechanism, or an ending other than -all/~all (+all: critical)",
            warns: "the ptr mechanism is used", severity: .high,
            source: "RFC 7208 §4.5, §4.6.4, §5.5; internet.nl mail test (SPF); ANSSI, noms de domaine (2017)"),
        Row(code: "mail.dmarc", fails: "no DMARC record, several, or an invalid policy", warns: "p=none, pct under 100, no rua, or sp=none under a stricter p",
            severity: .high, source: "RFC 7489 §6.3, §6.6.3; internet.nl mail test (DMARC policy quarantine or reject)"),
        Row(code: "mail.dkim", fails: "a declared selector without key, a revoked key (p=), an unreadable key, or an RSA key under 1024 bits",
            warns: "an RSA key under 2048 bits, or a key in test mode (t=y)", severity: .medium,
            source: "RFC 6376 §3.6.1; RFC 8301 §3.2 (1024 bits at least, 2048 recommended); ANSSI RGS B1 (RSA 2048)"),
        Row(code: "mail.mta-sts", fails: "the policy announced by the TXT record cannot be fetched over HTTPS with a valid certificate, is invalid, or does not cover every MX host",
            warns: "no MTA-STS record, or a policy in testing/none mode", severity: .medium, source: "RFC 8461 §3, §4.1"),
        Row(code: "mail.tls-rpt", fails: "an invalid TLSRPTv1 record, or several", warns: "no TLS-RPT record", severity: .low, source: "RFC 8460 §3"),
        Row(code: "mail.starttls", fails: "an MX host does not offer STARTTLS, or its TLS fails the tls.* rules (protocols, suites, certificate)",
            warns: "its TLS has warnings under the tls.* rules", severity: .high,
            source: "RFC 3207; RFC 7672 §1.3; ANSSI-TLS (same rules as tls.endpoint); internet.nl mail test (STARTTLS)"),
        Row(code: "mail.dane", fails: "TLSA records that are not DNSSEC-validated, none usable (usages 0/1 only), or none matching the served chain",
            warns: "", severity: .medium, source: "RFC 6698 §2; RFC 7671; RFC 7672 §2.2, §3.1"),
        Row(code: "dns.dnssec", fails: "the zone is unsigned (insecure) or its signatures do not validate (bogus: high)", warns: "",
            severity: .medium, source: "RFC 4033–4035; ANSSI, noms de domaine (2017), DNSSEC; internet.nl (DNSSEC)"),
        Row(code: "dns.caa", fails: "", warns: "no CAA record at the domain or its parents, or only non-issue tags",
            severity: .low, source: "RFC 8659 §3; CA/Browser Forum BR 3.2.2.8"),
        Row(code: "dns.ns-consistency", fails: "a name server of the delegation does not answer for the zone, or has no address",
            warns: "a single name server, or name servers with different SOA serials", severity: .medium,
            source: "RFC 1034 §4.1; RFC 2182 §5 (at least two servers); ANSSI, noms de domaine (2017)"),
        Row(code: "web.https", fails: "a web host of the domain answers on http:// but HTTPS fails or its certificate is not valid for the name",
            warns: "", severity: .high, source: "ANSSI, site web (2021); ANSSI-TLS; internet.nl website test (HTTPS)"),
        Row(code: "web.redirect", fails: "http:// answers without redirecting to https://", warns: "http:// redirects to https:// on another host first",
            severity: .medium, source: "RFC 6797 §7.2; internet.nl website test (redirect to HTTPS on the same host)"),
        Row(code: "web.hsts", fails: "an HTTPS answer without Strict-Transport-Security", warns: "max-age under one year (31536000 s)",
            severity: .medium, source: "RFC 6797 §6.1; internet.nl (max-age one year at least); hstspreload.org"),
        Row(code: "web.security-txt", fails: "a security.txt without Contact or without one valid Expires, expired, or not served over valid HTTPS",
            warns: "no security.txt, an Expires more than a year ahead, or a content type other than text/plain",
            severity: .low, source: "RFC 9116 §2.3, §2.5.3, §2.5.5, §3"),
    ]

    public static func row(_ code: String) -> Row { table.first { $0.code == code }! }

    /// Result code when the check could not start (resolver configuration) or ran out of time.
    public static let resolverCode = "dns.resolver"

    static let references: [String: [String]] = [
        "dns.resolver": ["NIS2-21.2.e"],
        "mail.spf": ["NIS2-21.2.j", "RFC-7208", "ANSSI-DNS", "INTERNETNL-MAIL"],
        "mail.dmarc": ["NIS2-21.2.j", "RFC-7489", "ANSSI-DNS", "INTERNETNL-MAIL"],
        "mail.dkim": ["NIS2-21.2.j", "RFC-6376", "RFC-8301", "RGS-B1"],
        "mail.mta-sts": ["NIS2-21.2.h", "RFC-8461"],
        "mail.tls-rpt": ["NIS2-21.2.h", "RFC-8460"],
        "mail.starttls": ["NIS2-21.2.h", "RFC-3207", "ANSSI-TLS", "INTERNETNL-MAIL"],
        "mail.dane": ["NIS2-21.2.h", "RFC-7672", "RFC-6698", "INTERNETNL-MAIL"],
        "dns.dnssec": ["NIS2-21.2.e", "RFC-4033", "ANSSI-DNS", "INTERNETNL-WEB"],
        "dns.caa": ["NIS2-21.2.h", "RFC-8659"],
        "dns.ns-consistency": ["NIS2-21.2.c", "RFC-2182", "ANSSI-DNS"],
        "web.https": ["NIS2-21.2.h", "ANSSI-WEB", "ANSSI-TLS", "INTERNETNL-WEB"],
        "web.redirect": ["NIS2-21.2.h", "RFC-6797", "ANSSI-WEB", "INTERNETNL-WEB"],
        "web.hsts": ["NIS2-21.2.h", "RFC-6797", "ANSSI-WEB", "INTERNETNL-WEB"],
        "web.security-txt": ["NIS2-21.2.b", "RFC-9116"],
    ]

    private static func rule(_ code: String, _ severity: Severity, fr: (String, String, String), en: (String, String, String)) -> RuleDescription {
        RuleDescription(
            code: code, severity: severity, references: references[code] ?? [],
            french: RuleText(title: fr.0, explanation: fr.1, remediation: fr.2),
            english: RuleText(title: en.0, explanation: en.1, remediation: en.2))
    }

    /// Catalogue entries (FR/EN).
    static let all: [RuleDescription] = [
        rule("dns.resolver", .high,
             fr: ("Résolution DNS", "Les noms de domaine n'ont pas pu être contrôlés : le résolveur DNS n'a pas pu être utilisé ou le délai du domaine a expiré.", "Vérifiez le résolveur indiqué (resolver, /etc/resolv.conf) et l'ancre de confiance DNSSEC, puis relancez le contrôle."),
             en: ("DNS resolution", "The domain names could not be checked: the DNS resolver could not be used or the domain's deadline ran out.", "Check the configured resolver (resolver, /etc/resolv.conf) and the DNSSEC trust anchor, then run the check again.")),
        rule("mail.spf", .high,
             fr: ("SPF : qui peut envoyer au nom du domaine", "Sans enregistrement SPF valide se terminant par -all ou ~all, n'importe qui peut envoyer des courriels au nom de la mairie et les destinataires ne peuvent pas les écarter.", "Publiez un seul enregistrement TXT « v=spf1 … -all » listant les serveurs d'envoi (10 recherches DNS au plus, includes compris) ; pour un domaine qui n'envoie pas de courriel : « v=spf1 -all »."),
             en: ("SPF: who may send for the domain", "Without a valid SPF record ending in -all or ~all, anyone can send mail in the town hall's name and receivers cannot reject it.", "Publish a single TXT record \"v=spf1 … -all\" listing the sending servers (at most 10 DNS lookups, includes counted); for a domain that sends no mail: \"v=spf1 -all\".")),
        rule("mail.dmarc", .high,
             fr: ("DMARC : consigne aux destinataires", "Sans politique DMARC « quarantine » ou « reject », les messages qui usurpent le domaine sont délivrés quand même ; sans adresse rua, personne n'est prévenu.", "Publiez en _dmarc.<domaine> « v=DMARC1; p=quarantine; rua=mailto:… » puis passez à p=reject une fois les rapports propres."),
             en: ("DMARC: instructions to receivers", "Without a DMARC policy of quarantine or reject, messages spoofing the domain are delivered anyway; without an rua address nobody is told.", "Publish at _dmarc.<domain> \"v=DMARC1; p=quarantine; rua=mailto:…\", then move to p=reject once the reports are clean.")),
        rule("mail.dkim", .medium,
             fr: ("DKIM : signature des courriels", "Les clés DKIM permettent aux destinataires de vérifier que les messages viennent bien de la mairie ; une clé absente, révoquée ou trop courte rend la signature inutile.", "Publiez la clé de chaque sélecteur (RSA 2048 bits ou Ed25519) en <sélecteur>._domainkey.<domaine> et faites signer les envois par le serveur ou le prestataire de messagerie."),
             en: ("DKIM: mail signatures", "DKIM keys let receivers check that messages really come from the town hall; a missing, revoked or short key makes the signature useless.", "Publish each selector's key (RSA 2048 bits or Ed25519) at <selector>._domainkey.<domain> and have the mail server or provider sign outgoing mail.")),
        rule("mail.mta-sts", .medium,
             fr: ("MTA-STS : chiffrement imposé pour recevoir", "Sans politique MTA-STS appliquée (ou DANE), un attaquant sur le réseau peut faire passer en clair les courriels envoyés à la mairie.", "Publiez « v=STSv1; id=… » en _mta-sts.<domaine> et la politique (mode: enforce, mx: …) sur https://mta-sts.<domaine>/.well-known/mta-sts.txt avec un certificat valide."),
             en: ("MTA-STS: encryption required to receive", "Without an enforced MTA-STS policy (or DANE), a network attacker can make mail sent to the town hall travel unencrypted.", "Publish \"v=STSv1; id=…\" at _mta-sts.<domain> and the policy (mode: enforce, mx: …) at https://mta-sts.<domain>/.well-known/mta-sts.txt with a valid certificate.")),
        rule("mail.tls-rpt", .low,
             fr: ("TLS-RPT : rapports d'échec de chiffrement", "Sans enregistrement TLS-RPT, les serveurs expéditeurs ne signalent pas les échecs de chiffrement vers la messagerie de la mairie.", "Publiez « v=TLSRPTv1; rua=mailto:… » en _smtp._tls.<domaine>."),
             en: ("TLS-RPT: encryption failure reports", "Without a TLS-RPT record, sending servers do not report encryption failures towards the town hall's mail.", "Publish \"v=TLSRPTv1; rua=mailto:…\" at _smtp._tls.<domain>.")),
        rule("mail.starttls", .high,
             fr: ("Chiffrement de la réception des courriels", "Les serveurs de messagerie (MX) doivent proposer STARTTLS avec une configuration TLS solide, sinon les courriels reçus circulent en clair ou mal protégés.", "Activez STARTTLS sur chaque MX (Postfix : smtpd_tls_security_level = may, certificat valide) avec TLS 1.2/1.3 et des suites fortes."),
             en: ("Encryption of incoming mail", "Mail servers (MX) must offer STARTTLS with a sound TLS configuration, otherwise incoming mail travels in clear or poorly protected.", "Enable STARTTLS on every MX (Postfix: smtpd_tls_security_level = may, a valid certificate) with TLS 1.2/1.3 and strong suites.")),
        rule("mail.dane", .medium,
             fr: ("DANE : certificats des MX publiés dans le DNS", "Des enregistrements TLSA non signés par DNSSEC ou qui ne correspondent plus au certificat servi font échouer ou rendent inutile la vérification par les expéditeurs.", "Publiez des TLSA « 3 1 1 » (ou « 2 1 1 ») correspondant au certificat servi, dans une zone signée DNSSEC, et mettez-les à jour avant chaque changement de clé."),
             en: ("DANE: MX certificates published in DNS", "TLSA records not signed with DNSSEC, or no longer matching the served certificate, make senders' verification fail or useless.", "Publish \"3 1 1\" (or \"2 1 1\") TLSA records matching the served certificate in a DNSSEC-signed zone, and update them before every key change.")),
        rule("dns.dnssec", .medium,
             fr: ("DNSSEC : signature du domaine", "Sans DNSSEC, les réponses DNS du domaine peuvent être falsifiées (détournement du site ou de la messagerie) ; des signatures invalides rendent le domaine injoignable pour les résolveurs qui valident.", "Activez DNSSEC chez l'hébergeur DNS ou le bureau d'enregistrement et publiez l'enregistrement DS ; corrigez ou re-signez la zone si les signatures sont invalides."),
             en: ("DNSSEC: signed domain", "Without DNSSEC, the domain's DNS answers can be forged (hijacking of the web site or mail); invalid signatures make the domain unreachable for validating resolvers.", "Enable DNSSEC at the DNS host or registrar and publish the DS record; fix or re-sign the zone when signatures are invalid.")),
        rule("dns.caa", .low,
             fr: ("CAA : autorités autorisées", "Un enregistrement CAA limite les autorités qui peuvent émettre un certificat pour le domaine.", "Publiez un enregistrement CAA « 0 issue \"letsencrypt.org\" » (ou celui de votre autorité)."),
             en: ("CAA: authorised authorities", "A CAA record limits which authorities may issue a certificate for the domain.", "Publish a CAA record \"0 issue \"letsencrypt.org\"\" (or your authority's).")),
        rule("dns.ns-consistency", .medium,
             fr: ("Serveurs DNS du domaine", "Chaque serveur DNS déclaré doit répondre pour le domaine avec la même version de la zone ; un seul serveur, ou un serveur muet, rend le domaine fragile.", "Déclarez au moins deux serveurs DNS sur des réseaux différents, qui répondent tous pour la zone avec le même numéro de série."),
             en: ("Name servers of the domain", "Every declared name server must answer for the domain with the same zone version; a single server, or a silent one, makes the domain fragile.", "Declare at least two name servers on different networks, all answering for the zone with the same serial.")),
        rule("web.https", .high,
             fr: ("Site en HTTPS avec un certificat valide", "Un site servi sans HTTPS ou avec un certificat invalide expose les visiteurs à l'interception et habitue les usagers à ignorer les alertes.", "Servez le domaine et www en HTTPS avec un certificat valide pour chacun des deux noms (ACME/Let's Encrypt)."),
             en: ("Web site over HTTPS with a valid certificate", "A site served without HTTPS or with an invalid certificate exposes visitors to interception and trains users to ignore warnings.", "Serve the domain and www over HTTPS with a certificate valid for both names (ACME/Let's Encrypt).")),
        rule("web.redirect", .medium,
             fr: ("Redirection de http:// vers https://", "Sans redirection immédiate vers https:// sur le même nom, les visiteurs restent en clair.", "Redirigez (301) chaque page http:// vers la même adresse en https://."),
             en: ("Redirect from http:// to https://", "Without an immediate redirect to https:// on the same name, visitors stay in clear text.", "Redirect (301) every http:// page to the same https:// address.")),
        rule("web.hsts", .medium,
             fr: ("HSTS : HTTPS imposé aux navigateurs", "L'en-tête Strict-Transport-Security empêche un attaquant de ramener les visiteurs en clair ; il doit valoir au moins un an.", "Ajoutez « Strict-Transport-Security: max-age=31536000 » (ou plus) aux réponses HTTPS."),
             en: ("HSTS: HTTPS required of browsers", "The Strict-Transport-Security header stops an attacker from downgrading visitors to clear text; it should last at least a year.", "Add \"Strict-Transport-Security: max-age=31536000\" (or more) to HTTPS responses.")),
        rule("web.security-txt", .low,
             fr: ("security.txt : contact pour signaler une faille", "Le fichier /.well-known/security.txt dit à qui signaler une vulnérabilité ; périmé ou sans contact, les signalements se perdent.", "Publiez https://<domaine>/.well-known/security.txt avec « Contact: mailto:… » et « Expires: » à moins d'un an, et renouvelez-le."),
             en: ("security.txt: contact to report a flaw", "The /.well-known/security.txt file tells who to report a vulnerability to; expired or without a contact, reports get lost.", "Publish https://<domain>/.well-known/security.txt with \"Contact: mailto:…\" and \"Expires:\" less than a year ahead, and renew it.")),
    ]
}
