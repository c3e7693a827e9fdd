// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import RemoteFD
import Glibc

/// `adopt demo`: a memfd outliving its producer, with no module and no root.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the sample memfd producer, adopt its buffer, kill the producer, read the buffer.")

    @Option(name: .long, help: "How to take the fd (auto, kmod, pidfd, procfs).")
    var via: BackendChoice = .auto

    @Option(name: .long, help: "Seconds to watch the buffer change before killing the producer.")
    var seconds: Int = 3

    func run() throws {
        guard let producerPath = siblingExecutable("memfd-producer") else {
            printError("adopt demo: the sample producer 'memfd-producer' is not beside this executable (build the whole package: swift build -c release)")
            throw ExitCode(1)
        }
        step("1. start the sample producer: \(producerPath) --interval 250")
        let producer = try SpawnedProcess(path: producerPath, arguments: ["--interval", "250"])
        defer {
            producer.kill(SIGKILL)
            producer.wait()
        }
        guard let line = producer.readLine(), let (pid, fd) = parsePidFd(line) else {
            printError("adopt demo: the producer did not say which fd it holds")
            throw ExitCode(1)
        }
        print("   producer says: \(line)")

        step("2. adopt fd \(fd) of pid \(pid) (no cooperation from it)")
        let adopter = Adopter(handlers: builtInHandlers, backend: chosenBackend(via), logger: Verbose.logger)
        let target = try TargetProcess(pid: pid, forFD: fd)
        let adoption = try adopter.adopt(fd: fd, of: target)
        let access = try adoption.open()
        print(indent(adoption.describe().text))

        step("3. watch it change while the producer runs")
        var last = ""
        for i in 0..<max(1, seconds * 2) {
            if i > 0 { sleepSeconds(0.5) }
            last = try text(access)
            print("   \"\(last)\"")
        }

        step("4. SIGKILL the producer (pid \(pid))")
        producer.kill(SIGKILL)
        producer.wait()
        print("   producer exited: /proc/\(pid) \(access_("/proc/\(pid)") ? "still exists" : "is gone")")

        step("5. the buffer is still ours: same content, nobody writes it any more")
        let before = try text(access)
        sleepSeconds(0.6)
        let after = try text(access)
        print("   \"\(after)\" (\(before == after ? "unchanged" : "CHANGED")) size \(access.size) bytes")
        guard before == after, !after.isEmpty else {
            printError("adopt demo: the buffer changed or is empty after the producer was killed")
            throw ExitCode(1)
        }
        step("done: the memfd outlived its producer; closing it frees it.")
    }

    private func text(_ access: any BufferAccess) throws -> String {
        leadingText(try access.bytes(at: 0, length: 64))
    }

    private func step(_ line: String) { print("\n" + line) }

    private func indent(_ text: String) -> String {
        text.split(separator: "\n").map { "   " + $0 }.joined(separator: "\n")
    }

    private func access_(_ path: String) -> Bool { Glibc.access(path, F_OK) == 0 }
}

/// "pid 1234 fd 3 ..." → (1234, 3).
func parsePidFd(_ line: String) -> (pid_t, Int32)? {
    let words = line.split(separator: " ")
    guard words.count >= 4, words[0] == "pid", words[2] == "fd",
          let pid = pid_t(words[1]), let fd = Int32(words[3]) else { return nil }
    return (pid, fd)
}
