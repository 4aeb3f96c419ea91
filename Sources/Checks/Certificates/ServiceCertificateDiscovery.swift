import FoundationEssentials
import FoundationGaps
import NIS2

#if canImport(Glibc)
import Glibc
import Model
#endif

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
///
/// A service whose main configuration file is absent is not installed: nothing to read. Anything
/// that exists but cannot be read (a configuration or included file, a folder an include pattern
/// lists, `/etc/letsencrypt/live`), and an include the service requires that is missing, is a
/// `Problem`: the certificates it names, if any, are unknown.
public struct ServiceCertificateDiscovery: Sendable {
    let root: FileSystemRoot
    /// At most this many configuration files are read per service (guards against include loops and huge trees).
    let maximumConfigFiles = 500

    public init(root: FileSystemRoot) { self.root = root }

    /// A configuration input that could not be read.
    public struct Problem: Sendable, Equatable {
        /// The file or folder, inside the audited system.
        public var path: String
        /// `nginx`, `apache`, `postfix`, `dovecot`, `letsencrypt`.
        public var service: String
        /// What failed (`/etc/nginx/sites-enabled/portail: permission denied`).
        public var reason: LocalizedText
        /// The directive that named it (`/etc/nginx/nginx.conf:12`), nil for a main configuration file.
        public var namedBy: String?
    }

    /// What a search found.
    public struct Findings: Sendable, Equatable {
        /// Certificate files named, in a stable order (service by service, file order).
        public var references: [CertificateReference] = []
        /// Inputs that exist but could not be read.
        public var problems: [Problem] = []
        /// Configuration files read (main files and includes).
        public var configurationsRead: [String] = []
    }

    /// All references found, in a stable order (service by service, file order).
    public func discover() -> [CertificateReference] { search().references }

    /// References, problems and the files read, every service in turn.
    public func search() -> Findings {
        var findings = Findings()
        nginx(&findings)
        apache(&findings)
        postfix(&findings)
        dovecot(&findings)
        letsEncrypt(&findings)
        return findings
    }

    // MARK: nginx

    /// `ssl_certificate` in nginx.conf and its includes; relative paths are relative to /etc/nginx.
    func nginx() -> [CertificateReference] {
        var findings = Findings()
        nginx(&findings)
        return findings.references
    }

    func nginx(_ findings: inout Findings) {
        let prefix = "/etc/nginx"
        walk(start: prefix + "/nginx.conf", service: "nginx", into: &findings) { path, text, findings in
            var includes: [Include] = []
            for directive in NginxTokenizer.directives(text) {
                guard let argument = directive.arguments.first else { continue }
                switch directive.name {
                case "include":
                    // nginx refuses to start when a literal include is missing; a pattern may match nothing.
                    includes += expand(absolute(argument, relativeTo: prefix), required: true, namedBy: "\(path):\(directive.line)", service: "nginx", into: &findings)
                case "ssl_certificate":
                    // Inline data: no file to read.
                    guard !argument.hasPrefix("data:") else { continue }
                    if argument.contains("$") {
                        variableCertificate(absolute(argument, relativeTo: prefix), namedBy: "\(path):\(directive.line)", into: &findings)
                        continue
                    }
                    findings.references.append(CertificateReference(
                        path: absolute(argument, relativeTo: prefix), role: .service,
                        source: "nginx \(path):\(directive.line)"))
                default: continue
                }
            }
            return includes
        }
    }

    /// nginx (1.15.9 and later) loads a certificate named through variables
    /// (`/etc/ssl/sites/$ssl_server_name.pem`) at each handshake. Every variable (`$name`, `${name}`)
    /// becomes a `*` wildcard and every file the pattern matches is checked (a value with a `/`
    /// would escape the folder: nginx's `$ssl_server_name`, `$host` cannot hold one). A pattern
    /// that matches no file, or a folder that cannot be listed, is a `Problem`: the certificate
    /// served is not verified. Files holding only keys give no result (`mayHoldOnlyKeys`).
    func variableCertificate(_ argument: String, namedBy: String, into findings: inout Findings) {
        let pattern = Self.variablesAsWildcards(argument)
        let before = findings.problems.count
        let matches = expand(pattern, required: false, namedBy: namedBy, service: "nginx", into: &findings)
            .filter { root.info($0.path)?.isRegularFile == true }
        guard findings.problems.count == before else { return }
        guard !matches.isEmpty else {
            findings.problems.append(Problem(
                path: argument, service: "nginx",
                reason: LocalizedText(
                    fr: "certificat nommé par une variable, non vérifié : aucun fichier ne correspond à \(pattern)",
                    en: "certificate named through a variable, not verified: no file matches \(pattern)"),
                namedBy: namedBy))
            return
        }
        for match in matches {
            findings.references.append(CertificateReference(
                path: match.path, role: .service, source: "nginx \(namedBy) (\(argument) as \(pattern))", mayHoldOnlyKeys: true))
        }
    }

    /// `argument` with each nginx variable (`$name`, `${name}`) replaced by `*`.
    static func variablesAsWildcards(_ argument: String) -> String {
        var result = ""
        var characters = argument[...]
        while let character = characters.popFirst() {
            guard character == "$" else {
                result.append(character)
                continue
            }
            if characters.first == "{" {
                if let close = characters.firstIndex(of: "}") { characters = characters[characters.index(after: close)...] } else { characters = "" }
            } else {
                characters = characters.drop { $0.isLetter || $0.isNumber || $0 == "_" }
            }
            if !result.hasSuffix("*") { result.append("*") }
        }
        return result
    }

    // MARK: Apache httpd

    /// `SSLCertificateFile` and `SSLCertificateChainFile` in apache2.conf (Debian) or httpd.conf
    /// (RHEL) and their `Include`/`IncludeOptional` files; relative paths are relative to ServerRoot.
    func apache(_ findings: inout Findings) {
        for (serverRoot, main) in [("/etc/apache2", "/etc/apache2/apache2.conf"), ("/etc/httpd", "/etc/httpd/conf/httpd.conf")] {
            walk(start: main, service: "apache", into: &findings) { path, text, findings in
                var includes: [Include] = []
                for line in ApacheConfig.logicalLines(text) {
                    let words = ApacheConfig.words(line.text)
                    guard words.count >= 2 else { continue }
                    let namedBy = "\(path):\(line.number)"
                    switch words[0].lowercased() {
                    case "include", "includeoptional":
                        // httpd refuses to start when a literal `Include` is missing (IncludeOptional allows it).
                        let found = expand(
                            absolute(words[1], relativeTo: serverRoot), required: words[0].lowercased() == "include",
                            namedBy: namedBy, service: "apache", into: &findings)
                        // An included directory means every file in it.
                        for include in found {
                            guard root.info(include.path)?.isDirectory == true else {
                                includes.append(include)
                                continue
                            }
                            do {
                                includes += try listing(include.path).map { Include(path: include.path + "/" + $0, namedBy: namedBy, required: true) }
                            } catch {
                                findings.problems.append(Problem(
                                    path: include.path, service: "apache", reason: CertificateFilesCheck.text(of: error), namedBy: namedBy))
                            }
                        }
                    case "sslcertificatefile":
                        findings.references.append(CertificateReference(
                            path: absolute(words[1], relativeTo: serverRoot), role: .service,
                            source: "apache \(namedBy)"))
                    case "sslcertificatechainfile":
                        findings.references.append(CertificateReference(
                            path: absolute(words[1], relativeTo: serverRoot), role: .chain,
                            source: "apache \(namedBy)"))
                    default: continue
                    }
                }
                return includes
            }
        }
    }

    // MARK: Postfix

    /// `smtpd_tls_cert_file`, `smtpd_tls_eccert_file`, `smtpd_tls_dcert_file` and
    /// `smtpd_tls_chain_files` in /etc/postfix/main.cf. `$config_directory` is expanded.
    func postfix(_ findings: inout Findings) {
        let path = "/etc/postfix/main.cf"
        guard root.info(path) != nil else { return }
        let text: String
        do {
            text = try root.readText(path, limit: 4 << 20)
            findings.configurationsRead.append(path)
        } catch {
            findings.problems.append(Problem(path: path, service: "postfix", reason: error.localizedText, namedBy: nil))
            return
        }
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
                let expanded = value.replacingAll("${config_directory}", with: "/etc/postfix")
                    .replacingAll("$config_directory", with: "/etc/postfix")
                guard !expanded.contains("$") else { continue }
                findings.references.append(CertificateReference(
                    path: absolute(expanded, relativeTo: "/etc/postfix"), role: .service,
                    source: "postfix \(path):\(entry.line)", mayHoldOnlyKeys: entry.name == "smtpd_tls_chain_files"))
            }
        }
    }

    // MARK: Dovecot

    /// `ssl_cert = <file` (Dovecot 2.3) and `ssl_server_cert_file = file` (2.4) in dovecot.conf and
    /// its `!include` / `!include_try` files (relative to the including file's folder).
    func dovecot(_ findings: inout Findings) {
        walk(start: "/etc/dovecot/dovecot.conf", service: "dovecot", into: &findings) { path, text, findings in
            var includes: [Include] = []
            let folder = PathText.deletingLastComponent(path)
            for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = rawLine.trimming(.whitespaces)
                guard !line.hasPrefix("#") else { continue }
                if line.hasPrefix("!include") {
                    let parts = line.split(separator: " ", maxSplits: 1)
                    if parts.count == 2 {
                        // `!include` requires its file; `!include_try` does not.
                        includes += expand(
                            absolute(parts[1].trimming(.whitespaces), relativeTo: folder), required: parts[0] == "!include",
                            namedBy: "\(path):\(offset + 1)", service: "dovecot", into: &findings)
                    }
                    continue
                }
                let pair = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimming(.whitespaces) }
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
                value = value.trimming(.whitespaces)
                guard !value.isEmpty else { continue }
                findings.references.append(CertificateReference(
                    path: absolute(value, relativeTo: folder), role: .service,
                    source: "dovecot \(path):\(offset + 1)"))
            }
            return includes
        }
    }

    // MARK: Let's Encrypt

    /// `/etc/letsencrypt/live/*/fullchain.pem` (or `cert.pem` when there is no full chain). certbot
    /// makes `live/` mode 0700: an agent that cannot list it is told so, not left thinking there is none.
    func letsEncrypt(_ findings: inout Findings) {
        let live = "/etc/letsencrypt/live"
        guard root.info(live) != nil else { return }
        let names: [String]
        do {
            names = try listing(live)
        } catch {
            findings.problems.append(Problem(path: live, service: "letsencrypt", reason: error.localizedText, namedBy: nil))
            return
        }
        for name in names {
            let folder = "\(live)/\(name)"
            guard root.info(folder)?.isDirectory == true else { continue }
            // A lineage folder that cannot be listed still names its usual file: reading it says why it fails.
            let file = ["fullchain.pem", "cert.pem"].first { root.exists("\(folder)/\($0)") } ?? "fullchain.pem"
            findings.references.append(CertificateReference(path: "\(folder)/\(file)", role: .service, source: "letsencrypt \(folder)"))
        }
    }

    // MARK: Helpers

    /// A file an include directive names.
    struct Include {
        var path: String
        /// `file:line` of the directive.
        var namedBy: String
        /// The service refuses to start when it is missing.
        var required: Bool
    }

    /// The files `pattern` names: its matches when it has wildcards (a folder that cannot be listed is
    /// a problem), else the path itself, kept when it is missing only if `required`.
    func expand(_ pattern: String, required: Bool, namedBy: String, service: String, into findings: inout Findings) -> [Include] {
        guard pattern.contains(where: { "*?[".contains($0) }) else {
            return required || root.exists(pattern) ? [Include(path: pattern, namedBy: namedBy, required: required)] : []
        }
        // glob(3) skips folders it cannot open: list the folders of the pattern's last part first.
        let folder = PathText.deletingLastComponent(pattern)
        if !folder.contains(where: { "*?[".contains($0) }), root.info(folder)?.isDirectory == true {
            do {
                _ = try listing(folder)
            } catch {
                findings.problems.append(Problem(path: folder, service: service, reason: error.localizedText, namedBy: namedBy))
                return []
            }
        }
        return root.glob(pattern).map { Include(path: $0, namedBy: namedBy, required: true) }
    }

    /// The names in folder `path` inside the root, sorted.
    /// - Throws: `FileAccessError` when it cannot be listed (permission denied …).
    func listing(_ path: String) throws(FileAccessError) -> [String] {
        let resolved = try root.resolve(path)
        guard let directory = opendir(root.hostPath(resolved)) else { throw FileAccessError(errno: errno, path: path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Reads `start`, then every file the visitor returns, breadth first, each once. A missing main
    /// file means the service is not installed; anything else that cannot be read is a problem.
    private func walk(start: String, service: String, into findings: inout Findings, visit: (String, String, inout Findings) -> [Include]) {
        guard root.info(start) != nil else { return }
        var queue = [Include(path: start, namedBy: "", required: true)]
        var seen: Set<String> = []
        while !queue.isEmpty, seen.count < maximumConfigFiles {
            let include = queue.removeFirst()
            let resolved = (try? root.resolve(include.path)) ?? include.path
            guard seen.insert(resolved).inserted else { continue }
            let text: String
            do {
                text = try root.readText(include.path, limit: 4 << 20)
            } catch {
                findings.problems.append(Problem(
                    path: include.path, service: service, reason: error.localizedText, namedBy: include.namedBy.isEmpty ? nil : include.namedBy))
                continue
            }
            findings.configurationsRead.append(include.path)
            queue += visit(include.path, text, &findings)
        }
    }

    private func absolute(_ path: String, relativeTo folder: String) -> String {
        let unquoted = path.trimming(TrimmedScalars(charactersIn: "\"'"))
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
            var line = String(raw).trimming(.whitespaces)
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
            let trimmed = line.trimming(.whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if line.first == " " || line.first == "\t" {
                if let last = result.popLast() {
                    result.append(Parameter(
                        name: last.name, value: last.value.isEmpty ? trimmed : last.value + " " + trimmed, line: last.line))
                }
                continue
            }
            let pair = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimming(.whitespaces) }
            guard pair.count == 2 else { continue }
            result.append(Parameter(name: pair[0], value: pair[1], line: offset + 1))
        }
        return result
    }
}
