import Foundation

/// A regional incident-response centre (CSIRT régional) an entity calls when attacked.
public struct CSIRTContact: Codable, Sendable, Equatable {
    /// The centre's own name (`Breizh Cyber`).
    public var name: String
    public var region: String
    /// Phone number as published, nil when none is listed.
    public var phone: String?
    public var website: String?
}

/// Which regional CSIRT to call.
///
/// Source: ANSSI's MesServicesCyber contact data (`betagouv/anssi-portail`, `front/_data/contacts.yml`,
/// last change 2026-06-23), as summarised in the project's `nis2-france.md` §5.1. Numbers change:
/// re-check on messervices.cyber.gouv.fr before publishing.
///
/// This table is the one place the summary reads contacts from; once the incidents work ships its
/// CSIRT contacts data file, `contact(region:departement:)` is the one function to point at it.
public enum RegionalCSIRT {
    static let table: [CSIRTContact] = [
        .init(name: "Cyber Assistance Auvergne Rhône Alpes", region: "Auvergne-Rhône-Alpes", phone: "04 72 40 56 56", website: "https://www.cyber-assistance-aura.fr/"),
        .init(name: "CSIRT Bourgogne-Franche-Comté", region: "Bourgogne-Franche-Comté", phone: "0 970 609 909", website: "https://www.csirt-bfc.fr/"),
        .init(name: "Breizh Cyber", region: "Bretagne", phone: "0 800 200 008", website: "https://breizhcyber.bzh/"),
        .init(name: "CybeRéponse", region: "Centre-Val de Loire", phone: "0 805 69 15 05", website: "https://www.cybereponse.fr/"),
        .init(name: "CyberCorsica", region: "Corse", phone: nil, website: "https://cyber.corsica/"),
        .init(name: "Grand Est Cybersécurité", region: "Grand Est", phone: "0 970 512 525", website: "https://www.cybersecurite.grandest.fr/"),
        .init(name: "CSIRT Hauts-de-France", region: "Hauts-de-France", phone: "0 806 700 111", website: "https://csirt-hdf.fr/"),
        .init(name: "Urgence Cyber Île-de-France", region: "Île-de-France", phone: "0 800 730 647", website: "https://urgencecyber.iledefrance.fr/"),
        .init(name: "Normandie Cyber", region: "Normandie", phone: "0 808 800 001", website: "https://adnormandie.fr/besoin/normandie-cyber/"),
        .init(name: "Campus régional de cybersécurité Nouvelle-Aquitaine", region: "Nouvelle-Aquitaine", phone: "0 805 29 29 40", website: "https://www.campuscyber-na.fr/"),
        .init(name: "Cyber'Occ", region: "Occitanie", phone: "0 800 71 13 13", website: "https://www.cyberocc.com/nos-services/urgence-cyber/"),
        .init(name: "Pays de la Loire Cyber Assistance", region: "Pays de la Loire", phone: "0 800 100 200", website: "https://www.paysdelaloire.fr/economie-et-innovation/entreprise/mon-organisation-subit-une-cyberattaque"),
        .init(name: "Urgence Cyber Région Sud", region: "Provence-Alpes-Côte d'Azur", phone: "0 805 036 083", website: "https://urgencecyber-regionsud.fr/"),
        .init(name: "CSIRT-ATLANTIC", region: "Antilles-Guyane", phone: "0 970 260 801", website: "https://www.accyb.org/fr/FindOutAtlantic"),
        .init(name: "Cyber Réunion", region: "La Réunion", phone: "0 262 974 999", website: "https://www.cyber-reunion.fr/"),
    ]

    /// Région of each département (code officiel géographique, régions since 2016).
    static let regionOfDepartement: [String: String] = {
        let groups: [String: [String]] = [
            "Auvergne-Rhône-Alpes": ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"],
            "Bourgogne-Franche-Comté": ["21", "25", "39", "58", "70", "71", "89", "90"],
            "Bretagne": ["22", "29", "35", "56"],
            "Centre-Val de Loire": ["18", "28", "36", "37", "41", "45"],
            "Corse": ["2A", "2B"],
            "Grand Est": ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"],
            "Hauts-de-France": ["02", "59", "60", "62", "80"],
            "Île-de-France": ["75", "77", "78", "91", "92", "93", "94", "95"],
            "Normandie": ["14", "27", "50", "61", "76"],
            "Nouvelle-Aquitaine": ["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"],
            "Occitanie": ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"],
            "Pays de la Loire": ["44", "49", "53", "72", "85"],
            "Provence-Alpes-Côte d'Azur": ["04", "05", "06", "13", "83", "84"],
            "Antilles-Guyane": ["971", "972", "973"],
            "La Réunion": ["974"],
        ]
        var table: [String: String] = [:]
        for (region, departements) in groups { for code in departements { table[code] = region } }
        return table
    }()

    /// Folds accents, case, hyphens and apostrophes so `Provence-Alpes-Côte d’Azur` and `provence alpes cote d'azur` match.
    static func fold(_ text: String) -> String {
        text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "fr_FR"))
            .map { $0.isLetter || $0.isNumber ? String($0) : "" }.joined()
    }

    /// The CSIRT for a région (by name, accents and case ignored; `Guadeloupe`, `Martinique`, `Guyane`
    /// map to CSIRT-ATLANTIC), or else for the région of a département; nil when neither is known or
    /// the région has no listed centre (Mayotte, Polynésie française: call CERT-FR through 17Cyber).
    public static func contact(region: String?, departement: String?) -> CSIRTContact? {
        if let region {
            let key = fold(region)
            if ["guadeloupe", "martinique", "guyane", "saintbarthelemy", "saintmartin"].contains(key) {
                return table.first { $0.region == "Antilles-Guyane" }
            }
            if key == "reunion" { return table.first { $0.region == "La Réunion" } }
            if key == "paca" || key == "regionsud" { return table.first { $0.region == "Provence-Alpes-Côte d'Azur" } }
            if let match = table.first(where: { fold($0.region) == key }) { return match }
        }
        if let departement, let region = regionOfDepartement[departement.uppercased()] {
            return table.first { $0.region == region }
        }
        return nil
    }

    /// The national fallback when no regional centre is known.
    public static let national = CSIRTContact(
        name: "17Cyber (cybermalveillance.gouv.fr, police et gendarmerie)", region: "France", phone: nil,
        website: "https://www.cybermalveillance.gouv.fr/17cyber")
}
