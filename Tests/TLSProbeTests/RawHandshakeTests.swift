import Foundation
import Testing
@testable import TLSProbe

/// The handcrafted ClientHello and the ServerHello reader, byte for byte.
struct RawHandshakeTests {
    @Test func clientHelloHasRecordHandshakeSuitesAndSNI() {
        var offer = RawHandshake.Offer(version: .tls1_2, suites: [0x000A, 0x0005], serverName: "mairie.example.fr")
        offer.offerCompression = true
        let bytes = RawHandshake.clientHello(offer)
        #expect(Array(bytes.prefix(3)) == [0x16, 0x03, 0x01])
        #expect(Int(bytes[3]) << 8 | Int(bytes[4]) == bytes.count - 5)
        #expect(bytes[5] == 1)  // ClientHello
        #expect(Array(bytes[9..<11]) == [0x03, 0x03])
        // After version (2), random (32) and an empty session id (1): the suite list.
        let suites = 9 + 2 + 32 + 1
        #expect(Array(bytes[suites..<suites + 6]) == [0x00, 0x04, 0x00, 0x0A, 0x00, 0x05])
        #expect(Array(bytes[suites + 6..<suites + 9]) == [2, 1, 0])  // DEFLATE then NULL
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("mairie.example.fr"))
    }

    @Test func sslv3HelloUsesSSLv3RecordAndRenegotiationSCSVWithoutExtensions() {
        let bytes = RawHandshake.clientHello(RawHandshake.Offer(version: .sslv3, suites: [0x000A]))
        #expect(Array(bytes.prefix(3)) == [0x16, 0x03, 0x00])
        let suites = 9 + 2 + 32 + 1
        #expect(Array(bytes[suites..<suites + 6]) == [0x00, 0x04, 0x00, 0x0A, 0x00, 0xFF])
        // No extensions block after the compression methods.
        #expect(bytes.count == suites + 6 + 2)
    }

    /// A ServerHello record split across two reads, with the renegotiation_info and heartbeat extensions.
    @Test func serverHelloParsedAcrossFragments() throws {
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0] + [0x00, 0x0A] + [1]
        let extensions: [UInt8] = [0xFF, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0F, 0x00, 0x01, 0x01]
        body += [0x00, UInt8(extensions.count)] + extensions
        let handshake: [UInt8] = [2, 0, 0, UInt8(body.count)] + body
        let record: [UInt8] = [0x16, 0x03, 0x03, 0x00, UInt8(handshake.count)] + handshake
        var reader = RawHandshake.RecordReader()
        #expect(try reader.feed(Array(record.prefix(20))) == nil)
        guard case .serverHello(let hello)? = try reader.feed(Array(record.dropFirst(20))) else {
            Issue.record("no ServerHello")
            return
        }
        #expect(hello.version == .tls1_2)
        #expect(hello.cipherSuite == 0x000A)
        #expect(hello.compressionMethod == 1)
        #expect(hello.extensions[0xFF01] == [0])
        #expect(hello.extensions[0x000F] == [1])
    }

    @Test func alertIsReadAsRefusal() throws {
        var reader = RawHandshake.RecordReader()
        #expect(try reader.feed([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40]) == .alert(40))
    }

    @Test func nonTLSBytesAreAProtocolViolation() {
        var reader = RawHandshake.RecordReader()
        #expect(throws: ProbeNetworkError.self) { try reader.feed(Array("HTTP/1.0 400 Bad Request\r\n".utf8)) }
    }

    @Test func endlessFlightIsBounded() throws {
        var reader = RawHandshake.RecordReader(readFlight: true)
        // A ServerHello, then certificate records forever: stops at 512 KiB.
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 1, count: 32) + [0, 0x00, 0x2F, 0]
        body = [2, 0, 0, UInt8(body.count)] + body
        _ = try reader.feed([0x16, 0x03, 0x03, 0x00, UInt8(body.count)] + body)
        let chunk: [UInt8] = [0x16, 0x03, 0x03, 0x40, 0x00] + [UInt8](repeating: 0, count: 0x4000)
        var thrown = false
        for _ in 0..<64 {
            do { _ = try reader.feed(chunk) } catch { thrown = true; break }
        }
        #expect(thrown)
    }

    @Test func dhePrimeBitsFromServerKeyExchange() {
        let prime: [UInt8] = [0x00, 0xFF] + [UInt8](repeating: 0xAB, count: 127)  // 1024-bit prime with a leading zero byte
        let body: [UInt8] = [0x00, UInt8(prime.count)] + prime + [0x00, 0x01, 0x02]
        #expect(RawHandshake.dhePrimeBits(body) == 1024)
    }

    @Test func certificateMessageSplitsIntoDER() {
        let first: [UInt8] = [0x30, 0x03, 1, 2, 3]
        let second: [UInt8] = [0x30, 0x01, 9]
        var list: [UInt8] = []
        for der in [first, second] { list += [0, 0, UInt8(der.count)] + der }
        #expect(RawHandshake.parseCertificates([0, 0, UInt8(list.count)] + list) == [first, second])
    }
}

/// The TLS 1.3 group hello: legacy_version 1.2, supported_versions 1.3 only, one group, an empty
/// key_share; and the HelloRetryRequest that names the group.
struct RawTLS13GroupHelloTests {
    /// Extension type → body of a ClientHello record made by `RawHandshake.clientHello`.
    static func extensions(of bytes: [UInt8]) -> [UInt16: [UInt8]] {
        var cursor = 9 + 2 + 32
        cursor += 1 + Int(bytes[cursor])
        cursor += 2 + (Int(bytes[cursor]) << 8 | Int(bytes[cursor + 1]))
        cursor += 1 + Int(bytes[cursor])
        let end = cursor + 2 + (Int(bytes[cursor]) << 8 | Int(bytes[cursor + 1]))
        cursor += 2
        var found: [UInt16: [UInt8]] = [:]
        while cursor + 4 <= end {
            let type = UInt16(bytes[cursor]) << 8 | UInt16(bytes[cursor + 1])
            let length = Int(bytes[cursor + 2]) << 8 | Int(bytes[cursor + 3])
            found[type] = Array(bytes[cursor + 4..<cursor + 4 + length])
            cursor += 4 + length
        }
        return found
    }

    @Test func helloOffersOneGroupAndNoKeyShare() {
        var offer = RawHandshake.Offer(version: .tls1_3, suites: [0x1301, 0x1302])
        offer.groups = [0x0101]
        let bytes = RawHandshake.clientHello(offer)
        #expect(Array(bytes.prefix(3)) == [0x16, 0x03, 0x01])
        #expect(Array(bytes[9..<11]) == [0x03, 0x03])  // legacy_version (RFC 8446 §4.1.2)
        let extensions = Self.extensions(of: bytes)
        #expect(extensions[43] == [2, 0x03, 0x04])  // supported_versions: TLS 1.3 only
        #expect(extensions[51] == [0, 0])  // key_share: no share
        #expect(extensions[10] == [0, 2, 0x01, 0x01])  // supported_groups: ffdhe3072 only
        #expect(extensions[0xFF01] == nil)  // no renegotiation_info in TLS 1.3
    }

    @Test func helloRetryRequestNamesTheGroup() throws {
        var body: [UInt8] = [0x03, 0x03] + RawHandshake.helloRetryRequestRandom + [0] + [0x13, 0x01] + [0]
        let extensions: [UInt8] = [0x00, 0x2B, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x02, 0x00, 0x1E]
        body += [0x00, UInt8(extensions.count)] + extensions
        let handshake: [UInt8] = [2, 0, 0, UInt8(body.count)] + body
        var reader = RawHandshake.RecordReader()
        let answer = try reader.feed([0x16, 0x03, 0x03, 0x00, UInt8(handshake.count)] + handshake)
        guard case .serverHello(let hello)? = answer else {
            Issue.record("no ServerHello: \(String(describing: answer))")
            return
        }
        #expect(hello.isHelloRetryRequest)
        #expect(hello.version == .tls1_3)
        #expect(hello.cipherSuite == 0x1301)
        #expect(hello.keyShareGroup == 0x001E)  // X448
    }
}
