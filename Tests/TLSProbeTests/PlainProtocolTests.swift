import Testing
@testable import TLSProbe

/// What a port that does not speak TLS speaks, from the first bytes it sent.
@Suite struct PlainProtocolTests {
    @Test("a banner is recognised from its first line, whatever follows it (aiosmtpd echoes the ClientHello's bytes)")
    func firstLineDecides() {
        // aiosmtpd splits the binary ClientHello at any 0x0A in its random bytes and echoes the "command" it read:
        // control bytes follow the greeting within the first 64 bytes.
        let echoed = Array("220 localhost Python SMTP 1.4.3\r\n500 Error: command \"".utf8) + [0x16, 0x03, 0x01, 0x00, 0xC4, 0x01]
            + Array("\" not recognized\r\n".utf8)
        let smtp = PlainProtocol(firstBytes: echoed)
        #expect(smtp.name == "smtp")
        #expect(smtp.firstLine == "220 localhost Python SMTP 1.4.3")
        #expect(smtp.startTLS == .smtp)
        #expect(PlainProtocol(firstBytes: Array("SSH-2.0-OpenSSH_9.2p1\r\n".utf8) + [0, 0, 1, 0x14]).name == "ssh")
        #expect(PlainProtocol(firstBytes: Array("* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n".utf8)).name == "imap")
        #expect(PlainProtocol(firstBytes: Array("220 ProFTPD Server ready.\r\n".utf8)).name == "ftp")
    }

    @Test("bytes that are not text in their first line are shown in hex and not named")
    func binaryIsNotNamed() {
        let binary = PlainProtocol(firstBytes: [0x00, 0x01, 0x02, 0x41, 0x42, 0x0A, 0x43])
        #expect(binary.name == nil)
        #expect(binary.firstLine == "00 01 02 41 42 0a 43")
        #expect(PlainProtocol(firstBytes: []).name == nil)
    }
}
