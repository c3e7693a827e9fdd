// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing

/// The one version every artefact carries.
@Suite("One version")
struct VersionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// "X" of the first line matching `prefix X suffix`.
    static func value(in text: String, after prefix: String, before suffix: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            let rest = line.dropFirst(prefix.count)
            if let end = rest.range(of: suffix) { return String(rest[..<end.lowerBound]) }
        }
        return nil
    }

    @Test("debian/changelog, Version.swift, dkms.conf and MODULE_VERSION say the same version")
    func oneVersion() throws {
        let changelog = try Self.value(in: Self.text("debian/changelog"), after: "remotefd (", before: ")")
        #expect(changelog != nil)
        #expect(try Self.value(in: Self.text("Sources/adopt/Version.swift"), after: "let adoptVersion = \"", before: "\"") == changelog)
        #expect(try Self.value(in: Self.text("kmod/dkms.conf"), after: "PACKAGE_VERSION=\"", before: "\"") == changelog)
        #expect(try Self.value(in: Self.text("kmod/remotefd_main.c"), after: "MODULE_VERSION(\"", before: "\"") == changelog)
    }
}
