// SPDX-License-Identifier: Apache-2.0
/// Names of fds handed on: keeper buffer names, LISTEN_FDNAMES entries and
/// FDNAME= of systemd's fd store. LISTEN_FDNAMES forbids ':' and control
/// characters; the keeper's protocol separates words by spaces: one
/// stricter rule for all three.
public enum FdName {
    /// 1–64 of [A-Za-z0-9._+@-].
    public static func isValid(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
                || c == UInt8(ascii: "+") || c == UInt8(ascii: "@")
        }
    }

    /// The rule, for messages.
    public static let rule = "1-64 characters from A-Z a-z 0-9 . _ - + @"

    /// `name` with every character the rule forbids replaced by '_'
    /// ("buffer" if nothing is left).
    public static func sanitized(_ name: String) -> String {
        let mapped = String(name.prefix(64).map { c -> Character in isValid(String(c)) ? c : "_" })
        return mapped.isEmpty ? "buffer" : mapped
    }
}
