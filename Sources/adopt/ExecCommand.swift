// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper
import Glibc
import SystemPackage

/// `adopt exec NAME=PID:FD … -- CMD ARGS`: hand buffers to a new program
/// the systemd way.
struct ExecCommand: ParsableCommand, Deprecating {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Adopt buffers and exec a command with them as LISTEN_FDS (fds 3…, LISTEN_PID, LISTEN_FDNAMES).",
        usage: "adopt exec [--via <via>] [NAME=PID:FD ...] [--from-keeper <NAME> ...] [--socket <socket>] -- CMD [ARG ...]",
        discussion: """
            adopt replaces itself with CMD, so LISTEN_PID is CMD's pid. Close-on-exec is
            cleared only on the fds handed over (in the order given); every other fd above
            2 is closed at exec. A restarted producer picks its buffer up with
            sd_listen_fds_with_names(3).

              adopt exec counter=1234:3 -- restartable-producer
              adopt exec --from-keeper cam0 --socket /run/cam.sock -- my-producer
            """)

    @OptionGroup var acquire: AcquireOptions

    @Argument(help: "NAME=PID:FD: adopt fd FD of PID and pass it under NAME (in this order).")
    var items: [NamedPidFd] = []

    @Option(name: .customLong("from-keeper"), help: "NAME: get this buffer from the keeper and pass it under NAME (after the others).")
    var fromKeeper: [String] = []

    @OptionGroup var socket: KeeperSocketOption

    @Option(name: .customLong("fd"), help: .hidden)
    var fdsDeprecated: [NamedPidFd] = []

    /// The command and its arguments: everything after the first "--",
    /// split off by `AdoptCommand.main` before parsing (ArgumentParser
    /// allows no positional array before a post-terminator one).
    var command: [String] = []

    enum CodingKeys: String, CodingKey {
        case acquire, items, fromKeeper, socket, fdsDeprecated
    }

    var deprecations: [String] {
        fdsDeprecated.isEmpty ? [] : [deprecated("exec --fd NAME=PID:FD", "exec NAME=PID:FD")]
    }

    /// The old --fd ones first, as they came first before.
    private var buffers: [NamedPidFd] { fdsDeprecated + items }

    func validate() throws {
        let names = buffers.map(\.name) + fromKeeper
        guard !names.isEmpty else { throw ValidationError("give at least one NAME=PID:FD or --from-keeper NAME") }
        for name in names where !FdName.isValid(name) {
            throw ValidationError("bad fd name '\(name)' (\(FdName.rule))")
        }
    }

    func run() throws {
        guard !command.isEmpty else {
            // As the parser reports its own errors: message and this command's usage.
            ExecCommand.exit(withError: ValidationError("give the command after --"))
        }
        let adopter = Adopter(handlers: builtInHandlers, backend: chosenBackend(acquire.via), logger: Verbose.logger)
        var adoptions: [Adoption] = []
        var entries: [ListenFDs.Entry] = []
        for item in buffers {
            let adoption = try adopter.adopt(item.source, via: acquire.via)
            try HandOn.requireFDs([adoption], for: "--exec")
            adoptions.append(adoption)
            entries.append(ListenFDs.Entry(name: item.name, descriptor: adoption.file.descriptor))
        }
        if !fromKeeper.isEmpty {
            let client = try KeeperClient(socketPath: socket.path)
            for name in fromKeeper {
                entries.append(ListenFDs.Entry(name: name, descriptor: try client.get(name).1))
            }
        }
        // The adoptions own the fds: keep them alive until exec.
        throw withExtendedLifetime(adoptions) { execHandingOn(entries, command: command) }
    }
}

/// `adopt fdstore NAME=PID:FD …`: hand buffers to systemd's fd store.
struct FdstoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fdstore",
        abstract: "Adopt buffers and hand them to systemd's file descriptor store ($NOTIFY_SOCKET: FDSTORE=1, FDNAME=NAME).",
        discussion: """
            For a service with FileDescriptorStoreMax=N; run from inside the service
            (its main process, or any process with NotifyAccess=all). systemd passes the
            fds back to the next start of the service as LISTEN_FDS with LISTEN_FDNAMES.
            One datagram per fd.

              adopt fdstore counter=1234:3
            """)

    @OptionGroup var acquire: AcquireOptions

    @Argument(help: "NAME=PID:FD of each buffer.")
    var items: [NamedPidFd]

    func validate() throws {
        for item in items where !FdName.isValid(item.name) {
            throw ValidationError("bad fd name '\(item.name)' (\(FdName.rule))")
        }
    }

    func run() throws {
        let adopter = Adopter(handlers: builtInHandlers, backend: chosenBackend(acquire.via), logger: Verbose.logger)
        for item in items {
            let adoption = try adopter.adopt(item.source, via: acquire.via)
            try HandOn.requireFDs([adoption], for: "fdstore")
            try storeInFdStore(adoption.file, name: item.name)
            print("stored \(adoption.file.source) (\(adoption.type)) as \(item.name)")
        }
    }
}
