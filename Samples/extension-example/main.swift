// SPDX-License-Identifier: Apache-2.0
// extension-example: handlers Core has never heard of, registered from
// outside, with no change to RemoteFD.
//
//   extension-example PID FD     adopt an eventfd: print its counter (read
//                                from fdinfo, so the owner's count is not
//                                consumed); the eventfd outlives its owner
//   extension-example list PID   adopt list with these handlers: a ring file
//                                (/tmp/ring-*) the process holds by mapping
//                                only gets a row, counted from smaps
//   extension-example check      HandlerConformance.check on both handlers,
//                                as a handler's own tests would run it
import RemoteFD
import SystemPackage
import Glibc
import MemfdPlugin
import ShmPlugin

/// eventfd(2) objects: anonymous inodes whose link reads "anon_inode:[eventfd]".
struct EventfdHandler: ResourceHandler, ResourceListing {
    var type: String { "eventfd" }
    var displayName: String { "an eventfd" }

    func probe(_ file: AdoptedFile) -> Bool {
        // Anonymous inodes have no type bits worth checking: the link tells.
        file.stat.st_mode & S_IFMT != S_IFREG && file.link == "anon_inode:[eventfd]"
    }

    func describe(_ file: AdoptedFile) -> Description {
        var d = Description()
        d.append("name", .null)
        d.append("count", file.fdinfo["eventfd-count"].flatMap { Int64($0, radix: 16) }.map(Description.Value.int) ?? .null)
        d.append("semaphore", file.fdinfo["eventfd-semaphore"] == "1")
        return d
    }

    func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
        throw AdoptError(file, reason: .mapRefused, errno: .operationNotSupportedByDevice,
                         "an eventfd has a counter, not memory to map")
    }

    func listDetail(_ description: Description) -> String { "count=" + (description["count"]?.text ?? "?") }
}

/// Ring files: regular files named /tmp/ring-NAME that programs map shared
/// and then close. It claims their mappings, so `adopt list` shows a ring
/// held by a mapping alone.
struct RingFileHandler: ResourceHandler, ResourceListing {
    static let prefix = "/tmp/ring-"

    var type: String { "ring" }
    var displayName: String { "a ring file" }

    func probe(_ file: AdoptedFile) -> Bool {
        file.isRegularFile && file.link.hasPrefix(Self.prefix)
    }

    func describe(_ file: AdoptedFile) -> Description {
        var d = Description()
        d.append("name", String(MappingClaim.pathWithoutDeleted(file.link)!.dropFirst(Self.prefix.count)))
        return d
    }

    func open(_ file: AdoptedFile, options: AccessOptions) throws(AdoptError) -> any BufferAccess {
        try FileBufferAccess.open(file, options: options)
    }

    func listDetail(_ description: Description) -> String { "ring " + (description["name"]?.text ?? "?") }

    /// Page-cache files: smaps counts their resident pages.
    var mappingClaims: [MappingClaim] {
        [MappingClaim(pathPrefix: Self.prefix, counting: .smaps, name: { path in
            MappingClaim.pathWithoutDeleted(path).map { String($0.dropFirst(RingFileHandler.prefix.count)) }
        })]
    }
}

/// One line on stderr (Swift 6 refuses the C `stderr` global: it is shared mutable state).
func printError(_ message: String) {
    var line = "extension-example: \(message)\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    printError(message)
    exit(1)
}

var handlers = HandlerRegistry([MemfdHandler(), ShmHandler()])
handlers.register(EventfdHandler())
handlers.register(RingFileHandler())

let args = CommandLine.arguments
switch (args.count, args.dropFirst().first) {
case (3, "list"):
    guard let pid = pid_t(args[2]) else { fail("usage: extension-example list PID") }
    let result = Inventory(handlers: handlers, backend: Backends.resolve(.auto)).scan(pids: [pid], findSharers: false)
    for e in result.entries {
        print("pid \(pid) \(e.origin) type \(e.type) size \(e.size) held \(e.held) name \(e.name ?? "-") detail \(e.detail) rss \(e.rss.map(String.init) ?? "-")")
    }
    for error in result.errors { printError("\(error)") }
case (2, "check"):
    // Files of our own: an eventfd and a ring file, each refused by the other's handler.
    // eventfd(2): glibc has it, Swift's Glibc module does not export it.
    typealias EventfdCall = @convention(c) (UInt32, Int32) -> Int32
    guard let symbol = dlsym(nil, "eventfd") else { fail("no eventfd in libc") }
    let event = unsafeBitCast(symbol, to: EventfdCall.self)(3, O_CLOEXEC)
    let ringPath = RingFileHandler.prefix + "check-\(getpid())"
    let ring = Glibc.open(ringPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard event >= 0, ring >= 0 else { fail("cannot make an eventfd and \(ringPath)") }
    defer { unlink(ringPath) }
    let adopter = Adopter(handlers: handlers, via: .pidfd)
    do {
        let eventFile = try adopter.adopt(pid: getpid(), fd: event).file
        let ringFile = try adopter.adopt(pid: getpid(), fd: ring).file
        let problems = HandlerConformance.check(EventfdHandler(), takes: [eventFile], refuses: [ringFile])
            + HandlerConformance.check(RingFileHandler(), takes: [ringFile], refuses: [eventFile],
                                       claims: [RingFileHandler.prefix + "x (deleted)"])
        for problem in problems { print("problem: \(problem)") }
        print(problems.isEmpty ? "conforms: eventfd, ring" : "\(problems.count) problems")
        exit(problems.isEmpty ? 0 : 1)
    } catch {
        fail("\(error)")
    }
case (3, _):
    guard let pid = pid_t(args[1]), let fd = Int32(args[2]) else { fail("usage: extension-example PID FD") }
    do {
        let adoption = try Adopter(handlers: handlers).adopt(pid: pid, fd: fd)
        print(adoption.describe().text)
    } catch {
        fail("\(error)")
    }
default:
    fail("usage: extension-example PID FD | list PID | check")
}
