import Foundation

/// A certificate file some service uses, and who said so.
public struct CertificateReference: Sendable, Equatable {
    /// How the service uses the file.
    public enum Role: String, Sendable, Codable {
        /// The service's own certificate, possibly followed by its chain: the first certificate is the leaf.
        case service
        /// Intermediate certificates only.
        case chain
    }

    /// Path inside the audited system, as written in the configuration (made absolute).
    public var path: String
    public var role: Role
    /// Where it was found: `nginx /etc/nginx/sites-enabled/portail:14`, `profile`, `letsencrypt`.
    public var source: String
    /// The configuration allows this file to hold private keys only (Postfix's `smtpd_tls_chain_files`
    /// lists keys and certificates, a key possibly in a file of its own): such a file gives no result.
    public var mayHoldOnlyKeys: Bool

    public init(path: String, role: Role, source: String, mayHoldOnlyKeys: Bool = false) {
        self.path = path
        self.role = role
        self.source = source
        self.mayHoldOnlyKeys = mayHoldOnlyKeys
    }
}

/// Finds the certificate files that services actually use, by reading their configuration:
/// nginx, Apache httpd, Postfix, Dovecot, and Let's Encrypt's `live/` folder. Follows include
/// directives (with globs) up to a fixed depth and file count. Never names the files configured as
/// keys (`ssl_certificate_key`, `smtpd_tls_key_file` …), and never takes the system trust store as a
/// target; Postfix's `smtpd_tls_chain_files` holds keys and certificates together by design, so its
/// files are read for their certificates (one holding only keys gives no result).
public struct ServiceCertificateDiscovery: Sendable {
    let root: FileSystemRoot
    /// At most this many configuration files are read per service (guards against include loops and huge trees).
    let maximumConfigFiles = 500

    public init(root: FileSystemRoot) { self.root = root }

    /// All references found, in a stable order (service by service, file order).
    public func discover() -> [CertificateReference] {
        nginx() + apache() + postfix() + dovecot() + letsEncrypt()
    }

    // MARK: nginx

    /// `ssl_certificate` in nginx.conf and its includes; relative paths are relative to /etc/nginx.
    func nginx() -> [CertificateReference] {
        let prefix = "/etc/nginx"
        var found: [CertificateReference] = []
        walk(start: prefix + "/nginx.conf") { path, text in
            var includes: [String] = []
            for directive in NginxTokenizer.directives(text) {
                guard let argument = directive.arguments.first else { continue }
                switch directive.name {
                case "include":
                    includes += root.glob(absolute(argument, relativeTo: prefix))
                case "ssl_certificate":
                    // Variables ($ssl_server_name) and inline data: cannot be followed statically.
                    guard !argument.contains("$"), !argument.hasPrefix("data:") else { continue }
                    found.append(CertificateReference(
                        path: absolute(argument, relativeTo: prefix), role: .service,
                        source: "nginx \(path):\(directive.line)"))
                default: continue
                }
            }
            return includes
        }
        return found
    }

    // MARK: Apache httpd

    /// `SSLCertificateFile` and `SSLCertificateChainFile` in apache2.conf (Debian) or httpd.conf
    /// (RHEL) and their `Include`/`IncludeOptional` files; relative paths are relative to ServerRoot.
    func apache() -> [CertificateReference] {
        var found: [CertificateReference] = []
        for (serverRoot, main) in [("/etc/apache2", "/etc/apache2/apache2.conf"), ("/etc/httpd", "/etc/httpd/conf/httpd.conf")] {
            walk(start: main) { path, text in
                var includes: [String] = []
                for line in ApacheConfig.logicalLines(text) {
                    let words = ApacheConfig.words(line.text)
                    guard words.count >= 2 else { continue }
                    switch words[0].lowercased() {
                    case "include", "includeoptional":
                        includes += root.glob(absolute(words[1], relativeTo: serverRoot))
                    case "sslcertificatefile":
                        found.append(CertificateReference(
                            path: absolute(words[1], relativeTo: serverRoot), role: .service,
                            source: "apache \(path):\(line.number)"))
                    case "sslcertificatechainfile":
                        found.append(CertificateReference(
                            path: absolute(words[1], relativeTo: serverRoot), role: .chain,
                            source: "apache \(path):\(line.number)"))
                    default: continue
                    }
                }
                // An included directory means every file in it.
                return includes.flatMap { include in
                    root.info(include)?.isDirectory == true ? root.list(include).map { include + "/" + $0 } : [include]
                }
            }
        }
        return found
    }

    // MARK: Postfix

    /// `smtpd_tls_cert_file`, `smtpd_tls_eccert_file`, `smtpd_tls_dcert_file` and
    /// `smtpd_tls_chain_files` in /etc/postfix/main.cf. `$config_directory` is expanded.
    func postfix() -> [CertificateReference] {
        let path = "/etc/postfix/main.cf"
        guard let text = try? root.readText(path, limit: 4 << 20) else { return [] }
        var found: [CertificateReference] = []
        for entry in PostfixConfig.parameters(text) {
            let values: [String]
            switch entry.name {
            case "smtpd_tls_cert_file", "smtpd_tls_eccert_file", "smtpd_tls_dcert_file":
                values = [entry.value]
            case "smtpd_tls_chain_files":
                values = entry.value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
            default: continue
            }
            for value in values where !value.isEmpty {
                let expanded = value.replacingOccurrences(of: "${config_directory}", with: "/etc/postfix")
                    .replacingOccurrences(of: "$config_directory", with: "/etc/postfix")
                guard !expanded.contains("$") else { continue }
                found.append(CertificateReference(
                    path: absolute(expanded, relativeTo: "/etc/postfix"), role: .service,
                    source: "postfix \(path):\(entry.line)", mayHoldOnlyKeys: entry.name == "smtpd_tls_chain_files"))
            }
        }
        return found
    }

    // MARK: Dovecot

    /// `ssl_cert = <file` (Dovecot 2.3) and `ssl_server_cert_file = file` (2.4) in dovecot.conf and
    /// its `!include` / `!include_try` files (relative to the including file's folder).
    func dovecot() -> [CertificateReference] {
        var found: [CertificateReference] = []
        walk(start: "/etc/dovecot/dovecot.conf") { path, text in
            var includes: [String] = []
            let folder = (path as NSString).deletingLastPathComponent
            for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = rawLine.trimmingCharacters(in: .whitespaces)
                guard !line.hasPrefix("#") else { continue }
                if line.hasPrefix("!include") {
                    let parts = line.split(separator: " ", maxSplits: 1)
                    if parts.count == 2 {
                        includes += root.glob(absolute(parts[1].trimmingCharacters(in: .whitespaces), relativeTo: folder))
                    }
                    continue
                }
                let pair = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                var value = pair[1]
                switch pair[0] {
                case "ssl_cert":
                    // Dovecot 2.3 reads the file's contents when the value starts with "<".
                    guard value.hasPrefix("<") else { continue }
                    value.removeFirst()
                case "ssl_server_cert_file": break
                default: continue
                }
                value = value.trimmingCharacters(in: .whitespaces)
                guard !value.isEmpty else { continue }
                found.append(CertificateReference(
                    path: absolute(value, relativeTo: folder), role: .service,
                    source: "dovecot \(path):\(offset + 1)"))
            }
            return includes
        }
        return found
    }

    // MARK: Let's Encrypt

    /// `/etc/letsencrypt/live/*/fullchain.pem` (or `cert.pem` when there is no full chain).
    func letsEncrypt() -> [CertificateReference] {
        root.list("/etc/letsencrypt/live").compactMap { name in
            let folder = "/etc/letsencrypt/live/\(name)"
            guard root.info(folder)?.isDirectory == true else { return nil }
            for file in ["fullchain.pem", "cert.pem"] where root.exists("\(folder)/\(file)") {
                return CertificateReference(path: "\(folder)/\(file)", role: .service, source: "letsencrypt \(folder)")
            }
            return nil
        }
    }

    // MARK: Helpers

    /// Reads `start`, then every file the visitor returns, breadth first, each once.
    private func walk(start: String, visit: (String, String) -> [String]) {
        var queue = [start]
        var seen: Set<String> = []
        while !queue.isEmpty, seen.count < maximumConfigFiles {
            let path = queue.removeFirst()
            let resolved = (try? root.resolve(path)) ?? path
            guard seen.insert(resolved).inserted,
                  root.info(path)?.isRegularFile == true,
                  let text = try? root.readText(path, limit: 4 << 20) else { continue }
            queue += visit(path, text)
        }
    }

    private func absolute(_ path: String, relativeTo folder: String) -> String {
        let unquoted = path.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        return FileSystemRoot.normalize(unquoted.hasPrefix("/") ? unquoted : folder + "/" + unquoted)
    }
}

/// Splits nginx configuration text into directives (`name arg…;`), ignoring comments and
/// remembering each directive's line. Block openers (`server {`) are directives without `;`.
enum NginxTokenizer {
    struct Directive: Equatable {
        let name: String
        let arguments: [String]
        let line: Int
    }

    static func directives(_ text: String) -> [Directive] {
        var result: [Directive] = []
        var words: [String] = []
        var word = ""
        var wordStarted = false
        var quote: Character?
        var line = 1
        var directiveLine = 1
        var inComment = false
        func endWord() {
            if wordStarted {
                if words.isEmpty { directiveLine = line }
                words.append(word)
            }
            word = ""
            wordStarted = false
        }
        func endDirective() {
            endWord()
            if let name = words.first { result.append(Directive(name: name, arguments: Array(words.dropFirst()), line: directiveLine)) }
            words = []
        }
        var escaped = false
        for character in text {
            if character == "\n" { line += 1 }
            if inComment {
                if character == "\n" { inComment = false }
                continue
            }
            if escaped {
                word.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == "\\" { escaped = true } else if character == open { quote = nil } else { word.append(character) }
                continue
            }
            switch character {
            case "\"", "'":
                quote = character
                wordStarted = true
            case "#" where !wordStarted:
                inComment = true
            case ";":
                endDirective()
            case "{", "}":
                endWord()
                words = []
            case " ", "\t", "\n", "\r":
                endWord()
            case "\\":
                escaped = true
                wordStarted = true
            default:
                word.append(character)
                wordStarted = true
            }
        }
        return result
    }
}

/// Apache httpd configuration lines: comments dropped, `\` continuations joined, quotes honoured.
enum ApacheConfig {
    struct Line {
        let text: String
        let number: Int
    }

    static func logicalLines(_ text: String) -> [Line] {
        var result: [Line] = []
        var pending = ""
        var startLine = 0
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw).trimmingCharacters(in: .whitespaces)
            if pending.isEmpty {
                startLine = offset + 1
                if line.hasPrefix("#") { continue }
            }
            if line.hasSuffix("\\") {
                line.removeLast()
                pending += line + " "
                continue
            }
            pending += line
            if !pending.isEmpty { result.append(Line(text: pending, number: startLine)) }
            pending = ""
        }
        return result
    }

    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
            } else if (character == " " || character == "\t") && !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

/// Postfix `main.cf` parameters: `name = value`, continuation lines start with white space.
enum PostfixConfig {
    struct Parameter {
        let name: String
        let value: String
        let line: Int
    }

    static func parameters(_ text: String) -> [Parameter] {
        var result: [Parameter] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if line.first == " " || line.first == "\t" {
                if let last = result.popLast() {
                    result.append(Parameter(
                        name: last.name, value: last.value.isEmpty ? trimmed : last.value + " " + trimmed, line: last.line))
                }
                continue
            }
            let pair = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            result.append(Parameter(name: pair[0], value: pair[1], line: offset + 1))
        }
        return result
    }
}
