/// What `--via` asks for.
public enum BackendChoice: String, CaseIterable, Sendable {
    case auto, kmod, pidfd, procfs
}

/// The backends this build knows, in `auto`'s order of preference.
public enum Backends {
    public static var all: [any AcquisitionBackend] {
        [KmodBackend(), PidfdBackend(), ProcfsBackend()]
    }

    /// `auto` takes the module if /dev/remotefd exists, else pidfd, else procfs.
    public static func resolve(_ choice: BackendChoice) -> any AcquisitionBackend {
        let backends = all
        if choice == .auto {
            return backends.first(where: \.isAvailable) ?? ProcfsBackend()
        }
        return backends.first { $0.name == choice.rawValue }!
    }
}
