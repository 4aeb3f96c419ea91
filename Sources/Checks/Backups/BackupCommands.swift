import FoundationEssentials

/// One simple command of a shell line, as far as discovery needs it: leading `VAR=value`
/// assignments, words, and where its standard output is redirected.
struct SimpleCommand: Sendable, Equatable {
    var assignments: [String: String] = [:]
    var words: [String] = []
    var redirectOut: String?
    /// True when this command's output goes into the next one (`pg_dump db | gzip > f`).
    var pipesOn = false
}

/// A small reader of shell command lines (cron entries, `ExecStart=`, script lines). It is not a
/// shell: it splits words with quotes and backslashes, separates `;`, `&&`, `||`, `|` and `&`, and
/// notes `>`/`>>` redirections. Nothing is ever executed.
enum ShellWords {
    static func commands(_ line: String) -> [SimpleCommand] {
        var commands: [SimpleCommand] = []
        var current = SimpleCommand()
        var word = ""
        var inWord = false
        var pendingRedirect = false
        var characters = Array(line)
        var index = 0

        func endWord() {
            guard inWord else { return }
            if pendingRedirect {
                current.redirectOut = word
                pendingRedirect = false
            } else if current.words.isEmpty, let equals = word.firstIndex(of: "="), equals != word.startIndex,
                      word[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                current.assignments[String(word[..<equals])] = String(word[word.index(after: equals)...])
            } else {
                current.words.append(word)
            }
            word = ""
            inWord = false
        }
        func endCommand(pipes: Bool) {
            endWord()
            current.pipesOn = pipes
            if !current.words.isEmpty || !current.assignments.isEmpty { commands.append(current) }
            current = SimpleCommand()
            pendingRedirect = false
        }

        // `$(…)` and backquotes are kept inside the word as text; their content is not run or parsed.
        characters.append(" ")
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "\\":
                if index + 1 < characters.count {
                    word.append(characters[index + 1])
                    inWord = true
                    index += 1
                }
            case "'":
                inWord = true
                index += 1
                while index < characters.count, characters[index] != "'" {
                    word.append(characters[index])
                    index += 1
                }
            case "\"":
                inWord = true
                index += 1
                while index < characters.count, characters[index] != "\"" {
                    if characters[index] == "\\", index + 1 < characters.count, "\"\\$`".contains(characters[index + 1]) {
                        index += 1
                    }
                    word.append(characters[index])
                    index += 1
                }
            case "$" where index + 1 < characters.count && characters[index + 1] == "(":
                // Keep a command substitution as one piece of text, nested parentheses included.
                var depth = 0
                inWord = true
                while index < characters.count {
                    let inner = characters[index]
                    word.append(inner)
                    if inner == "(" { depth += 1 }
                    if inner == ")" {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    index += 1
                }
            case "`":
                inWord = true
                word.append(character)
                index += 1
                while index < characters.count, characters[index] != "`" {
                    word.append(characters[index])
                    index += 1
                }
                word.append("`")
            case "#" where !inWord:
                // A comment runs to the end of the line.
                index = characters.count
                continue
            case " ", "\t", "\n":
                endWord()
            case ";":
                endCommand(pipes: false)
            case "&":
                if index + 1 < characters.count, characters[index + 1] == "&" { index += 1 }
                endCommand(pipes: false)
            case "|":
                if index + 1 < characters.count, characters[index + 1] == "|" {
                    index += 1
                    endCommand(pipes: false)
                } else {
                    endCommand(pipes: true)
                }
            case ">":
                // `2>` and `2>&1` redirect errors, not the output we follow.
                let isStderr = inWord && word == "2"
                if isStderr { word = ""; inWord = false } else { endWord() }
                if index + 1 < characters.count, characters[index + 1] == ">" { index += 1 }
                if index + 1 < characters.count, characters[index + 1] == "&" {
                    index += 2
                    while index < characters.count, characters[index].isNumber { index += 1 }
                    continue
                }
                pendingRedirect = !isStderr
                if isStderr {
                    // Skip the file name of a stderr redirect.
                    index += 1
                    while index < characters.count, characters[index] == " " { index += 1 }
                    while index < characters.count, !" \t;|&".contains(characters[index]) { index += 1 }
                    continue
                }
            case "<":
                endWord()
                // Skip the input file name.
                index += 1
                while index < characters.count, characters[index] == " " { index += 1 }
                while index < characters.count, !" \t;|&".contains(characters[index]) { index += 1 }
                continue
            default:
                word.append(character)
                inWord = true
            }
            index += 1
        }
        endCommand(pipes: false)
        return commands
    }

    /// Replaces `$NAME` and `${NAME}` with values from `environment`; unknown ones stay as written.
    static func expand(_ text: String, _ environment: [String: String]) -> String {
        guard text.contains("$") else { return text }
        var result = ""
        var characters = Array(text)[...]
        while let character = characters.first {
            characters = characters.dropFirst()
            guard character == "$" else { result.append(character); continue }
            var name = ""
            var braced = false
            if characters.first == "{" {
                braced = true
                characters = characters.dropFirst()
            }
            while let next = characters.first, next.isLetter || next.isNumber || next == "_" {
                name.append(next)
                characters = characters.dropFirst()
            }
            if braced {
                if characters.first == "}" { characters = characters.dropFirst() } else { name = "" }
            }
            if !name.isEmpty, let value = environment[name] {
                result += value
            } else {
                result += "$" + (braced ? "{\(name)}" : name)
            }
        }
        return result
    }

    /// The literal folder a written path lives in: the part before any component holding a variable,
    /// a command substitution or a wildcard (`/srv/backup/$(date +%F)/db.sql` → `/srv/backup`).
    static func literalFolder(ofFile path: String) -> String? {
        guard path.hasPrefix("/") else { return nil }
        let components = path.split(separator: "/").map(String.init)
        var kept: [String] = []
        for (position, component) in components.enumerated() {
            if component.contains(where: { "$`*?[(".contains($0) }) { break }
            // The last component is the file name itself.
            if position == components.count - 1 { break }
            kept.append(component)
        }
        return kept.isEmpty ? nil : "/" + kept.joined(separator: "/")
    }

    /// The literal folder part of a folder path (variables and wildcards cut off).
    static func literalFolder(ofDirectory path: String) -> String? {
        literalFolder(ofFile: path.hasSuffix("/") ? path + "x" : path + "/x")
    }
}

/// A backup tool invocation found in a job, with what discovery could read from it.
struct ToolInvocation: Sendable, Equatable {
    var tool: String
    var kind: BackupKind?
    /// Local inner path of the copies (folder or repository).
    var destination: String?
    /// Remote location when the copies go to another host.
    var remote: String?
    /// Absolute paths the job backs up.
    var sources: [String] = []
    /// A password file the command names (hint only).
    var passwordFile: String?
    /// rsnapshot configuration file.
    var configFile: String?
    /// vzdump `--storage`.
    var storage: String?
}

/// Recognises the backup tools in a simple command.
enum BackupToolRecognizer {
    /// The tools discovery looks for, by program name.
    static let tools: Set<String> = [
        "restic", "borg", "borgmatic", "rsnapshot", "duplicity", "vzdump", "pg_dump", "pg_dumpall", "mysqldump",
        "mariadb-dump", "rsync",
    ]

    /// Programs that run another command given after their own options, with the options of each
    /// that take a value.
    static let wrappers: [String: Set<String>] = [
        "env": ["-u", "--unset", "-C", "--chdir", "-S"],
        "nice": ["-n", "--adjustment"],
        "ionice": ["-c", "-n", "-p", "--class", "--classdata"],
        "flock": ["-w", "--timeout", "-E", "--conflict-exit-code"],
        "timeout": ["-s", "--signal", "-k", "--kill-after"],
        "sudo": ["-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t", "-D"],
        "runuser": ["-u", "-g", "-G", "-w"],
        "setpriv": ["--reuid", "--regid", "--groups", "--ruid", "--rgid", "--euid", "--egid"],
        "systemd-cat": ["-t", "--identifier", "-p", "--priority"],
        "nocache": [], "chronic": [], "exec": [], "command": [], "time": [],
    ]

    /// The command after wrappers and `sh -c '…'` (which is parsed in turn).
    static func unwrap(_ command: SimpleCommand, depth: Int = 0) -> [SimpleCommand] {
        guard depth < 4 else { return [] }
        var words = command.words
        var assignments = command.assignments
        func inner(_ text: String) -> [SimpleCommand] {
            ShellWords.commands(text).flatMap { parsed in
                var parsed = parsed
                parsed.assignments.merge(assignments) { own, _ in own }
                return unwrap(parsed, depth: depth + 1)
            }
        }
        while let first = words.first {
            let name = programName(first)
            if ["sh", "bash", "dash", "su", "runuser", "flock"].contains(name), let dashC = words.firstIndex(of: "-c"),
               dashC + 1 < words.count, name != "flock" || dashC >= 2 {
                return inner(words[dashC + 1])
            }
            guard let withValue = wrappers[name] else { break }
            words.removeFirst()
            var skipNext = false
            while let next = words.first {
                if skipNext { words.removeFirst(); skipNext = false; continue }
                if next == "--" { words.removeFirst(); break }
                if next.hasPrefix("-"), next.count > 1 {
                    words.removeFirst()
                    if withValue.contains(next) { skipNext = true }
                    continue
                }
                if name == "env", let equals = next.firstIndex(of: "="), equals != next.startIndex {
                    assignments[String(next[..<equals])] = String(next[next.index(after: equals)...])
                    words.removeFirst()
                    continue
                }
                // timeout's first operand is the duration, flock's the lock file.
                if name == "timeout" || name == "flock" { words.removeFirst() }
                break
            }
        }
        var result = command
        result.words = words
        result.assignments = assignments
        return [result]
    }

    static func programName(_ word: String) -> String {
        // systemd prefixes: `-` ignore failure, `@` argv0, `:` no substitution, `+`/`!` privileges.
        let trimmed = word.drop { "-@:+!".contains($0) && word.count > 1 && !word.hasPrefix("--") }
        return String(trimmed.split(separator: "/").last ?? "")
    }

    /// Recognises one (already unwrapped) command. `environment` holds variables known at that
    /// point (unit `Environment=`, script assignments); `next` is the rest of a pipeline, for
    /// `pg_dump db | gzip > file`.
    static func recognize(_ command: SimpleCommand, environment: [String: String], pipeline: [SimpleCommand] = []) -> ToolInvocation? {
        guard let first = command.words.first else { return nil }
        let tool = programName(first)
        guard tools.contains(tool) else { return nil }
        var environment = environment
        environment.merge(command.assignments) { _, own in own }
        let words = command.words.dropFirst().map { ShellWords.expand($0, environment) }
        let output = (command.redirectOut ?? pipeline.last(where: { $0.redirectOut != nil })?.redirectOut)
            .map { ShellWords.expand($0, environment) }
        switch tool {
        case "restic": return restic(words, environment: environment)
        case "borg": return borg(words, environment: environment)
        case "borgmatic": return ToolInvocation(tool: tool, kind: .borg, configFile: value(of: ["-c", "--config"], in: words) ?? "/etc/borgmatic/config.yaml")
        case "rsnapshot": return ToolInvocation(tool: tool, kind: .rsnapshot, configFile: value(of: ["-c"], in: words) ?? "/etc/rsnapshot.conf")
        case "duplicity": return duplicity(words)
        case "vzdump":
            return ToolInvocation(
                tool: tool, kind: .vzdump, destination: value(of: ["--dumpdir", "-dumpdir"], in: words),
                storage: value(of: ["--storage", "-storage"], in: words))
        case "pg_dump", "pg_dumpall", "mysqldump", "mariadb-dump":
            let file = value(of: ["-f", "--file", "-r", "--result-file"], in: words, attached: true) ?? output
            guard let file, let folder = ShellWords.literalFolder(ofFile: file) else { return nil }
            let isPostgres = tool.hasPrefix("pg_")
            return ToolInvocation(
                tool: tool, kind: isPostgres ? .pgdump : .files, destination: folder,
                sources: [isPostgres ? "/var/lib/postgresql" : "/var/lib/mysql"])
        case "rsync": return rsync(words)
        default: return nil
        }
    }

    /// The value of the first of `options` (`-r X`, `--repo=X`, and `-rX` when `attached`).
    static func value(of options: [String], in words: [String], attached: Bool = false) -> String? {
        for (index, word) in words.enumerated() {
            for option in options {
                if word == option, index + 1 < words.count { return words[index + 1] }
                if option.hasPrefix("--"), word.hasPrefix(option + "=") { return String(word.dropFirst(option.count + 1)) }
                if attached, !option.hasPrefix("--"), word.hasPrefix(option), word.count > option.count { return String(word.dropFirst(option.count)) }
            }
        }
        return nil
    }

    /// Positional words, skipping options and the values of options in `withValue`.
    static func positionals(_ words: [String], withValue: Set<String>) -> [String] {
        var result: [String] = []
        var skip = false
        var afterDashes = false
        for word in words {
            if skip { skip = false; continue }
            if afterDashes { result.append(word); continue }
            if word == "--" { afterDashes = true; continue }
            if word.hasPrefix("-") && word.count > 1 {
                if !word.contains("="), withValue.contains(word) { skip = true }
                continue
            }
            result.append(word)
        }
        return result
    }

    static let resticValueOptions: Set<String> = [
        "-r", "--repo", "--repository-file", "-p", "--password-file", "--password-command", "--cache-dir", "-e", "--exclude",
        "--iexclude", "--exclude-file", "--iexclude-file", "--exclude-if-present", "--exclude-larger-than", "--files-from",
        "--files-from-raw", "--files-from-verbatim", "--tag", "-H", "--host", "--parent", "--time", "-o", "--option",
        "--limit-upload", "--limit-download", "--pack-size", "--compression", "--tls-client-cert", "--cacert", "--key-hint",
        "--read-concurrency", "--stdin-filename", "--keep-last", "--keep-daily", "--keep-weekly", "--keep-monthly",
    ]

    static func restic(_ words: [String], environment: [String: String]) -> ToolInvocation? {
        let positional = positionals(words, withValue: resticValueOptions)
        guard positional.first == "backup" else { return nil }
        guard let repository = value(of: ["-r", "--repo"], in: words) ?? environment["RESTIC_REPOSITORY"],
              !repository.contains("$") else {
            return ToolInvocation(tool: "restic", kind: .restic, sources: positional.dropFirst().filter { $0.hasPrefix("/") })
        }
        var invocation = ToolInvocation(
            tool: "restic", kind: .restic, sources: positional.dropFirst().filter { $0.hasPrefix("/") },
            passwordFile: value(of: ["-p", "--password-file"], in: words) ?? environment["RESTIC_PASSWORD_FILE"])
        if let remote = BackupLocation.remote(repository, kind: .restic) {
            invocation.remote = remote
        } else {
            invocation.destination = BackupLocation.localPath(repository)
        }
        return invocation
    }

    static let borgValueOptions: Set<String> = [
        "-e", "--exclude", "--exclude-from", "--pattern", "--patterns-from", "--comment", "-C", "--compression",
        "--chunker-params", "--timestamp", "-c", "--checkpoint-interval", "--remote-path", "--rsh", "--upload-ratelimit",
        "--upload-buffer", "--files-cache", "--lock-wait", "--umask", "--filter", "--exclude-if-present",
    ]

    static func borg(_ words: [String], environment: [String: String]) -> ToolInvocation? {
        let positional = positionals(words, withValue: borgValueOptions)
        guard positional.first == "create", positional.count >= 2 else { return nil }
        let archive = positional[1]
        var repository = archive.components(separatedBy: "::").first ?? ""
        if repository.isEmpty { repository = environment["BORG_REPO"] ?? "" }
        let sources = positional.dropFirst(2).filter { $0.hasPrefix("/") }
        guard !repository.isEmpty, !repository.contains("$") else {
            return ToolInvocation(tool: "borg", kind: .borg, sources: Array(sources))
        }
        var invocation = ToolInvocation(tool: "borg", kind: .borg, sources: Array(sources))
        if let remote = BackupLocation.remote(repository, kind: .borg) {
            invocation.remote = remote
        } else {
            invocation.destination = repository.hasPrefix("file://") ? String(repository.dropFirst(7)) : repository
        }
        return invocation
    }

    static let duplicityValueOptions: Set<String> = [
        "--encrypt-key", "--sign-key", "--hidden-encrypt-key", "--exclude", "--include", "--exclude-filelist",
        "--include-filelist", "--exclude-regexp", "--include-regexp", "--full-if-older-than", "--name", "--archive-dir",
        "--tempdir", "--volsize", "--log-file", "--ssh-options", "--gpg-options", "-v", "--verbosity", "--s3-region-name",
    ]

    static func duplicity(_ words: [String]) -> ToolInvocation? {
        var positional = positionals(words, withValue: duplicityValueOptions)
        if let action = positional.first, ["full", "incr", "incremental", "backup"].contains(action) { positional.removeFirst() }
        guard positional.count == 2, positional[0].hasPrefix("/") else { return nil }
        let target = positional[1]
        var invocation = ToolInvocation(tool: "duplicity", kind: .files, sources: [positional[0]])
        if target.hasPrefix("file://") {
            invocation.destination = String(target.dropFirst(7))
        } else {
            invocation.remote = target
        }
        return invocation
    }

    static let rsyncValueOptions: Set<String> = [
        "-e", "--rsh", "--exclude", "--include", "--exclude-from", "--include-from", "--files-from", "--password-file",
        "--log-file", "--bwlimit", "--backup-dir", "--link-dest", "--compare-dest", "--copy-dest", "-f", "--filter",
        "--chmod", "--chown", "--timeout", "--port", "--suffix", "-T", "--temp-dir", "--partial-dir", "--max-size",
        "--min-size", "--rsync-path", "--out-format", "--log-file-format", "-M", "--remote-option",
    ]

    /// rsync counts only when it copies to another host (`host:path`, `user@host:path`, `rsync://`).
    static func rsync(_ words: [String]) -> ToolInvocation? {
        let positional = positionals(words, withValue: rsyncValueOptions)
        guard positional.count >= 2, let target = positional.last else { return nil }
        guard target.hasPrefix("rsync://") || BackupLocation.isHostColonPath(target) else { return nil }
        return ToolInvocation(tool: "rsync", kind: nil, remote: target, sources: positional.dropLast().filter { $0.hasPrefix("/") })
    }
}
