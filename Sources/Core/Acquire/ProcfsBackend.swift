// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import SystemPackage

/// Reopens /proc/PID/fd/N. The result is a new open file description on the
/// same inode (own offset and status flags). Anonymous inodes (dma-buf,
/// eventfd...) cannot be reopened this way: the kernel answers ENXIO.
/// Mappings are reopened the same way, through /proc/PID/map_files
/// (`MapAcquisition`).
public struct ProcfsBackend: MappingAcquisitionBackend {
    public init() {}

    public var name: String { "procfs" }
    public var semanticsNote: String? {
        "reopened through /proc: a new open file description (own offset and flags), same inode"
    }
    public var readiness: BackendReadiness { access("/proc/self/fd", R_OK) == 0 ? .ready : .absent }

    public func acquire(mappingAt address: UInt64, of target: TargetProcess) throws(AdoptError) -> MappedFile {
        try MapAcquisition.throughMapFiles(address, of: target)
    }

    public func acquire(known mapping: ProcessMapping, of target: TargetProcess) throws(AdoptError) -> MappedFile {
        try MapAcquisition.openMapFile(mapping, pid: target.pid, address: mapping.start)
    }

    public func acquire(fd: Int32, of target: TargetProcess) throws(AdoptError) -> AcquiredFD {
        guard fd >= 0 else {
            throw AcquireFailure.explain(.badFileDescriptor, pid: target.pid, fd: fd, backend: name)
        }
        let path = "/proc/\(target.pid)/fd/\(fd)"
        // Reopen with the owner's access mode, so that an fd the owner may
        // write stays writable; fall back to read-only.
        var modes: [FileDescriptor.AccessMode] = [.readOnly]
        if let flags = ProcFdInfo.flags(pid: target.pid, fd: fd), flags & O_ACCMODE == O_RDWR {
            modes.insert(.readWrite, at: 0)
        }
        var lastError = Errno.noSuchFileOrDirectory
        for mode in modes {
            do {
                let newFD = try FileDescriptor.open(FilePath(path), mode, options: [.closeOnExec])
                // The pid may have been reused between our pidfd and the open:
                // the pidfd still names the original process only if it runs.
                guard target.isAlive else {
                    try? newFD.close()
                    throw Errno.noSuchProcess
                }
                return AcquiredFD(newFD)
            } catch let err as Errno {
                lastError = err
                if err != .permissionDenied { break }
            } catch {
                break
            }
        }
        if lastError == .noSuchFileOrDirectory {
            // /proc/PID gone → ESRCH; the fd entry gone → EBADF.
            lastError = access("/proc/\(target.pid)", F_OK) == 0 ? .badFileDescriptor : .noSuchProcess
        }
        if lastError == .noSuchAddressOrDevice {
            throw AdoptError(pid: target.pid, fd: fd, reason: .cannotReopen, errno: lastError,
                             "cannot be reopened through /proc (an anonymous inode such as a dma-buf); use --via pidfd or --via kmod")
        }
        throw AcquireFailure.explain(lastError, pid: target.pid, fd: fd, backend: name)
    }
}
