// SPDX-License-Identifier: Apache-2.0
@testable import adopt
import Testing

@Suite("--dump's progress bar")
struct ProgressBarTests {
    /// The counts and unit after the bar and the percentage.
    static func counts(_ done: Int, _ total: Int) -> String {
        String(ProgressBar.line(done: done, total: total).split(separator: "% ", maxSplits: 1)[1])
    }

    static let kib = 1 << 10, mib = 1 << 20, gib = 1 << 30

    /// (done, total, what follows the percentage).
    static let cases: [(Int, Int, String)] = [
        (8 * kib, 16 * kib, "8/16 KiB"), (16 * kib, 16 * kib, "16/16 KiB"),
        (0, 4096, "0/4096 B"), (100, 100, "100/100 B"), (0, 0, "0/0 B"),
        (512 * kib, 1536 * kib, "512/1536 KiB"), (5 * mib, 10 * mib, "5/10 MiB"),
        (1 * gib, 2 * gib, "1024/2048 MiB"), (7 * gib, 16 * gib, "7/16 GiB"),
        (3072 * gib, 4096 * gib, "3072/4096 GiB"),
    ]

    @Test("counts in a unit that fits the size: a 16 KiB dump is not 0/0 MiB", arguments: cases)
    func units(done: Int, total: Int, expected: String) {
        #expect(Self.counts(done, total) == expected)
    }

    @Test("the bar is 40 wide and filled by the percentage; an empty dump is done")
    func bar() {
        #expect(ProgressBar.line(done: 8 << 10, total: 16 << 10)
                == "[" + String(repeating: "#", count: 20) + String(repeating: " ", count: 20) + "] 50% 8/16 KiB")
        #expect(ProgressBar.line(done: 0, total: 0).hasPrefix("[" + String(repeating: "#", count: 40) + "] 100% "))
        #expect(ProgressBar.line(done: 1, total: 3 << 20).hasPrefix("[" + String(repeating: " ", count: 40) + "] 0% 0/3072 KiB"))
    }
}
