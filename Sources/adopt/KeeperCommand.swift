// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Glibc
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper
import SystemPackage

/// `adopt keeper …`: the client side of `adopt hold`.
struct KeeperCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keeper",
        abstract: "Talk to a running keeper (adopt hold): list, get, release, add, handover.",
        subcommands: [List.self, Get.self, Release.self, Add.self, Handover.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The buffers the keeper holds that this uid may use.")

        @OptionGroup var socket: KeeperSocketOption
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let buffers = try KeeperClient(socketPath: socket.path).list()
            if json {
                print("{\"socket\":\(JSON.quote(socket.path)),\"buffers\":[" + buffers.map(\.description.json).joined(separator: ",") + "]}")
                return
            }
            printTable(header: ["NAME", "TYPE", "SIZE", "OWNER", "FROM", "INODE"],
                       rows: buffers.map { [$0.name, $0.type, String($0.size), String($0.ownerUID), "\($0.sourcePID):\($0.sourceFD)", String($0.inode)] })
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a buffer from the keeper (it keeps it too): describe and preview it, dump it, or hand it on.")

        @OptionGroup var socket: KeeperSocketOption
        @Flag(name: .long, help: "Print JSON.") var json = false
        @Option(name: .long, help: "Copy its contents to FILE ('-' for standard output).") var dump: String?
        @Option(name: .long, help: "Hand it to systemd's fd store ($NOTIFY_SOCKET) under this name.") var toFdstore: String?
        @Flag(name: .long, help: "Exec the command after -- with it as LISTEN_FDS (named NAME).") var exec = false
        @Option(name: .long, help: "With --format: the frame's byte offset.") var offset: Int = 0
        @OptionGroup(title: "Frames") var frame: FrameOptions
        @Argument(help: "The buffer's name.") var name: String
        @Argument(parsing: .postTerminator, help: "With --exec: the command.") var command: [String] = []

        func validate() throws {
            let handOn = try handOn()
            guard offset >= 0 else { throw ValidationError("--offset must be >= 0") }
            if let request = try frame.request() {
                if handOn != nil { throw ValidationError("--format shows the frame or writes it (--image): not with --dump, --to-fdstore or --exec") }
                if request.view && json { throw ValidationError("--view draws the frame: not with --json") }
            }
        }

        func handOn() throws -> HandOn? {
            try HandOn.from(dump: dump, toFdstore: toFdstore, exec: exec, fdname: exec ? name : nil, command: command)
        }

        func run() throws {
            let handOn = try handOn()
            let (info, fd) = try KeeperClient(socketPath: socket.path).get(name)
            let pid: pid_t? = info.sourcePID >= 0 ? info.sourcePID : nil
            let sourceFD: Int32? = info.sourceFD >= 0 ? info.sourceFD : nil
            let file: AdoptedFile
            do {
                file = try AdoptedFile(descriptor: fd, pid: pid, origin: sourceFD.map { .fd($0) } ?? .received("keeper buffer \(name)"), backendName: "keeper")
            } catch {
                try? fd.close()
                throw AdoptError(pid: pid, fd: sourceFD, reason: .other, errno: error, "fstat of the fd from the keeper failed")
            }
            guard let adoption = Adoption.identify(file, handlers: builtInHandlers) else {
                if case .exec? = handOn {} else if case .fdstore? = handOn {} else {
                    throw AdoptError(pid: pid, fd: sourceFD, reason: .notAdoptable(kind: FileKind.describe(file)),
                                     "the keeper's \(name) is not an adoptable buffer: \(FileKind.describe(file))")
                }
                // Handed on as it is: what it is does not matter to exec or the fd store.
                try handOnUnidentified(handOn!, file: file, info: info)
                return
            }
            if let handOn {
                try handOn.perform([adoption], pid: info.sourcePID, defaultName: name, socket: socket.path, announce: { event, fields in
                    if event == "stored" { print("stored \(name) in the fd store as \(fields["name"]?.text ?? "")") }
                })
                return
            }
            var description = adoption.describe()
            description["via"] = .string("keeper \(socket.path)")
            description.append("keeper_name", name)
            description.append("owner_uid", Int(info.ownerUID))
            let access = try adoption.open()
            if let request = try frame.request() {
                // --format auto asks the buffer's first owner, if it still runs.
                let owner = pid.flatMap { try? TargetProcess(pid: $0) }
                let spec = try request.resolve(adoption, access: access, offset: offset, owner: owner, via: .auto)
                let output = FrameOutput(adoption: adoption, access: access, spec: spec, request: request)
                output.announceSource()
                if let image = request.image { return try output.writeImage(to: image) }
                if request.view || (!json && isatty(STDOUT_FILENO) == 1) { return try output.view() }
                description.append("frame", spec.summary + (spec.source.map { " (\($0))" } ?? ""))
                return try printPreview(description, access, offset: offset, length: 256, json: json)
            }
            try printPreview(description, access, offset: 0, length: 256, json: json,
                             jsonOffset: false, empty: "(empty)")
        }

        /// exec and the fd store take any fd, identified or not (as before
        /// identification was needed to preview).
        private func handOnUnidentified(_ handOn: HandOn, file: AdoptedFile, info: HeldBufferInfo) throws {
            switch handOn {
            case .exec(_, let command):
                throw execHandingOn([ListenFDs.Entry(name: name, descriptor: file.descriptor)], command: command)
            case .fdstore(let storeName):
                try storeInFdStore(file, name: storeName)
                print("stored \(name) in the fd store as \(storeName)")
            default:
                break
            }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the keeper close its fd for a buffer.")

        @OptionGroup var socket: KeeperSocketOption
        @Argument(help: "The buffer's name.") var name: String

        func run() throws {
            try KeeperClient(socketPath: socket.path).release(name)
            print("released \(name)")
        }
    }

    struct Add: ParsableCommand, Deprecating {
        static let configuration = CommandConfiguration(
            abstract: "Adopt PID:FD here (with this uid's rights) and give it to the keeper under NAME.")

        @OptionGroup var acquire: AcquireOptions
        @OptionGroup var socket: KeeperSocketOption
        @Argument(help: "NAME=PID:FD: the name to keep it under, and the buffer.") var item: String
        @Argument(help: .hidden) var sourceDeprecated: PidFd?

        var deprecations: [String] {
            sourceDeprecated != nil ? [deprecated("keeper add NAME PID:FD", "keeper add NAME=PID:FD")] : []
        }

        /// NAME=PID:FD, or the previous release's NAME PID:FD.
        var named: NamedPidFd? {
            if let sourceDeprecated { return NamedPidFd(name: item, source: sourceDeprecated) }
            return NamedPidFd(argument: item)
        }

        func validate() throws {
            guard named != nil else { throw ValidationError("give the buffer as NAME=PID:FD") }
        }

        func run() throws {
            let item = named!
            let source = item.source
            let adoption = try Adopter(handlers: builtInHandlers, backend: chosenBackend(acquire.via), logger: Verbose.logger)
                .adopt(source, via: acquire.via)
            let info = try KeeperClient(socketPath: socket.path).hold(adoption, name: item.name)
            if acquire.json, let info {
                print(info.description.json)
            } else {
                print("added \(item.name): \(adoption.type) \(info?.size ?? adoption.file.currentSize) bytes from \(adoption.file.source)")
            }
        }
    }

    struct Handover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the keeper give every buffer and its listening socket to the keeper at PATH, then exit.",
            discussion: """
                Start the successor first on another path (adopt hold --socket NEW), then
                run this. The successor then also serves the old path, so clients need no
                change. If the successor refuses a buffer, the old keeper keeps everything.
                Only root or the keeper's own uid may ask.
                """)

        @OptionGroup var socket: KeeperSocketOption
        @Option(name: .long, help: "The successor keeper's socket.") var to: String

        func run() throws {
            let count = try KeeperClient(socketPath: socket.path).handover(to: to)
            print("handed over \(count) buffers from \(socket.path) to \(to)")
        }
    }
}
