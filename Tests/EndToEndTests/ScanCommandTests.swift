import Foundation
import Model
import Testing
import TestSupport

/// The built `cyberctl` run as a user would run it.
@Suite(.serialized) struct ScanCommandTests {
    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func schemaProblems(_ file: String) throws -> String? {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
            for e in errors: print(list(e.absolute_path), e.message)
            sys.exit(1 if errors else 0)
            """
        let output = try Command.run(
            "/usr/bin/python3", ["-c", script, BuiltBinary.packageRoot + "/schemas/cyberctl.report-1.schema.json", file])
        return output.exitCode == 0 ? nil : output.stdout + output.stderr
    }

    @Test func scanOfThisMachineWritesAValidReport() throws {
        let directory = try TemporaryDirectory()
        // No option at all, as the README's first command runs it.
        let output = try BuiltBinary.run(["scan"], currentDirectory: directory.path)
        #expect([0, 1].contains(output.exitCode), "stderr: \(output.stderr)")
        #expect(output.stdout.contains("Score") || output.stdout.contains("Aucun résultat"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        let report = try #require(files.first { $0.hasPrefix("cyberctl-report-") && $0.hasSuffix(".json") })
        // cyberctl-report-<host>-<UTC time>.json, time as 20261129T080000Z.
        #expect(report.range(of: #"^cyberctl-report-.+-\d{8}T\d{6}Z\.json$"#, options: .regularExpression) != nil)
        #expect(try Self.schemaProblems(directory.url(report)) == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: directory.url(report))[.posixPermissions] as? Int
        #expect(mode == 0o640)
        #expect(output.stderr.contains(report))
    }

    @Test func scanOfAFixtureRootGivesJSONOnStdoutAndTheSameFile() throws {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("image")
        let factory = try CertificateFactory(folder: directory.url("work"))
        let expired = try factory.issue(name: "old", subject: "/CN=old.mairie.test", notBefore: Date() - 90 * 86_400, notAfter: Date() - 86_400)
        try directory.write("image/etc/ssl/old.pem", expired.pem)
        try directory.write("image/etc/nginx/nginx.conf", "http { server { ssl_certificate /etc/ssl/old.pem; } }\n")
        try directory.write("image/etc/hostname", "srv-image\n")
        let out = directory.url("r.json")
        let output = try BuiltBinary.run(["scan", "--root", root, "--format", "json", "--out", out, "--entity-name", "Commune de Test", "--entity-siren", "243500139"])
        #expect(output.exitCode == 1, "an expired certificate is a critical finding: \(output.stderr)")
        let written = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(output.stdoutData == written)
        let report = try Self.json(written)
        #expect((report["host"] as? [String: Any])?["hostname"] as? String == "srv-image")
        #expect((report["entity"] as? [String: Any])?["siren"] as? String == "243500139")
        let results = try #require(report["results"] as? [[String: Any]])
        let expiry = try #require(results.first { $0["code"] as? String == "cert.expiry" })
        #expect(expiry["status"] as? String == "fail")
        #expect(expiry["severity"] as? String == "critical")
        #expect(expiry["target"] as? String == "/etc/ssl/old.pem")
        #expect(try Self.schemaProblems(out) == nil)
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["level"] as? String != nil)
    }

    @Test("a reader that closes stdout early (`| head`) loses what it did not read, never the report file")
    func closedStdoutStillWritesTheReport() throws {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("image")
        let factory = try CertificateFactory(folder: directory.url("work"))
        for index in 0..<40 {
            let certificate = try factory.issue(name: "c\(index)", subject: "/CN=c\(index).mairie.test", notBefore: Date() - 86_400, notAfter: Date() + Double(index) * 86_400)
            try directory.write("image/srv/certs/c\(index).pem", certificate.pem)
        }
        try directory.write("image/etc/os-release", "ID=debian\n")
        try directory.write("profile.yaml", "name: pipe\nchecks:\n  cert.files:\n    discover: false\n    paths: [/srv/certs/*.pem]\n")
        let out = directory.url("r.json")
        for format in ["json", "table"] {
            // stdout is a pipe whose reading end is already closed: every write to it fails with EPIPE.
            let pipe = Pipe()
            try pipe.fileHandleForReading.close()
            let errors = Pipe()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try BuiltBinary.path)
            process.arguments = ["scan", "--root", root, "--profile", directory.url("profile.yaml"), "--format", format, "--out", out, "--fail-on", "never"]
            process.standardOutput = pipe
            process.standardError = errors
            try process.run()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit, "\(format): killed by signal \(process.terminationStatus)")
            #expect(process.terminationStatus == 0, "\(format): \(stderr)")
            let report = try Self.json(try Data(contentsOf: URL(fileURLWithPath: out)))
            #expect((report["results"] as? [[String: Any]])?.count ?? 0 >= 80, "\(format)")
            #expect(try Self.schemaProblems(out) == nil)
            try FileManager.default.removeItem(atPath: out)
        }
    }

    @Test func failOnChoosesTheExitCode() throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let soon = try factory.issue(name: "soon", subject: "/CN=soon.test", notAfter: Date() + 10 * 86_400 + 3600)
        let high = try BuiltBinary.run(["cert", soon.certificatePath])
        #expect(high.exitCode == 1)
        #expect(high.stdout.contains("ÉCHEC"))
        #expect(high.stdout.contains("10 jours restants"))
        let critical = try BuiltBinary.run(["cert", soon.certificatePath, "--fail-on", "critical", "--lang", "en"])
        #expect(critical.exitCode == 0)
        #expect(critical.stdout.contains("Certificate expiry"))
        #expect(critical.stdout.contains("10 days left"))
        let expired = try factory.issue(name: "expired", subject: "/CN=expired.test", notBefore: Date() - 90 * 86_400, notAfter: Date() - 86_400)
        let never = try BuiltBinary.run(["cert", expired.certificatePath, "--fail-on", "never"])
        #expect(never.exitCode == 0, "--fail-on never: \(never.stderr)")
        #expect(never.stdout.contains("ÉCHEC"), "the finding is still shown")
        let wrong = try BuiltBinary.run(["cert", expired.certificatePath, "--fail-on", "sometimes"])
        #expect(wrong.exitCode == 64)
        #expect(wrong.stderr.contains("never"), "the error lists the accepted values: \(wrong.stderr)")
    }

    @Test("a rule that could not be checked exits 1 like a finding: a scan that verified nothing is never 'all is well' for a timer")
    func errorTripsFailOn() throws {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("image")
        _ = try directory.makeDirectory("image/etc")
        // No os-release, no package database: patch.os-eol (high) errs, the rest does not apply.
        let errored = try BuiltBinary.run(["scan", "--root", root, "--only", "patches", "--no-sign", "--out", directory.url("r.json")])
        #expect(errored.exitCode == 1, "\(errored.stdout) \(errored.stderr)")
        #expect(errored.stdout.contains("ERREUR") && errored.stdout.contains("non évalué"), "\(errored.stdout)")
        let never = try BuiltBinary.run(["scan", "--root", root, "--only", "patches", "--no-sign", "--out", directory.url("r2.json"), "--fail-on", "never"])
        #expect(never.exitCode == 0, "\(never.stderr)")
        let critical = try BuiltBinary.run(["scan", "--root", root, "--only", "patches", "--no-sign", "--out", directory.url("r3.json"), "--fail-on", "critical"])
        #expect(critical.exitCode == 0, "an error below the threshold does not trip it: \(critical.stderr)")
    }

    @Test("--help shows --fail-on's default as the user types it (high), not the Swift value")
    func failOnDefaultInHelp() throws {
        for command in ["scan", "cert", "tls"] {
            let output = try BuiltBinary.run([command, "--help"])
            let help = output.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(help.contains("default: high)"), "\(command): \(output.stdout)")
            #expect(!help.contains("Checks.Severity"), "\(command): \(output.stdout)")
        }
    }

    @Test("push --help tells the exit code of an outbox not created yet as it is: 0, not 66")
    func pushHelpMatchesAMissingOutbox() throws {
        let directory = try TemporaryDirectory()
        let help = try BuiltBinary.run(["push", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(!help.contains("or outbox missing"), "\(help)")
        #expect(help.contains("outbox empty, or not created yet"), "\(help)")
        let key = directory.url("agent.key"), certificate = directory.url("agent.crt")
        let made = try Command.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/C=FR/O=Commune/organizationIdentifier=NTRFR-212900195/CN=agent",
            "-days", "2", "-keyout", key, "-out", certificate,
        ])
        #expect(made.exitCode == 0, "\(made.stderr)")
        chmod(key, 0o600)
        let config = directory.url("agent.yaml")
        try "collector:\n  url: https://127.0.0.1:9\n  ca: \(certificate)\n  outbox: \(directory.url("not-yet"))\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let output = try BuiltBinary.run(["push", "--config", config, "--cert", certificate, "--key", key])
        #expect(output.exitCode == 0, "\(output.stdout)\(output.stderr)")
    }

    @Test func malformedProfileIsExit65WithFileAndLine() throws {
        let directory = try TemporaryDirectory()
        let profile = try directory.write("bad.yaml", "name: bad\nchecks:\n  cert.files:\n    warning_dayz: 3\n")
        let output = try BuiltBinary.run(["scan", "--profile", profile, "--out", directory.url("r.json")])
        #expect(output.exitCode == 65)
        #expect(output.stderr.contains("\(profile):4:5: clé inconnue « warning_dayz »"), "\(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.url("r.json")), "no report from a bad profile")
    }

    @Test func missingRootIsExit66() throws {
        let output = try BuiltBinary.run(["scan", "--root", "/no/such/image"])
        #expect(output.exitCode == 66)
        #expect(output.stderr.contains("/no/such/image"))
    }

    @Test func unknownOnlyIsUsageError() throws {
        let directory = try TemporaryDirectory()
        let output = try BuiltBinary.run(["scan", "--only", "firewall", "--out", directory.url("r.json")])
        #expect(output.exitCode == 64)
        #expect(output.stderr.contains("--only firewall"))
    }

    @Test func certCommandReadsEveryFormatAndNamesUnreadableFiles() throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let good = try factory.issue(name: "good", subject: "/CN=good.test", notAfter: Date() + 300 * 86_400)
        let der = directory.url("good.der")
        try factory.openssl(["x509", "-in", good.certificatePath, "-outform", "DER", "-out", der])
        let output = try BuiltBinary.run(["cert", good.certificatePath, der, "--format", "json"])
        #expect(output.exitCode == 0, "\(output.stderr)")
        let results = try #require(try Self.json(output.stdoutData)["results"] as? [[String: Any]])
        #expect(Set(results.compactMap { $0["target"] as? String }) == [good.certificatePath, der])
        // A self-signed leaf warns; every other rule passes.
        #expect(results.allSatisfy { $0["status"] as? String == ($0["code"] as? String == "cert.self-signed" ? "warn" : "pass") })

        let missing = try BuiltBinary.run(["cert", directory.url("absent.pem")])
        #expect(missing.exitCode == 66)
        #expect(missing.stdout.contains("absent.pem : fichier ou dossier absent"), "reasons in French by default: \(missing.stdout)")
        let missingEnglish = try BuiltBinary.run(["cert", directory.url("absent.pem"), "--lang", "en"])
        #expect(missingEnglish.stdout.contains("absent.pem: no such file or directory"), "\(missingEnglish.stdout)")
        let garbage = try directory.write("garbage.crt", "garbage")
        let unreadable = try BuiltBinary.run(["cert", garbage])
        #expect(unreadable.exitCode == 65)
        #expect(unreadable.stdout.contains("pas un certificat sous forme PEM, DER ou PKCS#12"), "\(unreadable.stdout)")
    }

    @Test func anUnreadableFileIsAnErrorForAnUnprivilegedUser() throws {
        guard getuid() == 0 else { return }  // root reads everything; the test drops to nobody with runuser.
        let directory = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let factory = try CertificateFactory(folder: directory.url("work"))
        let issued = try factory.issue(name: "private", subject: "/CN=private.test")
        let locked = try directory.write("locked.pem", issued.pem, mode: 0o000)
        let output = try Command.run("/usr/sbin/runuser", ["-u", "nobody", "--", try BuiltBinary.path, "cert", locked])
        #expect(output.exitCode == 66, "\(output.stdout) \(output.stderr)")
        #expect(output.stdout.contains("locked.pem : permission refusée"), "\(output.stdout)")
    }

    @Test func listingsNameChecksRulesAndProfiles() throws {
        let checks = try BuiltBinary.run(["checks"])
        #expect(checks.exitCode == 0)
        for code in ["cert.files", "cert.expiry", "cert.key-strength", "cert.signature-algorithm", "cert.self-signed"] {
            #expect(checks.stdout.contains(code))
        }
        let profiles = try BuiltBinary.run(["profiles"])
        #expect(profiles.exitCode == 0)
        #expect(profiles.stdout.contains("default"))
        #expect(profiles.stdout.contains("commune"))
    }

    @Test func aMissingFileAmongGoodOnesIsStillBadInput() throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let good = try factory.issue(name: "good", subject: "/CN=good.test", notAfter: Date() + 300 * 86_400)
        let output = try BuiltBinary.run(["cert", good.certificatePath, directory.url("vanished.pem")])
        #expect(output.exitCode == 66, "a cron job must notice a vanished certificate")
        let empty = try directory.write("empty.pem", "")
        #expect(try BuiltBinary.run(["cert", good.certificatePath, empty]).exitCode == 65)
    }

    @Test func twoScansInOneSecondKeepBothReports() throws {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("image")
        try directory.write("image/etc/hostname", "srv-same\n")
        for _ in 0..<3 {
            let output = try BuiltBinary.run(["scan", "--root", root, "--only", "certificates"], currentDirectory: directory.path)
            #expect([0, 1].contains(output.exitCode), "\(output.stderr)")
        }
        let reports = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("cyberctl-report-srv-same-") }
        #expect(reports.count == 3, "\(reports)")
    }

    @Test func theFixFirstListSaysWhatToDo() throws {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("image")
        let factory = try CertificateFactory(folder: directory.url("work"))
        let expired = try factory.issue(name: "old", subject: "/CN=old.test", notBefore: Date() - 90 * 86_400, notAfter: Date() - 86_400)
        try directory.write("image/etc/ssl/old.pem", expired.pem)
        try directory.write("image/etc/nginx/nginx.conf", "ssl_certificate /etc/ssl/old.pem;\n")
        let output = try BuiltBinary.run(["scan", "--root", root, "--only", "certificates", "--out", directory.url("r.json")])
        #expect(output.stdout.contains("À corriger en premier"))
        #expect(output.stdout.contains("→ Renouvelez le certificat"), "\(output.stdout)")
    }
}

/// Issue 12: what could not be verified is said, never shown as a clean score.
@Suite struct NotEvaluatedOutputTests {
    @Test("A certificate file that cannot be parsed: the domain and the score say « non évalué », in French and English")
    func unreadableInputIsNotEvaluated() throws {
        let directory = try TemporaryDirectory()
        try directory.write("bad.pem", "garbage, not a certificate\n")
        let french = try BuiltBinary.run(["cert", directory.url("bad.pem")])
        #expect(french.exitCode == 65, "stderr: \(french.stderr)")
        #expect(french.stdout.contains("■ Certificats — non évalué : 1 contrôle(s) n'ont pas pu être faits"))
        #expect(french.stdout.contains("Score : non évalué (aucun résultat vérifié)"))
        #expect(!french.stdout.contains("/100"))
        let english = try BuiltBinary.run(["cert", directory.url("bad.pem"), "--lang", "en"])
        #expect(english.stdout.contains("■ Certificates — not evaluated: 1 check(s) could not be done"))
    }
}
