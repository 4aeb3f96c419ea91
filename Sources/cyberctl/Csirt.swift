import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import Incidents
import NIS2
import Model
import Rendering
import Territory

extension Cyberctl {
    /// Who to call: regional CSIRT, ANSSI delegation, CERT-FR, 17Cyber.
    struct Csirt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Contacts en cas d'incident : CSIRT régional, délégation ANSSI, CERT-FR, 17Cyber (incident contacts).",
            discussion: """
                Sans option, le département (sinon le code INSEE, sinon la région) de l'entité de la configuration de \
                l'agent est utilisé. Données : Profiles/nis2/csirt.yaml (source et date à l'intérieur ; à modifier pour \
                garder les contacts à jour). Code de sortie 64 pour un code ou une région inconnus, 65 pour un fichier de \
                données mal formé.

                Without an option, the département (else INSEE code, else region) of the agent configuration's entity is used. \
                Data: Profiles/nis2/csirt.yaml (source and date inside; edit it to keep the contacts current). Exit 64 for an \
                unknown code or region, 65 for a malformed data file.
                """)

        @Option(help: "Code du département ou de la collectivité d'outre-mer : 29, 2A, 974, 987 (département code).")
        var departement: String?
        @Option(help: "Nom de la région : Bretagne, Île-de-France, PACA… (region name).")
        var region: String?
        @Option(help: "Code INSEE de la commune : 29019, 2A004, 97411 (INSEE commune code).")
        var insee: String?
        @Option(help: "Fichier de configuration de l'agent, lu sans autre option (agent configuration file).")
        var config: String = AgentConfiguration.defaultPath
        @Option(help: "Format de sortie : table ou json (output format).")
        var format: OutputFormat = .table
        @Option(help: "Langue des textes : fr ou en (language of what people read).")
        var lang: Language = .fr

        func validate() throws {
            if [departement, region, insee].compactMap({ $0 }).count > 1 {
                throw ValidationError(
                    lang == .en
                        ? "Give only one of --departement, --region, --insee."
                        : "Donnez une seule des options --departement, --region, --insee.")
            }
        }

        func run() throws {
            do {
                let directory = try CSIRTDirectory.shipped()
                let territory: CSIRTDirectory.Territory
                if departement != nil || region != nil || insee != nil {
                    territory = try lookup(directory, departement: departement, insee: insee, region: region)
                } else {
                    guard FileManager.default.fileExists(atPath: config) else {
                        throw InputError(
                            .usage,
                            fr: "ni --departement, ni --region, ni --insee, et pas de configuration d'agent en \(config) où lire l'entité",
                            en: "no --departement, --region or --insee, and no agent configuration at \(config) to read the entity from")
                    }
                    let entity = try AgentConfiguration.load(path: config).entity
                    guard entity.departement != nil || entity.insee != nil || entity.region != nil else {
                        throw InputError(
                            .usage,
                            fr: "\(config) : l'entité n'a ni departement, ni insee, ni region ; donnez --departement, --region ou --insee",
                            en: "\(config): the entity has no departement, insee or region; give --departement, --region or --insee")
                    }
                    territory = try lookup(directory, departement: entity.departement, insee: entity.insee, region: entity.region)
                }
                let text = try format == .json ? CsirtJSON.encode(directory, territory) : CsirtText.render(directory, territory, english: lang == .en)
                emit(text)
            } catch {
                throw failure(reporting: error, language: lang)
            }
        }
    }
}

/// The territory for whichever of the codes is given (département first).
func lookup(_ directory: CSIRTDirectory, departement: String?, insee: String?, region: String?) throws(InputError) -> CSIRTDirectory.Territory {
    do {
        if let departement { return try directory.territory(departement: departement) }
        if let insee { return try directory.territory(insee: insee) }
        return try directory.territory(region: region ?? "")
    } catch {
        throw InputError(.usage, fr: error.text.fr, en: error.text.en)
    }
}

enum CsirtText {
    static func render(_ directory: CSIRTDirectory, _ territory: CSIRTDirectory.Territory, english: Bool) -> String {
        var lines: [String] = []
        lines.append(english ? "Incident contacts — \(territory.name)" : "Contacts en cas d'incident — \(territory.name)")
        lines.append("")
        if let csirt = territory.csirt {
            lines.append((english ? "Regional CSIRT         " : "CSIRT régional         ") + csirt.name)
            lines.append((english ? "  Phone                " : "  Téléphone            ") + (csirt.phone ?? (english ? "none published" : "aucun publié")))
            if let website = csirt.website { lines.append((english ? "  Website              " : "  Site                 ") + website) }
        } else {
            lines.append(english ? "Regional CSIRT         none listed by ANSSI for this territory" : "CSIRT régional         aucun recensé par l'ANSSI pour ce territoire")
        }
        if let note = territory.note { lines.append("  ⚠ " + note.text(english: english)) }
        lines.append((english ? "ANSSI delegation       " : "Délégation ANSSI       ") + territory.anssiMailbox)
        lines.append((english ? "CERT-FR declaration    " : "Déclaration CERT-FR    ") + directory.national.certFRDeclaration)
        lines.append((english ? "NIS 2 declaration      " : "Déclaration NIS 2      ") + directory.national.nis2Declaration)
        lines.append((english ? "CERT-FR contacts       " : "Contacts CERT-FR       ") + directory.national.certFRContact)
        lines.append("17Cyber                " + directory.national.cyber17Website + " (" + (english ? "diagnostic: " : "diagnostic : ") + directory.national.cyber17Diagnostic + ")")
        lines.append("")
        lines.append(english ? "Source: \(directory.source), data of \(directory.version)" : "Source : \(directory.source), données du \(directory.version)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Recipient lines for a draft of `stage`.
    static func recipients(_ directory: CSIRTDirectory?, _ territory: CSIRTDirectory.Territory?, stage: IncidentStage) -> [String] {
        var lines: [String] = []
        if stage == .cnil {
            lines.append("CNIL : notification de violation de données personnelles par le téléservice de la CNIL (www.cnil.fr)")
        } else if let directory {
            lines.append("CERT-FR (ANSSI) : déclaration NIS 2 sur \(directory.national.nis2Declaration)")
        } else {
            lines.append("CERT-FR (ANSSI) : \(IncidentDraftText.unknown) (annuaire des CSIRT de cyberctl illisible ; la déclaration NIS 2 reste due à l'ANSSI)")
        }
        if let territory {
            if let csirt = territory.csirt {
                lines.append("CSIRT régional : \(csirt.name)\(csirt.phone.map { ", tél. \($0)" } ?? "")\(csirt.website.map { ", \($0)" } ?? "")")
            } else {
                lines.append("CSIRT régional : aucun recensé par l'ANSSI pour \(territory.name)")
            }
            lines.append("Délégation régionale de l'ANSSI : \(territory.anssiMailbox)")
        } else {
            lines.append("CSIRT régional : \(IncidentDraftText.unknown) (département de l'entité inconnu ; voir `cyberctl csirt --departement CODE`)")
        }
        if let directory { lines.append("17Cyber : \(directory.national.cyber17Website)") }
        return lines
    }
}

enum IncidentDraftText { static let unknown = "[À compléter]" }

enum CsirtJSON {
    struct Output: Encodable {
        var territory: String
        var departements: [String]
        var csirt: CSIRTDirectory.CSIRT?
        var note: LocalizedText?
        var anssiMailbox: String
        var national: CSIRTDirectory.National
        var source: String
        var version: String
    }

    static func encode(_ directory: CSIRTDirectory, _ territory: CSIRTDirectory.Territory) throws -> String {
        try ViewJSON.encode(Output(
            territory: territory.name, departements: territory.departements, csirt: territory.csirt, note: territory.note,
            anssiMailbox: territory.anssiMailbox, national: directory.national, source: directory.source, version: directory.version))
    }
}

