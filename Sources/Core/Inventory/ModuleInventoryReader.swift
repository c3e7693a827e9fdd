// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc

/// Reads a process's fd table through the remotefd module's inventory
/// (REMOTEFD_HANDLE_IOC_INVENTORY on the target's handle): every open fd
/// described in the kernel — stat, statfs magic, seals, name, dma-buf
/// names — in calls of up to 4096 records, installing nothing.
public final class ModuleInventoryReader {
    private let kmod: KmodBackend
    /// One buffer for every call of every process listed.
    private let records: UnsafeMutablePointer<remotefd_fd_record>
    private let capacity = Int(REMOTEFD_INVENTORY_MAX)

    /// Nil unless the module opens and has handles.
    init?(kmod: KmodBackend) {
        guard kmod.openDevice() == nil, kmod.hasHandles else { return nil }
        self.kmod = kmod
        records = .allocate(capacity: capacity)
    }

    deinit { records.deallocate() }

    /// Calls `body` for each open fd of `target`, in fd order, with its
    /// record in the reader's buffer (valid during the call).
    func forEachRecord(of target: TargetProcess,
                       _ body: (UnsafePointer<remotefd_fd_record>) -> Void) throws(AdoptError) {
        var request = remotefd_inventory()
        request.start_fd = 0
        request.count = UInt32(capacity)
        request.records = UInt64(UInt(bitPattern: records))
        while true {
            let handle = try kmod.handle(for: target, fd: nil)
            if case .failure(let err) = retryingOnEINTR({
                rfd_ioctl_ptr(handle.rawValue, rfd_ioc_handle_inventory(), &request)
            }) {
                throw AcquireFailure.explain(err, pid: target.pid, fd: nil, backend: "kmod")
            }
            for i in 0..<Int(request.returned) {
                body(records + i)
            }
            guard request.next_fd >= 0 else { return }
            request.start_fd = request.next_fd
        }
    }
}
