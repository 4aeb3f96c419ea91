import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import NIS2
import Model
import OpenSSLKit
import Trust

extension CertificateRevocationList.Reason: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public var defaultValueDescription: String { name }
    public static var allValueStrings: [String] { allCases.map(\.name) }
}

/// Where the RSSI's CA lives unless `--dir` or the configuration's `ca:` says otherwise.
let defaultPKIDirectory = "/var/lib/cyberctl/pki"

/// `--dir`: the CA folder; else the RSSI configuration's `ca:`; else /var/lib/cyberctl/pki (`pki init`: required).
struct PKIFolderOptions: ParsableArguments {
    @Option(name: .customLong("dir"), help: "Dossier de l'autorité ; par défaut : la clé ca de la configuration du RSSI, sinon /var/lib/cyberctl/pki (pki init : le dossier est créé) (folder of the CA; default: the configuration's ca, else /var/lib/cyberctl/pki).", completion: .directory)
    var option: String?

    @OptionGroup var config: RSSIConfigOption

    /// The folder in force; with `required` (pki init), no built-in default.
    func path(required: Bool = false) throws(InputError) -> String {
        try pkiDirectory(option, config, fallback: required ? nil : defaultPKIDirectory)
    }
}

extension Cyberctl {
    /// The mutualised RSSI's small CA.
    struct PKI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pki",
            abstract: "Autorité de certification du RSSI mutualisé (the RSSI's CA: init, issue, revoke, list, crl).",
            subcommands: [Init.self, Issue.self, Revoke.self, List.self, CRL.self])
    }
}

extension Cyberctl.PKI {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Crée l'autorité : clé ECDSA P-256, certificat 10 ans, CRL vide (create the CA).")

        @OptionGroup var folder: PKIFolderOptions

        @Option(help: "Nom de l'autorité, champs O et CN du certificat, par exemple \"RSSI mutualisé du Pays de Brest\" (name of the CA).")
        var name: String

        func run() throws {
            do {
                let dir = try folder.path(required: true)
                let authority = try CertificateAuthority.initialize(directory: dir, name: name)
                let certificate = try authority.certificate()
                emit("""
                    Autorité créée / CA created: \(certificate.subjectName.displayText)
                      clé / key          \(authority.keyPath) (mode 0600 — à sauvegarder hors ligne / back it up offline)
                      certificat         \(authority.certificatePath) (valide jusqu'au \(certificate.notAfter.map(PeopleTime.string(from:)) ?? "?"))
                      CRL                \(authority.crlPath)
                      empreinte SHA-256  \(certificate.sha256Fingerprint)

                    """)
            } catch {
                throw failure(reporting: error)
            }
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Émet le certificat d'un agent à partir de sa demande (issue an agent certificate from its CSR).",
            discussion: """
                Par défaut la demande est celle d'un agent (cyberctl enroll) : le certificat porte son entité et sert à \
                signer les rapports et de certificat client TLS (clientAuth). Avec --server, c'est un certificat de serveur \
                TLS (celui du collecteur) : serverAuth, les subjectAltName donnés par --san, 397 jours par défaut.

                By default the request is an agent's (cyberctl enroll): the certificate carries its entity and serves for \
                signing reports and as a TLS client certificate (clientAuth). With --server it is a TLS server certificate \
                (the collector's): serverAuth, the subjectAltName entries given with --san, 397 days by default.

                Une demande dont la clé publique a déjà un certificat valide (ni révoqué ni expiré) est refusée, sauf avec \
                --renew : le nouveau certificat est émis et l'ancien révoqué (motif superseded), la CRL régénérée. Le fichier \
                écrit s'appelle <SIREN>-<hôte>.crt (server-<nom>.crt avec --server), à côté de la demande ; un fichier \
                existant n'est remplacé qu'avec --force. Codes de sortie : 0 émis ; 64 usage, clé déjà certifiée ou fichier \
                existant ; 65 demande invalide ; 66 autorité absente ; 74 écriture impossible.

                A request whose public key already has a valid certificate (neither revoked nor expired) is refused, unless \
                --renew: the new certificate is issued and the old one revoked (reason superseded), the CRL regenerated. The \
                file written is named <SIREN>-<host>.crt (server-<name>.crt with --server), beside the request; an existing \
                file is replaced only with --force. Exit codes: 0 issued; 64 usage, key already certified or file exists; 65 \
                invalid request; 66 no CA; 74 cannot write.
                """)

        @Argument(help: "La demande de certificat, PEM ou DER (certificate request).", completion: .file())
        var request: String

        @Option(name: .customLong("days"), help: "Validité : 825, 825j, 825d, 52sem, 52w, de 1 à 825 jours ; un nombre seul compte en jours ; \(DurationOption.unitsHelpFrench) ; par défaut : 825 jours pour un agent, 397 pour un serveur (validity: 825, 825d, 52w, 1 to 825 days; a bare number counts days; \(DurationOption.unitsHelpEnglish)).")
        var validity: DurationArgument?

        /// `--days` in whole days (1 to 825), nil when not given.
        var days: Int? {
            get throws { try validity.map { try DurationOption.days("--days", examples: "397, 397j, 397d, 52sem, 52w", maximum: 825, zeroAllowed: false).wholeValue($0, language: nil) } }
        }

        @Flag(help: "Émet un certificat de serveur TLS (extendedKeyUsage serverAuth), par exemple pour cyberctl collect (TLS server certificate).")
        var server = false

        @Option(name: .customLong("san"), parsing: .singleValue, help: "Avec --server : un subjectAltName, DNS:<nom d'hôte> ou IP:<adresse> ; répétable (subjectAltName, repeatable).")
        var subjectAlternativeNames: [String] = []

        func validate() throws {
            _ = try days
            if !server && !subjectAlternativeNames.isEmpty { throw ValidationError("--san va avec --server : un certificat d'agent ne porte pas de subjectAltName (--san goes with --server).") }
            if server && subjectAlternativeNames.isEmpty {
                throw ValidationError(
                    "--server demande au moins un --san, par exemple --san DNS:collecteur.example.fr : les clients TLS vérifient le subjectAltName (--server needs at least one --san).")
            }
        }

        @OptionGroup var folder: PKIFolderOptions

        @Option(help: "Certificat à écrire ; par défaut : <SIREN>-<hôte>.crt (server-<nom>.crt avec --server) dans le dossier de la demande (certificate file to write; default: <SIREN>-<host>.crt beside the request).")
        var out: String?

        @Flag(help: "Si la clé de la demande a déjà un certificat valide : émet le nouveau et révoque l'ancien, motif superseded, CRL régénérée (renew: revoke the key's valid certificate as superseded).")
        var renew = false

        @Flag(help: "Remplace le fichier de certificat s'il existe déjà (replace an existing certificate file).")
        var force = false

        func run() throws {
            do {
                let dir = try folder.path()
                let authority = try CertificateAuthority(directory: dir)
                let bytes = try TrustFiles.read(request, limit: TrustFiles.maximumPKIFileBytes, what: LocalizedText(fr: "demande de certificat", en: "certificate request"))
                let csr: CertificateSigningRequest
                do {
                    csr = try CertificateSigningRequest(encoded: bytes)
                } catch {
                    throw InputError(
                        .invalidData, file: request, fr: "pas une demande de certificat PEM ou DER : \(error)",
                        en: "not a certificate request in PEM or DER form: \(error)")
                }
                let path = try out ?? Self.defaultOutput(for: request, csr: csr, server: server, subjectAlternativeNames: subjectAlternativeNames)
                // Checked before anything is issued: a refused write must not leave a certificate issued (or an old one
                // superseded) that nobody received.
                if !force && FileManager.default.fileExists(atPath: path) {
                    throw InputError(
                        .usage, file: path, fr: "le fichier existe déjà ; --force pour le remplacer, ou --out pour un autre nom",
                        en: "already exists; give --force to replace it, or --out")
                }
                let issuance: CertificateAuthority.Issuance
                if server {
                    issuance = try authority.issueServer(
                        csr, subjectAlternativeNames: subjectAlternativeNames, days: try days ?? CertificateAuthority.defaultServerValidityDays,
                        renew: renew)
                } else {
                    issuance = try authority.issue(csr, days: try days ?? CertificateAuthority.defaultAgentValidityDays, renew: renew)
                }
                let record = issuance.record
                do {
                    try AtomicFile.write(Array(issuance.certificate.pemEncoded.utf8), to: path, mode: 0o644)
                } catch {
                    throw InputError(
                        .io, file: path,
                        fr: "\(error.frenchReason) ; le certificat \(record.serial) est émis, sa copie est dans \(dir)/certs/\(record.serial).pem",
                        en: "\(error.reason); certificate \(record.serial) was issued, its copy is in \(dir)/certs/\(record.serial).pem")
                }
                var lines: [String]
                if server {
                    lines = [
                        "Certificat serveur émis / server certificate issued: série \(record.serial)",
                        "  sujet     \(record.subject)",
                        "  SAN       \((record.subjectAlternativeNames ?? []).joined(separator: ", "))",
                    ]
                } else {
                    lines = [
                        "Certificat émis / issued: série \(record.serial)",
                        "  entité    \(record.entityName) (SIREN \(record.siren))",
                        "  hôte      \(record.host)",
                    ]
                }
                lines.append("  validité  \(PeopleTime.string(from: record.notBefore)) → \(PeopleTime.string(from: record.notAfter))")
                lines.append("  fichier   \(path)")
                for old in issuance.superseded {
                    lines.append("  remplace  série \(old.serial), révoqué (superseded) ; CRL régénérée : \(authority.crlPath)")
                }
                emit(lines.joined(separator: "\n") + "\n\n")
            } catch {
                throw failure(reporting: error)
            }
        }

        /// `<SIREN>-<host>.crt` for an agent request (from its subject), `server-<first subjectAltName>.crt` with --server,
        /// in the request's folder. A request whose subject is not an agent's gets the old name (the request's, in .crt):
        /// issuing refuses it anyway, with the reason.
        static func defaultOutput(for request: String, csr: CertificateSigningRequest, server: Bool, subjectAlternativeNames: [String]) throws(InputError) -> String {
            let folder = URL(fileURLWithPath: request).deletingLastPathComponent().path
            if server {
                guard let first = subjectAlternativeNames.first else { return folder + "/server.crt" }
                let value = try CertificateAuthority.normaliseSubjectAlternativeName(first).drop { $0 != ":" }.dropFirst()
                return folder + "/server-" + value.replacingOccurrences(of: "*", with: "wildcard").replacingOccurrences(of: ":", with: "_") + ".crt"
            }
            if case .success(let identity) = AgentIdentity.from(csr.subject) {
                return folder + "/\(identity.siren)-\(identity.host).crt"
            }
            for suffix in [".csr", ".req", ".pem", ".der"] where request.hasSuffix(suffix) {
                return String(request.dropLast(suffix.count)) + ".crt"
            }
            return request + ".crt"
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Révoque un certificat et régénère la CRL (revoke a certificate, regenerate the CRL).")

        @Argument(help: "Numéro de série, en hexadécimal, comme l'affiche `cyberctl pki list` (serial number).")
        var serial: String

        @Option(help: "Motif RFC 5280 : unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation… Sur un certificat déjà révoqué, passe le motif à keyCompromise, ou d'une suspension (certificateHold) à un motif définitif, en gardant la date (revocation reason; may escalate an existing revocation).")
        var reason: CertificateRevocationList.Reason = .unspecified

        @OptionGroup var folder: PKIFolderOptions

        func run() throws {
            do {
                let dir = try folder.path()
                let authority = try CertificateAuthority(directory: dir)
                // RFC 5280 §5.3.1: removeFromCRL belongs to delta CRLs only; here it would list a certificate
                // as revoked that verifiers treat as valid.
                guard reason != .removeFromCRL else {
                    throw InputError(
                        .usage, fr: "--reason removeFromCRL ne sert qu'aux CRL delta (RFC 5280 §5.3.1) : choisissez un autre motif",
                        en: "--reason removeFromCRL is for delta CRLs only (RFC 5280 §5.3.1): choose another reason")
                }
                let revocation = try authority.revocation(serial: serial, reason: reason)
                let record = revocation.record
                if let previous = revocation.previousReason {
                    let since = record.revokedAt.map { PeopleTime.string(from: $0) } ?? "?"
                    emit(
                        "Certificat \(record.serial) : motif de révocation changé / revocation reason changed, \(previous) → \(reason.name) ; "
                            + "date de révocation d'origine conservée / original revocation date kept : \(since). "
                            + "\(record.entityName), \(record.host). CRL : \(authority.crlPath)\n")
                } else {
                    emit("Certificat \(record.serial) révoqué / revoked (\(reason.name)) : \(record.entityName), \(record.host). CRL : \(authority.crlPath)\n")
                }
            } catch {
                throw failure(reporting: error)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Liste les certificats émis (list issued certificates).")

        @OptionGroup var folder: PKIFolderOptions

        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table

        /// The table's words for `IssuedCertificate.status(at:)` (JSON keeps `valid`, `expired`, `revoked`; the
        /// revocation reason stays RFC 5280's name, `keyCompromise`, `superseded`…, as `openssl crl -text` shows it).
        static let stateFrench = ["valid": "valide", "expired": "expiré", "revoked": "révoqué"]

        func run() throws {
            do {
                let dir = try folder.path()
                let authority = try CertificateAuthority(directory: dir)
                let records = try authority.issued()
                let now = Date()
                switch format {
                case .json:
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    encoder.dateEncodingStrategy = .custom { date, encoder in
                        var container = encoder.singleValueContainer()
                        try container.encode(ISO8601.string(from: date))
                    }
                    let rows = records.map { ListedCertificate(record: $0, status: $0.status(at: now)) }
                    emit(String(decoding: try encoder.encode(rows), as: UTF8.self) + "\n")
                case .table:
                    if records.isEmpty {
                        emit("Aucun certificat émis / no certificate issued.\n")
                        return
                    }
                    // Times in Europe/Paris with their offset (PeopleTime); --format json keeps UTC ISO 8601.
                    var lines = ["SÉRIE     ÉTAT      SIREN      HÔTE                  FIN DE VALIDITÉ            ENTITÉ"]
                    for record in records {
                        lines.append(
                            "\(record.serial.padded(9)) \(Self.stateFrench[record.status(at: now), default: record.status(at: now)].padded(9)) \((record.usage == "server" ? "(serveur)" : record.siren).padded(10)) \(record.host.padded(21)) \(PeopleTime.string(from: record.notAfter).padded(26)) \(record.entityName)"
                                + (record.revokedAt.map { "  (révoqué le \(PeopleTime.day($0)), motif \(record.revocationReason ?? "unspecified"))" } ?? ""))
                    }
                    emit(lines.joined(separator: "\n") + "\n")
                }
            } catch {
                throw failure(reporting: error)
            }
        }
    }

    struct CRL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crl",
            abstract: "Signe une CRL à jour (sign a fresh CRL, valid 30 days).")

        @OptionGroup var folder: PKIFolderOptions

        func run() throws {
            do {
                let dir = try folder.path()
                let authority = try CertificateAuthority(directory: dir)
                try authority.refreshCRL()
                emit("CRL : \(authority.crlPath)\n")
            } catch {
                throw failure(reporting: error)
            }
        }
    }
}

/// JSON shape of `cyberctl pki list --format json`.
struct ListedCertificate: Encodable {
    let record: CertificateAuthority.IssuedCertificate
    let status: String

    func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(status, forKey: .status)
    }

    enum Key: String, CodingKey { case status }
}

