@testable import Checks
import Foundation
import Model
import Testing
import TestSupport

/// `cert.discovery`: a configuration input that exists but cannot be read is an `error` naming it
/// (the certificates it names are unknown), never an empty list that then looks clean; when nothing
/// names a certificate, one `skip` says why. Tests run as root, where permissions do not stop a read:
/// the unreadable inputs here are the ones root meets too (a link loop, a folder where a file is
/// expected, a file over the size limit, a file where a folder is expected); CertificateDiscoveryScanTests
/// runs the built binary as nobody on files it may not read.
@Suite struct CertificateDiscoveryProblemTests {
    static func run(_ directory: TemporaryDirectory, paths: [String] = []) async throws -> [CheckResult] {
        await CertificateFilesCheck(paths: paths, discover: true).run(CheckContext(root: try FileSystemRoot(directory.path)))
    }

    static func discovery(_ results: [CheckResult]) -> [CheckResult] { results.filter { $0.code == "cert.discovery" } }

    @Test func nginxIncludeThatIsALinkLoopIsAnError() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/nginx/nginx.conf", "http {\n  include /etc/nginx/sites-enabled/*;\n}\n")
        try directory.makeDirectory("etc/nginx/sites-enabled")
        try FileManager.default.createSymbolicLink(atPath: directory.url("etc/nginx/sites-enabled/portail"), withDestinationPath: "/etc/nginx/sites-enabled/portail")
        let results = try await Self.run(directory)
        let errors = Self.discovery(results)
        #expect(errors.count == 1)
        #expect(errors.first?.status == .error)
        #expect(errors.first?.target == "/etc/nginx/sites-enabled/portail")
        #expect(errors.first?.evidence["service"] == "nginx")
        #expect(errors.first?.evidence["namedBy"] == "/etc/nginx/nginx.conf:2")
        #expect(errors.first?.reason?.hasPrefix("/etc/nginx/sites-enabled/portail: too many levels of symbolic links") == true, "\(errors.first?.reason ?? "")")
        // Nothing else is claimed: no skip saying there is no certificate.
        #expect(results.count == 1)
    }

    @Test func missingLiteralIncludeIsAnErrorButAnEmptyPatternIsNot() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/nginx/nginx.conf", "include /etc/nginx/conf.d/*.conf;\ninclude /etc/nginx/portail.conf;\n")
        try directory.makeDirectory("etc/nginx/conf.d")
        let errors = Self.discovery(try await Self.run(directory))
        #expect(errors.map(\.target) == ["/etc/nginx/portail.conf"])
        #expect(errors.first?.reason?.hasPrefix("/etc/nginx/portail.conf: no such file or directory") == true)
        #expect(errors.first?.evidence["namedBy"] == "/etc/nginx/nginx.conf:2")
    }

    @Test func apacheIncludeOptionalMayBeMissingIncludeMayNot() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/apache2/apache2.conf", "IncludeOptional /etc/apache2/absent.conf\nInclude sites-enabled/portail.conf\n")
        let errors = Self.discovery(try await Self.run(directory))
        #expect(errors.map(\.target) == ["/etc/apache2/sites-enabled/portail.conf"])
        #expect(errors.first?.evidence["service"] == "apache")
    }

    @Test func includedFolderWhereAFileIsExpectedIsAnError() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/dovecot/dovecot.conf", "!include conf.d/10-ssl.conf\n!include_try local.conf\n")
        try directory.makeDirectory("etc/dovecot/conf.d/10-ssl.conf")
        let errors = Self.discovery(try await Self.run(directory))
        #expect(errors.map(\.target) == ["/etc/dovecot/conf.d/10-ssl.conf"])
        #expect(errors.first?.reason?.contains("is a directory") == true)
    }

    @Test func oversizedPostfixConfigurationIsAnError() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/postfix/main.cf", "smtpd_tls_cert_file = /etc/ssl/smtp.pem\n" + String(repeating: "#\n", count: 2_200_000))
        let errors = Self.discovery(try await Self.run(directory))
        #expect(errors.map(\.target) == ["/etc/postfix/main.cf"])
        #expect(errors.first?.reason?.contains("more than the 4194304-byte limit") == true)
    }

    @Test func letsEncryptLiveThatCannotBeListedIsAnError() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/letsencrypt/live", "not a folder\n")
        let errors = Self.discovery(try await Self.run(directory))
        // `live` exists but is not a folder that can be listed.
        #expect(errors.map(\.target) == ["/etc/letsencrypt/live"])
        #expect(errors.first?.evidence["service"] == "letsencrypt")
        #expect(errors.first?.reason?.contains("not a directory") == true)
    }

    /// nginx names its certificate through a variable (loaded per handshake): every file the
    /// pattern matches is checked (the expired one fails), keys give no result; a pattern that
    /// matches nothing, or a folder that cannot be listed, is an error, never "names no file".
    @Test func nginxCertificateNamedThroughAVariable() async throws {
        let directory = try TemporaryDirectory()
        let factory = try CertificateFactory(folder: directory.url("work"))
        let now = Date()
        let expired = try factory.issue(
            name: "mairie", subject: "/CN=mairie.example.fr", notBefore: now - 400 * 86_400, notAfter: now - 370 * 86_400)
        try directory.write("etc/ssl/sites/mairie.example.fr.pem", expired.pem)
        try directory.write("etc/ssl/sites/mairie.example.fr.key", try String(contentsOfFile: expired.keyPath, encoding: .utf8))
        try directory.write("etc/nginx/nginx.conf", """
            events {}
            http {
              server {
                listen 443 ssl;
                server_name mairie.example.fr;
                ssl_certificate     /etc/ssl/sites/$ssl_server_name.pem;
                ssl_certificate_key /etc/ssl/sites/$ssl_server_name.key;
              }
            }
            """)
        let results = await CertificateFilesCheck(paths: [], discover: true).run(CheckContext(root: try FileSystemRoot(directory.path), clock: .fixed(now)))
        #expect(Self.discovery(results).isEmpty, "\(Self.discovery(results))")
        let expiry = try #require(results.first { $0.target == "/etc/ssl/sites/mairie.example.fr.pem" && $0.code == "cert.expiry" })
        #expect(expiry.status == .fail)
        #expect(!results.contains { $0.target.hasSuffix(".key") })
        #expect(ServiceCertificateDiscovery.variablesAsWildcards("/etc/ssl/${host}-$ssl_server_name.pem") == "/etc/ssl/*-*.pem")
        #expect(ServiceCertificateDiscovery.variablesAsWildcards("/etc/ssl/${host}$ssl_server_name.pem") == "/etc/ssl/*.pem")
        #expect(ServiceCertificateDiscovery.variablesAsWildcards("/etc/ssl/$host/cert.pem") == "/etc/ssl/*/cert.pem")

        // No file matches: error naming the directive, not a skip.
        try FileManager.default.removeItem(atPath: directory.url("etc/ssl/sites/mairie.example.fr.pem"))
        let none = Self.discovery(try await Self.run(directory))
        #expect(none.count == 1)
        #expect(none.first?.status == .error)
        #expect(none.first?.target == "/etc/ssl/sites/$ssl_server_name.pem")
        #expect(none.first?.evidence["namedBy"] == "/etc/nginx/nginx.conf:6")
        #expect(none.first?.reason?.hasPrefix("certificate named through a variable, not verified: no file matches /etc/ssl/sites/*.pem") == true)
        #expect(none.first?.reasonFr?.hasPrefix("certificat nommé par une variable, non vérifié") == true)

        // The folder cannot be listed (a link loop where it is): error naming it.
        try FileManager.default.removeItem(atPath: directory.url("etc/ssl/sites"))
        try FileManager.default.createSymbolicLink(atPath: directory.url("etc/ssl/sites"), withDestinationPath: "/etc/ssl/sites")
        let loop = Self.discovery(try await Self.run(directory))
        #expect(loop.map(\.status) == [.error])
    }

    @Test func nothingToCheckIsASkipThatSaysWhy() async throws {
        let empty = try TemporaryDirectory()
        let none = try await Self.run(empty)
        #expect(none.map(\.code) == ["cert.discovery"])
        #expect(none.first?.status == .skip)
        #expect(none.first?.reason?.hasPrefix("no nginx, Apache, Postfix or Dovecot configuration, no /etc/letsencrypt/live and no paths in the profile") == true)

        let plain = try TemporaryDirectory()
        try plain.write("etc/nginx/nginx.conf", "http { include sites/*; }\n")
        try plain.write("etc/nginx/sites/intranet", "server { listen 80; }\n")
        let withoutCertificates = try await Self.run(plain)
        #expect(withoutCertificates.map(\.status) == [.skip])
        #expect(withoutCertificates.first?.reason?.hasPrefix("the 2 service configuration file(s) read name no certificate file") == true, "\(withoutCertificates.first?.reason ?? "")")
        #expect(withoutCertificates.first?.evidence["configurationsRead"] == .strings(["/etc/nginx/nginx.conf", "/etc/nginx/sites/intranet"]))
    }
}
