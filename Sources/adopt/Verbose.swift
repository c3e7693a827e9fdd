// SPDX-License-Identifier: Apache-2.0
import Glibc
import Logging
import RemoteFD

/// `--verbose`: the library's and the CLI's decisions as "adopt: …" lines
/// on stderr, through swift-log. Off unless asked: the logger is silent and
/// the default path formats nothing.
struct StderrLogHandler: LogHandler {
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        printError("adopt: \(event.message)")
    }
}

enum Verbose {
    /// The logger the CLI gives the library: stderr with `--verbose`,
    /// else silent. Read from the arguments each time: no global state.
    static var logger: Logger {
        requested(in: Array(CommandLine.arguments.dropFirst()))
            ? Logger(label: "adopt") { _ in StderrLogHandler() } : .silent
    }

    /// Whether `--verbose` is among the options (before any "--": what
    /// follows is another program's command line). Called only once the
    /// parser accepted the line, so the flag is one the command declares.
    static func requested(in arguments: [String]) -> Bool {
        arguments.prefix { $0 != "--" }.contains("--verbose")
    }
}

/// `adopt --version`: the release, the module found here (its ABI and
/// features, through REMOTEFD_IOC_INFO) and the backends usable now.
enum VersionReport {
    static var text: String {
        var lines = ["adopt \(adoptVersion)"]
        let kmod = KmodBackend()
        if let err = kmod.openDevice() {
            lines.append("module: not available (\(KmodBackend.devicePath): \(err.symbolicName)\(err == .noSuchFileOrDirectory ? ", not loaded" : ""))")
        } else {
            lines.append("module: remotefd, \(kmod.infoText)")
        }
        let backends = [kmod, PidfdBackend(), ProcfsBackend()] as [any AcquisitionBackend]
        lines.append("backends: " + backends.map { backend in
            let usable = backend is KmodBackend ? kmod.openDevice() == nil : backend.isAvailable
            return "\(backend.name) (\(usable ? "available" : "not available"))"
        }.joined(separator: ", "))
        lines.append("handlers: " + builtInHandlers.types.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
