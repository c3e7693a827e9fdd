// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Glibc
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper

/// `adopt hold`: the keeper.
struct HoldCommand: ParsableCommand, Deprecating {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Keep adopted buffers alive after their owners exit and serve them on a Unix socket.",
        discussion: """
            Adopts each NAME=PID:FD, then serves list, get (the fd is passed with
            SCM_RIGHTS), release, add and handover on the socket until SIGINT/SIGTERM/SIGHUP
            or a handover. Clients are checked with SO_PEERCRED: root, or the uid that added
            a buffer, may get or release it. Prints one line per event ("ready", "added",
            "given", "released", "refused", "handed-over", "stopped"), or JSON objects with
            --json.

              adopt hold --socket /run/cam.sock cam0=1234:3 cam1=1234:5
            """)

    @OptionGroup var acquire: AcquireOptions
    @OptionGroup var socket: KeeperSocketOption

    @Option(name: .long, help: "Socket file mode (octal). Other uids need write access to connect; SO_PEERCRED still decides what they may take.")
    var mode: String = "600"

    @Option(name: .long, help: "Owner uid of the buffers given on the command line (default: this process's uid).")
    var owner: UInt32?

    @Option(name: .customLong("name"), help: .hidden)
    var namesDeprecated: [String] = []

    @Argument(help: "NAME=PID:FD of each buffer to adopt and keep.")
    var items: [String] = []

    var deprecations: [String] {
        namesDeprecated.isEmpty ? [] : [deprecated("hold --name NAME PID:FD", "hold NAME=PID:FD")]
    }

    /// NAME=PID:FD each, or the previous release's --name NAME … PID:FD …
    /// paired by position.
    func buffers() throws -> [NamedPidFd] {
        if !namesDeprecated.isEmpty {
            let sources = items.compactMap { PidFd(argument: $0) }
            guard sources.count == items.count, namesDeprecated.count == sources.count else {
                throw ValidationError("give one --name per PID:FD (\(namesDeprecated.count) names, \(items.count) PID:FD)")
            }
            return zip(namesDeprecated, sources).map { NamedPidFd(name: $0, source: $1) }
        }
        return try items.map { item in
            guard let named = NamedPidFd(argument: item) else {
                throw ValidationError("give each buffer as NAME=PID:FD (got '\(item)')")
            }
            return named
        }
    }

    func validate() throws {
        let names = try buffers().map(\.name)
        for name in names where !KeeperProtocol.isValidName(name) {
            throw ValidationError("bad name '\(name)' (\(KeeperProtocol.nameRule))")
        }
        guard Set(names).count == names.count else { throw ValidationError("names must be unique") }
        guard mode_t(mode, radix: 8) != nil else { throw ValidationError("--mode takes an octal mode such as 600 or 666") }
    }

    func run() throws {
        let json = acquire.json
        let keeper = Keeper(handlers: builtInHandlers) { event, fields in printEvent(event, fields, json: json) }
        let adopter = Adopter(handlers: builtInHandlers, backend: chosenBackend(acquire.via), logger: Verbose.logger)
        for item in try buffers() {
            let adoption = try adopter.adopt(item.source, via: acquire.via)
            try keeper.keep(adoption, name: item.name, owner: owner ?? getuid())
        }
        try keeper.listen(at: socket.path, mode: mode_t(mode, radix: 8)!)
        try keeper.run()
    }
}
