import Foundation
import Model
import Testing
import TestSupport

/// What a person reads from the built binary is French first: help texts carry the English in parentheses, and
/// error messages follow `--lang` (French by default), or say both, French first, where a command has no `--lang`.
/// Exit codes stay those of the README's table (64 for bad usage).
@Suite
struct MessageLanguageTests {
    /// Every argument, option and flag of every command in `--experimental-dump-help`, with its command path, and
    /// every command's abstract (name "abstract").
    static func argumentHelps() throws -> [(command: String, name: String, help: String)] {
        let output = try BuiltBinary.run(["--experimental-dump-help"])
        #expect(output.exitCode == 0, "\(output.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])
        var found: [(String, String, String)] = []
        func walk(_ command: [String: Any], path: String) {
            let name = (command["commandName"] as? String) ?? "?"
            let here = path.isEmpty ? name : path + " " + name
            // The parser's own `help` subcommand is not ours to translate.
            if name == "help" && !path.isEmpty { return }
            found.append((here, "abstract", command["abstract"] as? String ?? ""))
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                let label = names.first ?? (argument["valueName"] as? String) ?? "?"
                // The parser's own --help, -h and --version, and hidden options, are not ours to translate.
                if ["help", "h", "version"].contains(label) || argument["shouldDisplay"] as? Bool == false { continue }
                found.append((here, label, argument["abstract"] as? String ?? ""))
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, path: here) }
        }
        walk(try #require(root["command"] as? [String: Any]), path: "")
        return found
    }

    @Test("every help text and abstract of every command is French first, with the English in parentheses at the end")
    func helpTextsAreFrenchFirst() throws {
        let helps = try Self.argumentHelps()
        #expect(helps.count > 150, "the dump lists the commands' options: \(helps.count)")
        for (command, name, help) in helps {
            let english = help.range(of: " (", options: .backwards)
            #expect(help.hasSuffix(")."), "\(command) \(name): \(help)")
            #expect(english.map { help.distance(from: help.startIndex, to: $0.lowerBound) > 3 } == true, "\(command) \(name): \(help)")
        }
        let scan = try BuiltBinary.run(["scan", "--help"])
        #expect(scan.stdout.contains("Fichier du rapport"), "\(scan.stdout)")
        #expect(scan.stdout.contains("(report file)"), "\(scan.stdout)")
    }

    @Test("a validation error (cert --critical-days above --warning-days) is in French by default, in English with --lang en; exit 64")
    func validationErrorFollowsLang() throws {
        let french = try BuiltBinary.run(["cert", "--warning-days", "10", "--critical-days", "20", "/nonexistent.pem"])
        #expect(french.exitCode == 64, "\(french.stderr)")
        #expect(french.stderr.contains("Il faut 0 <= --critical-days <= --warning-days."), "\(french.stderr)")
        #expect(!french.stderr.contains("Please give"), "\(french.stderr)")

        let english = try BuiltBinary.run(["cert", "--warning-days", "10", "--critical-days", "20", "/nonexistent.pem", "--lang", "en"])
        #expect(english.exitCode == 64, "\(english.stderr)")
        #expect(english.stderr.contains("Please give 0 <= --critical-days <= --warning-days."), "\(english.stderr)")
        #expect(!english.stderr.contains("Il faut"), "\(english.stderr)")
    }

    @Test("a validation error of a view (territory entity with a bad SIREN) follows --lang; exit 64")
    func viewValidationFollowsLang() throws {
        let french = try BuiltBinary.run(["territory", "entity", "123456789"])
        #expect(french.exitCode == 64, "\(french.stderr)")
        #expect(french.stderr.contains("SIREN 123456789 : 9 chiffres avec une clé de Luhn valide sont attendus."), "\(french.stderr)")
        let english = try BuiltBinary.run(["territory", "entity", "123456789", "--lang", "en"])
        #expect(english.exitCode == 64, "\(english.stderr)")
        #expect(english.stderr.contains("SIREN 123456789: expected 9 digits with a valid Luhn check digit."), "\(english.stderr)")
    }

    @Test("an input error raised by a command (incident id, --within) follows --lang, after `cyberctl:`; exit 64")
    func inputErrorFollowsLang() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-lang")
        let db = folder.url("territory.sqlite")
        // incident open never creates a store: one is made by importing a roster (as the walkthrough does).
        let roster = try folder.write("roster.yaml", "territory:\n  name: Communauté de communes\n  siren: \"242900645\"\nmembers:\n  - name: Commune\n    siren: \"212900195\"\n")
        #expect(try BuiltBinary.run(["territory", "roster", "import", roster, "--db", db]).exitCode == 0)
        let opened = try BuiltBinary.run([
            "incident", "open", "--title", "Hameçonnage", "--aware-at", "2026-03-01T08:00Z", "--now", "2026-03-01T09:00Z",
            "--db", db, "--agent-config", folder.url("no-agent.yaml"),
        ])
        #expect(opened.exitCode == 0, "\(opened.stderr)")

        let french = try BuiltBinary.run(["incident", "show", "abc", "--db", db])
        #expect(french.exitCode == 64, "\(french.stderr)")
        #expect(french.stderr.contains("cyberctl: numéro d'incident \"abc\" : un nombre est attendu"), "\(french.stderr)")
        let english = try BuiltBinary.run(["incident", "show", "abc", "--db", db, "--lang", "en"])
        #expect(english.exitCode == 64, "\(english.stderr)")
        #expect(english.stderr.contains("cyberctl: incident id \"abc\": expected a number such as 3"), "\(english.stderr)")

        let soon = try BuiltBinary.run(["incident", "due", "--within", "soon", "--db", db])
        #expect(soon.exitCode == 64, "\(soon.stderr)")
        #expect(soon.stderr.contains("--within \"soon\" : une durée est attendue"), "\(soon.stderr)")
        let soonEN = try BuiltBinary.run(["incident", "due", "--within", "soon", "--db", db, "--lang", "en"])
        #expect(soonEN.exitCode == 64, "\(soonEN.stderr)")
        #expect(soonEN.stderr.contains("--within \"soon\": expected a duration such as 24h"), "\(soonEN.stderr)")
    }

    @Test("without --lang (pki issue), an error says both, French first; exit 64")
    func noLangSaysBothFrenchFirst() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-lang")
        let output = try BuiltBinary.run(["pki", "issue", folder.url("collector.csr"), "--server", "--dir", folder.url("pki")])
        #expect(output.exitCode == 64, "\(output.stderr)")
        let french = try #require(output.stderr.range(of: "--server demande au moins un --san"), "\(output.stderr)")
        let english = try #require(output.stderr.range(of: "(--server needs at least one --san)"), "\(output.stderr)")
        #expect(french.lowerBound < english.lowerBound)
    }

    @Test("a validation error of push (--timeout 0) is in French by default, in English with --lang en; exit 64")
    func pushValidationFollowsLang() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-lang")
        let arguments = ["push", "--timeout", "0", "--config", folder.url("no-agent.yaml"), "--outbox", folder.url("outbox")]
        let french = try BuiltBinary.run(arguments)
        #expect(french.exitCode == 64, "\(french.stderr)")
        #expect(french.stderr.contains("--timeout \"0\" : une durée est attendue"), "\(french.stderr)")
        #expect(french.stderr.contains("supérieure à 0 et d'au plus 3600 secondes"), "\(french.stderr)")
        #expect(!french.stderr.contains("expected a duration"), "\(french.stderr)")

        let english = try BuiltBinary.run(arguments + ["--lang", "en"])
        #expect(english.exitCode == 64, "\(english.stderr)")
        #expect(english.stderr.contains("--timeout \"0\": expected a duration such as"), "\(english.stderr)")
        #expect(english.stderr.contains("greater than 0 and at most 3600 seconds"), "\(english.stderr)")
        #expect(!english.stderr.contains("une durée"), "\(english.stderr)")
        // Nothing was created: validation comes before any work.
        #expect(!FileManager.default.fileExists(atPath: folder.url("outbox")))
    }

    @Test("collect has no --lang: its validation errors say both, French first; exit 64")
    func collectSaysBothFrenchFirst() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-lang")
        let common = ["--tls-cert", folder.url("c.pem"), "--tls-key", folder.url("k.pem"), "--ca", folder.url("ca.pem"), "--inbox", folder.url("inbox")]
        let cases: [(arguments: [String], french: String, english: String)] = [
            (["--listen", "localhost"], "--listen \"localhost\" : ADRESSE:PORT est attendu", "(--listen \"localhost\": expected ADDR:PORT"),
            (["--listen", "127.0.0.1:0", "--max-body-bytes", "10"], "--max-body-bytes 10 : une valeur de 1024 à 268435456 est attendue",
             "(--max-body-bytes 10: expected a value from 1024 to 268435456)"),
            (["--listen", "127.0.0.1:0", "--rate", "0/min"], "--rate \"0/min\" : N/min est attendu avec N de 1 à 100000",
             "(--rate \"0/min\": expected N/min with N from 1 to 100000"),
            (["--listen", "127.0.0.1:0", "--workers", "0"], "--workers 0 : une valeur de 1 à 256 est attendue", "(--workers 0: expected a value from 1 to 256)"),
        ]
        for (arguments, frenchText, englishText) in cases {
            let output = try BuiltBinary.run(["collect"] + arguments + common)
            #expect(output.exitCode == 64, "\(arguments): \(output.stderr)")
            let french = try #require(output.stderr.range(of: frenchText), "\(arguments): \(output.stderr)")
            let english = try #require(output.stderr.range(of: englishText), "\(arguments): \(output.stderr)")
            #expect(french.lowerBound < english.lowerBound)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.url("inbox")))
    }

    /// A report that cannot be written (`--out`): the cause is in the user's language too, the system's errno text
    /// only with `--lang en`; exit 74. /proc takes no new file (the temporary file beside the target fails with
    /// ENOENT), a path through a file is ENOTDIR, and a folder `nobody` may not write is EACCES (run as `nobody`:
    /// root writes anywhere).
    @Test(arguments: [
        ("/proc/version", "fichier ou dossier absent", "No such file or directory", false),
        ("FILE/report.json", "n'est pas un dossier", "Not a directory", false),
        ("LOCKED/report.json", "permission refusée", "Permission denied", true),
    ])
    func anOutputFileThatCannotBeWrittenSaysWhyInTheUsersLanguage(_ target: String, _ french: String, _ english: String, _ asNobody: Bool) throws {
        let folder = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        _ = try folder.write("file", "x")
        let locked = try folder.makeDirectory("locked")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked)
        let path = target.replacingOccurrences(of: "FILE", with: folder.url("file")).replacingOccurrences(of: "LOCKED", with: locked)
        func run(_ language: [String]) throws -> Command.Output {
            let arguments = ["scan", "--root", folder.path, "--only", "patches", "--out", path] + language
            if asNobody {
                return try Command.run(
                    "/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", try BuiltBinary.path] + arguments, currentDirectory: "/")
            }
            return try BuiltBinary.run(arguments)
        }
        let inFrench = try run([])
        #expect(inFrench.exitCode == 74, "\(inFrench.stderr)")
        #expect(inFrench.stderr.contains("cyberctl: \(path): impossible de créer un fichier temporaire : \(french)"), "\(inFrench.stderr)")
        #expect(!inFrench.stderr.contains(english), "\(inFrench.stderr)")
        let inEnglish = try run(["--lang", "en"])
        #expect(inEnglish.exitCode == 74, "\(inEnglish.stderr)")
        #expect(inEnglish.stderr.contains("cyberctl: \(path): cannot create a temporary file: \(english)"), "\(inEnglish.stderr)")
        #expect(!FileManager.default.fileExists(atPath: locked + "/report.json"))
    }

    @Test func systemErrorsHaveFrenchWords() {
        #expect(SystemErrorText.french(EROFS) == "système de fichiers en lecture seule")
        #expect(SystemErrorText.english(EROFS) == "Read-only file system")
        #expect(SystemErrorText.french(ENOSPC) == "plus de place sur le périphérique")
        // An errno without a French wording keeps the system's text rather than saying nothing.
        #expect(SystemErrorText.french(ECONNREFUSED) == "Connection refused")
    }
}
