import Foundation
import Testing
import TestSupport

/// `cyberctl assess` and `cyberctl nis2` run as a person would: the questionnaire walked through in
/// a real pseudo-terminal, answers files checked, applicability asked.
@Suite(.serialized) struct AssessCommandTests {
    /// Drives a program in a pseudo-terminal (python3's pty module): waits for each prompt (" > "),
    /// then types the next response; a prompt after the last response gets end-of-input (Ctrl-D). Prints the transcript and exits with the program's status.
    /// A 60 s guard only stops a hung program; the exchange itself waits on prompts, not on time.
    static let driver = """
        import json, os, pty, select, subprocess, sys, time
        spec = json.loads(sys.argv[1])
        master, slave = pty.openpty()
        child = subprocess.Popen(spec["argv"], stdin=slave, stdout=slave, stderr=slave, cwd=spec["cwd"], start_new_session=True, close_fds=True)
        os.close(slave)
        out = b""
        responses = spec["responses"]
        sent = 0
        deadline = time.monotonic() + 60
        while True:
            if out.count(b" > ") > sent:
                # Past the last response, a further prompt gets end-of-input (Ctrl-D).
                os.write(master, (responses[sent] + "\\n").encode() if sent < len(responses) else b"\\x04")
                sent += 1
                continue
            if time.monotonic() > deadline:
                child.kill()
                sys.stdout.write(out.decode("utf-8", "replace") + "\\n[driver: timeout]\\n")
                sys.exit(99)
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                if child.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        code = child.wait()
        sys.stdout.write(out.decode("utf-8", "replace"))
        sys.exit(code)
        """

    struct Session {
        let exitCode: Int32
        let transcript: String
    }

    static func walk(_ arguments: [String], responses: [String], in directory: String) throws -> Session {
        let spec: [String: Any] = ["argv": [try BuiltBinary.path] + arguments, "responses": responses, "cwd": directory]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        let output = try Command.run("/usr/bin/python3", ["-c", driver, json])
        // The terminal turns "\n" into "\r\n".
        return Session(exitCode: output.exitCode, transcript: output.stdout.replacingOccurrences(of: "\r\n", with: "\n"))
    }

    static func today() -> String { String(ISO8601DateFormatter().string(from: Date()).prefix(10)) }

    static func nextYear() -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(byAdding: .day, value: 365, to: calendar.startOfDay(for: Date()))!
        return String(ISO8601DateFormatter().string(from: date).prefix(10))
    }

    @Test func theWalkAsksNumberedQuestionsSavesEachAnswerAndResumes() throws {
        let directory = try TemporaryDirectory()
        let file = directory.url("reponses.yaml")
        // Session 1: "oui" with its evidence, a typo, "partiel", then stop at the third question.
        let first = try Self.walk(
            ["assess", "--answers", file],
            responses: ["1", "3", "Analyse des risques 2025", "2025-01-10", "DGS", "", "peut-être", "2", "", "", "", "q"],
            in: directory.path)
        #expect(first.exitCode == 0, "\(first.transcript)")
        #expect(first.transcript.contains("[1/"))
        // Only a terminal echoes what is typed: the program itself never prints the answers.
        #expect(first.transcript.contains("Réponse > 1\n"))
        #expect(first.transcript.contains("Réponse > peut-être\n"))
        #expect(first.transcript.contains("1) oui   2) partiel   3) non   4) ne sais pas"))
        #expect(first.transcript.contains("Pourquoi c'est important : "))
        #expect(first.transcript.contains("Références : ReCyF 16 (EE) · ReCyF 2.B (EI/EE) · règlement 2024/2690 § 2.1 · guide d'hygiène ANSSI mesure(s) 41"))
        #expect(first.transcript.contains("Réponse non comprise : tapez un numéro de 1 à 4, s ou q."))
        #expect(first.transcript.contains("[3/"))
        #expect(first.transcript.contains("Arrêt. 2 réponse(s)"))
        var text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("""
              a.analyse-risques:
                status: "oui"
                maturity: 3
                evidence:
                  document: "Analyse des risques 2025"
                  date: 2025-01-10
                  owner: "DGS"
                next_review: \(Self.nextYear())
            """))
        #expect(text.contains("  a.politique-securite:\n    status: \"partiel\"\n    next_review: \(Self.nextYear())\n"))
        #expect(text.contains("updated: \(Self.today())"))
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        // Atomic writes leave no temporary file behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["reponses.yaml"])

        // Session 2 resumes at the first question without an answer.
        let second = try Self.walk(["assess", "--answers", file], responses: ["4", "s", "q"], in: directory.path)
        #expect(second.exitCode == 0, "\(second.transcript)")
        #expect(second.transcript.contains("2 déjà renseignée(s)"))
        #expect(!second.transcript.contains("[1/"))
        let firstShown = try #require(second.transcript.range(of: #"\[[0-9]+/"#, options: .regularExpression))
        #expect(second.transcript[firstShown] == "[3/")
        text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("  a.referent-ssi:\n    status: \"ne sais pas\"\n"))
        #expect(!text.contains("a.dpo:"), "a skipped question stays unanswered")

        let check = try BuiltBinary.run(["assess", "--check", file])
        #expect(check.exitCode == 0, "\(check.stderr)")
        #expect(check.stdout.contains("valide — 3 question(s)"))
    }

    @Test func aSectionWalkedToTheEndShowsItsScore() throws {
        let directory = try TemporaryDirectory()
        let file = directory.url("answers.yaml")
        // Section c: "non" (maturity 1), "ne sais pas", "oui" without evidence, in English.
        let session = try Self.walk(
            ["assess", "--answers", file, "--section", "c", "--lang", "en"],
            responses: ["3", "1", "4", "1", "", "", ""],
            in: directory.path)
        #expect(session.exitCode == 0, "\(session.transcript)")
        #expect(session.transcript.contains("OFFLINE BACKUPS"))
        #expect(session.transcript.contains("Questionnaire complete."))
        #expect(session.transcript.contains("Art. 21(2)(c)"))
        #expect(session.transcript.contains("\"Don't know\", counted as not done (1) : Restore tested"))
        // c: critical fail (0/16), high fail (0/8), high pass (8/8) → 8/32 = 25.
        #expect(session.transcript.contains("25/100"))
        let score = try BuiltBinary.run(["nis2", "score", "--answers", file, "--format", "json"])
        #expect(score.exitCode == 0, "\(score.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: score.stdoutData) as? [String: Any])
        let sections = try #require(json["sections"] as? [[String: Any]])
        #expect(sections.first { $0["id"] as? String == "c" }?["score"] as? Int == 25)
        #expect(json["unknown"] as? [String] == ["org.nis2.c.restauration-testee"])
    }

    @Test func reviewAsksAgainAndEnterKeepsTheAnswer() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("answers.yaml", """
            answers:
              a.analyse-risques:
                status: oui
                evidence: {document: Analyse 2025, date: 2025-03-01}
                next_review: 2026-03-01
                comment: revue annuelle
              a.dpo: {status: non}
            """)
        let session = try Self.walk(
            ["assess", "--answers", file, "--review", "--section", "a"],
            responses: ["", "3", "", "4", "2", "", "", ""],
            in: directory.path)
        #expect(session.exitCode == 0, "\(session.transcript)")
        #expect(session.transcript.contains("Réponse actuelle : oui"))
        #expect(session.transcript.contains("Entrée) garder"))
        var text = try String(contentsOfFile: file, encoding: .utf8)
        // Kept as it was, evidence and comment included.
        #expect(text.contains("  a.analyse-risques:\n    status: \"oui\"\n    evidence:\n      document: \"Analyse 2025\"\n      date: 2025-03-01\n    next_review: 2026-03-01\n    comment: \"revue annuelle\"\n"))
        #expect(text.contains("  a.politique-securite:\n    status: \"non\"\n"))
        #expect(text.contains("  a.referent-ssi:\n    status: \"ne sais pas\"\n"))
        #expect(text.contains("  a.dpo:\n    status: \"partiel\"\n"))

        // Confirming "oui" again keeps maturity-less evidence on Enter; the past review date is replaced by a year ahead.
        let again = try Self.walk(
            ["assess", "--answers", file, "--review", "--section", "a"],
            responses: ["1", "", "", "", "", "", "q"],
            in: directory.path)
        #expect(again.exitCode == 0, "\(again.transcript)")
        #expect(again.transcript.contains("Entrée pour garder « Analyse 2025 »"))
        #expect(again.transcript.contains("Entrée pour garder « 2025-03-01 »"))
        text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("  a.analyse-risques:\n    status: \"oui\"\n    evidence:\n      document: \"Analyse 2025\"\n      date: 2025-03-01\n    next_review: \(Self.nextYear())\n    comment: \"revue annuelle\"\n"))
    }

    @Test func aBrokenAnswersFileIsNeverOverwritten() throws {
        let directory = try TemporaryDirectory()
        let broken = "answers:\n  a.dpo: {status: peut-être}\n"
        let file = try directory.write("answers.yaml", broken)
        let session = try Self.walk(["assess", "--answers", file], responses: [], in: directory.path)
        #expect(session.exitCode == 65)
        #expect(session.transcript.contains("\(file):2: a.dpo : statut « peut-être »"), "\(session.transcript)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == broken)
    }

    @Test func aListWhereTextIsExpectedIsRefusedByCheckAndNeverDroppedByARewrite() throws {
        let directory = try TemporaryDirectory()
        let text = """
            answers:
              a.dpo:
                status: oui
                evidence:
                  document:
                    - Arrêté de désignation
                    - Lettre de mission
                  owner: {service: DGS}

            """
        let file = try directory.write("answers.yaml", text)
        let check = try BuiltBinary.run(["assess", "--check", file])
        #expect(check.exitCode == 65, "\(check.stdout)")
        #expect(check.stderr.contains("\(file):5: a.dpo.evidence.document : un texte est attendu, trouvé une liste"), "\(check.stderr)")
        #expect(check.stderr.contains("\(file):8: a.dpo.evidence.owner : un texte est attendu, trouvé un dictionnaire"), "\(check.stderr)")
        let english = try BuiltBinary.run(["assess", "--check", file, "--lang", "en"])
        #expect(english.stderr.contains("\(file):5: a.dpo.evidence.document: expected a text value, found a list"), "\(english.stderr)")
        // The walk refuses the file too, and leaves it as it was.
        let session = try Self.walk(["assess", "--answers", file], responses: ["1"], in: directory.path)
        #expect(session.exitCode == 65)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == text)
    }

    @Test func endOfInputStopsAndKeepsTheFile() throws {
        let directory = try TemporaryDirectory()
        let file = directory.url("answers.yaml")
        // A new file takes its entity from the agent configuration.
        let config = try directory.write("agent.yaml", "entity:\n  name: Commune de Test\n  siren: \"212900195\"\n  kind: commune\n  population: 31000\n")
        let output = try BuiltBinary.run(["assess", "--answers", file, "--config", config])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(output.stdout.contains("Arrêt. 0 réponse(s)"))
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("entity:\n  name: \"Commune de Test\"\n  siren: \"212900195\"\n  kind: commune\n  population: 31000\n"))
        #expect(try Self.scope(["--answers", file])["category"] as? String == "essentielle")
        #expect(try BuiltBinary.run(["assess", "--check", file]).exitCode == 0)
    }

    @Test func checkNamesEveryProblemWithItsLine() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("answers.yaml", """
            answers:
              a.dpo:
                status: oui
                maturity: 7
              c.sauvegarde-hors-ligne: {status: oui}
              b.exercice:
                status: oui
                evidence: {date: 2026-02-30}
            """)
        let output = try BuiltBinary.run(["assess", "--check", file, "--lang", "en"])
        #expect(output.exitCode == 65)
        #expect(output.stderr.contains("cyberctl: \(file):4: a.dpo: maturity \"7\": expected a whole number from 1 to 5"), "\(output.stderr)")
        #expect(output.stderr.contains("cyberctl: \(file):5: unknown item \"c.sauvegarde-hors-ligne\"; did you mean \"c.sauvegardes-hors-ligne\"?"))
        #expect(output.stderr.contains("cyberctl: \(file):8: b.exercice.evidence.date \"2026-02-30\""))
        let french = try BuiltBinary.run(["assess", "--check", file])
        #expect(french.stderr.contains("cyberctl: \(file):4: a.dpo : maturity « 7 » : un nombre entier de 1 à 5 est attendu"), "\(french.stderr)")
        #expect(french.stderr.contains("cyberctl: \(file):5: question inconnue « c.sauvegarde-hors-ligne » ; vouliez-vous dire « c.sauvegardes-hors-ligne » ?"))
        #expect(try BuiltBinary.run(["assess", "--check", directory.url("absent.yaml")]).exitCode == 66)
        // nis2 score says the same, in French by default too.
        let score = try BuiltBinary.run(["nis2", "score", "--answers", file])
        #expect(score.exitCode == 65)
        #expect(score.stderr.contains("cyberctl: \(file):4: a.dpo : maturity « 7 » : un nombre entier de 1 à 5 est attendu"), "\(score.stderr)")
        #expect(try BuiltBinary.run(["nis2", "score", "--answers", file, "--lang", "en"]).stderr.contains("expected a whole number from 1 to 5"))
        #expect(try BuiltBinary.run(["assess", "--section", "k"]).exitCode == 64)
        let noFolder = try BuiltBinary.run(["assess", "--answers", directory.url("no/such/folder/answers.yaml")])
        #expect(noFolder.exitCode == 66)
        #expect(noFolder.stderr.contains("n'existe pas : créez-le ou donnez --answers FICHIER"), "\(noFolder.stderr)")
        let noFolderEN = try BuiltBinary.run(["assess", "--answers", directory.url("no/such/folder/answers.yaml"), "--lang", "en"])
        #expect(noFolderEN.exitCode == 66)
        #expect(noFolderEN.stderr.contains("does not exist: create it or give --answers FILE"), "\(noFolderEN.stderr)")
    }

    @Test func listShowsEveryItem() throws {
        let output = try BuiltBinary.run(["assess", "--list", "--lang", "en"])
        #expect(output.exitCode == 0)
        #expect(output.stdout.contains("Art. 21(2)(j) — Strong authentication and secured communications"))
        #expect(output.stdout.contains("j.mfa-messagerie"))
        #expect(output.stdout.contains("art20.formation-elus"))
    }

    // MARK: - nis2 scope

    static func scope(_ arguments: [String]) throws -> [String: Any] {
        let output = try BuiltBinary.run(["nis2", "scope", "--format", "json"] + arguments)
        #expect(output.exitCode == 0, "\(output.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])
    }

    @Test func scopeAroundTheThresholdsThroughTheBinary() throws {
        #expect(try Self.scope(["--kind", "commune", "--population", "30000"])["category"] as? String == "non-regulee")
        #expect(try Self.scope(["--kind", "commune", "--population", "30001"])["category"] as? String == "essentielle")
        #expect(try Self.scope(["--kind", "ca", "--has-commune-over-30000"])["category"] as? String == "essentielle")
        #expect(try Self.scope(["--kind", "ca", "--no-has-commune-over-30000"])["category"] as? String == "importante")
        let undecided = try Self.scope(["--kind", "ca", "--population", "60000"])
        #expect(undecided["category"] is NSNull)
        #expect(undecided["missingFacts"] as? [String] == ["has-commune-over-30000"])
        #expect(undecided["final"] as? Bool == false)
        #expect((undecided["textStatus"] as? [String: String])?["fr"]?.contains("peut encore changer") == true)

        let table = try BuiltBinary.run(["nis2", "scope", "--kind", "cc", "--population", "12000"])
        #expect(table.exitCode == 0)
        #expect(table.stdout.contains("Résultat : entité importante (EI)"))
        #expect(table.stdout.contains("Sources (lues dans le texte ou l'amendement)"))
        #expect(table.stdout.contains("État du texte"))
        let secondary = try BuiltBinary.run(["nis2", "scope", "--kind", "metropole", "--lang", "en"])
        #expect(secondary.stdout.contains("Sources (secondary only, to be confirmed):"))
    }

    @Test func scopeReadsTheEntityOfTheAgentConfiguration() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("agent.yaml", "entity:\n  name: Commune de Test\n  kind: commune\n  population: 45000\n")
        #expect(try Self.scope(["--config", config])["category"] as? String == "essentielle")
        #expect(try Self.scope(["--config", config, "--population", "800"])["category"] as? String == "non-regulee")
        let answers = try directory.write("answers.yaml", "entity: {kind: ca, population: 70000, has_commune_over_30000: false}\nanswers: {}\n")
        #expect(try Self.scope(["--answers", answers])["category"] as? String == "importante")
        #expect(try Self.scope(["--answers", answers, "--has-commune-over-30000"])["category"] as? String == "essentielle")
        let noKind = try directory.write("nokind.yaml", "entity:\n  name: Commune de Test\n")
        #expect(try BuiltBinary.run(["nis2", "scope", "--config", noKind]).exitCode == 64)
        #expect(try BuiltBinary.run(["nis2", "scope", "--config", directory.url("absent.yaml")]).exitCode == 64)
        #expect(try BuiltBinary.run(["nis2", "scope", "--kind", "village"]).exitCode == 64)
        let badRules = try directory.write("rules.yaml", "version: x\ntext_status: x\nrules:\n  - id: r\n    kinds: [commune]\n    category: peut-être\n")
        let bad = try BuiltBinary.run(["nis2", "scope", "--kind", "commune", "--rules", badRules])
        #expect(bad.exitCode == 65)
        #expect(bad.stderr.contains("\(badRules):6: règle r : category « peut-être »"), "\(bad.stderr)")
    }

    @Test func anInstalledBinaryReadsTheDataShippedBesideItAndADataEditChangesTheAnswer() throws {
        let directory = try TemporaryDirectory()
        let bin = try directory.makeDirectory("prefix/bin")
        let data = try directory.makeDirectory("prefix/share/cyberctl/profiles/nis2")
        try FileManager.default.copyItem(atPath: try BuiltBinary.path, toPath: bin + "/cyberctl")
        for file in ["scope.yaml", "questionnaire.yaml"] {
            try FileManager.default.copyItem(atPath: BuiltBinary.packageRoot + "/Profiles/nis2/" + file, toPath: data + "/" + file)
        }
        // Communes count as essential from 50,000 inhabitants in this edited table.
        let scope = data + "/scope.yaml"
        let edited = try String(contentsOfFile: scope, encoding: .utf8)
            .replacingOccurrences(of: "population_above: 30000", with: "population_above: 50000")
            .replacingOccurrences(of: "population_at_most: 30000", with: "population_at_most: 50000")
        try edited.write(toFile: scope, atomically: true, encoding: .utf8)
        // Run by bare name through PATH, from another folder, as an installed tool is.
        let output = try Command.run(
            "/usr/bin/env", ["cyberctl", "nis2", "scope", "--kind", "commune", "--population", "40000", "--format", "json"],
            environment: ["PATH": bin + ":/usr/bin:/bin"], currentDirectory: "/")
        #expect(output.exitCode == 0, "\(output.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])
        #expect(json["rulesFile"] as? String == scope)
        #expect(json["category"] as? String == "non-regulee")
        let list = try Command.run("/usr/bin/env", ["cyberctl", "assess", "--list"], environment: ["PATH": bin + ":/usr/bin:/bin"], currentDirectory: "/")
        #expect(list.exitCode == 0, "\(list.stderr)")
        #expect(list.stdout.contains("c.sauvegardes-hors-ligne"))
    }

    // MARK: - scan

    @Test func aScanShowsTheNIS2SheetAndAContradictionAndStaysValid() throws {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("image")
        let factory = try CertificateFactory(folder: directory.url("work"))
        let expired = try factory.issue(name: "old", subject: "/CN=old.mairie.test", notBefore: Date() - 90 * 86_400, notAfter: Date() - 86_400)
        try directory.write("image/etc/ssl/old.pem", expired.pem)
        try directory.write("image/etc/cyberctl/nis2-answers.yaml", "answers:\n  h.certificats: {status: oui}\n  b.exercice: {status: ne sais pas}\n")
        let profile = try directory.write("p.yaml", """
            name: nis2-test
            checks:
              cert.files: {discover: false, paths: [/etc/ssl/old.pem]}
              org.nis2: {answers: /etc/cyberctl/nis2-answers.yaml}
            """)
        let out = directory.url("r.json")
        let output = try BuiltBinary.run(["scan", "--root", root, "--profile", profile, "--out", out])
        #expect(output.exitCode == 1, "\(output.stderr)")
        #expect(output.stdout.contains("Organisation (NIS 2)"))
        #expect(output.stdout.contains("Certificats suivis — /etc/cyberctl/nis2-answers.yaml (déclaré « oui », CONTREDIT par des contrôles techniques en échec : cert.expiry /etc/ssl/old.pem)"), "\(output.stdout)")
        #expect(output.stdout.contains("NIS 2 — score par mesure"))
        #expect(output.stdout.contains("« Ne sais pas », compté comme non fait (1) : Procédure d'incident exercée"))
        #expect(try ScanCommandTests.schemaProblems(out) == nil)
    }
}
