@testable import Checks
import Foundation
import Testing
import TestSupport

@Suite struct DiscoveryParserTests {
    @Test func nginxDirectivesKeepLinesAndIgnoreComments() {
        let text = """
            # ssl_certificate /commented.pem;
            server {
              ssl_certificate "/etc/ssl/a b.pem"; ssl_certificate_key /k;
              include sites/*.conf;
            }
            """
        let directives = NginxTokenizer.directives(text)
        #expect(directives.contains(.init(name: "ssl_certificate", arguments: ["/etc/ssl/a b.pem"], line: 3)))
        #expect(directives.contains(.init(name: "include", arguments: ["sites/*.conf"], line: 4)))
        #expect(!directives.contains { $0.arguments.contains("/commented.pem") })
    }

    @Test func apacheJoinsContinuationLinesAndSkipsComments() {
        let lines = ApacheConfig.logicalLines("#SSLCertificateFile /x\nSSLCertificateFile \\\n   \"/etc/ssl/y.pem\"\n")
        #expect(lines.count == 1)
        #expect(lines[0].number == 2)
        #expect(ApacheConfig.words(lines[0].text) == ["SSLCertificateFile", "/etc/ssl/y.pem"])
    }

    @Test func postfixContinuationLinesJoinTheirParameter() {
        let parameters = PostfixConfig.parameters("a = 1\nsmtpd_tls_chain_files =\n  /x.pem,\n  /y.pem\n# c = 3\n")
        #expect(parameters.map(\.name) == ["a", "smtpd_tls_chain_files"])
        #expect(parameters[1].value == "/x.pem, /y.pem")
        #expect(parameters[1].line == 2)
    }

    @Test func includeLoopsAreReadOnce() throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/nginx/nginx.conf", "include /etc/nginx/nginx.conf; include loop.conf; ssl_certificate /a.pem;")
        try directory.write("etc/nginx/loop.conf", "include nginx.conf; ssl_certificate b.pem;")
        let found = ServiceCertificateDiscovery(root: try FileSystemRoot(directory.path)).nginx()
        #expect(found.map(\.path) == ["/a.pem", "/etc/nginx/b.pem"])
    }
}

@Suite struct FileSystemRootTests {
    @Test func absoluteLinksStayInsideTheRoot() throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/real.pem", "inside")
        try directory.makeDirectory("etc/live")
        try FileManager.default.createSymbolicLink(atPath: directory.url("etc/live/cert.pem"), withDestinationPath: "/etc/real.pem")
        let root = try FileSystemRoot(directory.path)
        #expect(try root.resolve("/etc/live/cert.pem") == "/etc/real.pem")
        #expect(try root.readText("/etc/live/cert.pem") == "inside")
        // `..` cannot climb above the root.
        #expect(try root.resolve("/../../etc/real.pem") == "/etc/real.pem")
    }

    @Test func linkLoopsAndMissingFilesAreNamedErrors() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createSymbolicLink(atPath: directory.url("a"), withDestinationPath: "/b")
        try FileManager.default.createSymbolicLink(atPath: directory.url("b"), withDestinationPath: "/a")
        let root = try FileSystemRoot(directory.path)
        #expect(throws: FileAccessError.tooManyLinks("/a")) { try root.read("/a") }
        #expect(throws: FileAccessError.notFound("/nothing")) { try root.read("/nothing") }
        try directory.write("big", String(repeating: "x", count: 100))
        #expect(throws: FileAccessError.tooLarge("/big", bytes: 100, limit: 10)) { try root.read("/big", limit: 10) }
    }

    @Test func globMatchesInsideTheRootOnly() throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/nginx/sites/a.conf", "")
        try directory.write("etc/nginx/sites/b.conf", "")
        try directory.write("etc/nginx/sites/c.txt", "")
        let root = try FileSystemRoot(directory.path)
        #expect(root.glob("/etc/nginx/sites/*.conf") == ["/etc/nginx/sites/a.conf", "/etc/nginx/sites/b.conf"])
        #expect(root.glob("/etc/nginx/sites/*.conf", limit: 1).count == 1)
    }

    @Test func aMissingRootIsAnError() {
        #expect(throws: FileAccessError.notFound("/no/such/root")) { try FileSystemRoot("/no/such/root") }
    }
}
