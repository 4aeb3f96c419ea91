/// A protocol version as it appears on the wire, named the way OpenSSL names it.
public enum ProtocolVersion: UInt16, Sendable, CaseIterable, Comparable, Codable {
    case sslv3 = 0x0300
    case tls1_0 = 0x0301
    case tls1_1 = 0x0302
    case tls1_2 = 0x0303
    case tls1_3 = 0x0304

    /// OpenSSL's name (`SSLv3`, `TLSv1`, `TLSv1.1`, `TLSv1.2`, `TLSv1.3`), as `openssl s_client` prints it.
    public var name: String {
        switch self {
        case .sslv3: return "SSLv3"
        case .tls1_0: return "TLSv1"
        case .tls1_1: return "TLSv1.1"
        case .tls1_2: return "TLSv1.2"
        case .tls1_3: return "TLSv1.3"
        }
    }

    public init?(name: String) {
        guard let version = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = version
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One cipher suite: its IANA code point and names, and the properties the rules judge.
public struct CipherSuite: Sendable, Hashable, Codable {
    /// IANA code point (`0x002F`).
    public let code: UInt16
    /// OpenSSL name (`AES128-SHA`).
    public let openSSLName: String
    /// IANA name (`TLS_RSA_WITH_AES_128_CBC_SHA`); the OpenSSL name when IANA has none.
    public let ianaName: String
    /// Lowest protocol it exists in, per OpenSSL (`SSLv3`, `TLSv1`, `TLSv1.2`, `TLSv1.3`).
    public let minimumProtocol: String
    /// Key exchange as OpenSSL prints it (`RSA`, `DH`, `ECDH`, `ECDH/RSA`, `RSA(512)` …).
    public let keyExchange: String
    /// Authentication (`RSA`, `ECDSA`, `DSS`, `None` …).
    public let authentication: String
    /// Bulk cipher with its key size (`AESGCM(128)`, `3DES(168)`, `RC4(128)`, `None(0)`).
    public let encryption: String
    /// MAC (`SHA1`, `SHA256`, `AEAD`, `MD5`).
    public let mac: String
    /// An export-grade suite (40/56-bit ciphers, 512-bit key exchange).
    public let export: Bool

    /// `0x00,0x2F` style, as sslscan and testssl print it.
    public var hexCode: String {
        "0x" + String(code >> 8, radix: 16, uppercase: true).leftPadded(2) + ",0x"
            + String(code & 0xFF, radix: 16, uppercase: true).leftPadded(2)
    }

    /// Bulk cipher key bits read from `encryption` (0 for NULL).
    public var bits: Int {
        guard let open = encryption.firstIndex(of: "("), let close = encryption.firstIndex(of: ")") else { return 0 }
        return Int(encryption[encryption.index(after: open)..<close]) ?? 0
    }

    var cipherFamily: String { String(encryption.prefix { $0 != "(" }) }

    public var isTLS13: Bool { minimumProtocol == "TLSv1.3" }
    public var isNull: Bool { cipherFamily.uppercased() == "NONE" || cipherFamily.uppercased() == "NULL" }
    public var isAnonymous: Bool { authentication == "None" || ianaName.contains("_anon_") }
    public var isRC4: Bool { cipherFamily == "RC4" }
    /// Single DES (56 bits) or 40-bit DES.
    public var isDES: Bool { cipherFamily == "DES" }
    public var isTripleDES: Bool { cipherFamily == "3DES" }
    /// RC2, IDEA-free weak legacy families other than the named ones (RC2 is export-only in practice).
    public var isRC2: Bool { cipherFamily == "RC2" }
    /// Block cipher in CBC mode (AES, Camellia, ARIA, SEED, IDEA, 3DES, DES without GCM/CCM).
    public var isCBC: Bool {
        guard !isNull, !isRC4, !isAEAD, !isTLS13 else { return false }
        return ["AES", "Camellia", "ARIA", "SEED", "IDEA", "3DES", "DES", "RC2", "GOST"].contains(cipherFamily)
    }
    public var isAEAD: Bool { mac == "AEAD" }
    /// Ephemeral key exchange (DHE, ECDHE, and every TLS 1.3 suite): past sessions stay secret
    /// if the server key leaks.
    public var hasForwardSecrecy: Bool {
        if isTLS13 { return true }
        let kx = keyExchange
        if kx.contains("/") { return false }  // static DH/ECDH: ECDH/RSA, DH/DSS
        return kx.hasPrefix("DH") || kx.hasPrefix("ECDH") || kx.hasPrefix("EDH")
            || kx == "DHEPSK" || kx == "ECDHEPSK"
    }
    /// RSA key transport (no forward secrecy, ROBOT-type oracles).
    public var isStaticRSA: Bool { keyExchange.hasPrefix("RSA") && !keyExchange.hasPrefix("RSAPSK") }
    /// DHE (finite field) key exchange, whose group size `tls.dh-params` judges.
    /// DHE suites a server may give different groups: by authentication (the certificate whose key strength
    /// OpenSSL's automatic parameters follow), and for anonymous suites by whether the cipher has 256 bits
    /// (OpenSSL `ssl_get_auto_dh`: 128-bit security, else 80).
    public var dheGroupClass: String {
        isAnonymous ? "anon-\(bits >= 256 ? 256 : 128)" : authentication
    }

    public var isDHE: Bool { !isTLS13 && (keyExchange == "DH" || keyExchange.hasPrefix("DH(")) && !isAnonymousDHStatic }
    private var isAnonymousDHStatic: Bool { keyExchange.contains("/") }
    /// Suites that need a pre-shared key, SRP password, Kerberos or GOST keys: a scanner without
    /// those cannot negotiate them, so they are not probed.
    public var needsCredentials: Bool {
        ["PSK", "SRP", "KRB5", "GOST"].contains { keyExchange.contains($0) || authentication.contains($0) }
    }

    /// The suite with this code point, when the registry knows it.
    public static func named(code: UInt16) -> CipherSuite? { byCode[code] }

    /// The suite with this OpenSSL or IANA name.
    public static func named(_ name: String) -> CipherSuite? {
        registry.first { $0.openSSLName == name || $0.ianaName == name }
    }

    /// Every suite, SSLv3 to TLS 1.3, in the registry's order.
    public static let registry: [CipherSuite] = registryRows.map {
        CipherSuite(
            code: $0.0, openSSLName: $0.1, ianaName: $0.2 == "-" ? $0.1 : $0.2, minimumProtocol: $0.3,
            keyExchange: $0.4, authentication: $0.5, encryption: $0.6, mac: $0.7, export: $0.8)
    }

    static let byCode: [UInt16: CipherSuite] = Dictionary(registry.map { ($0.code, $0) }) { first, _ in first }

    /// A suite the registry does not know, named after its code point.
    static func unknown(code: UInt16) -> CipherSuite {
        let hex = "0x" + String(code, radix: 16, uppercase: true).leftPadded(4)
        return CipherSuite(
            code: code, openSSLName: hex, ianaName: hex, minimumProtocol: "?", keyExchange: "?", authentication: "?",
            encryption: "?(0)", mac: "?", export: false)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
