import Foundation
import Testing
import TestSupport

/// `cyberctl scan --only certificates` as an unprivileged agent (`nobody`, setpriv) on an image whose
/// nginx include and Let's Encrypt `live/` folder it may not read (certbot makes `live/` 0700): each
/// gives a `cert.discovery` error naming the input, never a clean report without them.
@Suite(.serialized) struct CertificateDiscoveryScanTests {
    /// `cyberctl scan --root image --only domain --format json` run as `nobody` (root reads everything),
    /// writing its report in a world-writable folder of `directory`; the report's results.
    static func scanAsNobody(_ image: String, only domain: String, in directory: TemporaryDirectory) throws -> [[String: Any]] {
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let outFolder = directory.url("out-\(domain)")
        try FileManager.default.createDirectory(atPath: outFolder, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: outFolder)
        let out = outFolder + "/report.json"
        try? FileManager.default.removeItem(atPath: out)
        let output = try Command.run("/usr/bin/setpriv", [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", try BuiltBinary.path, "scan", "--root", image,
            "--only", domain, "--format", "json", "--out", out,
        ], currentDirectory: outFolder)
        #expect([0, 1].contains(output.exitCode), "stderr: \(output.stderr)")
        #expect(try ScanCommandTests.schemaProblems(out) == nil)
        let report = try ScanCommandTests.json(try Data(contentsOf: URL(fileURLWithPath: out)))
        return try #require(report["results"] as? [[String: Any]])
    }

    @Test func unreadableConfigurationsAreErrorsNotAnEmptyList() throws {
        let directory = try TemporaryDirectory()
        let image = try directory.makeDirectory("image")
        let factory = try CertificateFactory(folder: directory.url("work"))
        let portal = try factory.issue(name: "portail", subject: "/CN=portail.mairie.test")
        try directory.write("image/etc/ssl/portail.pem", portal.pem)
        try directory.write("image/etc/nginx/nginx.conf", "http {\n    include /etc/nginx/sites-enabled/*;\n}\n")
        try directory.write("image/etc/nginx/sites-enabled/public", "server { listen 443 ssl; ssl_certificate /etc/ssl/portail.pem; }\n")
        let locked = try directory.write("image/etc/nginx/sites-enabled/intranet", "server { listen 443 ssl; ssl_certificate /etc/ssl/intranet.pem; }\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: locked)
        try directory.write("image/etc/letsencrypt/live/demarches/fullchain.pem", portal.pem)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.url("image/etc/letsencrypt/live"))
        let results = try Self.scanAsNobody(image, only: "certificates", in: directory)
        let discovery = results.filter { $0["code"] as? String == "cert.discovery" }
        #expect(discovery.count == 2, "\(discovery)")
        let include = try #require(discovery.first { $0["target"] as? String == "/etc/nginx/sites-enabled/intranet" })
        #expect(include["status"] as? String == "error")
        #expect((include["reason"] as? String)?.hasPrefix("/etc/nginx/sites-enabled/intranet: permission denied") == true)
        #expect((include["evidence"] as? [String: Any])?["namedBy"] as? String == "/etc/nginx/nginx.conf:2")
        let live = try #require(discovery.first { $0["target"] as? String == "/etc/letsencrypt/live" })
        #expect(live["status"] as? String == "error")
        #expect((live["reason"] as? String)?.hasPrefix("/etc/letsencrypt/live: permission denied") == true)
        // The readable site is still checked.
        #expect(results.contains { $0["target"] as? String == "/etc/ssl/portail.pem" && $0["code"] as? String == "cert.expiry" && $0["status"] as? String == "pass" })
    }
}
