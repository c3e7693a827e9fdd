// SPDX-License-Identifier: Apache-2.0
import Glibc
import RemoteFD

/// Start-up fast path. swift-argument-parser builds its model of every
/// command by reflection (Mirror, protocol-conformance and mangled-name
/// lookups) on each run: ≈ 3 ms here, half of a whole `adopt PID FD`. The
/// plainest command lines — `adopt PID FD`, and `adopt list` with PIDs or
/// --all, its plain flags, `--json` and `--via NAME`, decimal numbers only —
/// mean exactly what the
/// parser would make of them, so they go straight to the jobs the parsed
/// commands run. Anything else (another option, a flag twice, a
/// subcommand, a number that does not fit, help) takes the parser,
/// unchanged: errors and messages still come from it. A test
/// (VocabularyTests) checks that both give the same job.
enum FastPath {
    enum Job: Equatable {
        case adopt(AdoptJob)
        case list(ListJob)

        func run() throws {
            switch self {
            case .adopt(let job): try job.run()
            case .list(let job): try job.run()
            }
        }
    }

    static func job(for arguments: [String]) -> Job? {
        if arguments.count == 2, let pid = number(arguments[0]), let fd = number(arguments[1]) {
            return .adopt(AdoptJob(source: .fd(pid: pid, fd)))
        }
        guard arguments.first == "list" else { return nil }
        var job = ListJob(pids: [])
        var via: BackendChoice?
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            if let pid = number(argument) {
                job.pids.append(pid)
                continue
            }
            // Each of list's plain flags and options at most once.
            switch argument {
            case "--via" where via == nil:
                guard let value = rest.popFirst(), let choice = BackendChoice(rawValue: value) else { return nil }
                via = choice
                job.via = choice
            case "--json" where !job.json: job.json = true
            case "--no-sharers" where !job.noSharers: job.noSharers = true
            case "--all" where !job.all: job.all = true
            case "--no-maps" where !job.noMaps: job.noMaps = true
            case "--no-rss" where !job.noRss: job.noRss = true
            case "--mapped-only" where !job.mappedOnly: job.mappedOnly = true
            default: return nil
            }
        }
        // ListCommand.validate: pids, or --all.
        guard job.all == job.pids.isEmpty else { return nil }
        return .list(job)
    }

    /// Decimal digits only, fitting an Int32: what the parser accepts for
    /// these arguments without any other meaning ("-1" or "+1" go to it).
    static func number(_ text: String) -> Int32? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int32(text)
    }
}
