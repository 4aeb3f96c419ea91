import Testing
@testable import TLSProbe

/// The suite registry's names and the properties the rules judge.
struct CipherSuiteTests {
    @Test func namesAndClassesOfWellKnownSuites() throws {
        let tripleDES = try #require(CipherSuite.named(code: 0x000A))
        #expect(tripleDES.openSSLName == "DES-CBC3-SHA")
        #expect(tripleDES.ianaName == "TLS_RSA_WITH_3DES_EDE_CBC_SHA")
        #expect(tripleDES.isTripleDES && tripleDES.isStaticRSA && tripleDES.isCBC && !tripleDES.hasForwardSecrecy)
        #expect(tripleDES.hexCode == "0x00,0x0A")

        let rc4 = try #require(CipherSuite.named("TLS_ECDHE_RSA_WITH_RC4_128_SHA"))
        #expect(rc4.isRC4 && rc4.hasForwardSecrecy && !rc4.isCBC)

        let gcm = try #require(CipherSuite.named("ECDHE-RSA-AES128-GCM-SHA256"))
        #expect(gcm.isAEAD && gcm.hasForwardSecrecy && !gcm.isCBC && !gcm.isStaticRSA)

        let dhe = try #require(CipherSuite.named("DHE-RSA-AES128-GCM-SHA256"))
        #expect(dhe.isDHE && dhe.hasForwardSecrecy)

        let staticDH = try #require(CipherSuite.named("TLS_DH_RSA_WITH_AES_128_CBC_SHA"))
        #expect(!staticDH.hasForwardSecrecy && !staticDH.isDHE)

        let export = try #require(CipherSuite.named("EXP-RC4-MD5"))
        #expect(export.export)

        let anonymous = try #require(CipherSuite.named("ADH-AES128-SHA"))
        #expect(anonymous.isAnonymous)

        let null = try #require(CipherSuite.named("NULL-SHA256"))
        #expect(null.isNull)

        let tls13 = try #require(CipherSuite.named(code: 0x1301))
        #expect(tls13.isTLS13 && tls13.hasForwardSecrecy && !tls13.isCBC)
    }

    @Test func registryHasUniqueCodesAndSkipsSSLv2() {
        #expect(Set(CipherSuite.registry.map(\.code)).count == CipherSuite.registry.count)
        #expect(CipherSuite.registry.count > 300)
        #expect(!CipherSuite.registry.contains { $0.minimumProtocol == "SSLv2" })
    }

    @Test func endpointParsing() throws {
        #expect(try TLSEndpoint.parse("mail.example.fr", defaultPort: 443) == ("mail.example.fr", 443))
        #expect(try TLSEndpoint.parse("mail.example.fr:993", defaultPort: 443) == ("mail.example.fr", 993))
        #expect(try TLSEndpoint.parse("[::1]:8443", defaultPort: 443) == ("::1", 8443))
        #expect(try TLSEndpoint.parse("::1", defaultPort: 443) == ("::1", 443))
        #expect(throws: TLSEndpoint.ParseError.self) { try TLSEndpoint.parse("host:99999", defaultPort: 443) }
        #expect(throws: TLSEndpoint.ParseError.self) { try TLSEndpoint.parse("[::1", defaultPort: 443) }
        #expect(throws: TLSEndpoint.ParseError.self) { try TLSEndpoint.parse("bad host", defaultPort: 443) }
    }

    @Test func sniIsNeverAnIPLiteral() {
        #expect(TLSEndpoint(host: "127.0.0.1", port: 443).sniName == nil)
        #expect(TLSEndpoint(host: "::1", port: 443).sniName == nil)
        #expect(TLSEndpoint(host: "127.0.0.1", port: 443, serverName: "portail.example.fr").sniName == "portail.example.fr")
        #expect(TLSEndpoint(host: "portail.example.fr", port: 443).sniName == "portail.example.fr")
        #expect(TLSEndpoint(host: "[::1]", port: 8443).target == "[::1]:8443")
    }
}
