// SPDX-License-Identifier: Apache-2.0
import Logging

/// The library logs its decisions (which backend was chosen and why, each
/// fallback) to the `Logger` it is given: `Adopter`, `Inventory` and
/// `Backends.choose` take one, silent by default, so that the default path
/// formats nothing. The steps of a permission diagnosis travel with the
/// error instead (`AdoptError.trace`), for the caller to log.
extension Logger {
    /// Drops everything (its level is above every message the library logs).
    public static let silent = Logger(label: "remotefd") { _ in SwiftLogNoOpLogHandler() }
}
