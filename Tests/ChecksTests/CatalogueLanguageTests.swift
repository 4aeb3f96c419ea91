import Checks
import Model
import Testing
import TestSupport

/// Every rule of the catalogue reads in French under `--lang fr` (the default): no English left in a French title,
/// explanation or remediation, and the English text is a translation, not a copy.
@Suite("catalogue language")
struct CatalogueLanguageTests {
    @Test("every French rule text is free of English words; the English one differs")
    func frenchTextsAreFrench() {
        #expect(Catalogue.rules.count > 50)
        for (code, rule) in Catalogue.rules.sorted(by: { $0.key < $1.key }) {
            for (part, text) in [("title", rule.french.title), ("explanation", rule.french.explanation), ("remediation", rule.french.remediation)] {
                let english = EnglishWords.found(in: text)
                #expect(english.isEmpty, "\(code) \(part): \(english) in « \(text) »")
            }
            #expect(rule.french.title != rule.english.title, "\(code): same title in both languages")
        }
    }

    @Test("status and severity words follow the language")
    func vocabulary() {
        #expect(Severity.allCases.map { $0.label(.fr) } == ["info", "faible", "moyenne", "haute", "critique"])
        #expect(Severity.allCases.map { $0.label(.en) } == ["info", "low", "medium", "high", "critical"])
        #expect(Status.allCases.map { $0.label(.fr) } == ["OK", "ATTENTION", "ÉCHEC", "ERREUR", "IGNORÉ"])
        #expect(Status.allCases.map { $0.label(.en) } == ["PASS", "WARN", "FAIL", "ERROR", "SKIP"])
    }

    @Test("the English-word finder finds English and spares French and code spans")
    func finder() {
        #expect(EnglishWords.found(in: "no territory store here") == ["no"])
        #expect(EnglishWords.found(in: "an agent key already exists; give --force") == ["give"])
        #expect(EnglishWords.found(in: "Mettre à jour avec `apt-get upgrade --with-new-pkgs` ou l'équivalent").isEmpty)
        #expect(EnglishWords.found(in: "Le certificat n'est plus valide depuis l'an dernier, or il sert encore.").isEmpty)
        // Names and quoted text are not prose: a path, a host name, a line quoted between « and ».
        #expect(EnglishWords.found(in: "/run/reboot-required est absent ; missing.test n'existe pas (NXDOMAIN).").isEmpty)
        #expect(EnglishWords.found(in: "la ligne « not a line » n'est pas de la forme clé: valeur").isEmpty)
        // English outside them is still found.
        #expect(EnglishWords.found(in: "la ligne « x » is not valid: missing.test") == ["is", "not"])
    }
}
