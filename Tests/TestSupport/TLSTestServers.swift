import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A server process started by a test on loopback (openssl s_server, gnutls-serv, nginx, sshd, Dovecot,
/// a small Python script), stopped when the value is released.
///
/// Started with `posix_spawn`, not Foundation's `Process`: Foundation learns that a child ended when
/// the child closes a descriptor it inherited, then waits for it with a blocking `waitpid` on the one
/// thread that watches every child. A daemon that closes its inherited descriptors at start (sshd,
/// Dovecot) would hold that thread until it exits, and every other test's `waitUntilExit` with it:
/// the whole suite hung that way. The server's exit is collected here, by `stop()`.
public final class BackgroundServer: @unchecked Sendable {
    /// The server's process id.
    public let pid: pid_t
    public let host: String
    public let port: UInt16
    private let log: String

    /// `127.0.0.1:port` or `[::1]:port`.
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Starts `program` and waits until `host:port` accepts TCP connections (at most 20 s).
    public init(_ program: String, _ arguments: [String], host: String = "127.0.0.1", port: UInt16, folder: String) throws {
        self.host = host
        self.port = port
        log = "\(folder)/server-\(port).log"
        let path = program.hasPrefix("/") ? program : try Command.which(program)
        pid = try Self.spawn(path, arguments, log: log)
        var attempts = 0
        while !Self.accepts(host: host, port: port) {
            attempts += 1
            guard Self.isRunning(pid), attempts < 400 else {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                stop()
                throw TestSupportError("\(program) did not start listening on \(host):\(port): \(output.prefix(2000))")
            }
            usleep(50_000)
        }
    }

    /// Starts `program`, a daemon that listens on no port (Nagios), and waits until `ready()` holds (at most
    /// 20 s); `name` names its log file in `folder`. `host` is empty and `port` 0.
    public init(_ program: String, _ arguments: [String], folder: String, name: String, ready: () -> Bool) throws {
        host = ""
        port = 0
        log = "\(folder)/server-\(name).log"
        let path = program.hasPrefix("/") ? program : try Command.which(program)
        pid = try Self.spawn(path, arguments, log: log)
        var attempts = 0
        while !ready() {
            attempts += 1
            guard Self.isRunning(pid), attempts < 400 else {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                stop()
                throw TestSupportError("\(program) did not get ready: \(output.prefix(2000))")
            }
            usleep(50_000)
        }
    }

    deinit { stop() }

    /// Asks the server to stop (SIGTERM: nginx's master stops its workers), waits up to 5 s for it to
    /// end, then kills it (SIGKILL) and collects its exit status.
    public func stop() {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == 0 else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
    }

    /// True while the server has not ended.
    public var isRunning: Bool { Self.isRunning(pid) }

    /// True while `pid` (a child of this process) has not ended; a child that ended is left to `stop()`
    /// to collect (`WNOWAIT`).
    private static func isRunning(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == 0
    }

    /// Runs `path` to completion the way a daemon is started (standard input from /dev/null, outputs appended to
    /// `log`, no other descriptor inherited, no signal blocked) and returns its exit status: for programs such as
    /// `pg_ctl start` that leave a daemon behind, which must hold no pipe of this process.
    public static func runToCompletion(_ path: String, _ arguments: [String], log: String) throws -> Int32 {
        let pid = try spawn(path, arguments, log: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Starts `path` as a daemon (as `runToCompletion` does) and does not wait for it: for a watchdog that must
    /// outlive this process.
    public static func spawnDetached(_ path: String, _ arguments: [String], log: String) throws {
        _ = try spawn(path, arguments, log: log)
    }

    /// Spawns `path` with standard input from /dev/null and both outputs appended to `log`; every other
    /// descriptor this process has open is closed in the child, so a server cannot hold another test's
    /// pipe open.
    private static func spawn(_ path: String, _ arguments: [String], log: String) throws -> pid_t {
        FileManager.default.createFile(atPath: log, contents: nil)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc ignores a close action on a descriptor that is not open.
        for descriptor in 3...highestOpenDescriptor() + 64 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        // A daemon starts with no signal blocked: the test's thread blocks most signals, and a server that
        // inherits a blocked SIGCHLD never hears its own children end (Nagios then reaps each check only at its
        // service_check_timeout), one with a blocked SIGTERM ignores `stop()` until the SIGKILL. What the test
        // process ignores (SIGPIPE) stays ignored, as before.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw TestSupportError("posix_spawn \(path): \(String(cString: strerror(result)))") }
        return pid
    }

    /// The highest descriptor number open in this process now (from /proc/self/fd).
    private static func highestOpenDescriptor() -> Int32 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return max(names.compactMap { Int32($0) }.max() ?? 1024, 3)
    }

    /// What the server wrote so far.
    public var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// A TCP port nothing listens on right now (bound to port 0, then released).
    public static func freePort(ipv6: Bool = false) throws -> UInt16 {
        let descriptor = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            try bindAndReadBack(descriptor, &address)
            return UInt16(bigEndian: address.sin6_port)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        try bindAndReadBack(descriptor, &address)
        return UInt16(bigEndian: address.sin_port)
    }

    /// Binds `descriptor` to `address` (a `sockaddr_in` or `sockaddr_in6`, port 0 for any), then reads
    /// the bound address back into it (`getsockname`): the port the kernel chose.
    private static func bindAndReadBack<Address>(_ descriptor: Int32, _ address: inout Address) throws {
        var length = socklen_t(MemoryLayout<Address>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(descriptor, pointer, length) == 0 else { return -1 }
                return getsockname(descriptor, pointer, &length)
            }
        }
        guard bound == 0 else { throw TestSupportError("bind: \(String(cString: strerror(errno)))") }
    }

    static func accepts(host: String, port: UInt16) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICHOST
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else { return false }
        defer { freeaddrinfo(info) }
        let descriptor = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0
    }
}

/// The servers the TLS tests start, with the certificates they serve.
public enum TLSTestServers {
    /// `openssl s_server -www` on `host` with the given extra arguments (`-tls1_3`, `-cipher …`).
    public static func openssl(cert: String, key: String, chain: String? = nil, host: String = "127.0.0.1", arguments: [String], folder: String) throws -> BackgroundServer {
        let port = try BackgroundServer.freePort(ipv6: host.contains(":"))
        var all = ["s_server", "-accept", host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)", "-cert", cert, "-key", key, "-www", "-quiet"]
        if let chain { all += ["-cert_chain", chain] }
        return try BackgroundServer("openssl", all + arguments, host: host, port: port, folder: folder)
    }

    /// `gnutls-serv` with a priority string (3DES and RC4 still exist in GnuTLS).
    public static func gnutls(cert: String, key: String, priority: String, folder: String) throws -> BackgroundServer {
        let port = try BackgroundServer.freePort()
        return try BackgroundServer(
            "gnutls-serv", ["--port", String(port), "--x509certfile", cert, "--x509keyfile", key, "--priority", priority],
            port: port, folder: folder)
    }

    /// nginx serving HTTPS on loopback, with `extra` directives in the server block (`add_header …`).
    public static func nginx(cert: String, key: String, extra: String, folder: String) throws -> BackgroundServer {
        let port = try BackgroundServer.freePort()
        return try startNginx(
            servers: [httpsServer(listen: "127.0.0.1:\(port)", cert: cert, key: key, extra: extra)],
            prefix: "\(folder)/nginx-\(port)", host: "127.0.0.1", port: port, folder: folder)
    }

    /// nginx on the standard ports of a loopback address of its own (127.x.y.z, all of 127/8 is
    /// loopback on Linux): HTTPS with HSTS on 443 and, on 80, either `return 301 https://…` (`redirect`)
    /// or a plain 200. The probe reads the http→https redirect only for endpoints on port 443, so the
    /// test needs 443 and 80; an address of its own keeps parallel tests and other services apart.
    /// Needs root (ports below 1024).
    public static func nginxStandardPorts(cert: String, key: String, redirect: Bool, folder: String) throws -> BackgroundServer {
        var host: String?
        for _ in 0..<50 {
            let candidate = "127.\(UInt8.random(in: 1...254)).\(UInt8.random(in: 1...254)).\(UInt8.random(in: 2...254))"
            if portIsFree(candidate, 443), portIsFree(candidate, 80) {
                host = candidate
                break
            }
        }
        guard let host else { throw TestSupportError("no loopback address with ports 80 and 443 free") }
        let plain = redirect ? "return 301 https://$host$request_uri;" : "return 200 \"plain\\n\";"
        let servers = [
            """
            server {
                listen \(host):80;
                location / { \(plain) }
            }
            """,
            httpsServer(
                listen: "\(host):443", cert: cert, key: key, extra: #"add_header Strict-Transport-Security "max-age=63072000" always;"#),
        ]
        return try startNginx(servers: servers, prefix: "\(folder)/nginx-\(host)", host: host, port: 443, folder: folder)
    }

    /// An nginx `server` block serving HTTPS (TLS 1.2 and 1.3) on `listen`, answering 200 `ok`, with
    /// `extra` directives.
    static func httpsServer(listen: String, cert: String, key: String, extra: String) -> String {
        """
        server {
            listen \(listen) ssl;
            ssl_certificate \(cert);
            ssl_certificate_key \(key);
            ssl_protocols TLSv1.2 TLSv1.3;
            \(extra)
            location / { return 200 "ok\\n"; }
        }
        """
    }

    /// nginx on a random loopback port as a TLS front without ALPN (the stream module: `ssl_alpn` is
    /// not set, so no protocol is ever selected), relaying to a plain nginx HTTP server on another
    /// port that answers 200 `ok` with the `extra` directives (`add_header …`). The shape of a TLS
    /// terminator in front of a web application; needs libnginx-mod-stream.
    public static func nginxStreamFront(cert: String, key: String, extra: String, folder: String) throws -> BackgroundServer {
        let port = try BackgroundServer.freePort()
        let backend = try BackgroundServer.freePort()
        let stream = """
            server {
                listen 127.0.0.1:\(port) ssl;
                ssl_certificate \(cert);
                ssl_certificate_key \(key);
                ssl_protocols TLSv1.2 TLSv1.3;
                proxy_pass 127.0.0.1:\(backend);
            }
            """
        let plain = """
            server {
                listen 127.0.0.1:\(backend);
                \(extra)
                location / { return 200 "ok\\n"; }
            }
            """
        return try startNginx(servers: [plain], stream: [stream], prefix: "\(folder)/nginx-\(port)", host: "127.0.0.1", port: port, folder: folder)
    }

    /// nginx serving plain HTTP (no TLS) on a random loopback port, answering 200 `ok`.
    public static func nginxPlain(folder: String) throws -> BackgroundServer {
        let port = try BackgroundServer.freePort()
        let server = """
            server {
                listen 127.0.0.1:\(port);
                location / { return 200 "ok\\n"; }
            }
            """
        return try startNginx(servers: [server], prefix: "\(folder)/nginx-\(port)", host: "127.0.0.1", port: port, folder: folder)
    }

    /// Starts nginx in the foreground with its own `prefix` folder (pid, logs, temporary files) and the
    /// given `server` blocks (`http` context, and `stream` context with the dynamic stream module),
    /// and waits until `host:port` accepts connections.
    static func startNginx(servers: [String], stream: [String] = [], prefix: String, host: String, port: UInt16, folder: String) throws -> BackgroundServer {
        try FileManager.default.createDirectory(atPath: "\(prefix)/logs", withIntermediateDirectories: true)
        let streamModule = stream.isEmpty ? "" : "load_module /usr/lib/nginx/modules/ngx_stream_module.so;"
        let streamBlock = stream.isEmpty ? "" : "stream {\n\(stream.joined(separator: "\n"))\n}"
        let configuration = """
            \(streamModule)
            worker_processes 1;
            daemon off;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/logs/error.log;
            \(getuid() == 0 ? "user root;" : "")
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(prefix)/body;
                proxy_temp_path \(prefix)/proxy;
                fastcgi_temp_path \(prefix)/fastcgi;
                uwsgi_temp_path \(prefix)/uwsgi;
                scgi_temp_path \(prefix)/scgi;
            \(servers.joined(separator: "\n"))
            }
            \(streamBlock)
            """
        try configuration.write(toFile: "\(prefix)/nginx.conf", atomically: true, encoding: .utf8)
        return try BackgroundServer("nginx", ["-p", prefix, "-c", "\(prefix)/nginx.conf"], host: host, port: port, folder: folder)
    }

    /// Whether `host:port` (IPv4) can be bound right now.
    static func portIsFree(_ host: String, _ port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A Python helper server: `silent` (accepts, never answers), `garbage` (answers non-TLS bytes),
    /// `reset` (accepts and resets), `drip` (answers a TLS record header one byte every 0.3 s),
    /// `smtp`, `imap`, `pop3`, `ldap`, `postgres` (the STARTTLS exchange, then TLS with the given
    /// cert/key), `stall-after-first` (relays the first connection to `backend`, then lets every
    /// later one hang), `intolerant` (relays to the
    /// TLS server on port `backend`, but drops ClientHellos offering more than 64 suites),
    /// `reset-tls12-after-first` (relays to `backend`, but resets every libssl TLS 1.2-only ClientHello
    /// after the first: an enumeration cut short once a suite was accepted),
    /// `sslv3-front` and `deflate-front` (relay to the real TLS server on `backend`, except for the
    /// ClientHellos no library installed here can answer: Debian's OpenSSL 3 has SSLv3 and zlib compiled
    /// out, GnuTLS 3.7 dropped both. `sslv3-front` answers an SSLv3 ClientHello itself, `deflate-front`
    /// a ClientHello offering DEFLATE (RFC 3749), each with real bytes: ServerHello (RFC 6101 §5.6.1.3 /
    /// RFC 5246 §7.4.1.3; renegotiation_info per RFC 5746 when asked), Certificate with `cert`, and
    /// ServerHelloDone — the first flight of a static-RSA handshake, where the probe stops).
    public static func python(_ kind: String, cert: String = "", key: String = "", backend: UInt16 = 0, folder: String) throws -> BackgroundServer {
        let port = try BackgroundServer.freePort()
        let script = "\(folder)/\(kind)-server.py"
        try pythonScript.write(toFile: script, atomically: true, encoding: .utf8)
        return try BackgroundServer("python3", [script, kind, String(port), cert, key, String(backend)], port: port, folder: folder)
    }

    static let pythonScript = #"""
        import os, socket, ssl, struct, sys, threading, time

        kind, port, cert, key, backend = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(128)
        held = []
        served = []
        lock = threading.Lock()

        def smtp(conn):
            reader = conn.makefile("rb", buffering=0)
            conn.sendall(b"220 mail.test ESMTP\r\n")
            reader.readline()
            conn.sendall(b"250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
            reader.readline()
            conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            upgrade(conn)

        def upgrade(conn):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            tls = context.wrap_socket(conn, server_side=True)
            try:
                tls.recv(1)
            except Exception:
                pass

        def imap(conn):
            reader = conn.makefile("rb", buffering=0)
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
            tag = reader.readline().split(b" ")[0]
            conn.sendall(tag + b" OK Begin TLS negotiation now\r\n")
            upgrade(conn)

        def pop3(conn):
            reader = conn.makefile("rb", buffering=0)
            conn.sendall(b"+OK POP3 ready\r\n")
            reader.readline()
            conn.sendall(b"+OK Begin TLS negotiation\r\n")
            upgrade(conn)

        def ldap(conn):
            header = read_exactly(conn, 2)
            read_exactly(conn, header[1])
            # ExtendedResponse, messageID 1, resultCode success, empty matchedDN and diagnosticMessage.
            conn.sendall(bytes([0x30, 0x0C, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]))
            upgrade(conn)

        def postgres(conn):
            request = read_exactly(conn, 8)
            if request != bytes([0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]):
                conn.close()
                return
            conn.sendall(b"S")
            upgrade(conn)

        def read_exactly(conn, count):
            data = b""
            while len(data) < count:
                chunk = conn.recv(count - len(data))
                if not chunk:
                    raise EOFError()
                data += chunk
            return data

        def pump(source, target):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    target.sendall(data)
            except Exception:
                pass
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except Exception:
                    pass

        def intolerant(conn):
            header = read_exactly(conn, 5)
            record = read_exactly(conn, header[3] << 8 | header[4])
            session = record[38]
            suites = (record[39 + session] << 8 | record[40 + session]) // 2
            if suites > 64:
                conn.close()
                return
            upstream = socket.create_connection(("127.0.0.1", backend))
            upstream.sendall(header + record)
            threading.Thread(target=pump, args=(upstream, conn), daemon=True).start()
            pump(conn, upstream)

        # Suites the scripted SSLv3/DEFLATE answers accept, in server preference order:
        # DES-CBC3-SHA, AES128-SHA, AES256-SHA, ECDHE-RSA-AES128-GCM-SHA256 (the last only above SSLv3).
        SCRIPTED_SUITES = [0x000A, 0x002F, 0x0035, 0xC02F]

        def read_client_hello(conn):
            """The raw bytes read and the parsed ClientHello: (bytes, version, suites, compressions, extension types)."""
            raw = b""
            handshake = b""
            while len(handshake) < 4 or len(handshake) < 4 + int.from_bytes(handshake[1:4], "big"):
                header = read_exactly(conn, 5)
                body = read_exactly(conn, header[3] << 8 | header[4])
                raw += header + body
                if header[0] != 0x16:
                    return raw, None
                handshake += body
            body = handshake[4:4 + int.from_bytes(handshake[1:4], "big")]
            version = body[0] << 8 | body[1]
            cursor = 34
            cursor += 1 + body[cursor]
            count = body[cursor] << 8 | body[cursor + 1]
            suites = [body[cursor + 2 + i] << 8 | body[cursor + 3 + i] for i in range(0, count, 2)]
            cursor += 2 + count
            compressions = list(body[cursor + 1:cursor + 1 + body[cursor]])
            cursor += 1 + body[cursor]
            extensions = []
            if cursor + 2 <= len(body):
                end = cursor + 2 + (body[cursor] << 8 | body[cursor + 1])
                cursor += 2
                while cursor + 4 <= end:
                    extensions.append(body[cursor] << 8 | body[cursor + 1])
                    cursor += 4 + (body[cursor + 2] << 8 | body[cursor + 3])
            return raw, (version, suites, compressions, extensions)

        def handshake_message(kind, body):
            return bytes([kind]) + len(body).to_bytes(3, "big") + body

        def scripted_answer(conn, hello, compression):
            """ServerHello, Certificate, ServerHelloDone for `hello`, or a handshake_failure alert."""
            version, suites, _, extensions = hello
            version = min(version, 0x0303)
            allowed = [s for s in SCRIPTED_SUITES if version > 0x0300 or s != 0xC02F]
            chosen = next((s for s in allowed if s in suites), None)
            record_version = version.to_bytes(2, "big")
            if chosen is None:
                conn.sendall(b"\x15" + record_version + b"\x00\x02\x02\x28")
                return
            server_extensions = b""
            if 0xFF01 in extensions or 0x00FF in suites:
                server_extensions += b"\xff\x01\x00\x01\x00"
            if chosen == 0xC02F:
                server_extensions += b"\x00\x0b\x00\x02\x01\x00"
            body = record_version + os.urandom(32) + b"\x20" + os.urandom(32) + chosen.to_bytes(2, "big") + bytes([compression])
            if server_extensions:
                body += len(server_extensions).to_bytes(2, "big") + server_extensions
            der = ssl.PEM_cert_to_DER_cert(open(cert).read())
            certificates = len(der).to_bytes(3, "big") + der
            flight = handshake_message(2, body) + handshake_message(11, len(certificates).to_bytes(3, "big") + certificates) + handshake_message(14, b"")
            conn.sendall(b"\x16" + record_version + len(flight).to_bytes(2, "big") + flight)
            # The probe stops at ServerHelloDone; wait for it to close.
            conn.settimeout(10)
            try:
                while conn.recv(4096):
                    pass
            except Exception:
                pass

        tls12_hellos = [0]

        def reset_tls12_after_first(conn):
            # libssl's TLS 1.2-only ClientHellos (no supported_versions, extended_master_secret offered):
            # the first reaches the backend, every later one is reset. Other hellos are relayed.
            raw, hello = read_client_hello(conn)
            if hello is not None and hello[0] == 0x0303 and 43 not in hello[3] and 23 in hello[3]:
                with lock:
                    tls12_hellos[0] += 1
                    later = tls12_hellos[0] > 1
                if later:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                    return
            upstream = socket.create_connection(("127.0.0.1", backend))
            upstream.sendall(raw)
            threading.Thread(target=pump, args=(upstream, conn), daemon=True).start()
            pump(conn, upstream)

        def front(conn):
            raw, hello = read_client_hello(conn)
            if hello is not None:
                if kind == "sslv3-front" and hello[0] == 0x0300:
                    scripted_answer(conn, hello, 0)
                    return
                if kind == "deflate-front" and 1 in hello[2]:
                    scripted_answer(conn, hello, 1)
                    return
            upstream = socket.create_connection(("127.0.0.1", backend))
            upstream.sendall(raw)
            threading.Thread(target=pump, args=(upstream, conn), daemon=True).start()
            pump(conn, upstream)

        def handle(conn):
            try:
                if kind in ("sslv3-front", "deflate-front"):
                    if not conn.recv(1, socket.MSG_PEEK):
                        conn.close()
                        return
                    front(conn)
                    return
                if kind == "reset-tls12-after-first":
                    reset_tls12_after_first(conn)
                    return
                if kind == "silent":
                    held.append(conn)
                    return
                if kind == "garbage":
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.0 200 garbage\r\n" + b"GARBAGE!" * 256)
                elif kind == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif kind == "smtp":
                    smtp(conn)
                elif kind in ("imap", "pop3", "ldap", "postgres"):
                    globals()[kind](conn)
                elif kind == "intolerant":
                    intolerant(conn)
                    return
                elif kind == "stall-after-first":
                    # The first connection that sends bytes reaches the TLS server on `backend`; later
                    # ones hang. (Readiness checks connect and close without sending.)
                    if not conn.recv(1, socket.MSG_PEEK):
                        conn.close()
                        return
                    with lock:
                        served.append(conn)
                        first = len(served) == 1
                    if first:
                        upstream = socket.create_connection(("127.0.0.1", backend))
                        threading.Thread(target=pump, args=(upstream, conn), daemon=True).start()
                        pump(conn, upstream)
                    return
                elif kind == "drip":
                    conn.recv(4096)
                    for byte in b"\x16\x03\x03\x40\x00" + b"\x00" * 100:
                        conn.sendall(bytes([byte]))
                        time.sleep(0.3)
                conn.close()
            except Exception:
                pass

        while True:
            conn, _ = listener.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
        """#
}
