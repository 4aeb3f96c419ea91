import Checks
import Model
import NIS2

/// `DeclaredDomain`'s problems (Sources/Checks, English only) in both languages, for the errors of
/// `agent.yaml`, the roster and the command line. The rule stays `DeclaredDomain`'s: this only words its
/// answer, recognised by its form.
public enum DomainWording {
    /// Why `name` is not a usable domain name (`DeclaredDomain.problem`), nil when it is.
    public static func problem(_ name: String) -> LocalizedText? {
        guard let english = DeclaredDomain.problem(name) else { return nil }
        let french: String
        if DeclaredDomain.normalised(name).isEmpty {
            french = "nom de domaine vide"
        } else if english.contains("253") {
            french = "« \(name) » dépasse 253 caractères"
        } else if english.contains("two labels") {
            french = "« \(name) » : un nom de domaine d'au moins deux étiquettes est attendu (mairie-exemple.fr)"
        } else {
            french = "« \(name) » : lettres, chiffres et traits d'union attendus, en étiquettes de 1 à 63 caractères (les noms internationalisés sous leur forme xn--)"
        }
        return LocalizedText(fr: french, en: english)
    }

    /// Why `selector` is not a DKIM selector (`DeclaredDomain.selectorProblem`), nil when it is.
    public static func selectorProblem(_ selector: String) -> LocalizedText? {
        guard let english = DeclaredDomain.selectorProblem(selector) else { return nil }
        return LocalizedText(
            fr: "sélecteur DKIM « \(selector) » : lettres, chiffres, traits d'union, séparés par des points attendus", en: english)
    }
}
