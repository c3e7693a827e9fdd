// SPDX-License-Identifier: Apache-2.0
@testable import adopt
import ArgumentParser
import Foundation
import Testing

@Suite("One CLI vocabulary")
struct VocabularyTests {
    /// The job ArgumentParser makes of `arguments`.
    static func parsedJob(_ arguments: [String]) throws -> FastPath.Job? {
        switch try AdoptCommand.parseAsRoot(arguments) {
        case let command as AdoptOne: return .adopt(command.job)
        case let command as ListCommand: return .list(command.job)
        default: return nil
        }
    }

    @Test("the fast path and ArgumentParser make the same job of the same arguments",
          arguments: [["1234", "3"], ["1", "0"], ["2147483647", "2147483647"],
                      ["list", "1"], ["list", "1", "2", "3"], ["list", "--no-sharers", "42"],
                      ["list", "--all"], ["list", "--all", "--no-rss"], ["list", "--no-maps", "7", "--no-sharers"],
                      ["list", "--mapped-only", "--all", "--no-maps", "--no-rss", "--no-sharers"],
                      ["list", "--via", "pidfd", "1"], ["list", "1", "--via", "kmod", "--json"], ["list", "--json", "--all"],
                      ["list", "--via", "procfs", "--no-sharers", "9"]])
    func fastPathMatchesParser(arguments: [String]) throws {
        let fast = try #require(FastPath.job(for: arguments))
        #expect(try Self.parsedJob(arguments) == fast)
    }

    @Test("whatever the fast path does not take exactly is left to the parser",
          arguments: [["--json", "1", "3"], ["1", "-3"], ["+1", "3"], ["1"], ["1", "2", "3"], ["99999999999", "3"],
                      ["list"], ["show", "1", "3"], ["list", "--no-sharers"],
                      ["list", "--all", "1"], ["list", "--all", "--all"], ["list", "-1"],
                      ["list", "--via", "1"], ["list", "--via", "nope", "1"], ["list", "--via=pidfd", "1"],
                      ["list", "--via", "pidfd", "--via", "kmod", "1"], ["list", "--json", "--json", "1"],
                      ["list", "--verbose", "1"], ["list", "1", "--via"]])
    func fastPathDeclines(arguments: [String]) {
        #expect(FastPath.job(for: arguments) == nil)
    }

    @Test("the previous release's spellings mean the same job")
    func oldSpellingsParse() throws {
        let new = try Self.parsedJob(["--follow", "--interval", "0.5", "1", "3"])
        #expect(try Self.parsedJob(["--watch", "--every", "0.5", "1", "3"]) == new)
        #expect(try Self.parsedJob(["adopt-fd", "1", "3"]) == Self.parsedJob(["show", "1", "3"]))
        #expect(try Self.parsedJob(["show", "1", "3"]) == FastPath.job(for: ["1", "3"]))
    }
}
