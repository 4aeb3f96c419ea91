@testable import Checks
import Foundation
import Testing
import TestSupport

/// Every input of the Debian path that can fail to be read gives `error` naming it, never an empty
/// list read as "nothing pending". The tests run as root, who reads any file: inputs are made
/// unreadable by putting a folder where a file is expected, or a symbolic link loop where a folder is.
extension PackagesCheckTests {
    enum Breakage: String, CaseIterable {
        case sourcesFolderLoop, preferencesFolderLoop, preferencesFileIsAFolder, aptConfigurationFileIsAFolder
        case listsFolderLoop, listIsAFolder, releaseIsAFolder, dpkgArchIsAFolder
    }

    @Test(arguments: Breakage.allCases)
    func anUnreadableInputIsAnErrorNamingIt(breakage: Breakage) async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        let root = fixture.root
        let manager = FileManager.default
        func loop(_ inner: String) throws {
            if manager.fileExists(atPath: root + inner) { try manager.removeItem(atPath: root + inner) }
            try manager.createSymbolicLink(atPath: root + inner, withDestinationPath: inner)
        }
        func folder(_ inner: String) throws {
            if manager.fileExists(atPath: root + inner) { try manager.removeItem(atPath: root + inner) }
            try manager.createDirectory(atPath: root + inner, withIntermediateDirectories: true)
        }
        let lists = root + "/var/lib/apt/lists"
        let names = try manager.contentsOfDirectory(atPath: lists)
        let named: String
        switch breakage {
        case .sourcesFolderLoop:
            // The fixture's sources live in sources.list.d: unreadable, the security suite would vanish.
            try loop("/etc/apt/sources.list.d")
            named = "/etc/apt/sources.list.d"
        case .preferencesFolderLoop:
            try loop("/etc/apt/preferences.d")
            named = "/etc/apt/preferences.d"
        case .preferencesFileIsAFolder:
            try folder("/etc/apt/preferences.d/cyberctl-test")
            named = "/etc/apt/preferences.d/cyberctl-test"
        case .aptConfigurationFileIsAFolder:
            try folder("/etc/apt/apt.conf.d/50unattended-upgrades")
            named = "/etc/apt/apt.conf.d/50unattended-upgrades"
        case .listsFolderLoop:
            try loop("/var/lib/apt/lists")
            named = "/var/lib/apt/lists"
        case .listIsAFolder:
            let list = try #require(names.first { $0.contains("security") && $0.contains("_Packages") })
            try folder("/var/lib/apt/lists/" + list)
            named = "/var/lib/apt/lists/" + list
        case .releaseIsAFolder:
            let release = try #require(names.first { $0.contains("security") && $0.hasSuffix("Release") })
            try folder("/var/lib/apt/lists/" + release)
            named = "/var/lib/apt/lists/" + release
        case .dpkgArchIsAFolder:
            try folder("/var/lib/dpkg/arch")
            named = "/var/lib/dpkg/arch"
        }
        let results = try await Self.run(root)
        for code in ["patch.security-updates", "patch.pending-updates"] {
            let result = try Self.one(results, code)
            #expect(result.status == .error, "\(breakage): \(code) is \(result.status) \(result.evidence)")
            #expect(result.reason?.contains(named) == true, "\(breakage): \(code): \(result.reason ?? "")")
        }
        if breakage == .listsFolderLoop {
            // Not "apt-get update has never run": the folder is there but cannot be read.
            let age = try Self.one(results, "patch.lists-age")
            #expect(age.status == .error && age.reason?.contains(named) == true, "\(age.reason ?? "")")
        }
        if breakage == .aptConfigurationFileIsAFolder {
            let auto = try Self.one(results, "patch.auto-updates")
            #expect(auto.status == .error && auto.reason?.contains(named) == true, "\(auto.reason ?? "")")
        }
    }

    @Test func aSecuritySuiteNeverFetchedIsNotAPass() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        // The security suite's Release and list gone (apt-get update failed for it): nothing left says
        // whether security fixes are pending.
        let lists = fixture.root + "/var/lib/apt/lists"
        for name in try FileManager.default.contentsOfDirectory(atPath: lists) where name.contains("security") {
            try FileManager.default.removeItem(atPath: lists + "/" + name)
        }
        let results = try await Self.run(fixture.root)
        let security = try Self.one(results, "patch.security-updates")
        #expect(security.status == .error, "\(security.evidence)")
        #expect(security.reason?.contains("no security update in the lists that could be read") == true, "\(security.reason ?? "")")
        #expect(security.reason?.contains("has no Release file") == true, "\(security.reason ?? "")")
        // apt, on the same tree, shows no security update at all: it does not know either.
        let apt = try await OffPool.run { try fixture.aptAnswer() }
        #expect(!apt.refused)
        let aptNative = Self.nativeKeys(apt.upgradable)
        for (key, candidate) in fixture.security { #expect(aptNative[key] != candidate, "\(key)") }
    }

    @Test func anEmptyDpkgDatabaseIsAnErrorNotNothingInstalled() async throws {
        let directory = try TemporaryDirectory()
        let fixture = try await Self.fixture(in: directory)
        try "".write(toFile: fixture.root + "/var/lib/dpkg/status", atomically: true, encoding: .utf8)
        let results = try await Self.run(fixture.root)
        for code in ["patch.security-updates", "patch.pending-updates", "patch.held-packages", "patch.auto-updates"] {
            let result = try Self.one(results, code)
            #expect(result.status == .error, "\(code)")
            #expect(result.reason?.contains("lists no installed package") == true, "\(code): \(result.reason ?? "")")
        }
    }

    @Test(arguments: ["ID=debian\nVERSION_ID=12\n", "ID=ubuntu\nVERSION_ID=\"24.04\"\n", "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"])
    func aDebianFamilySystemWithoutItsPackageDatabaseIsAnError(osRelease: String) async throws {
        let directory = try TemporaryDirectory()
        try directory.write("image/etc/os-release", osRelease)
        let results = try await Self.run(directory.url("image"))
        for code in ["patch.security-updates", "patch.pending-updates", "patch.auto-updates", "patch.reboot-required"] {
            let result = try Self.one(results, code)
            #expect(result.status == .error, "\(code)")
            #expect(result.reason?.hasPrefix("package database missing: /var/lib/dpkg/status does not exist") == true, "\(result.reason ?? "")")
        }
    }

    @Test func aTreeThatIsNoDebianOrRHELSystemIsASkipSayingWhy() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("image/etc/os-release", "ID=alpine\nVERSION_ID=3.20.0\n")
        var results = try await Self.run(directory.url("image"))
        var result = try Self.one(results, "patch.security-updates")
        #expect(result.status == .skip)
        #expect(result.reason?.contains("ID=alpine, neither Debian-family nor RHEL-family") == true, "\(result.reason ?? "")")
        // os-release that cannot be read: whether the rules apply is unknown.
        try FileManager.default.removeItem(atPath: directory.url("image/etc/os-release"))
        try directory.makeDirectory("image/etc/os-release")
        results = try await Self.run(directory.url("image"))
        result = try Self.one(results, "patch.security-updates")
        #expect(result.status == .error, "\(result.reason ?? "")")
        #expect(try Self.one(results, "patch.os-eol").status == .error)
    }
}
