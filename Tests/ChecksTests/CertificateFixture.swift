import Foundation
import TestSupport

/// A fixture tree that looks like a town-hall server: nginx, Apache, Postfix and Dovecot configurations
/// and a Let's Encrypt folder, pointing at real certificates generated for the test.
struct CertificateFixture {
    let directory: TemporaryDirectory
    var root: String { directory.path }
    /// The scan's "now"; certificate validity is set relative to it.
    let now: Date

    static let day: TimeInterval = 86_400

    /// Builds the tree. Paths in configurations are paths inside the tree (as on the audited host).
    static func make(now: Date = Date()) throws -> CertificateFixture {
        let directory = try TemporaryDirectory(prefix: "cyberctl-certs")
        let factory = try CertificateFactory(folder: directory.url("work"))
        let fixture = CertificateFixture(directory: directory, now: now)
        let day = Self.day
        func place(_ issued: CertificateFactory.Issued, at inner: String) throws {
            try directory.write(String(inner.dropFirst()), issued.pem)
        }

        let ca = try factory.issue(
            name: "ca", subject: "/CN=Autorite de test/O=Syndicat informatique", key: .ec("prime256v1"),
            notBefore: now - 400 * day, notAfter: now + 3000 * day, isCA: true)
        let intermediate = try factory.issue(
            name: "intermediate", subject: "/CN=Intermediaire de test/O=Syndicat informatique",
            notBefore: now - 300 * day, notAfter: now + 2000 * day, issuer: ca, isCA: true)

        // nginx: portal with a full chain in one PEM (leaf 200 days + intermediate), webmail expired.
        let portal = try factory.issue(
            name: "portal", subject: "/CN=portail.mairie.test", sans: ["DNS:portail.mairie.test"],
            notBefore: now - 10 * day, notAfter: now + 200 * day + 3600, issuer: intermediate)
        try directory.write("etc/ssl/cyberctl/portail-fullchain.pem", portal.pem + intermediate.pem)
        let expired = try factory.issue(
            name: "expired", subject: "/CN=webmail.mairie.test", sans: ["DNS:webmail.mairie.test"],
            notBefore: now - 400 * day, notAfter: now - 5 * day, issuer: intermediate)
        try place(expired, at: "/etc/ssl/cyberctl/webmail.pem")
        try directory.write("etc/nginx/nginx.conf", """
            user www-data;
            events { worker_connections 768; }
            http {
                # include the sites
                include /etc/nginx/sites-enabled/*;
                include conf.d/*.conf;
            }
            """)
        try directory.write("etc/nginx/sites-enabled/portail", """
            server {
                listen 443 ssl;
                server_name portail.mairie.test;
                ssl_certificate     /etc/ssl/cyberctl/portail-fullchain.pem;
                ssl_certificate_key /etc/ssl/private/portail.key;
            }
            """)
        try directory.write("etc/nginx/conf.d/webmail.conf", """
            server { listen 443 ssl; ssl_certificate "/etc/ssl/cyberctl/webmail.pem"; # webmail
                     ssl_certificate $ssl_server_name.pem; }
            """)

        // Postfix: 10 days left (fail/high) and an RSA 1024 key (key strength fail).
        let smtp = try factory.issue(
            name: "smtp", subject: "/CN=smtp.mairie.test", key: .rsa(1024),
            notBefore: now - 80 * day, notAfter: now + 10 * day + 3600, issuer: intermediate)
        try place(smtp, at: "/etc/postfix/smtp.pem")
        try directory.write("etc/postfix/main.cf", """
            # Postfix main.cf
            myhostname = smtp.mairie.test
            smtpd_tls_cert_file = ${config_directory}/smtp.pem
            smtpd_tls_key_file = /etc/postfix/smtp.key
            smtpd_tls_chain_files =
                /etc/ssl/private/relay.key,
                /etc/ssl/cyberctl/relay-chain.pem
            """)
        // Postfix chain file: a PKCS#12 is not valid there, so a SHA-1 signed leaf in PEM.
        let sha1 = try factory.issue(
            name: "sha1", subject: "/CN=relay.mairie.test", key: .rsa(2048),
            notBefore: now - 10 * day, notAfter: now + 300 * day, digest: "sha1", issuer: intermediate)
        try place(sha1, at: "/etc/ssl/cyberctl/relay-chain.pem")
        // Postfix's own layout: the key in a file of its own, listed before its certificates. Not a certificate
        // file that cannot be read: no result for it.
        try directory.write("etc/ssl/private/relay.key", try String(contentsOfFile: sha1.keyPath, encoding: .utf8))

        // Dovecot: 25 days left (warn) in DER form, included from conf.d; plus a garbage file.
        let imap = try factory.issue(
            name: "imap", subject: "/CN=imap.mairie.test", notBefore: now - 60 * day,
            notAfter: now + 25 * day + 3600, issuer: intermediate)
        let der = try factory.openssl(["x509", "-in", imap.certificatePath, "-outform", "DER"]).stdoutData
        try directory.write("etc/ssl/cyberctl/imap.der", der)
        try directory.write("etc/ssl/cyberctl/garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        try directory.write("etc/dovecot/dovecot.conf", """
            protocols = imap
            !include conf.d/*.conf
            !include_try local.conf
            """)
        try directory.write("etc/dovecot/conf.d/10-ssl.conf", """
            ssl = required
            ssl_cert = </etc/ssl/cyberctl/imap.der
            #ssl_cert = </etc/ssl/cyberctl/commented-out.pem
            ssl_key = </etc/ssl/private/imap.key
            """)
        try directory.write("etc/dovecot/local.conf", "ssl_cert = </etc/ssl/cyberctl/garbage.pem\n")

        // Apache: a self-signed leaf as PKCS#12 without password, and a missing chain file.
        let intranet = try factory.issue(
            name: "intranet", subject: "/CN=intranet.mairie.test", notBefore: now - 30 * day, notAfter: now + 500 * day)
        let p12 = "\(directory.path)/work/intranet.p12"
        try factory.openssl([
            "pkcs12", "-export", "-in", intranet.certificatePath, "-inkey", intranet.keyPath, "-out", p12,
            "-passout", "pass:",
        ])
        try directory.write("etc/ssl/cyberctl/intranet.p12", Data(contentsOf: URL(fileURLWithPath: p12)))
        try directory.write("etc/apache2/apache2.conf", """
            ServerRoot "/etc/apache2"
            IncludeOptional sites-enabled/*.conf
            """)
        try directory.write("etc/apache2/sites-enabled/intranet.conf", """
            <VirtualHost *:443>
                SSLEngine on
                SSLCertificateFile /etc/ssl/cyberctl/intranet.p12
                SSLCertificateChainFile \\
                    /etc/ssl/cyberctl/absent-chain.pem
            </VirtualHost>
            """)

        // Let's Encrypt: live/ links into archive/, as certbot lays them out.
        let citizen = try factory.issue(
            name: "citizen", subject: "/CN=demarches.mairie.test", notBefore: now - 20 * day,
            notAfter: now + 70 * day, issuer: intermediate)
        try directory.write("etc/letsencrypt/archive/demarches/fullchain1.pem", citizen.pem + intermediate.pem)
        try directory.makeDirectory("etc/letsencrypt/live/demarches")
        try FileManager.default.createSymbolicLink(
            atPath: directory.url("etc/letsencrypt/live/demarches/fullchain.pem"),
            withDestinationPath: "../../archive/demarches/fullchain1.pem")
        // An unreadable target: a folder where a file is expected.
        try directory.makeDirectory("etc/ssl/cyberctl/folder.pem")
        // The system trust store is never a target, even though it holds certificates.
        try place(ca, at: "/etc/ssl/certs/test-root.pem")
        return fixture
    }
}
