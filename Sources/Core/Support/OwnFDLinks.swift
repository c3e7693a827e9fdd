// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc

/// Reads the links of our own fds (/proc/self/fd/N) for a caller that
/// adopts, inspects and closes one fd after another (`adopt list`): each
/// new fd then gets the same number N, so an O_PATH handle on the
/// /proc/self/fd/N link itself is opened once and read with
/// readlinkat(handle, "") — no path walk per fd, 1 µs of the 2 µs a
/// readlinkat(/proc/self/fd, "N") costs. The link is resolved at each read,
/// so it always names what N holds now. Another N reads through the open
/// /proc/self/fd directory and moves the handle there.
package final class OwnFDLinks {
    private let directory: Int32
    private var handle: Int32 = -1
    private var handleFD: Int32 = -1

    package init() {
        directory = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }

    deinit {
        if handle >= 0 { close(handle) }
        if directory >= 0 { close(directory) }
    }

    /// The link of our fd `fd`, which the caller holds open.
    package func link(of fd: Int32) -> String? {
        guard moveHandle(to: fd) else { return ProcFiles.ownFDLink(fd) }
        return ProcFiles.readLink(ofHandle: handle)
    }

    /// The link of our fd `fd` into `buffer`: its length, or -1 when it
    /// cannot be read or does not fit.
    package func read(of fd: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard moveHandle(to: fd) else { return -1 }
        let n = buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
            readlinkat(handle, "", $0, buffer.count)
        }
        return n < buffer.count ? n : -1
    }

    /// Points the handle at /proc/self/fd/`fd`; false when it cannot be opened.
    private func moveHandle(to fd: Int32) -> Bool {
        if fd != handleFD, directory >= 0 {
            if handle >= 0 { close(handle) }
            handle = rfd_open_link_handle(directory, String(fd))
            handleFD = handle >= 0 ? fd : -1
        }
        return handle >= 0
    }
}
