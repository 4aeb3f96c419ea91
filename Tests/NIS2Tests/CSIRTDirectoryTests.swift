import Foundation
import NIS2
import TestSupport
import Testing

/// The shipped CSIRT directory: every département and overseas code maps to exactly one territory,
/// lookups by département, INSEE code and region, clear errors for unknown codes and bad files.
@Suite("CSIRT directory")
struct CSIRTDirectoryTests {
    static let shippedPath = BuiltBinary.packageRoot + "/Profiles/nis2/csirt.yaml"

    static func shipped() throws -> CSIRTDirectory { try CSIRTDirectory.load(path: shippedPath) }

    /// Every département code INSEE defines (01–95 without 20, 2A, 2B, 971–976), built here.
    static var departements: [String] {
        (1...95).filter { $0 != 20 }.map { String(format: "%02d", $0) } + ["2A", "2B"] + (971...976).map(String.init)
    }

    static let collectivities = ["975", "977", "978", "984", "986", "987", "988", "989"]

    @Test("Every département and overseas collectivity maps to exactly one territory, with an ANSSI mailbox")
    func everyCode() throws {
        let directory = try Self.shipped()
        for code in Self.departements + Self.collectivities {
            let territory = try directory.territory(departement: code)
            #expect(territory.departements.contains(code))
            #expect(territory.anssiMailbox.hasSuffix("@ssi.gouv.fr"), "\(code)")
            #expect(territory.csirt != nil || territory.note != nil, "\(code): no CSIRT and no note")
            #expect(directory.territories.filter { $0.departements.contains(code) }.count == 1, "\(code)")
        }
        #expect(Set(directory.codes) == Set(Self.departements + Self.collectivities), "the file maps exactly these codes")
        #expect(directory.codes.count == Set(directory.codes).count)
        #expect(directory.territories.filter { $0.csirt != nil && !$0.departements.contains { $0.count == 3 } }.count == 13, "13 metropolitan regions, each with a CSIRT")
    }

    @Test("Known answers from the ANSSI table")
    func knownAnswers() throws {
        let directory = try Self.shipped()
        #expect(try directory.territory(departement: "29").csirt?.name.contains("Breizh Cyber") == true)
        #expect(try directory.territory(departement: "29").csirt?.phone == "0 800 200 008")
        #expect(try directory.territory(departement: "2A").name == "Corse")
        #expect(try directory.territory(departement: "2b").csirt?.phone == nil, "ANSSI lists no phone for Corsica")
        #expect(try directory.territory(departement: "974").csirt?.name.contains("Cyber Réunion") == true)
        #expect(try directory.territory(departement: "976").csirt == nil)
        #expect(try directory.territory(departement: "976").note?.fr.contains("Mayotte") == true)
        #expect(try directory.territory(departement: "987").csirt == nil)
        #expect(try directory.territory(departement: "988").csirt?.id == "pacifique")
        #expect(try directory.territory(departement: "977").csirt?.id == "atlantic")
        #expect(try directory.territory(departement: "1").name == "Auvergne-Rhône-Alpes", "1 is read as 01")
        #expect(try directory.territory(departement: "13").anssiMailbox == "paca@ssi.gouv.fr")
        #expect(directory.national.nis2Declaration == "https://club.ssi.gouv.fr/#/declarations")
        #expect(directory.version == "2026-06-23")
    }

    @Test("INSEE codes and region names")
    func otherLookups() throws {
        let directory = try Self.shipped()
        #expect(try directory.territory(insee: "29019").name == "Bretagne")
        #expect(try directory.territory(insee: "2A004").name == "Corse")
        #expect(try directory.territory(insee: "97411").name == "La Réunion")
        #expect(try directory.territory(insee: "98735").name == "Polynésie française")
        #expect(try directory.territory(region: "ile de france").name == "Île-de-France")
        #expect(try directory.territory(region: "PACA").name == "Provence-Alpes-Côte d'Azur")
        #expect(try directory.territory(region: "provence alpes cote d azur").name == "Provence-Alpes-Côte d'Azur")
    }

    @Test("Unknown codes give errors saying what is expected")
    func unknownCodes() throws {
        let directory = try Self.shipped()
        for bad in ["00", "20", "96", "99", "970", "979", "990", "2C", "", "abc", "1234"] {
            #expect(throws: CSIRTLookupError.self, "\(bad)") { try directory.territory(departement: bad) }
        }
        let corsica = #expect(throws: CSIRTLookupError.self) { try directory.territory(departement: "20") }
        #expect(corsica?.text.en.contains("2A") == true)
        let unknown = #expect(throws: CSIRTLookupError.self) { try directory.territory(departement: "96") }
        #expect(unknown?.text.en.contains("expected 01–95") == true)
        #expect(throws: CSIRTLookupError.self) { try directory.territory(insee: "2904") }
        #expect(throws: CSIRTLookupError.self) { try directory.territory(insee: "96001") }
        let region = #expect(throws: CSIRTLookupError.self) { try directory.territory(region: "Atlantide") }
        #expect(region?.text.en.contains("Bretagne") == true)
    }

    @Test("A malformed file is refused with the line of each problem")
    func badFiles() throws {
        let text = try String(contentsOfFile: Self.shippedPath, encoding: .utf8)
        // A code listed twice.
        let twice = text.replacingOccurrences(of: "departements: [\"22\", \"29\", \"35\", \"56\"]", with: "departements: [\"22\", \"29\", \"35\", \"56\", \"75\"]")
        let duplicate = #expect(throws: NIS2InputError.self) { try CSIRTDirectory.parse(twice, file: "csirt.yaml") }
        #expect(duplicate?.description(english: true).contains("75 is listed under both") == true, "\(String(describing: duplicate))")
        // An undefined CSIRT id, a bad code, an unknown key.
        let broken = text.replacingOccurrences(of: "csirt: bretagne", with: "csirt: bzh")
            .replacingOccurrences(of: "[\"14\", \"27\"", with: "[\"14\", \"20\"")
            .replacingOccurrences(of: "  - name: Grand Est\n", with: "  - name: Grand Est\n    phone: 1\n")
        let error = #expect(throws: NIS2InputError.self) { try CSIRTDirectory.parse(broken, file: "csirt.yaml") }
        let description = error?.description(english: true) ?? ""
        #expect(description.contains("csirt \"bzh\" is not defined"), "\(description)")
        #expect(description.contains("\"20\" is not a département"), "\(description)")
        #expect(description.contains("unknown key \"phone\" in territories"), "\(description)")
        #expect(error?.problems.allSatisfy { $0.line != nil } == true)
        #expect(error?.exitCode == 65)
        // A territory without CSIRT and without a note.
        let silent = text.replacingOccurrences(
            of: "    note:\n      fr: \"L'ANSSI ne recense pas de CSIRT régional pour Mayotte", with: "    notes:\n      fr: \"L'ANSSI ne recense pas de CSIRT régional pour Mayotte")
        let noNote = #expect(throws: NIS2InputError.self) { try CSIRTDirectory.parse(silent, file: "csirt.yaml") }
        #expect(noNote?.description(english: true).contains("Mayotte: no CSIRT: a note") == true, "\(String(describing: noNote))")
    }
}
