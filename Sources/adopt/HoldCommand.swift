import ArgumentParser
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper
import Glibc

/// `adopt hold`: the keeper.
struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Keep adopted buffers alive after their owners exit and serve them on a Unix socket.",
        discussion: """
            Adopts each PID:FD under the --name given in the same position, then serves
            list, get (the fd is passed with SCM_RIGHTS), release, add and handover on
            the socket until SIGINT/SIGTERM/SIGHUP or a handover. Clients are checked with
            SO_PEERCRED: root, or the uid that added a buffer, may get or release it.
            Prints one line per event ("ready", "added", "given", "released",
            "refused", "handed-over", "stopped"), or JSON objects with --json.

              adopt hold --socket /run/cam.sock --name cam0 1234:3 --name cam1 1234:5
            """)

    @OptionGroup var acquire: AcquireOptions
    @OptionGroup var socket: KeeperSocketOption

    @Option(name: .long, help: "Socket file mode (octal). Other uids need write access to connect; SO_PEERCRED still decides what they may take.")
    var mode: String = "600"

    @Option(name: .customLong("name"), help: "Name for the PID:FD in the same position (repeat).")
    var names: [String] = []

    @Option(name: .long, help: "Owner uid of the buffers given on the command line (default: this process's uid).")
    var owner: UInt32?

    @Argument(help: "PID:FD of each buffer to adopt.")
    var sources: [PidFd] = []

    func validate() throws {
        guard names.count == sources.count else {
            throw ValidationError("give one --name per PID:FD (\(names.count) names, \(sources.count) PID:FD)")
        }
        for name in names where !KeeperProtocol.isValidName(name) {
            throw ValidationError("bad name '\(name)' (\(KeeperProtocol.nameRule))")
        }
        guard Set(names).count == names.count else { throw ValidationError("names must be unique") }
        guard mode_t(mode, radix: 8) != nil else { throw ValidationError("--mode takes an octal mode such as 600 or 666") }
    }

    func run() throws {
        let json = acquire.json
        let keeper = Keeper(handlers: builtInHandlers) { event, fields in printEvent(event, fields, json: json) }
        let adopter = Adopter(handlers: builtInHandlers, backend: chosenBackend(acquire.via))
        for (name, source) in zip(names, sources) {
            do {
                let adoption = try adopter.adopt(pid: source.pid, fd: source.fd)
                try keeper.keep(adoption, name: name, owner: owner ?? getuid())
            } catch let error as AdoptError {
                throw fail(error)
            } catch let error as KeeperError {
                throw fail(error)
            }
        }
        do {
            try keeper.listen(at: socket.path, mode: mode_t(mode, radix: 8)!)
            try keeper.run()
        } catch {
            throw fail(error)
        }
    }
}
