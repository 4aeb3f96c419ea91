import Foundation

/// Real servers of other protocols than TLS, started on loopback for the tests that check what a port
/// speaks instead of TLS: OpenSSH's sshd, aiosmtpd's SMTP server, Dovecot (IMAP, POP3, and IMAPS).
/// Each needs its Debian package (openssh-server, python3-aiosmtpd, dovecot-imapd and dovecot-pop3d).
public enum PlainTestServers {
    /// `sshd -D` on a random loopback port with a host key made for the test (needs root: sshd's
    /// privilege separation folder /run/sshd is created when missing, as the package's unit does).
    public static func sshd(folder: String) throws -> BackgroundServer {
        let port = try BackgroundServer.freePort()
        let key = "\(folder)/ssh_host_ed25519_key-\(port)"
        let keygen = try Command.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])
        guard keygen.exitCode == 0 else { throw TestSupportError("ssh-keygen failed: \(keygen.stderr)") }
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let configuration = "\(folder)/sshd-\(port).conf"
        try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(key)
            PidFile \(folder)/sshd-\(port).pid
            UsePAM no
            StrictModes no

            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        // sshd re-executes itself: it must be started by its absolute path.
        return try BackgroundServer("/usr/sbin/sshd", ["-D", "-e", "-f", configuration], port: port, folder: folder)
    }

    /// aiosmtpd's SMTP server (`python3 -m aiosmtpd`, Debian's python3-aiosmtpd) on a random loopback port.
    public static func smtp(folder: String) throws -> BackgroundServer {
        let port = try BackgroundServer.freePort()
        return try BackgroundServer("/usr/bin/python3", ["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)"], port: port, folder: folder)
    }

    /// Dovecot in the foreground with IMAP, POP3 and IMAPS (implicit TLS with `cert`/`key`) on random
    /// loopback ports. `folder` is made traversable: Dovecot's login processes run as dovenull.
    public struct Dovecot {
        public let server: BackgroundServer
        public let imap: UInt16
        public let pop3: UInt16
        public let imaps: UInt16
    }

    public static func dovecot(cert: String, key: String, folder: String) throws -> Dovecot {
        let imap = try BackgroundServer.freePort()
        let pop3 = try BackgroundServer.freePort()
        let imaps = try BackgroundServer.freePort()
        let base = "\(folder)/dovecot-\(imap)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: base)
        let configuration = "\(base)/dovecot.conf"
        try """
            protocols = imap pop3
            listen = 127.0.0.1
            base_dir = \(base)/run
            state_dir = \(base)/state
            log_path = \(base)/dovecot.log
            ssl = yes
            ssl_cert = <\(cert)
            ssl_key = <\(key)
            ssl_dh = </usr/share/dovecot/dh.pem
            disable_plaintext_auth = no
            passdb {
              driver = static
              args = password=test
            }
            userdb {
              driver = static
              args = uid=65534 gid=65534 home=\(base)
            }
            service imap-login {
              inet_listener imap {
                port = \(imap)
              }
              inet_listener imaps {
                port = \(imaps)
                ssl = yes
              }
            }
            service pop3-login {
              inet_listener pop3 {
                port = \(pop3)
              }
              inet_listener pop3s {
                port = 0
              }
            }

            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let server = try BackgroundServer("dovecot", ["-F", "-c", configuration], port: imap, folder: folder)
        for port in [pop3, imaps] {
            var attempts = 0
            while !BackgroundServer.accepts(host: "127.0.0.1", port: port) {
                attempts += 1
                guard attempts < 200 else { throw TestSupportError("dovecot did not listen on \(port)") }
                usleep(50_000)
            }
        }
        return Dovecot(server: server, imap: imap, pop3: pop3, imaps: imaps)
    }
}
