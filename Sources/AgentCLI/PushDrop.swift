import Agent
import ArgumentParser
import Checks
import Delivery
import FoundationEssentials
import FoundationGaps
import NIS2

#if canImport(Glibc)
import Glibc
import Model
#endif

/// `push --drop ID` and `push --drop-refused`: a person removes refused pairs from the outbox, after seeing them
/// and confirming (issue 18). Each pair leaves whole (report, signature and state in one rename: `Outbox.remove`).
extension AgentCommand.Push {
    /// Shows the pairs to drop, asks for confirmation (unless `--yes`), then removes them under the outbox lock.
    /// - Throws: `InputError(.usage)` for an unknown or unrefused ID, or without a terminal to confirm on and
    ///   without `--yes` (exit 64); `ExitCode(1)` when the person declines; `OutboxError` for I/O.
    func dropPairs(outboxPath: String) throws {
        let french = lang == .fr
        let box: Outbox
        do {
            box = try Outbox(directory: outboxPath, create: false)
        } catch {
            guard error.missing else { throw error }
            if let id = drop.first {
                throw InputError(.usage, fr: "--drop \(id) : la file \(outboxPath) n'existe pas (rien n'y a jamais été mis)",
                                         en: "--drop \(id): the outbox \(outboxPath) does not exist (nothing was ever queued)")
            }
            emit(french ? "Aucune paire refusée : la file \(outboxPath) n'existe pas.\n" : "No refused pair: the outbox \(outboxPath) does not exist.\n")
            return
        }
        guard let lock = try box.lock(wait: true, whileWaiting: {
            note(french ? "Un envoi est en cours ; attente de sa fin…" : "A push is running; waiting for it to finish…")
        }) else { return }
        defer { withExtendedLifetime(lock) {} }
        let entries = try box.entries()
        let chosen = try choose(from: entries, outboxPath: outboxPath)
        guard !chosen.isEmpty else {
            emit(french ? "Aucune paire refusée dans \(outboxPath).\n" : "No refused pair in \(outboxPath).\n")
            return
        }
        // What is about to go, in full, before anything goes: to stdout for a person, to stderr beside the JSON.
        let shown = chosen.map { describe($0) }.joined(separator: "\n") + "\n"
        if format == .json { note(shown) } else { emit(shown) }
        if !yes {
            guard isatty(STDIN_FILENO) == 1 else {
                throw InputError(
                    .usage,
                    fr: "pas de terminal pour confirmer le retrait : ajoutez --yes pour retirer sans question (rien n'a été retiré)",
                    en: "no terminal to confirm the removal on: give --yes to remove without asking (nothing was removed)")
            }
            writeStandard(
                Array((french ? "Retirer \(chosen.count) paire(s) de la file ? [o/N] " : "Remove \(chosen.count) pair(s) from the outbox? [y/N] ").utf8),
                to: STDERR_FILENO)
            let answer = (readLine() ?? "").trimming(.whitespaces).lowercased()
            guard ["o", "oui", "y", "yes"].contains(answer) else {
                note(french ? "Rien n'a été retiré." : "Nothing was removed.")
                throw ExitCode(1)
            }
        }
        var dropped: [StatusRow] = []
        for entry in chosen {
            try box.remove(entry, as: .dropped)
            dropped.append(StatusRow(entry))
            if format == .table { emit((french ? "Retiré de la file : " : "Removed from the outbox: ") + entry.fileName + "\n") }
        }
        if format == .json { emit(encodeJSON(["dropped": dropped])) }
    }

    /// The entries `--drop` names (by entry name, report file name, or file name without `.json`), or every refused
    /// one with `--drop-refused`. Only refused pairs may be dropped: a pending pair is still to be sent, an unreadable
    /// one is left for a person to look at.
    func choose(from entries: [OutboxEntry], outboxPath: String) throws(InputError) -> [OutboxEntry] {
        let french = lang == .fr
        if dropRefused { return entries.filter { $0.state?.refusal != nil } }
        var chosen: [OutboxEntry] = []
        for id in drop {
            guard let entry = entries.first(where: { $0.name == id || $0.fileName == id || $0.fileName == id + ".json" }) else {
                throw InputError(
                    .usage,
                    fr: "--drop \(id) : aucune paire de ce nom dans \(outboxPath) ; les noms sont ceux de cyberctl push --status (rien n'a été retiré)",
                    en: "--drop \(id): no pair of that name in \(outboxPath); names are those of cyberctl push --status (nothing was removed)")
            }
            guard entry.state?.refusal != nil else {
                let why = entry.state == nil
                    ? (french ? "elle est illisible (\(entry.problem?.fr ?? "?")) : examinez-la" : "it is unreadable (\(entry.problem?.en ?? "?")): look at it")
                    : (french ? "elle attend d'être envoyée" : "it is waiting to be sent")
                throw InputError(
                    .usage,
                    fr: "--drop \(id) : cette paire n'est pas refusée, \(why) ; seule une paire refusée se retire (rien n'a été retiré)",
                    en: "--drop \(id): this pair was not refused, \(why); only a refused pair can be dropped (nothing was removed)")
            }
            if !chosen.contains(where: { $0.name == entry.name }) { chosen.append(entry) }
        }
        return chosen
    }

    /// One refused pair as a person reads it before dropping it: file, name, queue time, attempts, the refusal.
    func describe(_ entry: OutboxEntry) -> String {
        let french = lang == .fr
        var lines = ["✗ \(entry.fileName) (\(entry.name))"]
        if let state = entry.state {
            lines.append(
                french
                    ? "    mis en file le \(PeopleTime.string(from: state.queuedAt)), \(state.attempts) essai(s)"
                    : "    queued at \(PeopleTime.string(from: state.queuedAt)), \(state.attempts) attempt(s)")
            if let refusal = state.refusal { lines.append("    " + Self.refusalText(refusal, french: french)) }
        }
        return lines.joined(separator: "\n")
    }

    /// A refusal in one line: when, HTTP status and code, the collector's message, and, for a revoked signer,
    /// that it is one (such a pair can never be accepted: only dropping it clears the outbox).
    static func refusalText(_ refusal: OutboxState.Refusal, french: Bool) -> String {
        let status = [refusal.httpStatus.map { "HTTP \($0)" }, refusal.code].compactMap { $0 }.joined(separator: " ")
        let message = (french ? refusal.message : refusal.messageEN ?? refusal.message).map { " — \($0)" } ?? ""
        let at = PeopleTime.string(from: refusal.at)
        var text = (french ? "refusé le \(at)" : "refused at \(at)")
            + (status.isEmpty ? "" : " (\(status))") + message
        if isSignerRevoked(refusal) {
            text += french
                ? " ; SIGNATAIRE RÉVOQUÉ : le RSSI a révoqué le certificat de cet agent, ce rapport ne sera jamais accepté"
                : "; SIGNER REVOKED: the RSSI revoked this agent's certificate, this report will never be accepted"
        }
        return text
    }

    /// Whether the collector refused the pair because the agent's certificate (the signer's, also the TLS client's)
    /// is revoked (reason code `certificate-revoked`, from the TLS check or the report verification).
    static func isSignerRevoked(_ refusal: OutboxState.Refusal) -> Bool { refusal.code == "certificate-revoked" }

    /// The command a person runs to drop `name`, with the options that found this outbox.
    func dropCommand(_ name: String) -> String { commandLine(["--drop", Self.shellQuoted(name)]) }

    /// `cyberctl push` with `arguments`, then the options that found this outbox (`--outbox`, `--config`).
    func commandLine(_ arguments: [String]) -> String {
        var words = ["cyberctl", "push"] + arguments
        if let outbox { words += ["--outbox", Self.shellQuoted(outbox)] }
        if config != AgentConfiguration.defaultPath { words += ["--config", Self.shellQuoted(config)] }
        return words.joined(separator: " ")
    }

    /// `text` as one shell word: bare when it holds only safe characters, else single-quoted.
    static func shellQuoted(_ text: String) -> String {
        let safe = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=@+,".contains($0)) }
        return safe && !text.isEmpty ? text : "'" + text.replacingAll("'", with: "'\\''") + "'"
    }
}
