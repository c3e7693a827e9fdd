// SPDX-License-Identifier: Apache-2.0
import CShims

/// memfd seals (fcntl F_GET_SEALS), decoded.
public struct Seals: OptionSet, CustomStringConvertible, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let seal = Seals(rawValue: rfd_seal_seal())
    public static let shrink = Seals(rawValue: rfd_seal_shrink())
    public static let grow = Seals(rawValue: rfd_seal_grow())
    public static let write = Seals(rawValue: rfd_seal_write())
    public static let futureWrite = Seals(rawValue: rfd_seal_future_write())
    public static let exec = Seals(rawValue: rfd_seal_exec())

    static let names: [(Seals, String)] = [
        (.seal, "seal"), (.shrink, "shrink"), (.grow, "grow"),
        (.write, "write"), (.futureWrite, "future-write"), (.exec, "exec"),
    ]

    public var names: [String] { Self.names.filter { contains($0.0) }.map(\.1) }

    /// Whether writing through a shared mapping is forbidden.
    public var forbidsWriting: Bool { !isDisjoint(with: [.write, .futureWrite]) }

    public var description: String { isEmpty ? "none" : names.joined(separator: ",") }
}
