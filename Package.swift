// swift-tools-version:6.0
// SPDX-License-Identifier: Apache-2.0
import PackageDescription

// One library per concern; every arrow points one way:
//
//   CShims ← RemoteFD ← RemoteFDHandOff ← RemoteFDKeeper
//               ↑   ↖ RemoteFDCapture
//               ├── MemfdPlugin, ShmPlugin, DmabufPlugin, SysvPlugin (one handler each)
//               ├── RemoteFDImage (frames: libyuv, libspng, libsixel)
//               └── adopt (the CLI: composes all of the above)
//
// swift-log: RemoteFD and adopt log through it, only with --verbose.
//
// Where a new piece goes:
// - a way of taking an fd (backend), the handler contract, mapping and
//   reads, `list`: RemoteFD (Sources/Core);
// - a kind of resource: a new handler target under Sources/Plugins that
//   depends on RemoteFD only (Samples/extension-example shows one outside);
// - a way of handing fds on to another program: RemoteFDHandOff, and for
//   the CLI a case of `HandOn` (Sources/adopt/HandOn.swift);
// - the keeper's protocol (`KeeperRequest`) and server: RemoteFDKeeper;
// - capture on exit: RemoteFDCapture;
// - a buffer as a picture (pixel formats, PNG, the terminal and its
//   graphics protocols): RemoteFDImage;
// - a subcommand: a file in Sources/adopt, listed in AdoptCommand.
let package = Package(
    name: "remotefd",
    products: [
        .library(name: "RemoteFD", targets: ["RemoteFD"]),
        .library(name: "RemoteFDHandOff", targets: ["RemoteFDHandOff"]),
        .library(name: "RemoteFDKeeper", targets: ["RemoteFDKeeper"]),
        .library(name: "RemoteFDCapture", targets: ["RemoteFDCapture"]),
        .library(name: "MemfdPlugin", targets: ["MemfdPlugin"]),
        .library(name: "ShmPlugin", targets: ["ShmPlugin"]),
        .library(name: "DmabufPlugin", targets: ["DmabufPlugin"]),
        .library(name: "SysvPlugin", targets: ["SysvPlugin"]),
        .library(name: "RemoteFDImage", targets: ["RemoteFDImage"]),
        .executable(name: "adopt", targets: ["adopt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        // `swift package generate-documentation --target RemoteFD` (DocC).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C glue: wrappers for calls Swift cannot make (variadic
        // syscall/ioctl/fcntl/ptrace, CMSG_* macros) in .c files by concern,
        // constant getters and the module's uapi header in include/.
        .target(name: "CShims", path: "Sources/CShims"),
        .systemLibrary(
            name: "CLibdrm", path: "Sources/CLibdrm", pkgConfig: "libdrm",
            providers: [.apt(["libdrm-dev"])]),

        // Adoption: acquire (backends), dispatch (the handler contract),
        // access (mapping, bounded reads), inventory (`list`).
        .target(
            name: "RemoteFD",
            dependencies: [
                "CShims", .product(name: "SystemPackage", package: "swift-system"),
                // --verbose: RemoteFDLog.logger, nil unless a program sets it.
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Core"),

        // Hand-off: fd passing (SCM_RIGHTS), LISTEN_FDS exec, systemd's fd store, fd names.
        .target(
            name: "RemoteFDHandOff",
            dependencies: ["RemoteFD", "CShims", .product(name: "SystemPackage", package: "swift-system")],
            path: "Sources/HandOff"),

        // The keeper: its request protocol, server, state and client.
        .target(
            name: "RemoteFDKeeper",
            dependencies: ["RemoteFD", "RemoteFDHandOff", "CShims", .product(name: "SystemPackage", package: "swift-system")],
            path: "Sources/Keeper"),

        // Capture on exit: ptrace, the module's watch, finding a process by name.
        .target(
            name: "RemoteFDCapture",
            dependencies: [
                "RemoteFD", "CShims", .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Capture"),

        // Resource handlers: one target each, on RemoteFD alone (dma-buf
        // also needs its uapi and libdrm).
        .target(name: "MemfdPlugin", dependencies: ["RemoteFD"], path: "Sources/Plugins/Memfd"),
        .target(name: "ShmPlugin", dependencies: ["RemoteFD"], path: "Sources/Plugins/Shm"),
        .target(
            name: "DmabufPlugin",
            dependencies: ["RemoteFD", "CShims", "CLibdrm", .product(name: "SystemPackage", package: "swift-system")],
            path: "Sources/Plugins/Dmabuf"),
        .target(
            name: "SysvPlugin", dependencies: ["RemoteFD", .product(name: "SystemPackage", package: "swift-system")],
            path: "Sources/Plugins/Sysv"),

        // Frames: pixel formats, conversion to RGB (libyuv), PNG (libspng),
        // a terminal picture (half blocks, kitty's graphics protocol, sixel
        // with libsixel), the format a V4L2 device captures in.
        .systemLibrary(
            name: "CSpng", path: "Sources/CSpng", pkgConfig: "spng",
            providers: [.apt(["libspng-dev"])]),
        .systemLibrary(
            name: "CSixel", path: "Sources/CSixel", pkgConfig: "libsixel",
            providers: [.apt(["libsixel-dev"])]),
        // libyuv has no pkg-config file: its module map links -lyuv.
        .systemLibrary(name: "CYuv", path: "Sources/CYuv", providers: [.apt(["libyuv-dev"])]),
        .target(
            name: "RemoteFDImage",
            dependencies: ["RemoteFD", "CShims", "CSpng", "CSixel", "CYuv", .product(name: "SystemPackage", package: "swift-system")],
            path: "Sources/Image"),

        .executableTarget(
            name: "adopt",
            dependencies: [
                "RemoteFD", "RemoteFDHandOff", "RemoteFDKeeper", "RemoteFDCapture",
                "MemfdPlugin", "ShmPlugin", "DmabufPlugin", "SysvPlugin", "RemoteFDImage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            // Start-up matters for a one-fd adoption: scripts/build.sh links
            // it as a static executable (BENCHMARKS.md has the figures).
            path: "Sources/adopt"),

        // Samples: producers the tests and the demo adopt from, a consumer
        // using the library API, and a handler added from outside the package's handlers.
        .executableTarget(name: "memfd-producer", path: "Samples/memfd-producer"),
        .executableTarget(name: "shm-producer", path: "Samples/shm-producer"),
        .executableTarget(name: "mapped-producer", path: "Samples/mapped-producer"),
        .executableTarget(name: "restartable-producer", path: "Samples/restartable-producer"),
        .executableTarget(name: "sysv-producer", path: "Samples/sysv-producer"),
        .executableTarget(name: "dmabuf-producer", dependencies: ["CLibdrm"], path: "Samples/dmabuf-producer"),
        .executableTarget(name: "frame-producer", path: "Samples/frame-producer"),
        .executableTarget(
            name: "frame-grab",
            dependencies: ["RemoteFD", "RemoteFDImage", "MemfdPlugin", "ShmPlugin", "DmabufPlugin"],
            path: "Samples/frame-grab"),
        .executableTarget(
            name: "consumer",
            dependencies: ["RemoteFD", "MemfdPlugin", "ShmPlugin"],
            path: "Samples/consumer"),
        .executableTarget(
            name: "extension-example",
            dependencies: [
                "RemoteFD", "MemfdPlugin", "ShmPlugin",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Samples/extension-example"),

        .executableTarget(name: "adopt-bench", dependencies: ["RemoteFD", "MemfdPlugin", "ShmPlugin"], path: "bench/swift"),

        // Tests in two tiers (scripts/test.sh --quick runs the first):
        // UnitTests start no process and need none (parsers, descriptions,
        // the vocabulary, contracts checked in-process): seconds.
        // AdoptTests run the built programs against producers: end to end.
        // What both test tiers use (a test target cannot import another).
        .target(name: "TestSupport", path: "Tests/Support"),
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "TestSupport",
                "RemoteFD", "RemoteFDHandOff", "RemoteFDKeeper",
                "MemfdPlugin", "ShmPlugin", "DmabufPlugin", "SysvPlugin", "RemoteFDImage", "adopt",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/UnitTests"),
        .testTarget(
            name: "AdoptTests",
            dependencies: [
                "TestSupport",
                "RemoteFD", "RemoteFDHandOff", "RemoteFDKeeper", "RemoteFDCapture",
                "MemfdPlugin", "ShmPlugin", "DmabufPlugin", "SysvPlugin", "RemoteFDImage", "adopt", "CShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/AdoptTests"),
    ],
    swiftLanguageModes: [.v6]
)
