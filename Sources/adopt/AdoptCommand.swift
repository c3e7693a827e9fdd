import ArgumentParser
import RemoteFD
import DmabufPlugin
import MemfdPlugin
import ShmPlugin

/// The handlers this CLI composes. Core knows none of them; a program
/// with other handlers builds its own registry (see Samples/extension-example).
let builtInHandlers = HandlerRegistry([MemfdHandler(), ShmHandler(), DmabufHandler()])

@main
struct AdoptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Take another process's shared buffer (memfd, /dev/shm, dma-buf) by pid and fd.",
        discussion: """
            Examples:
              adopt 1234 3                  identify, map and preview fd 3 of process 1234
              adopt --type dmabuf 1234 5    the same, refusing anything but a dma-buf
              adopt --watch 1234 3          keep it and print it every second, also after 1234 exits
              adopt --dump out.bin 1234 3   copy its contents out
              adopt list --all              every adoptable buffer of every process we may inspect
              adopt demo                    a memfd outliving its producer
            """,
        subcommands: [AdoptOne.self, ListCommand.self, DemoCommand.self,
                      HoldCommand.self, KeeperCommand.self, ExecCommand.self, FdstoreCommand.self, WatchCommand.self],
        defaultSubcommand: AdoptOne.self)
}

/// Options shared by every subcommand that acquires fds.
struct AcquireOptions: ParsableArguments {
    @Option(name: .long, help: "How to take the fd: auto (module, else pidfd, else procfs), kmod, pidfd or procfs.")
    var via: BackendChoice = .auto

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false
}

extension BackendChoice: ExpressibleByArgument {}

/// The backend for `--via`; when `auto` passes over a module it cannot
/// use, one line on stderr says so (Backends.choose: the policy).
func chosenBackend(_ choice: BackendChoice) -> any AcquisitionBackend {
    let (backend, note) = Backends.choose(choice)
    if let note { printError("adopt: \(note)") }
    return backend
}

/// Prints an adoption failure as one line (and its hints) and exits 1.
func fail(_ error: AdoptError) -> ExitCode {
    printError("adopt: \(error)")
    for hint in error.hints { printError("  hint: \(hint)") }
    return ExitCode(1)
}
