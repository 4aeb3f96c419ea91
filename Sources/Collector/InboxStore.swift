import Agent
import Foundation
import NIS2
import Model
import OpenSSLKit
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// The collector's inbox: `INBOX/<siren>/<report file name>` and `<report file name>.p7s`, the layout
/// `cyberctl consolidate INBOX` reads, holding only verified pairs.
///
/// A pair is stored durably and atomically (protocol of issue 11): both files are first written in
/// `INBOX/.incoming/` (a hidden folder consolidation skips, on the same file system so `rename(2)` is
/// atomic), each `fsync`ed; then the `.json.p7s` is renamed into place, then the `.json` (consolidation
/// looks for `*.json` only, so it never sees a report without its signature), and the folder is
/// `fsync`ed. A crash at any point leaves either nothing or the complete pair where consolidation
/// reads; leftovers in `.incoming/` are removed when the collector starts.
///
/// The same bytes (SHA-256) stored before are a duplicate and nothing is rewritten. A different report
/// arriving under a file name already taken is stored as `<name>-<first 12 hex of its SHA-256>.json`.
public final class InboxStore: @unchecked Sendable {
    public let root: String
    var incoming: String { root + "/.incoming" }

    private let condition = NSCondition()
    /// SHA-256 → path relative to the root, of every pair stored.
    private var stored: [String: String] = [:]
    /// SHA-256 of pairs being stored right now (a second upload of the same bytes waits for the first).
    private var inFlight: Set<String> = []
    /// Relative paths chosen by uploads in flight.
    private var reservedNames: Set<String> = []
    /// The inbox folder, open and `flock`ed exclusively while this store lives.
    private let lockDescriptor: Int32

    deinit { close(lockDescriptor) }

    /// Where a pair went.
    public enum Outcome: Sendable, Equatable {
        case stored(relativePath: String)
        case duplicate(relativePath: String)
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Opens (creating when absent) the inbox, empties `.incoming/`, and indexes the SHA-256 of every
    /// complete pair already there (`<siren>/<name>.json` with its `.p7s`).
    /// - Throws: `InputError(.io)` when the folders cannot be created or read.
    public init(root: String) throws(InputError) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        for (path, mode) in [(root, mode_t(0o750)), (root + "/.incoming", mode_t(0o700))] {
            if mkdir(path, mode) != 0 && errno != EEXIST {
                throw InputError(
                .io, file: path, fr: "impossible de créer le dossier de réception : \(String(cString: strerror(errno)))",
                en: "cannot create the inbox folder: \(String(cString: strerror(errno)))")
            }
        }
        // One collector per inbox: a second one would empty `.incoming/` under the first one's uploads in
        // flight, and each keeps its own SHA-256 index (the same report stored twice). An exclusive flock(2)
        // on the inbox folder itself, held for the process's life (the kernel drops it on exit or SIGKILL).
        lockDescriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard lockDescriptor >= 0 else {
            throw InputError(
                .io, file: root, fr: "impossible d'ouvrir le dossier de réception : \(String(cString: strerror(errno)))",
                en: "cannot open the inbox folder: \(String(cString: strerror(errno)))")
        }
        if flock(lockDescriptor, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            close(lockDescriptor)
            throw InputError(
                .io, file: root,
                text: busy
                    ? LocalizedText(
                        fr: "un autre cyberctl collect utilise déjà ce dossier de réception (un collecteur par dossier : donnez à chacun son --inbox)",
                        en: "another cyberctl collect already uses this inbox (one collector per inbox: give each its own --inbox)")
                    : LocalizedText(fr: "impossible de verrouiller le dossier de réception : \(reason)", en: "cannot lock the inbox folder: \(reason)"))
        }
        // Leftovers of a collector stopped mid-write: never acknowledged, safe to drop.
        if let leftovers = try? FileManager.default.contentsOfDirectory(atPath: incoming) {
            for name in leftovers { unlink(incoming + "/" + name) }
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else {
            throw InputError(.io, file: root, fr: "impossible de lire le dossier de réception", en: "cannot read the inbox folder")
        }
        for folder in entries where !folder.hasPrefix(".") {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: root + "/" + folder) else { continue }
            for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") && names.contains(name + ".p7s") {
                let relative = folder + "/" + name
                guard let bytes = try? Self.readAll(root + "/" + relative) else { continue }
                stored[Digest.sha256Hex(bytes)] = relative
            }
        }
    }

    /// Number of pairs in the inbox.
    public var count: Int { condition.withLock { stored.count } }

    /// Where the pair with `sha256` is stored, if it is.
    public func path(of sha256: String) -> String? { condition.withLock { stored[sha256] } }

    /// A claim on a SHA-256 and a file name, taken before the pair is ingested and written: the store
    /// then records the path the pair will really have, and a second upload of the same bytes waits for
    /// the first to be written or released.
    public struct Reservation: Sendable, Equatable {
        public let sha256: String
        public let siren: String
        /// Where the pair will be: `<siren>/<name>.json`, relative to the root.
        public let relativePath: String
    }

    /// What a claim found.
    public enum Claim: Sendable, Equatable {
        /// These bytes are already stored, there.
        case duplicate(relativePath: String)
        /// Claimed: `commit` or `release` it.
        case reserved(Reservation)
    }

    /// Stores a verified pair under `siren` (9 digits, already checked by the verifier): `claim`, then
    /// `commit`. Blocking (file writes and fsync): call it off the event loops.
    /// - Parameters:
    ///   - fileName: the name the agent gave, made safe by `safeFileName`.
    /// - Throws: `Failure` when a write, fsync or rename fails (nothing is left where consolidation reads).
    public func store(report: [UInt8], signature: [UInt8], sha256: String, siren: String, fileName: String?) throws(Failure) -> Outcome {
        switch try claim(sha256: sha256, siren: siren, fileName: fileName) {
        case .duplicate(let existing): return .duplicate(relativePath: existing)
        case .reserved(let reservation):
            try commit(reservation, report: report, signature: signature)
            return .stored(relativePath: reservation.relativePath)
        }
    }

    /// Learns whether `sha256` is stored (waiting while another upload of the same bytes is being
    /// stored), otherwise claims it and a free file name under `siren`. Blocking.
    /// - Throws: `Failure` when `siren` is not 9 digits.
    public func claim(sha256: String, siren: String, fileName: String?) throws(Failure) -> Claim {
        guard siren.count == 9, siren.allSatisfy(\.isASCII), siren.allSatisfy(\.isNumber) else {
            throw Failure(description: "SIREN \"\(siren)\" is not 9 digits")
        }
        let name = Self.safeFileName(fileName, sha256: sha256)
        condition.lock()
        defer { condition.unlock() }
        while inFlight.contains(sha256) { condition.wait() }
        if let existing = stored[sha256] { return .duplicate(relativePath: existing) }
        var relative = siren + "/" + name
        if reservedNames.contains(relative) || FileManager.default.fileExists(atPath: root + "/" + relative)
            || FileManager.default.fileExists(atPath: root + "/" + relative + ".p7s")
        {
            relative = siren + "/" + String(name.dropLast(5)) + "-" + sha256.prefix(12) + ".json"
            if reservedNames.contains(relative) || FileManager.default.fileExists(atPath: root + "/" + relative) {
                relative = siren + "/" + sha256 + ".json"
            }
        }
        inFlight.insert(sha256)
        reservedNames.insert(relative)
        return .reserved(Reservation(sha256: sha256, siren: siren, relativePath: relative))
    }

    /// Gives a claim up without writing anything (the store refused the report, or it failed).
    public func release(_ reservation: Reservation) {
        finish(reservation, stored: false)
    }

    private func finish(_ reservation: Reservation, stored success: Bool) {
        condition.lock()
        inFlight.remove(reservation.sha256)
        reservedNames.remove(reservation.relativePath)
        if success { stored[reservation.sha256] = reservation.relativePath }
        condition.broadcast()
        condition.unlock()
    }

    /// Writes a claimed pair durably where the claim says, and ends the claim (also when it fails).
    /// Blocking (file writes and fsync).
    /// - Throws: `Failure` when a write, fsync or rename fails (nothing is left where consolidation reads).
    public func commit(_ reservation: Reservation, report: [UInt8], signature: [UInt8]) throws(Failure) {
        let siren = reservation.siren
        let relative = reservation.relativePath
        var success = false
        defer { finish(reservation, stored: success) }
        let token = UUID().uuidString.lowercased()
        let temporaryReport = incoming + "/" + token + ".json"
        let temporarySignature = incoming + "/" + token + ".json.p7s"
        do {
            try Self.writeSynced(signature, to: temporarySignature)
            try Self.writeSynced(report, to: temporaryReport)
            let folder = root + "/" + siren
            if mkdir(folder, 0o750) == 0 {
                try Self.syncFolder(root)
            } else if errno != EEXIST {
                throw Failure(description: "cannot create \(folder): \(String(cString: strerror(errno)))")
            }
            let destination = root + "/" + relative
            guard rename(temporarySignature, destination + ".p7s") == 0 else {
                throw Failure(description: "cannot rename into \(destination).p7s: \(String(cString: strerror(errno)))")
            }
            guard rename(temporaryReport, destination) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(destination + ".p7s")
                throw Failure(description: "cannot rename into \(destination): \(reason)")
            }
            try Self.syncFolder(folder)
            success = true
        } catch let failure as Failure {
            unlink(temporaryReport)
            unlink(temporarySignature)
            throw failure
        } catch {
            unlink(temporaryReport)
            unlink(temporarySignature)
            throw Failure(description: "\(error)")
        }
    }

    /// The file name a report is stored under: the agent's name when it is a plain `*.json` name
    /// (letters, digits, `.`, `_`, `-`; 6 to 200 bytes; not hidden), otherwise `report-<SHA-256>.json`.
    /// A path is never taken from the client: `../x.json` and `a/b.json` fall back.
    public static func safeFileName(_ name: String?, sha256: String) -> String {
        if let name, name.hasSuffix(".json"), !name.hasPrefix("."), (6...200).contains(name.utf8.count),
           name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") })
        {
            return name
        }
        return "report-\(sha256).json"
    }

    // MARK: - POSIX

    static func writeSynced(_ bytes: [UInt8], to path: String) throws(Failure) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let code = writeAll(bytes, to: descriptor)
        if code != 0 { throw Failure(description: "cannot write \(path): \(String(cString: strerror(code)))") }
        guard fsync(descriptor) == 0 else { throw Failure(description: "cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }

    static func syncFolder(_ path: String) throws(Failure) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure(description: "cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }

    /// A stored report, read within the report size limit; a FIFO or device planted in the inbox is
    /// refused without blocking the collector's start (`TrustFiles.read`).
    static func readAll(_ path: String) throws -> [UInt8] {
        try TrustFiles.read(path, limit: TrustFiles.maximumReportBytes, what: LocalizedText(fr: "rapport stocké", en: "stored report"))
    }
}
