// extension-example: a handler Core has never heard of, registered from
// outside. It adopts eventfds: `extension-example PID FD` prints the
// eventfd's counter (read from fdinfo, so the owner's count is not consumed)
// and, like every adoption, keeps the eventfd alive after its owner exits.
import RemoteFD
import SystemPackage
import Glibc
import MemfdPlugin
import ShmPlugin

/// eventfd(2) objects: anonymous inodes whose link reads "anon_inode:[eventfd]".
struct EventfdHandler: ResourceHandler {
    var type: String { "eventfd" }
    var displayName: String { "an eventfd" }

    func probe(_ file: AdoptedFile) -> Bool {
        // Anonymous inodes have no type bits worth checking: the link tells.
        file.stat.st_mode & S_IFMT != S_IFREG && file.link == "anon_inode:[eventfd]"
    }

    func describe(_ file: AdoptedFile) -> Description {
        var d = Description()
        d.append("count", file.fdinfo["eventfd-count"].flatMap { Int64($0, radix: 16) }.map(Description.Value.int) ?? .null)
        d.append("semaphore", file.fdinfo["eventfd-semaphore"] == "1")
        return d
    }

    func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
        throw AdoptError(file, reason: .mapRefused, errno: .operationNotSupportedByDevice,
                         "an eventfd has a counter, not memory to map")
    }
}

let args = CommandLine.arguments
guard args.count == 3, let pid = pid_t(args[1]), let fd = Int32(args[2]) else {
    fputs("usage: extension-example PID FD\n", stderr)
    exit(2)
}
var handlers = HandlerRegistry([MemfdHandler(), ShmHandler()])
handlers.register(EventfdHandler())
do {
    let adoption = try Adopter(handlers: handlers).adopt(pid: pid, fd: fd)
    print(adoption.describe().text)
} catch {
    fputs("extension-example: \(error)\n", stderr)
    exit(1)
}
