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
