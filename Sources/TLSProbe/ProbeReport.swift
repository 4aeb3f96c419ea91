import FoundationEssentials
import OpenSSLKit

/// Everything a probe learnt about one endpoint, in plain values. Unknown facts are nil: the rules
/// turn them into `error`, never into a pass.
public struct ProbeReport: Sendable {
    public let endpoint: TLSEndpoint
    /// The address probed (`127.0.0.1:443`, `[::1]:8443`).
    public var address: String?
    /// Why the endpoint could not be probed at all (unreachable, not TLS, silent); nil otherwise.
    public var fatal: ProbeText?
    /// What the port speaks instead of TLS, when it answered with something recognisable.
    public var plainProtocol: PlainProtocol?
    /// The protocol the server selected by ALPN (`h2`, `http/1.1`); nil when it selected none.
    public var alpn: String?
    /// The server refused the first handshake with no_application_protocol (it has ALPN, but neither h2
    /// nor http/1.1): not a web service.
    public var alpnRefused = false
    /// Per version: true accepted, false refused; absent when it could not be decided.
    public var protocols: [ProtocolVersion: Bool] = [:]
    /// Accepted suites per version, in the order the server chose them.
    public var suites: [ProtocolVersion: [CipherSuite]] = [:]
    /// Per version with two or more suites: true when the server imposes its own order.
    public var serverOrder: [ProtocolVersion: Bool] = [:]
    /// Groups the server accepted (`X25519`, `P-256`, `ffdhe2048`); nil when not tested.
    public var groups: [String]?
    /// Size in bits of the smallest DHE group the server used (`dheGroups`); nil when none was read.
    public var dheBits: Int?
    /// The DHE group the server used for each class of its DHE suites (see `TLSProber.testDHESize`), in the order tested.
    public var dheGroups: [DHEGroupSample] = []
    /// True when DHE suites are accepted but the group of some of them could not be read (the handshake failed,
    /// or more classes than the probe tests): their size is unknown.
    public var dheSizeUnknown = false
    /// Certificates as served, leaf first (bounded by libssl's 256 KiB certificate-list limit).
    public var chain: [X509Certificate] = []
    /// Why the served chain is not fully known: a certificate of it could not be parsed.
    public var chainProblem: ProbeText?
    public var ocspStapled: Bool?
    public var secureRenegotiation: Bool?
    /// The server accepted DEFLATE compression (CRIME).
    public var compression: Bool?
    /// The server refuses a downgraded handshake carrying TLS_FALLBACK_SCSV; nil when not applicable.
    public var fallbackSCSV: Bool?
    /// The server echoes the Heartbeat extension.
    public var heartbeat: Bool?
    /// Versions whose test was cut short (timeout, dropped connections): neither accepted nor refused.
    public var undecided: Set<ProtocolVersion> = []
    /// Versions accepted, but whose suite enumeration was cut short (a timeout, reset or dropped
    /// connection after the first suites): suites not listed were not tested, not refused.
    public var suitesIncomplete: Set<ProtocolVersion> = []
    /// Groups whose test ended without an answer (timeout, reset): neither accepted nor refused.
    public var groupsUndecided: [String] = []
    /// Things that went wrong without stopping the probe (a version that timed out …).
    public var problems: [ProbeText] = []
    /// The endpoint deadline or a cancellation stopped the probe before everything was tested.
    public var incomplete = false
    /// Connections opened.
    public var connections = 0
    public var durationMs = 0

    public init(endpoint: TLSEndpoint) { self.endpoint = endpoint }

    /// Parses the DER certificates the server sent; one that does not parse leaves the chain
    /// unknown from that position on (`chainProblem`), never silently shorter.
    mutating func setChain(_ encoded: [[UInt8]]) {
        chain = []
        chainProblem = nil
        for (index, der) in encoded.enumerated() {
            do {
                chain.append(try X509Certificate(derEncoded: der))
            } catch {
                chainProblem = ProbeText(
                    fr: "le certificat \(index + 1) sur les \(encoded.count) présentés est illisible : \(error)",
                    en: "certificate \(index + 1) of the \(encoded.count) served could not be parsed: \(error)")
                return
            }
        }
    }

    /// Versions accepted, lowest first.
    public var acceptedVersions: [ProtocolVersion] { protocols.filter(\.value).map(\.key).sorted() }

    /// TLS 1.3 accepted and every other version refused (not merely undecided).
    public var onlyTLS13: Bool {
        protocols[.tls1_3] == true && ProtocolVersion.allCases.allSatisfy { $0 == .tls1_3 || protocols[$0] == false }
    }

    /// Some accepted suite may be missing from `suites`: a version undecided, an enumeration cut
    /// short, or the endpoint deadline reached.
    public var suiteListIncomplete: Bool { !undecided.isEmpty || !suitesIncomplete.isEmpty || incomplete }

    /// Every accepted suite with the versions it was accepted in.
    public var allAcceptedSuites: [(suite: CipherSuite, versions: [ProtocolVersion])] {
        var order: [CipherSuite] = []
        var versions: [CipherSuite: [ProtocolVersion]] = [:]
        for version in ProtocolVersion.allCases.reversed() {
            for suite in suites[version] ?? [] {
                if versions[suite] == nil { order.append(suite) }
                versions[suite, default: []].append(version)
            }
        }
        return order.map { ($0, versions[$0]!.sorted()) }
    }
}

/// One DHE handshake's outcome: the suite the server chose, at which version, and the size of its prime.
public struct DHEGroupSample: Sendable, Equatable {
    public let suite: CipherSuite
    public let version: ProtocolVersion
    /// Size of the DH prime `p` of the ServerKeyExchange, in bits.
    public let bits: Int
}
