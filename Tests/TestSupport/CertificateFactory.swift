import Foundation

/// Makes real keys and certificates with the `openssl` command, in a folder, for tests.
///
/// Validity can be set to any window (past or future) through `openssl ca -startdate/-enddate`,
/// which `openssl x509 -req` in OpenSSL 3.0 cannot do.
public final class CertificateFactory: @unchecked Sendable {
    public let folder: String
    private var counter = 0

    public init(folder: String) throws {
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// Key kinds for `openssl genpkey`.
    public enum KeyKind: Sendable {
        case rsa(Int)
        case ec(String)  // curve name, e.g. "prime256v1"
        case ed25519

        var genpkeyArguments: [String] {
            switch self {
            case .rsa(let bits): return ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(bits)"]
            case .ec(let curve): return ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(curve)"]
            case .ed25519: return ["-algorithm", "ED25519"]
            }
        }
    }

    /// A generated key and certificate on disk.
    public struct Issued: Sendable {
        public let certificatePath: String
        public let keyPath: String
        public let pem: String
    }

    /// Generates a key; returns its PEM path.
    public func makeKey(_ kind: KeyKind, name: String) throws -> String {
        let path = "\(folder)/\(name).key"
        try openssl(["genpkey"] + kind.genpkeyArguments + ["-out", path])
        return path
    }

    /// Issues a certificate.
    /// - Parameters:
    ///   - subject: e.g. `/CN=mail.example.fr/O=Commune`.
    ///   - sans: e.g. `["DNS:mail.example.fr", "IP:127.0.0.1"]`; empty for none.
    ///   - notBefore / notAfter: validity window.
    ///   - digest: `sha256`, `sha1`, `md5` …
    ///   - issuer: nil for self-signed.
    ///   - isCA: basic constraints CA:TRUE.
    public func issue(
        name: String, subject: String, sans: [String] = [], key: KeyKind = .ec("prime256v1"),
        notBefore: Date = Date().addingTimeInterval(-86_400), notAfter: Date = Date().addingTimeInterval(365 * 86_400),
        digest: String = "sha256", issuer: Issued? = nil, isCA: Bool = false
    ) throws -> Issued {
        counter += 1
        let keyPath = try makeKey(key, name: name)
        let csrPath = "\(folder)/\(name).csr"
        let certificatePath = "\(folder)/\(name).pem"
        let work = "\(folder)/ca-\(name)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: "\(work)/index.txt"))
        try String(format: "%04X\n", counter * 7 + 4096).write(toFile: "\(work)/serial", atomically: true, encoding: .utf8)
        var extensions = [isCA ? "basicConstraints = critical, CA:TRUE" : "basicConstraints = CA:FALSE"]
        extensions.append(isCA ? "keyUsage = critical, keyCertSign, cRLSign" : "keyUsage = critical, digitalSignature, keyEncipherment")
        if !sans.isEmpty { extensions.append("subjectAltName = " + sans.joined(separator: ", ")) }
        let config = """
            [ ca ]
            default_ca = test_ca
            [ test_ca ]
            database = \(work)/index.txt
            serial = \(work)/serial
            new_certs_dir = \(work)
            policy = any_policy
            unique_subject = no
            copy_extensions = none
            email_in_dn = no
            [ any_policy ]
            commonName = optional
            organizationName = optional
            countryName = optional
            [ req ]
            distinguished_name = dn
            [ dn ]
            [ leaf_ext ]
            \(extensions.joined(separator: "\n"))
            """
        let configPath = "\(work)/openssl.cnf"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        try openssl(["req", "-new", "-key", keyPath, "-subj", subject, "-out", csrPath, "-config", configPath])
        var arguments = [
            "ca", "-batch", "-config", configPath, "-in", csrPath, "-out", certificatePath, "-notext",
            "-startdate", Self.stamp(notBefore), "-enddate", Self.stamp(notAfter), "-extensions", "leaf_ext",
            "-md", digest, "-preserveDN",
        ]
        if let issuer {
            arguments += ["-cert", issuer.certificatePath, "-keyfile", issuer.keyPath]
        } else {
            arguments += ["-selfsign", "-keyfile", keyPath]
        }
        try openssl(arguments)
        let pem = try String(contentsOfFile: certificatePath, encoding: .utf8)
        return Issued(certificatePath: certificatePath, keyPath: keyPath, pem: pem)
    }

    /// `YYYYMMDDHHMMSSZ` as `openssl ca` expects.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    /// Runs `openssl` and throws with its stderr when it fails.
    @discardableResult
    public func openssl(_ arguments: [String], input: Data? = nil) throws -> Command.Output {
        let output = try Command.run("openssl", arguments, input: input)
        guard output.exitCode == 0 else {
            throw TestSupportError("openssl \(arguments.joined(separator: " ")) failed: \(output.stderr)")
        }
        return output
    }
}
