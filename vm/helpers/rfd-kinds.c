// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-kinds: every ioctl that touches a target's files, against every kind
 * of file a target can hold (issue 19's file-kind matrix), and the
 * regressions of the second security review.
 *
 *   rfd-kinds fds UID      a target (forked by the caller, both uid UID)
 *                          holds each kind as a plain fd and as an O_PATH
 *                          reopen; GETFD, the legacy ioctl, handle GETFD,
 *                          GETFDS, INVENTORY and WATCH (ALL_FDS, one fd)
 *                          each answer as pidfd_getfd(2) does for that fd,
 *                          or (capture) SKIPPED for the kinds that can hold
 *                          files; INVENTORY reports dma-buf names and seals
 *                          only for files that are what they look like (an
 *                          O_PATH dma-buf oopsed the kernel here)
 *   rfd-kinds maps UID     mappings of each kind; GETMAP by pid and through
 *                          a handle, and WATCH_MAPS: memfd, /dev/shm,
 *                          dma-buf and hugetlbfs memfd files for anyone the
 *                          GETFD check allows; every other file (SysV,
 *                          shared anonymous, the exec'd binary, a private
 *                          ramfs mapping, anonymous hugetlb) only with
 *                          map_files' capability: EPERM with
 *                          REMOTEFD_MAP_NEEDS_CAP, as /proc/PID/map_files
 *   rfd-kinds exec-mm      a WATCH_MAPS watch lets the old address space go
 *                          when its target execs (it used to pin it)
 *   rfd-kinds userns       max_watches_per_user counts a user namespace's
 *                          uids as its owner's
 *   rfd-kinds limits       what gcov showed no test reached: ALL_FDS and
 *                          MAPS beyond their 1024 slots (lost), UNWATCH by
 *                          pidfd, GETMAP's reserved fields
 *   rfd-kinds uaf SECONDS  COLLECT of the final event racing rfd_deliver's
 *                          wake-up, then close (a use-after-free with 2
 *                          CPUs before the fix; KASAN reports it)
 *
 * Prints PASS/FAIL/SKIP lines (lib.sh's contract).  Needs root: it drops
 * to UID itself.
 */
#include "rfd-test.h"
#include "rfd-kinds.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4U
#endif

static const char *const k_name[N_K] = {
	"memfd", "/dev/shm file", "dma-buf (vgem)", "dma-buf (udmabuf)",
	"dma-buf (system heap)", "pipe", "unix socket", "eventfd", "signalfd",
	"timerfd", "pidfd", "epoll", "io_uring", "/dev/remotefd",
	"remotefd handle", "directory", "O_PATH|O_NOFOLLOW symlink",
	"procfs file", "sysfs file", "device node /dev/null",
};
/* Capture takes only files that cannot hold other files (capture.c). */
static const int k_capturable[N_K] = {
	[K_MEMFD] = 1, [K_SHM] = 1, [K_VGEM] = 1, [K_UDMABUF] = 1,
	[K_HEAP] = 1, [K_PIPE] = 1, [K_DIR] = 1, [K_SYMLINK] = 1,
	[K_PROCFS] = 1, [K_SYSFS] = 1,
};
static const int k_dmabuf[N_K] = { [K_VGEM] = 1, [K_UDMABUF] = 1, [K_HEAP] = 1 };
static const int k_sealable[N_K] = { [K_MEMFD] = 1, [K_SHM] = 1 };

/*
 * Drop to @uid and stay dumpable: a change of ids clears dumpability, and a
 * caller's own children would then refuse it the ptrace check.
 */
static void become(uid_t uid)
{
	if (uid)
		drop_to(uid);
	prctl(PR_SET_DUMPABLE, 1);
}

struct tgt {
	pid_t pid;
	int cmd;	/* write a byte: the target exits */
	struct kind_fds k;
};

/* Forks a target that makes every kind; its fd numbers come back. */
static int spawn_kinds(struct tgt *t)
{
	int up[2], down[2];

	if (pipe(up) || pipe(down))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		char c;

		close(up[0]);
		close(down[1]);
		make_kinds(&t->k);
		if (write(up[1], &t->k, sizeof(t->k)) != sizeof(t->k))
			_exit(3);
		read(down[0], &c, 1);	/* until told, or the caller is gone */
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	t->cmd = down[1];
	if (read(up[0], &t->k, sizeof(t->k)) != sizeof(t->k)) {
		close(up[0]);
		return -1;
	}
	close(up[0]);
	return 0;
}

static void reap(struct tgt *t)
{
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	close(t->cmd);
}

/* Two fds name the same open file: same inode and same /proc link. */
static int same_open_file(int a, int b)
{
	char pa[64], pb[64], la[256] = "", lb[256] = "";

	if (!same_file(a, b))
		return 0;
	snprintf(pa, sizeof(pa), "/proc/self/fd/%d", a);
	snprintf(pb, sizeof(pb), "/proc/self/fd/%d", b);
	readlink(pa, la, sizeof(la) - 1);
	readlink(pb, lb, sizeof(lb) - 1);
	return !strcmp(la, lb);
}

/* r (an fd or -errno) answers as pidfd_getfd's ref did. */
static int agrees(int r, int ref)
{
	if (ref < 0 || r < 0)
		return r == ref;
	return same_open_file(r, ref);
}

static void close_pos(int fd)
{
	if (fd >= 0)
		close(fd);
}

static const char *variant(int v)
{
	return v ? " (O_PATH)" : "";
}

/* ---- fds: every ioctl x every kind ---------------------------------------- */

static void fds_caller(const char *who, int dev, int proc)
{
	struct remotefd_batch_entry ents[2 * N_K];
	struct remotefd_fd_record *recs;
	struct remotefd_inventory inv;
	struct remotefd_batch b;
	struct remotefd_capture c;
	struct tgt t;
	int i, v, n = 0, h, ref, r;
	int watched[2 * N_K][3];	/* fd, kind, variant */

	if (spawn_kinds(&t)) {
		check(0, "kinds %s: target did not start", who);
		return;
	}
	for (i = 0; i < N_K; i++)
		if (t.k.fd[i][0] < 0) {
			/* Every kernel here has all of them but udmabuf and the heap. */
			if (i == K_UDMABUF || i == K_HEAP)
				printf("SKIP kinds %s %s: not on this kernel\n", who, k_name[i]);
			else
				check(0, "kinds %s %s: the target could not make it", who, k_name[i]);
		}

	h = rfd_attach(dev, t.pid, 0, O_CLOEXEC);
	check(h >= 0, "kinds %s: attach to the target (%s)", who, res_name(h));
	for (i = 0; i < N_K; i++) {
		for (v = 0; v < 2; v++) {
			int fd = t.k.fd[i][v];

			if (fd < 0)
				continue;
			ref = pidfd_getfd_res(t.pid, fd);
			r = rfd_getfd(dev, t.pid, fd, 0, O_CLOEXEC);
			check(agrees(r, ref), "kinds %s GETFD %s%s: %s, pidfd_getfd %s",
			      who, k_name[i], variant(v), res_name(r), res_name(ref));
			close_pos(r);
			if (proc >= 0) {
				r = rfd_legacy(proc, t.pid, fd);
				check(ref >= 0 ? agrees(r, ref) : r == -EPERM,
				      "kinds %s legacy %s%s: %s, pidfd_getfd %s",
				      who, k_name[i], variant(v), res_name(r), res_name(ref));
				close_pos(r);
			}
			if (h >= 0) {
				r = h_getfd(h, fd, O_CLOEXEC);
				check(agrees(r, ref), "kinds %s handle GETFD %s%s: %s, pidfd_getfd %s",
				      who, k_name[i], variant(v), res_name(r), res_name(ref));
				close_pos(r);
			}
			close_pos(ref);
			ents[n].fd = fd;
			ents[n].result = -1;
			watched[n][0] = fd;
			watched[n][1] = i;
			watched[n][2] = v;
			n++;
		}
	}

	/* GETFDS: one batch of every kind. */
	memset(&b, 0, sizeof(b));
	b.count = n;
	b.entries = (uintptr_t)ents;
	b.fd_flags = O_CLOEXEC;
	r = h >= 0 && ioctl(h, REMOTEFD_HANDLE_IOC_GETFDS, &b) ? -errno : 0;
	check(h >= 0 && r == 0, "kinds %s GETFDS of %d fds: %s", who, n, res_name(r));
	for (i = 0; h >= 0 && r == 0 && i < n; i++) {
		ref = pidfd_getfd_res(t.pid, ents[i].fd);
		check(agrees(ents[i].result, ref), "kinds %s GETFDS %s%s: %s, pidfd_getfd %s",
		      who, k_name[watched[i][1]], variant(watched[i][2]),
		      res_name(ents[i].result), res_name(ref));
		close_pos(ref);
		close_pos(ents[i].result);
	}

	/* INVENTORY: every record, and only true dma-bufs and shmem described as such. */
	recs = calloc(4096, sizeof(*recs));
	memset(&inv, 0, sizeof(inv));
	inv.count = 4096;
	inv.records = (uintptr_t)recs;
	r = h >= 0 && ioctl(h, REMOTEFD_HANDLE_IOC_INVENTORY, &inv) ? -errno : 0;
	check(h >= 0 && r == 0 && inv.next_fd == -1,
	      "kinds %s INVENTORY of the whole table: %s, %u records", who, res_name(r),
	      inv.returned);
	for (i = 0; r == 0 && i < n; i++) {
		struct remotefd_fd_record *rec = NULL;
		int k = watched[i][1], pathv = watched[i][2] || k == K_SYMLINK;
		unsigned int j;

		for (j = 0; j < inv.returned; j++)
			if (recs[j].fd == watched[i][0])
				rec = &recs[j];
		if (!rec) {
			check(0, "kinds %s INVENTORY %s%s: no record", who, k_name[k],
			      variant(watched[i][2]));
			continue;
		}
		check(!!(rec->info & REMOTEFD_INFO_DMABUF) == (k_dmabuf[k] && !pathv) &&
		      !!(rec->info & REMOTEFD_INFO_SEALS) == (k_sealable[k] && !pathv),
		      "kinds %s INVENTORY %s%s: dma-buf %d, seals %d (only for what the file is)",
		      who, k_name[k], variant(watched[i][2]),
		      !!(rec->info & REMOTEFD_INFO_DMABUF), !!(rec->info & REMOTEFD_INFO_SEALS));
	}
	free(recs);

	/* WATCH ALL_FDS, then the exit: a capture or SKIPPED for each. */
	r = watch_req(dev, t.pid, REMOTEFD_WATCH_ALL_FDS, NULL, 0);
	check(r == 0, "kinds %s WATCH ALL_FDS: %s", who, res_name(r));
	if (r == 0) {
		int seen[2 * N_K] = { 0 }, fin = 0, k;

		reap(&t);
		t.cmd = -1;
		while (!fin && readable(dev, 5000)) {
			while (collect(dev, &c, O_CLOEXEC) == 0) {
				if (c.event == REMOTEFD_EVENT_EXIT || c.event == REMOTEFD_EVENT_DENIED) {
					fin = c.event;
					break;
				}
				for (i = 0; i < n; i++) {
					if (watched[i][0] != c.fd)
						continue;
					k = watched[i][1];
					seen[i] = 1;
					check(c.event == (k_capturable[k] ? REMOTEFD_EVENT_FILE
									  : REMOTEFD_EVENT_SKIPPED),
					      "kinds %s capture %s%s: event %u (%s expected)", who,
					      k_name[k], variant(watched[i][2]), c.event,
					      k_capturable[k] ? "FILE" : "SKIPPED");
				}
				close_pos(c.newfd);
			}
		}
		check(fin == REMOTEFD_EVENT_EXIT, "kinds %s capture: final event %d", who, fin);
		for (i = 0; i < n; i++)
			if (!seen[i])
				check(0, "kinds %s capture %s%s: no event", who,
				      k_name[watched[i][1]], variant(watched[i][2]));
	} else {
		reap(&t);
	}
	close_pos(h);
}

static int fds_main(uid_t uid)
{
	pid_t pid;
	int st;

	/* Unprivileged users get render nodes and dma-buf devices on desktops. */
	system("chmod 0666 /dev/dri/* /dev/udmabuf /dev/dma_heap/* 2>/dev/null");
	pid = fork();
	if (pid == 0) {
		char who[32];
		int dev, proc;

		become(uid);
		snprintf(who, sizeof(who), "uid %u", (unsigned int)uid);
		dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
		proc = open("/proc/remotefd", O_RDWR | O_CLOEXEC);
		if (dev < 0)
			die("open /dev/remotefd");
		fds_caller(who, dev, proc);
		printf("kinds fds %s: %d passed, %d failed\n", who, n_pass, n_fail);
		_exit(n_fail ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* ---- maps: GETMAP and WATCH_MAPS x every mapping kind --------------------- */

enum {
	M_MEMFD, M_SHM, M_HUGEMEMFD, M_VGEM, M_UDMABUF, M_HEAP, M_SHANON, M_SYSV,
	M_HUGEANON, M_EXEC, M_RAMFS, M_VDSO, M_VVAR, N_M
};
static const char *const m_name[N_M] = {
	"memfd", "/dev/shm file", "hugetlbfs memfd", "dma-buf (vgem)",
	"dma-buf (udmabuf)", "dma-buf (system heap, PFN map)",
	"shared anonymous", "SysV segment", "anonymous hugetlb",
	"the exec'd binary", "private ramfs file", "[vdso]", "[vvar]",
};
/* 1: anyone the GETFD check allows; 0: map_files' capability; -1: no file. */
static const int m_open[N_M] = {
	[M_MEMFD] = 1, [M_SHM] = 1, [M_HUGEMEMFD] = 1, [M_VGEM] = 1,
	[M_UDMABUF] = 1, [M_HEAP] = 1, [M_VDSO] = -1, [M_VVAR] = -1,
};

struct maps {
	unsigned long addr[N_M];
	ino_t ino[N_M];		/* the file's inode, 0 unknown */
};

/* The start of the first mapping named @name ("[vdso]", "[vvar]"), or 0. */
static unsigned long special_addr(const char *name)
{
	char line[256];
	unsigned long a = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && !a && fgets(line, sizeof(line), f))
		if (strstr(line, name))
			sscanf(line, "%lx", &a);
	if (f)
		fclose(f);
	return a;
}

static void *map_fd(int fd, size_t len, int flags)
{
	void *p;

	if (fd < 0)
		return MAP_FAILED;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_READ, flags, fd, 0);
	return p;
}

/* Maps fd (then closes it); records address and inode. */
static void keep_map(struct maps *m, int k, int fd, size_t len, int flags)
{
	struct stat st;
	void *p = map_fd(fd, len, flags);

	if (p != MAP_FAILED) {
		m->addr[k] = (unsigned long)p;
		if (!fstat(fd, &st))
			m->ino[k] = st.st_ino;
		*(volatile char *)p;
	}
	close_pos(fd);
}

/* In the target (the exec'd helper, uid UID): every mapping kind. */
static int maps_target(void)
{
	struct maps m;
	size_t vsize = 0;
	int fd, id;
	void *p;

	memset(&m, 0, sizeof(m));
	fd = memfd_create("rfd-kinds-map", 0);
	ftruncate(fd, 65536);
	keep_map(&m, M_MEMFD, fd, 65536, MAP_SHARED);
	fd = open("/dev/shm/rfd-kinds-map", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ftruncate(fd, 65536);
	unlink("/dev/shm/rfd-kinds-map");
	keep_map(&m, M_SHM, fd, 65536, MAP_SHARED);
	fd = memfd_create("rfd-kinds-huge", MFD_HUGETLB);
	if (fd >= 0 && !ftruncate(fd, 2 << 20))
		keep_map(&m, M_HUGEMEMFD, fd, 2 << 20, MAP_SHARED);
	else
		close_pos(fd);
	fd = vgem_dmabuf(&vsize);
	keep_map(&m, M_VGEM, fd, vsize, MAP_SHARED);
	keep_map(&m, M_UDMABUF, udmabuf_dmabuf(65536), 65536, MAP_SHARED);
	keep_map(&m, M_HEAP, heap_dmabuf(65536), 65536, MAP_SHARED);
	p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		m.addr[M_SHANON] = (unsigned long)p;
	id = shmget(IPC_PRIVATE, 65536, IPC_CREAT | 0600);
	p = id >= 0 ? shmat(id, NULL, 0) : (void *)-1;
	if (p != (void *)-1) {
		m.addr[M_SYSV] = (unsigned long)p;
		m.ino[M_SYSV] = id;	/* a segment's inode number is its shmid */
		shmctl(id, IPC_RMID, NULL);
	}
	p = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p != MAP_FAILED)
		m.addr[M_HUGEANON] = (unsigned long)p;
	m.addr[M_EXEC] = (unsigned long)&maps_target;
	fd = open("/mnt/rfd-ramfs/f", O_RDONLY);
	keep_map(&m, M_RAMFS, fd, 4096, MAP_PRIVATE);
	m.addr[M_VDSO] = special_addr("[vdso]");
	m.addr[M_VVAR] = special_addr("[vvar");	/* 7.x: [vvar_vclock] too */
	if (write(1, &m, sizeof(m)) != sizeof(m))
		return 3;
	for (;;)
		pause();
}

static int getmap_by(int dev, int h, pid_t pid, unsigned long addr,
		     struct remotefd_getmap *g)
{
	int r;

	memset(g, 0, sizeof(*g));
	g->addr = addr;
	g->fd_flags = O_CLOEXEC;
	if (h >= 0) {
		r = ioctl(h, REMOTEFD_HANDLE_IOC_GETMAP, g);
	} else {
		g->target = pid;
		r = ioctl(dev, REMOTEFD_IOC_GETMAP, g);
	}
	return r < 0 ? -errno : r;
}

/* /proc/PID/map_files/START-END opened by the caller: the kernel's own rule. */
static int map_files_open(pid_t pid, const struct remotefd_getmap *g)
{
	char p[96];
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)g->start, (unsigned long long)g->end);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void maps_caller(const char *who, int privileged, const char *exe)
{
	int up[2], dev, h, k, via, r, mf;
	int vgem_is_dmabuf = 1;	/* the vgem mapping's file is the dma-buf */
	struct remotefd_getmap g;
	struct remotefd_capture c;
	struct maps m;
	struct stat st;
	pid_t pid;

	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0 || pipe(up))
		die("maps: set-up");
	pid = fork();
	if (pid == 0) {
		dup2(up[1], 1);
		execl(exe, exe, "maps-target", (char *)NULL);
		_exit(127);
	}
	close(up[1]);
	if (read(up[0], &m, sizeof(m)) != sizeof(m)) {
		check(0, "maps %s: the target did not start", who);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return;
	}
	h = rfd_attach(dev, pid, 0, O_CLOEXEC);
	check(h >= 0, "maps %s: attach (%s)", who, res_name(h));
	for (k = 0; k < N_M; k++) {
		int want_ok = m_open[k] == 1 || (m_open[k] == 0 && privileged);

		if (!m.addr[k]) {
			if (k == M_UDMABUF || k == M_HEAP)
				printf("SKIP maps %s %s: not on this kernel\n", who, m_name[k]);
			else
				check(0, "maps %s %s: the target could not map it", who, m_name[k]);
			continue;
		}
		for (via = 0; via < 2; via++) {
			const char *how = via ? "handle GETMAP" : "GETMAP";

			r = getmap_by(dev, via ? h : -1, pid, m.addr[k], &g);
			if (m_open[k] < 0) {
				check(r == -ENODEV && g.kind == REMOTEFD_MAP_SPECIAL,
				      "maps %s %s %s: %s kind %u (ENODEV, no file)", who, how,
				      m_name[k], res_name(r), g.kind);
				continue;
			}
			/*
			 * 5.10's vgem maps its GEM object's shmem file, not the
			 * dma-buf: a kernel-internal file, map_files' rule.
			 */
			if (k == M_VGEM && ((r >= 0 && !fstat(r, &st) && st.st_ino != m.ino[k]) ||
					    (r == -EPERM && (g.map_flags & REMOTEFD_MAP_NEEDS_CAP)))) {
				if (vgem_is_dmabuf)
					printf("SKIP maps %s vgem: this kernel's vgem maps its shmem file, not the dma-buf (checked as a kernel-internal file)\n", who);
				vgem_is_dmabuf = 0;
				want_ok = privileged;
				m.ino[k] = 0;
			}
			if (want_ok) {
				check(r >= 0 && g.kind == REMOTEFD_MAP_FILE &&
				      (!m.ino[k] || (!fstat(r, &st) && st.st_ino == m.ino[k] &&
						     !!(g.map_flags & REMOTEFD_MAP_NEEDS_CAP) == !m_open[k])),
				      "maps %s %s %s: %s, its file, needs-cap %d", who, how,
				      m_name[k], res_name(r), !!(g.map_flags & REMOTEFD_MAP_NEEDS_CAP));
			} else {
				mf = map_files_open(pid, &g);
				check(r == -EPERM && (g.map_flags & REMOTEFD_MAP_NEEDS_CAP) &&
				      g.kind == REMOTEFD_MAP_FILE && g.start <= m.addr[k] &&
				      (mf == -EPERM || mf == -EACCES),
				      "maps %s %s %s: %s with NEEDS_CAP (map_files: %s)", who, how,
				      m_name[k], res_name(r), res_name(mf));
				close_pos(mf);
			}
			if (r >= 0 && privileged && m_open[k] == 0) {
				mf = map_files_open(pid, &g);
				check(mf < 0 || same_file(r, mf), "maps %s %s %s: map_files' file",
				      who, how, m_name[k]);
				close_pos(mf);
			}
			close_pos(r);
		}
	}
	close_pos(h);

	/* WATCH_MAPS: the same rule at exit. */
	r = watch_req(dev, pid, REMOTEFD_WATCH_MAPS, NULL, 0);
	check(r == 0, "maps %s WATCH_MAPS: %s", who, res_name(r));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (r == 0) {
		int got[N_M] = { 0 }, fin = 0;

		while (!fin && readable(dev, 5000))
			while (collect(dev, &c, O_CLOEXEC) == 0) {
				if (c.event != REMOTEFD_EVENT_MAP) {
					fin = c.event;
					break;
				}
				for (k = 0; k < N_M; k++)
					if (m.addr[k] >= c.map_start && m.addr[k] < c.map_end)
						got[k] = 1;
				close_pos(c.newfd);
			}
		check(fin == REMOTEFD_EVENT_EXIT, "maps %s WATCH_MAPS: final event %d", who, fin);
		for (k = 0; k < N_M; k++) {
			int shared = k != M_EXEC && k != M_RAMFS && m_open[k] >= 0;
			int want = m.addr[k] && shared && (m_open[k] == 1 || privileged);

			if (k == M_VGEM && !vgem_is_dmabuf)
				want = privileged;
			if (m.addr[k])
				check(got[k] == want, "maps %s WATCH_MAPS %s: %s", who, m_name[k],
				      got[k] ? "captured" : "not captured");
		}
	}
	close(dev);
}

static int maps_main(uid_t uid, const char *self)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid == 0) {
		char who[32];

		become(uid);
		snprintf(who, sizeof(who), "uid %u", (unsigned int)uid);
		maps_caller(who, uid == 0, self);
		printf("kinds maps %s: %d passed, %d failed\n", who, n_pass, n_fail);
		_exit(n_fail ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/*
 * An execute-only binary (0711), run by uid 1000, asks GETMAP for its own
 * text: a same-mm caller passes the ptrace check (as mm_access lets it),
 * and the file is one open() refuses it.  The review read the ELF header
 * this way.
 */
static int self_exec_main(void)
{
	struct remotefd_getmap g;
	int dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC), r, ref;
	char elf[4] = "";

	if (dev < 0)
		die("self-exec: open /dev/remotefd");
	ref = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ref = ref < 0 ? -errno : ref;
	check(ref == -EACCES, "self-exec: open() of the 0711 binary as uid %u: %s (EACCES)",
	      (unsigned int)getuid(), res_name(ref));
	r = getmap_by(dev, -1, getpid(), (unsigned long)&self_exec_main, &g);
	if (r >= 0)
		pread(r, elf, 4, 0);
	check(r == -EPERM && (g.map_flags & REMOTEFD_MAP_NEEDS_CAP) && memcmp(elf, "\177ELF", 4),
	      "self-exec: GETMAP of its own exec-only text: %s, NEEDS_CAP %d, %s the ELF header",
	      res_name(r), !!(g.map_flags & REMOTEFD_MAP_NEEDS_CAP),
	      memcmp(elf, "\177ELF", 4) ? "not read" : "READ");
	close_pos(r);
	close_pos(ref);
	return n_fail ? 1 : 0;
}

/* ---- exec-mm: an exec lets the watched old address space go --------------- */

static int exec_mm_main(uid_t uid)
{
	const size_t big = 96 << 20;
	long before, held, after = -1;
	struct remotefd_capture c;
	int go[2], ready[2], dev, r, i, fin = 0;
	pid_t pid;
	char ch;

	become(uid);
	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0 || pipe(go) || pipe(ready))
		die("exec-mm: set-up");
	before = meminfo_kb("AnonPages");
	pid = fork();
	if (pid == 0) {
		char *p = mmap(NULL, big, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(3);
		memset(p, 1, big);
		write(ready[1], "r", 1);
		read(go[0], &ch, 1);
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	read(ready[0], &ch, 1);
	held = meminfo_kb("AnonPages");
	r = watch_req(dev, pid, REMOTEFD_WATCH_MAPS, NULL, 0);
	check(r == 0, "exec-mm: WATCH_MAPS on the target (%s)", res_name(r));
	write(go[1], "g", 1);
	/* The old address space goes when the exec drops it (mmput_async). */
	for (i = 0; i < 50; i++) {
		usleep(100000);
		after = meminfo_kb("AnonPages");
		if (held - after > (long)(big >> 10) * 3 / 4)
			break;
	}
	check(held - before > (long)(big >> 10) * 3 / 4 &&
	      held - after > (long)(big >> 10) * 3 / 4,
	      "exec-mm: after the exec the old %zu MiB are freed though a MAPS watch was armed (AnonPages %ld -> %ld -> %ld kB)",
	      big >> 20, before, held, after);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (!fin && readable(dev, 5000))
		while (collect(dev, &c, O_CLOEXEC) == 0)
			if (c.event == REMOTEFD_EVENT_EXIT || c.event == REMOTEFD_EVENT_DENIED) {
				fin = c.event;
				break;
			}
	check(fin == REMOTEFD_EVENT_DENIED, "exec-mm: final event after exec is DENIED (%d)", fin);
	close(dev);
	return n_fail ? 1 : 0;
}

/* ---- userns: watches of a namespace's uids are charged to its owner -------- */

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* Arms watches on a sleeping child of ours until refused; their count. */
static int arm_until_refused(int max, int *dev_out, pid_t *kid)
{
	int dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC), n = 0, r;
	pid_t k[64];

	*dev_out = dev;
	if (dev < 0)
		return -1;
	while (n < max) {
		k[n] = fork();
		if (k[n] == 0) {
			pause();
			_exit(0);
		}
		r = watch_req(dev, k[n], 0 | REMOTEFD_WATCH_ALL_FDS, NULL, 0);
		kid[n] = k[n];
		if (r) {
			kill(k[n], SIGKILL);
			waitpid(k[n], NULL, 0);
			kid[n] = 0;
			if (r != -ENOSPC)
				return -1000 + r;
			break;
		}
		n++;
	}
	return n;
}

/* In the namespace: uid 0, then uid 1 (other kuids of the same owner). */
static int userns_inside(int sync_rd)
{
	pid_t kid[8] = { 0 };
	int dev, n0, n1, st, p[2], i;
	char ch;
	pid_t pid;

	read(sync_rd, &ch, 1);	/* the parent wrote our maps */
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		die("userns: become ns root");
	prctl(PR_SET_DUMPABLE, 1);
	n0 = arm_until_refused(8, &dev, kid);
	check(n0 == 3, "userns: ns uid 0 (kuid 100000) arms 3 watches, the limit (%d)", n0);
	if (pipe(p))
		die("pipe");
	pid = fork();
	if (pid == 0) {
		pid_t k2[8] = { 0 };
		int d2;

		if (setresuid(1, 1, 1))
			_exit(2);
		prctl(PR_SET_DUMPABLE, 1);
		n1 = arm_until_refused(8, &d2, k2);
		for (i = 0; i < 8; i++)
			if (k2[i] > 0)
				kill(k2[i], SIGKILL);
		_exit(n1 == 0 ? 0 : 10 + (n1 < 0 ? 9 : n1));
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "userns: ns uid 1 (kuid 100001) is charged to the same owner: refused (status %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	for (i = 0; i < 8; i++)
		if (kid[i] > 0)
			kill(kid[i], SIGKILL);
	close(dev);
	return n_fail ? 1 : 0;
}

static int userns_main(void)
{
	const char *knob = "/proc/sys/kernel/unprivileged_userns_clone";
	int sync[2], ready[2], st, r = 0, knob_was = -1;
	char path[64], c = 0;
	pid_t pid;

	if (write_file("/sys/module/remotefd/parameters/max_watches_per_user", "3")) {
		check(0, "userns: cannot set max_watches_per_user");
		return 1;
	}
	/* Debian's own knob: unprivileged user namespaces must be allowed. */
	if (!access(knob, F_OK)) {
		FILE *f = fopen(knob, "r");

		if (f && fscanf(f, "%d", &knob_was) != 1)
			knob_was = -1;
		if (f)
			fclose(f);
		write_file(knob, "1");
	}
	if (pipe(sync) || pipe(ready))
		die("pipe");
	pid = fork();
	if (pid == 0) {
		close(sync[1]);
		close(ready[0]);
		become(1000);
		if (unshare(CLONE_NEWUSER)) {
			printf("SKIP userns: unshare(CLONE_NEWUSER) as uid 1000: %s%s\n", strerror(errno),
			       access("/proc/self/ns/user", F_OK) ? " (a kernel without CONFIG_USER_NS, as the debug kernel)" : "");
			write(ready[1], "s", 1);
			_exit(0);
		}
		write(ready[1], "u", 1);
		_exit(userns_inside(sync[0]));
	}
	close(sync[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) == 1 && c == 'u') {
		/* The owner is uid 1000; its ids map to a subordinate range. */
		snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
		r |= write_file(path, "0 100000 2\n");
		snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
		write_file(path, "deny");
		snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
		r |= write_file(path, "0 100000 2\n");
		check(r == 0, "userns: maps written (0 -> 100000, 2 ids)");
	}
	write(sync[1], "g", 1);
	waitpid(pid, &st, 0);
	write_file("/sys/module/remotefd/parameters/max_watches_per_user", "1024");
	if (knob_was >= 0)
		write_file(knob, knob_was ? "1" : "0");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* ---- uaf: the final COLLECT races rfd_deliver's wake-up, then close ------- */

static int uaf_main(int seconds)
{
	time_t end = time(NULL) + seconds;
	struct remotefd_capture c;
	long rounds = 0, bad = 0;
	int dev, r, fin, i;
	pid_t pid;

	while (time(NULL) < end) {
		int p[2];

		dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
		if (dev < 0 || pipe(p))
			die("uaf: set-up");
		pid = fork();
		if (pid == 0) {
			char ch;

			for (i = 0; i < 32; i++)
				dup(0);
			read(p[0], &ch, 1);
			close_range(3, ~0U, 0);	/* closes every fd, then exits */
			_exit(0);
		}
		close(p[0]);
		r = watch_req(dev, pid, REMOTEFD_WATCH_ALL_FDS, NULL, 0);
		write(p[1], "x", 1);
		close(p[1]);
		fin = r ? -1 : 0;
		while (!fin) {	/* spin: the final event as soon as it is queued */
			if (collect(dev, &c, O_CLOEXEC))
				continue;
			close_pos(c.newfd);
			if (c.event == REMOTEFD_EVENT_EXIT || c.event == REMOTEFD_EVENT_DENIED)
				fin = 1;
		}
		close(dev);	/* frees the watcher while rfd_deliver may be waking it */
		waitpid(pid, NULL, 0);
		if (fin != 1)
			bad++;
		rounds++;
	}
	check(rounds > 0 && !bad, "uaf: %ld rounds of COLLECT racing delivery then close, %ld failed (KASAN and the dmesg check judge the rest)",
	      rounds, bad);
	return n_fail ? 1 : 0;
}

/* ---- limits: what the suite's other parts did not reach (gcov, issue 19) -- */

/* A child holding @nfds more fds, or @nmaps separate shared mappings. */
static pid_t spawn_many(int nfds, int nmaps, int *ready_fd)
{
	int p[2], i, m;
	pid_t pid;

	if (pipe(p))
		die("pipe");
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };

		setrlimit(RLIMIT_NOFILE, &rl);
		m = memfd_create("rfd-kinds-many", 0);
		ftruncate(m, 4096);
		for (i = 0; i < nfds; i++)
			dup(m);
		/* Every other page: no two neighbours merge into one VMA. */
		for (i = 0; i < nmaps; i++)
			mmap((void *)(0x7c0000000000UL + 2 * 4096UL * i), 4096, PROT_READ,
			     MAP_SHARED | MAP_FIXED_NOREPLACE, m, 0);
		write(p[1], "r", 1);
		pause();
		_exit(0);
	}
	close(p[1]);
	*ready_fd = p[0];
	return pid;
}

/* Arms @flags on a child with many fds or maps, kills it: every slot used, the rest lost. */
static void limits_lost(int dev, const char *what, unsigned int flags, int nfds, int nmaps)
{
	struct remotefd_capture c;
	int rd, r, events = 0, fin = 0;
	unsigned int lost = 0;
	char ch;
	pid_t pid = spawn_many(nfds, nmaps, &rd);

	read(rd, &ch, 1);
	close(rd);
	r = watch_req(dev, pid, flags, NULL, 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (!r && !fin && readable(dev, 10000))
		while (collect(dev, &c, O_CLOEXEC) == 0) {
			close_pos(c.newfd);
			if (c.event == REMOTEFD_EVENT_EXIT || c.event == REMOTEFD_EVENT_DENIED) {
				fin = c.event;
				lost = c.lost;
				break;
			}
			/* FILE, SKIPPED (stdio on the console) or MAP: one slot each. */
			events++;
		}
	check(!r && fin == REMOTEFD_EVENT_EXIT && events == REMOTEFD_WATCH_MAX_FDS && lost > 0,
	      "limits %s: %d events (the %d slots), %u lost, final %d (%s)", what, events,
	      REMOTEFD_WATCH_MAX_FDS, lost, fin, res_name(r));
}

static int limits_main(void)
{
	struct remotefd_getmap g;
	struct remotefd_watch w;
	int dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC), pfd, r, rd;
	char ch;
	pid_t pid;

	if (dev < 0)
		die("limits: open /dev/remotefd");
	limits_lost(dev, "ALL_FDS beyond 1024 fds", REMOTEFD_WATCH_ALL_FDS, 1100, 0);
	limits_lost(dev, "MAPS beyond 1024 mappings", REMOTEFD_WATCH_MAPS, 0, 1100);

	/* UNWATCH names the target by pidfd too. */
	pid = spawn_many(0, 0, &rd);
	read(rd, &ch, 1);
	close(rd);
	pfd = sys_pidfd_open(pid);
	r = watch_req(dev, pid, REMOTEFD_WATCH_ALL_FDS, NULL, 0);
	memset(&w, 0, sizeof(w));
	w.target = dev;		/* not a pidfd */
	w.flags = REMOTEFD_TARGET_PIDFD;
	check(ioctl(dev, REMOTEFD_IOC_UNWATCH, &w) < 0 && errno == EBADF,
	      "limits: UNWATCH naming a file that is no pidfd: EBADF");
	w.target = pfd;
	check(!r && ioctl(dev, REMOTEFD_IOC_UNWATCH, &w) == 0,
	      "limits: UNWATCH by pidfd disarms the watch (%s)", res_name(r));
	check(ioctl(dev, REMOTEFD_IOC_UNWATCH, &w) < 0 && errno == ENOENT,
	      "limits: a second UNWATCH by pidfd: ENOENT");
	close_pos(pfd);

	/* GETMAP's reserved fields. */
	memset(&g, 0, sizeof(g));
	g.target = pid;
	g.addr = 0x1000;
	g.reserved[1] = 1;
	check(ioctl(dev, REMOTEFD_IOC_GETMAP, &g) < 0 && errno == EINVAL,
	      "limits: GETMAP with a reserved field set: EINVAL");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(dev);
	return n_fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "maps-target"))
		return maps_target();
	if (argc == 3 && !strcmp(argv[1], "fds"))
		return fds_main(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "maps"))
		return maps_main(atoi(argv[2]), "/proc/self/exe");
	if (argc == 2 && !strcmp(argv[1], "self-exec"))
		return self_exec_main();
	if (argc == 3 && !strcmp(argv[1], "exec-mm"))
		return exec_mm_main(atoi(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "userns"))
		return userns_main();
	if (argc == 2 && !strcmp(argv[1], "limits"))
		return limits_main();
	if (argc == 3 && !strcmp(argv[1], "uaf"))
		return uaf_main(atoi(argv[2]));
	fprintf(stderr, "usage: rfd-kinds fds|maps|exec-mm UID | self-exec | userns | limits | uaf SECONDS\n");
	return 2;
}
