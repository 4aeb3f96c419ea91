@testable import Checks
import Foundation
import Testing
import TestSupport

/// apt's lists in every format apt reads, good and damaged, each checked against real apt on the same tree.
extension PackagesCheckTests {
    @Test(arguments: ["", ".lz4", ".zst", ".gz", ".xz", ".bz2", ".lzma"])
    func everyCompressionAptReadsGivesWhatAptGives(suffix: String) async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        let written = try await OffPool.run { try DebianFiles.recompressLists(root: fixture.root, suffix: suffix) }
        try #require(!written.isEmpty)
        let results = try await Self.run(fixture.root)
        let apt = try await OffPool.run { try fixture.aptAnswer() }
        #expect(!apt.refused, "\(apt.errors)")
        let pending = try Self.one(results, "patch.pending-updates")
        #expect(Self.updates(pending) == apt.upgradable, "\(suffix)")
        let security = Self.nativeKeys(Self.updates(try Self.one(results, "patch.security-updates")))
        for (key, candidate) in fixture.security { #expect(security[key] == candidate, "\(suffix): \(key)") }
        let lists = try Self.one(results, "patch.package-lists")
        #expect(lists.status == .pass, "\(suffix): \(lists.reason ?? "")")
        guard case .array(let files)? = lists.evidence["lists"] else { Issue.record("no lists evidence"); return }
        #expect(Set(files.compactMap(\.stringValue)) == Set(written.map { APTState.listsDirectory + "/" + $0 }))
    }

    /// The ways a list file gets damaged on disk.
    enum Damage: String, CaseIterable {
        case cutInHalf, lastFourBytesMissing, flippedByte, trailingGarbage, emptyFile
    }

    /// Where cyberctl is stricter than apt, on purpose (docs/patches.md, "error ou skip"): apt's zlib
    /// (`gzread`) returns what it could decode of a gzip file cut short, without an error, and apt ignores
    /// bytes after the end of a compressed stream (except zstd); a plain list cut inside a line is read
    /// as it is. cyberctl says the list is damaged instead.
    static func documentedStricter(_ suffix: String, _ damage: Damage) -> Bool {
        switch damage {
        case .cutInHalf, .lastFourBytesMissing: return suffix == ".gz" || suffix == ""
        case .trailingGarbage: return suffix != ".zst"
        case .flippedByte, .emptyFile: return false
        }
    }

    @Test(arguments: ["", ".lz4", ".zst", ".gz", ".xz", ".bz2", ".lzma"])
    func aDamagedListIsAnErrorNamingItAtLeastWhereAptRefusesIt(suffix: String) async throws {
        let directory = try TemporaryDirectory()
        let template = try await Self.fixture(in: directory)
        _ = try await OffPool.run { try DebianFiles.recompressLists(root: template.root, suffix: suffix) }
        for damage in Damage.allCases {
            // The plain format has no stream to flip or to follow; an empty plain or .gz file is an empty list.
            if suffix == "" && [.flippedByte, .trailingGarbage, .emptyFile].contains(damage) { continue }
            // .lzma carries no checksum: a flipped byte may decode to other text, for apt as for cyberctl.
            if suffix == ".lzma" && damage == .flippedByte { continue }
            let copy = try TemporaryDirectory()
            let fixture = try template.copy(into: copy)
            let lists = fixture.root + "/var/lib/apt/lists"
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: lists)
                .first { $0.contains("security") && $0.contains("_Packages") })
            let path = lists + "/" + name
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            try #require(bytes.count > 40, "\(name) is too small to damage")
            switch damage {
            case .cutInHalf:
                bytes = Array(bytes.prefix(bytes.count / 2))
                // A plain list cut at a line boundary is a shorter valid list: cut inside a line.
                while suffix == "", let last = bytes.last, last == 10 { bytes.removeLast() }
            case .lastFourBytesMissing: bytes.removeLast(4)
            case .flippedByte: bytes[bytes.count / 2] ^= 0x55
            case .trailingGarbage: bytes += Array("garbage\n".utf8)
            case .emptyFile: bytes = []
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let results = try await Self.run(fixture.root)
            let apt = try await OffPool.run { try fixture.aptAnswer() }
            let security = try Self.one(results, "patch.security-updates")
            let pending = try Self.one(results, "patch.pending-updates")
            if suffix == ".gz" && damage == .emptyFile {
                // zlib reads an empty .gz as an empty list, and so does cyberctl: same answer as apt.
                #expect(!apt.refused && Self.updates(pending) == apt.upgradable, "\(damage): \(apt.errors)")
                continue
            }
            let label = "\(suffix.isEmpty ? "plain" : suffix) \(damage.rawValue)"
            for result in [security, pending] {
                #expect(result.status == .error, "\(label): \(result.code) \(result.status) \(result.evidence)")
                #expect(result.reason?.contains(name) == true, "\(label): \(result.reason ?? "")")
            }
            #expect(try Self.one(results, "patch.package-lists").status == .error, "\(label)")
            // apt refuses it too, or this is one of the documented cases where cyberctl is stricter.
            #expect(apt.refused || Self.documentedStricter(suffix, damage), "\(label): apt accepted it: \(apt.upgradable.count) upgradable")
            if apt.refused { #expect(!apt.errors.isEmpty, "\(label)") }
        }
    }

    @Test func aStanzaWithoutPackageMakesAptAndCyberctlRefuse() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        let lists = fixture.root + "/var/lib/apt/lists"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: lists).first { $0.hasSuffix("_Packages") && $0.contains("security") })
        let text = try String(contentsOfFile: lists + "/" + name, encoding: .utf8)
        try (text + "\nArchitecture: all\nVersion: 1.0\n").write(toFile: lists + "/" + name, atomically: true, encoding: .utf8)
        let apt = try await OffPool.run { try fixture.aptAnswer() }
        #expect(apt.refused && apt.errors.contains("no Package: header"), "\(apt.errors)")
        let results = try await Self.run(fixture.root)
        for code in ["patch.security-updates", "patch.pending-updates"] {
            let result = try Self.one(results, code)
            #expect(result.status == .error, "\(code)")
            #expect(result.reason?.contains("\(name):") == true && result.reason?.contains("stanza without a Package field") == true, "\(result.reason ?? "")")
        }
    }
}
