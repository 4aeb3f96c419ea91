// swift-tools-version:6.2
import PackageDescription

/// Release builds emit each function of cyberctl's own modules in its own section, so that lld can lay
/// them out in the order of `scripts/cyberctl.order` (see the executable's linker settings). Swift skips
/// code generation when a module's LLVM IR is unchanged: after changing this flag, delete the modules'
/// objects in `.build/release/*.build/` so they are compiled again.
let releaseCodeLayout: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-function-sections"], .when(configuration: .release))]

/// Release builds link the Swift runtime and Foundation statically (binary about 110 MB instead of 39 MB): a
/// process no longer maps and relocates libswiftCore, Foundation and ICU as shared libraries, which saves
/// about 4 MB of resident memory in every run (docs/benchmarks.md, "Certificate files"). Debug builds and
/// `swift test` keep the shared libraries.
///
/// `foundation` names the Foundation libraries the executable links: all of them for `cyberctl`; for
/// `cyberctl-agent`, whose modules import FoundationEssentials only (issue 19), neither Foundation,
/// FoundationInternationalization, CoreFoundation nor ICU (`agentFoundation`).
func releaseLinking(foundation: [String]) -> [LinkerSetting] { [
    .unsafeFlags(
        [
            "-static-stdlib",
            // What `swift build --static-swift-stdlib` adds through autolinking: Foundation's own parts.
            "-Xlinker", "--start-group"] + foundation.map { "-l" + $0 } + ["-Xlinker", "--end-group",
            // lld packs the ~95,000 relative relocations of a static runtime (2.2 MB of RELA read at
            // every start) into a few KB of RELR (glibc 2.36+).
            "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
            // The functions the agent's usual runs execute (~1.2 MB), side by side at the start of
            // .text: the kernel maps a binary's pages 64 KB at a time, and scattered they cost the
            // agent 1-3.4 MB more resident memory per run (docs/benchmarks.md). scripts/symbol-order.sh
            // regenerates the list from cyberctl-agent; names it lacks keep the default layout, and
            // scripts/check-symbol-order.sh (run by packaging/deb/build.sh) fails when it is stale.
            "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/scripts/cyberctl.order",
            "-Xlinker", "--no-warn-symbol-ordering",
            // Nothing loads symbols from the executable, so its 43,000 Swift symbols need not be
            // exported: the dynamic symbol table and its strings (3.5 MB) stay out of memory.
            "-Xlinker", "--no-export-dynamic",
        ], .when(configuration: .release))
] }

/// Every Foundation library, for `cyberctl` (its RSSI modules use full Foundation).
let fullFoundation = [
    "Foundation", "FoundationInternationalization", "FoundationEssentials", "CoreFoundation", "_FoundationICU",
    "_FoundationCollections", "_FoundationCShims",
]
/// FoundationEssentials and what it needs, for `cyberctl-agent`.
let agentFoundation = ["FoundationEssentials", "_FoundationCollections", "_FoundationCShims"]

let package = Package(
    name: "cyberctl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cyberctl", targets: ["cyberctl"]),
        .library(name: "Checks", targets: ["Checks"]),
        .library(name: "Agent", targets: ["Agent"]),
        .library(name: "NIS2", targets: ["NIS2"]),
        .library(name: "Trust", targets: ["Trust"]),
        .library(name: "Territory", targets: ["Territory"]),
        .library(name: "Rendering", targets: ["Rendering"]),
        .library(name: "Incidents", targets: ["Incidents"]),
        .library(name: "Summary", targets: ["Summary"]),
        .library(name: "Delivery", targets: ["Delivery"]),
        .library(name: "Monitoring", targets: ["Monitoring"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // FilePath, for the programs Subprocess runs (already in the graph through swift-subprocess).
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // System OpenSSL 3 (libssl + libcrypto), found through pkg-config.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Prefixed C functions for the OpenSSL macros the Clang importer cannot import.
        .target(name: "COpenSSLShims", dependencies: ["COpenSSL"]),
        // System libcurl's headers, for HTTP work (HSTS, redirects, pushing reports). Not linked:
        // CCurlShims opens libcurl.so.4 on first use (apt libcurl4-openssl-dev for the headers, libcurl4 at run time).
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // System decompression libraries, for apt lists in every format apt reads (Acquire::CompressionTypes):
        // liblz4 (.lz4), zlib (.gz), liblzma (.xz, .lzma), libzstd (.zst), libbz2 (.bz2, no pkg-config file on Debian 12).
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZMA", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CBZip2", providers: [.apt(["libbz2-dev"])]),
        // System libunbound (NLnet Labs): validating DNS resolution for the domain checks (apt libunbound-dev;
        // linked by name, Debian 12's libunbound.pc requiring libevent.pc that only libevent-dev ships).
        .systemLibrary(name: "CUnbound", providers: [.apt(["libunbound-dev"])]),
        // System libpsl: the Public Suffix List (Debian's publicsuffix data) for DMARC's organisational domain.
        .systemLibrary(name: "CPSL", pkgConfig: "libpsl", providers: [.apt(["libpsl-dev"])]),
        // System libyaml (the parser Yams bundles), for the YAML target: apt libyaml-dev, libyaml-0-2 at run time.
        .systemLibrary(name: "CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // YAML documents as node trees with marks, and a Decoder over them, on libyaml without Foundation (issue 19:
        // Yams imports Foundation, and with it ICU's 34 MB, into the agent).
        .target(name: "YAML", dependencies: ["CLibYAML"]),
        // Owned Swift types over libcrypto: certificates, keys, BIOs, the error queue.
        .target(name: "OpenSSLKit", dependencies: ["COpenSSL", "COpenSSLShims"]),
        // What the agent's modules would otherwise take from full Foundation (FoundationEssentials lacks it, and
        // full Foundation brings ICU's 34 MB of data into cyberctl-agent, issue 19): trimming and replacing
        // text, zero-padded numbers, NSString's path rules, accent folding, digit grouping, a lock, threads.
        .target(name: "FoundationGaps"),
        // The shared model at the bottom (issue 19): texts in both languages, statuses, severities, domains, results,
        // scoring, the JSON value, the input error, atomic files, times for people, SIREN/INSEE identifiers. Signing,
        // delivery, the store and the collector depend on it rather than on Agent or Checks.
        .target(name: "Model", dependencies: ["FoundationGaps"]),
        // Finds the data shipped with cyberctl (profiles, NIS 2 tables), installed or in a checkout.
        .target(name: "ShippedData"),
        // Reads user-named files safely: regular files only (never blocks on a FIFO or device), size-bounded.
        .target(name: "InputFiles"),
        // NIS 2 data: applicability rules, the organisational questionnaire, answers files.
        .target(name: "NIS2", dependencies: ["Model", "ShippedData", "InputFiles", "FoundationGaps", "YAML"]),
        // Prefixed C functions for libcurl's variadic curl_easy_setopt/getinfo, which Swift cannot call.
        // libcurl itself is opened with dlopen on first use (see CCurlShims.h), hence libdl.
        .target(name: "CCurlShims", dependencies: ["CCurl"], linkerSettings: [.linkedLibrary("dl")]),
        // TLS endpoint probing over libssl (plus raw ClientHellos for what OpenSSL 3 lacks): sockets
        // with deadlines, STARTTLS, versions, suites, groups, chain as served.
        .target(name: "TLSProbe", dependencies: ["COpenSSL", "COpenSSLShims", "OpenSSLKit", "FoundationGaps"]),
        // The Check protocol, the result model, scoring, the text catalogue and every check family.
        .target(
            name: "Checks",
            dependencies: ["Model", 
                "OpenSSLKit", "NIS2", "ShippedData", "FoundationGaps", "CLZ4", "CZlib", "CLZMA", "CZstd", "CBZip2", "TLSProbe", "CCurlShims", "CUnbound", "CPSL",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Profiles, discovery, runner, host facts, entity identity, report assembly.
        .target(
            name: "Agent",
            dependencies: ["Model", 
                "Checks", "NIS2", "ShippedData", "FoundationGaps", "YAML",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Signed reports and the agents' PKI: CA, enrolment, CMS signing, verification, report schema.
        .target(name: "Trust", dependencies: ["Model", "OpenSSLKit", "InputFiles", "FoundationGaps"]),
        // The mutualised RSSI's store (SQLite through GRDB, or PostgreSQL through postgres-nio; the SQL written once
        // on SQLConnection): ingest of verified reports, territory views.
        .target(
            name: "Territory",
            dependencies: ["Model", 
                "Trust", "Agent", "Checks", "NIS2", "OpenSSLKit", "InputFiles", "YAML", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The views as people read them: aligned text, CSV, Markdown, self-contained HTML and SVG charts, the
        // colour palette; shared by the territory commands and the élus summary.
        .target(name: "Rendering", dependencies: ["Model", "Territory", "Agent", "Checks", "Trust"]),
        // Incident follow-up in the territory store: NIS 2 and GDPR clocks, the drafts to send.
        .target(name: "Incidents", dependencies: ["Model", "Territory", "Agent", "Checks", "NIS2"]),
        // The RSSI's HTTPS collector: mutual TLS, verification, durable inbox, optional ingest (issue 11), and its
        // Prometheus /metrics endpoint (docs/monitoring.md).
        .target(
            name: "Collector",
            dependencies: ["Model", 
                "Trust", "Territory", "Agent", "Checks", "NIS2", "OpenSSLKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The one-page readiness summary for élus: plain French, NIS 2 status, decisions, HTML/Markdown/PDF.
        .target(
            name: "Summary",
            dependencies: ["Model", "Territory", "Incidents", "Rendering", "NIS2", "Agent", "Checks", .product(name: "Mustache", package: "swift-mustache")],
            // The templates' sources; scripts/embed-templates.sh embeds them into SummaryTemplates.swift.
            exclude: ["Templates"]),
        // The agent's outbox and its delivery to the RSSI's collector (push protocol, mutual TLS via libcurl).
        .target(name: "Delivery", dependencies: ["Model", "Agent", "Checks", "OpenSSLKit", "FoundationGaps", "CCurl", "CCurlShims"]),
        // Results as monitoring data: the monitoring-plugin answer (Nagios, Icinga, Centreon), its threshold
        // ranges and performance data, the figures a report yields (docs/monitoring.md).
        .target(name: "Monitoring", dependencies: ["Model", "Agent", "Checks", "FoundationGaps"]),
        // The AgentCLI module: the agent's commands and the command-line helpers both executables share.
        // No HTTP server, SwiftNIO, BoringSSL, SQLite store or Chromium path: the agent links none of them.
        .target(
            name: "AgentCLI",
            dependencies: ["Model", 
                "Agent", "Checks", "NIS2", "Trust", "TLSProbe", "Delivery", "Monitoring", "OpenSSLKit", "FoundationGaps",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The agent's executable: the AgentCLI commands only.
        .executableTarget(
            name: "cyberctl-agent",
            dependencies: ["Model", "AgentCLI", "Agent", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            linkerSettings: releaseLinking(foundation: agentFoundation)),
        // The RSSI's executable: the agent's commands and the RSSI's (territory, collector, summary, incidents).
        .executableTarget(
            name: "cyberctl",
            dependencies: ["Model", 
                "AgentCLI", "Agent", "Checks", "NIS2", "Trust", "Territory", "Incidents", "Rendering", "Summary", "Delivery", "Collector", "OpenSSLKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: releaseLinking(foundation: fullFoundation)
        ),
        .target(name: "TestSupport", dependencies: ["Model", "Checks"], path: "Tests/TestSupport"),
        // Synthetic territories of signed reports for the tests, and the benchmark's generator
        // (scripts/bench-territory.sh): test support, not part of cyberctl.
        .target(name: "TerritoryGenerator", dependencies: ["Model", "Territory", "Trust", "Agent", "Checks", "OpenSSLKit"], path: "Tests/TerritoryGenerator"),
        .executableTarget(
            name: "generate-territory",
            dependencies: ["Model", "TerritoryGenerator", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tests/GenerateTerritory"),
        .testTarget(name: "OpenSSLKitTests", dependencies: ["Model", "OpenSSLKit", "TestSupport"]),
        // FoundationGaps against Foundation itself: the same outputs, byte for byte.
        .testTarget(name: "FoundationGapsTests", dependencies: ["Model", "FoundationGaps"]),
        .testTarget(name: "ChecksTests", dependencies: ["Model", "Checks", "NIS2", "TestSupport"]),
        .testTarget(name: "TLSProbeTests", dependencies: ["Model", "TLSProbe", "TestSupport"]),
        .testTarget(name: "AgentTests", dependencies: ["Model", "Agent", "Checks", "NIS2", "TestSupport"]),
        .testTarget(name: "NIS2Tests", dependencies: ["Model", "NIS2", "TestSupport"]),
        // The YAML reader against Yams, the reader it replaced: Yams is a test-only dependency, no product links it.
        .testTarget(
            name: "YAMLTests",
            dependencies: ["Model", "YAML", "Agent", "Checks", "NIS2", "TestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "EndToEndTests", dependencies: ["Model", "TestSupport"]),
        .testTarget(
            name: "TerritoryTests",
            dependencies: ["Model", 
                "Territory", "Incidents", "Rendering", "TerritoryGenerator", "Trust", "Agent", "Checks", "NIS2", "OpenSSLKit", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "SummaryTests",
            dependencies: ["Model", "Summary", "Territory", "Incidents", "Rendering", "TerritoryGenerator", "Trust", "Agent", "Checks", "NIS2", "OpenSSLKit", "TestSupport"]),
        .testTarget(
            name: "CollectorTests",
            dependencies: ["Model", 
                "Collector", "Delivery", "Trust", "Territory", "Agent", "Checks", "OpenSSLKit", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .testTarget(name: "MonitoringTests", dependencies: ["Model", "Monitoring", "Agent", "Checks", "TestSupport"]),
        .testTarget(name: "DeliveryTests", dependencies: ["Model", "Delivery", "Agent", "TestSupport"]),
        .testTarget(name: "TrustTests", dependencies: ["Model", "Trust", "Agent", "Checks", "NIS2", "OpenSSLKit", "InputFiles", "TestSupport"]),
        // Signed hostile reports mutated and put through verify, the store and every view (scripts/fuzz-reports.sh runs more).
        .testTarget(name: "ReportFuzzTests", dependencies: ["Model", "Territory", "Rendering", "TerritoryGenerator", "Trust", "Agent", "Checks", "OpenSSLKit", "TestSupport"]),
    ]
)

// cyberctl's own Swift modules (not the C shims, not the tests) get the release code layout.
for target in package.targets
where (target.type == .regular || target.type == .executable)
    && !["COpenSSLShims", "CCurlShims", "TestSupport", "TerritoryGenerator", "generate-territory"].contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + releaseCodeLayout
}

// The agent's modules import FoundationEssentials, never full Foundation (issue 19: ICU's data and Foundation's
// code would make up most of cyberctl-agent). Members of extensions are visible only in files that import their
// module, so an API full Foundation adds (loaded through a dependency such as Yams) cannot creep back unseen.
let agentModules: Set<String> = [
    "AgentCLI", "Agent", "Checks", "NIS2", "Trust", "TLSProbe", "OpenSSLKit", "InputFiles", "ShippedData", "Delivery",
    "Monitoring", "FoundationGaps", "YAML", "Model", "cyberctl-agent",
]
for target in package.targets where agentModules.contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
