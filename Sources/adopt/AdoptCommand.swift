// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import DmabufPlugin
import Glibc
import MemfdPlugin
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper
import ShmPlugin
import SysvPlugin

/// The handlers this CLI composes. RemoteFD knows none of them; a program
/// with other handlers builds its own registry (see Samples/extension-example).
let builtInHandlers = HandlerRegistry([MemfdHandler(), ShmHandler(), DmabufHandler(), SysvHandler()])

@main
struct AdoptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Take another process's shared buffer (memfd, /dev/shm, dma-buf, System V segment) by pid and fd, mapping or id.",
        discussion: """
            Examples:
              adopt 1234 3                  identify, map and preview fd 3 of process 1234
              adopt --type dmabuf 1234 5    the same, refusing anything but a dma-buf
              adopt --follow 1234 3         keep it and print it every second, also after 1234 exits
              adopt --dump out.bin 1234 3   copy its contents out
              adopt list --all              every adoptable buffer of every process we may inspect
              adopt sysv 42                 the System V segment with shmid 42 (ipcs -m)
              adopt demo                    a memfd outliving its producer

            Buffers are named and taken as NAME=PID:FD (hold, exec, fdstore, keeper add);
            --fd is an fd number, --interval a number of seconds, everywhere.
            """,
        // `adopt --version` says more than this (VersionReport, in main).
        version: adoptVersion,
        subcommands: [AdoptOne.self, ListCommand.self, DemoCommand.self,
                      HoldCommand.self, KeeperCommand.self, ExecCommand.self, FdstoreCommand.self, WatchCommand.self,
                      SysvCommand.self],
        defaultSubcommand: AdoptOne.self)
}

/// Options shared by every subcommand that acquires fds.
struct AcquireOptions: ParsableArguments {
    @Option(name: .long, help: "How to take the fd: auto (module, else pidfd, else procfs), kmod, pidfd or procfs.")
    var via: BackendChoice = .auto

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .long, help: "Say on stderr which backend was chosen and why, each fallback, and the steps of a permission diagnosis.")
    var verbose = false
}

extension BackendChoice: ExpressibleByArgument {}

/// The backend for `--via`; when `auto` passes over a module it cannot
/// use, one line on stderr says so (Backends.choose: the policy).
/// The backend `--via` names; for a mapping (`forMappings`), `auto` picks
/// among those that take mappings (the module, else map_files).
func chosenBackend(_ choice: BackendChoice, forMappings: Bool = false) -> any AcquisitionBackend {
    let (backend, note) = forMappings ? Backends.chooseForMappings(choice, logger: Verbose.logger)
        : Backends.choose(choice, logger: Verbose.logger)
    if let note { printError("adopt: \(note)") }
    return backend
}

// MARK: one vocabulary

/// A command that still accepts spellings of the previous release. Each
/// old spelling used gives one line on stderr before the command runs.
protocol Deprecating {
    var deprecations: [String] { get }
}

/// "--old is deprecated …: use --new".
func deprecated(_ old: String, _ new: String) -> String {
    "\(old) is deprecated and will be removed in the next release: use \(new)"
}

// MARK: errors, reported in one place

/// An error about a buffer that does not name it itself (the fd store's).
struct AboutBuffer: Error {
    /// "pid P fd N" (`AdoptedFile.source`).
    let source: String
    let error: any Error
}

/// The one place library errors become output: one line naming what failed
/// (and hint lines), exit status 1. Anything else (ArgumentParser's own
/// errors, ExitCode) is left to ArgumentParser.
func report(_ error: any Error) -> any Error {
    switch error {
    case let error as AdoptError:
        for step in error.trace { Verbose.logger.info("\(step)") }
        printError("adopt: \(error)")
        for hint in error.hints { printError("  hint: \(hint)") }
    case let error as KeeperError:
        printError("adopt: \(error)")
    case let error as FdStoreError:
        printError("adopt: \(error)")
    case let about as AboutBuffer:
        printError("adopt: \(about.source): \(about.error)")
    default:
        return error
    }
    return ExitCode(1)
}

extension AdoptCommand {
    /// Start-up fast path first (FastPath.swift), else the parser; errors
    /// from either go through `report`.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--version"] {
            print(VersionReport.text)
            return
        }
        do {
            if let job = FastPath.job(for: arguments) {
                try job.run()
                return
            }
            // `exec NAME=PID:FD … -- CMD …`: the command is split off here
            // (see ExecCommand.command).
            var parsed = arguments
            var trailing: [String]?
            if arguments.first == "exec", let terminator = arguments.firstIndex(of: "--") {
                trailing = Array(arguments[(terminator + 1)...])
                parsed = Array(arguments[..<terminator])
            }
            var command = try parseAsRoot(parsed)
            if var exec = command as? ExecCommand, let trailing {
                exec.command = trailing
                command = exec
            }
            if arguments.first == "adopt-fd" {
                printError("adopt: " + deprecated("the subcommand name adopt-fd", "show (or no subcommand name)"))
            }
            for line in (command as? any Deprecating)?.deprecations ?? [] { printError("adopt: \(line)") }
            try command.run()
        } catch {
            exit(withError: report(error))
        }
    }
}
