@testable import Checks
import Foundation
import Testing
import TestSupport

/// The list decoders (system zlib, liblzma, libzstd, libbz2, liblz4) against files written by the
/// reference command of each format, with its options, in chunks of every size; and damaged files.
@Suite struct StreamDecoderTests {
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

    static func decode(_ compressed: [UInt8], _ compression: ListCompression, chunk: Int) throws(DecompressionError) -> [UInt8] {
        let decoder = compression.decoder()!
        var output: [UInt8] = []
        var offset = 0
        while offset < compressed.count {
            let end = min(offset + chunk, compressed.count)
            try compressed[offset..<end].withUnsafeBufferPointer { piece throws(DecompressionError) in
                try decoder.feed(piece) { output.append(contentsOf: $0) }
            }
            offset = end
        }
        try decoder.finish { output.append(contentsOf: $0) }
        return output
    }

    /// `program options… -c input` (stdout), as bytes.
    static func compress(_ input: String, _ program: String, _ options: [String]) throws -> [UInt8] {
        let output = try Command.run("/bin/sh", ["-c", "exec \"$0\" \"$@\" < \"$INPUT\"", program] + options + ["-c"], environment: ["INPUT": input, "PATH": "/usr/bin:/bin"])
        try #require(output.exitCode == 0, "\(program) \(options): \(output.stderr)")
        return [UInt8](output.stdoutData)
    }

    /// (format, command, options): each command's own framing options, every checksum it can write.
    static let writers: [(ListCompression, String, [String])] = [
        (.lz4, "lz4", ["-q", "-BD"]), (.lz4, "lz4", ["-q", "-BI"]), (.lz4, "lz4", ["-q", "-B4", "-BD"]), (.lz4, "lz4", ["-q", "-B5", "-BX"]),
        (.lz4, "lz4", ["-q", "-B6", "-BD", "--content-size"]), (.lz4, "lz4", ["-q", "-B7", "--no-frame-crc"]), (.lz4, "lz4", ["-q", "-9", "-BD"]),
        (.gzip, "gzip", ["-1"]), (.gzip, "gzip", ["-9n"]),
        (.xz, "xz", ["-0"]), (.xz, "xz", ["-6", "-C", "crc32"]), (.xz, "xz", ["-6", "-C", "crc64"]), (.xz, "xz", ["-6", "-C", "sha256"]),
        (.xz, "xz", ["-6", "-C", "none"]), (.lzma, "xz", ["--format=lzma", "-6"]),
        (.zstd, "zstd", ["-q", "-1"]), (.zstd, "zstd", ["-q", "-19", "--no-check"]), (.zstd, "zstd", ["-q", "-3", "--check"]),
        (.bzip2, "bzip2", ["-1"]), (.bzip2, "bzip2", ["-9"]),
    ]

    @Test func decodesWhatEachReferenceCommandWrites() throws {
        let directory = try TemporaryDirectory()
        let plain = Self.sample()
        let input = try directory.write("in", Data(plain))
        for (compression, program, options) in Self.writers {
            let compressed = try Self.compress(input, program, options)
            for chunk in [1 << 20, 4093, 7] where chunk > 100 || compressed.count < 400_000 {
                #expect(try Self.decode(compressed, compression, chunk: chunk) == plain, "\(program) \(options), chunks of \(chunk)")
            }
        }
    }

    @Test func concatenatedStreamsAreReadAsTheirCommandsReadThem() throws {
        let directory = try TemporaryDirectory()
        let first = try directory.write("a", "Package: a\nVersion: 1\n\n")
        let second = try directory.write("b", "Package: b\nVersion: 2\n\n")
        let expected = Array("Package: a\nVersion: 1\n\nPackage: b\nVersion: 2\n\n".utf8)
        for (compression, program, options) in [(ListCompression.gzip, "gzip", [String]()), (.xz, "xz", []), (.zstd, "zstd", ["-q"]), (.bzip2, "bzip2", []), (.lz4, "lz4", ["-q"])] {
            let joined = try Self.compress(first, program, options) + Self.compress(second, program, options)
            #expect(try Self.decode(joined, compression, chunk: 5) == expected, "\(program)")
            // What the command itself reads from the same bytes.
            let file = try directory.write("joined", Data(joined))
            let reference = try Command.run("/bin/sh", ["-c", "exec \"$0\" -dc < \"$1\"", program, file])
            #expect(reference.exitCode == 0 && Array(reference.stdoutData) == expected, "\(program) -dc")
        }
        // Skippable frames (zstd, lz4) carry no data.
        let lz4 = try Self.compress(first, "lz4", ["-q"]) + [0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9]
        #expect(try Self.decode(lz4, .lz4, chunk: 5) == Array("Package: a\nVersion: 1\n\n".utf8))
        let zstd = try Self.compress(first, "zstd", ["-q"]) + [0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9]
        #expect(try Self.decode(zstd, .zstd, chunk: 5) == Array("Package: a\nVersion: 1\n\n".utf8))
    }

    @Test func gzipReadsAFileThatIsNotGzipAsItIsLikeAptsZlib() throws {
        let text = Array("Package: x\nVersion: 1\n\n".utf8)
        #expect(try Self.decode(text, .gzip, chunk: 1) == text)
        #expect(try Self.decode([], .gzip, chunk: 1) == [])
    }

    @Test func truncatedCorruptOrFollowedDataThrowsInsteadOfCrashing() throws {
        let directory = try TemporaryDirectory()
        let input = try directory.write("in", Data(Self.sample()))
        for (compression, program, options) in Self.writers {
            let compressed = try Self.compress(input, program, options)
            for cut in [compressed.count / 2, compressed.count - 4, compressed.count - 1] {
                #expect(throws: DecompressionError.truncated(Self.name(compression)), "\(program) \(options) cut at \(cut)") {
                    try Self.decode(Array(compressed.prefix(cut)), compression, chunk: 65536)
                }
            }
            if compression != .gzip {
                #expect(throws: DecompressionError.truncated(Self.name(compression)), "\(program): empty file") { try Self.decode([], compression, chunk: 1) }
            }
            // Bytes after the end that are not another stream.
            #expect(throws: DecompressionError.self, "\(program) \(options): trailing garbage") {
                try Self.decode(compressed + Array("garbage".utf8), compression, chunk: 4096)
            }
            // Flipped bytes all over the data: every outcome is a value or a DecompressionError.
            var state: UInt64 = 7
            for _ in 0..<40 {
                var damaged = compressed
                for _ in 0..<8 {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let position = 7 + Int(state >> 33) % (damaged.count - 7)
                    damaged[position] ^= UInt8(truncatingIfNeeded: state >> 17) | 1
                }
                _ = try? Self.decode(damaged, compression, chunk: 1 << 16)
            }
        }
        // A flipped byte in data covered by a checksum is caught.
        let xz = try Self.compress(input, "xz", ["-0", "-C", "crc64"])
        var damaged = xz
        damaged[damaged.count / 2] ^= 0x10
        #expect(throws: (any Error).self) { try Self.decode(damaged, .xz, chunk: 4096) }
    }

    static func name(_ compression: ListCompression) -> String {
        switch compression {
        case .none: return ""
        case .lz4: return "LZ4"
        case .zstd: return "zstd"
        case .gzip: return "gzip"
        case .xz: return "xz"
        case .lzma: return "lzma"
        case .bzip2: return "bzip2"
        }
    }

    @Test func apt_sOrderOfCompressions() {
        // apt-config dump: APT::Compressor::<name>::Cost, lowest first; "" is the uncompressed file.
        #expect(ListCompression.suffixes == ["", ".lz4", ".zst", ".gz", ".xz", ".bz2", ".lzma"])
        #expect(ListCompression(fileName: "x_Packages.xz") == .xz)
        #expect(ListCompression(fileName: "x_Packages") == ListCompression.none)
    }
}
