import Checks
import Foundation
import Testing
import TestSupport
import TLSProbe

#if canImport(Glibc)
import Glibc
#endif

/// Endpoint discovery from `/proc/net/tcp{,6}` read through a fixture root, profile decoding, HSTS parsing.
struct TLSDiscoveryTests {
    static let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1680 1 0 100 0 0 10 0
           1: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1681 1 0 100 0 0 10 0
           2: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1682 1 0 100 0 0 10 0
           3: 0100007F:01BB 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1683 1 0 100 0 0 10 0
        """
    static let tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2680 1 0 100 0 0 10 0
           1: 00000000000000000000000001000000:03E1 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2681 1 0 100 0 0 10 0
        """

    @Test func discoversTLSAndStartTLSPortsThroughTheRoot() throws {
        let folder = try TemporaryDirectory()
        try folder.write("proc/net/tcp", Self.tcp)
        try folder.write("proc/net/tcp6", Self.tcp6)
        let root = try FileSystemRoot(folder.path)
        let table = ListeningSockets.read(root: root)
        #expect(table.problems.isEmpty)
        #expect(table.read == ["/proc/net/tcp", "/proc/net/tcp6"])
        let sockets = table.sockets
        #expect(sockets.count == 5)
        #expect(sockets.contains(.init(address: "::1", port: 993, ipv6: true)))
        let endpoints = ListeningSockets.endpoints(from: sockets)
        // 443 on both families: probed once over IPv4 loopback; 25 with STARTTLS smtp; 22 ignored; [::1]:993.
        #expect(endpoints.map(\.target) == ["127.0.0.1:25", "127.0.0.1:443", "[::1]:993"])
        #expect(endpoints[0].startTLS == .smtp)
        #expect(endpoints[1].startTLS == nil)
        let check = TLSEndpointCheck()
        let targets = check.targets(in: root)
        #expect(targets.count == 3)
        #expect(targets.allSatisfy { !$0.nameKnown })
    }

    @Test func missingProcTablesGiveNoTargetAndASkipThatSaysWhy() async throws {
        let folder = try TemporaryDirectory()
        let root = try FileSystemRoot(folder.path)
        #expect(TLSEndpointCheck().targets(in: root).isEmpty)
        let results = await TLSEndpointCheck().run(CheckContext(root: root))
        #expect(results.map(\.code) == ["tls.discovery"])
        #expect(results.first?.status == .skip)
        #expect(results.first?.reason?.contains("as on a disk image") == true)
    }

    /// The live tables of this machine: /proc files say size 0 and must be read to their end.
    @Test func liveSocketTablesAreReadToTheEnd() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        try #require(bound)
        let port = UInt16(bigEndian: address.sin_port)
        let table = ListeningSockets.read(root: .system)
        #expect(table.problems.isEmpty, "\(table.problems)")
        #expect(table.read.contains("/proc/net/tcp"))
        #expect(table.sockets.contains(.init(address: "127.0.0.1", port: port, ipv6: false)))
    }

    /// Tables that exist but cannot be read or parsed: `tls.discovery` errs, naming the file and line.
    @Test(arguments: ["directory", "malformed", "header"])
    func unreadableOrMalformedTablesGiveAnError(_ kind: String) async throws {
        let folder = try TemporaryDirectory()
        try folder.write("proc/net/tcp6", Self.tcp6)
        switch kind {
        case "directory": _ = try folder.makeDirectory("proc/net/tcp")
        case "malformed": try folder.write("proc/net/tcp", Self.tcp + "\n   4: 0100007F:zz 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n")
        default: try folder.write("proc/net/tcp", "garbage\n" + Self.tcp)
        }
        let root = try FileSystemRoot(folder.path)
        let table = ListeningSockets.read(root: root)
        #expect(table.problems.count == 1)
        var check = TLSEndpointCheck()
        check.allPorts = false
        check.connectionTimeout = 1
        let results = await check.run(CheckContext(root: root))
        let discovery = try #require(results.first { $0.code == "tls.discovery" })
        #expect(discovery.status == .error)
        switch kind {
        case "directory": #expect(discovery.reason?.contains("/proc/net/tcp: is a directory") == true, "\(discovery.reason ?? "")")
        case "malformed": #expect(discovery.reason?.contains("/proc/net/tcp: line 6") == true, "\(discovery.reason ?? "")")
        default: #expect(discovery.reason?.contains("/proc/net/tcp: line 1") == true, "\(discovery.reason ?? "")")
        }
        // What could be read is still probed: [::1]:993 from tcp6.
        #expect(results.contains { $0.target == "[::1]:993" })
    }

    @Test func tablesWithoutTLSServiceGiveASkip() async throws {
        let folder = try TemporaryDirectory()
        let ssh = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1682 1 0 100 0 0 10 0
            """
        try folder.write("proc/net/tcp", ssh)
        let results = await TLSEndpointCheck().run(CheckContext(root: try FileSystemRoot(folder.path)))
        #expect(results.map(\.code) == ["tls.discovery"])
        #expect(results.first?.status == .skip)
        #expect(results.first?.reason?.hasPrefix("no TLS service listens on this host") == true)
    }

    @Test func otherPortsExcludeUsualAndPlainTextOnes() {
        let sockets: [ListeningSockets.Socket] = [
            .init(address: "0.0.0.0", port: 8006, ipv6: false), .init(address: "::", port: 8006, ipv6: true),
            .init(address: "0.0.0.0", port: 22, ipv6: false), .init(address: "127.0.0.1", port: 443, ipv6: false),
            .init(address: "::1", port: 10443, ipv6: true), .init(address: "0.0.0.0", port: 3306, ipv6: false),
        ]
        #expect(ListeningSockets.otherEndpoints(from: sockets).map(\.target) == ["127.0.0.1:8006", "[::1]:10443"])
    }

    @Test func hstsMaxAgeParsing() {
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "max-age=63072000; includeSubDomains; preload") == 63_072_000)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "includeSubDomains; Max-Age=\"300\"") == 300)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "includeSubDomains") == nil)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "max-age=soon") == nil)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "max-age=0") == 0)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "max-age=-5") == nil)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "max-age=31536000;") == 31_536_000)
        // RFC 6797 §6.1: a repeated directive (any case) makes the browser ignore the whole header.
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "max-age=31536000; max-age=0") == nil)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "max-age=31536000; includeSubDomains; IncludeSubDomains") == nil)
        guard case .ignored(let why) = HTTPSecurityFacts.hsts("max-age=31536000; Max-Age=0") else {
            Issue.record("a repeated max-age must be ignored")
            return
        }
        #expect(why.en == "directive Max-Age is repeated: the browser ignores the whole header (RFC 6797 §6.1), no HSTS")
    }

    @Test func rulesTableCoversEveryCatalogueCodeWithASource() {
        let codes = ["tls.legacy-protocols", "tls.weak-ciphers", "tls.forward-secrecy", "tls.dh-params", "tls.cert.trust",
                     "tls.cert.hostname", "tls.cert.expiry", "tls.cert.key-strength", "tls.cert.signature-algorithm",
                     "tls.ocsp-stapling", "tls.hsts", "tls.compression", "tls.renegotiation"]
        #expect(TLSRules.table.map(\.code) == codes)
        for code in codes + [TLSRules.connectionCode, TLSRules.discoveryCode] {
            let rule = Catalogue.rule(code)
            #expect(rule != nil, "no catalogue entry for \(code)")
            #expect(rule?.french.title.isEmpty == false)
            #expect(rule?.english.remediation.isEmpty == false)
        }
        #expect(TLSRules.table.allSatisfy { !$0.source.isEmpty })
    }
}
