import FoundationEssentials
import Model
import TLSProbe

/// The TLS rules: one table, one row per rule code, each with what makes it fail or warn, its
/// severity and the source of the threshold. `TLSEvaluation` applies them; the catalogue text
/// (FR/EN) is in `TLSRules.all`.
///
/// Sources: ANSSI, "Recommandations de sécurité relatives à TLS" v1.2 (2020) [ANSSI-TLS];
/// Mozilla server-side TLS guideline 5.7/6.0, "intermediate" profile [Mozilla]; RFC 7525 / BCP 195
/// (RFC 9325) [BCP195]; RFC 8996 (TLS 1.0/1.1 deprecated); RFC 7465 (RC4 prohibited).
public enum TLSRules {
    /// One rule of the table.
    public struct Row: Sendable {
        public let code: String
        /// What makes the result `fail`, in words.
        public let fails: String
        /// What makes it `warn` (empty when it never warns).
        public let warns: String
        /// Severity of a failing result.
        public let severity: Severity
        /// Where the threshold comes from.
        public let source: String
    }

    /// The rules table.
    public static let table: [Row] = [
        Row(code: "tls.legacy-protocols", fails: "SSLv3, TLS 1.0 or TLS 1.1 accepted (SSLv3: critical)", warns: "",
            severity: .high, source: "ANSSI-TLS R3 (TLS 1.2 and 1.3 only); RFC 8996; Mozilla intermediate (TLSv1.2, TLSv1.3)"),
        Row(code: "tls.weak-ciphers", fails: "a NULL, EXPORT, anonymous, RC4, RC2, DES or 3DES suite accepted",
            warns: "a CBC-mode suite or an RSA key-transport suite accepted",
            severity: .high, source: "RFC 7465 (RC4); BCP195 §4.1 (NULL, EXPORT, anon, <112 bits); SWEET32/CVE-2016-2183 and ANSSI-TLS v1.2 (3DES no longer tolerated); ANSSI-TLS (CBC only with encrypt_then_mac), Mozilla intermediate (AEAD, ECDHE only)"),
        Row(code: "tls.forward-secrecy", fails: "no accepted suite has an ephemeral key exchange",
            warns: "some accepted suites have no ephemeral key exchange",
            severity: .high, source: "ANSSI-TLS (ECDHE, or DHE >= 2048 bits); Mozilla intermediate (every suite ECDHE/DHE)"),
        Row(code: "tls.dh-params", fails: "a DHE group under 2048 bits", warns: "",
            severity: .high, source: "ANSSI-TLS (DHE >= 2048 bits); Mozilla intermediate dh_param_size 2048; RGS B1; Logjam"),
        Row(code: "tls.cert.trust", fails: "a TLS client would not validate the served chain at scan time (self-signed, unknown CA, missing intermediate, chain too long, a certificate of the path expired or not yet valid, purpose not TLS server)",
            warns: "trusted, but the chain is served out of order or with certificates that do not belong",
            severity: .high, source: "RFC 5280 §6 path validation (OpenSSL X509_verify_cert with libssl's ssl_server parameters, validity checked at scan time: the verdict of openssl s_client -verify_return_error) against the system store or --ca-file; RFC 8446 §4.4.2 (chain order)"),
        Row(code: "tls.cert.hostname", fails: "no subject alternative name matches the name asked for",
            warns: "only the subject CN matches (no SAN)",
            severity: .high, source: "RFC 6125 / RFC 9525; CA/Browser Forum baseline requirements (SAN mandatory)"),
        Row(code: "tls.cert.expiry", fails: "a certificate of the leaf or of the validated chain is expired, not yet valid, or under the critical threshold",
            warns: "under the warning threshold", severity: .high, source: "CertificateRules.expiry (same rule as cert.expiry)"),
        Row(code: "tls.cert.key-strength", fails: "an RSA/DSA key under 2048 bits or an EC key under 256 bits in the served chain",
            warns: "", severity: .high, source: "CertificateRules.keyStrength (ANSSI-TLS R26, RGS B1, Mozilla rsa_key_size 2048)"),
        Row(code: "tls.cert.signature-algorithm", fails: "an MD2/MD4/MD5 or SHA-1 signature on the leaf or an intermediate",
            warns: "", severity: .high, source: "CertificateRules.signatureAlgorithm (CA/Browser Forum SHA-1 sunset, ANSSI-TLS)"),
        Row(code: "tls.ocsp-stapling", fails: "", warns: "no OCSP response stapled (informational)",
            severity: .info, source: "Mozilla ocsp_staple: true; RFC 6066 §8"),
        Row(code: "tls.hsts", fails: "an HTTPS service (recognised by ALPN h2/http/1.1 or an HTTP answer, whatever its port) without a Strict-Transport-Security header, or with one browsers ignore or that turns HSTS off (RFC 6797 §6.1: a repeated directive, max-age absent or not digits; max-age=0)",
            warns: "max-age under one year (31536000 s), or plain http:// (port 80 for 443, the same port otherwise) serving pages without redirecting to https://",
            severity: .medium, source: "RFC 6797 §6.1; ANSSI-TLS (HSTS for web services); hstspreload.org minimum 1 year; Mozilla hsts_min_age 63072000 recommended"),
        Row(code: "tls.compression", fails: "TLS-level compression accepted (CRIME)", warns: "",
            severity: .high, source: "BCP195 §3.3 (compression must be disabled); ANSSI-TLS (no compression)"),
        Row(code: "tls.renegotiation", fails: "TLS 1.2 or lower without RFC 5746 secure renegotiation", warns: "",
            severity: .medium, source: "RFC 5746; BCP195 §3.5"),
    ]

    /// Weak suite classes for `tls.weak-ciphers`, worst first. A suite takes the first class it matches.
    public struct SuiteClass: Sendable {
        public let name: String
        public let status: Status
        public let severity: Severity
        public let matches: @Sendable (CipherSuite) -> Bool
        public let source: String
    }

    public static let suiteClasses: [SuiteClass] = [
        SuiteClass(name: "NULL", status: .fail, severity: .critical, matches: { $0.isNull }, source: "BCP195 §4.1: no NULL encryption"),
        SuiteClass(name: "EXPORT", status: .fail, severity: .critical, matches: { $0.export }, source: "BCP195 §4.1: no export suites (FREAK, Logjam)"),
        SuiteClass(name: "anonymous", status: .fail, severity: .critical, matches: { $0.isAnonymous }, source: "BCP195 §4.1: no anonymous key exchange"),
        SuiteClass(name: "RC4", status: .fail, severity: .high, matches: { $0.isRC4 }, source: "RFC 7465: RC4 prohibited"),
        SuiteClass(name: "RC2", status: .fail, severity: .high, matches: { $0.isRC2 }, source: "BCP195 §4.1: under 112 bits"),
        SuiteClass(name: "DES", status: .fail, severity: .high, matches: { $0.isDES }, source: "BCP195 §4.1: under 112 bits"),
        SuiteClass(name: "3DES", status: .fail, severity: .high, matches: { $0.isTripleDES }, source: "SWEET32 (CVE-2016-2183); ANSSI-TLS v1.2: 3DES no longer tolerated"),
        SuiteClass(name: "CBC", status: .warn, severity: .medium, matches: { $0.isCBC }, source: "ANSSI-TLS: CBC only with encrypt_then_mac; Mozilla intermediate: AEAD only"),
        SuiteClass(name: "RSA key transport", status: .warn, severity: .medium, matches: { $0.isStaticRSA }, source: "Mozilla intermediate: ECDHE only; ROBOT; no forward secrecy"),
    ]

    /// The weakest class `suite` belongs to, nil when it is fine.
    public static func suiteClass(of suite: CipherSuite) -> SuiteClass? { suiteClasses.first { $0.matches(suite) } }

    public static func row(_ code: String) -> Row { table.first { $0.code == code }! }

    /// Code of the result written when an endpoint could not be probed at all.
    public static let connectionCode = "tls.connection"

    /// Code of the result discovery gives when it could not read the listening sockets (error) or
    /// found no TLS service to probe (skip).
    public static let discoveryCode = "tls.discovery"

    static let references: [String: [String]] = [
        "tls.connection": ["NIS2-21.2.h"],
        "tls.discovery": ["NIS2-21.2.h"],
        "tls.legacy-protocols": ["NIS2-21.2.h", "ANSSI-TLS"],
        "tls.weak-ciphers": ["NIS2-21.2.h", "ANSSI-TLS", "RGS-B1"],
        "tls.forward-secrecy": ["NIS2-21.2.h", "ANSSI-TLS"],
        "tls.dh-params": ["NIS2-21.2.h", "ANSSI-TLS", "RGS-B1"],
        "tls.cert.trust": ["NIS2-21.2.h", "ANSSI-TLS"],
        "tls.cert.hostname": ["NIS2-21.2.h", "ANSSI-TLS"],
        "tls.cert.expiry": ["NIS2-21.2.h", "ANSSI-HYG-34"],
        "tls.cert.key-strength": ["NIS2-21.2.h", "ANSSI-TLS-R26", "RGS-B1"],
        "tls.cert.signature-algorithm": ["NIS2-21.2.h", "ANSSI-TLS"],
        "tls.ocsp-stapling": ["NIS2-21.2.h"],
        "tls.hsts": ["NIS2-21.2.h", "ANSSI-TLS"],
        "tls.compression": ["NIS2-21.2.h", "ANSSI-TLS"],
        "tls.renegotiation": ["NIS2-21.2.h", "ANSSI-TLS"],
    ]

    private static func rule(_ code: String, _ severity: Severity, fr: (String, String, String), en: (String, String, String)) -> RuleDescription {
        RuleDescription(
            code: code, severity: severity, references: references[code] ?? ["NIS2-21.2.h"],
            french: RuleText(title: fr.0, explanation: fr.1, remediation: fr.2),
            english: RuleText(title: en.0, explanation: en.1, remediation: en.2))
    }

    /// Catalogue entries (FR/EN) of every TLS rule.
    static let all: [RuleDescription] = [
        rule("tls.connection", .high,
             fr: ("Service TLS joignable", "Le service n'a pas pu être contrôlé : il ne répond pas, coupe la connexion ou ne parle pas TLS (le résultat dit alors ce qu'il parle : HTTP, SSH, SMTP, IMAP, POP3…).", "Vérifiez que le service écoute et parle TLS sur ce port (ou indiquez le protocole STARTTLS : smtp, imap, pop3…), puis relancez le contrôle."),
             en: ("TLS service reachable", "The service could not be checked: it does not answer, drops the connection or does not speak TLS (the result then says what it speaks: HTTP, SSH, SMTP, IMAP, POP3…).", "Check that the service listens and speaks TLS on this port (or give its STARTTLS protocol: smtp, imap, pop3…), then run the check again.")),
        rule("tls.discovery", .high,
             fr: ("Recherche des services TLS", "Les sockets en écoute (/proc/net/tcp, /proc/net/tcp6) n'ont pas pu être lues : des services TLS peuvent avoir échappé au contrôle. « Sans objet » quand aucun service TLS n'écoute, ou sur une image disque.", "Lancez l'agent avec les droits de lire /proc/net/tcp et /proc/net/tcp6, ou listez les services dans le profil (endpoints)."),
             en: ("Search for TLS services", "The listening sockets (/proc/net/tcp, /proc/net/tcp6) could not be read: TLS services may have escaped the check. \"Does not apply\" when no TLS service listens, or on a disk image.", "Run the agent with the right to read /proc/net/tcp and /proc/net/tcp6, or list the services in the profile (endpoints).")),
        rule("tls.legacy-protocols", .high,
             fr: ("Versions obsolètes de TLS/SSL", "SSLv3, TLS 1.0 et TLS 1.1 ont des faiblesses connues (POODLE, BEAST) et ne sont plus admis par l'ANSSI ni par les navigateurs.", "N'autorisez que TLS 1.2 et TLS 1.3 (nginx : ssl_protocols TLSv1.2 TLSv1.3; Postfix/Dovecot : ssl_min_protocol = TLSv1.2)."),
             en: ("Obsolete TLS/SSL versions", "SSLv3, TLS 1.0 and TLS 1.1 have known weaknesses (POODLE, BEAST) and are no longer accepted by ANSSI or browsers.", "Allow TLS 1.2 and TLS 1.3 only (nginx: ssl_protocols TLSv1.2 TLSv1.3; Postfix/Dovecot: ssl_min_protocol = TLSv1.2).")),
        rule("tls.weak-ciphers", .high,
             fr: ("Suites de chiffrement faibles", "Le serveur accepte des suites cassées (NULL, EXPORT, anonymes, RC4, DES, 3DES) ou déconseillées (mode CBC, échange de clé RSA).", "Limitez les suites aux suites AEAD avec ECDHE (configuration « intermediate » de Mozilla, annexe A.1 du guide TLS de l'ANSSI)."),
             en: ("Weak cipher suites", "The server accepts broken suites (NULL, EXPORT, anonymous, RC4, DES, 3DES) or discouraged ones (CBC mode, RSA key transport).", "Restrict suites to AEAD suites with ECDHE (Mozilla's \"intermediate\" configuration, ANSSI TLS guide annex A.1).")),
        rule("tls.forward-secrecy", .high,
             fr: ("Confidentialité persistante", "Sans échange de clé éphémère (ECDHE/DHE), le vol de la clé du serveur permet de déchiffrer les échanges passés enregistrés.", "Préférez et n'acceptez que des suites ECDHE (ou DHE avec un groupe d'au moins 2048 bits)."),
             en: ("Forward secrecy", "Without an ephemeral key exchange (ECDHE/DHE), stealing the server key decrypts recorded past traffic.", "Prefer and accept only ECDHE suites (or DHE with a group of at least 2048 bits).")),
        rule("tls.dh-params", .high,
             fr: ("Taille du groupe Diffie-Hellman", "Un groupe DHE de moins de 2048 bits peut être cassé (Logjam).", "Utilisez des paramètres DH d'au moins 2048 bits (ffdhe2048 de la RFC 7919) ou désactivez DHE au profit d'ECDHE."),
             en: ("Diffie-Hellman group size", "A DHE group under 2048 bits can be broken (Logjam).", "Use DH parameters of at least 2048 bits (RFC 7919 ffdhe2048) or disable DHE in favour of ECDHE.")),
        rule("tls.cert.trust", .high,
             fr: ("Chaîne de certificats de confiance", "Un client TLS ne valide pas la chaîne présentée au moment du contrôle (auto-signé, autorité inconnue, certificat intermédiaire manquant, certificat de la chaîne expiré ou pas encore valide) : il affiche une alerte ou refuse.", "Installez un certificat d'une autorité reconnue et servez la chaîne complète et à jour dans l'ordre : certificat du serveur, puis intermédiaires actuels de l'autorité (fullchain.pem)."),
             en: ("Trusted certificate chain", "A TLS client does not validate the served chain at scan time (self-signed, unknown CA, missing intermediate, a certificate of the chain expired or not yet valid): it warns or refuses.", "Install a certificate from a recognised authority and serve the full, current chain in order: server certificate, then the authority's current intermediates (fullchain.pem).")),
        rule("tls.cert.hostname", .high,
             fr: ("Nom du certificat", "Le certificat ne porte pas le nom par lequel le service est joint : les clients refusent la connexion ou alertent.", "Faites émettre un certificat dont l'extension subjectAltName contient ce nom."),
             en: ("Certificate name", "The certificate does not carry the name the service is reached by: clients refuse or warn.", "Have a certificate issued whose subjectAltName extension contains this name.")),
        rule("tls.cert.expiry", .high,
             fr: ("Expiration des certificats servis", "Un certificat expiré (ou proche de l'être) du serveur ou de sa chaîne coupe le service.", "Renouvelez le certificat avant échéance et automatisez le renouvellement (ACME/Let's Encrypt)."),
             en: ("Expiry of served certificates", "An expired (or soon expiring) certificate of the server or its chain breaks the service.", "Renew the certificate before it expires and automate renewal (ACME/Let's Encrypt).")),
        rule("tls.cert.key-strength", .high,
             fr: ("Taille des clés des certificats servis", "Une clé RSA de moins de 2048 bits ou elliptique de moins de 256 bits peut être cassée.", "Générez une nouvelle clé (ECDSA P-256 ou RSA 3072) et faites réémettre le certificat."),
             en: ("Key size of served certificates", "An RSA key under 2048 bits or an EC key under 256 bits can be broken.", "Generate a new key (ECDSA P-256 or RSA 3072) and have the certificate reissued.")),
        rule("tls.cert.signature-algorithm", .high,
             fr: ("Signature des certificats servis", "Une signature MD5 ou SHA-1 peut être contrefaite ; les navigateurs la refusent.", "Faites réémettre le certificat (et l'intermédiaire) avec une signature SHA-256 ou plus forte."),
             en: ("Signature of served certificates", "An MD5 or SHA-1 signature can be forged; browsers reject it.", "Have the certificate (and intermediate) reissued with a SHA-256 or stronger signature.")),
        rule("tls.ocsp-stapling", .info,
             fr: ("Agrafage OCSP", "Sans agrafage OCSP, chaque client interroge l'autorité pour vérifier la révocation : plus lent, et moins respectueux de la vie privée.", "Activez l'agrafage OCSP (nginx : ssl_stapling on; ssl_stapling_verify on;)."),
             en: ("OCSP stapling", "Without OCSP stapling each client asks the authority about revocation: slower and less private.", "Enable OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on;).")),
        rule("tls.hsts", .medium,
             fr: ("HSTS et redirection vers HTTPS", "Sans en-tête Strict-Transport-Security (ou sans redirection de http:// vers https://), un attaquant sur le réseau peut forcer une connexion non chiffrée. Contrôlé sur tout service web en HTTPS, quel que soit son port (consoles d'administration sur 8006, 10443, 4443…).", "Redirigez http:// vers https:// et ajoutez « Strict-Transport-Security: max-age=63072000 » aux réponses HTTPS."),
             en: ("HSTS and redirect to HTTPS", "Without a Strict-Transport-Security header (or without an http:// to https:// redirect), a network attacker can force an unencrypted connection. Checked on every HTTPS web service, whatever its port (admin consoles on 8006, 10443, 4443…).", "Redirect http:// to https:// and add \"Strict-Transport-Security: max-age=63072000\" to HTTPS responses.")),
        rule("tls.compression", .high,
             fr: ("Compression TLS", "La compression au niveau TLS permet de retrouver des secrets (cookies) dans le trafic chiffré (CRIME).", "Désactivez la compression TLS (OpenSSL récent la désactive ; mettez à jour la bibliothèque ou le service)."),
             en: ("TLS compression", "TLS-level compression lets an attacker recover secrets (cookies) from encrypted traffic (CRIME).", "Disable TLS compression (recent OpenSSL disables it; update the library or the service).")),
        rule("tls.renegotiation", .medium,
             fr: ("Renégociation sécurisée", "Sans l'extension de renégociation sécurisée (RFC 5746), un attaquant peut injecter des données au début d'une session.", "Mettez à jour la bibliothèque TLS du service (toutes les versions maintenues gèrent la RFC 5746)."),
             en: ("Secure renegotiation", "Without the secure renegotiation extension (RFC 5746), an attacker can inject data at the start of a session.", "Update the service's TLS library (every maintained version supports RFC 5746).")),
    ]
}
