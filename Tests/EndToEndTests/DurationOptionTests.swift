import Foundation
import Testing
import TestSupport

/// Every duration option of the built binary reads the same units, French or English (`60d`, `60j`, `8w`, `8sem`,
/// `24h`), documents them in its help, and refuses anything else with exit 64 naming the option and the forms it
/// accepts (issue 18).
@Suite
struct DurationOptionTests {
    /// Every duration option, with the other arguments its command needs to get as far as validation.
    static let options: [(arguments: [String], option: String)] = [
        (["territory", "certificates"], "--expiring"),
        (["territory", "agents"], "--expiring"),
        (["cert", "/nonexistent.pem"], "--warning-days"),
        (["cert", "/nonexistent.pem"], "--critical-days"),
        (["tls", "127.0.0.1:1"], "--warning-days"),
        (["tls", "127.0.0.1:1"], "--critical-days"),
        (["tls", "127.0.0.1:1"], "--connection-timeout"),
        (["tls", "127.0.0.1:1"], "--endpoint-deadline"),
        (["push", "--config", "/nonexistent/agent.yaml", "--outbox", "/nonexistent/outbox"], "--connect-timeout"),
        (["push", "--config", "/nonexistent/agent.yaml", "--outbox", "/nonexistent/outbox"], "--timeout"),
        (["incident", "due", "--db", "/nonexistent/territory.sqlite"], "--within"),
        (["territory", "alerts", "--db", "/nonexistent/territory.sqlite"], "--within"),
        (["domain", "example.fr", "--trust-anchor", "/nonexistent/root.key"], "--dns-timeout"),
        (["domain", "example.fr", "--trust-anchor", "/nonexistent/root.key"], "--connection-timeout"),
        (["domain", "example.fr", "--trust-anchor", "/nonexistent/root.key"], "--domain-deadline"),
    ]

    @Test("an invalid duration exits 64 naming the option, what was typed and the units, in French by default and in English with --lang en")
    func invalidDurationsFollowLang() throws {
        for (arguments, option) in Self.options {
            let french = try BuiltBinary.run(arguments + [option, "6x"])
            #expect(french.exitCode == 64, "\(arguments) \(option): \(french.stderr)")
            #expect(french.stderr.contains("\(option) \"6x\" : une durée est attendue"), "\(option): \(french.stderr)")
            #expect(french.stderr.contains("unités : s, min (ou m), h, j (ou d), sem (ou w)"), "\(option): \(french.stderr)")
            let english = try BuiltBinary.run(arguments + [option, "6x", "--lang", "en"])
            #expect(english.exitCode == 64, "\(arguments) \(option): \(english.stderr)")
            #expect(english.stderr.contains("\(option) \"6x\": expected a duration such as"), "\(option): \(english.stderr)")
            #expect(english.stderr.contains("units: s, min (or m), h, d (or j), w (or sem)"), "\(option): \(english.stderr)")
            #expect(!english.stderr.contains("une durée"), "\(option): \(english.stderr)")
        }
    }

    @Test("every duration option accepts French and English units: 2sem, 2w, 14j, 14d, 336h")
    func unitsAreAccepted() throws {
        // Accepted means validation passes: the command then fails later on the missing file or store, or on the
        // refused connection to 127.0.0.1:1, never with 64.
        for (arguments, option) in Self.options {
            let seconds = option.contains("timeout") || option.contains("deadline")
            for value in seconds ? ["1min", "60s", "60", "1 min"] : ["2sem", "2w", "14j", "14d", "336h"] {
                let output = try BuiltBinary.run(arguments + [option, value], timeout: 60)
                #expect(!output.timedOut)
                #expect(output.output.exitCode != 64, "\(arguments) \(option) \(value): \(output.output.stderr)")
            }
        }
    }

    @Test("a number of days must be whole (36h is refused, 48h is 2 days); --within needs a unit; pki issue --days says both languages")
    func wholeDaysAndUnits() throws {
        let half = try BuiltBinary.run(["cert", "/nonexistent.pem", "--warning-days", "36h"])
        #expect(half.exitCode == 64, "\(half.stderr)")
        #expect(half.stderr.contains("en jours entiers, de 0 à 36500 jours"), "\(half.stderr)")
        let bare = try BuiltBinary.run(["incident", "due", "--within", "24", "--db", "/nonexistent/territory.sqlite"])
        #expect(bare.exitCode == 64, "\(bare.stderr)")
        #expect(bare.stderr.contains("l'unité est obligatoire sauf pour 0"), "\(bare.stderr)")
        let folder = try TemporaryDirectory(prefix: "cyberctl-duration")
        let pki = try BuiltBinary.run(["pki", "issue", folder.url("agent.csr"), "--dir", folder.url("pki"), "--days", "900j"])
        #expect(pki.exitCode == 64, "\(pki.stderr)")
        let french = try #require(pki.stderr.range(of: "--days \"900j\" : une durée est attendue"), "\(pki.stderr)")
        let english = try #require(pki.stderr.range(of: "(--days \"900j\": expected a duration such as"), "\(pki.stderr)")
        #expect(french.lowerBound < english.lowerBound)
        #expect(pki.stderr.contains("supérieure à 0 et d'au plus 825 jours"), "\(pki.stderr)")
    }

    @Test("French and English units set the same threshold on a real certificate (20 days left): 3sem = 3w = 21j = 504h warn, 2sem passes")
    func sameThresholdOnACertificate() throws {
        let directory = try TemporaryDirectory(prefix: "cyberctl-duration")
        let factory = try CertificateFactory(folder: directory.url("work"))
        let soon = try factory.issue(name: "soon", subject: "/CN=soon.test", notAfter: Date() + 20 * 86_400 + 3600)
        func status(_ warning: String, _ critical: String) throws -> String? {
            let output = try BuiltBinary.run(["cert", soon.certificatePath, "--warning-days", warning, "--critical-days", critical, "--format", "json"])
            let root = try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any]
            let results = root?["results"] as? [[String: Any]] ?? []
            return results.first { $0["code"] as? String == "cert.expiry" }?["status"] as? String
        }
        for warning in ["3sem", "3w", "21j", "21d", "21", "504h"] {
            #expect(try status(warning, "1sem") == "warn", "\(warning)")
        }
        #expect(try status("2sem", "1w") == "pass")
        #expect(try status("4 semaines", "3 sem") == "fail", "critical under 21 days: fail")
    }

    @Test("every duration option's help names the French and English units")
    func helpDocumentsUnits() throws {
        for (arguments, option) in Self.options + [(["pki", "issue"], "--days")] {
            let command = Array(arguments.prefix { $0.allSatisfy(\.isLetter) })
            let help = try BuiltBinary.run(command + ["--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            // The option's own entry under OPTIONS, after the usage line that names it too.
            let start = try #require(help.range(of: option + " <", options: .backwards), "\(command) \(option): \(help)")
            let text = help[start.upperBound...].prefix(700)
            #expect(text.contains("s, min, h, j ou d, sem ou w"), "\(command) \(option): \(text)")
            #expect(text.contains("s, min, h, d or j, w or sem"), "\(command) \(option): \(text)")
        }
    }
}
