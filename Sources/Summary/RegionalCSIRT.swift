import Foundation
import NIS2

/// A regional incident-response centre (CSIRT régional) an entity calls when attacked.
public struct CSIRTContact: Codable, Sendable, Equatable {
    /// The centre's own name (`Breizh Cyber`).
    public var name: String
    public var region: String
    /// Phone number as published, nil when none is listed.
    public var phone: String?
    public var website: String?
}

/// Which regional CSIRT to call, read from the shipped CSIRT directory (`Profiles/nis2/csirt.yaml`,
/// ANSSI MesServicesCyber data with its source and date; the same file `cyberctl csirt` reads).
public enum RegionalCSIRT {
    /// The directory, read once; nil when the data file cannot be found or read (the summary then
    /// names the national fallback).
    static let directory: CSIRTDirectory? = try? CSIRTDirectory.shipped()

    /// The CSIRT for a région (name or alias, accents and case ignored), or else for the région of a
    /// département; nil when neither is known or the territory has no listed centre (Mayotte,
    /// Polynésie française: call CERT-FR through 17Cyber).
    public static func contact(region: String?, departement: String?) -> CSIRTContact? {
        guard let directory else { return nil }
        var territory: CSIRTDirectory.Territory?
        if let region { territory = try? directory.territory(region: region) }
        if territory == nil, let departement { territory = try? directory.territory(departement: departement) }
        guard let territory, let csirt = territory.csirt else { return nil }
        return CSIRTContact(name: csirt.name, region: territory.name, phone: csirt.phone, website: csirt.website)
    }

    /// The national fallback when no regional centre is known.
    public static let national = CSIRTContact(
        name: "17Cyber (cybermalveillance.gouv.fr, police et gendarmerie)", region: "France", phone: nil,
        website: "https://www.cybermalveillance.gouv.fr/17cyber")
}
