import Logging

/// The library's account of its decisions, for `adopt --verbose`: which
/// backend was chosen and why, each fallback, the steps of a permission
/// diagnosis. Nil unless a program sets it, so that the default path
/// formats nothing (every call site is `RemoteFDLog.logger?.…`).
public enum RemoteFDLog {
    nonisolated(unsafe) public static var logger: Logger?
}
