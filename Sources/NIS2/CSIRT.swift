import FoundationEssentials
import FoundationGaps
import Model
import YAML

/// Who to call when a local authority is hit: its regional CSIRT, the ANSSI regional delegation,
/// CERT-FR's declaration pages and 17Cyber, read from `Profiles/nis2/csirt.yaml`.
///
/// Source of the data: ANSSI's MesServicesCyber contact files (see the `source` and `version` keys of
/// the file). The file is data: it is kept current by editing it, and `load` checks its shape (every
/// problem with its line) and that no département or collectivity belongs to two territories.
public struct CSIRTDirectory: Sendable, Equatable {
    /// A regional incident-response centre.
    public struct CSIRT: Sendable, Equatable, Codable {
        public var id: String
        public var name: String
        /// As published (French national format); nil when none is published.
        public var phone: String?
        public var website: String?
    }

    /// A region or overseas territory, with the codes that belong to it.
    public struct Territory: Sendable, Equatable {
        public var name: String
        public var aliases: [String]
        /// nil: ANSSI lists no regional CSIRT there (see `note`).
        public var csirt: CSIRT?
        /// ANSSI regional delegates' mailbox.
        public var anssiMailbox: String
        /// Département / collectivity codes (`29`, `2A`, `974`, `987`).
        public var departements: [String]
        public var note: LocalizedText?
        /// Line in the data file, for messages.
        public var line: Int?
    }

    /// National contacts (CERT-FR, 17Cyber).
    public struct National: Sendable, Equatable, Codable {
        public var certFRName: String
        /// Incident declaration / assistance request page.
        public var certFRDeclaration: String
        /// NIS 2 incident declaration page.
        public var nis2Declaration: String
        public var certFRContact: String
        public var cyber17Name: String
        public var cyber17Website: String
        public var cyber17Diagnostic: String
    }

    /// Date of the source data (`2026-06-23`).
    public var version: String
    public var source: String
    /// When someone last compared the file with the source.
    public var checked: String?
    public var national: National
    public var territories: [Territory]
    /// Path of the file read.
    public var file: String

    public static let fileName = "csirt.yaml"

    /// The file shipped with cyberctl (`CYBERCTL_NIS2_DATA` overrides the folder, as for the other NIS 2 data).
    public static func shipped() throws(NIS2InputError) -> CSIRTDirectory {
        try load(path: NIS2DataLocator.locate(fileName))
    }

    public static func load(path: String) throws(NIS2InputError) -> CSIRTDirectory {
        try parse(YAMLReader.readText(path: path, what: LocalizedText(fr: "annuaire des CSIRT", en: "CSIRT directory")), file: path)
    }

    static let topKeys = ["version", "source", "checked", "national", "csirts", "territories"]
    static let csirtKeys = ["id", "name", "phone", "website"]
    static let territoryKeys = ["name", "aliases", "csirt", "anssi", "departements", "note"]

    /// Parses and checks the directory; every problem is reported with its line.
    public static func parse(_ text: String, file: String) throws(NIS2InputError) -> CSIRTDirectory {
        let root = try YAMLReader.compose(text, file: file)
        guard let mapping = root.mapping else {
            throw NIS2InputError(file: file, line: root.mark?.line, fr: "un dictionnaire avec version, source, national, csirts et territories est attendu", en: "expected a mapping with version, source, national, csirts and territories")
        }
        var problems = YAMLReader.unknownKeys(mapping, allowed: topKeys, context: LocalizedText(fr: "annuaire des CSIRT", en: "CSIRT directory"))
        func required(_ row: Node.Mapping, _ key: String, _ context: String, _ line: Int?) -> String {
            if let value = YAMLReader.string(row[key]), !value.isEmpty { return value }
            problems.append(.init(line: row[key]?.mark?.line ?? line, fr: "\(context) : clé « \(key) » absente", en: "\(context): missing key \"\(key)\""))
            return ""
        }
        let version = YAMLReader.string(mapping["version"]) ?? ""
        if CalendarDay(version) == nil {
            problems.append(.init(line: mapping["version"]?.mark?.line ?? root.mark?.line, fr: "version : la date des données sources, AAAA-MM-JJ, est attendue", en: "version: expected the date of the source data, YYYY-MM-DD"))
        }
        let source = required(mapping, "source", "CSIRT directory", root.mark?.line)

        var national = National(certFRName: "", certFRDeclaration: "", nis2Declaration: "", certFRContact: "", cyber17Name: "", cyber17Website: "", cyber17Diagnostic: "")
        if let nationalNode = mapping["national"]?.mapping {
            problems += YAMLReader.unknownKeys(nationalNode, allowed: ["cert_fr", "cyber17"], context: LocalizedText(both: "national"))
            let line = mapping["national"]?.mark?.line
            if let cert = nationalNode["cert_fr"]?.mapping {
                problems += YAMLReader.unknownKeys(cert, allowed: ["name", "declaration", "nis2_declaration", "contact"], context: LocalizedText(both: "national.cert_fr"))
                national.certFRName = required(cert, "name", "national.cert_fr", line)
                national.certFRDeclaration = required(cert, "declaration", "national.cert_fr", line)
                national.nis2Declaration = required(cert, "nis2_declaration", "national.cert_fr", line)
                national.certFRContact = required(cert, "contact", "national.cert_fr", line)
            } else {
                problems.append(.init(line: line, fr: "national : dictionnaire « cert_fr » absent", en: "national: missing mapping \"cert_fr\""))
            }
            if let cyber = nationalNode["cyber17"]?.mapping {
                problems += YAMLReader.unknownKeys(cyber, allowed: ["name", "website", "diagnostic"], context: LocalizedText(both: "national.cyber17"))
                national.cyber17Name = required(cyber, "name", "national.cyber17", line)
                national.cyber17Website = required(cyber, "website", "national.cyber17", line)
                national.cyber17Diagnostic = required(cyber, "diagnostic", "national.cyber17", line)
            } else {
                problems.append(.init(line: line, fr: "national : dictionnaire « cyber17 » absent", en: "national: missing mapping \"cyber17\""))
            }
        } else {
            problems.append(.init(line: root.mark?.line, fr: "dictionnaire « national » absent (cert_fr, cyber17)", en: "missing mapping \"national\" (cert_fr, cyber17)"))
        }

        var csirts: [String: CSIRT] = [:]
        for node in mapping["csirts"]?.sequence ?? [] {
            guard let row = node.mapping else {
                problems.append(.init(line: node.mark?.line, fr: "csirts : un dictionnaire avec id, name, phone, website est attendu", en: "csirts: expected a mapping with id, name, phone, website"))
                continue
            }
            problems += YAMLReader.unknownKeys(row, allowed: csirtKeys, context: LocalizedText(both: "csirts"))
            let id = required(row, "id", "csirt", node.mark?.line)
            let csirt = CSIRT(id: id, name: required(row, "name", "csirt \(id)", node.mark?.line),
                              phone: YAMLReader.string(row["phone"]), website: YAMLReader.string(row["website"]))
            if csirts.updateValue(csirt, forKey: id) != nil { problems.append(.init(line: node.mark?.line, fr: "csirt « \(id) » défini deux fois", en: "csirt \"\(id)\" defined twice")) }
        }

        var territories: [Territory] = []
        var owner: [String: String] = [:]
        for node in mapping["territories"]?.sequence ?? [] {
            let line = node.mark?.line
            guard let row = node.mapping else {
                problems.append(.init(line: line, fr: "territories : un dictionnaire avec name, csirt, anssi, departements est attendu", en: "territories: expected a mapping with name, csirt, anssi, departements"))
                continue
            }
            problems += YAMLReader.unknownKeys(row, allowed: territoryKeys, context: LocalizedText(both: "territories"))
            let name = required(row, "name", "territory", line)
            var csirt: CSIRT?
            if row["csirt"] == nil {
                problems.append(.init(line: line, fr: "territoire \(name) : clé « csirt » absente (un identifiant de csirts, ou null s'il n'y en a pas)", en: "territory \(name): missing key \"csirt\" (an id from csirts, or null when there is none)"))
            } else if let id = YAMLReader.string(row["csirt"]) {
                csirt = csirts[id]
                if csirt == nil { problems.append(.init(line: row["csirt"]?.mark?.line, fr: "territoire \(name) : le csirt « \(id) » n'est pas défini sous csirts", en: "territory \(name): csirt \"\(id)\" is not defined under csirts")) }
            }
            let note = YAMLReader.localized(row["note"])
            if csirt == nil && row["csirt"] != nil && YAMLReader.string(row["csirt"]) == nil && note == nil {
                problems.append(.init(line: line, fr: "territoire \(name) : pas de CSIRT : une note {fr, en} doit dire que faire à la place", en: "territory \(name): no CSIRT: a note {fr, en} must say what to do instead"))
            }
            let codes = YAMLReader.strings(row["departements"]) ?? []
            if codes.isEmpty { problems.append(.init(line: line, fr: "territoire \(name) : clé « departements » absente", en: "territory \(name): missing key \"departements\"")) }
            for code in codes {
                if !isDepartementCode(code) {
                    problems.append(.init(line: row["departements"]?.mark?.line, fr: "territoire \(name) : « \(code) » n'est pas un code de département ou de collectivité (01–95, 2A, 2B, 971–989)", en: "territory \(name): \"\(code)\" is not a département or collectivity code (01–95, 2A, 2B, 971–989)"))
                }
                if let previous = owner.updateValue(name, forKey: code) {
                    problems.append(.init(line: row["departements"]?.mark?.line, fr: "\(code) figure à la fois sous \(previous) et sous \(name)", en: "\(code) is listed under both \(previous) and \(name)"))
                }
            }
            territories.append(Territory(
                name: name, aliases: YAMLReader.strings(row["aliases"]) ?? [], csirt: csirt,
                anssiMailbox: required(row, "anssi", "territory \(name)", line), departements: codes, note: note, line: line))
        }
        if territories.isEmpty { problems.append(.init(line: root.mark?.line, fr: "liste « territories » absente", en: "missing list \"territories\"")) }
        guard problems.isEmpty else { throw NIS2InputError(file: file, problems: problems) }
        return CSIRTDirectory(
            version: version, source: source, checked: YAMLReader.string(mapping["checked"]), national: national,
            territories: territories, file: file)
    }

    /// Shape of a code: two digits (not 00 or 20), 2A/2B, or 97x/98x.
    static func isDepartementCode(_ code: String) -> Bool {
        if code == "2A" || code == "2B" { return true }
        guard code.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(code) else { return false }
        if code.count == 2 { return (1...95).contains(number) && number != 20 }
        return code.count == 3 && (971...989).contains(number)
    }

    /// Every code the directory maps, in file order.
    public var codes: [String] { territories.flatMap(\.departements) }

    /// The territory of a département or overseas collectivity code (`1` and `01` are the same;
    /// `2a` is `2A`).
    /// - Throws: `CSIRTLookupError` naming the code and what is expected.
    public func territory(departement raw: String) throws(CSIRTLookupError) -> Territory {
        var code = raw.trimming(.whitespaces).uppercased()
        if code.count == 1, code.first?.isNumber == true { code = "0" + code }
        if let territory = territories.first(where: { $0.departements.contains(code) }) { return territory }
        if code == "20" {
            throw CSIRTLookupError(
                fr: "département « \(raw) » : la Corse a deux départements depuis 1976 : 2A (Corse-du-Sud) ou 2B (Haute-Corse) est attendu",
                en: "département \"\(raw)\": Corsica has had two départements since 1976: expected 2A (Corse-du-Sud) or 2B (Haute-Corse)")
        }
        throw CSIRTLookupError(
            fr: "département « \(raw) » inconnu : 01–95 (pas 20), 2A, 2B, 971–976 ou un code de collectivité d'outre-mer (975, 977, 978, 984, 986–989) est attendu",
            en: "département \"\(raw)\" unknown: expected 01–95 (not 20), 2A, 2B, 971–976 or an overseas collectivity code (975, 977, 978, 984, 986–989)")
    }

    /// The territory of an INSEE commune code (`29019`, `2A004`, `97411`, `98735`).
    public func territory(insee raw: String) throws(CSIRTLookupError) -> Territory {
        let code = raw.trimming(.whitespaces).uppercased()
        guard code.count == 5, code.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "A" || $0 == "B") }) else {
            throw CSIRTLookupError(
                fr: "code INSEE « \(raw) » : un code commune de 5 caractères comme 29019, 2A004 ou 97411 est attendu",
                en: "INSEE code \"\(raw)\": expected a 5-character commune code such as 29019, 2A004 or 97411")
        }
        let prefix = code.hasPrefix("97") || code.hasPrefix("98") ? String(code.prefix(3)) : String(code.prefix(2))
        do {
            return try territory(departement: prefix)
        } catch {
            throw CSIRTLookupError(
                fr: "code INSEE « \(raw) » : son département \(prefix) est inconnu (01–95, 2A, 2B ou 971–989 attendu)",
                en: "INSEE code \"\(raw)\": its département \(prefix) is unknown (expected 01–95, 2A, 2B or 971–989)")
        }
    }

    /// The territory named `raw`: name or alias, ignoring case, accents, hyphens, apostrophes and spaces.
    public func territory(region raw: String) throws(CSIRTLookupError) -> Territory {
        let key = Self.folded(raw)
        if let territory = territories.first(where: { ([$0.name] + $0.aliases).contains { Self.folded($0) == key } }) { return territory }
        let names = territories.map(\.name).joined(separator: ", ")
        throw CSIRTLookupError(fr: "région « \(raw) » inconnue : l'une de ces régions est attendue : \(names)", en: "region \"\(raw)\" unknown: expected one of \(names)")
    }

    static func folded(_ text: String) -> String {
        Folding.caseAndAccentInsensitive(text)
            .filter { $0.isLetter || $0.isNumber }
    }
}

/// A département, INSEE code or region the directory does not know (a usage error, exit 64).
public struct CSIRTLookupError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong, in both languages.
    public let text: LocalizedText
    public init(fr: String, en: String) { self.text = LocalizedText(fr: fr, en: en) }
    /// In French.
    public var description: String { text.fr }
}
