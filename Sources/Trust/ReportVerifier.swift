import FoundationEssentials
import InputFiles
import Model
import OpenSSLKit

/// What a verifier trusts: the RSSI's CA certificate(s) and their CRLs. Built once, shared by any
/// number of verifications at once.
public final class TrustAnchors: Sendable {
    public let certificateAuthorities: [X509Certificate]
    public let revocationLists: [CertificateRevocationList]
    let store: X509Store

    /// - Throws: `TrustAnchors.Problem` when there is no CA, a "CA" is not a CA certificate, or a CRL
    ///   is not signed by one of the CAs (a CRL that cannot be authenticated is worthless).
    public init(certificateAuthorities: [X509Certificate], revocationLists: [CertificateRevocationList] = []) throws(Problem) {
        guard !certificateAuthorities.isEmpty else { throw Problem(fr: "aucun certificat d'AC de confiance", en: "no trusted CA certificate") }
        for ca in certificateAuthorities where !ca.isCertificateAuthority {
            let name = ca.subjectName.displayText
            throw Problem(
                fr: "\(name) n'est pas un certificat d'autorité (basicConstraints CA:TRUE absent)",
                en: "\(name) is not a CA certificate (basicConstraints CA:TRUE missing)")
        }
        for crl in revocationLists where !certificateAuthorities.contains(where: { crl.isSigned(by: $0) }) {
            // Two CAs may bear the same name (a test CA, a CA created again): the name alone does not say which.
            let name = crl.issuerName.displayText
            throw Problem(
                fr: "la CRL émise au nom de « \(name) » n'est signée par aucune AC de confiance (une CRL d'une autre autorité, même de même nom, ne peut pas être authentifiée : copiez celle de votre AC, cyberctl pki crl)",
                en: "the CRL issued in the name of \"\(name)\" is not signed by any trusted CA (a CRL of another authority, even one of the same name, cannot be authenticated: copy your CA's, cyberctl pki crl)")
        }
        do {
            store = try X509Store(trusting: certificateAuthorities)
        } catch {
            throw Problem(fr: "impossible de construire le magasin de certificats : \(error)", en: "cannot build the certificate store: \(error)")
        }
        self.certificateAuthorities = certificateAuthorities
        self.revocationLists = revocationLists
    }

    /// Loads `caFile` (PEM, every certificate in it) and the CRL files.
    /// - Throws: `InputError` naming the file.
    public static func load(caFile: String, crlFiles: [String]) throws(InputError) -> TrustAnchors {
        let cas = try TrustFiles.readCertificates(caFile, what: LocalizedText(fr: "certificat de l'AC", en: "CA certificate"))
        var crls: [CertificateRevocationList] = []
        for path in crlFiles { crls.append(try TrustFiles.readCRL(path)) }
        do {
            return try TrustAnchors(certificateAuthorities: cas, revocationLists: crls)
        } catch {
            throw InputError(.invalidData, file: crlFiles.isEmpty ? caFile : crlFiles.joined(separator: ", "), text: error.text)
        }
    }

    /// Why the anchors cannot be built, French and English (`description` is the English text).
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let text: LocalizedText
        public var description: String { text.en }
        init(fr: String, en: String) { text = LocalizedText(fr: fr, en: en) }
    }
}

/// A report whose signature, chain, revocation status, identity binding and schema all hold.
public struct VerifiedReport: Sendable, Codable, Equatable {
    /// The report's `id`.
    public var reportID: String
    /// The report's `generatedAt`, as written.
    public var generatedAt: String
    public var entityName: String?
    public var siren: String
    public var hostname: String
    /// SHA-256 of the report bytes, lower-case hex.
    public var reportSHA256: String
    /// When the signer says it signed (the signing-time attribute).
    public var signingTime: Date
    public var signer: Signer
    /// Things that did not stop acceptance but deserve a look (no CRL given, CRL out of date …), French and
    /// English (JSON: `{"fr": …, "en": …}` each).
    public var warnings: [LocalizedText]
    /// The signer certificate's state at verification time. Acceptance is decided at signing time (a
    /// report signed while the certificate was valid stays valid); this says whether the agent can
    /// still sign today.
    public var signerCertificate: SignerCertificateStatus

    /// True when something deserves a look (a warning, or a signer certificate expired or expiring
    /// soon): the table and JSON say "warning" rather than "valid".
    public var needsAttention: Bool { !warnings.isEmpty || signerCertificate.state != .valid }

    public struct Signer: Sendable, Codable, Equatable {
        /// Subject, RFC 2253 form.
        public var subject: String
        public var entityName: String
        public var siren: String
        public var host: String
        /// Serial number, upper-case hex.
        public var serial: String
        public var issuer: String
        public var notBefore: Date?
        public var notAfter: Date?
        public var fingerprint: String
    }
}

/// A signer certificate's validity at a given time ("now", not the signing time).
public struct SignerCertificateStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        /// Valid now and for more than `ReportVerifier.signerExpiryWarningDays` days.
        case valid
        /// Valid now, expiring within `ReportVerifier.signerExpiryWarningDays` days.
        case expiringSoon = "expiring-soon"
        /// Its notAfter is past: the agent's later reports will be refused until it is renewed.
        case expired
    }

    public var state: State
    /// The certificate's notAfter.
    public var notAfter: Date?
    /// Whole days from `now` to notAfter, rounded down; negative once expired.
    public var daysLeft: Int?

    /// The state of a certificate valid until `notAfter`, at `now`.
    /// - Parameter warningDays: how close to notAfter counts as expiring soon (30 days: the notice the
    ///   RSSI needs to issue and deploy a new agent certificate before the next weekly report).
    public init(notAfter: Date?, now: Date, warningDays: Int = ReportVerifier.signerExpiryWarningDays) {
        self.notAfter = notAfter
        guard let notAfter else {
            state = .valid
            daysLeft = nil
            return
        }
        let seconds = notAfter.timeIntervalSince(now)
        daysLeft = Int((seconds / 86_400).rounded(.down))
        if seconds < 0 {
            state = .expired
        } else if seconds < Double(warningDays) * 86_400 {
            state = .expiringSoon
        } else {
            state = .valid
        }
    }
}

/// Why a report was refused: a stable code and a precise message.
public struct VerificationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        case reportTooLarge = "report-too-large"
        case signatureTooLarge = "signature-too-large"
        case signatureEmpty = "signature-empty"
        case signatureMalformed = "signature-malformed"
        case signatureNotDetached = "signature-not-detached"
        case signerCount = "signer-count"
        case signerCertificateMissing = "signer-certificate-missing"
        case signedAttributesMissing = "signed-attributes-missing"
        case signatureInvalid = "signature-invalid"
        case contentMismatch = "content-mismatch"
        case signingTimeInFuture = "signing-time-in-future"
        case untrustedIssuer = "untrusted-issuer"
        case certificateExpired = "certificate-expired"
        case certificateNotYetValid = "certificate-not-yet-valid"
        case chainInvalid = "chain-invalid"
        case certificateRevoked = "certificate-revoked"
        case notForSigning = "not-for-signing"
        case notAgentCertificate = "not-agent-certificate"
        case notJSON = "not-json"
        case schemaViolation = "schema-violation"
        case sirenMissing = "siren-missing"
        case sirenMismatch = "siren-mismatch"
        case signatureMissing = "signature-missing"
        case generatedAtInvalid = "generated-at-invalid"
        case generatedAfterSigning = "generated-after-signing"

        /// A short title, French then English, for tables.
        public func title(_ language: Language) -> String {
            let (fr, en): (String, String)
            switch self {
            case .reportTooLarge: (fr, en) = ("rapport trop volumineux", "report too large")
            case .signatureTooLarge: (fr, en) = ("signature trop volumineuse", "signature too large")
            case .signatureEmpty: (fr, en) = ("signature vide", "empty signature")
            case .signatureMalformed: (fr, en) = ("signature illisible", "unreadable signature")
            case .signatureNotDetached: (fr, en) = ("signature non détachée", "signature not detached")
            case .signerCount: (fr, en) = ("nombre de signataires", "signer count")
            case .signerCertificateMissing: (fr, en) = ("certificat du signataire absent", "signer certificate missing")
            case .signedAttributesMissing: (fr, en) = ("attributs signés absents", "signed attributes missing")
            case .signatureInvalid: (fr, en) = ("signature invalide", "invalid signature")
            case .contentMismatch: (fr, en) = ("rapport modifié", "report altered")
            case .signingTimeInFuture: (fr, en) = ("date de signature dans le futur", "signing time in the future")
            case .untrustedIssuer: (fr, en) = ("autorité non reconnue", "untrusted issuer")
            case .certificateExpired: (fr, en) = ("certificat expiré", "certificate expired")
            case .certificateNotYetValid: (fr, en) = ("certificat pas encore valide", "certificate not yet valid")
            case .chainInvalid: (fr, en) = ("chaîne de certification invalide", "invalid chain")
            case .certificateRevoked: (fr, en) = ("certificat révoqué", "certificate revoked")
            case .notForSigning: (fr, en) = ("certificat non prévu pour signer", "certificate not for signing")
            case .notAgentCertificate: (fr, en) = ("certificat sans identité d'agent", "not an agent certificate")
            case .notJSON: (fr, en) = ("rapport non JSON", "report is not JSON")
            case .schemaViolation: (fr, en) = ("rapport non conforme au schéma", "report does not follow the schema")
            case .sirenMissing: (fr, en) = ("SIREN absent", "SIREN missing")
            case .sirenMismatch: (fr, en) = ("SIREN différent", "SIREN mismatch")
            case .signatureMissing: (fr, en) = ("signature absente", "no signature")
            case .generatedAtInvalid: (fr, en) = ("date du rapport invalide", "invalid report date")
            case .generatedAfterSigning: (fr, en) = ("rapport daté après sa signature", "report dated after its signature")
            }
            return language == .fr ? fr : en
        }

        /// What it means and what to do, in one sentence, French then English.
        public func explanation(_ language: Language) -> String {
            let (fr, en): (String, String)
            switch self {
            case .reportTooLarge, .signatureTooLarge:
                (fr, en) = ("fichier refusé sans être lu, au-delà de la taille admise", "file refused unread, over the size limit")
            case .signatureEmpty, .signatureMalformed, .signatureNotDetached, .signerCount, .signerCertificateMissing, .signedAttributesMissing:
                (fr, en) = (
                    "le fichier .p7s n'est pas une signature cyberctl intacte : il a été tronqué, modifié ou produit autrement ; faire signer à nouveau le rapport",
                    "the .p7s file is not an intact cyberctl signature: truncated, altered or made otherwise; have the report signed again")
            case .signatureInvalid:
                (fr, en) = ("la signature a été altérée : ne pas se fier à ce rapport", "the signature was altered: do not rely on this report")
            case .contentMismatch:
                (fr, en) = (
                    "le rapport a été modifié après sa signature, ou la signature est celle d'un autre rapport : ne pas s'y fier",
                    "the report was changed after signing, or the signature belongs to another report: do not rely on it")
            case .signingTimeInFuture:
                (fr, en) = ("l'horloge du serveur signataire est fausse, ou la date a été forgée", "the signing server's clock is wrong, or the time was forged")
            case .untrustedIssuer:
                (fr, en) = (
                    "le certificat de l'agent n'a pas été émis par l'autorité du RSSI indiquée (--ca)",
                    "the agent certificate was not issued by the RSSI's CA given (--ca)")
            case .certificateExpired, .certificateNotYetValid:
                (fr, en) = (
                    "le certificat de l'agent n'était pas valide à la date de signature : réinscrire l'agent (cyberctl enroll, pki issue)",
                    "the agent certificate was not valid at signing time: enrol the agent again (cyberctl enroll, pki issue)")
            case .chainInvalid:
                (fr, en) = ("la chaîne de certification ne se vérifie pas", "the certificate chain does not verify")
            case .certificateRevoked:
                (fr, en) = ("le RSSI a révoqué ce certificat : ses rapports ne sont plus acceptés", "the RSSI revoked this certificate: its reports are no longer accepted")
            case .notForSigning, .notAgentCertificate:
                (fr, en) = ("le signataire n'utilise pas un certificat d'agent émis par cyberctl pki", "the signer does not use an agent certificate issued by cyberctl pki")
            case .notJSON, .schemaViolation:
                (fr, en) = (
                    "le fichier signé n'est pas un rapport cyberctl valide (schéma cyberctl.report/1)",
                    "the signed file is not a valid cyberctl report (schema cyberctl.report/1)")
            case .sirenMissing, .sirenMismatch:
                (fr, en) = (
                    "le rapport ne porte pas le SIREN de l'entité inscrite dans le certificat de l'agent : il ne peut lui être attribué",
                    "the report does not carry the SIREN of the entity in the agent certificate: it cannot be attributed to it")
            case .signatureMissing:
                (fr, en) = ("aucun fichier .p7s à côté du rapport : il n'est pas signé", "no .p7s file next to the report: it is not signed")
            case .generatedAtInvalid:
                (fr, en) = (
                    "la date de génération n'est pas une date réelle (jour inexistant, année avant 1970) : le rapport n'a pas été produit par l'agent cyberctl",
                    "the generation time is not a real date (a day that does not exist, a year before 1970): the report was not produced by the cyberctl agent")
            case .generatedAfterSigning:
                (fr, en) = (
                    "le rapport se dit produit après sa signature : date forgée (par exemple pour rester le dernier rapport de l'hôte) ou horloge fausse ; ne pas s'y fier",
                    "the report claims to be generated after it was signed: a forged date (to stay the host's latest report, for instance) or a wrong clock; do not rely on it")
            }
            return language == .fr ? fr : en
        }
    }

    public let code: Code
    /// The precise reason, French and English, with the values involved (serials, dates in Europe/Paris time
    /// with their offset, SIRENs, paths). Technical text quoted from OpenSSL, the JSON parser or the schema
    /// validator stays as it was written (English), inside a sentence in each language.
    public let text: LocalizedText

    /// A failure whose reason reads `fr` in French and `en` in English.
    public init(_ code: Code, fr: String, en: String) {
        self.code = code
        self.text = LocalizedText(fr: fr, en: en)
    }

    /// A failure whose reason is `text`, already in both languages.
    public init(_ code: Code, text: LocalizedText) {
        self.code = code
        self.text = text
    }

    /// The precise reason in `language`.
    public func message(in language: Language) -> String { text.text(in: language) }

    /// The French reason (the default language).
    public var description: String { text.fr }
}

/// Verifies signed reports: the consolidation's gate.
///
/// A report is accepted when, in this order:
/// 1. both files are within their size limits (`TrustFiles`);
/// 2. the signature is one DER CMS SignedData, detached, with exactly one signer, signed attributes
///    and the signer certificate; its unsigned fields (versions, digestAlgorithms, content type,
///    signatureAlgorithm) are exactly as RFC 5652 prescribes, so no byte can change unnoticed;
/// 3. the signature value verifies with that certificate's key, and the messageDigest attribute equals
///    the digest of the exact report bytes (together: what `CMS_verify` checks);
/// 4. the signing time is not in the future (5 minutes of clock skew allowed); without a signing
///    time, the verification time stands in for it;
/// 5. the certificate chains to a trusted CA and is within its validity at the signing time
///    (`X509_verify_cert` at that time), is not a CA, and allows digitalSignature;
/// 6. no trusted CRL revokes it — except a revocation for `superseded`, `cessationOfOperation`,
///    `affiliationChanged` or `privilegeWithdrawn` dated after the signing time, which leaves earlier
///    reports valid (a warning says so). `keyCompromise`, `unspecified` and the others reject every
///    report, whatever signing time it claims, since a stolen key can claim any time;
/// 7. the certificate subject is an agent identity, the report is JSON following `cyberctl.report/1`
///    (every number bounded, every time a `YYYY-MM-DDTHH:MM:SSZ` string), its `generatedAt` is a real
///    time no later than the signing time plus the clock skew (`ReportTime`), and its `entity.siren`
///    equals the certificate's SIREN.
///
/// A signature proves who sent a report, not that its content is sane: an enrolled agent may be
/// compromised. Everything above is what the store needs to keep a report without trapping,
/// misleading a view or pinning a host's latest report (docs/hostile-input.md).
public struct ReportVerifier: Sendable {
    public let trust: TrustAnchors
    /// The verification time ("now"), injectable for tests.
    public let clock: @Sendable () -> Date
    /// Allowed clock skew for signing times in the future: 5 minutes.
    public static let clockSkew: TimeInterval = 300
    /// A signer certificate expiring within this many days is flagged at verification (30 days).
    public static let signerExpiryWarningDays = 30

    /// Whether revocation `entry` refuses a report signed at `signingTime` (step 6): always, unless its reason is
    /// `superseded`, `cessationOfOperation`, `affiliationChanged` or `privilegeWithdrawn` (`Reason.voidsEarlierSignatures`
    /// false) and the revocation is dated after the signing time. No reason code counts as `unspecified` (RFC 5280 §5.3.1). The same rule withdraws
    /// stored reports after a revocation (`TerritoryStore.withdrawRevokedReports`), so that what the store keeps is
    /// exactly what a verification would accept now.
    public static func revocationRefuses(_ entry: CertificateRevocationList.Entry, signingTime: Date) -> Bool {
        (entry.reason ?? .unspecified).voidsEarlierSignatures || entry.revocationDate <= signingTime
    }

    /// Facts about signer certificates seen before, shared by copies of this verifier.
    let cache = CertificateCache()

    public init(trust: TrustAnchors, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.trust = trust
        self.clock = clock
    }

    /// Verifies `reportBytes` against the detached `signatureBytes`.
    /// - Returns: who signed, for which entity and host, and when.
    /// - Throws: `VerificationFailure` with the first condition that does not hold.
    public func verify(reportBytes: [UInt8], signatureBytes: [UInt8]) throws(VerificationFailure) -> VerifiedReport {
        try verifyDocument(reportBytes: reportBytes, signatureBytes: signatureBytes).report
    }

    /// The same verification as `verify(reportBytes:signatureBytes:)`, also returning the report
    /// document it parsed and validated, so a consumer (the consolidation) does not parse it twice.
    public func verifyDocument(reportBytes: [UInt8], signatureBytes: [UInt8]) throws(VerificationFailure)
        -> (report: VerifiedReport, document: JSONValue)
    {
        let now = clock()
        var warnings: [LocalizedText] = []
        guard reportBytes.count <= TrustFiles.maximumReportBytes else {
            throw VerificationFailure(
                .reportTooLarge, fr: "rapport de \(reportBytes.count) octets, au-delà de la limite de \(TrustFiles.maximumReportBytes) octets",
                en: "report of \(reportBytes.count) bytes, over the limit of \(TrustFiles.maximumReportBytes) bytes")
        }
        guard signatureBytes.count <= TrustFiles.maximumSignatureBytes else {
            throw VerificationFailure(
                .signatureTooLarge, fr: "signature de \(signatureBytes.count) octets, au-delà de la limite de \(TrustFiles.maximumSignatureBytes) octets",
                en: "signature of \(signatureBytes.count) bytes, over the limit of \(TrustFiles.maximumSignatureBytes) bytes")
        }
        guard !signatureBytes.isEmpty else { throw VerificationFailure(.signatureEmpty, fr: "le fichier de signature est vide", en: "the signature file is empty") }

        // 2. Structure. A signer certificate already verified by this verifier is not decoded again:
        // the SignedData is parsed without its certificates field, and the cached certificate (same
        // DER bytes) is matched with the signer (decoding a certificate costs more than the rest).
        let layout = SignedDataLayout(der: signatureBytes)
        var cached: CertificateCache.Entry?
        if let layout, layout.certificates.count == 1 { cached = cache.entry(for: layout.certificates[0]) }
        let signed: CMSSignedData
        do {
            if let cached, let stripped = layout?.withoutCertificates {
                signed = try CMSSignedData(derEncoded: stripped)
                _ = cached
            } else {
                signed = try CMSSignedData(derEncoded: signatureBytes)
            }
        } catch {
            let pem = signatureBytes.starts(with: Array("-----BEGIN".utf8))
            // `error` is OpenSSL's own text: quoted as is.
            throw VerificationFailure(
                .signatureMalformed,
                fr: "la signature n'est pas une structure CMS DER complète : tronquée ou corrompue\(pem ? " (PEM fourni ; DER attendu : openssl cms -outform DER)" : "") : \(error)",
                en: "the signature is not a complete DER CMS structure, truncated or corrupted\(pem ? " (PEM given; expected DER: openssl cms -outform DER)" : ""): \(error)")
        }
        guard signed.isSignedData, let layout else {
            throw VerificationFailure(.signatureMalformed, fr: "la structure CMS n'est pas un SignedData", en: "the CMS structure is not SignedData")
        }
        if let problem = layout.problem {
            throw VerificationFailure(
                .signatureMalformed, fr: "les champs non signés de la signature ont été modifiés ou ne sont pas ceux que prescrit la RFC 5652 : \(problem)",
                en: "the signature's unsigned fields were altered or are not as RFC 5652 prescribes: \(problem)")
        }
        guard signed.encapsulatesData else {
            throw VerificationFailure(
                .signatureMalformed, fr: "le type de contenu encapsulé de la signature n'est pas id-data (modifié, ou pas la signature d'un fichier)",
                en: "the signature's encapsulated content type is not id-data (altered, or not a signed file)")
        }
        guard signed.isDetached else {
            throw VerificationFailure(
                .signatureNotDetached, fr: "la signature contient son contenu ; une signature détachée du fichier de rapport est attendue",
                en: "the signature embeds its content; expected a detached signature over the report file")
        }
        let signers = cached.map { signed.signers(using: [$0.certificate]) } ?? signed.signers
        guard signers.count == 1, let signer = signers.first else {
            throw VerificationFailure(.signerCount, fr: "\(signers.count) signataires ; un seul est attendu", en: "\(signers.count) signers; expected exactly one")
        }
        guard let certificate = signer.certificate else {
            throw VerificationFailure(
                .signerCertificateMissing, fr: "la signature ne contient pas le certificat du signataire", en: "the signature does not carry the signer's certificate")
        }
        guard signer.signedAttributeCount > 0, let claimedDigest = signer.messageDigest else {
            throw VerificationFailure(
                .signedAttributesMissing, fr: "la signature n'a pas d'attributs signés (messageDigest, date de signature)",
                en: "the signature has no signed attributes (messageDigest, signing time)")
        }

        guard signer.contentTypeAttributeMatches else {
            throw VerificationFailure(
                .signatureMalformed, fr: "l'attribut signé content-type est absent ou diffère du type de contenu encapsulé",
                en: "the signed content-type attribute is missing or differs from the encapsulated content type")
        }
        guard signer.signatureAlgorithmIsConsistent else {
            throw VerificationFailure(
                .signatureMalformed, fr: "le signatureAlgorithm du signataire ne correspond pas à son algorithme d'empreinte et à sa clé (modifié ou non pris en charge)",
                en: "the signer's signatureAlgorithm does not match its digest algorithm and key (altered or unsupported)")
        }

        // 3. Signature value, then content digest.
        do {
            try signer.verifySignedAttributes()
        } catch {
            throw VerificationFailure(
                .signatureInvalid, fr: "la valeur de signature ne se vérifie pas avec la clé du certificat signataire : le fichier de signature a été modifié (\(error))",
                en: "the signature value does not verify with the signer certificate's key: the signature file was altered (\(error))")
        }
        guard let algorithm = signer.digestAlgorithm, ["SHA256", "SHA384", "SHA512"].contains(algorithm),
              let actualDigest = signer.digest(of: reportBytes) else {
            throw VerificationFailure(
                .signatureInvalid, fr: "algorithme d'empreinte \(signer.digestAlgorithm ?? "inconnu") refusé ; SHA-256, SHA-384 ou SHA-512 attendu",
                en: "digest algorithm \(signer.digestAlgorithm ?? "unknown") refused; expected SHA-256, SHA-384 or SHA-512")
        }
        guard actualDigest == claimedDigest else {
            throw VerificationFailure(
                .contentMismatch,
                fr: "l'empreinte \(algorithm) du rapport diffère de celle qui a été signée : le rapport a été modifié après sa signature, ou la signature est celle d'un autre rapport",
                en: "the report's \(algorithm) digest differs from the signed one: the report was altered after signing, or the signature belongs to another report")
        }

        // 4. Signing time.
        let signingTime: Date
        if let claimed = signer.signingTime {
            guard claimed <= now.addingTimeInterval(Self.clockSkew) else {
                throw VerificationFailure(
                    .signingTimeInFuture, fr: "la date de signature \(PeopleTime.string(from: claimed)) est dans le futur (il est \(PeopleTime.string(from: now)))",
                    en: "signing time \(PeopleTime.string(from: claimed)) is in the future (now \(PeopleTime.string(from: now)))")
            }
            signingTime = claimed
        } else {
            signingTime = now
            warnings.append(LocalizedText(
                fr: "pas d'attribut de date de signature : le certificat a été vérifié à la date de la vérification",
                en: "no signing-time attribute: the certificate was checked at the verification time"))
        }

        // 5. Chain at the signing time (remembered per certificate for the window where it holds).
        if let cached, cached.chainHolds(at: signingTime) {
            // Verified before: same certificate bytes, same trust, a time inside the chain's window.
        } else {
            let untrusted = cached == nil ? signed.certificates : [certificate]
            switch trust.store.verify(certificate, untrusted: untrusted, at: signingTime) {
            case .valid(let chain):
                cache.remember(certificate, der: layout.certificates.count == 1 ? Array(layout.certificates[0]) : nil, chain: chain)
            case .invalid(let error):
                let at = PeopleTime.string(from: signingTime)
                switch error.kind {
                case .expired:
                    // The certificate at fault may be the agent's or a CA above it (error depth > 0).
                    let faulty = error.certificate ?? certificate
                    let until = faulty.notAfter.map(PeopleTime.string(from:)) ?? "?"
                    throw VerificationFailure(
                        .certificateExpired,
                        fr: "le certificat \(Self.role(depth: error.depth, .fr)) \(faulty.serialNumberHex) (\(faulty.subjectName.displayText)) avait expiré à la date de signature \(at) : valide jusqu'au \(until)",
                        en: "\(Self.role(depth: error.depth, .en)) certificate \(faulty.serialNumberHex) (\(faulty.subjectName.displayText)) had expired at signing time \(at): valid until \(until)")
                case .notYetValid:
                    let faulty = error.certificate ?? certificate
                    let from = faulty.notBefore.map(PeopleTime.string(from:)) ?? "?"
                    throw VerificationFailure(
                        .certificateNotYetValid,
                        fr: "le certificat \(Self.role(depth: error.depth, .fr)) \(faulty.serialNumberHex) (\(faulty.subjectName.displayText)) n'était pas encore valide à la date de signature \(at) : valide à partir du \(from)",
                        en: "\(Self.role(depth: error.depth, .en)) certificate \(faulty.serialNumberHex) (\(faulty.subjectName.displayText)) was not yet valid at signing time \(at): valid from \(from)")
                case .untrustedIssuer:
                    // `error.reason` is OpenSSL's own text (X509_verify_cert_error_string): quoted as is.
                    throw VerificationFailure(
                        .untrustedIssuer,
                        fr: "le certificat \(certificate.subjectName.displayText) a été émis par \(certificate.issuerName.displayText), qui n'est pas une autorité de confiance (\(error.reason))",
                        en: "certificate \(certificate.subjectName.displayText) was issued by \(certificate.issuerName.displayText), which is not a trusted CA (\(error.reason))")
                case .badSignature, .other:
                    throw VerificationFailure(
                        .chainInvalid, fr: "la chaîne de certification ne se vérifie pas au \(at) : \(error)", en: "certificate chain does not verify at \(at): \(error)")
                }
            }
        }
        let facts = cached ?? cache.entry(for: certificate)
        if facts.isCertificateAuthority {
            throw VerificationFailure(
                .notForSigning, fr: "signé avec un certificat d'autorité (\(facts.subject)) ; les rapports sont signés avec des certificats d'agent",
                en: "signed with a CA certificate (\(facts.subject)); reports are signed with agent certificates")
        }
        if let usage = facts.keyUsage, !usage.contains("digitalSignature") && !usage.contains("nonRepudiation") {
            throw VerificationFailure(
                .notForSigning, fr: "l'usage de clé du certificat (\(usage.joined(separator: ", "))) ne permet pas la signature numérique",
                en: "certificate key usage (\(usage.joined(separator: ", "))) does not allow digital signatures")
        }

        // 6. Revocation.
        // Every CRL was checked against the CAs when the trust was built; the chain above proved the
        // certificate's issuer is one of them, so matching the issuer name is enough here.
        let crls = trust.revocationLists.filter { $0.covers(certificate) }
        if trust.revocationLists.isEmpty {
            warnings.append(LocalizedText(fr: "aucune CRL fournie : révocation non vérifiée", en: "no CRL given: revocation not checked"))
        } else if crls.isEmpty {
            warnings.append(LocalizedText(
                fr: "aucune CRL de l'autorité de ce certificat : révocation non vérifiée", en: "no CRL from this certificate's CA: revocation not checked"))
        }
        for crl in crls {
            if let nextUpdate = crl.nextUpdate, nextUpdate < now {
                warnings.append(LocalizedText(
                    fr: "la CRL n'est plus à jour depuis le \(PeopleTime.string(from: nextUpdate)) (lancez cyberctl pki crl et récupérez-la à nouveau)",
                    en: "the CRL is out of date since \(PeopleTime.string(from: nextUpdate)) (run cyberctl pki crl and fetch it again)"))
            }
            guard let entry = crl.entry(for: certificate) else { continue }
            let reason = entry.reason ?? .unspecified
            if !Self.revocationRefuses(entry, signingTime: signingTime) {
                warnings.append(LocalizedText(
                    fr: "certificat révoqué le \(PeopleTime.string(from: entry.revocationDate)) (\(reason.name)), après la signature de ce rapport",
                    en: "certificate revoked on \(PeopleTime.string(from: entry.revocationDate)) (\(reason.name)), after this report was signed"))
                continue
            }
            let since = PeopleTime.string(from: entry.revocationDate)
            throw VerificationFailure(
                .certificateRevoked,
                fr: "le certificat \(certificate.serialNumberHex) (\(certificate.subjectName.displayText)) est révoqué depuis le \(since) (motif \(reason.name))",
                en: "certificate \(certificate.serialNumberHex) (\(certificate.subjectName.displayText)) is revoked since \(since) (reason \(reason.name))")
        }

        // 7. Identity, document, binding.
        let identity: AgentIdentity
        switch facts.identity {
        case .success(let value): identity = value
        case .failure(let problem):
            throw VerificationFailure(
                .notAgentCertificate, fr: "le certificat signataire n'est pas un certificat d'agent : \(problem)",
                en: "the signer certificate is not an agent certificate: \(problem)")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(reportBytes)
        } catch {
            // The parser's text (line, column, what it expected), in each language.
            throw VerificationFailure(
                .notJSON, fr: "le rapport n'est pas du JSON : \(error.description(in: .fr))", en: "the report is not JSON: \(error)")
        }
        let violations = ReportSchema.compiled.validate(document, limit: 5)
        if !violations.isEmpty {
            // The schema validator's text (instance path, what it expected), in each language.
            throw VerificationFailure(
                .schemaViolation,
                fr: "le rapport ne suit pas le schéma cyberctl.report/1 : \(violations.map { $0.description(in: .fr) }.joined(separator: " ; "))",
                en: "the report does not follow schema cyberctl.report/1: \(violations.map(\.description).joined(separator: "; "))")
        }
        // Dates: the same rules the store applies (ReportTime), so what verify accepts can be stored.
        if case .object(let members) = document, case .string(let generatedAt)? = members["generatedAt"],
           let problem = ReportTime.problem(generatedAt: generatedAt, signingTime: signingTime)
        {
            throw VerificationFailure(problem.code, text: problem.text)
        }
        guard case .object(let root) = document, case .object(let entity)? = root["entity"], case .string(let siren)? = entity["siren"] else {
            throw VerificationFailure(
                .sirenMissing, fr: "le rapport n'a pas d'entity.siren : il ne peut être rattaché au SIREN \(identity.siren) du certificat",
                en: "the report has no entity.siren, so it cannot be tied to the certificate's SIREN \(identity.siren)")
        }
        guard siren == identity.siren else {
            throw VerificationFailure(
                .sirenMismatch,
                fr: "le rapport est celui du SIREN \(siren) mais il a été signé par le certificat du SIREN \(identity.siren) (\(identity.entityName), hôte \(identity.host))",
                en: "the report is for SIREN \(siren) but was signed by the certificate of SIREN \(identity.siren) (\(identity.entityName), host \(identity.host))")
        }
        func string(_ value: JSONValue?) -> String? { if case .string(let text)? = value { return text } else { return nil } }
        var hostname = ""
        if case .object(let host)? = root["host"] { hostname = string(host["hostname"]) ?? "" }
        if !hostname.isEmpty && hostname.lowercased() != identity.host.lowercased() {
            warnings.append(LocalizedText(
                fr: "l'hôte du rapport « \(hostname) » diffère de celui du certificat « \(identity.host) » (la base le range sous celui du certificat)",
                en: "the report's host \"\(hostname)\" differs from the certificate's host \"\(identity.host)\" (the store files it under the certificate's)"))
        }
        if let claimed = string(entity["name"]), !claimed.isEmpty, claimed != identity.entityName {
            warnings.append(LocalizedText(
                fr: "l'entité du rapport « \(claimed) » diffère de celle du certificat « \(identity.entityName) » (la base retient celle du certificat)",
                en: "the report's entity \"\(claimed)\" differs from the certificate's \"\(identity.entityName)\" (the store keeps the certificate's)"))
        }
        let signerStatus = SignerCertificateStatus(notAfter: facts.notAfter, now: now)
        let verified = VerifiedReport(
            reportID: string(root["id"]) ?? "", generatedAt: string(root["generatedAt"]) ?? "", entityName: string(entity["name"]),
            siren: siren, hostname: hostname, reportSHA256: algorithm == "SHA256" ? Digest.hex(actualDigest) : Digest.sha256Hex(reportBytes), signingTime: signingTime,
            signer: .init(
                subject: facts.subject, entityName: identity.entityName, siren: identity.siren, host: identity.host,
                serial: facts.serial, issuer: facts.issuer, notBefore: facts.notBefore, notAfter: facts.notAfter,
                fingerprint: facts.fingerprint),
            warnings: warnings, signerCertificate: signerStatus)
        return (verified, document)
    }

    /// Verifies the report at `reportPath` against `signaturePath` (default `<report>.p7s`), reading
    /// both within their size limits.
    /// - Throws: `VerificationFailure` (a missing signature file is `.signatureMissing`; a file over
    ///   its limit is refused unread); `InputError` for a missing or unreadable report.
    public func verify(reportPath: String, signaturePath: String? = nil) throws -> VerifiedReport {
        let (reportBytes, signatureBytes) = try Self.readPair(reportPath: reportPath, signaturePath: signaturePath)
        return try verify(reportBytes: reportBytes, signatureBytes: signatureBytes)
    }

    /// Reads a report and its signature (default `<report>.p7s`) within their size limits, read-only;
    /// a FIFO, device or socket in place of either is refused without blocking (`RegularFile`).
    /// - Throws: `VerificationFailure` (`.signatureMissing`, `.reportTooLarge`, `.signatureTooLarge`);
    ///   `InputError` for a missing, unreadable or non-regular report or signature file.
    public static func readPair(reportPath: String, signaturePath: String? = nil) throws -> (report: [UInt8], signature: [UInt8]) {
        let signaturePath = signaturePath ?? ReportSigner.signaturePath(for: reportPath)
        let reportBytes: [UInt8]
        do {
            reportBytes = try RegularFile.read(reportPath, limit: TrustFiles.maximumReportBytes)
        } catch {
            if case .tooLarge = error {
                throw VerificationFailure(.reportTooLarge, text: TrustFiles.inputError(error, path: reportPath, what: LocalizedText(fr: "rapport", en: "report")).fullText)
            }
            throw TrustFiles.inputError(error, path: reportPath, what: LocalizedText(fr: "rapport", en: "report"))
        }
        let signatureBytes: [UInt8]
        do {
            signatureBytes = try RegularFile.read(signaturePath, limit: TrustFiles.maximumSignatureBytes)
        } catch {
            switch error {
            case .notFound:
                throw VerificationFailure(.signatureMissing, fr: "pas de signature (\(signaturePath) introuvable)", en: "no signature (\(signaturePath) not found)")
            case .tooLarge:
                throw VerificationFailure(.signatureTooLarge, text: TrustFiles.inputError(error, path: signaturePath, what: LocalizedText(fr: "signature", en: "signature")).fullText)
            default: throw TrustFiles.inputError(error, path: signaturePath, what: LocalizedText(fr: "signature", en: "signature"))
            }
        }
        return (reportBytes, signatureBytes)
    }

    /// "agent" for the certificate that signed (chain depth 0), "CA" ("de l'autorité") for one above it.
    static func role(depth: Int, _ language: Language) -> String {
        switch (depth == 0, language) {
        case (true, .fr): "d'agent"
        case (false, .fr): "de l'autorité"
        case (true, .en): "agent"
        case (false, .en): "CA"
        }
    }
}
