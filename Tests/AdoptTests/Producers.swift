// SPDX-License-Identifier: Apache-2.0
/// Producers the tests start: the project's samples, and python3 programs
/// (producers this project did not write).
enum Producers {
    static var memfd: String { Products.path("memfd-producer") }
    static var shm: String { Products.path("shm-producer") }

    /// 1 MiB memfd with byte i = (7i + 3) mod 256; the file offset is moved
    /// to 12345 so tests can check adopters never move it. Waits on stdin.
    static let pythonMemfd = """
        import os, sys
        fd = os.memfd_create("pyprod", os.MFD_ALLOW_SEALING)
        os.write(fd, bytes((7 * i + 3) % 256 for i in range(1 << 20)))
        os.lseek(fd, 12345, os.SEEK_SET)
        print("pid", os.getpid(), "fd", fd, flush=True)
        sys.stdin.readline()
        """

    static func pythonMemfdBytes() -> [UInt8] {
        (0..<(1 << 20)).map { UInt8((7 * $0 + 3) % 256) }
    }

    /// A 1 MiB memfd that shrinks to 4096 bytes when told "shrink".
    static let pythonShrinker = """
        import os, sys
        fd = os.memfd_create("shrinker", os.MFD_ALLOW_SEALING)
        os.write(fd, b"\\xab" * (1 << 20))
        print("pid", os.getpid(), "fd", fd, flush=True)
        for line in sys.stdin:
            try:
                os.ftruncate(fd, 4096)
                print("shrunk", flush=True)
            except OSError as e:
                print("refused", e.errno, flush=True)
        """

    /// Several buffers and some non-buffers; a forked child keeps only the
    /// 64 KiB memfd. Lines: "pid P fd F size S" per buffer, then "child C".
    static let pythonMany = """
        import os, sys, socket
        bufs = []
        for size in (4096, 65536, 1 << 20):
            fd = os.memfd_create("many-%d" % size)
            os.ftruncate(fd, size)
            bufs.append((fd, size, "memfd"))
        name = "/remotefd-test-%d" % os.getpid()
        sfd = os.open("/dev/shm" + name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.ftruncate(sfd, 8192)
        bufs.append((sfd, 8192, "shm"))
        r, w = os.pipe()
        s1, s2 = socket.socketpair()
        shared = bufs[1][0]
        child = os.fork()
        if child == 0:
            for fd, _, _ in bufs:
                if fd != shared:
                    os.close(fd)
            sys.stdin.readline()
            os._exit(0)
        for fd, size, kind in bufs:
            print("pid", os.getpid(), "fd", fd, "size", size, "type", kind, flush=True)
        print("child", child, "shm", name, flush=True)
        sys.stdin.readline()
        os.unlink("/dev/shm" + name)
        os.kill(child, 9)
        """
}

extension Producers {
    static var mapped: String { Products.path("mapped-producer") }

    /// A 1 MiB memfd mapped MAP_SHARED through libc (ctypes) and closed:
    /// held by the mapping alone (Python's mmap module would keep a dup of
    /// the fd). Byte i = (7i + 3) mod 256, every page touched. With a first
    /// argument "fork", a child shares the mapping (and nothing else) and
    /// reads it all before the parent speaks. Lines: "pid P addr 0xA size
    /// S", then "child C" (or "child 0").
    static let pythonMapped = """
        import os, sys, ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
        size = 1 << 20
        fd = os.memfd_create("pymapped")
        os.ftruncate(fd, size)
        addr = libc.mmap(None, size, 3, 1, fd, 0)
        os.close(fd)
        data = bytes((7 * i + 3) % 256 for i in range(size))
        ctypes.memmove(addr, data, size)
        child = 0
        if len(sys.argv) > 1 and sys.argv[1] == "fork":
            r, w = os.pipe()
            child = os.fork()
            if child == 0:
                ctypes.string_at(addr, size)  # fault every page in: Pss halves
                os.write(w, b"x")
                sys.stdin.readline()
                os._exit(0)
            os.read(r, 1)
        print("pid", os.getpid(), "addr", hex(addr), "size", size, flush=True)
        print("child", child, flush=True)
        sys.stdin.readline()
        if child:
            os.kill(child, 9)
        """
}
