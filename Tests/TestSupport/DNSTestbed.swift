import Foundation

/// A real DNS on loopback for tests: NSD serving generated zones (signed with real DNSSEC keys by
/// `ldns-signzone`, or unsigned), and an `unbound` validating resolver with the zones' trust anchors and
/// one stub zone per test zone pointing at NSD. Both on random ports, stopped when released.
/// Needs Debian's `nsd`, `unbound` and `ldnsutils`.
public final class DNSTestbed: @unchecked Sendable {
    /// One zone: its records (zone-file lines relative to the origin, `$TTL 300`), how it is signed.
    public struct Zone: Sendable {
        public enum Signing: Sendable {
            case unsigned
            case signed
            /// Signed, then each text `from` replaced by `to` without re-signing: their RRSIGs no longer validate.
            case bogus([(from: String, to: String)])
        }
        public let name: String
        public let records: String
        public let signing: Signing

        public init(_ name: String, signing: Signing = .signed, _ records: String) {
            self.name = name
            self.records = records
            self.signing = signing
        }
    }

    public let folder: String
    public let nsd: BackgroundServer
    public let unbound: BackgroundServer
    /// The resolver to forward to: `127.0.0.1@PORT` (unbound).
    public let resolver: String
    /// The port NSD answers on (the name servers' port for `ports.dns`).
    public let authoritativePort: UInt16
    /// DS records of the signed zones, the trust anchors of the resolver and of the check.
    public let trustAnchor: String

    /// Writes, signs and serves `zones`; `stubOnly` zones get a stub in unbound pointing to a dead address
    /// (127.0.0.1 on a port nothing listens on), so their queries fail (SERVFAIL).
    public init(zones: [Zone], deadZones: [String] = [], in directory: TemporaryDirectory) throws {
        folder = directory.url("dns")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var anchors = ""
        var nsdZones = ""
        // The parent of the test zones, unsigned, so that names outside them get real NXDOMAIN answers.
        let parents = Set(zones.compactMap { $0.name.split(separator: ".").dropFirst().joined(separator: ".") }.filter { !$0.isEmpty })
            .subtracting(zones.map(\.name))
        let allZones = zones + parents.sorted().map { Zone($0, signing: .unsigned, "@ NS ns1.\($0).\nns1 A 127.0.0.1") }
        for zone in allZones {
            let body = """
                $ORIGIN \(zone.name).
                $TTL 300
                @ SOA ns1.\(zone.name). hostmaster.\(zone.name). 2024010101 3600 900 604800 300
                \(zone.records)

                """
            let file = "\(folder)/\(zone.name).zone"
            try body.write(toFile: file, atomically: true, encoding: .utf8)
            var served = file
            if case .unsigned = zone.signing {} else {
                let ksk = try Self.run("ldns-keygen", ["-a", "ECDSAP256SHA256", "-k", zone.name], in: folder)
                let zsk = try Self.run("ldns-keygen", ["-a", "ECDSAP256SHA256", zone.name], in: folder)
                _ = try Self.run("ldns-signzone", ["-n", "-e", "20400101000000", file, "\(folder)/\(zsk)", "\(folder)/\(ksk)"], in: folder)
                served = file + ".signed"
                anchors += try String(contentsOfFile: "\(folder)/\(ksk).ds", encoding: .utf8)
                if case .bogus(let replacements) = zone.signing {
                    var signed = try String(contentsOfFile: served, encoding: .utf8)
                    for (from, to) in replacements {
                        guard signed.contains(from) else { throw TestSupportError("\(from) not in the signed zone \(zone.name)") }
                        signed = signed.replacingOccurrences(of: from, with: to)
                    }
                    try signed.write(toFile: served, atomically: true, encoding: .utf8)
                }
            }
            nsdZones += "zone:\n  name: \(zone.name)\n  zonefile: \(served)\n"
        }
        trustAnchor = "\(folder)/anchors.ds"
        try anchors.write(toFile: trustAnchor, atomically: true, encoding: .utf8)

        // Copies for the closures below (they may not capture `self` before every member is set).
        let folder = self.folder, trustAnchor = self.trustAnchor
        var nsdPort: UInt16 = 0
        nsd = try Self.startOnFreePort { port in
            nsdPort = port
            let nsdConfiguration = """
                server:
                  ip-address: 127.0.0.1@\(port)
                  port: \(port)
                  zonesdir: \(folder)
                  database: ""
                  pidfile: \(folder)/nsd.pid
                  xfrdfile: \(folder)/xfrd.state
                  zonelistfile: \(folder)/zone.list
                  username: ""
                  chroot: ""
                  server-count: 1
                  verbosity: 1
                remote-control:
                  control-enable: no
                \(nsdZones)
                """
            try nsdConfiguration.write(toFile: "\(folder)/nsd.conf", atomically: true, encoding: .utf8)
            return try BackgroundServer("nsd", ["-d", "-c", "\(folder)/nsd.conf"], port: port, folder: folder)
        }
        authoritativePort = nsdPort

        let deadPort = try BackgroundServer.freePort()
        var stubs = allZones.map { "stub-zone:\n  name: \"\($0.name)\"\n  stub-addr: 127.0.0.1@\(nsdPort)\n" }.joined()
        stubs += deadZones.map { "stub-zone:\n  name: \"\($0)\"\n  stub-addr: 127.0.0.1@\(deadPort)\n" }.joined()
        var resolverPort: UInt16 = 0
        unbound = try Self.startOnFreePort { port in
            resolverPort = port
            let unboundConfiguration = """
                server:
                  interface: 127.0.0.1@\(port)
                  port: \(port)
                  do-daemonize: no
                  username: ""
                  chroot: ""
                  directory: "\(folder)"
                  pidfile: "\(folder)/unbound.pid"
                  use-syslog: no
                  logfile: ""
                  verbosity: 1
                  num-threads: 1
                  so-reuseport: no
                  do-not-query-localhost: no
                  access-control: 127.0.0.0/8 allow
                  local-zone: "test." nodefault
                  trust-anchor-file: "\(trustAnchor)"
                  val-log-level: 2
                  cache-max-ttl: 0
                  cache-max-negative-ttl: 0
                  infra-host-ttl: 1
                remote-control:
                  control-enable: no
                \(stubs)
                """
            try unboundConfiguration.write(toFile: "\(folder)/unbound.conf", atomically: true, encoding: .utf8)
            return try BackgroundServer("unbound", ["-d", "-c", "\(folder)/unbound.conf"], port: port, folder: folder)
        }
        resolver = "127.0.0.1@\(resolverPort)"
    }

    deinit {
        unbound.stop()
        nsd.stop()
    }

    /// Starts a DNS server with `start(port)` on a loopback port free for TCP and UDP, and again on another port
    /// when the server lost the race for it (another test's socket, a resolver's query source port, took it between
    /// the check and the server's bind: "address already in use"); at most 4 tries.
    static func startOnFreePort(_ start: (UInt16) throws -> BackgroundServer) throws -> BackgroundServer {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try start(try freeTCPAndUDPPort())
            } catch where attempt < 4 && "\(error)".lowercased().contains("address already in use") {
                continue
            }
        }
    }

    /// A loopback port that neither a TCP nor a UDP socket holds right now.
    static func freeTCPAndUDPPort() throws -> UInt16 {
        for _ in 0..<20 {
            let port = try BackgroundServer.freePort()
            let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard descriptor >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 { return port }
        }
        throw TestSupportError("no loopback port free for both TCP and UDP after 20 tries")
    }

    /// Runs a tool in `folder`; its first output line (ldns-keygen prints the key's base name).
    static func run(_ program: String, _ arguments: [String], in folder: String) throws -> String {
        let output = try Command.run(program, arguments, currentDirectory: folder)
        guard output.exitCode == 0 else { throw TestSupportError("\(program) \(arguments.joined(separator: " ")): \(output.stderr)") }
        return output.stdout.split(separator: "\n").first.map(String.init) ?? ""
    }

    /// The DKIM `p=` value of a fresh RSA key of `bits` (SubjectPublicKeyInfo, base64), made with openssl.
    public static func dkimKey(bits: Int, in folder: String) throws -> String {
        let key = "\(folder)/dkim-\(bits)-\(UInt32.random(in: 0...UInt32.max)).pem"
        _ = try Command.run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(bits)", "-out", key])
        let der = try Command.run("openssl", ["pkey", "-in", key, "-pubout", "-outform", "DER"]).stdoutData
        return der.base64EncodedString()
    }

    /// A TXT record's data for a zone file: split into 255-byte strings, quoted.
    public static func txt(_ text: String) -> String {
        var parts: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            parts.append("\"\(rest.prefix(255))\"")
            rest = rest.dropFirst(255)
        }
        return parts.joined(separator: " ")
    }
}

extension TLSTestServers {
    /// nginx on 127.0.0.1 with the given `server` blocks (each with its own `listen`), waiting until
    /// `port` accepts connections.
    public static func nginx(servers: [String], port: UInt16, folder: String) throws -> BackgroundServer {
        try startNginx(servers: servers, prefix: "\(folder)/nginx-\(port)", host: "127.0.0.1", port: port, folder: folder)
    }
}
