// SPDX-License-Identifier: Apache-2.0
import SystemPackage

/// Turns an errno from any backend into an explained `AdoptError`.
package enum AcquireFailure {
    /// `taking` names what was refused in a permission error ("fds", "mappings").
    package static func explain(_ err: Errno, pid: Int32, fd: Int32?, backend: String, taking: String = "fds") -> AdoptError {
        switch err {
        case .noSuchProcess:
            return AdoptError(pid: pid, fd: fd, reason: .noSuchProcess, errno: err,
                              "no such process (it exited, or the pid was never used)")
        case .badFileDescriptor:
            return AdoptError(pid: pid, fd: fd, reason: .fdNotOpen, errno: err,
                              fd.map { "fd \($0) is not open in process \(pid)" } ?? "the fd is not open in process \(pid)")
        case .notPermitted, .permissionDenied:
            let diagnosis = PermissionDiagnosis(pid: pid)
            var error = AdoptError(pid: pid, fd: fd, reason: .permissionDenied, errno: err,
                                   "not allowed to take \(taking) of this process (\(backend)): \(diagnosis.summary)",
                                   hints: diagnosis.remedies)
            error.trace = ["permission: \(backend) refused pid \(pid)\(fd.map { " fd \($0)" } ?? "") with \(err.symbolicName): diagnosing"]
                + diagnosis.steps
            return error
        default:
            return AdoptError(pid: pid, fd: fd, reason: .other, errno: err,
                              "\(backend) could not take the fd")
        }
    }
}
