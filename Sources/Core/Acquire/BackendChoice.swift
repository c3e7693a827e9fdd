// SPDX-License-Identifier: Apache-2.0
import Logging
import SystemPackage

/// What `--via` asks for: `auto`, or one backend by name. The cases after
/// `auto` are the backends this build knows, in `auto`'s order of preference.
public enum BackendChoice: String, CaseIterable, Sendable {
    case auto, kmod, pidfd, procfs

    /// The backend this choice names; nil for `auto`.
    public func makeBackend() -> (any AcquisitionBackend)? {
        switch self {
        case .auto: return nil
        case .kmod: return KmodBackend()
        case .pidfd: return PidfdBackend()
        case .procfs: return ProcfsBackend()
        }
    }
}

/// Choosing a backend.
///
/// `auto`'s policy, one for adoption and capture on exit: the first ready
/// backend in `BackendChoice`'s order (the module when /dev/remotefd can
/// be opened, else pidfd_getfd, else /proc reopening). One that is absent
/// (no module loaded) is passed over without a word; one that is there but
/// unusable (EACCES: the udev rule gave the node to a group we are not in;
/// ENXIO: a stale node) is passed over too, and `note` says so.
public enum Backends {
    /// Every backend, in `auto`'s order of preference.
    public static var all: [any AcquisitionBackend] {
        BackendChoice.allCases.compactMap { $0.makeBackend() }
    }

    /// The backend for `choice` and, when `auto` passed over one it could
    /// not use, one line saying why.
    public static func choose(_ choice: BackendChoice, logger: Logger = .silent) -> (backend: any AcquisitionBackend, note: String?) {
        choose(choice, among: all, logger: logger)
    }

    /// The same for a mapping (`adopt PID --map`): among the backends
    /// that take mappings (`MappingAcquisitionBackend`). A choice of one
    /// that cannot is returned as it is: acquiring says why it cannot.
    public static func chooseForMappings(_ choice: BackendChoice,
                                         logger: Logger = .silent) -> (backend: any AcquisitionBackend, note: String?) {
        choose(choice, among: all.filter { $0 is any MappingAcquisitionBackend }, logger: logger)
    }

    /// `choose`, among `candidates` (tests give a module at another path).
    package static func choose(_ choice: BackendChoice, among candidates: [any AcquisitionBackend],
                               logger log: Logger = .silent) -> (backend: any AcquisitionBackend, note: String?) {
        if let named = choice.makeBackend() {
            log.info("backend: \(choice.rawValue), as --via asks (no fallback)")
            return (candidates.first { $0.name == named.name } ?? named, nil)
        }
        var notes: [String] = []
        for candidate in candidates {
            switch candidate.readiness {
            case .ready:
                log.info("backend: chosen \(candidate.name)")
                return (candidate, notes.isEmpty ? nil : notes.joined(separator: "; ") + ": using \(candidate.name)")
            case .absent:
                log.info("backend: \(candidate.name): not available here; falling back")
            case .unusable(let why):
                log.info("backend: \(candidate.name): \(why); falling back")
                notes.append(why)
            }
        }
        // Nothing ready: the last one, whose errors then say why.
        let last = candidates.last ?? ProcfsBackend()
        log.info("backend: none ready; \(last.name)")
        return (last, notes.isEmpty ? nil : notes.joined(separator: "; ") + ": using \(last.name)")
    }

    /// `choose(choice).backend`, the note dropped.
    public static func resolve(_ choice: BackendChoice) -> any AcquisitionBackend {
        choose(choice).backend
    }
}
