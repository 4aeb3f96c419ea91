import Checks
import Foundation
import Testing
import TestSupport
import TLSProbe

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
        let sockets = ListeningSockets.read(root: root)
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

    @Test func missingProcTablesGiveNoTarget() throws {
        let folder = try TemporaryDirectory()
        let root = try FileSystemRoot(folder.path)
        #expect(TLSEndpointCheck().targets(in: root).isEmpty)
    }

    @Test func hstsMaxAgeParsing() {
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "max-age=63072000; includeSubDomains; preload") == 63_072_000)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "includeSubDomains; Max-Age=\"300\"") == 300)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "includeSubDomains") == nil)
        #expect(HTTPSecurityFacts.maxAge(ofHSTS: "max-age=soon") == nil)
    }

    @Test func rulesTableCoversEveryCatalogueCodeWithASource() {
        let codes = ["tls.legacy-protocols", "tls.weak-ciphers", "tls.forward-secrecy", "tls.dh-params", "tls.cert.trust",
                     "tls.cert.hostname", "tls.cert.expiry", "tls.cert.key-strength", "tls.cert.signature-algorithm",
                     "tls.ocsp-stapling", "tls.hsts", "tls.compression", "tls.renegotiation"]
        #expect(TLSRules.table.map(\.code) == codes)
        for code in codes + [TLSRules.connectionCode] {
            let rule = Catalogue.rule(code)
            #expect(rule != nil, "no catalogue entry for \(code)")
            #expect(rule?.french.title.isEmpty == false)
            #expect(rule?.english.remediation.isEmpty == false)
        }
        #expect(TLSRules.table.allSatisfy { !$0.source.isEmpty })
    }
}
