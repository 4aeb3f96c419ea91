@testable import Checks
import Foundation
import Testing
import TestSupport

/// `patch.packages` on a RHEL-family image: a real rpm database made by rpm and rpmbuild, read
/// through the allowlisted command runner (`rpm --root … -qa`).
@Suite struct RPMPatchLevelTests {
    /// Builds an empty binary package with rpmbuild; returns its path.
    static func buildPackage(_ directory: TemporaryDirectory, name: String, epoch: Int? = nil, version: String, release: String) throws -> String {
        let top = directory.url("rpmbuild")
        let spec = """
            Name: \(name)
            \(epoch.map { "Epoch: \($0)" } ?? "")
            Version: \(version)
            Release: \(release)
            Summary: cyberctl test package
            License: MIT
            %description
            cyberctl test package
            %files

            """
        let specPath = try directory.write("\(name)-\(release).spec", spec)
        let output = try Command.run("/usr/bin/rpmbuild", [
            "-bb", "--quiet", "--target", "x86_64", "--define", "_topdir \(top)", "--define", "__os_install_post %{nil}", specPath,
        ])
        guard output.exitCode == 0 else { throw TestSupportError("rpmbuild: \(output.stderr)") }
        let rpm = "\(top)/RPMS/x86_64/\(name)-\(version)-\(release).x86_64.rpm"
        guard FileManager.default.fileExists(atPath: rpm) else { throw TestSupportError("rpmbuild made no \(rpm)") }
        return rpm
    }

    @Test func rockyImageKernelsAndMissingDnf() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/rpmbuild"), "rpmbuild is not installed (apt-get install rpm)")
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("image")
        try directory.write("image/etc/os-release", "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n")
        var output = try Command.run("/usr/bin/rpm", ["--root", root, "--initdb"])
        try #require(output.exitCode == 0, "rpm --initdb: \(output.stderr)")
        let packages = try await OffPool.run { [
            try Self.buildPackage(directory, name: "kernel-core", version: "5.14.0", release: "427.13.1.el9_4"),
            try Self.buildPackage(directory, name: "kernel-core", version: "5.14.0", release: "427.16.1.el9_4"),
            try Self.buildPackage(directory, name: "openssl", epoch: 1, version: "3.0.7", release: "27.el9"),
        ] }
        output = try Command.run("/usr/bin/rpm", ["--root", root, "-i", "--justdb", "--nodeps", "--noscripts", "--nosignature"] + packages)
        try #require(output.exitCode == 0, "rpm -i: \(output.stderr)")

        var check = PackagesCheck()
        check.runningKernel = "5.14.0-427.13.1.el9_4.x86_64"
        let results = await check.run(CheckContext(root: try FileSystemRoot(root)))
        func one(_ code: String) throws -> CheckResult { try #require(results.first { $0.code == code }, "\(code)") }

        let reboot = try one("patch.reboot-required")
        #expect(reboot.status == .fail, "\(reboot)")
        #expect(reboot.evidence["newestKernel"] == "5.14.0-427.16.1.el9_4.x86_64")
        #expect(reboot.evidence["installedKernels"] == .strings(["5.14.0-427.13.1.el9_4.x86_64", "5.14.0-427.16.1.el9_4.x86_64"]))
        // dnf's cache is read only on the live system.
        #expect(try one("patch.security-updates").status == .skip)
        #expect(try one("patch.pending-updates").status == .skip)
        #expect(try one("patch.auto-updates").status == .warn)
        let eol = try one("patch.os-eol")
        #expect(eol.evidence["release"] == "Rocky Linux 9")

        check.runningKernel = "5.14.0-427.16.1.el9_4.x86_64"
        let rebooted = await check.run(CheckContext(root: try FileSystemRoot(root)))
        #expect(rebooted.first { $0.code == "patch.reboot-required" }?.status == .pass)
    }

    @Test func rpmMissingFromTheAllowlistIsASkipNotACrash() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("image/etc/os-release", "ID=almalinux\nVERSION_ID=9.4\n")
        try directory.makeDirectory("image/var/lib/rpm")
        let context = CheckContext(root: try FileSystemRoot(directory.url("image")), commands: CommandRunner(allowlist: []))
        let results = await PackagesCheck().run(context)
        let security = try #require(results.first { $0.code == "patch.security-updates" })
        #expect(security.status == .skip)
        #expect(security.reason?.contains("rpm") == true)
    }
}
