@testable import Checks
import Foundation
import Testing
import TestSupport

/// The streaming deb822 scanner: same events whatever the chunk size, line numbers, bounded lines.
@Suite struct ControlFileTests {
    /// Every event as text, fed in chunks of `size` bytes.
    static func events(_ bytes: [UInt8], chunk size: Int, comments: Bool = true) -> [String] {
        var scanner = ControlFileScanner()
        scanner.allowsComments = comments
        var events: [String] = []
        let handle: (ControlFileScanner.Event) -> Void = { event in
            switch event {
            case .field(let name, let value, let line): events.append("\(line) \(name.string)=\(value.string)")
            case .malformed(let line, let problem): events.append("\(line) ! \(problem.en)")
            case .endOfStanza(let start): events.append("end \(start)")
            }
        }
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let end = min(offset + size, buffer.count)
                scanner.feed(UnsafeBufferPointer(rebasing: buffer[offset..<end]), handle)
                offset = end
            }
        }
        scanner.finish(handle)
        if scanner.endedMidLine { events.append("ended mid-line") }
        return events
    }

    @Test func thisMachinesStatusFileGivesTheSameEventsInAnyChunkSize() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/var/lib/dpkg/status")))
        let whole = Self.events(bytes, chunk: bytes.count, comments: false)
        #expect(whole.filter { $0.hasPrefix("end ") }.count == (try DebianFiles.installed()).count)
        #expect(!whole.contains { $0.contains(" ! ") })
        for size in [1, 7, 4093, 1 << 16] where size > 1 || bytes.count < 8 << 20 {
            #expect(Self.events(bytes, chunk: size, comments: false) == whole, "chunks of \(size)")
        }
        // The status file's Package fields, as the independent test parser reads them.
        let packages = whole.compactMap { $0.split(separator: " ", maxSplits: 1).last.flatMap { $0.hasPrefix("Package=") ? String($0.dropFirst(8)) : nil } }
        #expect(packages == (try DebianFiles.installed()).map(\.package))
    }

    @Test func linesContinuationsCommentsAndCarriageReturns() {
        let text = "# comment\nPackage: a\r\nDescription: first\n second line\n .\nVersion:  1.0 \n\n\n \t\nPackage: b\nbroken line\nVersion: 2"
        let events = Self.events(Array(text.utf8), chunk: 3)
        #expect(events == [
            "2 Package=a", "3 Description=first", "6 Version=1.0", "end 2",
            "10 Package=b", "11 ! expected \"Field: value\"", "12 Version=2", "end 10", "ended mid-line",
        ])
        #expect(Self.events(Array(" orphan continuation\n".utf8), chunk: 100) == ["1 ! continuation line outside of any field"])
    }

    @Test func anOverlongLineIsReportedNotKept() {
        var bytes = Array("Package: a\nDescription: ".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: ControlFileScanner.maximumLineLength + 10)
        bytes += Array("\nVersion: 1\n\nPackage: b\n".utf8)
        let events = Self.events(bytes, chunk: 65536)
        #expect(events == ["1 Package=a", "2 ! line longer than \(ControlFileScanner.maximumLineLength) bytes", "3 Version=1", "end 1", "5 Package=b", "end 5"])
    }
}
