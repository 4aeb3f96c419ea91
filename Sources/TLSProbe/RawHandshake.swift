/// Handcrafted ClientHello bytes and a ServerHello reader, for what OpenSSL 3 cannot offer:
/// SSLv3 (compiled out on Debian), suites it no longer has (3DES, RC4, DES, EXPORT, IDEA, SEED …),
/// TLS compression, and the Heartbeat extension. The handshake stops at the ServerHello: the server's
/// choice is all the probe needs (the method sslscan's `testMissingCiphers` and testssl.sh's
/// `tls_sockets()` use).
public enum RawHandshake {
    /// TLS extension types (IANA "TLS ExtensionType Values").
    public enum Extension: UInt16 {
        case serverName = 0
        case statusRequest = 5
        case supportedGroups = 10
        case ecPointFormats = 11
        case signatureAlgorithms = 13
        case heartbeat = 15
        case supportedVersions = 43
        case keyShare = 51
        case renegotiationInfo = 0xFF01
    }

    /// What a ClientHello offers.
    public struct Offer: Sendable {
        public var version: ProtocolVersion
        public var suites: [UInt16]
        /// Server name for SNI; only host names, never IP literals (RFC 6066 §3).
        public var serverName: String?
        /// Offer DEFLATE (method 1) before NULL.
        public var offerCompression = false
        /// Advertise Heartbeat (RFC 6520) with peer_allowed_to_send.
        public var offerHeartbeat = false
        /// Append TLS_FALLBACK_SCSV (0x5600, RFC 7507).
        public var fallbackSCSV = false
        /// Read on after the ServerHello up to ServerHelloDone, keeping the Certificate and
        /// ServerKeyExchange messages (TLS 1.2 and lower send them in clear).
        public var readServerFlight = false
        /// Groups for supported_groups; nil offers the probe's long list.
        public var groups: [UInt16]?

        public init(version: ProtocolVersion, suites: [UInt16], serverName: String? = nil) {
            self.version = version
            self.suites = suites
            self.serverName = serverName
        }
    }

    /// The fields of a ServerHello the probe reads.
    public struct ServerHello: Sendable, Equatable {
        public var version: ProtocolVersion?
        public let rawVersion: UInt16
        public let cipherSuite: UInt16
        public let compressionMethod: UInt8
        /// Extension types the server sent, with their bodies.
        public let extensions: [UInt16: [UInt8]]
        /// DER certificates of the Certificate message, leaf first (when the flight was read).
        public var certificates: [[UInt8]] = []
        /// Size in bits of the DHE prime in the ServerKeyExchange (DHE suites, when the flight was read).
        public var dhePrimeBits: Int?
        /// The first bytes of the ServerKeyExchange (when the flight was read); for ECDHE suites
        /// `03 gg gg`: named_curve and its group id (RFC 8422 §5.4).
        public var keyExchangeHead: [UInt8] = []

        /// TLS 1.3 HelloRetryRequest: a ServerHello whose random is SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
        public var isHelloRetryRequest = false

        /// The group of a TLS 1.3 ServerHello's key_share, or of a HelloRetryRequest's selected_group.
        public var keyShareGroup: UInt16? {
            guard let share = extensions[51], share.count >= 2 else { return nil }
            return UInt16(share[0]) << 8 | UInt16(share[1])
        }

        /// The named group of an ECDHE ServerKeyExchange (TLS 1.2 and lower), when the flight was read.
        public var ecdheGroup: UInt16? {
            guard keyExchangeHead.count >= 3, keyExchangeHead[0] == 3 else { return nil }
            return UInt16(keyExchangeHead[1]) << 8 | UInt16(keyExchangeHead[2])
        }
    }

    /// RFC 8446 §4.1.3: the random of a HelloRetryRequest.
    static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    /// The name of a TLS alert description (RFC 8446 §6, RFC 7507 for 86).
    static func alertName(_ code: UInt8) -> String {
        switch code {
        case 0: return "close_notify"
        case 10: return "unexpected_message"
        case 40: return "handshake_failure"
        case 47: return "illegal_parameter"
        case 50: return "decode_error"
        case 70: return "protocol_version"
        case 71: return "insufficient_security"
        case 80: return "internal_error"
        case 86: return "inappropriate_fallback"
        case 109: return "missing_extension"
        case 112: return "unrecognized_name"
        default: return "description \(code)"
        }
    }

    /// How the server answered a ClientHello.
    public enum Answer: Sendable, Equatable {
        case serverHello(ServerHello)
        /// A TLS alert (`description` per RFC 5246 §7.2: 40 handshake_failure, 70 protocol_version,
        /// 71 insufficient_security, 86 inappropriate_fallback …).
        case alert(UInt8)
        /// Anything else: closed, reset, timeout, bytes that are not TLS.
        case failure(ProbeNetworkError)
    }

    static let groups: [UInt16] = [0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x0100, 0x0101, 0x0102, 0x0009, 0x000A, 0x000B, 0x000C, 0x0016, 0x001A, 0x001B, 0x001C]
    static let signatureAlgorithms: [UInt16] = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201, 0x0402, 0x0202, 0x0101]

    /// The ClientHello record for `offer`.
    public static func clientHello(_ offer: Offer) -> [UInt8] {
        var body: [UInt8] = []
        // TLS 1.3 (RFC 8446 §4.1.2): legacy_version 1.2; the version goes in supported_versions.
        body.append16(offer.version == .tls1_3 ? ProtocolVersion.tls1_2.rawValue : offer.version.rawValue)
        var random = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in random.indices { random[index] = generator.next() }
        body += random
        body.append(0)  // no session id
        var suites = offer.suites
        if offer.version == .sslv3 { suites.append(0x00FF) }  // renegotiation SCSV instead of the extension
        if offer.fallbackSCSV { suites.append(0x5600) }
        body.append16(UInt16(suites.count * 2))
        for suite in suites { body.append16(suite) }
        if offer.offerCompression { body += [2, 1, 0] } else { body += [1, 0] }
        if offer.version >= .tls1_0 {
            var extensions: [UInt8] = []
            if let name = offer.serverName {
                let bytes = Array(name.utf8)
                var list: [UInt8] = [0]
                list.append16(UInt16(bytes.count))
                list += bytes
                var payload: [UInt8] = []
                payload.append16(UInt16(list.count))
                payload += list
                extensions.appendExtension(Extension.serverName.rawValue, payload)
            }
            let offered = offer.groups ?? groups
            var groupList: [UInt8] = []
            groupList.append16(UInt16(offered.count * 2))
            for group in offered { groupList.append16(group) }
            extensions.appendExtension(Extension.supportedGroups.rawValue, groupList)
            extensions.appendExtension(Extension.ecPointFormats.rawValue, [1, 0])
            if offer.version >= .tls1_2 {
                var algorithms: [UInt8] = []
                algorithms.append16(UInt16(signatureAlgorithms.count * 2))
                for algorithm in signatureAlgorithms { algorithms.append16(algorithm) }
                extensions.appendExtension(Extension.signatureAlgorithms.rawValue, algorithms)
            }
            if offer.offerHeartbeat { extensions.appendExtension(Extension.heartbeat.rawValue, [1]) }
            if offer.version == .tls1_3 {
                // supported_versions: TLS 1.3 only; key_share with no share at all, so a server that
                // supports one of the offered groups answers with a HelloRetryRequest naming it, before
                // any key generation or signature (RFC 8446 §4.2.8, §4.1.4).
                extensions.appendExtension(Extension.supportedVersions.rawValue, [2, 0x03, 0x04])
                extensions.appendExtension(Extension.keyShare.rawValue, [0, 0])
            } else {
                extensions.appendExtension(Extension.renegotiationInfo.rawValue, [0])
            }
            body.append16(UInt16(extensions.count))
            body += extensions
        }
        var handshake: [UInt8] = [1, UInt8(body.count >> 16), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)]
        handshake += body
        var record: [UInt8] = [0x16]
        record.append16(offer.version == .sslv3 ? 0x0300 : 0x0301)
        record.append16(UInt16(handshake.count))
        return record + handshake
    }

    /// Sends `offer` on `connection` and reads up to the ServerHello (at most 64 KiB).
    public static func exchange(_ offer: Offer, on connection: TCPConnection) -> Answer {
        do {
            try connection.send(clientHello(offer))
        } catch {
            return .failure(error)
        }
        var reader = RecordReader(readFlight: offer.readServerFlight)
        while true {
            do {
                let bytes = try connection.receive(maximum: 16_384)
                if let answer = try reader.feed(bytes) { return answer }
            } catch {
                return .failure(error)
            }
        }
    }

    /// Reassembles records and reads handshake messages up to the ServerHello (or, when reading the
    /// flight, up to ServerHelloDone), or the first alert. At most 64 KiB (512 KiB for a flight).
    struct RecordReader {
        var readFlight = false
        var buffer: [UInt8] = []
        var handshake: [UInt8] = []
        var total = 0
        var hello: ServerHello?

        mutating func feed(_ bytes: [UInt8]) throws(ProbeNetworkError) -> Answer? {
            total += bytes.count
            let limit = readFlight ? 512 * 1024 : 65_536
            guard total <= limit else { throw .protocolViolation(
                ProbeText(fr: "plus de \(limit / 1024) Kio dans le premier envoi du serveur", en: "more than \(limit / 1024) KiB in the server's first flight")) }
            buffer += bytes
            while buffer.count >= 5 {
                let type = buffer[0]
                let length = Int(buffer[3]) << 8 | Int(buffer[4])
                guard (0x14...0x18).contains(type), buffer[1] == 3, length <= 18_432 else {
                    // Not a TLS record: keep what the peer sent, to say what it speaks instead.
                    throw .notTLS(PlainProtocol(firstBytes: Array(buffer.prefix(PlainProtocol.maximumBytes))))
                }
                guard buffer.count >= 5 + length else { return nil }
                let fragment = Array(buffer[5..<5 + length])
                buffer.removeFirst(5 + length)
                switch type {
                case 0x15:
                    guard fragment.count >= 2 else { throw .protocolViolation(ProbeText(fr: "alerte tronquée", en: "short alert")) }
                    if let hello { return .serverHello(hello) }
                    return .alert(fragment[1])
                case 0x16:
                    handshake += fragment
                    if let answer = try messages() { return answer }
                case 0x14 where hello != nil:
                    // ChangeCipherSpec: the flight is over (resumption or TLS 1.3 compatibility).
                    return .serverHello(hello!)
                default:
                    throw .protocolViolation(ProbeText(fr: "enregistrement de type \(type) avant le ServerHello", en: "record type \(type) before the ServerHello"))
                }
            }
            return nil
        }

        /// Consumes the complete handshake messages buffered so far.
        mutating func messages() throws(ProbeNetworkError) -> Answer? {
            while handshake.count >= 4 {
                let messageLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
                guard handshake.count >= 4 + messageLength else { return nil }
                let type = handshake[0]
                let body = Array(handshake[4..<4 + messageLength])
                handshake.removeFirst(4 + messageLength)
                if hello == nil {
                    guard type == 2 else { throw .protocolViolation(ProbeText(fr: "message de négociation \(type) au lieu du ServerHello", en: "handshake message \(type) instead of ServerHello")) }
                    hello = try parseServerHello(body)
                    // TLS 1.3 encrypts the rest of the flight.
                    if !readFlight || hello?.version == .tls1_3 { return .serverHello(hello!) }
                    continue
                }
                switch type {
                case 11: hello?.certificates = RawHandshake.parseCertificates(body)
                case 12:
                    hello?.dhePrimeBits = RawHandshake.dhePrimeBits(body)
                    hello?.keyExchangeHead = Array(body.prefix(4))
                case 14: return .serverHello(hello!)
                default: continue
                }
            }
            return nil
        }
    }

    /// The DER certificates of a TLS 1.2-or-lower Certificate message.
    static func parseCertificates(_ body: [UInt8]) -> [[UInt8]] {
        guard body.count >= 3 else { return [] }
        var certificates: [[UInt8]] = []
        var cursor = 3
        let end = min(body.count, 3 + (Int(body[0]) << 16 | Int(body[1]) << 8 | Int(body[2])))
        while cursor + 3 <= end {
            let length = Int(body[cursor]) << 16 | Int(body[cursor + 1]) << 8 | Int(body[cursor + 2])
            cursor += 3
            guard cursor + length <= end else { break }
            certificates.append(Array(body[cursor..<cursor + length]))
            cursor += length
        }
        return certificates
    }

    /// Bits of `dh_p`, the first field of a DHE ServerKeyExchange (RFC 5246 §7.4.3).
    static func dhePrimeBits(_ body: [UInt8]) -> Int? {
        guard body.count >= 3 else { return nil }
        let length = Int(body[0]) << 8 | Int(body[1])
        guard length > 0, body.count >= 2 + length else { return nil }
        let prime = body[2..<2 + length].drop { $0 == 0 }
        guard let first = prime.first else { return nil }
        return (prime.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }

    static func parseServerHello(_ body: [UInt8]) throws(ProbeNetworkError) -> ServerHello {
        var cursor = 0
        func take(_ count: Int) throws(ProbeNetworkError) -> ArraySlice<UInt8> {
            guard cursor + count <= body.count else { throw .protocolViolation(ProbeText(fr: "ServerHello tronqué", en: "truncated ServerHello")) }
            defer { cursor += count }
            return body[cursor..<cursor + count]
        }
        let versionBytes = try take(2)
        let version = UInt16(versionBytes.first!) << 8 | UInt16(versionBytes.last!)
        let random = try take(32)
        let sessionLength = Int(try take(1).first!)
        _ = try take(sessionLength)
        let suiteBytes = try take(2)
        let suite = UInt16(suiteBytes.first!) << 8 | UInt16(suiteBytes.last!)
        let compression = try take(1).first!
        var extensions: [UInt16: [UInt8]] = [:]
        if cursor + 2 <= body.count {
            let lengthBytes = try take(2)
            let end = cursor + (Int(lengthBytes.first!) << 8 | Int(lengthBytes.last!))
            guard end <= body.count else { throw .protocolViolation(ProbeText(fr: "extensions du ServerHello tronquées", en: "truncated ServerHello extensions")) }
            while cursor + 4 <= end {
                let header = try take(4)
                let type = UInt16(header[header.startIndex]) << 8 | UInt16(header[header.startIndex + 1])
                let length = Int(header[header.startIndex + 2]) << 8 | Int(header[header.startIndex + 3])
                extensions[type] = Array(try take(length))
            }
        }
        var negotiated = ProtocolVersion(rawValue: version)
        // A TLS 1.3 ServerHello says 0x0303 and carries supported_versions (43).
        if let supported = extensions[43], supported.count == 2 {
            negotiated = ProtocolVersion(rawValue: UInt16(supported[0]) << 8 | UInt16(supported[1]))
        }
        var hello = ServerHello(version: negotiated, rawVersion: version, cipherSuite: suite, compressionMethod: compression, extensions: extensions)
        hello.isHelloRetryRequest = random.elementsEqual(helloRetryRequestRandom)
        return hello
    }
}

extension Array where Element == UInt8 {
    mutating func append16(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }

    mutating func appendExtension(_ type: UInt16, _ payload: [UInt8]) {
        append16(type)
        append16(UInt16(payload.count))
        self += payload
    }
}
