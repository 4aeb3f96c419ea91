#if canImport(Glibc)
import Glibc
#endif

/// A streaming decoder of the LZ4 frame format (lz4 `doc/lz4_Frame_format.md`, block format in
/// `doc/lz4_Block_format.md`), which apt uses for its lists when `Acquire::GzipIndexes` is set
/// (Debian and Ubuntu container images).
///
/// Input arrives in chunks of any size; decoded bytes are handed out block by block. Memory is
/// bounded by the frame's maximum block size (64 KB … 4 MB) plus the 64 KB window linked blocks may
/// refer to. Checksums, when present, are skipped, not verified. Corrupt input ends with
/// `LZ4Error`, never a crash: every offset and length is checked.
final class LZ4FrameDecoder {
    private enum State {
        case magic
        case header(flags: UInt8)
        case blockSize
        case block(size: Int, compressed: Bool)
        case skip(Int, then: Next)
        enum Next { case blockSize, magic }
    }

    private static let window = 64 * 1024
    private var state = State.magic
    private var input: [UInt8] = []
    private var inputStart = 0
    private var blockChecksum = false
    private var contentChecksum = false
    private var independentBlocks = false
    private var maximumBlockSize = 4 << 20
    /// History (last 64 KB of output) followed by the block being decoded.
    private var output: UnsafeMutablePointer<UInt8>
    private var outputCapacity: Int
    private var outputCount = 0
    private(set) var framesSeen = 0
    private(set) var inFrame = false

    init() {
        // Room for the window and the largest block (4 MB); pages are touched only as they are used:
        // with small blocks, output wraps after about 1 MB.
        outputCapacity = Self.window + (4 << 20)
        output = .allocate(capacity: outputCapacity)
    }

    deinit { output.deallocate() }

    /// Feeds compressed bytes; `emit` receives decoded bytes, valid only during the call.
    func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(LZ4Error) {
        if inputStart > 0 && inputStart == input.count {
            input.removeAll(keepingCapacity: true)
            inputStart = 0
        } else if inputStart > (1 << 20) {
            input.removeFirst(inputStart)
            inputStart = 0
        }
        input.append(contentsOf: chunk)
        while try step(emit) {}
    }

    /// Ends the input. - Throws: `LZ4Error.truncated` when a frame is incomplete.
    func finish() throws(LZ4Error) {
        if inFrame || inputStart < input.count { throw .truncated }
        if framesSeen == 0 { throw .notLZ4 }
    }

    private var available: Int { input.count - inputStart }

    private func readLE32(_ at: Int) -> UInt32 {
        UInt32(input[at]) | UInt32(input[at + 1]) << 8 | UInt32(input[at + 2]) << 16 | UInt32(input[at + 3]) << 24
    }

    /// Makes one step of progress; false when more input is needed.
    private func step(_ emit: (UnsafeBufferPointer<UInt8>) -> Void) throws(LZ4Error) -> Bool {
        switch state {
        case .magic:
            guard available >= 4 else { return false }
            let magic = readLE32(inputStart)
            if magic & 0xFFFF_FFF0 == 0x184D_2A50 {  // skippable frame
                guard available >= 8 else { return false }
                let size = Int(readLE32(inputStart + 4))
                inputStart += 8
                state = .skip(size, then: .magic)
                return true
            }
            guard magic == 0x184D_2204 else { throw .notLZ4 }
            guard available >= 6 else { return false }
            let flags = input[inputStart + 4]
            guard flags >> 6 == 1 else { throw .unsupported("frame version \(flags >> 6)") }
            state = .header(flags: flags)
            return true
        case .header(let flags):
            let length = 4 + 2 + (flags & 0x08 != 0 ? 8 : 0) + (flags & 0x01 != 0 ? 4 : 0) + 1
            guard available >= length else { return false }
            let descriptor = input[inputStart + 5]
            let sizeCode = Int((descriptor >> 4) & 0x07)
            guard sizeCode >= 4 else { throw .corrupt("block maximum size code \(sizeCode)") }
            maximumBlockSize = 1 << (8 + 2 * sizeCode)
            independentBlocks = flags & 0x20 != 0
            blockChecksum = flags & 0x10 != 0
            contentChecksum = flags & 0x04 != 0
            inputStart += length
            outputCount = 0
            inFrame = true
            framesSeen += 1
            state = .blockSize
            return true
        case .blockSize:
            guard available >= 4 else { return false }
            let word = readLE32(inputStart)
            inputStart += 4
            if word == 0 {
                inFrame = false
                state = contentChecksum ? .skip(4, then: .magic) : .magic
                return true
            }
            let size = Int(word & 0x7FFF_FFFF)
            guard size <= maximumBlockSize else { throw .corrupt("block of \(size) bytes, more than the frame's \(maximumBlockSize)") }
            state = .block(size: size, compressed: word & 0x8000_0000 == 0)
            return true
        case .block(let size, let compressed):
            guard available >= size else { return false }
            if independentBlocks {
                outputCount = 0
            } else if outputCount + maximumBlockSize > Self.window + max(maximumBlockSize, 1 << 20) {
                // Keep only the window linked blocks may refer to; with small blocks this happens
                // once per megabyte or so, not once per block.
                memmove(output, output + (outputCount - Self.window), Self.window)
                outputCount = Self.window
            }
            let start = outputCount
            try input.withUnsafeBufferPointer { (buffer) throws(LZ4Error) in
                let block = UnsafeBufferPointer(rebasing: buffer[inputStart..<(inputStart + size)])
                if compressed {
                    try decodeBlock(block)
                } else {
                    (output + outputCount).update(from: block.baseAddress!, count: size)
                    outputCount += size
                }
            }
            inputStart += size
            emit(UnsafeBufferPointer(start: output + start, count: outputCount - start))
            state = blockChecksum ? .skip(4, then: .blockSize) : .blockSize
            return true
        case .skip(let count, let next):
            let skipped = min(count, available)
            inputStart += skipped
            if skipped < count {
                state = .skip(count - skipped, then: next)
                return false
            }
            state = next == .magic ? .magic : .blockSize
            return true
        }
    }

    /// Decodes one compressed block after the current output (LZ4 block format).
    private func decodeBlock(_ block: UnsafeBufferPointer<UInt8>) throws(LZ4Error) {
        let limit = outputCount + maximumBlockSize
        guard limit <= outputCapacity else { throw .corrupt("block larger than the decoder's buffer") }
        var ip = 0
        var op = outputCount
        let end = block.count
        let out = output
        while ip < end {
            let token = block[ip]
            ip += 1
            var literals = Int(token >> 4)
            if literals == 15 {
                while true {
                    guard ip < end else { throw .corrupt("literal length runs past the block") }
                    let byte = block[ip]
                    ip += 1
                    literals += Int(byte)
                    if byte != 255 { break }
                }
            }
            guard literals <= end - ip, literals <= limit - op else { throw .corrupt("literals run past the block") }
            (out + op).update(from: block.baseAddress! + ip, count: literals)
            op += literals
            ip += literals
            if ip == end { break }  // the last sequence has literals only
            guard end - ip >= 2 else { throw .corrupt("match offset runs past the block") }
            let offset = Int(block[ip]) | Int(block[ip + 1]) << 8
            ip += 2
            guard offset > 0, offset <= op else { throw .corrupt("match offset \(offset) points before the data") }
            var length = Int(token & 0x0F)
            if length == 15 {
                while true {
                    guard ip < end else { throw .corrupt("match length runs past the block") }
                    let byte = block[ip]
                    ip += 1
                    length += Int(byte)
                    if byte != 255 { break }
                }
            }
            length += 4
            guard length <= limit - op else { throw .corrupt("match runs past the block's maximum size") }
            var source = op - offset
            if offset >= length {
                (out + op).update(from: out + source, count: length)
                op += length
            } else {
                for _ in 0..<length {  // overlapping copy repeats the pattern
                    out[op] = out[source]
                    op += 1
                    source += 1
                }
            }
        }
        outputCount = op
    }
}

/// Why LZ4 data could not be decoded.
enum LZ4Error: Error, Equatable, CustomStringConvertible {
    case notLZ4
    case truncated
    case unsupported(String)
    case corrupt(String)

    var description: String {
        switch self {
        case .notLZ4: return "not LZ4 frame data (bad magic number)"
        case .truncated: return "LZ4 data ends in the middle of a frame (truncated file)"
        case .unsupported(let what): return "LZ4 \(what) is not supported"
        case .corrupt(let what): return "corrupt LZ4 data: \(what)"
        }
    }
}
