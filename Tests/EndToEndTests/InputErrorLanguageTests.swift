import Foundation
import Testing
import TestSupport

/// The file:line errors of what people write by hand — profiles, agent.yaml, NIS 2 answers, the territory
/// roster — read in French by default and in English with `--lang en`, each message whole in one language,
/// from the built binary. Exit codes stay the README's (65 bad data, 66 missing).
@Suite
struct InputErrorLanguageTests {
    /// Runs `arguments` in French (default) and with `--lang en`; checks the exit code, that each output holds
    /// its fragment and not the other's, and that the French one has no English word (`EnglishWords`), the
    /// file's YAML key names in `allowed` excepted.
    func expectBoth(
        _ arguments: [String], exit: Int32, french: String, english: String, allowed: Set<String> = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let fr = try BuiltBinary.run(arguments)
        #expect(fr.exitCode == exit, "\(fr.stderr)", sourceLocation: sourceLocation)
        #expect(fr.stderr.contains(french), "\(fr.stderr)", sourceLocation: sourceLocation)
        #expect(!fr.stderr.contains(english), "\(fr.stderr)", sourceLocation: sourceLocation)
        // The paths are the test's own temporary files: only the messages are checked for English.
        let messages = fr.stderr.split(separator: "\n").map { line in
            line.split(separator: " ").filter { !$0.hasPrefix("/") }.joined(separator: " ")
        }.joined(separator: "\n")
        #expect(
            EnglishWords.found(in: messages, allowed: allowed).isEmpty,
            "English in French output: \(EnglishWords.found(in: messages, allowed: allowed)) — \(fr.stderr)", sourceLocation: sourceLocation)

        let en = try BuiltBinary.run(arguments + ["--lang", "en"])
        #expect(en.exitCode == exit, "\(en.stderr)", sourceLocation: sourceLocation)
        #expect(en.stderr.contains(english), "\(en.stderr)", sourceLocation: sourceLocation)
        #expect(!en.stderr.contains(french), "\(en.stderr)", sourceLocation: sourceLocation)
    }

    @Test("a profile with an unknown key, a wrong type, or missing: French by default, English with --lang en")
    func badProfile() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-errors")
        let root = try folder.makeDirectory("root")
        let agent = try folder.write("agent.yaml", "entity:\n  name: Commune\n")
        let unknown = try folder.write("inconnue.yaml", "name: essai\nchecks:\n  cert.files:\nbogus: 1\n")
        try expectBoth(
            ["scan", "--profile", unknown, "--root", root, "--config", agent, "--out", folder.url("r.json")],
            exit: 65, french: "inconnue.yaml:4:1: clé inconnue « bogus » (profil) ; clés possibles : name, description, checks",
            english: "inconnue.yaml:4:1: unknown key \"bogus\" in profile; expected one of: name, description, checks")
        let noChecks = try folder.write("nochecks.yaml", "name: essai\n")
        try expectBoth(
            ["scan", "--profile", noChecks, "--root", root, "--config", agent, "--out", folder.url("r.json")],
            exit: 65, french: "clé « checks » absente", english: "missing key \"checks\"")
        try expectBoth(
            ["scan", "--profile", folder.url("absent.yaml"), "--root", root, "--config", agent],
            exit: 66, french: "absent.yaml: profil introuvable", english: "absent.yaml: profile not found")
    }

    @Test("agent.yaml with a bad SIREN, an unknown key or a bad collector URL: French by default, English with --lang en")
    func badAgentConfiguration() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-errors")
        let root = try folder.makeDirectory("root")
        func scan(_ config: String) -> [String] {
            ["scan", "--config", config, "--root", root, "--profile", "default", "--out", folder.url("r.json")]
        }
        let siren = try folder.write("siren.yaml", "entity:\n  name: Commune\n  siren: \"123456789\"\n")
        try expectBoth(
            scan(siren), exit: 65, french: "siren.yaml:3:10: entity, clé « siren » : il faut 9 chiffres avec une clé de Luhn valide, trouvé \"123456789\"",
            english: "siren.yaml:3:10: entity key \"siren\": expected 9 digits with a valid Luhn check digit, found \"123456789\"")
        let unknown = try folder.write("inconnue.yaml", "entity:\n  name: Commune\ncolector:\n  url: https://c.example.fr\n")
        try expectBoth(
            scan(unknown), exit: 65, french: "clé inconnue « colector » (configuration de l'agent)",
            english: "unknown key \"colector\" in agent configuration")
        let url = try folder.write("adresse.yaml", "collector:\n  url: http://c.example.fr\n  ca: ca.pem\n")
        try expectBoth(
            scan(url), exit: 65, french: "collector, clé « url » : « http://c.example.fr » : une URL https:// est attendue",
            english: "collector key \"url\": \"http://c.example.fr\": expected an https:// URL")
        let population = try folder.write("population.yaml", "entity:\n  population: beaucoup\n")
        try expectBoth(
            scan(population), exit: 65, french: "entity (collectivité), clé « population » : il faut un nombre entier",
            english: "entity key \"population\": expected a whole number")
    }

    @Test("a NIS 2 answers file with a bad status and an unknown item: every problem in one language")
    func badAnswers() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-errors")
        let answers = try folder.write("answers.yaml", """
            answers:
              a.analyse-risques:
                status: peut-être
              a.analyse-risque: {status: oui}
            """)
        try expectBoth(
            ["assess", "--check", answers], exit: 65,
            french: "answers.yaml:3: a.analyse-risques : statut « peut-être » : l'une de ces réponses est attendue : oui, partiel, non, ne sais pas, sans objet",
            english: "answers.yaml:3: a.analyse-risques: status \"peut-être\": expected one of oui, partiel, non, ne sais pas, sans objet",
            allowed: [])
        let en = try BuiltBinary.run(["assess", "--check", answers, "--lang", "en"])
        #expect(en.stderr.contains("unknown item \"a.analyse-risque\"; did you mean \"a.analyse-risques\"?"), "\(en.stderr)")
        let fr = try BuiltBinary.run(["assess", "--check", answers])
        #expect(fr.stderr.contains("question inconnue « a.analyse-risque » ; vouliez-vous dire « a.analyse-risques » ?"), "\(fr.stderr)")
    }

    @Test("a roster with several problems lists them all in the language asked, never mixed")
    func badRoster() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-errors")
        let roster = try folder.write("roster.yaml", """
            territory:
              name: Communauté de communes
              siren: "242900645"
            members:
              - name: Commune A
                siren: "123456789"
              - name: Commune B
                siren: "212900195"
                contacts:
                  maire: {email: pas-une-adresse}
                couleur: bleu
            """)
        let fr = try BuiltBinary.run(["territory", "roster", "check", roster])
        #expect(fr.exitCode == 65, "\(fr.stderr)")
        let frLines = fr.stderr.split(separator: "\n")
        #expect(frLines.count == 3, "\(fr.stderr)")
        #expect(fr.stderr.contains("roster.yaml:6:12: members[0], clé « siren » : il faut 9 chiffres avec une clé de Luhn valide"), "\(fr.stderr)")
        #expect(fr.stderr.contains("members[1] contacts.maire, clé « email » : une adresse électronique est attendue"), "\(fr.stderr)")
        #expect(fr.stderr.contains("clé inconnue « couleur » dans members[1]"), "\(fr.stderr)")
        let messages = frLines.map { $0.split(separator: ":").dropFirst(4).joined(separator: ":") }.joined(separator: "\n")
        #expect(EnglishWords.found(in: messages).isEmpty, "\(EnglishWords.found(in: messages)) — \(fr.stderr)")

        let en = try BuiltBinary.run(["territory", "roster", "check", roster, "--lang", "en"])
        #expect(en.exitCode == 65, "\(en.stderr)")
        #expect(en.stderr.split(separator: "\n").count == 3, "\(en.stderr)")
        #expect(en.stderr.contains("members[0] key \"siren\": expected 9 digits with a valid Luhn check digit"), "\(en.stderr)")
        #expect(en.stderr.contains("members[1] contacts.maire key \"email\": expected an e-mail address"), "\(en.stderr)")
        #expect(en.stderr.contains("unknown key \"couleur\" in members[1]"), "\(en.stderr)")
        for french in ["clé", "attendu", "adresse électronique"] { #expect(!en.stderr.contains(french), "\(en.stderr)") }
    }

    @Test("argument-parser's own messages (unknown option, bad enum value, missing argument) in French by default; 64")
    func parserMessages() throws {
        let unknown = try BuiltBinary.run(["scan", "--bogus"])
        #expect(unknown.exitCode == 64, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("Erreur : option inconnue '--bogus'"), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("Utilisation : cyberctl scan"), "\(unknown.stderr)")
        let value = try BuiltBinary.run(["scan", "--lang", "xx"])
        #expect(value.exitCode == 64, "\(value.stderr)")
        #expect(value.stderr.contains("Erreur : la valeur 'xx' n'est pas valable pour '--lang <lang>'. Valeurs possibles : 'fr' et 'en'."), "\(value.stderr)")
        let missing = try BuiltBinary.run(["tls"])
        #expect(missing.exitCode == 64, "\(missing.stderr)")
        #expect(missing.stderr.contains("Erreur : argument attendu manquant '<endpoints> ...'"), "\(missing.stderr)")
        for output in [unknown, value, missing] {
            // The `Aide :` line quotes the option's help, French first with the English in parentheses by design.
            let text = output.stderr.split(separator: "\n").filter { !$0.hasPrefix("Aide :") }.joined(separator: "\n")
            #expect(EnglishWords.found(in: text).isEmpty, "\(EnglishWords.found(in: text)): \(output.stderr)")
        }
        let english = try BuiltBinary.run(["scan", "--bogus", "--lang", "en"])
        #expect(english.exitCode == 64 && english.stderr.contains("Error: Unknown option '--bogus'"), "\(english.stderr)")
    }
}
