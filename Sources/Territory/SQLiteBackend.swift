import Agent
import Foundation
import GRDB
import InputFiles
import Model

/// A territory store in one SQLite database file, through GRDB: a `DatabasePool` (WAL) — any number of
/// processes may ingest or read at once; writers take an IMMEDIATE transaction and wait up to
/// `TerritoryStore.busyTimeout` for each other; readers never block — or a read-only `DatabaseQueue` on an
/// immutable file (a store on read-only media). The schema is `TerritoryStore.migrations`, applied by GRDB's
/// `DatabaseMigrator` under the same identifiers (`grdb_migrations`), so stores made before issue 20 open unchanged.
///
/// SQLite's errors that say the store itself is at fault (disk full, I/O error, damaged file, read-only, locked
/// too long, a table missing) leave `read` and `write` as an `InputError(.io)` naming the file (`storeError`).
package final class SQLiteBackend: StoreBackend {
    /// Path of the database file.
    package let path: String
    /// The database: a `DatabasePool` (WAL); a read-only `DatabaseQueue` for an immutable file.
    let database: any DatabaseWriter

    package var dialect: SQLDialect { .sqlite }
    package var displayName: String { path }

    /// Opens (creating it and its folder when `create`) the store at `path` and applies pending migrations.
    ///
    /// With `readOnly`, an existing store is opened with `SQLITE_OPEN_READONLY` and nothing is written
    /// to it or beside it: a store on read-only media, or one the user may read but not write, can be
    /// viewed. When SQLite cannot create the WAL's shared-memory file there (a read-only folder) and no
    /// writer has a WAL open, the file is read as immutable. A store written by an older cyberctl (pending
    /// migrations) is migrated when it can be written, and refused otherwise.
    /// - Throws: `InputError`: `.missing` when the file does not exist and `create` is false; `.io` (74) when
    ///   the path is not a regular file (a device, a FIFO), or the store cannot be opened or is not a cyberctl store.
    package init(path: String, create: Bool = true, readOnly: Bool = false) throws(InputError) {
        self.path = path
        // A store is a regular file (or a link to one): SQLite would otherwise write its journals beside
        // a device or FIFO (`--db /dev/full`), with the device's permissions.
        var status = stat()
        let linkExists = lstat(path, &status) == 0
        let exists = stat(path, &status) == 0
        if exists && status.st_mode & S_IFMT != S_IFREG {
            let kind = RegularFile.kind(of: status.st_mode)
            throw InputError(
                .io, file: path,
                fr: "la base du territoire doit être un fichier ordinaire (une base SQLite) ; ceci est un(e) \(kind) : refusé, rien n'a été écrit",
                en: "the territory store must be a regular file (a SQLite database); this is a \(kind): refused, nothing written")
        }
        if linkExists && !exists {
            throw InputError(
                .io, file: path, fr: "la base du territoire est un lien symbolique vers rien : refusé, rien n'a été écrit",
                en: "the territory store is a symbolic link to nothing: refused, nothing written")
        }
        if !exists && !create {
            throw InputError(
                .missing, file: path, fr: "aucune base du territoire ici ; lancez d'abord `cyberctl consolidate DOSSIER… --db \(path)`",
                en: "no territory store here; run `cyberctl consolidate DIR… --db \(path)` first")
        }
        if !exists {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw InputError(
                        .io, file: folder, fr: "impossible de créer le dossier de la base : \(error.localizedDescription)",
                        en: "cannot create the store's folder: \(error.localizedDescription)")
                }
            }
        }
        if readOnly && exists, let reader = try Self.openReadOnly(path) {
            database = reader
            return
        }
        // The store holds other communes' findings: never world-readable. The file is created 0600
        // before SQLite opens it; SQLite gives the -wal and -shm files the database file's permissions.
        // (Not umask: it is process-wide, and would race with every other thread creating files.)
        if !exists {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if descriptor >= 0 {
                close(descriptor)
            } else if errno != EEXIST {
                let reason = String(cString: strerror(errno))
                throw InputError(.io, file: path, fr: "impossible de créer la base du territoire : \(reason)", en: "cannot create the territory store: \(reason)")
            }
        }
        do {
            database = try Self.openPool(path)
        } catch {
            throw InputError(.io, file: path, fr: "impossible d'ouvrir la base du territoire : \(error)", en: "cannot open the territory store: \(error)")
        }
        // Readers migrate too when a newer cyberctl added migrations (never on an up-to-date store).
        if !readOnly || !exists || (try? database.read({ db in try Self.migrator.hasCompletedMigrations(db) })) != true { try migrate() }
    }

    /// The writer's pool. Two processes creating the store at the same moment (two `consolidate`, a collector
    /// starting beside one) both switch it to WAL, and SQLite answers the second `PRAGMA journal_mode = WAL` with
    /// SQLITE_BUSY at once, without calling the busy handler; it is tried again until `TerritoryStore.busyTimeout`.
    /// - Throws: GRDB's `DatabaseError` when the store cannot be opened.
    static func openPool(_ path: String) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(TerritoryStore.busyTimeout)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration(readOnly: false))
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(20_000)
            }
        }
    }

    static func configuration(readOnly: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(TerritoryStore.busyTimeout)
        configuration.label = "territory"
        configuration.maximumReaderCount = 4
        configuration.readonly = readOnly
        if !readOnly {
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        return configuration
    }

    /// The store opened read-only, or nil when it has pending migrations (an older store, to migrate).
    /// - Throws: `InputError(.io)` when it cannot be read, or when the file is not a cyberctl store at all (an
    ///   empty file, another program's database): a read command must not turn it into an empty store and
    ///   answer "nothing to report".
    static func openReadOnly(_ path: String) throws(InputError) -> (any DatabaseWriter)? {
        func completed(_ reader: any DatabaseWriter) throws -> Bool {
            try reader.read { db in
                if try migrator.hasCompletedMigrations(db) { return true }
                guard try !migrator.appliedIdentifiers(db).isEmpty else {
                    throw InputError(
                        .io, file: path,
                        fr: "pas une base du territoire de cyberctl (un fichier vide ou la base d'un autre programme) : refusé, rien n'a été écrit ; une base se crée avec `cyberctl consolidate DOSSIER… --db \(path)`",
                        en: "not a cyberctl territory store (an empty file or another program's database): refused, nothing written; a store is made by `cyberctl consolidate DIR… --db \(path)`")
                }
                return false
            }
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration(readOnly: true))
            return try completed(pool) ? pool : nil
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN && !FileManager.default.fileExists(atPath: path + "-wal") {
            // A WAL database needs its -shm file, which a read-only connection cannot create in a read-only
            // folder. Without a -wal file no writer is at work: every committed page is in the main file.
            do {
                let queue = try DatabaseQueue(path: immutableURI(path), configuration: configuration(readOnly: true))
                return try completed(queue) ? queue : nil
            } catch let error as InputError {
                throw error
            } catch {
                throw storeError(error, path: path, reading: true)
                    ?? InputError(.io, file: path, fr: "impossible de lire la base du territoire : \(error)", en: "cannot read the territory store: \(error)")
            }
        } catch let error as InputError {
            throw error
        } catch {
            throw storeError(error, path: path, reading: true)
                    ?? InputError(.io, file: path, fr: "impossible de lire la base du territoire : \(error)", en: "cannot read the territory store: \(error)")
        }
    }

    /// `file:PATH?immutable=1` (RFC 3986 escaping of the path; SQLite's URI filenames, which Debian's
    /// libsqlite3 enables with SQLITE_USE_URI).
    static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }

    /// The `InputError` (74, naming the store) for an SQLite error that says the store itself is at fault:
    /// disk full, I/O error, damaged file, not a database, read-only, locked too long, a table missing.
    /// Nil for anything else (a bug, reported as an internal error).
    static func storeError(_ error: any Error, path: String, reading: Bool) -> InputError? {
        guard let error = error as? DatabaseError else { return nil }
        let verb = reading ? "impossible de lire la base du territoire" : "impossible d'écrire la base du territoire"
        let verbEN = reading ? "cannot read the territory store" : "cannot write the territory store"
        let reason = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        func failure(_ fr: String, _ en: String) -> InputError { InputError(.io, file: path, fr: "\(verb) : \(fr)", en: "\(verbEN): \(en)") }
        switch error.resultCode {
        case .SQLITE_FULL:
            return failure(
                "le disque est plein (\(reason)) ; rien de la transaction échouée n'a été gardé",
                "the disk is full (\(reason)); nothing of the failed transaction was kept")
        case .SQLITE_IOERR:
            return failure(
                "erreur d'entrée-sortie (\(reason)) ; rien de la transaction échouée n'a été gardé",
                "I/O error (\(reason)); nothing of the failed transaction was kept")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return failure(
                "le fichier est endommagé ou n'est pas une base SQLite (\(reason)) ; restaurez-le depuis une sauvegarde",
                "the file is damaged or not a SQLite database (\(reason)); restore it from a backup")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
            return failure("\(reason) (vérifiez les droits du fichier et de son dossier)", "\(reason) (check the permissions of the file and its folder)")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return failure(
                "toujours verrouillée par un autre processus après \(Int(TerritoryStore.busyTimeout)) s (\(reason))",
                "still locked by another process after \(Int(TerritoryStore.busyTimeout)) s (\(reason))")
        case .SQLITE_ERROR where reason.contains("no such table") || reason.contains("no such column"):
            return failure(
                "pas une base cyberctl complète (\(reason)) ; restaurez-la depuis une sauvegarde",
                "not a complete cyberctl store (\(reason)); restore it from a backup")
        default:
            return nil
        }
    }

    /// Applies the pending migrations. Two processes opening a new store at once both try; the loser's
    /// attempt fails on the tables the winner created, after which the store is complete, which is checked.
    func migrate() throws(InputError) {
        var lastError: (any Error)?
        for _ in 0..<3 {
            do {
                try Self.migrator.migrate(database)
                return
            } catch {
                lastError = error
                if (try? database.read({ db in try Self.migrator.hasCompletedMigrations(db) })) == true { return }
            }
        }
        let reason = lastError.map { "\($0)" } ?? "?"
        throw InputError(
            .io, file: path, fr: "impossible de préparer la base du territoire (est-ce une base cyberctl ?) : \(reason)",
            en: "cannot prepare the territory store (is it a cyberctl store?): \(reason)")
    }

    /// `TerritoryStore.migrations` as GRDB migrations, under their identifiers, each body run on the
    /// migration's `Database` through `SQLiteConnection`.
    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in TerritoryStore.migrations {
            migrator.registerMigration(migration.id) { db in try migration.body(SQLiteConnection(db)) }
        }
        return migrator
    }

    /// Runs `body` in one IMMEDIATE transaction: all of it is committed, or none.
    /// - Throws: what `body` throws; `InputError(.io)` naming the store when SQLite says the store is at fault
    ///   (`storeError`: disk full, I/O error, damaged file, read-only).
    package func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        do {
            return try database.writeWithoutTransaction { db in
                var value: T?
                try db.inTransaction(.immediate) {
                    value = try body(SQLiteConnection(db, cachesQueries: true))
                    return .commit
                }
                return value!
            }
        } catch {
            throw Self.storeError(error, path: path, reading: false) ?? error
        }
    }

    /// Runs `body` on a read-only snapshot (a deferred transaction in WAL mode).
    /// - Throws: what `body` throws; `InputError(.io)` naming the store when SQLite says the store is at fault.
    package func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        do {
            return try database.read { db in try body(SQLiteConnection(db)) }
        } catch {
            throw Self.storeError(error, path: path, reading: true) ?? error
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    package func integrityCheck() throws -> String {
        try read { db in try db.fetchAll(String.self, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }
}
