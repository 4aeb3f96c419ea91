import Agent
import Checks
import Foundation
import Model
import Testing
import TestSupport

@Suite struct ProfileTests {
    static func parse(_ text: String) throws(InputError) -> Profile {
        try Profile.parse(bytes: Array(text.utf8), file: "/p/test.yaml")
    }

    @Test func shippedProfilesAreValid() throws {
        let folder = BuiltBinary.packageRoot + "/Profiles"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
        #expect(files.contains("default.yaml"))
        for file in files {
            let profile = try Profile.load(path: "\(folder)/\(file)")
            #expect(!profile.checks.isEmpty, "\(file) has no check")
            #expect(profile.sha256.count == 64)
        }
    }

    @Test func parametersReachTheCheck() throws {
        let profile = try Self.parse("""
            name: t
            checks:
              cert.files:
                discover: false
                paths: [/etc/ssl/a.pem]
                warning_days: 40
            """)
        let check = try #require(profile.checks.first as? CertificateFilesCheck)
        #expect(check.paths == ["/etc/ssl/a.pem"])
        #expect(check.discover == false)
        #expect(check.thresholds.warningDays == 40)
        #expect(check.thresholds.criticalDays == 14)
    }

    @Test func emptyParametersMeanDefaults() throws {
        let profile = try Self.parse("name: t\nchecks:\n  cert.files:\n")
        let check = try #require(profile.checks.first as? CertificateFilesCheck)
        #expect(check.discover)
    }

    @Test(arguments: [
        ("name: t\nchecks:\n  cert.files:\n    warnig_days: 3\n", 4, "unknown key \"warnig_days\" in parameters of cert.files"),
        ("name: t\nchecks:\n  cert.files:\n    warning_days: soon\n", 4, "cert.files key \"warning_days\": expected a whole number"),
        ("name: t\nchecks:\n  cert.filez: {}\n", 3, "unknown check \"cert.filez\""),
        ("name: t\nextra: 1\nchecks: {}\n", 2, "unknown key \"extra\" in profile"),
        ("name: t\nchecks:\n  cert.files: [\n", 4, "YAML syntax"),
        ("name: t\nchecks:\n  cert.files:\n    paths: /etc/ssl/a.pem\n", 4, "expected a list"),
    ])
    func malformedProfilesNameFileLineAndKey(text: String, line: Int, message: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.kind == .invalidData)
            #expect(error.file == "/p/test.yaml")
            #expect(error.line == line, "\(error)")
            #expect(error.englishMessage.contains(message), "\(error)")
            #expect(error.exitCode == 65)
        }
    }

    @Test func missingProfileIsExit66() {
        #expect(throws: InputError.self) { try Profile.load(path: "/no/such/profile.yaml") }
        do { _ = try Profile.load(path: "/no/such/profile.yaml") } catch { #expect(error.exitCode == 66) }
    }
}

@Suite struct EntityTests {
    @Test func sirenNeedsNineDigitsAndLuhn() {
        #expect(Identifiers.isValidSIREN("243500139"))  // Rennes Métropole
        #expect(Identifiers.isValidSIREN("212900195"))
        #expect(Identifiers.isValidSIREN("356000000"))  // La Poste, the documented exception
        #expect(!Identifiers.isValidSIREN("243500138"))
        #expect(!Identifiers.isValidSIREN("24350013"))
        #expect(!Identifiers.isValidSIREN("24350013a"))
        #expect(!Identifiers.isValidSIREN("２43500139"))
    }

    @Test func inseeAndDepartementCodes() {
        #expect(Identifiers.isValidINSEE("29212") && Identifiers.isValidINSEE("2A004") && Identifiers.isValidINSEE("97411"))
        #expect(!Identifiers.isValidINSEE("2C004") && !Identifiers.isValidINSEE("2921") && !Identifiers.isValidINSEE("00123"))
        #expect(["01", "29", "2A", "2B", "95", "971", "976"].allSatisfy(Identifiers.isValidDepartement))
        #expect(!["20", "00", "96", "977", "A1", "1"].contains(where: Identifiers.isValidDepartement))
    }

    @Test func agentConfigurationErrorsNameTheLine() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("agent.yaml", "entity:\n  name: Commune\n  siren: \"123456789\"\n")
        do {
            _ = try AgentConfiguration.load(path: path)
            Issue.record("an invalid SIREN must be refused")
        } catch {
            #expect(error.englishMessage.contains("entity key \"siren\""))
            #expect(error.englishMessage.contains("found \"123456789\""))
            #expect(error.line == 3)
        }
        let typo = try directory.write("typo.yaml", "entity:\n  nom: Commune\n")
        do {
            _ = try AgentConfiguration.load(path: typo)
            Issue.record("an unknown key must be refused")
        } catch {
            #expect(error.line == 2)
            #expect(error.englishMessage.contains("unknown key \"nom\""))
        }
        let good = try directory.write("good.yaml", "entity:\n  name: Rennes Métropole\n  siren: \"243500139\"\n  kind: metropole\nprofile: interco\n")
        let configuration = try AgentConfiguration.load(path: good)
        #expect(configuration.entity.siren == "243500139")
        #expect(configuration.profile == "interco")
    }
}
