import Foundation
import TestSupport
import Testing

/// docs/rssi-walkthrough.md, executed: every `sh` block of the page, step after step, in an empty folder, with the
/// built `cyberctl` first in PATH, one configuration file (`$CYBERCTL_RSSI_CONFIG`, set by the page itself) and
/// no `--db` anywhere (issue 14, "Done when"). The page is the test's script, so it cannot go stale.
///
/// Each step runs through `/bin/sh -c` exactly as written, with three substitutions a test on a shared machine
/// needs: the collector's port 8443 becomes a free port; `cyberctl collect … &` is started as a background server
/// (posix_spawn, stopped by the test) instead of a shell job; and `cyberctl scan` scans a fixture root (a host
/// named srv-mairie with an expired Let's Encrypt certificate) instead of this machine (`--root` added).
/// `export NAME=VALUE` lines set the environment of the steps after them (the value expanded by sh). A trailing
/// `# code N` comment is the exit code the step must end with (0 otherwise).
@Suite("The RSSI walkthrough of the docs, run as written")
struct RSSIWalkthroughTests {
    static let page = BuiltBinary.packageRoot + "/docs/rssi-walkthrough.md"

    /// One command of the page (a line, with its continuation lines or its here-document).
    struct Step {
        var text: String
        var expectedExit: Int32
    }

    /// The steps of every ```sh block of `markdown`, in order.
    static func steps(_ markdown: String) -> [Step] {
        var steps: [Step] = []
        var inBlock = false
        var lines: [String] = []
        for line in markdown.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if inBlock { inBlock = false } else if line == "```sh" { inBlock = true }
                continue
            }
            if inBlock { lines.append(line) }
        }
        var index = 0
        while index < lines.count {
            var text = lines[index]
            index += 1
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            // A here-document (`<<'EOF'` or `<<EOF`): the lines up to its marker belong to the step.
            if let range = text.range(of: "<<") {
                let marker = String(text[range.upperBound...].filter { $0 != "'" && $0 != "\"" }.prefix { !$0.isWhitespace })
                while index < lines.count {
                    text += "\n" + lines[index]
                    index += 1
                    if lines[index - 1] == marker { break }
                }
            }
            while text.hasSuffix("\\"), index < lines.count {
                text += "\n" + lines[index]
                index += 1
            }
            var expected: Int32 = 0
            if let range = text.range(of: "# code ", options: .backwards), let code = Int32(text[range.upperBound...].prefix { $0.isNumber }) {
                expected = code
            }
            steps.append(Step(text: text, expectedExit: expected))
        }
        return steps
    }

    /// A fixture root: the host srv-mairie, Debian 12, and an expired certificate where Let's Encrypt keeps it.
    static func fixtureRoot(_ folder: TemporaryDirectory) throws -> String {
        try folder.write("root/etc/hostname", "srv-mairie\n")
        try folder.write("root/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        let factory = try CertificateFactory(folder: folder.url("factory"))
        let expired = try factory.issue(
            name: "mairie", subject: "/CN=www.plouzane.example.fr", sans: ["DNS:www.plouzane.example.fr"],
            notBefore: Date().addingTimeInterval(-400 * 86_400), notAfter: Date().addingTimeInterval(-12 * 86_400))
        try folder.write("root/etc/letsencrypt/live/mairie/cert.pem", expired.pem)
        return folder.url("root")
    }

    @Test("docs/rssi-walkthrough.md runs as written, in order, with one configuration and no --db")
    func walkthrough() throws {
        let markdown = try String(contentsOfFile: Self.page, encoding: .utf8)
        let steps = Self.steps(markdown)
        // The page's own promises: one configuration file, never a --db, the whole tour present.
        #expect(!steps.contains { $0.text.contains("--db") })
        #expect(steps.filter { $0.text.contains("rssi.yaml") && $0.text.hasPrefix("cat >") }.count == 1)
        for command in [
            "cyberctl pki init", "cyberctl collect", "cyberctl enroll", "cyberctl push", "cyberctl consolidate", "cyberctl territory roster import",
            "cyberctl territory status", "cyberctl territory findings", "cyberctl territory certificates", "cyberctl territory alerts",
            "cyberctl territory digest", "cyberctl summary", "cyberctl incident open", "cyberctl incident show", "cyberctl incident update", "cyberctl incident due",
        ] {
            #expect(steps.contains { $0.text.hasPrefix(command) }, "the walkthrough lacks \(command)")
        }

        let folder = try TemporaryDirectory(prefix: "cyberctl-walkthrough")
        let work = try folder.makeDirectory("rssi")
        let root = try Self.fixtureRoot(folder)
        let port = try BackgroundServer.freePort()
        let binaries = URL(fileURLWithPath: try BuiltBinary.path).deletingLastPathComponent().path
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = binaries + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["HOME"] = folder.url("home")
        environment["XDG_DATA_HOME"] = nil
        environment["CYBERCTL_RSSI_CONFIG"] = nil
        var collector: BackgroundServer?
        defer { collector?.stop() }
        var outputs: [String: Command.Output] = [:]

        for step in steps {
            var text = step.text.replacingOccurrences(of: "8443", with: String(port))
            if text.hasPrefix("cyberctl scan ") { text = "cyberctl scan --root '\(root)' " + text.dropFirst("cyberctl scan ".count) }
            if text.hasPrefix("export ") {
                let assignment = text.dropFirst("export ".count)
                let equals = try #require(assignment.firstIndex(of: "="))
                let value = try Command.run("/bin/sh", ["-c", "printf %s " + assignment[assignment.index(after: equals)...]], environment: environment, currentDirectory: work)
                environment[String(assignment[..<equals])] = value.stdout
                continue
            }
            if text.hasPrefix("cyberctl collect ") {
                var command = text.trimmingCharacters(in: .whitespaces)
                if command.hasSuffix("&") { command.removeLast() }
                let exports = environment.filter { ["PATH", "HOME", "CYBERCTL_RSSI_CONFIG"].contains($0.key) }
                    .map { "export \($0.key)='\($0.value)'" }.joined(separator: "; ")
                collector = try BackgroundServer("/bin/sh", ["-c", "cd '\(work)' && \(exports) && exec \(command)"], port: port, folder: folder.path)
                continue
            }
            let output = try Command.run("/bin/sh", ["-c", text], environment: environment, currentDirectory: work)
            #expect(output.exitCode == step.expectedExit, "step `\(text)` ended \(output.exitCode):\n\(output.stderr)\n\(output.stdout)")
            outputs[step.text] = output
        }

        // What the tour must have produced.
        let store = work + "/territory.sqlite"
        #expect(FileManager.default.fileExists(atPath: store))
        #expect(!FileManager.default.fileExists(atPath: folder.url("home/.local/share/cyberctl/territory.sqlite")), "a second store appeared")
        let collectLog = collector?.output ?? ""
        #expect(collectLog.contains("base du territoire créée (territory store created) : \(store)"), "\(collectLog)")
        #expect(collectLog.contains("status=201"), "\(collectLog)")
        func output(_ prefix: String) -> Command.Output? { outputs.first { $0.key.hasPrefix(prefix) }?.value }
        #expect(output("cyberctl push")?.stdout.contains("remis (HTTP 201") == true, "\(output("cyberctl push")?.stdout ?? "")")
        #expect(output("cyberctl territory status")?.stdout.contains("Commune de Plouzané") == true)
        #expect(output("cyberctl territory alerts")?.stdout.contains("Commune de Locmaria-Plouzané") == true)
        let digest = try #require(output("cyberctl territory digest --entity \"212 901 896\""))
        #expect(digest.stdout.contains("Bonjour Claire Le Gall, Yann Kerjean,"), "\(digest.stdout)")
        #expect(digest.stdout.contains("Expiré le"), "\(digest.stdout)")
        let html = try String(contentsOfFile: work + "/point-locmaria.html", encoding: .utf8)
        #expect(html.contains("Bonjour Anne Morvan,") && html.contains("ni en bien ni en mal"), "\(html)")
        #expect(output("cyberctl incident show 1")?.stdout.contains("Hameçonnage à la mairie") == true)
        #expect(output("cyberctl incident update 1")?.stdout.contains("CNIL") == true, "\(output("cyberctl incident update 1")?.stdout ?? "")")
    }
}
