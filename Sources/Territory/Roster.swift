import Agent
import Checks
import Foundation
import NIS2
import Model
import YAML

/// The territory as the mutualised RSSI declares it: the grouping (EPCI, syndicat, OPSN) and the member
/// entities whose servers it follows, with their contacts. A territory figure weighs these members, names
/// those that never reported, and flags reports from anyone else as "hors périmètre" (docs/territory.md).
///
/// Read from a YAML file (`cyberctl territory roster import FILE`):
///
/// ```yaml
/// territory:
///   name: Communauté de communes du Pays d'Iroise
///   siren: "242900645"
///   kind: cc                      # commune, cc, ca, cu, metropole, departement, region, syndicat
///   departement: "29"
///   region: Bretagne
///   contacts:
///     president: {name: …, phone: "02 98 …", email: …}
///   domains: [pays-iroise.bzh]     # optional: the names `cyberctl domain --roster` checks
/// silent_after_days: 7            # a member with no report for longer (plus one day of grace) is flagged
/// members:
///   - name: Commune de Plouzané
///     siren: "212901896"
///     insee: "29212"
///     kind: commune
///     population: 13000
///     departement: "29"
///     contacts:
///       maire: {name: …, phone: …, email: …}
///       elu_referent: {name: …}
///       dgs: …   dpo: …   prestataire: …
///     domains: [plouzane.fr, mairie-plouzane.fr]
/// ```
public struct Roster: Codable, Sendable, Equatable {
    /// The grouping itself: its name and SIREN are required.
    public var territory: Member
    /// A member whose newest report is older than this many days, plus `graceDays`, is "silent".
    public var silentAfterDays: Int
    /// The member entities, in file order. The grouping may be listed too (when it runs agents).
    public var members: [Member] { didSet { positions = Self.positions(of: members) } }
    /// Each member's SIREN → its first position in `members`, so that `member(_:)` is a lookup, not a scan (the status
    /// asks it once per entity: 20,000 scans of 20,000 members took a third of the dashboard's CPU).
    private var positions: [String: Int]

    enum CodingKeys: String, CodingKey { case territory, silentAfterDays, members }

    /// Default of `silent_after_days`: weekly agents (the shipped systemd timer runs weekly).
    public static let defaultSilentAfterDays = 7
    /// A day of grace on top of `silentAfterDays`: a weekly agent that reports a few hours late is not flagged.
    public static let graceDays = 1

    public init(territory: Member, silentAfterDays: Int = Roster.defaultSilentAfterDays, members: [Member]) {
        self.territory = territory
        self.silentAfterDays = silentAfterDays
        self.members = members
        positions = Self.positions(of: members)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            territory: try container.decode(Member.self, forKey: .territory),
            silentAfterDays: try container.decode(Int.self, forKey: .silentAfterDays),
            members: try container.decode([Member].self, forKey: .members))
    }

    static func positions(of members: [Member]) -> [String: Int] {
        var positions: [String: Int] = [:]
        positions.reserveCapacity(members.count)
        for (position, member) in members.enumerated() where positions[member.siren] == nil { positions[member.siren] = position }
        return positions
    }

    /// One entity of the roster.
    public struct Member: Codable, Sendable, Equatable {
        public var name: String
        /// 9 digits, Luhn-checked.
        public var siren: String
        /// INSEE commune code (5 characters).
        public var insee: String?
        /// One of `Entity.kinds`.
        public var kind: String?
        public var population: Int?
        public var departement: String?
        public var region: String?
        public var contacts: [Contact]
        /// The entity's domain names (lower-case, no final dot), in file order: what `cyberctl domain --roster` checks.
        public var domains: [String]

        public init(
            name: String, siren: String, insee: String? = nil, kind: String? = nil, population: Int? = nil, departement: String? = nil,
            region: String? = nil, contacts: [Contact] = [], domains: [String] = []
        ) {
            self.name = name
            self.siren = siren
            self.insee = insee
            self.kind = kind
            self.population = population
            self.departement = departement
            self.region = region
            self.contacts = contacts
            self.domains = domains
        }

        /// The member as an `Entity` (the identity reports carry).
        public var entity: Entity {
            Entity(name: name, siren: siren, insee: insee, kind: kind, population: population, departement: departement, region: region)
        }

        /// The contact holding `role`, if declared.
        public func contact(_ role: ContactRole) -> Contact? { contacts.first { $0.role == role } }
    }

    /// Who to call at a member: every field but the role is optional, at least one is given.
    public struct Contact: Codable, Sendable, Equatable {
        public var role: ContactRole
        public var name: String?
        public var phone: String?
        public var email: String?

        public init(role: ContactRole, name: String? = nil, phone: String? = nil, email: String? = nil) {
            self.role = role
            self.name = name
            self.phone = phone
            self.email = email
        }

        /// `Jeanne Martin, 02 98 00 00 00, dgs@mairie.fr`: the fields given, in that order.
        public var line: String { [name, phone, email].compactMap { $0 }.joined(separator: ", ") }
    }

    /// The roles a member's contacts may hold (YAML keys).
    public enum ContactRole: String, Codable, Sendable, CaseIterable {
        case maire
        /// The président of a grouping (EPCI, syndicat).
        case president
        /// The élu référent numérique / sécurité numérique.
        case eluReferent = "elu_referent"
        /// Directeur (directrice) général(e) des services, or secrétaire de mairie.
        case dgs
        /// Délégué à la protection des données (GDPR Art. 37).
        case dpo
        /// The IT contractor.
        case prestataire

        public var french: String {
            switch self {
            case .maire: "Maire"
            case .president: "Président(e)"
            case .eluReferent: "Élu(e) référent(e) numérique"
            case .dgs: "Direction générale des services"
            case .dpo: "Délégué(e) à la protection des données (DPO)"
            case .prestataire: "Prestataire informatique"
            }
        }
    }

    /// Every entity the roster names (the grouping, then the members), by SIREN.
    public var sirens: Set<String> { Set(members.map(\.siren)).union([territory.siren]) }

    /// The roster's entry for `siren`: the member, else the grouping.
    public func member(_ siren: String) -> Member? {
        positions[siren].map { members[$0] } ?? (territory.siren == siren ? territory : nil)
    }
}

/// Every problem of a roster file, each with its line.
public struct RosterError: Error, CustomStringConvertible, Sendable, Equatable {
    public let problems: [InputError]

    /// One `file:line:column: message` line per problem, in French.
    public var description: String { description(in: .fr) }

    /// One `file:line:column: message` line per problem, all in `language`.
    public func description(in language: Language) -> String { problems.map { $0.description(in: language) }.joined(separator: "\n") }

    /// 66 when the file is missing or unreadable, 65 for bad content.
    public var exitCode: Int32 { problems.first?.exitCode ?? 65 }
}

extension Roster {
    /// Reads and checks a roster file.
    /// - Throws: `RosterError`: every problem found, each naming the file, its line and what is expected
    ///   (exit 65), or the file missing (66).
    public static func load(path: String) throws(RosterError) -> Roster {
        let bytes: [UInt8]
        do { bytes = try InputError.readInput(path, what: LocalizedText(fr: "liste des membres du territoire", en: "territory roster")) } catch { throw RosterError(problems: [error]) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw RosterError(problems: [
                InputError(
                    .invalidData, file: path, fr: "ce n'est pas du texte UTF-8 : un périmètre de territoire en YAML est attendu",
                    en: "not UTF-8 text: expected a YAML territory roster")
            ])
        }
        return try parse(text, file: path)
    }

    static let topKeys = ["territory", "silent_after_days", "members"]
    static let memberKeys = ["name", "siren", "insee", "kind", "population", "departement", "region", "contacts", "domains"]
    static let contactKeys = ["name", "phone", "email"]

    /// Parses roster text (read from `file`, named in the errors).
    /// - Throws: `RosterError` with every problem found, in file order, each in both languages (a context such as
    ///   `members[2]` or `territory` is the YAML path, the same in both).
    public static func parse(_ text: String, file: String) throws(RosterError) -> Roster {
        var problems: [InputError] = []
        func problem(_ node: Node?, _ message: LocalizedText) {
            problems.append(InputError(.invalidData, file: file, line: node?.mark?.line, column: node?.mark?.column, text: message))
        }
        let root: Node.Mapping
        do {
            root = try YAMLInput.mapping(YAMLInput.compose(text, file: file), file: file, what: LocalizedText(fr: "liste des membres du territoire", en: "territory roster"))
        } catch {
            throw RosterError(problems: [error])
        }
        checkKeys(root, allowed: topKeys, context: LocalizedText(fr: "le périmètre", en: "territory roster"), problem)

        var silentAfter = defaultSilentAfterDays
        if let node = root["silent_after_days"] {
            if let days = node.scalar.flatMap({ Int($0.string) }), (1...365).contains(days) {
                silentAfter = days
            } else {
                let found = node.scalar.map { "\"\($0.string)\"" }
                problem(
                    node,
                    LocalizedText(
                        fr: "silent_after_days : un nombre entier de jours de 1 à 365 est attendu, trouvé \(found ?? "une valeur non scalaire")",
                        en: "silent_after_days: expected a whole number of days from 1 to 365, found \(found ?? "a non-scalar value")"))
            }
        }
        var territory: Member?
        if let node = root["territory"] {
            territory = member(node, context: LocalizedText(both: "territory"), problem)
        } else {
            problems.append(
                InputError(
                    .invalidData, file: file, line: 1, fr: "clé obligatoire « territory » absente (le groupement : nom et SIREN)",
                    en: "missing required key \"territory\" (the grouping: name and SIREN)"))
        }
        var members: [Member] = []
        var firstLine: [String: Int] = [:]
        if let node = root["members"] {
            if let sequence = node.sequence {
                if sequence.isEmpty { problem(node, LocalizedText(fr: "members : au moins une entité membre est attendue", en: "members: expected at least one member entity")) }
                for (index, item) in sequence.enumerated() {
                    // Duplicates by the SIREN as written, whether or not the rest of the entry is valid.
                    if let sirenNode = item.mapping?["siren"],
                       let siren = sirenNode.scalar.map({ Identifiers.normalizedSIREN($0.string.trimmingCharacters(in: .whitespaces)) }) {
                        if let line = firstLine[siren] {
                            problem(
                                sirenNode,
                                LocalizedText(
                                    fr: "members[\(index)] : le SIREN \(siren) figure déjà ligne \(line)",
                                    en: "members[\(index)]: SIREN \(siren) is already listed at line \(line)"))
                            continue
                        }
                        firstLine[siren] = item.mark?.line ?? 0
                    }
                    if let parsed = member(item, context: LocalizedText(both: "members[\(index)]"), problem) { members.append(parsed) }
                }
            } else {
                problem(
                    node, LocalizedText(fr: "members : une liste d'entités membres est attendue (« - name: … »)", en: "members: expected a list of member entities (\"- name: …\")"))
            }
        } else {
            problems.append(
                InputError(
                    .invalidData, file: file, line: 1, fr: "clé obligatoire « members » absente (les entités membres)",
                    en: "missing required key \"members\" (the member entities)"))
        }
        problems.sort { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) }
        guard problems.isEmpty, let territory else { throw RosterError(problems: problems) }
        return Roster(territory: territory, silentAfterDays: silentAfter, members: members)
    }

    static func checkKeys(_ mapping: Node.Mapping, allowed: [String], context: LocalizedText, _ problem: (Node?, LocalizedText) -> Void) {
        for key in mapping.keys {
            guard let name = key.scalar?.string else {
                problem(key, LocalizedText(fr: "\(context.fr) : les clés doivent être des noms simples", en: "\(context.en): keys must be plain names"))
                continue
            }
            if !allowed.contains(name) {
                problem(
                    key,
                    LocalizedText(
                        fr: "clé inconnue « \(name) » dans \(context.fr) ; clés possibles : \(allowed.joined(separator: ", "))",
                        en: "unknown key \"\(name)\" in \(context.en); expected one of: \(allowed.joined(separator: ", "))"))
            }
        }
    }

    /// A text scalar, trimmed; nil (with a problem) when it is not text or empty.
    static func text(_ node: Node, key: String, context: LocalizedText, _ problem: (Node?, LocalizedText) -> Void) -> String? {
        guard let scalar = node.scalar else {
            problem(node, LocalizedText(fr: "\(context.fr), clé « \(key) » : un texte est attendu", en: "\(context.en) key \"\(key)\": expected a text value"))
            return nil
        }
        let value = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
        if value.isEmpty || scalar.tag == Tag(.null) {
            problem(
                node,
                LocalizedText(
                    fr: "\(context.fr), clé « \(key) » : un texte est attendu, rien n'a été trouvé",
                    en: "\(context.en) key \"\(key)\": expected a text value, found nothing"))
            return nil
        }
        return value
    }

    static func member(_ node: Node, context: LocalizedText, _ problem: (Node?, LocalizedText) -> Void) -> Member? {
        guard let mapping = node.mapping else {
            problem(
                node,
                LocalizedText(
                    fr: "\(context.fr) : un dictionnaire avec name, siren et les autres champs de l'entité est attendu",
                    en: "\(context.en): expected a mapping with name, siren and the other fields of the entity"))
            return nil
        }
        checkKeys(mapping, allowed: memberKeys, context: context, problem)
        var fields: [String: String] = [:]
        for key in ["name", "siren", "insee", "kind", "departement", "region"] {
            guard let value = mapping[key] else { continue }
            fields[key] = text(value, key: key, context: context, problem)
        }
        // `212 900 195` as people type it: stored compact.
        fields["siren"] = fields["siren"].map(Identifiers.normalizedSIREN)
        var valid = true
        for required in ["name", "siren"] where mapping[required] == nil {
            problem(node, LocalizedText(fr: "\(context.fr) : clé obligatoire « \(required) » absente", en: "\(context.en): missing required key \"\(required)\""))
            valid = false
        }
        var population: Int?
        if let value = mapping["population"] {
            if let number = value.scalar.flatMap({ Int($0.string) }) {
                population = number
            } else {
                problem(
                    value,
                    LocalizedText(
                        fr: "\(context.fr), clé « population » : un nombre entier d'habitants est attendu",
                        en: "\(context.en) key \"population\": expected a whole number of inhabitants"))
                valid = false
            }
        }
        let entity = Entity(
            name: fields["name"], siren: fields["siren"], insee: fields["insee"], kind: fields["kind"], population: population,
            departement: fields["departement"], region: fields["region"])
        for field in entity.fieldProblems() {
            problem(
                mapping[field.key] ?? node,
                LocalizedText(
                    fr: "\(context.fr), clé « \(field.key) » : il faut \(field.expected.fr), trouvé \(field.value)",
                    en: "\(context.en) key \"\(field.key)\": expected \(field.expected.en), found \(field.value)"))
            valid = false
        }
        var contacts: [Contact] = []
        if let node = mapping["contacts"] {
            if let roles = node.mapping {
                for (key, value) in roles {
                    guard let name = key.scalar?.string, let role = ContactRole(rawValue: name) else {
                        let roles = ContactRole.allCases.map(\.rawValue).joined(separator: ", ")
                        problem(
                            key,
                            LocalizedText(
                                fr: "\(context.fr) contacts : rôle inconnu « \(key.scalar?.string ?? "?") » ; rôles possibles : \(roles)",
                                en: "\(context.en) contacts: unknown role \"\(key.scalar?.string ?? "?")\"; expected one of: \(roles)"))
                        continue
                    }
                    if let contact = self.contact(value, role: role, context: context.map { text, _ in "\(text) contacts.\(name)" }, problem) { contacts.append(contact) }
                }
            } else {
                problem(
                    node,
                    LocalizedText(
                        fr: "\(context.fr), clé « contacts » : un dictionnaire des rôles (maire, elu_referent, dgs, dpo, prestataire…) vers les contacts est attendu",
                        en: "\(context.en) key \"contacts\": expected a mapping of roles (maire, elu_referent, dgs, dpo, prestataire…) to contacts"))
            }
        }
        let domains = mapping["domains"].map { self.domains($0, context: context, problem) } ?? []
        guard valid, let name = fields["name"], let siren = fields["siren"] else { return nil }
        return Member(
            name: name, siren: siren, insee: fields["insee"], kind: fields["kind"], population: population, departement: fields["departement"],
            region: fields["region"], contacts: contacts, domains: domains)
    }

    /// A list of DNS names (`DeclaredDomain.problem`: LDH labels, at least two, IDNs as xn--), normalised
    /// (lower-case, no final dot); each bad or repeated name is a problem at its own line.
    static func domains(_ node: Node, context: LocalizedText, _ problem: (Node?, LocalizedText) -> Void) -> [String] {
        guard let sequence = node.sequence else {
            problem(
                node,
                LocalizedText(
                    fr: "\(context.fr), clé « domains » : une liste de noms de domaine est attendue ([mairie-exemple.fr, ville-exemple.fr])",
                    en: "\(context.en) key \"domains\": expected a list of domain names ([mairie-exemple.fr, ville-exemple.fr])"))
            return []
        }
        var names: [String] = []
        for item in sequence {
            guard let scalar = item.scalar, scalar.tag != Tag(.null) else {
                problem(
                    item,
                    LocalizedText(
                        fr: "\(context.fr), clé « domains » : un nom de domaine est attendu (mairie-exemple.fr)",
                        en: "\(context.en) key \"domains\": expected a domain name (mairie-exemple.fr)"))
                continue
            }
            if let reason = DomainWording.problem(scalar.string) {
                problem(item, LocalizedText(fr: "\(context.fr), clé « domains » : \(reason.fr)", en: "\(context.en) key \"domains\": \(reason.en)"))
                continue
            }
            let name = DeclaredDomain.normalised(scalar.string)
            if names.contains(name) {
                problem(
                    item, LocalizedText(fr: "\(context.fr), clé « domains » : \(name) figure deux fois", en: "\(context.en) key \"domains\": \(name) is listed twice"))
                continue
            }
            names.append(name)
        }
        return names
    }

    static func contact(_ node: Node, role: ContactRole, context: LocalizedText, _ problem: (Node?, LocalizedText) -> Void) -> Contact? {
        guard let mapping = node.mapping else {
            problem(
                node,
                LocalizedText(
                    fr: "\(context.fr) : un dictionnaire avec name, phone et/ou email est attendu",
                    en: "\(context.en): expected a mapping with name, phone and/or email"))
            return nil
        }
        checkKeys(mapping, allowed: contactKeys, context: context, problem)
        var contact = Contact(role: role)
        if let value = mapping["name"] { contact.name = text(value, key: "name", context: context, problem) }
        if let value = mapping["phone"], let phone = text(value, key: "phone", context: context, problem) {
            if isPhoneNumber(phone) { contact.phone = phone } else {
                problem(
                    value,
                    LocalizedText(
                        fr: "\(context.fr), clé « phone » : un numéro de téléphone est attendu (chiffres, espaces, points ou tirets, + initial facultatif), trouvé « \(phone) »",
                        en: "\(context.en) key \"phone\": expected a telephone number (digits, spaces, dots or dashes, optional leading +), found \"\(phone)\""))
            }
        }
        if let value = mapping["email"], let email = text(value, key: "email", context: context, problem) {
            if isEmailAddress(email) { contact.email = email } else {
                problem(
                    value,
                    LocalizedText(
                        fr: "\(context.fr), clé « email » : une adresse électronique est attendue (nom@domaine.fr), trouvé « \(email) »",
                        en: "\(context.en) key \"email\": expected an e-mail address (name@domain.fr), found \"\(email)\""))
            }
        }
        if mapping["name"] == nil && mapping["phone"] == nil && mapping["email"] == nil {
            problem(node, LocalizedText(fr: "\(context.fr) : au moins l'un de name, phone, email est attendu", en: "\(context.en): expected at least one of name, phone, email"))
            return nil
        }
        return contact.name == nil && contact.phone == nil && contact.email == nil ? nil : contact
    }

    /// 3 to 15 digits (E.164 allows 15), separated by spaces, dots or dashes, an optional leading `+`,
    /// parentheses around an area code allowed.
    static func isPhoneNumber(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("+") { body = body.dropFirst() }
        guard body.allSatisfy({ $0.isASCII && ($0.isNumber || " .-()".contains($0)) }) else { return false }
        let digits = body.filter(\.isNumber).count
        return (3...15).contains(digits)
    }

    /// One `@`, a non-empty local part, a domain with a dot, no spaces (the shape people type; RFC 5321
    /// allows more, which a roster has no use for).
    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !text.contains(where: \.isWhitespace) else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
    }
}
