import FoundationEssentials
import FoundationGaps
import Model
import OpenSSLKit

#if canImport(Glibc)
import Glibc
#endif

/// The mutualised RSSI's small certificate authority, kept in one folder:
///
/// | file | what | mode |
/// |---|---|---|
/// | `ca.key` | CA private key, ECDSA P-256, PKCS#8 PEM | 0600 |
/// | `ca.pem` | self-signed CA certificate (10 years) | 0644 |
/// | `serial` | next serial number, hexadecimal (starts at a random 128-bit value) | 0600 |
/// | `crlnumber` | next CRL number, decimal | 0600 |
/// | `index.json` | every certificate issued, with its revocation | 0640 |
/// | `crl.pem` | the CRL, regenerated on each revocation | 0644 |
/// | `certs/<SERIAL>.pem` | a copy of each certificate issued | 0644 |
///
/// Every change happens under an exclusive `flock(2)` on `.lock`, and every file is written atomically.
public struct CertificateAuthority: Sendable {
    public let directory: String

    /// Validity of the CA certificate: 10 years (3,653 days).
    public static let caValidityDays = 3653
    /// Default validity of agent certificates: 825 days (the former CA/Browser Forum maximum).
    public static let defaultAgentValidityDays = 825
    /// Validity of each CRL: 30 days; run `cyberctl pki crl` (or revoke) before then.
    public static let crlValidityDays = 30
    /// Backdating of notBefore, for clocks a little behind: 5 minutes.
    public static let clockSkew: TimeInterval = 300

    public var keyPath: String { "\(directory)/ca.key" }
    public var certificatePath: String { "\(directory)/ca.pem" }
    public var crlPath: String { "\(directory)/crl.pem" }
    var serialPath: String { "\(directory)/serial" }
    var crlNumberPath: String { "\(directory)/crlnumber" }
    var indexPath: String { "\(directory)/index.json" }
    var certsPath: String { "\(directory)/certs" }

    /// One certificate issued by this CA.
    public struct IssuedCertificate: Codable, Sendable, Equatable {
        /// Upper-case hexadecimal, as `openssl x509 -serial` prints it.
        public var serial: String
        public var subject: String
        public var entityName: String
        public var siren: String
        public var host: String
        public var notBefore: Date
        public var notAfter: Date
        /// SHA-256 fingerprint, colon-separated upper-case hex.
        public var fingerprint: String
        public var revokedAt: Date?
        /// RFC 5280 reason name, when revoked.
        public var revocationReason: String?
        /// `server` for a TLS server certificate (`pki issue --server`); nil (absent) for an agent certificate.
        public var usage: String?
        /// The subjectAltName entries of a server certificate (`DNS:…`, `IP:…`).
        public var subjectAlternativeNames: [String]?

        /// `valid`, `revoked` or `expired` at `now`.
        public func status(at now: Date) -> String {
            if revokedAt != nil { return "revoked" }
            return notAfter < now ? "expired" : "valid"
        }
    }

    struct Index: Codable {
        var certificates: [IssuedCertificate]
    }

    /// Opens an existing CA folder.
    /// - Throws: `InputError(.missing)` when `ca.pem` is not there.
    public init(directory: String) throws(InputError) {
        self.directory = directory
        guard FileManager.default.fileExists(atPath: certificatePath) else {
            throw InputError(
                .missing, file: directory,
                fr: "aucune autorité de certification ici (ca.pem absent) ; pour en créer une : cyberctl pki init --dir \(directory) --name \"…\"",
                en: "no CA here (ca.pem missing); create one with: cyberctl pki init --dir \(directory) --name \"…\"")
        }
    }

    private init(uncheckedDirectory directory: String) { self.directory = directory }

    /// Creates the CA: key, self-signed certificate, serial counter, empty index, empty CRL.
    /// - Parameters:
    ///   - name: the CA's name, for O and CN (`RSSI mutualisé du Pays de Brest`).
    /// - Throws: `InputError(.usage)` when the folder already holds a CA; `.io` when it cannot be written.
    public static func initialize(directory: String, name: String, now: Date = Date()) throws(InputError) -> CertificateAuthority {
        let trimmed = name.trimming(.whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else {
            throw InputError(
                .usage, fr: "--name \"\(name)\" : de 1 à 64 octets sont attendus (X.520 ub-common-name)",
                en: "--name \"\(name)\": expected 1 to 64 bytes (X.520 ub-common-name)")
        }
        let authority = CertificateAuthority(uncheckedDirectory: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            try FileManager.default.createDirectory(atPath: authority.certsPath, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw InputError(
                .io, file: directory, fr: "impossible de créer le dossier de l'autorité : \(ErrorText.reason(error))",
                en: "cannot create the CA folder: \(ErrorText.reason(error))")
        }
        return try authority.locked { () throws(InputError) -> CertificateAuthority in
            for existing in [authority.keyPath, authority.certificatePath] where FileManager.default.fileExists(atPath: existing) {
                throw InputError(
                    .usage, file: existing, fr: "une autorité existe déjà dans \(directory) ; elle n'est pas remplacée",
                    en: "a CA already exists in \(directory); refusing to overwrite it")
            }
            do {
                let key = try PrivateKey.generateP256()
                let subject = DistinguishedName([.init("C", "FR"), .init("O", trimmed), .init("CN", trimmed)])
                let template = CertificateTemplate(
                    subject: subject, serialNumber: Self.randomSerial(), notBefore: now.addingTimeInterval(-clockSkew),
                    notAfter: now.addingTimeInterval(TimeInterval(caValidityDays) * 86_400),
                    extensions: [
                        ("basicConstraints", "critical, CA:TRUE, pathlen:0"),
                        ("keyUsage", "critical, keyCertSign, cRLSign"),
                        ("subjectKeyIdentifier", "hash"),
                        ("authorityKeyIdentifier", "keyid:always"),
                    ])
                let certificate = try CertificateIssuer.selfSigned(template, key: key)
                try AtomicFile.write(try key.pkcs8PEM(), to: authority.keyPath, mode: 0o600)
                try AtomicFile.write(Array(certificate.pemEncoded.utf8), to: authority.certificatePath, mode: 0o644)
                // Agents' serials count up from a random start (`randomSerial`), not from a fixed number: a CA made again
                // under the same name (a lost key, a new RSSI) must not reissue the old one's serials, since a revocation
                // is matched to stored reports and refused signers by issuer name and serial (`Withdrawal`, `Ingest`).
                try AtomicFile.write(Array("\(Self.hex(Self.randomSerial()))\n".utf8), to: authority.serialPath, mode: 0o600)
                try AtomicFile.write(Array("1\n".utf8), to: authority.crlNumberPath, mode: 0o600)
                try authority.writeIndex(Index(certificates: []))
                try authority.writeCRL(certificates: [], key: key, certificate: certificate, now: now)
                return authority
            } catch let error as InputError {
                throw error
            } catch let error as AtomicFileError {
                throw error.inputError
            } catch {
                throw InputError(.io, file: directory, fr: "échec de la création de l'autorité : \(error)", en: "creating the CA failed: \(error)")
            }
        }
    }

    /// `--days` outside 1…825 (the CA/Browser Forum's historical 825-day cap for end-entity certificates).
    static func daysOutOfRange(_ days: Int) -> InputError {
        InputError(.usage, fr: "--days \(days) : une durée de 1 à 825 jours est attendue", en: "--days \(days): expected 1 to 825")
    }

    /// The CA certificate.
    public func certificate() throws(InputError) -> X509Certificate { try TrustFiles.readCertificate(certificatePath, what: LocalizedText(fr: "certificat de l'AC", en: "CA certificate")) }

    /// Every certificate issued, oldest first.
    public func issued() throws(InputError) -> [IssuedCertificate] { try readIndex().certificates }

    /// Issues an agent certificate for `request`.
    ///
    /// The request must carry a valid self-signature and an agent subject (O, organizationIdentifier
    /// `NTRFR-<SIREN>` with a valid SIREN, CN), and an ECDSA P-256/P-384 or RSA ≥ 2048-bit key. The
    /// certificate copies that subject (C=FR, O, organizationIdentifier, CN) and carries basicConstraints
    /// CA:FALSE, keyUsage digitalSignature (critical), extendedKeyUsage clientAuth (so the same
    /// certificate can authenticate a push over TLS), and key identifiers. Extensions asked for in the
    /// request are ignored.
    /// - Parameters:
    ///   - days: validity, 1 to 825 days, never beyond the CA's own notAfter.
    /// - Throws: `InputError(.invalidData)` naming what is wrong with the request.
    public func issue(_ request: CertificateSigningRequest, days: Int = defaultAgentValidityDays, now: Date = Date())
        throws(InputError) -> (certificate: X509Certificate, record: IssuedCertificate)
    {
        let issuance = try issue(request, days: days, now: now, renew: false)
        return (issuance.certificate, issuance.record)
    }

    /// Issues an agent certificate for `request`, as `issue(_:days:now:)` does, refusing a request whose public key
    /// already has a valid certificate unless `renew` (see `Issuance`).
    /// - Throws: `InputError(.usage)` when the key already has a valid certificate and `renew` is false, with the
    ///   serials and what to do; otherwise as `issue(_:days:now:)`.
    public func issue(_ request: CertificateSigningRequest, days: Int = defaultAgentValidityDays, now: Date = Date(), renew: Bool)
        throws(InputError) -> Issuance
    {
        guard (1...825).contains(days) else { throw Self.daysOutOfRange(days) }
        _ = try Self.acceptableKey(of: request)
        let identity: AgentIdentity
        switch AgentIdentity.from(request.subject) {
        case .success(let value): identity = value
        case .failure(let problem): throw InputError(
                .invalidData, fr: "demande de certificat : \(problem.text.fr) (sujet \(request.subject))",
                en: "certificate request: \(problem.text.en) (subject \(request.subject))")
        }
        let extensions = [
            ("basicConstraints", "critical, CA:FALSE"),
            ("keyUsage", "critical, digitalSignature"),
            ("extendedKeyUsage", "clientAuth"),
            ("subjectKeyIdentifier", "hash"),
            ("authorityKeyIdentifier", "keyid:always"),
        ]
        return try sign(request, subject: { _ in identity.subject }, extensions: extensions, days: days, now: now, renew: renew) { issued, notAfter in
            IssuedCertificate(
                serial: issued.serialNumberHex, subject: issued.subjectName.displayText, entityName: identity.entityName, siren: identity.siren,
                host: identity.host, notBefore: issued.notBefore ?? now, notAfter: issued.notAfter ?? notAfter,
                fingerprint: issued.sha256Fingerprint, revokedAt: nil, revocationReason: nil)
        }
    }

    /// The request's public key, once its self-signature verifies and the key is one this CA certifies:
    /// ECDSA P-256/P-384 on a named curve or RSA of 2048 bits or more (ANSSI RGS B1: RSA ≥ 2048, ECDSA ≥ 256 bits).
    /// - Throws: `InputError(.invalidData)` naming what is wrong with the request; `.usage` for an EC key with explicit
    ///   curve parameters (RFC 5480 §2.1.1).
    static func acceptableKey(of request: CertificateSigningRequest) throws(InputError) -> PublicKeyDescription {
        guard request.isSignatureValid else {
            throw InputError(
                .invalidData, fr: "demande de certificat : sa signature ne se vérifie pas avec la clé qu'elle porte (corrompue ou falsifiée)",
                en: "certificate request: its signature does not verify with the key it carries (corrupted or forged)")
        }
        guard let key = request.publicKey else { throw InputError(.invalidData, fr: "demande de certificat : clé publique illisible", en: "certificate request: unreadable public key") }
        // RFC 5480 §2.1.1: certificates name their curve; explicit parameters are how a forged curve passes for a
        // standard one (CVE-2020-0601), and agents (cyberctl enroll, openssl ecparam -name) always name theirs.
        guard !request.hasExplicitCurveParameters else {
            throw InputError(
                .usage,
                fr: "demande de certificat : sa clé EC donne les paramètres de sa courbe en clair (explicit) au lieu de nommer la courbe ; "
                    + "seules les courbes nommées P-256 et P-384 sont certifiées (RFC 5480 §2.1.1, CVE-2020-0601) : générez la clé avec "
                    + "cyberctl enroll, ou openssl ecparam -name prime256v1 -genkey, ou convertissez-la (openssl ec -param_enc named_curve)",
                en: "certificate request: its EC key spells out its curve parameters (explicit) instead of naming the curve; only the named "
                    + "curves P-256 and P-384 are certified (RFC 5480 §2.1.1, CVE-2020-0601): generate the key with cyberctl enroll, or "
                    + "openssl ecparam -name prime256v1 -genkey, or convert it (openssl ec -param_enc named_curve)")
        }
        let acceptable = (key.algorithm == "EC" && ["prime256v1", "secp384r1"].contains(key.curve ?? ""))
            || (key.algorithm == "RSA" && key.bits >= 2048)
        guard acceptable else {
            throw InputError(
                .invalidData,
                fr: "demande de certificat : clé \(key.algorithm) de \(key.bits) bits\(key.curve.map { " (\($0))" } ?? "") ; ECDSA P-256 ou P-384, ou RSA de 2048 bits ou plus, est attendu",
                en: "certificate request: \(key.algorithm) \(key.bits)-bit key\(key.curve.map { " (\($0))" } ?? ""); expected ECDSA P-256 or P-384, or RSA of 2048 bits or more")
        }
        return key
    }

    /// Signs `request` with the CA key under the CA lock: next serial, validity `days` from `now` (never
    /// beyond the CA's notAfter), the certificate written to `certs/<serial>.pem` and recorded in the index.
    /// - Parameters:
    ///   - subject: the certificate's subject, given the CA certificate.
    ///   - record: the index entry for the issued certificate and its intended notAfter.
    /// - Throws: `InputError(.usage)` when the certificate would outlive the CA, `.invalidData` when
    ///   signing fails, `.io` when the CA folder cannot be written.
    private func sign(
        _ request: CertificateSigningRequest, subject: (X509Certificate) -> DistinguishedName, extensions: [(String, String)],
        days: Int, now: Date, renew: Bool, record: (X509Certificate, Date) -> IssuedCertificate
    ) throws(InputError) -> Issuance {
        try locked { () throws(InputError) -> Issuance in
            let caCertificate = try certificate()
            let caKey = try TrustFiles.readPrivateKey(keyPath)
            let notAfter = now.addingTimeInterval(TimeInterval(days) * 86_400)
            if let caEnd = caCertificate.notAfter, notAfter > caEnd {
                let end = PeopleTime.string(from: caEnd)
                throw InputError(
                    .usage, fr: "--days \(days) : le certificat durerait plus que l'autorité (valide jusqu'au \(end))",
                    en: "--days \(days): the certificate would outlive the CA (valid until \(end))")
            }
            let serialHex = try nextSerial()
            var index = try readIndex()
            let compromised = try compromisedHolders(of: request, in: index)
            if !compromised.isEmpty { throw Self.compromisedKey(compromised.map { index.certificates[$0] }) }
            let holders = try validHolders(of: request, in: index, now: now)
            if !holders.isEmpty && !renew { throw Self.alreadyCertified(holders.map { index.certificates[$0] }) }
            let template = CertificateTemplate(
                subject: subject(caCertificate), serialNumber: Self.bytes(fromHex: serialHex), notBefore: now.addingTimeInterval(-Self.clockSkew),
                notAfter: notAfter, extensions: extensions)
            let issued: X509Certificate
            do {
                issued = try CertificateIssuer.issue(template, for: request, issuer: caCertificate, issuerKey: caKey)
            } catch {
                throw InputError(.invalidData, fr: "échec de l'émission du certificat : \(error)", en: "issuing the certificate failed: \(error)")
            }
            let entry = record(issued, notAfter)
            // --renew: the certificates of the same key are superseded (RFC 5280 §5.3.1) from now, in the same index
            // write as the new one, and the CRL says so before this returns.
            for position in holders {
                index.certificates[position].revokedAt = now
                index.certificates[position].revocationReason = CertificateRevocationList.Reason.superseded.name
            }
            index.certificates.append(entry)
            try write(Array(issued.pemEncoded.utf8), to: "\(certsPath)/\(entry.serial).pem", mode: 0o644)
            try writeIndex(index)
            try write(Array("\(Self.hex(Self.bytes(fromHex: serialHex).incremented()))\n".utf8), to: serialPath, mode: 0o600)
            if !holders.isEmpty { try regenerateCRL(index: index, now: now) }
            return Issuance(certificate: issued, record: entry, superseded: holders.map { index.certificates[$0] })
        }
    }

    /// Default validity of TLS server certificates: 397 days (the CA/Browser Forum Baseline
    /// Requirements' maximum for server certificates since September 2020, §6.3.2).
    public static let defaultServerValidityDays = 397

    /// Issues a TLS server certificate (the collector's) for `request`.
    ///
    /// The certificate carries subject `C=FR, O=<the CA's O>, CN=<the request's CN, or the first DNS
    /// name>`, the subjectAltName entries given (RFC 6125 §6.4.4: clients match SANs, not the CN),
    /// basicConstraints CA:FALSE, keyUsage digitalSignature (plus keyEncipherment for an RSA key, RFC 5246
    /// RSA key exchange), extendedKeyUsage serverAuth, and key identifiers. It is recorded in the index
    /// with `usage: server` and revoked like any other.
    /// - Parameters:
    ///   - subjectAlternativeNames: `DNS:<host name>` or `IP:<IPv4 or IPv6 address>`, at least one.
    ///   - days: validity, 1 to 825 days (default 397), never beyond the CA's own notAfter.
    /// - Throws: `InputError(.usage)` for a bad SAN or validity, `.invalidData` for a bad request.
    public func issueServer(
        _ request: CertificateSigningRequest, subjectAlternativeNames: [String], days: Int = defaultServerValidityDays, now: Date = Date()
    ) throws(InputError) -> (certificate: X509Certificate, record: IssuedCertificate) {
        let issuance = try issueServer(request, subjectAlternativeNames: subjectAlternativeNames, days: days, now: now, renew: false)
        return (issuance.certificate, issuance.record)
    }

    /// Issues a TLS server certificate, as `issueServer(_:subjectAlternativeNames:days:now:)` does, refusing a request
    /// whose public key already has a valid certificate unless `renew` (see `Issuance`).
    public func issueServer(
        _ request: CertificateSigningRequest, subjectAlternativeNames: [String], days: Int = defaultServerValidityDays, now: Date = Date(),
        renew: Bool
    ) throws(InputError) -> Issuance {
        guard (1...825).contains(days) else { throw Self.daysOutOfRange(days) }
        guard !subjectAlternativeNames.isEmpty else {
            throw InputError(
                .usage,
                fr: "--server demande au moins un --san (DNS:collecteur.example.fr ou IP:192.0.2.10) : les clients TLS comparent le subjectAltName, pas le CN (RFC 6125)",
                en: "--server needs at least one --san (DNS:collector.example.fr or IP:192.0.2.10): TLS clients match the subjectAltName, not the CN (RFC 6125)")
        }
        var sans: [String] = []
        for san in subjectAlternativeNames { sans.append(try Self.normaliseSubjectAlternativeName(san)) }
        let isRSA = try Self.acceptableKey(of: request).algorithm == "RSA"
        let firstDNS = sans.first { $0.hasPrefix("DNS:") }.map { String($0.dropFirst(4)) }
        let commonName = request.subject.first("CN").flatMap { $0.isEmpty ? nil : $0 } ?? firstDNS ?? String(sans[0].drop { $0 != ":" }.dropFirst())
        guard commonName.utf8.count <= 64 else { throw InputError(
                .invalidData, fr: "demande de certificat : CN « \(commonName) » de plus de 64 octets", en: "certificate request: CN \"\(commonName)\" longer than 64 bytes") }
        let extensions = [
            ("basicConstraints", "critical, CA:FALSE"),
            ("keyUsage", isRSA ? "critical, digitalSignature, keyEncipherment" : "critical, digitalSignature"),
            ("extendedKeyUsage", "serverAuth"),
            ("subjectAltName", sans.joined(separator: ", ")),
            ("subjectKeyIdentifier", "hash"),
            ("authorityKeyIdentifier", "keyid:always"),
        ]
        // The server certificate names the RSSI's organisation, as the CA does.
        return try sign(request, subject: { ca in
            DistinguishedName([.init("C", "FR"), .init("O", ca.subjectName.first("O") ?? "cyberctl"), .init("CN", commonName)])
        }, extensions: extensions, days: days, now: now, renew: renew) { issued, notAfter in
            IssuedCertificate(
                serial: issued.serialNumberHex, subject: issued.subjectName.displayText, entityName: issued.subjectName.first("O") ?? "cyberctl",
                siren: "", host: commonName, notBefore: issued.notBefore ?? now, notAfter: issued.notAfter ?? notAfter,
                fingerprint: issued.sha256Fingerprint, revokedAt: nil, revocationReason: nil, usage: "server", subjectAlternativeNames: sans)
        }
    }

    /// Checks one `--san` value and returns it in x509v3_config form: `DNS:name` (RFC 1123 labels,
    /// a leading `*.` wildcard allowed) or `IP:address` (IPv4 dotted quad or IPv6, as inet_pton(3) reads them).
    public static func normaliseSubjectAlternativeName(_ text: String) throws(InputError) -> String {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw InputError(.usage, fr: "--san « \(text) » : DNS:<nom d'hôte> ou IP:<adresse> est attendu", en: "--san \"\(text)\": expected DNS:<host name> or IP:<address>") }
        let value = parts[1]
        switch parts[0].uppercased() {
        case "DNS":
            var labels = value.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if labels.first == "*" { labels.removeFirst() }
            let valid = !labels.isEmpty && value.utf8.count <= 253 && labels.allSatisfy { label in
                !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
            guard valid else { throw InputError(
                .usage, fr: "--san « \(text) » : « \(value) » n'est pas un nom d'hôte DNS (RFC 1123 : lettres, chiffres et '-')",
                en: "--san \"\(text)\": \"\(value)\" is not a DNS host name (RFC 1123 labels of letters, digits and '-')") }
            return "DNS:" + value.lowercased()
        case "IP":
            var v4 = in_addr()
            var v6 = in6_addr()
            guard inet_pton(AF_INET, value, &v4) == 1 || inet_pton(AF_INET6, value, &v6) == 1 else {
                throw InputError(
                    .usage, fr: "--san « \(text) » : « \(value) » n'est pas une adresse IPv4 ou IPv6", en: "--san \"\(text)\": \"\(value)\" is not an IPv4 or IPv6 address")
            }
            return "IP:" + value
        default:
            throw InputError(.usage, fr: "--san « \(text) » : DNS:<nom d'hôte> ou IP:<adresse> est attendu", en: "--san \"\(text)\": expected DNS:<host name> or IP:<address>")
        }
    }

    /// What `revoke` did: the index entry as it is after, and the reason it had before when the certificate was already
    /// revoked and its reason changed (nil for a new revocation).
    public struct Revocation: Sendable {
        public let record: IssuedCertificate
        /// The previous reason's RFC 5280 name (`unspecified` when none was recorded) when this changed the reason of an
        /// existing revocation, which keeps its date; nil when the certificate was not revoked before.
        public let previousReason: String?
    }

    /// Revokes the certificate with `serial` (hexadecimal, any case, colons allowed) and regenerates the CRL.
    ///
    /// A certificate already revoked may have its reason changed, never its date (RFC 5280 §5.3.1 lets a CA say more
    /// about a revocation; §5.3.2's invalidityDate, not the revocation date, would say when a compromise began):
    /// - to `keyCompromise` from any other reason (the compromise is found after a routine `superseded` revocation:
    ///   every report of the certificate is then withdrawn, and its key is never certified again);
    /// - from `certificateHold` to any other reason (the hold is settled).
    /// Anything else is refused: the same reason again, or a change that would take back less (keyCompromise →
    /// superseded would bring a stolen key's earlier reports back).
    /// - Throws: `InputError(.missing)` for an unknown serial; `.usage` when it is already revoked and the change is not
    ///   one of the above.
    @discardableResult
    public func revoke(serial: String, reason: CertificateRevocationList.Reason = .unspecified, now: Date = Date()) throws(InputError)
        -> IssuedCertificate
    {
        try revocation(serial: serial, reason: reason, now: now).record
    }

    /// Revokes as `revoke(serial:reason:now:)` does, saying whether it changed the reason of an existing revocation.
    public func revocation(serial: String, reason: CertificateRevocationList.Reason = .unspecified, now: Date = Date()) throws(InputError)
        -> Revocation
    {
        let wanted = Self.normalise(serial)
        return try locked { () throws(InputError) -> Revocation in
            var index = try readIndex()
            guard let position = index.certificates.firstIndex(where: { Self.normalise($0.serial) == wanted }) else {
                throw InputError(
                    .missing, file: indexPath, fr: "aucun certificat de numéro de série \(serial) émis par cette autorité (voir : cyberctl pki list)",
                    en: "no certificate with serial \(serial) was issued by this CA (see: cyberctl pki list)")
            }
            var previous: String?
            if let revokedAt = index.certificates[position].revokedAt {
                let old = Self.reason(of: index.certificates[position])
                try Self.checkReasonChange(serial: serial, since: revokedAt, from: old, to: reason)
                previous = old.name
            } else {
                index.certificates[position].revokedAt = now
            }
            index.certificates[position].revocationReason = reason.name
            try writeIndex(index)
            try regenerateCRL(index: index, now: now)
            return Revocation(record: index.certificates[position], previousReason: previous)
        }
    }

    /// Refuses a change of the reason of a revocation dated `since` from `old` to `new` unless it is an escalation to
    /// `keyCompromise` or the settling of a `certificateHold` (see `revoke`).
    static func checkReasonChange(
        serial: String, since: Date, from old: CertificateRevocationList.Reason, to new: CertificateRevocationList.Reason
    ) throws(InputError) {
        let date = PeopleTime.string(from: since)
        if old == new {
            throw InputError(
                .usage, fr: "le certificat \(serial) est déjà révoqué (depuis le \(date), motif \(old.name))",
                en: "certificate \(serial) is already revoked (since \(date), reason \(old.name))")
        }
        if new == .keyCompromise || (old == .certificateHold && new != .removeFromCRL) { return }
        if new == .certificateHold {
            throw InputError(
                .usage,
                fr: "le certificat \(serial) est déjà révoqué (depuis le \(date), motif \(old.name)) : une révocation définitive ne redevient pas "
                    + "une suspension (certificateHold)",
                en: "certificate \(serial) is already revoked (since \(date), reason \(old.name)): a final revocation cannot become a hold (certificateHold)")
        }
        throw InputError(
            .usage,
            fr: "le certificat \(serial) est déjà révoqué (depuis le \(date), motif \(old.name)) ; son motif ne peut que passer à keyCompromise "
                + "(compromission découverte après coup) ou, depuis une suspension (certificateHold), à un motif définitif : \(old.name) → \(new.name) "
                + "\(old.voidsEarlierSignatures && !new.voidsEarlierSignatures ? "rendrait valides des rapports signés avant la révocation" : "n'est pas accepté") (RFC 5280 §5.3.1)",
            en: "certificate \(serial) is already revoked (since \(date), reason \(old.name)); its reason can only change to keyCompromise "
                + "(a compromise found later) or, from a hold (certificateHold), to a final reason: \(old.name) → \(new.name) "
                + "\(old.voidsEarlierSignatures && !new.voidsEarlierSignatures ? "would make reports signed before the revocation valid again" : "is not accepted") (RFC 5280 §5.3.1)")
    }

    /// Signs a fresh CRL (to run before the current one's nextUpdate).
    public func refreshCRL(now: Date = Date()) throws(InputError) {
        try locked { () throws(InputError) in try regenerateCRL(index: try readIndex(), now: now) }
    }

    func regenerateCRL(index: Index, now: Date) throws(InputError) {
        let caCertificate = try certificate()
        let caKey = try TrustFiles.readPrivateKey(keyPath)
        try writeCRL(certificates: index.certificates, key: caKey, certificate: caCertificate, now: now)
    }

    func writeCRL(certificates: [IssuedCertificate], key: PrivateKey, certificate: X509Certificate, now: Date) throws(InputError) {
        // CRL numbers only grow (RFC 5280, 5.2.3): a counter that exists but cannot be read is an error, not a restart at 1.
        var number: UInt64 = 1
        var status = stat()
        if lstat(crlNumberPath, &status) == 0 {
            let text = String(decoding: try TrustFiles.read(crlNumberPath, limit: 256, what: LocalizedText(fr: "numéro de CRL", en: "CRL number")), as: UTF8.self)
                .trimming(.whitespacesAndNewlines)
            guard let value = UInt64(text), value < UInt64.max else {
                throw InputError(
                    .invalidData, file: crlNumberPath, fr: "un numéro de CRL décimal est attendu, trouvé « \(text) »",
                    en: "expected a decimal CRL number, found \"\(text)\"")
            }
            number = value
        }
        let entries = certificates.compactMap { record -> CertificateRevocationList.Entry? in
            guard let revokedAt = record.revokedAt else { return nil }
            return .init(
                serialNumber: Self.bytes(fromHex: record.serial), revocationDate: revokedAt,
                reason: record.revocationReason.flatMap { CertificateRevocationList.Reason(name: $0) })
        }
        do {
            let crl = try CertificateRevocationList.build(
                issuer: certificate, issuerKey: key, thisUpdate: now,
                nextUpdate: now.addingTimeInterval(TimeInterval(Self.crlValidityDays) * 86_400), number: number, entries: entries)
            try write(Array(try crl.pemEncoded().utf8), to: crlPath, mode: 0o644)
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(.io, file: crlPath, fr: "échec de la signature de la CRL : \(error)", en: "signing the CRL failed: \(error)")
        }
        try write(Array("\(number + 1)\n".utf8), to: crlNumberPath, mode: 0o600)
    }

    // MARK: - Files

    func readIndex() throws(InputError) -> Index {
        let bytes = try TrustFiles.read(indexPath, limit: 64 << 20, what: LocalizedText(fr: "index de l'AC", en: "CA index"))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Index.self, from: Data(bytes))
        } catch {
            throw InputError(.invalidData, file: indexPath, fr: "index de l'autorité illisible : \(error)", en: "CA index unreadable: \(error)")
        }
    }

    func writeIndex(_ index: Index) throws(InputError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data: Data
        do { data = try encoder.encode(index) } catch { throw InputError(.io, file: indexPath, fr: "échec de l'encodage de l'index de l'autorité : \(error)", en: "encoding the CA index failed: \(error)") }
        try write(Array(data) + [0x0A], to: indexPath, mode: 0o640)
    }

    func nextSerial() throws(InputError) -> String {
        let bytes = try TrustFiles.read(serialPath, limit: 256, what: LocalizedText(fr: "compteur de numéros de série", en: "serial counter"))
        let text = String(decoding: bytes, as: UTF8.self).trimming(.whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 40, text.allSatisfy(\.isHexDigit) else {
            throw InputError(
                .invalidData, file: serialPath, fr: "un numéro de série hexadécimal est attendu, trouvé « \(text) »",
                en: "expected a hexadecimal serial number, found \"\(text)\"")
        }
        return text.uppercased()
    }

    func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws(InputError) {
        do {
            try AtomicFile.write(bytes, to: path, mode: mode)
        } catch {
            throw error.inputError
        }
    }

    /// Runs `body` holding an exclusive lock on the folder's `.lock` file.
    func locked<T>(_ body: () throws(InputError) -> T) throws(InputError) -> T {
        let lockPath = "\(directory)/.lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw InputError(
                .io, file: lockPath, fr: "impossible d'ouvrir le fichier de verrou : \(String(cString: strerror(errno)))",
                en: "cannot open the lock file: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw InputError(
                .io, file: lockPath, fr: "verrouillage impossible : \(String(cString: strerror(errno)))", en: "cannot lock: \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    // MARK: - Serial numbers

    /// 16 random bytes, positive (RFC 5280 §4.1.2.2: at most 20 octets, positive; 126 random bits, over the 64 the
    /// CA/Browser Forum Baseline Requirements §7.1 ask), for the CA's own certificate and the start of the agents' counter.
    static func randomSerial() -> [UInt8] {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[0] = bytes[0] & 0x7F | 0x40
        return bytes
    }

    static func normalise(_ serial: String) -> String {
        var text = serial.uppercased().replacingAll(":", with: "")
        if text.hasPrefix("0X") { text.removeFirst(2) }
        while text.hasPrefix("0") && text.count > 1 { text.removeFirst() }
        return text
    }

    static func bytes(fromHex text: String) -> [UInt8] {
        var digits = Array(normalise(text))
        if digits.count % 2 == 1 { digits.insert("0", at: 0) }
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16) ?? 0 }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        normalise(bytes.map { $0.zeroPadded(2, radix: 16, uppercase: true) }.joined())
    }
}

extension Array where Element == UInt8 {
    /// The big-endian number plus one.
    func incremented() -> [UInt8] {
        var result = self
        var index = result.count - 1
        while index >= 0 {
            if result[index] == 0xFF {
                result[index] = 0
                index -= 1
            } else {
                result[index] += 1
                return result
            }
        }
        return [1] + result
    }
}
