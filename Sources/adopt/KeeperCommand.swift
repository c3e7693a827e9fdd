import ArgumentParser
import RemoteFD
import RemoteFDHandOff
import RemoteFDKeeper
import Glibc
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
            let buffers: [HeldBufferInfo]
            do {
                buffers = try KeeperClient(socketPath: socket.path).list()
            } catch {
                throw fail(error)
            }
            if json {
                print("{\"socket\":\(JSON.quote(socket.path)),\"buffers\":[" + buffers.map(\.description.json).joined(separator: ",") + "]}")
                return
            }
            let header = ["NAME", "TYPE", "SIZE", "OWNER", "FROM", "INODE"]
            let rows = buffers.map { [$0.name, $0.type, String($0.size), String($0.ownerUID), "\($0.sourcePID):\($0.sourceFD)", String($0.inode)] }
            let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max()! }
            for row in [header] + rows {
                print(row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count) }
                    .joined(separator: "  "))
            }
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
        @Argument(help: "The buffer's name.") var name: String
        @Argument(parsing: .postTerminator, help: "With --exec: the command.") var command: [String] = []

        func validate() throws {
            if exec == command.isEmpty { throw ValidationError("--exec and a command after -- go together") }
        }

        func run() throws {
            let info: HeldBufferInfo
            let fd: FileDescriptor
            do {
                (info, fd) = try KeeperClient(socketPath: socket.path).get(name)
            } catch {
                throw fail(error)
            }
            if exec { throw execHandingOn([ListenFDs.Entry(name: name, descriptor: fd)], command: command) }
            if let toFdstore {
                do { try FdStore.store(fd, name: toFdstore) } catch { throw fail(error, pid: info.sourcePID, fd: info.sourceFD) }
                print("stored \(name) in the fd store as \(toFdstore)")
                return
            }
            let adoption: Adoption
            do {
                let file = try AdoptedFile(descriptor: fd, pid: info.sourcePID, fd: info.sourceFD, backendName: "keeper")
                guard let identified = Adoption.identify(file, handlers: builtInHandlers) else {
                    throw fail(AdoptError(pid: info.sourcePID, fd: info.sourceFD, reason: .notAdoptable(kind: FileKind.describe(file)),
                                          "the keeper's \(name) is not an adoptable buffer: \(FileKind.describe(file))"))
                }
                adoption = identified
            } catch let error as Errno {
                throw fail(AdoptError(pid: info.sourcePID, fd: info.sourceFD, reason: .other, errno: error, "fstat of the fd from the keeper failed"))
            }
            do {
                let access = try adoption.open()
                if let dump {
                    try Dumper(access: access, adoption: adoption).dump(to: dump, offset: 0, length: nil)
                    return
                }
                var description = adoption.describe()
                description["via"] = .string("keeper \(socket.path)")
                description.append("keeper_name", name)
                description.append("owner_uid", Int(info.ownerUID))
                let bytes = try access.bytes(at: 0, length: 256)
                if json {
                    description.append("preview_hex", bytes.map { hex(Int($0), width: 2) }.joined())
                    print(description.json)
                } else {
                    print(description.text)
                    print("")
                    print(bytes.isEmpty ? "(empty)" : hexPreview(bytes, startingAt: 0))
                }
            } catch {
                throw fail(error)
            }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the keeper close its fd for a buffer.")

        @OptionGroup var socket: KeeperSocketOption
        @Argument(help: "The buffer's name.") var name: String

        func run() throws {
            do { try KeeperClient(socketPath: socket.path).release(name) } catch { throw fail(error) }
            print("released \(name)")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Adopt PID:FD here (with this uid's rights) and give it to the keeper under NAME.")

        @OptionGroup var acquire: AcquireOptions
        @OptionGroup var socket: KeeperSocketOption
        @Argument(help: "The name to keep it under.") var name: String
        @Argument(help: "PID:FD of the buffer.") var source: PidFd

        func run() throws {
            let adoption: Adoption
            do {
                adoption = try Adopter(handlers: builtInHandlers, backend: chosenBackend(acquire.via)).adopt(pid: source.pid, fd: source.fd)
            } catch {
                throw fail(error)
            }
            let info: HeldBufferInfo?
            do {
                info = try KeeperClient(socketPath: socket.path).add(name, descriptor: adoption.file.descriptor,
                                                                     source: KeeperRequest.Source(pid: source.pid, fd: source.fd))
            } catch {
                throw fail(error)
            }
            if acquire.json, let info {
                print(info.description.json)
            } else {
                print("added \(name): \(adoption.type) \(info?.size ?? adoption.file.currentSize) bytes from pid \(source.pid) fd \(source.fd)")
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
            do {
                let count = try KeeperClient(socketPath: socket.path).handover(to: to)
                print("handed over \(count) buffers from \(socket.path) to \(to)")
            } catch {
                throw fail(error)
            }
        }
    }
}
