import FoundationEssentials
import Model
import OpenSSLKit
import NIS2

/// The certificate rules, shared by `cert.files` (files on disk) and the TLS check (served chains):
/// one implementation of expiry, key strength, signature algorithm and self-signature.
public enum CertificateRules {
    /// Days-left thresholds for `cert.expiry`. Defaults follow the common monitoring practice of a
    /// 30-day warning and a 14-day critical alert (x509-certificate-exporter's defaults, see
    /// shared/references/tls.md §6); profiles may change them.
    public struct ExpiryThresholds: Sendable, Equatable {
        /// Under this many days left: warn.
        public var warningDays: Int
        /// Under this many days left: fail/high.
        public var criticalDays: Int
        public init(warningDays: Int = 30, criticalDays: Int = 14) {
            self.warningDays = warningDays
            self.criticalDays = criticalDays
        }
    }

    /// A rule's verdict on one certificate, before it is wrapped in a `CheckResult`.
    public struct Outcome: Sendable, Equatable {
        public var status: Status
        public var severity: Severity
        public var evidence: [String: JSONValue]
        /// Why an `error` could not decide, in both languages (the evidence's `problem` is the English text).
        public var reason: LocalizedText? = nil
    }

    /// Whole days from `now` to `notAfter`, rounded down (negative once expired).
    public static func daysLeft(until notAfter: Date, now: Date) -> Int {
        Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }

    /// `cert.expiry`: fail/critical when expired, fail/high when not yet valid or under the critical
    /// threshold, warn/medium under the warning threshold, pass otherwise.
    public static func expiry(_ certificate: CertificateInfo, now: Date, thresholds: ExpiryThresholds) -> Outcome {
        var evidence: [String: JSONValue] = ["subject": .string(certificate.subject)]
        guard let notAfter = certificate.notAfter, let notBefore = certificate.notBefore else {
            evidence["problem"] = "validity dates cannot be read"
            return Outcome(
                status: .error, severity: .high, evidence: evidence,
                reason: LocalizedText(fr: "les dates de validité sont illisibles", en: "validity dates cannot be read"))
        }
        let days = daysLeft(until: notAfter, now: now)
        evidence["notBefore"] = .time(notBefore)
        evidence["notAfter"] = .time(notAfter)
        evidence["daysLeft"] = .int(days)
        if notAfter < now {
            evidence["state"] = "expired"
            return Outcome(status: .fail, severity: .critical, evidence: evidence)
        }
        if notBefore > now {
            evidence["state"] = "not-yet-valid"
            return Outcome(status: .fail, severity: .high, evidence: evidence)
        }
        if days < thresholds.criticalDays {
            evidence["state"] = "expires-soon"
            evidence["thresholdDays"] = .int(thresholds.criticalDays)
            return Outcome(status: .fail, severity: .high, evidence: evidence)
        }
        if days < thresholds.warningDays {
            evidence["state"] = "expires-soon"
            evidence["thresholdDays"] = .int(thresholds.warningDays)
            return Outcome(status: .warn, severity: .medium, evidence: evidence)
        }
        evidence["state"] = "valid"
        return Outcome(status: .pass, severity: .high, evidence: evidence)
    }

    /// Smallest acceptable sizes: RSA/DSA/DH 2048 bits and EC 256 bits (ANSSI TLS guide R26 and
    /// RGS annex B1; Mozilla intermediate profile: RSA 2048, P-256).
    public static let minimumRSABits = 2048
    public static let minimumECBits = 256

    /// `cert.key-strength`: fail/high under the minimum sizes above; DSA keys fail whatever their
    /// size (no longer accepted by ANSSI or browsers); Ed25519/Ed448 pass.
    public static func keyStrength(_ certificate: CertificateInfo) -> Outcome {
        var evidence: [String: JSONValue] = ["subject": .string(certificate.subject)]
        guard let key = certificate.publicKey else {
            evidence["problem"] = "public key cannot be decoded"
            return Outcome(
                status: .error, severity: .high, evidence: evidence,
                reason: LocalizedText(fr: "la clé publique ne peut être décodée", en: "public key cannot be decoded"))
        }
        evidence["keyType"] = .string(key.algorithm)
        evidence["keyBits"] = .int(key.bits)
        if let curve = key.curve { evidence["curve"] = .string(curve) }
        let weak: Bool
        switch key.algorithm {
        case "RSA", "RSA-PSS", "DH":
            weak = key.bits < minimumRSABits
            evidence["minimumBits"] = .int(minimumRSABits)
        case "EC":
            weak = key.bits < minimumECBits
            evidence["minimumBits"] = .int(minimumECBits)
        case "ED25519", "ED448":
            weak = false
        case "DSA":
            weak = true
        default:
            evidence["problem"] = "unknown key algorithm"
            return Outcome(
                status: .error, severity: .high, evidence: evidence, reason: LocalizedText(fr: "algorithme de clé inconnu", en: "unknown key algorithm"))
        }
        return Outcome(status: weak ? .fail : .pass, severity: .high, evidence: evidence)
    }

    /// Digests that make a signature forgeable: MD2, MD4 and MD5 (critical), SHA-1 (high; SHAttered,
    /// CA/Browser Forum ban since 2016, ANSSI TLS guide).
    static let brokenDigests: [String: Severity] = ["MD2": .critical, "MD4": .critical, "MD5": .critical, "SHA1": .high]

    /// `cert.signature-algorithm`: fail on an MD5, MD2, MD4 or SHA-1 signature, pass otherwise.
    /// Not meaningful for a self-signed certificate (nobody checks a self-signature), so callers skip those.
    public static func signatureAlgorithm(_ certificate: CertificateInfo) -> Outcome {
        var evidence: [String: JSONValue] = [
            "subject": .string(certificate.subject), "signatureAlgorithm": .string(certificate.signatureAlgorithm),
        ]
        if let digest = certificate.signatureDigest {
            evidence["digest"] = .string(digest)
            if let severity = brokenDigests[digest] {
                return Outcome(status: .fail, severity: severity, evidence: evidence)
            }
        }
        return Outcome(status: .pass, severity: .high, evidence: evidence)
    }

    /// `cert.self-signed`: warn/medium when a leaf served to users signs itself (no browser or mail
    /// client trusts it, so users learn to click through warnings).
    public static func selfSigned(_ certificate: CertificateInfo) -> Outcome {
        Outcome(
            status: certificate.selfSigned ? .warn : .pass, severity: .medium,
            evidence: ["subject": .string(certificate.subject), "issuer": .string(certificate.issuer),
                       "selfSigned": .bool(certificate.selfSigned)])
    }

    static let all: [RuleDescription] = [
        RuleDescription(
            code: "cert.file", severity: .medium, references: ["NIS2-21.2.h"],
            french: RuleText(
                title: "Fichier de certificat lisible",
                explanation: "Un fichier de certificat désigné par la configuration d'un service n'a pas pu être lu.",
                remediation: "Vérifiez le chemin, les droits et le format (PEM, DER ou PKCS#12) du fichier."),
            english: RuleText(
                title: "Certificate file readable",
                explanation: "A certificate file named by a service configuration could not be read.",
                remediation: "Check the file's path, permissions and format (PEM, DER or PKCS#12).")),
        RuleDescription(
            code: "cert.discovery", severity: .medium, references: ["NIS2-21.2.h"],
            french: RuleText(
                title: "Configurations des services lisibles",
                explanation: "Une configuration de service (nginx, Apache, Postfix, Dovecot), un fichier qu'elle inclut ou le dossier /etc/letsencrypt/live n'a pas pu être lu : les certificats qu'il désigne échappent au contrôle. « Sans objet » quand aucun service ne désigne de certificat.",
                remediation: "Lancez l'agent avec le droit de lire les configurations (groupe ou ACL en lecture seule), ou listez les certificats dans le profil (paths)."),
            english: RuleText(
                title: "Service configurations readable",
                explanation: "A service configuration (nginx, Apache, Postfix, Dovecot), a file it includes or the /etc/letsencrypt/live folder could not be read: the certificates it names escape the check. \"Does not apply\" when no service names a certificate.",
                remediation: "Run the agent with the right to read the configurations (a read-only group or ACL), or list the certificates in the profile (paths).")),
        RuleDescription(
            code: "cert.expiry", severity: .high, references: ["NIS2-21.2.h", "ANSSI-HYG-34"],
            french: RuleText(
                title: "Expiration du certificat",
                explanation: "Un certificat expiré coupe le service (messagerie, portail citoyen) ou habitue les usagers à ignorer les alertes.",
                remediation: "Renouvelez le certificat avant son échéance et automatisez le renouvellement (ACME/Let's Encrypt ou alerte 30 jours avant)."),
            english: RuleText(
                title: "Certificate expiry",
                explanation: "An expired certificate breaks the service (mail, citizen portal) or teaches users to ignore warnings.",
                remediation: "Renew the certificate before it expires and automate renewal (ACME/Let's Encrypt, or an alert 30 days ahead).")),
        RuleDescription(
            code: "cert.key-strength", severity: .high, references: ["NIS2-21.2.h", "ANSSI-TLS-R26", "RGS-B1"],
            french: RuleText(
                title: "Taille de la clé du certificat",
                explanation: "Une clé RSA de moins de 2048 bits ou une clé elliptique de moins de 256 bits peut être cassée.",
                remediation: "Générez une nouvelle clé (RSA 3072 bits ou ECDSA P-256) et faites réémettre le certificat."),
            english: RuleText(
                title: "Certificate key size",
                explanation: "An RSA key under 2048 bits or an elliptic-curve key under 256 bits can be broken.",
                remediation: "Generate a new key (RSA 3072 or ECDSA P-256) and have the certificate reissued.")),
        RuleDescription(
            code: "cert.signature-algorithm", severity: .high, references: ["NIS2-21.2.h", "ANSSI-TLS"],
            french: RuleText(
                title: "Algorithme de signature du certificat",
                explanation: "Une signature MD5 ou SHA-1 peut être contrefaite ; les navigateurs la refusent.",
                remediation: "Faites réémettre le certificat avec une signature SHA-256 ou plus forte."),
            english: RuleText(
                title: "Certificate signature algorithm",
                explanation: "An MD5 or SHA-1 signature can be forged; browsers reject it.",
                remediation: "Have the certificate reissued with a SHA-256 or stronger signature.")),
        RuleDescription(
            code: "cert.self-signed", severity: .medium, references: ["NIS2-21.2.h", "ANSSI-TLS"],
            french: RuleText(
                title: "Certificat auto-signé présenté aux usagers",
                explanation: "Aucun navigateur ni logiciel de messagerie ne fait confiance à un certificat auto-signé : les usagers apprennent à passer outre les alertes.",
                remediation: "Utilisez un certificat délivré par une autorité reconnue (Let's Encrypt gratuit, ou l'offre de votre opérateur public de services numériques)."),
            english: RuleText(
                title: "Self-signed certificate served to users",
                explanation: "No browser or mail client trusts a self-signed certificate: users learn to click through warnings.",
                remediation: "Use a certificate from a recognised authority (free Let's Encrypt, or your public digital services operator's offer).")),
    ]
}
