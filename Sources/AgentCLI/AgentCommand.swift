import ArgumentParser
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// glibc's mallopt(3); <malloc.h> is not part of the Glibc module.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// The agent's commands: what runs on a commune's server (`scan`, `cert`, `tls`, `checks`, `profiles`,
/// `enroll`, `push`, `verify`, `assess`, `nis2`, `plugin`, `metrics`). Both executables serve them:
/// `cyberctl-agent`, which holds nothing else, and `cyberctl`, the RSSI's full tool.
///
/// The command types stay internal to this module; `subcommands` hands them to a root command.
public enum AgentCommand {
    /// The agent's subcommands, in the order `--help` lists them.
    public static let subcommands: [any ParsableCommand.Type] = [
        Scan.self, Push.self, Cert.self, TLS.self, Checks.self, Profiles.self, Enroll.self, Verify.self, Nis2Command.self, Assess.self,
        Plugin.self, Metrics.self,
    ]

    /// The process's `main` for a root command: two process-wide settings, then argument-parser's parse and
    /// run. SIGPIPE is ignored, so that a reader closing stdout early (`scan --format json | head`) cannot
    /// kill a scan before its report file is written (see `writeStandard`); SIGXFSZ is ignored, so that a
    /// write over the file size limit (`ulimit -f`, RLIMIT_FSIZE) fails with EFBIG and is reported as an I/O
    /// error (74) naming the file, instead of killing the process with a core dump and a half-written store
    /// or report. At most two glibc malloc arenas: the TLS probe's many short-lived threads would each get
    /// an arena whose memory stays resident, and the agent is a guest on the server. A `plugin` command line
    /// that does not parse answers UNKNOWN (exit 3), never 64; any other usage error argument-parser words
    /// itself is shown in French unless `--lang en` is on the command line (`ParserMessages`).
    /// `main(root:)` for a synchronous `static func main()`: runs it on a detached task and parks the calling
    /// (main) thread in pause(2) until that task ends the process (`main(root:)` never returns: it exits).
    ///
    /// Why not `static func main() async`: on Linux the Swift runtime ends an async `main` with `dispatch_main()`,
    /// which calls `pthread_exit` on the main thread; glibc then unwinds that thread's stack (forced unwinding
    /// through libgcc_s), which makes the executable's `.eh_frame` and `.eh_frame_hdr` resident: 2–3 MB more in
    /// every run, `--version` included (docs/benchmarks.md, "The agent's executable"). Parked, the main thread
    /// never exits. The price: nothing drains the main dispatch queue, so code on the main actor or
    /// `DispatchQueue.main` would never run; none of the agent's modules nor its dependencies use either.
    public static func parkedMain(root: any ParsableCommand.Type) -> Never {
        Task.detached { await main(root: root) }
        while true { pause() }
    }

    /// For a scan: every allocation of 128 KiB or more gets its own mapping, given back to the system when
    /// freed (`M_MMAP_THRESHOLD`, fixed). glibc otherwise raises the threshold to the size of each large
    /// block freed (up to 32 MiB), so the next ones come from an arena and stay resident: the package
    /// lists' 1 MiB read buffers, the trust bundle, libssl's state, allocated by checks that run at the
    /// same time, then add up. About 1 MB off the peak of a host scan (docs/benchmarks.md, issue 19);
    /// a scan makes a few hundred such allocations, so the system calls cost nothing measurable.
    static func boundLargeAllocations() {
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD, <malloc.h> */, 128 * 1024)
    }

    public static func main(root: any ParsableCommand.Type) async -> Never {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        _ = glibcMallopt(-8 /* M_ARENA_MAX, <malloc.h> */, 2)
        do {
            var command = try root.parseAsRoot(nil)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Glibc.exit(0)
        } catch {
            if Plugin.isInvoked(CommandLine.arguments) { Plugin.exit(parsing: error, root: root) }
            // A usage error the parser words itself (64): French unless `--lang en` (ParserMessages).
            let code = root.exitCode(for: error)
            if code == .validationFailure, !ParserMessages.englishAsked(CommandLine.arguments) {
                let message = ParserMessages.french(root.fullMessage(for: error))
                writeStandard(Array((message.hasSuffix("\n") ? message : message + "\n").utf8), to: STDERR_FILENO)
                Glibc.exit(code.rawValue)
            }
            root.exit(withError: error)
        }
    }
}
