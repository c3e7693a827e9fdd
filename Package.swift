// swift-tools-version:6.0
import PackageDescription

// Core never imports a plug-in: each resource handler is its own target under
// Sources/Plugins, and the CLI (or any other program) composes them.
let package = Package(
    name: "remotefd",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "RemoteFD", targets: ["Core"]),
        .library(name: "MemfdPlugin", targets: ["MemfdPlugin"]),
        .library(name: "ShmPlugin", targets: ["ShmPlugin"]),
        .library(name: "DmabufPlugin", targets: ["DmabufPlugin"]),
        .executable(name: "adopt", targets: ["adopt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C glue: syscalls Swift cannot call (variadic syscall/ioctl/fcntl),
        // ioctl numbers built by _IO* macros, and the module's uapi header.
        .target(name: "CShims", path: "Sources/CShims"),
        .systemLibrary(
            name: "CLibdrm", path: "Sources/CLibdrm", pkgConfig: "libdrm",
            providers: [.apt(["libdrm-dev"])]),

        .target(
            name: "Core",
            dependencies: [
                "CShims",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Core"),

        // Resource handlers: one target each.
        .target(name: "MemfdPlugin", dependencies: ["Core", "CShims"], path: "Sources/Plugins/Memfd"),
        .target(name: "ShmPlugin", dependencies: ["Core"], path: "Sources/Plugins/Shm"),
        .target(name: "DmabufPlugin", dependencies: ["Core", "CShims", "CLibdrm"], path: "Sources/Plugins/Dmabuf"),

        .executableTarget(
            name: "adopt",
            dependencies: [
                "Core", "CShims", "MemfdPlugin", "ShmPlugin", "DmabufPlugin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Start-up matters for a one-fd adoption: scripts build it with
            // --static-swift-stdlib (measured: 8.2 → 4.8 ms).
            path: "Sources/adopt"),

        // Samples: producers the tests and the demo adopt from, a consumer
        // using the library API, and a handler added from outside Core.
        .executableTarget(name: "memfd-producer", path: "Samples/memfd-producer"),
        .executableTarget(name: "shm-producer", path: "Samples/shm-producer"),
        .executableTarget(name: "restartable-producer", path: "Samples/restartable-producer"),
        .executableTarget(name: "dmabuf-producer", dependencies: ["CLibdrm"], path: "Samples/dmabuf-producer"),
        .executableTarget(
            name: "consumer",
            dependencies: ["Core", "MemfdPlugin", "ShmPlugin"],
            path: "Samples/consumer"),
        .executableTarget(
            name: "extension-example",
            dependencies: [
                "Core", "MemfdPlugin", "ShmPlugin",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Samples/extension-example"),

        .executableTarget(name: "adopt-bench", dependencies: ["Core", "MemfdPlugin", "ShmPlugin"], path: "bench/swift"),

        .testTarget(
            name: "AdoptTests",
            dependencies: [
                "Core", "MemfdPlugin", "ShmPlugin", "DmabufPlugin", "CShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/AdoptTests"),
    ],
    swiftLanguageModes: [.v5]
)
