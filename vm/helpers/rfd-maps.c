// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-maps: the module's GETMAP (the file behind a mapping, issue 14).
 *
 *   rfd-maps matrix LABEL      permission matrix at the current Yama scope:
 *                              GETMAP by pid, by pidfd and through a handle
 *                              answer as pidfd_getfd(2) does for the same
 *                              target's fd (the target maps a memfd and keeps
 *                              the fd for the reference); run as root
 *   rfd-maps malformed LABEL   addresses: the mapped memfd (fd closed; out
 *                              fields), inside it, its last byte, its end,
 *                              unmapped, anonymous shared (a shmem file:
 *                              returned), anonymous private, the heap, the stack,
 *                              [vvar], [vdso], kernel addresses, ~0, 0; and
 *                              non-zero reserved fields, bad fd_flags, bad
 *                              target flags; by pid, by pidfd, by handle
 *   rfd-maps produce SIZE      a producer: maps a memfd and a /dev/shm file
 *                              of SIZE bytes, closes both fds, fills them
 *                              with the pattern, prints "pid P memfd ADDR
 *                              shm ADDR path /dev/shm/NAME", then sleeps
 *   rfd-maps pattern SIZE      the pattern on stdout: byte i = (7i + 3) & 255
 *
 * One PASS/FAIL line per check.
 */
#include "rfd-test.h"
#include <signal.h>
#include <sys/prctl.h>

/* The Yama ptrace_scope the current pass runs at. */
static int scope;

struct target {
	pid_t pid;
	int memfd;		/* its fd of the mapped memfd (kept: the reference) */
	unsigned long addr;	/* the mapping of that memfd */
	unsigned long closed;	/* a second memfd, mapped, fd closed */
	unsigned long anon;	/* anonymous shared memory: a shmem file ("/dev/zero") */
	unsigned long anonpriv;	/* anonymous private memory: no file */
	unsigned long heap;	/* malloc'd (brk) */
	unsigned long stack;	/* a local */
};

#define MAPSZ (4 * 4096UL)

/* Fork a target as `uid` (0: stay root) with its mappings; fills t. */
static void spawn_target(struct target *t, uid_t uid, int nondump)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		struct target me;
		int fd2;
		void *m, *c, *a, *ap;
		char *h;

		close(p[0]);
		if (uid && getuid() != uid)
			drop_to(uid);
		prctl(PR_SET_DUMPABLE, nondump ? 0 : 1);
		me.memfd = memfd_create("maps-kept", 0);
		fd2 = memfd_create("maps-closed", 0);
		if (me.memfd < 0 || fd2 < 0 || ftruncate(me.memfd, MAPSZ) ||
		    ftruncate(fd2, MAPSZ))
			_exit(3);
		m = mmap(NULL, MAPSZ, PROT_READ | PROT_WRITE, MAP_SHARED, me.memfd, 0);
		c = mmap(NULL, MAPSZ, PROT_READ, MAP_SHARED, fd2, 4096 * 0);
		a = mmap(NULL, MAPSZ, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ap = mmap(NULL, MAPSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		h = malloc(64);
		if (m == MAP_FAILED || c == MAP_FAILED || a == MAP_FAILED || ap == MAP_FAILED || !h)
			_exit(3);
		close(fd2);
		memcpy(m, "maps-kept", 9);
		me.pid = getpid();
		me.addr = (unsigned long)m;
		me.closed = (unsigned long)c;
		me.anon = (unsigned long)a;
		me.anonpriv = (unsigned long)ap;
		memset(ap, 1, 8);
		me.heap = (unsigned long)h;
		me.stack = (unsigned long)&me;
		if (write(p[1], &me, sizeof(me)) != sizeof(me))
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], t, sizeof(*t)) != sizeof(*t))
		die("target setup");
	close(p[0]);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* GETMAP on the device (target pid or pidfd) or a handle (target 0). */
static int getmap(int fd, unsigned long req, int target, unsigned int flags,
		  unsigned long addr, struct remotefd_getmap *out)
{
	struct remotefd_getmap g;
	int r;

	memset(&g, 0, sizeof(g));
	g.target = target;
	g.flags = flags;
	g.addr = addr;
	g.fd_flags = O_CLOEXEC;
	r = ioctl(fd, req, &g);
	if (out)
		*out = g;
	return r < 0 ? -errno : r;
}

/* ---- matrix ---- */

static int matrix_cell(const char *label, enum rfd_caller c, int nondump, struct target *t)
{
	int dev, pidfd, ref, by_pid, by_pidfd, by_handle, handle, exp, agree;
	struct target own;

	switch (c) {
	case ROOT:
		break;
	case SAME:
		drop_to(1000);
		break;
	case PARENT:
		drop_to(1000);
		spawn_target(&own, 1000, nondump);
		t = &own;
		break;
	case OTHER:
		drop_to(1001);
		break;
	case MIXED:
		if (setgroups(0, NULL) || setresgid(1001, 1000, 1000) ||
		    setresuid(1001, 1000, 1000))
			die("setresuid");
		break;
	default:
		break;
	}
	dev = open("/dev/remotefd", O_RDWR);
	pidfd = sys_pidfd_open(t->pid);
	if (dev < 0 || pidfd < 0)
		die("open device/pidfd");

	ref = pidfd_getfd_res(t->pid, t->memfd);
	by_pid = getmap(dev, REMOTEFD_IOC_GETMAP, t->pid, 0, t->addr + 5, NULL);
	by_pidfd = getmap(dev, REMOTEFD_IOC_GETMAP, pidfd, REMOTEFD_TARGET_PIDFD, t->addr, NULL);
	handle = rfd_attach(dev, pidfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC);
	by_handle = handle >= 0 ? getmap(handle, REMOTEFD_HANDLE_IOC_GETMAP, 0, 0, t->addr, NULL) : handle;
	exp = rfd_expected_ok(scope, c, nondump);

	agree = ref >= 0 ? by_pid >= 0 && by_pidfd >= 0 && by_handle >= 0 &&
		same_file(ref, by_pid) && same_file(ref, by_pidfd) && same_file(ref, by_handle)
		: by_pid == ref && by_pidfd == ref && by_handle == ref;
	check(agree && (ref >= 0) == exp,
	      "%s scope=%d caller=%s target=%s: expected %s, pidfd_getfd %s, GETMAP by pid %s, by pidfd %s, through a handle %s",
	      label, scope, rfd_caller_name[c], nondump ? "nondumpable" : "dumpable",
	      exp ? "OK" : "EPERM", res_name(ref), res_name(by_pid),
	      res_name(by_pidfd), res_name(by_handle));
	if (c == PARENT)
		reap(t->pid);
	return n_fail ? 1 : 0;
}

static int matrix(const char *label)
{
	int c, nondump, status, fails = 0, cells = 0;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");

	if (!f || fscanf(f, "%d", &scope) != 1)
		die("read ptrace_scope");
	fclose(f);
	for (c = 0; c < N_CALLERS; c++) {
		for (nondump = 0; nondump < 2; nondump++) {
			struct target t = { 0 };
			pid_t cpid;

			if (c != PARENT)
				spawn_target(&t, 1000, nondump);
			cpid = fork();
			if (cpid < 0)
				die("fork");
			if (!cpid)
				_exit(matrix_cell(label, c, nondump, &t));
			waitpid(cpid, &status, 0);
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				fails++;
			cells++;
			if (t.pid)
				reap(t.pid);
		}
	}
	printf("# %s scope %d: %d cells, %d failed\n", label, scope, cells, fails);
	return fails ? 1 : 0;
}

/* ---- malformed ---- */

/* Start of the first line of /proc/PID/maps ending in `what`, or 0. */
static unsigned long special(pid_t pid, const char *what)
{
	char path[64], line[512];
	unsigned long start = 0, s;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		size_t n = strlen(line), w = strlen(what);
		if (n >= w && !strcmp(line + n - w, what) && sscanf(line, "%lx-", &s) == 1) {
			start = s;
			break;
		}
	}
	fclose(f);
	return start;
}

static int malformed(const char *label)
{
	struct target t;
	struct remotefd_getmap g;
	int dev, pidfd, handle, r, before;
	unsigned long vvar, vdso;

	spawn_target(&t, 0, 0);
	dev = open("/dev/remotefd", O_RDWR);
	pidfd = sys_pidfd_open(t.pid);
	if (dev < 0 || pidfd < 0)
		die("open device/pidfd");
	handle = rfd_attach(dev, pidfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC);
	check(handle >= 0, "%s: attach: %s", label, res_name(handle));
	vvar = special(t.pid, "[vvar]");
	vdso = special(t.pid, "[vdso]");
	before = fd_count();

	struct { const char *name; unsigned long addr; int err; unsigned int kind; } cases[] = {
		{ "mapped memfd, fd closed", t.closed, 0, REMOTEFD_MAP_FILE },
		{ "inside it", t.closed + 4096 + 17, 0, REMOTEFD_MAP_FILE },
		{ "its last byte", t.closed + MAPSZ - 1, 0, REMOTEFD_MAP_FILE },
		{ "its end (next page)", t.closed + MAPSZ, -2, 0 },
		{ "unmapped (page 1)", 4096, -ENXIO, REMOTEFD_MAP_NONE },
		{ "address 0", 0, -ENXIO, REMOTEFD_MAP_NONE },
		{ "anonymous shared (a shmem file)", t.anon + 8, 1, REMOTEFD_MAP_FILE },
		{ "anonymous private", t.anonpriv + 8, -ENODEV, REMOTEFD_MAP_ANON },
		{ "heap", t.heap, -ENODEV, REMOTEFD_MAP_ANON },
		{ "stack", t.stack, -ENODEV, REMOTEFD_MAP_ANON },
		{ "[vvar]", vvar, -ENODEV, REMOTEFD_MAP_SPECIAL },
		{ "[vdso]", vdso, -ENODEV, REMOTEFD_MAP_SPECIAL },
		{ "kernel address (direct map)", 0xffff888000000000UL, -ENXIO, REMOTEFD_MAP_NONE },
		{ "kernel address (text)", 0xffffffff81000000UL, -ENXIO, REMOTEFD_MAP_NONE },
		{ "~0", ~0UL, -ENXIO, REMOTEFD_MAP_NONE },
		{ "non-canonical", 0x0000800000000000UL, -ENXIO, REMOTEFD_MAP_NONE },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *how[] = { "by pid", "by pidfd", "through a handle" };

		if (cases[i].addr == 0 && cases[i].kind == REMOTEFD_MAP_SPECIAL) {
			printf("SKIP %s: %s: not in this process's maps\n", label, cases[i].name);
			continue;
		}
		for (int w = 0; w < 3; w++) {
			r = w == 0 ? getmap(dev, REMOTEFD_IOC_GETMAP, t.pid, 0, cases[i].addr, &g)
			  : w == 1 ? getmap(dev, REMOTEFD_IOC_GETMAP, pidfd, REMOTEFD_TARGET_PIDFD, cases[i].addr, &g)
			  : getmap(handle, REMOTEFD_HANDLE_IOC_GETMAP, 0, 0, cases[i].addr, &g);
			if (cases[i].err == 0) {
				int ok = r >= 0 && g.kind == REMOTEFD_MAP_FILE && g.start == t.closed &&
					 g.end == t.closed + MAPSZ && g.pgoff == 0 && g.prot == PROT_READ &&
					 (g.map_flags & REMOTEFD_MAP_SHARED);
				char link[64], target[256] = "";
				if (r >= 0) {
					snprintf(link, sizeof(link), "/proc/self/fd/%d", r);
					ssize_t n = readlink(link, target, sizeof(target) - 1);
					target[n > 0 ? n : 0] = 0;
					ok = ok && strstr(target, "memfd:maps-closed");
					close(r);
				}
				check(ok, "%s: %s %s: %s kind %u [%llx, %llx) pgoff %llu prot %u flags %u (%s)",
				      label, cases[i].name, how[w], res_name(r), g.kind,
				      (unsigned long long)g.start, (unsigned long long)g.end,
				      (unsigned long long)g.pgoff, g.prot, g.map_flags, target);
			} else if (cases[i].err == 1) {
				/* MAP_SHARED|MAP_ANONYMOUS is backed by a shmem file. */
				char link[64], target[256] = "";
				if (r >= 0) {
					snprintf(link, sizeof(link), "/proc/self/fd/%d", r);
					ssize_t n = readlink(link, target, sizeof(target) - 1);
					target[n > 0 ? n : 0] = 0;
					close(r);
				}
				check(r >= 0 && g.kind == REMOTEFD_MAP_FILE && g.start == t.anon &&
				      (g.map_flags & REMOTEFD_MAP_SHARED) && strstr(target, "zero"),
				      "%s: %s %s: %s kind %u (%s)", label, cases[i].name, how[w],
				      res_name(r), g.kind, target);
			} else if (cases[i].err == -2) {
				/* The page after: another mapping or nothing; never the memfd. */
				char link[64], target[256] = "";
				if (r >= 0) {
					snprintf(link, sizeof(link), "/proc/self/fd/%d", r);
					ssize_t n = readlink(link, target, sizeof(target) - 1);
					target[n > 0 ? n : 0] = 0;
					close(r);
				}
				check(!strstr(target, "maps-closed"), "%s: %s %s: %s (%s)", label,
				      cases[i].name, how[w], res_name(r), target);
			} else {
				check(r == cases[i].err && g.kind == cases[i].kind,
				      "%s: %s %s: %s kind %u (want %s kind %u)", label, cases[i].name,
				      how[w], res_name(r), g.kind, res_name(cases[i].err), cases[i].kind);
			}
		}
	}

	/* Reserved fields, fd_flags, target flags. */
	memset(&g, 0, sizeof(g));
	g.target = t.pid;
	g.addr = t.closed;
	g.reserved[0] = 1;
	r = ioctl(dev, REMOTEFD_IOC_GETMAP, &g);
	check(r < 0 && errno == EINVAL, "%s: reserved[0] != 0: %s", label, res_name(r < 0 ? -errno : r));
	if (r >= 0)
		close(r);
	memset(&g, 0, sizeof(g));
	g.target = t.pid;
	g.addr = t.closed;
	g.fd_flags = O_NONBLOCK;
	r = ioctl(dev, REMOTEFD_IOC_GETMAP, &g);
	check(r < 0 && errno == EINVAL, "%s: fd_flags O_NONBLOCK: %s", label, res_name(r < 0 ? -errno : r));
	if (r >= 0)
		close(r);
	memset(&g, 0, sizeof(g));
	g.target = t.pid;
	g.addr = t.closed;
	g.flags = 0x80;
	r = ioctl(dev, REMOTEFD_IOC_GETMAP, &g);
	check(r < 0 && errno == EINVAL, "%s: unknown target flag: %s", label, res_name(r < 0 ? -errno : r));
	if (r >= 0)
		close(r);
	memset(&g, 0, sizeof(g));
	g.target = 7;
	g.addr = t.closed;
	r = ioctl(handle, REMOTEFD_HANDLE_IOC_GETMAP, &g);
	check(r < 0 && errno == EINVAL, "%s: handle with a target: %s", label, res_name(r < 0 ? -errno : r));
	if (r >= 0)
		close(r);
	r = ioctl(dev, REMOTEFD_IOC_GETMAP, NULL);
	check(r < 0 && errno == EFAULT, "%s: NULL request: %s", label, res_name(r < 0 ? -errno : r));
	check(fd_count() == before, "%s: no fd leaked (%d before, %d after)", label, before, fd_count());

	/* A dead target. */
	reap(t.pid);
	r = getmap(dev, REMOTEFD_IOC_GETMAP, pidfd, REMOTEFD_TARGET_PIDFD, t.closed, NULL);
	check(r == -ESRCH, "%s: dead target by pidfd: %s", label, res_name(r));
	r = getmap(handle, REMOTEFD_HANDLE_IOC_GETMAP, 0, 0, t.closed, NULL);
	check(r == -ESRCH, "%s: dead target through a handle: %s", label, res_name(r));
	printf("# %s: %d passed, %d failed\n", label, n_pass, n_fail);
	return n_fail ? 1 : 0;
}

static unsigned char *map_closed(int fd, size_t size)
{
	unsigned char *p;

	if (fd < 0 || ftruncate(fd, size))
		die("create");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	close(fd);
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)((7 * i + 3) & 255);
	return p;
}

static __attribute__((noreturn)) int produce(size_t size)
{
	char name[64];
	unsigned char *m, *s;

	m = map_closed(memfd_create("maps-produced", MFD_CLOEXEC), size);
	snprintf(name, sizeof(name), "/dev/shm/rfd-maps-%d", (int)getpid());
	s = map_closed(open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600), size);
	printf("pid %d memfd %p shm %p path %s\n", (int)getpid(), (void *)m, (void *)s, name);
	fflush(stdout);
	for (;;)
		pause();
}

static int pattern(size_t size)
{
	for (size_t i = 0; i < size; i++)
		putchar((7 * i + 3) & 255);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "produce"))
		return produce(strtoul(argv[2], NULL, 0));
	if (argc >= 3 && !strcmp(argv[1], "pattern")) {
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
		return pattern(strtoul(argv[2], NULL, 0));
	}
	if (argc >= 2 && !strcmp(argv[1], "matrix"))
		return matrix(argc > 2 ? argv[2] : "maps-matrix");
	if (argc >= 2 && !strcmp(argv[1], "malformed"))
		return malformed(argc > 2 ? argv[2] : "maps-malformed");
	fprintf(stderr, "usage: rfd-maps matrix|malformed [LABEL] | produce SIZE | pattern SIZE\n");
	return 2;
}
