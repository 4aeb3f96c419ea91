import Foundation
import Testing
@testable import Territory
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// A consolidation does not read again what it stored and what has not changed since, under the same trust
/// (issue 20), while a file changed in place — by size, or by content with its modification time put back —
/// and every file under another CA or CRL is read, verified and refused or stored.
@Suite("Known inbox files")
struct KnownInboxFilesTests {
    typealias F = TerritoryFixture

    @Test("unchanged files are not read again; a file changed in place is read and refused; the stored report stays")
    func unchangedSkippedChangedRead() throws {
        let fixture = try F()
        let first = try fixture.write("a.json", daysAgo: 1, results: F.mixed())
        let second = try fixture.write("b.json", siren: F.sirenB, host: "srv-b", daysAgo: 2, results: F.mixed(1))
        try fixture.write("c.json", daysAgo: 3, results: F.mixed(2))
        #expect(try fixture.ingest().stored == 3)

        // The same trust: none is read again (a file read would be counted "already stored", as --reread shows).
        let files = try Inbox.discover([fixture.inbox])
        let skipped = try fixture.ingest()
        #expect(skipped.found == 3 && skipped.unchanged == 3 && skipped.rejected == 0 && skipped.alreadyStored == 0, "\(skipped)")
        // Another CA is another trust: every file is read again, and refused by that CA.
        let stranger = try F()
        let reread = try Ingest(store: try fixture.store(), verifier: try stranger.verifier()).run(files)
        #expect(reread.unchanged == 0 && reread.rejected == 3, "\(reread)")
        // --reread reads everything under the right CA too.
        let forced = try fixture.ingest(reread: true)
        #expect(forced.unchanged == 0 && forced.alreadyStored == 3)
        #expect(try fixture.ingest().unchanged == 3)

        // a.json grows by one byte: read, refused; the others are unchanged.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: first))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(" ".utf8))
        try handle.close()
        let grown = try fixture.ingest()
        #expect(grown.unchanged == 2 && grown.rejected == 1 && grown.stored == 0, "\(grown)")

        // b.json: one byte changed, same size, its modification time put back: its ctime moved, so it is read.
        var before = stat()
        #expect(stat(second, &before) == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: second))
        let position = try #require(bytes.firstRange(of: Data("srv-b".utf8))).lowerBound
        bytes[position] = UInt8(ascii: "S")
        let descriptor = open(second, O_WRONLY)
        #expect(descriptor >= 0)
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        var times = [before.st_atim, before.st_mtim]
        #expect(futimens(descriptor, &times) == 0)
        close(descriptor)
        var after = stat()
        #expect(stat(second, &after) == 0)
        #expect(after.st_size == before.st_size && after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        let tampered = try fixture.ingest()
        #expect(tampered.unchanged == 1 && tampered.rejected == 2, "\(tampered)")
        // Refused files stay refused at every run (they are never skipped), and the stored reports are intact.
        let again = try fixture.ingest()
        #expect(again.unchanged == 1 && again.rejected == 2)
        #expect(try fixture.store().counts().reports == 3)
        #expect(try fixture.engine != .sqlite || fixture.store().integrityCheck() == "ok", "SQLite's integrity_check (PostgreSQL has none)")
    }

    @Test("a signer certificate that expires is still noted for the files not read again")
    func signerNoticesForUnchangedFiles() throws {
        let fixture = try F()
        try fixture.write("a.json", daysAgo: 1, results: F.mixed())
        #expect(try fixture.ingest().signers.isEmpty)
        // A year later (the agent certificate, 400 days from 39 days ago, has expired): the same inbox again.
        let later = fixture.now.addingTimeInterval(370 * 86_400)
        let files = try Inbox.discover([fixture.inbox])
        let summary = try Ingest(store: try fixture.store(), verifier: try fixture.verifier(), clock: { later }).run(files)
        #expect(summary.unchanged == 1)
        #expect(summary.signers.count == 1 && summary.signers.first?.status.state == .expired, "\(summary.signers)")
        #expect(summary.signers.first?.siren == F.sirenA)
    }
}
