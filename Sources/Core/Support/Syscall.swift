// SPDX-License-Identifier: Apache-2.0
import CShims
import Glibc
import SystemPackage

/// Runs a call that returns -1 and sets errno on failure, retrying on EINTR,
/// as swift-system does for the calls it wraps.
@inline(__always)
package func retryingOnEINTR<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
    while true {
        let rc = body()
        if rc != -1 { return .success(rc) }
        let err = Errno.current
        if err != .interrupted { return .failure(err) }
    }
}

@inline(__always)
package func syscallValue<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
    switch retryingOnEINTR(body) {
    case .success(let value): return value
    case .failure(let err): throw err
    }
}

/// Sleeps `seconds`, resuming after signals.
public func sleepSeconds(_ seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
