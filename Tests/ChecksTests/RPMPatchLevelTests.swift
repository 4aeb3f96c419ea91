@testable import Checks
import Foundation
import Model
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
        // The image's database where RHEL keeps it (Debian's rpm would default to ~/.rpmdb).
        var output = try Command.run("/usr/bin/rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "--initdb"])
        try #require(output.exitCode == 0, "rpm --initdb: \(output.stderr)")
        let packages = try await OffPool.run { [
            try Self.buildPackage(directory, name: "kernel-core", version: "5.14.0", release: "427.13.1.el9_4"),
            try Self.buildPackage(directory, name: "kernel-core", version: "5.14.0", release: "427.16.1.el9_4"),
            try Self.buildPackage(directory, name: "openssl", epoch: 1, version: "3.0.7", release: "27.el9"),
        ] }
        output = try Command.run("/usr/bin/rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "-i", "--justdb", "--nodeps", "--noscripts", "--nosignature"] + packages)
        try #require(output.exitCode == 0, "rpm -i: \(output.stderr)")

        var check = PackagesCheck()
        check.runningKernel = "5.14.0-427.13.1.el9_4.x86_64"
        let results = await check.run(CheckContext(root: try FileSystemRoot(root)))
        func one(_ code: String) throws -> CheckResult { try #require(results.first { $0.code == code }, "\(code)") }

        let reboot = try one("patch.reboot-required")
        #expect(reboot.status == .fail, "\(reboot)")
        #expect(reboot.evidence["newestKernel"] == "5.14.0-427.16.1.el9_4.x86_64")
        #expect(reboot.evidence["installedKernels"] == .strings(["5.14.0-427.13.1.el9_4.x86_64", "5.14.0-427.16.1.el9_4.x86_64"]))
        // dnf's cache is read only on the live system: on an image, pending updates are unknown, not inapplicable.
        #expect(try one("patch.security-updates").status == .error)
        #expect(try one("patch.pending-updates").status == .error)
        #expect(try one("patch.security-updates").reason?.contains("only on the live system") == true)
        #expect(try one("patch.auto-updates").status == .warn)
        let eol = try one("patch.os-eol")
        #expect(eol.evidence["release"] == "Rocky Linux 9")

        #expect(try one("patch.held-packages").status == .pass)
        // What `dnf versionlock add openssl` writes.
        try directory.write("image/etc/dnf/plugins/versionlock.list", "# Added lock on Sun Nov 29 2026\nopenssl-1:3.0.7-27.el9.*\n!bash-0:5.1.8-10.el9.*\n")
        let locked = await check.run(CheckContext(root: try FileSystemRoot(root)))
        let held = try #require(locked.first { $0.code == "patch.held-packages" })
        #expect(held.status == .warn && held.evidence["packages"] == .strings(["openssl-1:3.0.7-27.el9.*"]))

        check.runningKernel = "5.14.0-427.16.1.el9_4.x86_64"
        let rebooted = await check.run(CheckContext(root: try FileSystemRoot(root)))
        #expect(rebooted.first { $0.code == "patch.reboot-required" }?.status == .pass)
    }

    @Test func aRHELSystemWithoutItsRpmDatabaseOrRpmIsAnErrorNotASkip() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("image/etc/os-release", "ID=almalinux\nVERSION_ID=9.4\n")
        try directory.makeDirectory("image/var/lib/rpm")
        // An empty /var/lib/rpm: no database file.
        var results = await PackagesCheck().run(CheckContext(root: try FileSystemRoot(directory.url("image"))))
        var security = try #require(results.first { $0.code == "patch.security-updates" })
        #expect(security.status == .error)
        #expect(security.reason?.hasPrefix("package database missing: no rpm database") == true, "\(security.reason ?? "")")
        // A database, but the rpm program is not allowed to run.
        try directory.write("image/var/lib/rpm/rpmdb.sqlite", "")
        let context = CheckContext(root: try FileSystemRoot(directory.url("image")), commands: CommandRunner(allowlist: []))
        results = await PackagesCheck().run(context)
        security = try #require(results.first { $0.code == "patch.security-updates" })
        #expect(security.status == .error)
        #expect(security.reason?.contains("the rpm program is not installed") == true, "\(security.reason ?? "")")
    }

    @Test func anEmptyRpmDatabaseIsAnErrorNotNothingInstalled() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/rpm"), "rpm is not installed (apt-get install rpm)")
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("image")
        try directory.write("image/etc/os-release", "ID=rocky\nVERSION_ID=9.4\n")
        let output = try Command.run("/usr/bin/rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "--initdb"])
        try #require(output.exitCode == 0, "rpm --initdb: \(output.stderr)")
        let results = await PackagesCheck().run(CheckContext(root: try FileSystemRoot(root)))
        for code in ["patch.security-updates", "patch.pending-updates", "patch.auto-updates", "patch.reboot-required"] {
            let result = try #require(results.first { $0.code == code })
            #expect(result.status == .error, "\(code)")
            #expect(result.reason?.contains("listed no installed package") == true, "\(code): \(result.reason ?? "")")
        }
    }

    @Test func dnfOutputThatIsNotUnderstoodIsAnErrorNotAnEmptyList() throws {
        #expect(throws: ControlFileError.self) { try RPMPatchLevel.parseSecurityList("Error: something new happened\n") }
        #expect(throws: ControlFileError.self) { try RPMPatchLevel.parseCheckUpdate("\nopenssl.x86_64 1:3.0.7-28.el9\n") }
        #expect(throws: ControlFileError.self) { try RPMPatchLevel.parseCheckUpdate("a-very-long-package-name.x86_64\n") }
        // A name too long for its column, its version and repository on the next line.
        #expect(try RPMPatchLevel.parseCheckUpdate("\na-very-long-package-name.x86_64\n                 2.1-3.el9   baseos\nbash.x86_64 5.1.8-10.el9 baseos\n").map(\.name)
            == ["a-very-long-package-name", "bash"])
        // The obsoleting section and security notes are passed over.
        #expect(try RPMPatchLevel.parseCheckUpdate("bash.x86_64 5.1.8-10.el9 baseos\nObsoleting Packages\nnew.x86_64 2-1 baseos\n    old.x86_64 1-1 @System\n").map(\.name) == ["bash"])
    }

    /// dnf run against an install root whose repository has no cache: dnf -C fails, and that is an error.
    @Test func aFailingDnfIsAnError() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/dnf"), "dnf is not installed (apt-get install dnf)")
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("root")
        try directory.write("root/etc/os-release", "ID=rocky\nVERSION_ID=9.4\n")
        let package = try await OffPool.run { try Self.buildPackage(directory, name: "bash", version: "5.1.8", release: "9.el9") }
        for arguments in [["--initdb"], ["-i", "--justdb", "--nodeps", "--noscripts", "--nosignature", package]] {
            let output = try Command.run("/usr/bin/rpm", ["--root", root, "--dbpath", "/var/lib/rpm"] + arguments)
            try #require(output.exitCode == 0, "rpm: \(output.stderr)")
        }
        try directory.write("root/etc/yum.repos.d/test.repo", "[test]\nname=test\nbaseurl=file://\(directory.url("no-such-repo"))\ngpgcheck=0\n")
        try directory.makeDirectory("root/root")
        try FileManager.default.createSymbolicLink(atPath: root + "/root/.rpmdb", withDestinationPath: "../var/lib/rpm")
        var check = PackagesCheck()
        check.dnfImageArguments = ["--installroot", root, "--releasever", "9"]
        let results = await check.run(CheckContext(root: try FileSystemRoot(root)))
        // dnf -C skips a repository without cache by default and answers "nothing pending": cyberctl
        // makes it fail (skip_if_unavailable=False) and says so.
        for code in ["patch.security-updates", "patch.pending-updates"] {
            let result = try #require(results.first { $0.code == code })
            #expect(result.status == .error, "\(code): \(result)")
            #expect(result.reason?.contains("dnf -C") == true && result.reason?.contains("no cache for 'test'") == true, "\(code): \(result.reason ?? "")")
        }
        // And a dnf that overruns its time: killed, and an error saying so.
        check.commandTimeout = 0.000_001
        let late = await check.run(CheckContext(root: try FileSystemRoot(root)))
        let security = try #require(late.first { $0.code == "patch.security-updates" })
        #expect(security.status == .error, "\(security)")
    }

    /// The parsers on real dnf output: a repository made with createrepo_c and an updateinfo with one
    /// security and one bug-fix advisory, an rpm database with the older versions, dnf run from its
    /// cache only (`-C`) in an install root.
    @Test func dnfOutputFromARealRepositoryIsRead() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/dnf"), "dnf is not installed (apt-get install dnf createrepo-c)")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/createrepo_c"), "createrepo_c is not installed")
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("root")
        let repository = try directory.makeDirectory("repo")
        let (outputs, installed) = try await OffPool.run { () -> ([String], [RPMPatchLevel.Package]) in
            let old = [
                try Self.buildPackage(directory, name: "openssl", epoch: 1, version: "3.0.7", release: "27.el9"),
                try Self.buildPackage(directory, name: "bash", version: "5.1.8", release: "9.el9"),
            ]
            let new = [
                try Self.buildPackage(directory, name: "openssl", epoch: 1, version: "3.0.7", release: "28.el9"),
                try Self.buildPackage(directory, name: "bash", version: "5.1.8", release: "10.el9"),
            ]
            func run(_ program: String, _ arguments: [String]) throws -> Command.Output {
                let output = try Command.run(program, arguments, environment: ["LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
                guard output.exitCode == 0 || (arguments.contains("check-update") && output.exitCode == 100) else {
                    throw TestSupportError("\(program) \(arguments): \(output.exitCode) \(output.stderr)")
                }
                return output
            }
            _ = try run("/usr/bin/rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "--initdb"])
            _ = try run("/usr/bin/rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "-i", "--justdb", "--nodeps", "--noscripts", "--nosignature"] + old)
            // dnf, through Debian's librpm, looks for ~/.rpmdb inside the install root: point it at the image's database.
            try FileManager.default.createDirectory(atPath: root + "/root", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: root + "/root/.rpmdb", withDestinationPath: "../var/lib/rpm")
            for file in new { try FileManager.default.copyItem(atPath: file, toPath: repository + "/" + (file as NSString).lastPathComponent) }
            _ = try run("/usr/bin/createrepo_c", ["-q", repository])
            let updateinfo = try directory.write("updateinfo.xml", """
                <?xml version="1.0" encoding="UTF-8"?>
                <updates>
                  <update from="secalert@redhat.com" status="final" type="security" version="2">
                    <id>RHSA-2026:0001</id><title>Important: openssl security update</title><severity>Important</severity>
                    <issued date="2026-11-01 00:00:00"/><description>fix</description>
                    <pkglist><collection short="t"><name>t</name>
                      <package name="openssl" version="3.0.7" release="28.el9" epoch="1" arch="x86_64" src="openssl.src.rpm"><filename>openssl-3.0.7-28.el9.x86_64.rpm</filename></package>
                    </collection></pkglist>
                  </update>
                  <update from="bugs@redhat.com" status="final" type="bugfix" version="2">
                    <id>RHBA-2026:0002</id><title>bash bug fix</title><severity>None</severity>
                    <issued date="2026-11-01 00:00:00"/><description>fix</description>
                    <pkglist><collection short="t"><name>t</name>
                      <package name="bash" version="5.1.8" release="10.el9" epoch="0" arch="x86_64" src="bash.src.rpm"><filename>bash-5.1.8-10.el9.x86_64.rpm</filename></package>
                    </collection></pkglist>
                  </update>
                </updates>
                """)
            _ = try run("/usr/bin/modifyrepo_c", ["--mdtype=updateinfo", updateinfo, repository + "/repodata"])
            try directory.write("root/etc/yum.repos.d/test.repo", "[test]\nname=test\nbaseurl=file://\(repository)\ngpgcheck=0\n")
            let dnf = ["--installroot", root, "--releasever", "9", "-q"]
            _ = try run("/usr/bin/dnf", dnf + ["makecache"])
            let security = try run("/usr/bin/dnf", dnf + ["-C", "updateinfo", "list", "--security"]).stdout
            let pending = try run("/usr/bin/dnf", dnf + ["-C", "check-update"]).stdout
            let query = try run("/usr/bin/rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "-qa", "--queryformat", RPMPatchLevel.queryFormat]).stdout
            return ([security, pending], try RPMPatchLevel.parseQuery(query))
        }
        // And the whole check on that image, dnf run through the command runner.
        try directory.write("root/etc/os-release", "ID=rocky\nVERSION_ID=9.4\n")
        var check = PackagesCheck()
        check.dnfImageArguments = ["--installroot", root, "--releasever", "9"]
        check.pendingThreshold = 1
        let results = await check.run(CheckContext(root: try FileSystemRoot(root)))
        let securityResult = try #require(results.first { $0.code == "patch.security-updates" })
        #expect(securityResult.status == .fail && securityResult.severity == .high, "\(securityResult)")
        #expect(securityResult.evidence["updates"] == .array([.object([
            "package": "openssl", "architecture": "x86_64", "installed": "1:3.0.7-27.el9", "candidate": "1:3.0.7-28.el9",
            "advisory": "RHSA-2026:0001", "severity": "Important",
        ])]))
        let pendingResult = try #require(results.first { $0.code == "patch.pending-updates" })
        #expect(pendingResult.status == .warn && pendingResult.evidence["count"] == 2, "\(pendingResult)")

        let age = try #require(results.first { $0.code == "patch.lists-age" })
        #expect(age.status == .pass && age.evidence["basis"]?.stringValue?.hasSuffix("repodata/repomd.xml") == true, "\(age)")
        let later = await check.run(CheckContext(root: try FileSystemRoot(root), clock: .fixed(Date() + 9 * 86_400)))
        #expect(later.first { $0.code == "patch.lists-age" }?.status == .warn)

        let security = try RPMPatchLevel.parseSecurityList(outputs[0])
        #expect(security == [RPMPatchLevel.Update(
            name: "openssl", architecture: "x86_64", available: "1:3.0.7-28.el9", advisory: "RHSA-2026:0001", severity: "Important")])
        let pending = try RPMPatchLevel.parseCheckUpdate(outputs[1])
        #expect(Set(pending.map(\.name)) == ["openssl", "bash"], "\(outputs[1])")
        #expect(Set(installed.map(\.name)) == ["openssl", "bash"])
        for update in pending {
            let current = try #require(installed.first { $0.name == update.name })
            #expect(RPMVersion.EVR(update.available) > current.evr, "\(update.name)")
        }
    }
}
