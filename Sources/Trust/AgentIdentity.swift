import FoundationEssentials
import FoundationGaps
import Model
import OpenSSLKit

/// Who an agent certificate speaks for: the entity (O), its SIREN (organizationIdentifier
/// `NTRFR-<SIREN>`, the ETSI EN 319 412-1 §5.1.4 form: `NTR` national trade register, country `FR`)
/// and the host (CN).
public struct AgentIdentity: Sendable, Codable, Equatable {
    public var entityName: String
    public var siren: String
    public var host: String

    /// Validates the three parts.
    /// - Throws: `InputError(.usage)` naming the bad value and what is expected.
    public init(entityName: String, siren: String, host: String) throws(InputError) {
        let name = entityName.trimming(.whitespaces)
        guard !name.isEmpty, name.utf8.count <= 64 else {
            throw InputError(
                .usage, fr: "nom de l'entité \"\(entityName)\" : de 1 à 64 octets sont attendus (X.520 ub-organization-name)",
                en: "entity name \"\(entityName)\": expected 1 to 64 bytes (X.520 ub-organization-name)")
        }
        // A name shown on the RSSI's terminal and in certificates: no control or bidirectional formatting character, and
        // nothing invisible that would make it look like another member's name.
        guard !name.unicodeScalars.contains(where: Self.isRefused) else {
            let name = Self.shown(entityName)
            throw InputError(
                .usage, fr: "nom de l'entité \"\(name)\" : caractères de contrôle, de mise en forme bidirectionnelle ou invisibles refusés",
                en: "entity name \"\(name)\": control, bidirectional formatting and invisible characters are not allowed")
        }
        // As people type it, with spaces between the groups (`212 900 195`); stored compact.
        let siren = Identifiers.normalizedSIREN(siren)
        guard Identifiers.isValidSIREN(siren) else {
            throw InputError(
                .usage, fr: "SIREN \"\(siren)\" : 9 chiffres avec une clé de Luhn valide sont attendus", en: "siren \"\(siren)\": expected 9 digits with a valid Luhn check digit")
        }
        guard Self.isValidHost(host) else {
            throw InputError(
                .usage, fr: "hôte \"\(host)\" : un nom d'hôte est attendu (lettres, chiffres, '-', '.', '_' ; 1 à 64 caractères)",
                en: "host \"\(host)\": expected a host name (letters, digits, '-', '.', '_'; 1 to 64 characters)")
        }
        self.entityName = name
        self.siren = siren
        self.host = host
    }

    /// `C=FR, O=<entity>, organizationIdentifier=NTRFR-<SIREN>, CN=<host>`.
    public var subject: DistinguishedName {
        DistinguishedName([
            .init("C", "FR"), .init("O", entityName), .init("organizationIdentifier", Self.organizationIdentifierPrefix + siren),
            .init("CN", host),
        ])
    }

    public static let organizationIdentifierPrefix = "NTRFR-"

    /// Characters an entity name (O) may not hold: those the terminal escapes (`TerminalText.isUnsafe`: control and
    /// bidirectional formatting characters), and Unicode's default-ignorable code points (zero-width spaces and joiners,
    /// U+FEFF, the soft hyphen, Hangul fillers, variation selectors, tag characters: Unicode's DerivedCoreProperties),
    /// which draw nothing: "Commune de Plouzané" followed by a zero-width space would look like the real commune's name.
    static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        TerminalText.isUnsafe(scalar) || scalar.properties.isDefaultIgnorableCodePoint
    }

    /// `text` for a message: escaped for the terminal, each invisible character written as `U+XXXX`.
    static func shown(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.isDefaultIgnorableCodePoint, !TerminalText.isUnsafe(scalar) {
                out += "U+" + scalar.value.zeroPadded(4, radix: 16, uppercase: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return TerminalText.line(out)
    }

    /// Reads an identity from a certificate or request subject.
    /// - Returns: the identity, or the first thing missing or malformed, in words.
    public static func from(_ subject: DistinguishedName) -> Result<AgentIdentity, IdentityProblem> {
        guard let organization = subject.first("O"), !organization.isEmpty else { return .failure(.missing(LocalizedText(fr: "O (nom de l'entité)", en: "O (entity name)"))) }
        guard !organization.unicodeScalars.contains(where: isRefused) else {
            let shown = shown(organization)
            return .failure(.malformed(LocalizedText(
                fr: "O « \(shown) » : caractères de contrôle, de mise en forme bidirectionnelle ou invisibles refusés",
                en: "O \"\(shown)\": control, bidirectional formatting and invisible characters are not allowed")))
        }
        guard let identifier = subject.first("organizationIdentifier") else {
            return .failure(.missing(LocalizedText(both: "organizationIdentifier (NTRFR-<SIREN>)")))
        }
        guard identifier.hasPrefix(organizationIdentifierPrefix) else {
            return .failure(.malformed(LocalizedText(
                fr: "organizationIdentifier « \(identifier) » : NTRFR-<SIREN> est attendu", en: "organizationIdentifier \"\(identifier)\": expected NTRFR-<SIREN>")))
        }
        let siren = String(identifier.dropFirst(organizationIdentifierPrefix.count))
        guard Identifiers.isValidSIREN(siren) else {
            return .failure(.malformed(LocalizedText(
                fr: "organizationIdentifier « \(identifier) » : « \(siren) » n'est pas un SIREN valide (9 chiffres, Luhn)",
                en: "organizationIdentifier \"\(identifier)\": \"\(siren)\" is not a valid SIREN (9 digits, Luhn)")))
        }
        guard let host = subject.first("CN"), isValidHost(host) else { return .failure(.missing(LocalizedText(fr: "CN (nom d'hôte)", en: "CN (host name)"))) }
        var identity = AgentIdentity(unchecked: organization, siren, host)
        identity.entityName = organization
        return .success(identity)
    }

    private init(unchecked entityName: String, _ siren: String, _ host: String) {
        self.entityName = entityName
        self.siren = siren
        self.host = host
    }

    static func isValidHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 64 else { return false }
        return host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }
    }

    /// What is wrong with a subject as an agent identity.
    public enum IdentityProblem: Error, Sendable, Equatable, CustomStringConvertible {
        case missing(LocalizedText)
        case malformed(LocalizedText)

        /// The problem in both languages.
        public var text: LocalizedText {
            switch self {
            case .missing(let what): return LocalizedText(fr: "le sujet n'a pas de \(what.fr)", en: "subject has no \(what.en)")
            case .malformed(let what): return what
            }
        }

        /// In English.
        public var description: String { text.en }
    }
}
