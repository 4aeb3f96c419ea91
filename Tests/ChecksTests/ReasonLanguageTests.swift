@testable import Checks
import Foundation
import NIS2
import Model
import Testing
import TestSupport
import TLSProbe

/// Reasons follow the reader's language (issue 18): the real checks, run over trees that make them err or skip,
/// give every `error` and `skip` result a French reason free of English words, and an English one; and no reason
/// in Sources/Checks is a single string (one language only).
@Suite("reason language")
struct ReasonLanguageTests {
    /// Words of the marker list that are names or tokens in reasons, not English prose.
    static let allowed: Set<String> = []

    /// Runs `check` over `root`, fixed clock.
    static func run(_ check: some Check, root: String) async throws -> [CheckResult] {
        await check.run(CheckContext(root: try FileSystemRoot(root), clock: .fixed(Date(timeIntervalSince1970: 1_780_000_000))))
    }

    /// The French reason of every error and skip result has no English word; both languages are given.
    static func expectFrench(_ results: [CheckResult], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let undecided = results.filter { $0.status == .error || $0.status == .skip }
        #expect(!undecided.isEmpty, "\(what): no error or skip result to look at", sourceLocation: sourceLocation)
        for result in undecided {
            guard let french = result.reasonFr, let english = result.reason else {
                Issue.record("\(what): \(result.code) \(result.status) has no reason in both languages", sourceLocation: sourceLocation)
                continue
            }
            let words = EnglishWords.found(in: french, allowed: allowed)
            #expect(words.isEmpty, "\(what): \(result.code): \(words) in « \(french) »", sourceLocation: sourceLocation)
            #expect(result.reason(in: .fr) == french && result.reason(in: .en) == english, sourceLocation: sourceLocation)
        }
    }

    @Test("packages: no Debian or RHEL system, a Debian system without its database, an empty database")
    func packages() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("alpine/etc/os-release", "ID=alpine\nVERSION_ID=3.20.0\n")
        Self.expectFrench(try await Self.run(PackagesCheck(), root: directory.url("alpine")), "alpine")
        try directory.write("debian/etc/os-release", "ID=debian\nVERSION_ID=12\n")
        Self.expectFrench(try await Self.run(PackagesCheck(), root: directory.url("debian")), "debian without dpkg")
        try directory.write("empty/etc/os-release", "ID=debian\nVERSION_ID=12\n")
        try directory.write("empty/var/lib/dpkg/status", "")
        Self.expectFrench(try await Self.run(PackagesCheck(), root: directory.url("empty")), "empty dpkg database")
        try directory.makeDirectory("none")
        Self.expectFrench(try await Self.run(PackagesCheck(), root: directory.url("none")), "no os-release")
    }

    @Test("packages: apt sources, pins and lists that apt refuses or that are damaged, a source never fetched")
    func aptProblems() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("root/etc/os-release", "ID=debian\nVERSION_ID=12\nVERSION_CODENAME=bookworm\n")
        try directory.write(
            "root/var/lib/dpkg/status",
            "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n\n")
        try directory.write("root/etc/apt/sources.list", "deb http://deb.debian.org/debian bookworm main\n")
        // A deb822 source without Suites, a pin apt does not know, an apt.conf.d that is a loop.
        try directory.write("root/etc/apt/sources.list.d/bad.sources", "Types: deb\nURIs: http://deb.debian.org/debian\n")
        try directory.write("root/etc/apt/preferences.d/bad", "Package: *\nPin: sideways\nPin-Priority: 500\n")
        try directory.makeDirectory("root/etc/apt/apt.conf.d")
        try FileManager.default.createSymbolicLink(atPath: directory.url("root/etc/apt/apt.conf.d/loop"), withDestinationPath: "/etc/apt/apt.conf.d/loop")
        // A list with a line that is no field, a stanza without Package, a package without a valid Version.
        try directory.write(
            "root/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
            "Package: dpkg\nVersion: 1.21.23\nArchitecture: amd64\n\nPackage: a\nnot a field\nVersion: 1\n\nVersion: 2\n\nPackage: b\nVersion: !\n\n")
        let results = try await Self.run(PackagesCheck(), root: directory.url("root"))
        Self.expectFrench(results, "apt problems")
        let lists = try #require(results.first { $0.code == "patch.package-lists" })
        #expect(lists.status == .error)
        let french = try #require(lists.reasonFr)
        #expect(french.contains("Pin « sideways » non pris en charge") && french.contains("strophe deb demande URIs et Suites"), "\(french)")
        let english = try #require(lists.reason)
        #expect(english.contains("unsupported Pin \"sideways\""), "\(english)")
        // Every problem stays in the evidence, in English, for machines: the damaged list's stanzas too.
        let security = try #require(results.first { $0.code == "patch.security-updates" })
        #expect(security.status == .error)
        #expect(security.reasonFr?.hasPrefix("les entrées d'apt n'ont pas toutes pu être lues") == true, "\(security.reasonFr ?? "")")
        if case .array(let problems)? = lists.evidence["problems"] {
            #expect(problems.contains { if case .string(let text) = $0 { text.contains("stanza") } else { false } }, "\(problems)")
        } else {
            Issue.record("no problems in the evidence")
        }
    }

    @Test("certificate files: nothing to check, a missing file, a file that is no certificate, a folder")
    func certificateFiles() async throws {
        let directory = try TemporaryDirectory()
        try directory.makeDirectory("root/etc")
        Self.expectFrench(try await Self.run(CertificateFilesCheck(paths: [], discover: true), root: directory.url("root")), "nothing")
        Self.expectFrench(try await Self.run(CertificateFilesCheck(paths: [], discover: false), root: directory.url("root")), "discover false")
        try directory.write("root/etc/ssl/garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        try directory.write("root/etc/ssl/empty.pem", "")
        try directory.makeDirectory("root/etc/ssl/folder.pem")
        let results = try await Self.run(
            CertificateFilesCheck(paths: ["/etc/ssl/garbage.pem", "/etc/ssl/empty.pem", "/etc/ssl/folder.pem", "/etc/ssl/absent.pem"], discover: false),
            root: directory.url("root"))
        Self.expectFrench(results, "bad files")
        try directory.write("root/etc/nginx/nginx.conf", "http { include /etc/nginx/absent.conf; }\n")
        Self.expectFrench(try await Self.run(CertificateFilesCheck(paths: [], discover: true), root: directory.url("root")), "nginx include missing")
    }

    @Test("organisation: no answers file, a dangling link")
    func organisation() async throws {
        let directory = try TemporaryDirectory()
        try directory.makeDirectory("root/etc/cyberctl")
        let path = "/etc/cyberctl/nis2-answers.yaml"
        Self.expectFrench(try await Self.run(NIS2AnswersCheck(answers: path), root: directory.url("root")), "no answers")
        try FileManager.default.createSymbolicLink(atPath: directory.url("root" + path), withDestinationPath: "/etc/cyberctl/gone.yaml")
        Self.expectFrench(try await Self.run(NIS2AnswersCheck(answers: path), root: directory.url("root")), "dangling link")
    }

    @Test("backups: an absent folder, an unreadable folder")
    func backups() async throws {
        let directory = try TemporaryDirectory()
        try directory.makeDirectory("root/etc")
        try directory.makeDirectory("root/srv")
        // A folder loop where the set's folder is expected: it cannot be read.
        try FileManager.default.createSymbolicLink(atPath: directory.url("root/srv/backup"), withDestinationPath: "/srv/backup")
        var check = BackupSetsCheck()
        check.discover = false
        check.sets = [try JSONDecoder().decode(BackupSetDeclaration.self, from: Data(#"{"name": "nas", "kind": "files", "path": "/srv/backup/*.tar.gz"}"#.utf8))]
        let results = try await Self.run(check, root: directory.url("root"))
        Self.expectFrench(results, "unreadable set")
    }

    @Test("TLS: nothing to probe")
    func tls() async throws {
        let directory = try TemporaryDirectory()
        try directory.makeDirectory("root/etc")
        var check = TLSEndpointCheck()
        check.discover = false
        Self.expectFrench(try await Self.run(check, root: directory.url("root")), "no endpoint")
        check.discover = true
        Self.expectFrench(try await Self.run(check, root: directory.url("root")), "no socket table")
    }

    @Test("TLS: ports that do not speak TLS (SSH, SMTP, plain HTTP), STARTTLS asked of the wrong protocol, a closed port")
    func plainPorts() async throws {
        let directory = try TemporaryDirectory(prefix: "cyberctl-reason-tls")
        let ssh = try PlainTestServers.sshd(folder: directory.path)
        let smtp = try PlainTestServers.smtp(folder: directory.path)
        let web = try TLSTestServers.nginxPlain(folder: directory.path)
        let closed = try BackgroundServer.freePort()
        let endpoints: [TLSEndpointCheck.Target] = [
            .init(endpoint: TLSEndpoint(host: "127.0.0.1", port: ssh.port)),
            .init(endpoint: TLSEndpoint(host: "127.0.0.1", port: smtp.port)),
            .init(endpoint: TLSEndpoint(host: "127.0.0.1", port: web.port)),
            .init(endpoint: TLSEndpoint(host: "127.0.0.1", port: ssh.port, startTLS: .imap)),
            .init(endpoint: TLSEndpoint(host: "127.0.0.1", port: closed)),
        ]
        var check = TLSEndpointCheck(endpoints: endpoints, discover: false)
        check.connectionTimeout = 5
        let results = try await Self.run(check, root: directory.path)
        Self.expectFrench(results, "plain ports")
        // One error per endpoint, each saying what the port speaks, in French.
        let connections = results.filter { $0.code == "tls.connection" }
        #expect(connections.count == endpoints.count && connections.allSatisfy { $0.status == .error }, "\(results.map { "\($0.code) \($0.target) \($0.status)" })")
        _ = (ssh, smtp, web)
    }

    @Test("every duration people read has French units")
    func durations() {
        #expect(DurationText.describe(20 * 86_400, in: .fr) == "20 j")
        #expect(DurationText.describe(20 * 86_400, in: .en) == "20 d")
        #expect(DurationText.describe(3 * 86_400 + 4 * 3600, in: .fr) == "3 j 4 h")
        #expect(DurationText.describe(26 * 3600, in: .fr) == "26 h")
        #expect(DurationText.describe(45 * 60, in: .en) == "45 min")
    }

    @Test("no reason in Sources/Checks is a single string")
    func sourcesGiveBothLanguages() throws {
        let checks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Checks").path
        let enumerator = try #require(FileManager.default.enumerator(atPath: checks))
        var files = 0
        var offenders: [String] = []
        // `reason: "…"` (a literal in one language), or a text type made writable as a bare literal.
        let single = try Regex(#"reason\s*[:=]\s*""#)
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            files += 1
            let text = try String(contentsOfFile: checks + "/" + relative, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                if code.contains(single) || (code.contains("LocalizedText") && code.contains("ExpressibleByStringLiteral")) {
                    offenders.append("Sources/Checks/\(relative):\(number + 1): \(code)")
                }
            }
        }
        #expect(files > 50)
        #expect(offenders.isEmpty, "reasons in one language only:\n\(offenders.joined(separator: "\n"))")
    }
}
