@testable import Checks
import Foundation
import Testing
import TestSupport

/// The LZ4 frame decoder against files written by the `lz4` command with every frame option.
@Suite struct LZ4FrameTests {
    /// Text that compresses like apt lists (repeated field names, long matches) plus random bytes
    /// (literal runs, incompressible blocks).
    static func sample() -> [UInt8] {
        var bytes: [UInt8] = []
        var state: UInt64 = 42
        for index in 0..<6000 {
            bytes += Array("Package: package-\(index % 977)\nVersion: 1.\(index % 13)-\(index)\nArchitecture: amd64\nDescription: line \(index)\n\n".utf8)
            if index % 500 == 0 {
                for _ in 0..<70_000 {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    bytes.append(UInt8(truncatingIfNeeded: state >> 33))
                }
            }
        }
        return bytes
    }

    static func decode(_ compressed: [UInt8], chunk: Int) throws -> [UInt8] {
        let decoder = LZ4FrameDecoder()
        var output: [UInt8] = []
        var offset = 0
        while offset < compressed.count {
            let end = min(offset + chunk, compressed.count)
            try compressed[offset..<end].withUnsafeBufferPointer { piece in
                try decoder.feed(piece) { output.append(contentsOf: $0) }
            }
            offset = end
        }
        try decoder.finish()
        return output
    }

    @Test(arguments: [
        ["-BD"], ["-BI"], ["-B4", "-BD"], ["-B5", "-BX"], ["-B6", "-BD", "--content-size"], ["-B7", "--no-frame-crc"],
        ["-9", "-BD"], ["-1", "-B4", "-BX", "-BD"],
    ])
    func decodesWhatTheLZ4CommandWrites(options: [String]) throws {
        let directory = try TemporaryDirectory()
        let plain = Self.sample()
        let input = try directory.write("in", Data(plain))
        let output = try Command.run("lz4", ["-q", "-f"] + options + [input, input + ".lz4"])
        try #require(output.exitCode == 0, "lz4: \(output.stderr)")
        let compressed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input + ".lz4")))
        for chunk in [1 << 20, 4093, 7] where chunk > 100 || compressed.count < 3_000_000 {
            #expect(try Self.decode(compressed, chunk: chunk) == plain, "\(options), chunks of \(chunk)")
        }
    }

    @Test func concatenatedFramesAndSkippableFramesAreRead() throws {
        let directory = try TemporaryDirectory()
        let first = Array("Package: a\nVersion: 1\n\n".utf8)
        let second = Array("Package: b\nVersion: 2\n\n".utf8)
        var compressed: [UInt8] = []
        for (index, part) in [first, second].enumerated() {
            let input = try directory.write("part\(index)", Data(part))
            _ = try Command.run("lz4", ["-q", "-f", input, input + ".lz4"])
            compressed += [UInt8](try Data(contentsOf: URL(fileURLWithPath: input + ".lz4")))
            compressed += [0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9]  // skippable frame of 3 bytes
        }
        #expect(try Self.decode(compressed, chunk: 5) == first + second)
    }

    @Test func truncatedOrCorruptDataThrowsInsteadOfCrashing() throws {
        let directory = try TemporaryDirectory()
        let input = try directory.write("in", Data(Self.sample()))
        _ = try Command.run("lz4", ["-q", "-f", "-BD", input, input + ".lz4"])
        let compressed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input + ".lz4")))
        #expect(throws: LZ4Error.truncated) { try Self.decode(Array(compressed.prefix(compressed.count - 100)), chunk: 65536) }
        #expect(throws: LZ4Error.notLZ4) { try Self.decode(Array("Package: plain text\n".utf8), chunk: 64) }
        // Flipped bytes all over the data: every outcome is a value or an LZ4Error.
        var state: UInt64 = 7
        for _ in 0..<300 {
            var damaged = compressed
            for _ in 0..<8 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let position = 7 + Int(state >> 33) % (damaged.count - 7)
                damaged[position] ^= UInt8(truncatingIfNeeded: state >> 17) | 1
            }
            do { _ = try Self.decode(damaged, chunk: 1 << 16) } catch {}
        }
    }
}
