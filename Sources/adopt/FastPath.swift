import Glibc

/// Start-up fast path. swift-argument-parser builds its model of every
/// command by reflection (Mirror, protocol-conformance and mangled-name
/// lookups) on each run: ≈ 3 ms here, half of a whole `adopt PID FD`. The
/// plainest command lines — `adopt PID FD` and `adopt list [--no-sharers]
/// PID…`, decimal numbers only — mean exactly the defaults, so they go
/// straight to the jobs the parsed commands run. Anything else (another
/// option, a subcommand, a number that does not fit, help) takes the
/// parser, unchanged: errors and messages still come from it. A test
/// (FastPathTests) checks that both give the same job.
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
            return .adopt(AdoptJob(pid: pid, fd: fd))
        }
        guard arguments.first == "list" else { return nil }
        var rest = arguments.dropFirst()
        var noSharers = false
        if rest.first == "--no-sharers" {
            noSharers = true
            rest = rest.dropFirst()
        }
        var pids: [Int32] = []
        for argument in rest {
            guard let pid = number(argument) else { return nil }
            pids.append(pid)
        }
        guard !pids.isEmpty else { return nil }
        return .list(ListJob(noSharers: noSharers, pids: pids))
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
