import Checks
import Foundation
import Model
import Testing
import TestSupport

/// Discovery of backup jobs and folders from unit files, cron tables, scripts and configuration,
/// run through the whole check on fixture trees (`--root` style: nothing is run).
@Suite struct BackupDiscoveryTests {
    static let hour = BackupFixture.hour
    static let day = BackupFixture.day

    /// A server with a restic timer, a pg_dump cron line, a cron.daily script, rsnapshot, a remote
    /// rsync, Proxmox dumps, a Bacula file daemon and a usual folder.
    static func server() throws -> BackupFixture {
        let fixture = try BackupFixture()
        let d = fixture.directory
        // systemd: restic through an EnvironmentFile, daily timer.
        try d.write("etc/systemd/system/restic-backup.service", """
            [Unit]
            Description=Sauvegarde restic

            [Service]
            Type=oneshot
            EnvironmentFile=/etc/restic/env
            ExecStart=/usr/bin/restic backup --exclude-caches \\
                /srv/partage /etc
            """)
        try d.write("etc/systemd/system/restic-backup.timer", """
            [Timer]
            OnCalendar=*-*-* 02:00:00
            Persistent=true
            [Install]
            WantedBy=timers.target
            """)
        try fixture.link("etc/systemd/system/timers.target.wants/restic-backup.timer", to: "/etc/systemd/system/restic-backup.timer")
        try d.write("etc/restic/env", "RESTIC_REPOSITORY=/mnt/nas/restic\nRESTIC_PASSWORD=secret-never-kept\nRESTIC_PASSWORD_FILE=/etc/restic/pass\n")
        try d.write("mnt/nas/restic/config", "x")
        try d.makeDirectory("mnt/nas/restic/keys")
        try d.makeDirectory("mnt/nas/restic/data/00")
        try fixture.file("mnt/nas/restic/data/00/00aa", bytes: 2048, age: 5 * hour)
        try fixture.file("mnt/nas/restic/snapshots/1111", bytes: 300, age: 5 * hour)
        try fixture.file("mnt/nas/restic/snapshots/2222", bytes: 300, age: 29 * hour)
        // A unit that is not a backup, and a template unit.
        try d.write("lib/systemd/system/cron.service", "[Service]\nExecStart=/usr/sbin/cron -f\n")
        try d.write("lib/systemd/system/borg@.service", "[Service]\nExecStart=/usr/bin/borg create /srv/borg::%i /srv\n")
        // cron.d: pg_dump piped into gzip, weekdays only; a file with a dot is ignored by cron.
        try d.write("etc/cron.d/pgdump", """
            SHELL=/bin/sh
            # dump de l'état civil
            30 22 * * 1-5 postgres pg_dump -Fc etat_civil | gzip > /var/backups/pg/etat_civil-$(date +\\%F).dump.gz
            """)
        try d.write("etc/cron.d/old.dpkg-old", "0 1 * * * root mysqldump --all-databases > /srv/ignored/all.sql\n")
        try fixture.file("var/backups/pg/etat_civil-2026-11-17.dump.gz", bytes: 9000, age: 12 * hour)
        // cron.daily script with variables and a source'd file.
        try d.write("etc/cron.daily/sauvegarde-mysql", """
            #!/bin/bash
            set -e
            . /etc/default/sauvegarde
            DEST="$BACKUP_DIR/mysql"
            mysqldump --single-transaction --all-databases \\
                --result-file="$DEST/all-$(date +%F).sql"
            # rsync to the NAS of the interco
            rsync -az -e ssh /srv/partage/ sauvegarde@nas.interco.local:/volume1/mairie/
            """, mode: 0o755)
        try d.write("etc/default/sauvegarde", "BACKUP_DIR=/srv/backup\n")
        try fixture.file("srv/backup/mysql/all-2026-11-17.sql", bytes: 7000, age: 20 * hour)
        // rsnapshot configured and run weekly from the root crontab (no user field).
        try d.write("etc/rsnapshot.conf", "config_version\t1.2\nsnapshot_root\t/srv/rsnapshot/\nretain\tweekly\t4\nbackup\t/home/\tlocalhost/\n")
        try d.makeDirectory("home/agent")
        try d.write("var/spool/cron/crontabs/root", "0 3 * * 0 /usr/bin/rsnapshot weekly\n")
        try fixture.file("srv/rsnapshot/weekly.0/localhost/home/x", bytes: 5, age: 2 * day)
        try fixture.setTime("srv/rsnapshot/weekly.0", age: 2 * day)
        // Proxmox: vzdump to a dir storage from /etc/pve/jobs via cron.
        try d.write("etc/pve/storage.cfg", "dir: local\n\tpath /var/lib/vz\n\tcontent iso,backup\n\ndir: sauvegardes\n\tpath /mnt/sauvegardes\n\tcontent backup\n\npbs: pbs-interco\n\tserver 10.0.0.5\n\tdatastore mairies\n")
        try d.write("etc/cron.d/vzdump", "PATH=\"/usr/sbin:/usr/bin\"\n0 1 * * 6 root vzdump 100 101 --mode snapshot --storage sauvegardes --quiet 1\n")
        try fixture.file("mnt/sauvegardes/dump/vzdump-qemu-100-2026_11_14-01_00_00.vma.zst", bytes: 1000, age: 4 * day)
        // Bacula file daemon.
        try d.write("etc/bacula/bacula-fd.conf", "Director {\n  Name = bacula-dir-interco\n  Password = \"x\"\n}\n")
        // A usual folder with a manual archive.
        try fixture.file("backup/manuel-2026-10.tar.gz", bytes: 500, age: 40 * day)
        return fixture
    }

    @Test func serverJobsAndFoldersAreFound() async throws {
        let fixture = try Self.server()
        let results = await BackupSetsCheck().run(try fixture.context())
        func result(_ target: String, _ code: String) -> CheckResult? {
            results.first { $0.target == target && $0.code == code }
        }
        let present = Dictionary(results.filter { $0.code == "backup.present" }.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(Set(present.keys) == [
            "/mnt/nas/restic", "/var/backups/pg", "/srv/backup/mysql", "sauvegarde@nas.interco.local:/volume1/mairie/",
            "/srv/rsnapshot", "/mnt/sauvegardes/dump", "bacula:bacula-dir-interco", "/backup",
        ])
        // restic: repository from the EnvironmentFile, sources from the command line, daily timer.
        let restic = try #require(present["/mnt/nas/restic"])
        #expect(restic.status == .pass)
        #expect(restic.evidence["kind"] == "restic")
        #expect(restic.evidence["origin"] == "systemd:restic-backup.service")
        #expect(restic.evidence["count"] == 2)
        #expect(restic.evidence["snapshotList"] == "not checked: no password_file for this set in the profile: restic's own list not read; the last write time of the repository's files is used, whichever host wrote them")
        // The job's password file is a hint only; the password itself is never kept.
        #expect(restic.evidence["jobPasswordFile"] == "/etc/restic/pass")
        #expect(!results.contains { "\($0.evidence)".contains("secret-never-kept") })
        let resticFreshness = try #require(result("/mnt/nas/restic", "backup.freshness"))
        #expect(resticFreshness.status == .pass)
        #expect(resticFreshness.evidence["maxAgeHours"] == .double(26))
        #expect(resticFreshness.evidence["maxAgeSource"] == "schedule")
        #expect(resticFreshness.evidence["ageHours"] == .double(5))
        #expect(result("/mnt/nas/restic", "backup.size")?.evidence["sizeBytes"] == 2048)
        let resticStorage = try #require(result("/mnt/nas/restic", "backup.separate-storage"))
        // Sources /srv/partage (absent from the image) and /etc: compared with /etc.
        #expect(resticStorage.evidence["protectedDataKnown"] == true)
        #expect(resticStorage.evidence["sameDeviceAs"] == .strings(["/etc"]))
        #expect(resticStorage.status == .warn)
        let resticJob = try #require(result("restic-backup.service", "backup.job-status"))
        #expect(resticJob.status == .skip)
        #expect(resticJob.evidence["schedule"] == "OnCalendar=*-*-* 02:00:00")
        #expect(resticJob.evidence["timerEnabled"] == true)
        // pg_dump | gzip > file: weekdays 22:30, so the longest gap is Friday → Monday (3 days + 2 h).
        let pg = try #require(result("/var/backups/pg", "backup.freshness"))
        #expect(pg.evidence["kind"] == "pgdump")
        #expect(pg.evidence["maxAgeHours"] == .double(74))
        #expect(pg.evidence["origin"] == "cron:/etc/cron.d/pgdump:3")
        let pgJob = try #require(result("/etc/cron.d/pgdump:3", "backup.job-status"))
        #expect(pgJob.status == .skip)
        #expect(pgJob.reason == "cron job: cron keeps no result of its last run to read")
        let pgStorage = try #require(result("/var/backups/pg", "backup.separate-storage"))
        // pg_dump protects /var/lib/postgresql, absent here: compared with /.
        #expect(pgStorage.evidence["protectedDataKnown"] == false)
        #expect(pgStorage.evidence["sameDeviceAs"] == .strings(["/"]))
        // The script: variables from a sourced file, --result-file, daily from cron.daily.
        let mysql = try #require(result("/srv/backup/mysql", "backup.freshness"))
        #expect(mysql.status == .pass)
        #expect(mysql.evidence["origin"] == "cron:/etc/cron.daily/sauvegarde-mysql")
        #expect(mysql.evidence["maxAgeHours"] == .double(26))
        // rsync to another host: not verified from here (an error saying where to check), separate by nature.
        let rsync = try #require(present["sauvegarde@nas.interco.local:/volume1/mairie/"])
        #expect(rsync.status == .error)
        #expect(rsync.reason?.hasSuffix("not verified from this host: check them on the host that keeps them (cyberctl there reads the set declared in its profile)") == true)
        #expect(result("sauvegarde@nas.interco.local:/volume1/mairie/", "backup.separate-storage")?.status == .pass)
        // rsnapshot from the root crontab, weekly: 2 days old is fresh.
        let rsnapshot = try #require(result("/srv/rsnapshot", "backup.freshness"))
        #expect(rsnapshot.status == .pass)
        #expect(rsnapshot.evidence["maxAgeHours"] == .double(170))
        #expect(result("/srv/rsnapshot", "backup.separate-storage")?.evidence["protectedDataKnown"] == true)
        // vzdump --storage resolved through storage.cfg; weekly on Saturdays.
        let vzdump = try #require(result("/mnt/sauvegardes/dump", "backup.freshness"))
        #expect(vzdump.status == .pass)
        #expect(vzdump.evidence["maxAgeHours"] == .double(170))
        // Bacula: copies on the director's storage.
        #expect(present["bacula:bacula-dir-interco"]?.status == .error)
        // The usual folder: a 40-day-old manual archive, judged against the default 26 h.
        #expect(result("/backup", "backup.freshness")?.status == .fail)
        #expect(result("/backup", "backup.freshness")?.evidence["maxAgeSource"] == "default")
        // Nothing from ignored cron file names or template units.
        #expect(!results.contains { $0.target.contains("/srv/ignored") || $0.target.contains("/srv/borg") })
    }

    /// A set declared in the profile at a discovered place keeps the profile's values and gains the job.
    @Test func declaredSetAbsorbsTheDiscoveredJob() async throws {
        let fixture = try Self.server()
        let check = try BackupFixture.check("""
            {"sets": [{"name": "Dumps état civil", "kind": "pgdump", "path": "/var/backups/pg", "max_age": "30h",
                       "protects": ["/var/lib/postgresql"]}],
             "folders": []}
            """)
        let results = await check.run(try fixture.context())
        let freshness = try #require(results.first { $0.target == "/var/backups/pg" && $0.code == "backup.freshness" })
        #expect(freshness.evidence["set"] == "Dumps état civil")
        #expect(freshness.evidence["origin"] == "profile")
        #expect(freshness.evidence["maxAgeHours"] == .double(30))
        #expect(results.filter { $0.target == "/var/backups/pg" && $0.code == "backup.present" }.count == 1)
        #expect(results.contains { $0.target == "/etc/cron.d/pgdump:3" && $0.code == "backup.job-status" })
        // `folders: []` turns the usual folders off.
        #expect(!results.contains { $0.target == "/backup" })
    }

    /// A job whose destination is absent or unreadable is reported with an error, not dropped and
    /// not failed: cyberctl cannot tell from here.
    @Test func jobsWithAbsentOrUnknownDestinations() async throws {
        let fixture = try BackupFixture()
        try fixture.directory.write("etc/systemd/system/restic-usb.service", "[Service]\nExecStart=/usr/bin/restic -r /mnt/usb/restic backup /srv\n")
        try fixture.directory.write("etc/systemd/system/restic-cloud.service", "[Service]\nEnvironmentFile=-/etc/restic/absent.env\nExecStart=/usr/bin/restic backup /srv\n")
        let results = await BackupSetsCheck().run(try fixture.context())
        let usb = try #require(results.first { $0.target == "/mnt/usb/restic" && $0.code == "backup.present" })
        #expect(usb.status == .error)
        #expect(usb.reason == "/mnt/usb/restic, where the job writes, is absent (an unmounted removable disk, or a job that never ran)")
        let cloud = try #require(results.first { $0.target == "restic@restic-cloud.service" && $0.code == "backup.present" })
        #expect(cloud.status == .error)
        #expect(cloud.reason?.hasPrefix("the job runs restic but its repository could not be read") == true)
        #expect(!results.contains { $0.target == "restic@restic-cloud.service" && $0.code == "backup.separate-storage" })
        #expect(results.contains { $0.target == "restic-cloud.service" && $0.code == "backup.job-status" })
    }

    /// A cron job sending to a remote restic repository, with no password_file in the profile: the
    /// copies exist only as the job's destination, nothing verified them. `backup.present` is an
    /// error saying what to configure, never a skip ("does not apply"); with password_file the
    /// repository is listed.
    @Test func remoteRepositoryWithoutPasswordIsAnError() async throws {
        let fixture = try BackupFixture()
        try fixture.directory.write("etc/hostname", "srv1\n")
        try fixture.directory.write("etc/cron.d/sauvegarde", "0 2 * * * root restic -r sftp:nas.example.fr:/restic backup /srv\n")
        let results = await BackupSetsCheck().run(try fixture.context())
        let present = try #require(results.first { $0.target == "sftp:nas.example.fr:/restic" && $0.code == "backup.present" })
        #expect(present.status == .error)
        #expect(present.severity == .high)
        #expect(present.reason == "copies kept on another host (sftp:nas.example.fr:/restic), not verified from this host: "
            + "give password_file for this set in the profile (and access to the repository) to list its snapshots")
        #expect(present.reasonFr?.hasPrefix("copies gardées sur un autre hôte (sftp:nas.example.fr:/restic), non vérifiées depuis cet hôte") == true)
        #expect(!results.contains { $0.status == .skip && $0.code == "backup.present" })
        #expect(!results.contains { $0.target == "sftp:nas.example.fr:/restic" && $0.code == "backup.freshness" })
    }

    /// Proxmox VE 7.1+ keeps its backup jobs in /etc/pve/jobs.cfg (run by pvescheduler, no cron);
    /// older versions in /etc/pve/vzdump.cron. Disabled jobs are not sets.
    @Test func proxmoxJobsAreFound() async throws {
        let fixture = try BackupFixture()
        let d = fixture.directory
        try d.write("etc/pve/storage.cfg", "dir: local\n\tpath /var/lib/vz\n\ndir: sauv\n\tpath /mnt/sauv\n\tcontent backup\n\npbs: pbs\n\tserver 10.0.0.5\n\tdatastore mairies\n")
        try d.write("etc/pve/jobs.cfg", """
            vzdump: backup-1d2c3b4a-0001
            \tschedule sat 02:00
            \tstorage sauv
            \tmode snapshot
            \tvmid 100,101
            \tenabled 1

            vzdump: backup-1d2c3b4a-0002
            \tschedule 21:00
            \tstorage pbs
            \tall 1

            vzdump: backup-1d2c3b4a-0003
            \tschedule 03:00
            \tdumpdir /mnt/ancien
            \tenabled 0
            """)
        try d.write("etc/pve/vzdump.cron", "PATH=\"/usr/sbin:/usr/bin:/sbin:/bin\"\n0 4 * * * root vzdump 102 --quiet 1 --dumpdir /mnt/usb/dump\n")
        try fixture.file("mnt/sauv/dump/vzdump-qemu-100-2026_11_14-02_00_00.vma.zst", bytes: 100, age: 3 * Self.day)
        try fixture.file("mnt/sauv/dump/vzdump-qemu-101-2026_11_14-02_10_00.vma.zst", bytes: 100, age: 3 * Self.day)
        let results = await BackupSetsCheck().run(try fixture.context())
        let weekly = try #require(results.first { $0.target == "/mnt/sauv/dump" && $0.code == "backup.freshness" })
        #expect(weekly.status == .pass)
        #expect(weekly.evidence["maxAgeHours"] == .double(170))
        #expect(weekly.evidence["origin"] == "config:/etc/pve/jobs.cfg")
        let pbs = try #require(results.first { $0.target == "pbs://10.0.0.5/mairies" && $0.code == "backup.present" })
        #expect(pbs.status == .error)
        #expect(pbs.evidence["notVerified"] == true)
        let job = try #require(results.first { $0.target == "/etc/pve/jobs.cfg:backup-1d2c3b4a-0001" && $0.code == "backup.job-status" })
        #expect(job.status == .skip)
        #expect(job.evidence["schedule"] == "sat 02:00")
        #expect(!results.contains { $0.target.contains("/mnt/ancien") })
        let old = try #require(results.first { $0.target == "/mnt/usb/dump" && $0.code == "backup.present" })
        #expect(old.status == .error)
        #expect(old.evidence["origin"] == "cron:/etc/pve/vzdump.cron:2")
    }

    /// Wrappers (`nice`, `ionice`, `flock`, `timeout`, `env`), shells (`sh -c`, `su -c`) and
    /// quoting are seen through; comments and commented-out lines are not jobs.
    @Test func wrappersAndShellsAreSeenThrough() async throws {
        let fixture = try BackupFixture()
        try fixture.directory.write("etc/cron.d/sauvegardes", #"""
            MAILTO=rsi@mairie.test
            BORG_REPO=/srv/borg
            0 1 * * * root nice -n 10 ionice -c3 flock -n /run/borg.lock borg create --compression lz4 ::'{hostname}-{now}' /srv/partage /etc
            0 2 * * * root timeout 2h sh -c 'cd /tmp && env RESTIC_REPOSITORY=/srv/restic restic backup /home --tag "quotidien"'
            0 3 * * * root su - postgres -c "pg_dumpall --clean > /srv/backup/pg/all.sql"
            0 4 * * * root duplicity incr --full-if-older-than 1M /srv/partage file:///mnt/duplicity
            0 5 * * * root rsync -a --delete /srv/partage/ /mnt/miroir/   # local copy: not a backup set here
            #0 6 * * * root restic -r /srv/ancien backup /srv
            """#)
        for folder in ["srv/borg/data", "srv/restic", "srv/backup/pg", "mnt/duplicity"] { try fixture.directory.makeDirectory(folder) }
        try fixture.directory.write("srv/borg/config", "[repository]\n")
        let check = try BackupFixture.check(#"{"folders": []}"#)
        let results = await check.run(try fixture.context())
        let sets = Dictionary(results.filter { $0.code == "backup.present" }.map { ($0.target, $0.evidence["kind"]?.stringValue ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(sets == ["/srv/borg": "borg", "/srv/restic": "restic", "/srv/backup/pg": "pgdump", "/mnt/duplicity": "files"])
        let borg = try #require(results.first { $0.target == "/srv/borg" && $0.code == "backup.separate-storage" })
        #expect(borg.evidence["origin"] == "cron:/etc/cron.d/sauvegardes:3")
        let compared = (borg.evidence["comparedWith"].map { "\($0)" }) ?? ""
        #expect(compared.contains("/etc"))
        #expect(results.first { $0.target == "/srv/restic" && $0.code == "backup.present" }?.evidence["origin"] == "cron:/etc/cron.d/sauvegardes:4")
    }

    /// `systemctl edit` drop-ins: an empty `ExecStart=` replaces the packaged command, and
    /// `Environment=` adds the repository.
    @Test func dropInsOverrideTheUnit() async throws {
        let fixture = try BackupFixture()
        try fixture.directory.write("lib/systemd/system/sauvegarde.service", "[Service]\nExecStart=/usr/bin/restic -r /srv/packaged backup /srv\n")
        try fixture.directory.write("etc/systemd/system/sauvegarde.service.d/override.conf", """
            [Service]
            Environment="RESTIC_REPOSITORY=/mnt/nas/restic"
            ExecStart=
            ExecStart=/usr/bin/restic backup /srv/partage
            """)
        let results = await BackupSetsCheck().run(try fixture.context())
        let targets = Set(results.filter { $0.code == "backup.present" }.map(\.target))
        #expect(targets == ["/mnt/nas/restic"])
    }

    @Test func schedulesGiveMaximumAges() {
        func cron(_ text: String) -> Double? {
            BackupSchedule.period(cron: text.split(separator: " ").map(String.init)).map { BackupSchedule.maximumAge(period: $0) / 3600 }
        }
        func calendar(_ text: String) -> Double? {
            BackupSchedule.period(onCalendar: text, onUnitActive: nil).map { BackupSchedule.maximumAge(period: $0) / 3600 }
        }
        #expect(cron("0 2 * * *") == 26)
        #expect(cron("@daily") == 26)
        #expect(cron("@weekly") == 170)
        #expect(cron("0 3 * * 0") == 170)
        #expect(cron("30 22 * * 1-5") == 74)
        #expect(cron("0 */6 * * *") == 8)
        #expect(cron("0 1 1 * *") == 746)
        #expect(cron("@reboot") == nil)
        #expect(calendar("daily") == 26)
        #expect(calendar("Mon..Fri *-*-* 22:00") == 74)
        #expect(calendar("Sun *-*-* 03:00:00") == 170)
        #expect(calendar("*-*-01 04:00") == 746)
        #expect(calendar("*-*-* *:00:00") == 3)
    }
}
