import Agent
import Foundation
import Model

/// Where the territory store is: a SQLite file (a path), or a PostgreSQL database (a `postgresql://` or
/// `postgres://` connection URI, as libpq reads it).
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgresql(PostgresLocation)

    /// Whether `text` names a PostgreSQL database rather than a file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Reads a `--db` value or the RSSI configuration's `store`.
    /// - Throws: `InputError(.usage)` for a malformed URI or parameter, `.io` for an unreadable service file.
    public static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(InputError) -> StoreLocation {
        isPostgres(text) ? .postgresql(try PostgresLocation(uri: text, environment: environment)) : .sqlite(path: text)
    }

    /// For messages: the path, or the URI without its password.
    public var displayName: String {
        switch self {
        case .sqlite(let path): path
        case .postgresql(let location): location.displayName
        }
    }
}

/// A PostgreSQL database to connect to, resolved the way libpq resolves a connection URI (PostgreSQL
/// documentation, "Connection Strings" §34.1.1 and "Environment Variables" §34.15):
/// - `postgresql://[user[:password]@][host][:port][/dbname][?param=value&…]`, percent-encoded; `host` may be a
///   Unix-socket folder (starting with `/`, given as `?host=/run/postgresql` or percent-encoded);
/// - parameters: `sslmode` (`disable`, `allow`, `prefer` — the default —, `require`, `verify-ca`, `verify-full`),
///   `sslrootcert` (CA file), `passfile`, `service`, `connect_timeout` (seconds), `application_name`; other
///   parameters are refused rather than ignored;
/// - what the URI leaves out comes from the service file entry (`service=` or `PGSERVICE`; `PGSERVICEFILE`, else
///   `~/.pg_service.conf`, then `PGSYSCONFDIR/pg_service.conf`), then `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`,
///   `PGSSLMODE`, `PGSSLROOTCERT`, `PGCONNECT_TIMEOUT`, then libpq's defaults (socket `/var/run/postgresql`, port 5432,
///   the login name, the database named after the user);
/// - the password: the URI's, else `PGPASSWORD`, else the password file (`passfile`, `PGPASSFILE`, `~/.pgpass`: lines
///   `host:port:database:user:password`, `*` matching anything, `\` escaping; ignored unless its mode is 0600 or
///   less, as libpq does).
///
/// The password never appears in `displayName`, messages or logs.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// libpq's `sslmode`.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// A host name or address, or a Unix-socket folder (starts with `/`).
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// The CA certificates (PEM) that the server's certificate must chain to (`verify-ca`, `verify-full`).
    public var sslRootCert: String?
    /// Connection timeout, seconds (libpq: none by default; here 10).
    public var connectTimeout: Int
    public var applicationName: String

    /// Whether `host` is a Unix-socket folder.
    public var isUnixSocket: Bool { host.hasPrefix("/") }
    /// The socket file libpq would use: `HOST/.s.PGSQL.PORT`.
    public var socketPath: String { "\(host)/.s.PGSQL.\(port)" }

    /// `postgresql://user@host:port/database?sslmode=…`, without the password.
    public var displayName: String {
        let hostPart = isUnixSocket ? "" : (host.contains(":") ? "[\(host)]" : host)
        var text = "postgresql://\(Self.encode(user))@\(hostPart):\(port)/\(Self.encode(database))"
        var query: [String] = []
        if isUnixSocket { query.append("host=\(Self.encode(host))") }
        if sslMode != .prefer { query.append("sslmode=\(sslMode.rawValue)") }
        if !query.isEmpty { text += "?" + query.joined(separator: "&") }
        return text
    }

    public var description: String { displayName }

    public init(
        host: String, port: Int = 5432, user: String, password: String? = nil, database: String, sslMode: SSLMode = .prefer,
        sslRootCert: String? = nil, connectTimeout: Int = 10, applicationName: String = "cyberctl"
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.sslRootCert = sslRootCert
        self.connectTimeout = connectTimeout
        self.applicationName = applicationName
    }

    /// Parses `uri` and completes it from `environment`, the service file and the password file.
    /// - Throws: `InputError(.usage)` naming the URI (without its password) and what was expected.
    public init(uri: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(InputError) {
        let shown = Self.redact(uri)
        func malformed(_ fr: String, _ en: String) -> InputError {
            InputError(.usage, file: shown, fr: "adresse PostgreSQL invalide : \(fr)", en: "invalid PostgreSQL URI: \(en)")
        }
        guard let schemeEnd = uri.range(of: "://") else { throw malformed("« postgresql:// » attendu", "expected postgresql://") }
        var rest = String(uri[schemeEnd.upperBound...])
        var parameters: [String: String] = [:]
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, let key = Self.decode(String(parts[0])), let value = Self.decode(String(parts[1])) else {
                    throw malformed("paramètre « \(pair) » : clé=valeur attendu", "parameter \"\(pair)\": expected key=value")
                }
                parameters[key] = value
            }
            rest = String(rest[..<question])
        }
        var path: String?
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = String(rest[..<slash])
        }
        var userInfo: String?
        if let at = rest.lastIndex(of: "@") {
            userInfo = String(rest[..<at])
            rest = String(rest[rest.index(after: at)...])
        }
        var hostPart = rest
        var portPart: String?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw malformed("« ] » manquant après une adresse IPv6", "missing \"]\" after an IPv6 address") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portPart = String(after.dropFirst()) } else if !after.isEmpty { throw malformed("« :port » attendu après « ] »", "expected \":port\" after \"]\"") }
            hostPart = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
        } else if let colon = hostPart.lastIndex(of: ":") {
            portPart = String(hostPart[hostPart.index(after: colon)...])
            hostPart = String(hostPart[..<colon])
        }
        guard let host = Self.decode(hostPart) else { throw malformed("hôte mal encodé", "badly encoded host") }

        let allowed: Set<String> = ["sslmode", "sslrootcert", "passfile", "service", "connect_timeout", "application_name", "host", "port", "user", "password", "dbname"]
        if let unknown = parameters.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw malformed(
                "paramètre « \(unknown) » non pris en charge ; possibles : \(allowed.sorted().joined(separator: ", "))",
                "unsupported parameter \"\(unknown)\"; supported: \(allowed.sorted().joined(separator: ", "))")
        }
        let service = try Self.serviceEntry(parameters["service"] ?? environment["PGSERVICE"], environment: environment, shown: shown)

        func value(_ key: String, uri: String?, env: String) -> String? {
            if let uri, !uri.isEmpty { return uri }
            if let given = parameters[key], !given.isEmpty { return given }
            if let entry = service[key], !entry.isEmpty { return entry }
            if let fromEnvironment = environment[env], !fromEnvironment.isEmpty { return fromEnvironment }
            return nil
        }
        var user: String?
        var password: String?
        if let userInfo {
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(String(parts[0])) else { throw malformed("utilisateur mal encodé", "badly encoded user") }
            user = name
            if parts.count == 2 {
                guard let secret = Self.decode(String(parts[1])) else { throw malformed("mot de passe mal encodé", "badly encoded password") }
                password = secret
            }
        }
        let resolvedHost = value("host", uri: host, env: "PGHOST") ?? "/var/run/postgresql"
        let portText = value("port", uri: portPart, env: "PGPORT") ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw malformed("port « \(portText) » : un nombre de 1 à 65535 est attendu", "port \"\(portText)\": expected a number from 1 to 65535")
        }
        let resolvedUser = value("user", uri: user, env: "PGUSER") ?? Self.loginName(environment)
        let databaseName = value("dbname", uri: path.flatMap { Self.decode($0) }, env: "PGDATABASE") ?? resolvedUser
        let modeText = value("sslmode", uri: nil, env: "PGSSLMODE") ?? "prefer"
        guard let mode = SSLMode(rawValue: modeText) else {
            throw malformed(
                "sslmode « \(modeText) » : l'une de ces valeurs est attendue : \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))",
                "sslmode \"\(modeText)\": expected one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let timeoutText = value("connect_timeout", uri: nil, env: "PGCONNECT_TIMEOUT") ?? "10"
        guard let timeout = Int(timeoutText), timeout >= 0 else {
            throw malformed("connect_timeout « \(timeoutText) » : un nombre de secondes est attendu", "connect_timeout \"\(timeoutText)\": expected a number of seconds")
        }
        let rootCert = value("sslrootcert", uri: nil, env: "PGSSLROOTCERT")
        if (mode == .verifyCA || mode == .verifyFull) && rootCert == nil {
            throw malformed(
                "sslmode=\(mode.rawValue) demande un fichier d'autorités : ajoutez sslrootcert=CHEMIN",
                "sslmode=\(mode.rawValue) needs a CA file: add sslrootcert=PATH")
        }
        self.init(
            host: resolvedHost, port: port, user: resolvedUser,
            password: password ?? parameters["password"] ?? service["password"] ?? environment["PGPASSWORD"], database: databaseName,
            sslMode: mode, sslRootCert: rootCert, connectTimeout: timeout == 0 ? 10 : timeout,
            applicationName: value("application_name", uri: nil, env: "PGAPPNAME") ?? "cyberctl")
        if self.password == nil {
            self.password = try Self.passwordFromFile(
                value("passfile", uri: nil, env: "PGPASSFILE") ?? (environment["HOME"].map { "\($0)/.pgpass" }),
                host: resolvedHost, port: port, database: databaseName, user: resolvedUser)
        }
    }

    /// The URI with any password replaced by `***`, for messages about a URI that could not be parsed.
    public static func redact(_ uri: String) -> String {
        var text = uri
        if let schemeEnd = text.range(of: "://") {
            let authorityEnd = text[schemeEnd.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
            let authority = text[schemeEnd.upperBound..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
        }
        if let passwordParameter = text.range(of: "password=") {
            let end = text[passwordParameter.upperBound...].firstIndex(of: "&") ?? text.endIndex
            text.replaceSubrange(passwordParameter.upperBound..<end, with: "***")
        }
        return text
    }

    static func loginName(_ environment: [String: String]) -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return environment["USER"] ?? "postgres"
    }

    static func decode(_ text: String) -> String? { text.removingPercentEncoding }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The keywords of `service`'s section in the service file (libpq §34.17), or none without a service.
    /// - Throws: `InputError(.usage)` when the service is named but found in no service file.
    static func serviceEntry(_ service: String?, environment: [String: String], shown: String) throws(InputError) -> [String: String] {
        guard let service, !service.isEmpty else { return [:] }
        var files: [String] = []
        if let file = environment["PGSERVICEFILE"] { files.append(file) } else if let home = environment["HOME"] { files.append("\(home)/.pg_service.conf") }
        files.append("\(environment["PGSYSCONFDIR"] ?? "/etc/postgresql-common")/pg_service.conf")
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            var section: String?
            var entry: [String: String] = [:]
            var found = false
            for rawLine in text.split(whereSeparator: \.isNewline) {
                let line = rawLine.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                if line.hasPrefix("[") && line.hasSuffix("]") {
                    if found { return entry }
                    section = String(line.dropFirst().dropLast())
                    found = section == service
                    continue
                }
                guard found, let equals = line.firstIndex(of: "=") else { continue }
                entry[line[..<equals].trimmingCharacters(in: .whitespaces)] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
            if found { return entry }
        }
        throw InputError(
            .usage, file: shown, fr: "service PostgreSQL « \(service) » introuvable dans \(files.joined(separator: ", "))",
            en: "PostgreSQL service \"\(service)\" not found in \(files.joined(separator: ", "))")
    }

    /// The password of the first matching line of the password file (libpq §34.16), or nil. A file readable by
    /// group or others is ignored, as libpq does.
    static func passwordFromFile(_ file: String?, host: String, port: Int, database: String, user: String) throws(InputError) -> String? {
        guard let file else { return nil }
        var status = stat()
        guard stat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        if status.st_mode & 0o077 != 0 {
            FileHandle.standardError.write(Data(
                "cyberctl: le fichier de mots de passe \(file) est lisible par d'autres que son propriétaire : ignoré (chmod 0600) (password file \(file) has group or world access; ignored)\n".utf8))
            return nil
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        // libpq matches "localhost" for a Unix-socket connection to the default socket folder.
        let hostNames = host.hasPrefix("/") ? ["localhost", host] : [host]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = []
            var current = ""
            var escaped = false
            for character in line {
                if escaped {
                    current.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == ":" && fields.count < 4 {
                    fields.append(current)
                    current = ""
                } else {
                    current.append(character)
                }
            }
            fields.append(current)
            guard fields.count == 5 else { continue }
            func matches(_ field: String, _ values: [String]) -> Bool { field == "*" || values.contains(field) }
            if matches(fields[0], hostNames) && matches(fields[1], [String(port)]) && matches(fields[2], [database]) && matches(fields[3], [user]) {
                return fields[4]
            }
        }
        return nil
    }
}
