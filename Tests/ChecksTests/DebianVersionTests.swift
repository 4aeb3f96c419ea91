import Checks
import Foundation
import Testing
import TestSupport

/// dpkg's version ordering, checked against `dpkg --compare-versions` itself.
@Suite struct DebianVersionTests {
    /// Pairs written by hand for the tricky rules of deb-version(7): (a, expected order, b).
    static let known: [(String, String, String)] = [
        ("1.0", "eq", "1.0"), ("1.0", "lt", "1.1"), ("1.0", "lt", "1.0.1"), ("1:1.0", "gt", "2.0"),
        ("0:1.0", "eq", "1.0"), ("1.0~rc1", "lt", "1.0"), ("1.0~~", "lt", "1.0~"), ("1.0~~a", "gt", "1.0~~"),
        ("1.0~", "lt", "1.0"), ("1.0", "lt", "1.0a"), ("1.0a", "lt", "1.0+"), ("1.0+b1", "gt", "1.0"),
        ("1.0-1", "lt", "1.0-1.1"), ("1.0-0", "eq", "1.0"), ("1.0-1", "lt", "1.0-1+deb12u1"),
        ("2.36-9+deb12u4", "lt", "2.36-9+deb12u10"), ("1.10", "gt", "1.9"), ("1.010", "eq", "1.10"),
        ("1a", "lt", "1b"), ("1.0-1ubuntu1", "gt", "1.0-1"), ("1.0-1~bpo12+1", "lt", "1.0-1"),
        ("7.88.1-10+deb12u5", "lt", "7.88.1-10+deb12u14"), ("1:9.2p1-2", "gt", "9.9p1-1"),
        ("22.01+really26.02+dfsg-0+deb12u1", "gt", "22.01+dfsg-8"), ("1.2.3-a-b", "lt", "1.2.3-a-c"),
        ("a", "lt", "b"), ("A", "lt", "a"), ("1.0.", "gt", "1.0"), ("1..0", "gt", "1.0"),
    ]

    @Test func handWrittenPairs() throws {
        for (a, op, b) in Self.known {
            let expected = op == "lt" ? -1 : (op == "eq" ? 0 : 1)
            #expect(DebianVersion.compare(a, b) == expected, "\(a) \(op) \(b)")
            #expect(DebianVersion.compare(b, a) == -expected, "\(b) vs \(a)")
            #expect(try DebianFiles.dpkgCompare(a, op, b), "dpkg disagrees with the table: \(a) \(op) \(b)")
        }
    }

    /// Every version string on this machine: dpkg's status and the apt lists.
    static func machineVersions() throws -> [String] {
        var paths = ["/var/lib/dpkg/status"]
        let lists = (try? FileManager.default.contentsOfDirectory(atPath: DebianFiles.listsDirectory)) ?? []
        paths += lists.filter { $0.contains("_Packages") }.map { DebianFiles.listsDirectory + "/" + $0 }
        var versions = Set<String>()
        for path in paths {
            let reader = path.hasSuffix(".lz4") ? "lz4 -dc \"$1\"" : "cat \"$1\""
            let output = try Command.run("/bin/sh", ["-c", "\(reader) | sed -n 's/^Version: *//p'", "sh", path])
            for line in output.stdout.split(separator: "\n") where !line.isEmpty { versions.insert(String(line)) }
        }
        return versions.sorted()
    }

    /// A small deterministic generator (SplitMix64), so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Runs `dpkg --compare-versions a op b` for every line, in two shells side by side; returns the
    /// lines dpkg did not confirm.
    static func dpkgRejects(_ claims: [(String, String, String)]) throws -> [String] {
        let directory = try TemporaryDirectory(prefix: "cyberctl-dpkg")
        let halves = [claims.enumerated().filter { $0.offset % 2 == 0 }.map(\.element), claims.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)]
        let script = #"while read a op b; do if /usr/bin/dpkg --compare-versions "$a" "$op" "$b" 2>/dev/null; then :; else echo "$a $op $b"; fi; done < "$1""#
        var processes: [(Process, Pipe)] = []
        for (index, half) in halves.enumerated() {
            let input = try directory.write("claims-\(index)", half.map { "\($0.0) \($0.1) \($0.2)" }.joined(separator: "\n") + "\n")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script, "sh", input]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            processes.append((process, pipe))
        }
        var rejected: [String] = []
        for (process, pipe) in processes {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            rejected += String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        return rejected
    }

    /// At least 10,000 pairs from this machine's real versions. A sample of distinct versions is sorted
    /// with cyberctl's order and every neighbouring pair is confirmed by dpkg (`lt` or `eq`); since
    /// dpkg's order is total, that proves the whole sorted sample agrees with dpkg. Random pairs,
    /// judged three ways, make up the rest.
    @Test func agreesWithDpkgOnTenThousandPairsOfThisMachinesVersions() async throws {
        let versions = try await OffPool.run { try Self.machineVersions() }
        try #require(versions.count >= 200, "too few versions on this machine: \(versions.count)")
        var generator = SplitMix(state: 20261129)
        var sample = versions.shuffled(using: &generator).prefix(10_001).map { $0 }
        sample.sort { DebianVersion.compare($0, $1)! < 0 }
        var claims: [(String, String, String)] = []
        for index in 1..<sample.count {
            let order = DebianVersion.compare(sample[index - 1], sample[index])!
            #expect(order <= 0)
            claims.append((sample[index - 1], order == 0 ? "eq" : "lt", sample[index]))
        }
        while claims.count < 10_500 {
            let a = versions.randomElement(using: &generator)!
            let b = versions.randomElement(using: &generator)!
            let order = DebianVersion.compare(a, b)!
            claims.append((a, order < 0 ? "lt" : (order == 0 ? "eq" : "gt"), b))
        }
        #expect(claims.count >= 10_000)
        let pairs = claims
        let rejected = try await OffPool.run { try Self.dpkgRejects(pairs) }
        #expect(rejected.isEmpty, "dpkg disagrees on \(rejected.count) of \(claims.count) pairs, e.g. \(rejected.prefix(5))")
    }

    @Test func unparseableVersions() {
        #expect(DebianVersion("") == nil)
        #expect(DebianVersion("a:1.0") == nil)
        #expect(DebianVersion("1:") != nil)
        #expect(DebianVersion("3:1.2-4")?.epoch == 3)
        #expect(DebianVersion("1.2-3-4")?.revision == "4")
        #expect(DebianVersion("1.2-3-4")?.upstream == "1.2-3")
    }
}
