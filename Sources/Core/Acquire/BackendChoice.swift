import SystemPackage

/// What `--via` asks for.
public enum BackendChoice: String, CaseIterable, Sendable {
    case auto, kmod, pidfd, procfs
}

/// The backends this build knows, in `auto`'s order of preference.
///
/// `auto`'s policy, one for adoption and capture on exit: the module when
/// /dev/remotefd can be opened; when it does not exist, pidfd_getfd (else
/// /proc reopening) without a word; when it exists but cannot be opened
/// (EACCES: the udev rule gave the node to a group we are not in; ENXIO: a
/// stale node), the same fallback, and `note` says so.
public enum Backends {
    public static var all: [any AcquisitionBackend] {
        [KmodBackend(), PidfdBackend(), ProcfsBackend()]
    }

    /// The backend for `choice` and, when `auto` passed over a module it
    /// could not use, one line saying why.
    public static func choose(_ choice: BackendChoice) -> (backend: any AcquisitionBackend, note: String?) {
        choose(choice, kmod: KmodBackend())
    }

    package static func choose(_ choice: BackendChoice, kmod: KmodBackend) -> (backend: any AcquisitionBackend, note: String?) {
        let log = RemoteFDLog.logger
        guard choice == .auto else {
            log?.info("backend: \(choice.rawValue), as --via asks (no fallback)")
            return (choice == .kmod ? kmod : all.first { $0.name == choice.rawValue }!, nil)
        }
        var note: String?
        switch kmod.openDevice() {
        case nil:
            log?.info("backend: kmod: \(kmod.path) opened (\(kmod.infoText))")
            return (kmod, nil)
        case .noSuchFileOrDirectory?:
            log?.info("backend: no \(kmod.path) (the remotefd module is not loaded): no module, no word; falling back")
        case let err?:
            note = "\(KmodBackend.cannotOpen(err)) (\(err.symbolicName))"
            log?.info("backend: \(kmod.path) exists but cannot be opened (\(err.symbolicName)): falling back")
        }
        var chosen: (any AcquisitionBackend)?
        for candidate in [PidfdBackend(), ProcfsBackend()] as [any AcquisitionBackend] {
            let available = candidate.isAvailable
            log?.info("backend: \(candidate.name): \(available ? "available" : "not available here")")
            if available { chosen = candidate; break }
        }
        let fallback = chosen ?? ProcfsBackend()
        log?.info("backend: chosen \(fallback.name)")
        return (fallback, note.map { "\($0): using \(fallback.name)" })
    }

    /// `choose(choice).backend`, the note dropped.
    public static func resolve(_ choice: BackendChoice) -> any AcquisitionBackend {
        choose(choice).backend
    }
}
