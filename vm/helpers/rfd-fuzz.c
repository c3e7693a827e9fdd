// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-fuzz: a time-bounded concurrency fuzzer for the remotefd module
 * (issue 11, item 4).  Several processes of several threads issue random
 * valid and invalid requests on /dev/remotefd, /proc/remotefd and target
 * handles: INFO, GETFD (pid, pidfd), GETMAP, ATTACH, handle GETFD / GETFDS
 * / INVENTORY / GETMAP, WATCH, UNWATCH, COLLECT, poll, the original ABI,
 * unknown commands and bad pointers; they pass /dev/remotefd files,
 * watchers and handles over unix sockets (received back, or left in flight
 * and closed) and register them as io_uring fixed files, and watch
 * themselves.  Meanwhile target processes race them: fork and exit, exec,
 * get killed, open/close/dup2 to high numbers/close_range, setresuid,
 * PR_SET_DUMPABLE flips, pidfd closes, threads that exit.  Targets and
 * fuzzer processes hold every kind of file and mapping of the file-kind
 * matrix (rfd-kinds.h: dma-bufs and their O_PATH reopens, io_uring, epoll,
 * SysV, shared anonymous memory, ...), and GETMAP aims at those mappings.
 *
 * Coverage guidance (issue 19): with KCOV (the debug kernel) each fuzzer
 * thread traces the module code its own requests run (the ioctls run in the
 * caller's context); an operation is the random words it draws, and one
 * that reached an edge nobody had seen is kept and later replayed with one
 * word changed.  New edges are printed every 10 s ("# kcov: ...").  The
 * kept inputs are shared between threads, so with KCOV the seed no longer
 * fixes the sequence of operations.
 *
 * Environment: RFD_FUZZ_SECONDS (20), RFD_FUZZ_SEED (time-based; printed),
 * RFD_FUZZ_PROCS (2 fuzzer processes), RFD_FUZZ_THREADS (3 per process),
 * RFD_FUZZ_TARGETS (4 churning targets).  The seed fixes every thread's
 * sequence of operations (scheduling, and so the interleaving, does not
 * repeat).  Prints the seed, per-request counts and errno tallies, the
 * total and operations per second; "PASS fuzz-run: ..." when it ran to its
 * budget with every fuzzer and target accounted for; any fd the module
 * returned that is not open counts as a failure.  Kernel reports, rmmod
 * and kmemleak are the scenario's part.
 */
#include "rfd-test.h"
#include "rfd-kcov.h"
#include "rfd-kinds.h"
#include <linux/io_uring.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#define SYS_io_uring_register 427
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define MAXT	16
#define NWORDS	32
#define CORPUS	4096
#define MAPADDR	((void *)0x7e0000000000UL)
#define KMAPADDR	0x7d0000000000UL	/* map_kinds(), in targets and fuzzers */
#define MAPLEN	(1 << 20)

enum {
	O_INFO, O_GETFD, O_GETFD_PIDFD, O_LEGACY, O_ATTACH, O_HGETFD, O_HGETFDS,
	O_INVENTORY, O_GETMAP, O_HGETMAP, O_WATCH, O_UNWATCH, O_COLLECT, O_POLL,
	O_REOPEN, O_SCM, O_URING, O_BADPTR, O_BADCMD, O_DUP2, O_SELFWATCH, NOPS
};
static const char *opname[NOPS] = {
	"info", "getfd", "getfd-pidfd", "legacy", "attach", "handle-getfd",
	"handle-getfds", "inventory", "getmap", "handle-getmap", "watch",
	"unwatch", "collect", "poll", "reopen", "scm-rights", "io_uring-fixed",
	"bad-pointer", "bad-command", "dup2-close", "self-watch",
};

struct shared {
	volatile int stop;
	volatile pid_t targets[MAXT];
	unsigned long ops[NOPS];
	unsigned long ok[NOPS];
	unsigned long err[NOPS][134];
	unsigned long badfd;
	unsigned long churn;
	unsigned long uring_unavailable;
	/* KCOV feedback (kcov.h): edges seen, and the inputs that found them */
	unsigned long edges, pcs, guided, replays;
	int kcov;			/* 1: every fuzzer thread traced */
	unsigned char edge_seen[1 << 18];
	unsigned char pc_seen[1 << 18];
	unsigned int ncorpus;
	struct { int n; unsigned long long w[NWORDS]; } corpus[CORPUS];
};
static struct shared *sh;
static unsigned long long seed;
static int ntargets = 4;

/* xorshift64*, one per thread */
static unsigned long long rnd(unsigned long long *s)
{
	*s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}
static int rn(unsigned long long *s, int n) { return (int)(rnd(s) % (unsigned)n); }

static void tally(int op, long r)
{
	__atomic_fetch_add(&sh->ops[op], 1, __ATOMIC_RELAXED);
	if (r >= 0)
		__atomic_fetch_add(&sh->ok[op], 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&sh->err[op][-r < 134 ? -r : 133], 1, __ATOMIC_RELAXED);
}

/* A returned fd must be open; it is then closed. */
static void take_fd(int fd)
{
	if (fd < 0)
		return;
	if (fcntl(fd, F_GETFD) < 0)
		__atomic_fetch_add(&sh->badfd, 1, __ATOMIC_RELAXED);
	else
		close(fd);
}

/* ---- targets -------------------------------------------------------------- */

static void *thread_exit_soon(void *a) { (void)a; usleep(1000); return NULL; }

static void churn_loop(unsigned long long s, char *self)
{
	int memfd = memfd_create("fuzz-target", 0), fds[8], i, r;
	struct kind_fds kinds;

	/*
	 * Every kind of file and mapping of the matrix, for the requests to
	 * meet: in one incarnation of eight (targets respawn and exec all the
	 * time, and each io_uring's teardown is deferred work).
	 */
	if (rn(&s, 8) == 0) {
		make_kinds(&kinds);
		map_kinds(KMAPADDR);
	}

	if (ftruncate(memfd, MAPLEN) == 0)
		mmap(MAPADDR, MAPLEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, memfd, 0);
	for (i = 0; i < 8; i++)
		fds[i] = -1;
	while (!sh->stop) {
		__atomic_fetch_add(&sh->churn, 1, __ATOMIC_RELAXED);
		switch (rn(&s, 14)) {
		case 0: case 1:
			i = rn(&s, 8);
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = rn(&s, 2) ? dup(memfd) : open("/dev/shm/fuzz-shm", O_RDWR | O_CREAT, 0600);
			break;
		case 2:
			r = 100 + rn(&s, rn(&s, 4) ? 200 : 60000);
			if (dup2(memfd, r) >= 0 && rn(&s, 2))
				close(r);
			break;
		case 3:
			syscall(SYS_close_range, 100 + rn(&s, 100), ~0U, 0);
			break;
		case 4:
			prctl(PR_SET_DUMPABLE, rn(&s, 2), 0, 0, 0);
			break;
		case 5: {	/* a short-lived child */
			pid_t c = fork();

			if (c == 0) {
				if (rn(&s, 2))
					usleep(rn(&s, 3000));
				_exit(0);
			}
			if (c > 0)
				waitpid(c, NULL, 0);
			break;
		}
		case 6: {	/* a thread that exits */
			pthread_t t;

			if (!pthread_create(&t, NULL, thread_exit_soon, NULL))
				pthread_join(t, NULL);
			break;
		}
		case 7: {
			int pfd = sys_pidfd_open(getppid());

			if (pfd >= 0)
				close(pfd);
			break;
		}
		case 8:		/* exec ourselves (a new image, same pid) */
			if (rn(&s, 8) == 0) {
				char sb[32];

				snprintf(sb, sizeof(sb), "%llu", rnd(&s));
				execl(self, self, "--target", sb, (char *)NULL);
			}
			break;
		case 9:		/* new credentials, for good */
			if (rn(&s, 10) == 0 && setresuid(1000, 1000, 1000) == 0)
				prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
			break;
		case 10:	/* exit (the parent respawns) */
			if (rn(&s, 20) == 0)
				_exit(0);
			break;
		default:
			usleep(rn(&s, 2000));
			break;
		}
	}
	_exit(0);
}

static void run_targets(unsigned long long s, char *self)
{
	pid_t p;
	int i, st;

	for (;;) {
		for (i = 0; i < ntargets; i++) {
			if (sh->targets[i] > 0 || sh->stop)
				continue;
			p = fork();
			if (p == 0) {
				unsigned long long cs = s + (unsigned long long)rnd(&s) + i;
				churn_loop(cs, self);
			}
			sh->targets[i] = p;
		}
		if (sh->stop)
			break;
		usleep(2000 + rn(&s, 20000));
		/* kill one now and then */
		if (rn(&s, 6) == 0) {
			i = rn(&s, ntargets);
			if (sh->targets[i] > 0)
				kill(sh->targets[i], SIGKILL);
		}
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			for (i = 0; i < ntargets; i++)
				if (sh->targets[i] == p)
					sh->targets[i] = 0;
	}
	for (i = 0; i < ntargets; i++)
		if (sh->targets[i] > 0)
			kill(sh->targets[i], SIGKILL);
	while (waitpid(-1, &st, 0) > 0)
		;
	_exit(0);
}

/* ---- fuzzers -------------------------------------------------------------- */

/*
 * An input: the random words one operation draws (crnd), so that an input
 * that reached new module code can be run again and varied word by word.
 */
struct fctx {
	unsigned long long s;
	int dev, proc, watcher;
	int handles[8];
	int uring_ok;
	unsigned long long in[NWORDS];	/* replayed, then recorded */
	int nin, pos;
};

/* The next random word of the operation: replayed from the input, else new. */
static unsigned long long crnd(struct fctx *c)
{
	unsigned long long v = c->pos < c->nin ? c->in[c->pos] : rnd(&c->s);

	if (c->pos < NWORDS)
		c->in[c->pos] = v;
	c->pos++;
	return v;
}
static int crn(struct fctx *c, int n) { return (int)(crnd(c) % (unsigned)n); }

static pid_t pick_target(struct fctx *c)
{
	switch (crn(c, 10)) {
	case 0: return getpid();
	case 1: return 1;
	case 2: return crn(c, 2) ? -crn(c, 5) : 0x3fffffff;
	case 3: return crn(c, 300) + 1;
	default: return sh->targets[crn(c, ntargets)];
	}
}

static int pick_fd(struct fctx *c)
{
	switch (crn(c, 12)) {
	case 0: return -1 - crn(c, 3);
	case 1: return 0x7fffffff;
	case 2: return 100 + crn(c, 60000);
	case 3: case 4: return 3 + crn(c, 2 * N_K + 8);	/* rfd-kinds.h's */
	default: return crn(c, 12);
	}
}

static unsigned pick_flags(struct fctx *c, unsigned valid)
{
	return crn(c, 16) ? (unsigned)crnd(c) & valid : (unsigned)crnd(c);
}

static int any_handle(struct fctx *c)
{
	return c->handles[crn(c, 8)];
}

static long do_ioctl(int fd, unsigned long cmd, void *arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static void *bad_ptr(struct fctx *c)
{
	switch (crn(c, 4)) {
	case 0: return NULL;
	case 1: return (void *)0xffffffff81000000UL;
	case 2: return (void *)0x1000;
	default: return MAPADDR;	/* mapped in targets, not here */
	}
}

static void send_fds(struct fctx *c)
{
	int sv[2], fds[3], n = 0, i;
	char cbuf[CMSG_SPACE(sizeof(fds))], b = 'x';
	struct iovec iov = { &b, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return;
	fds[n++] = c->dev;
	if (c->watcher >= 0)
		fds[n++] = c->watcher;
	if (any_handle(c) >= 0)
		fds[n++] = any_handle(c);
	m.msg_control = cbuf;
	m.msg_controllen = CMSG_SPACE(n * sizeof(int));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	/* Sometimes: the socket in flight inside itself (GC), or left unread. */
	if (crn(c, 4) == 0) {
		memcpy(CMSG_DATA(cm), sv, sizeof(int));
		n = 1;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		m.msg_controllen = CMSG_SPACE(sizeof(int));
	}
	if (sendmsg(sv[0], &m, MSG_DONTWAIT) < 0) {
		tally(O_SCM, -errno);
		goto out;
	}
	tally(O_SCM, 0);
	if (crn(c, 2)) {
		struct remotefd_info info;

		memset(cbuf, 0, sizeof(cbuf));
		m.msg_controllen = sizeof(cbuf);
		if (recvmsg(sv[1], &m, MSG_DONTWAIT) > 0) {
			for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
				int k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int), got[3];

				memcpy(got, CMSG_DATA(cm), k * sizeof(int));
				for (i = 0; i < k; i++) {
					do_ioctl(got[i], REMOTEFD_IOC_INFO, &info);
					close(got[i]);
				}
			}
		}
	}
out:
	close(sv[0]);
	close(sv[1]);
}

static void uring_fixed(struct fctx *c)
{
	struct io_uring_params p;
	int ring, fds[3], n = 0;
	long r;

	if (!c->uring_ok)
		return;
	memset(&p, 0, sizeof(p));
	ring = (int)syscall(SYS_io_uring_setup, 4, &p);
	if (ring < 0) {
		if (errno == ENOSYS || errno == EPERM) {
			c->uring_ok = 0;
			__atomic_fetch_add(&sh->uring_unavailable, 1, __ATOMIC_RELAXED);
		}
		tally(O_URING, -errno);
		return;
	}
	fds[n++] = c->dev;
	if (c->watcher >= 0)
		fds[n++] = c->watcher;
	if (any_handle(c) >= 0)
		fds[n++] = any_handle(c);
	r = syscall(SYS_io_uring_register, ring, IORING_REGISTER_FILES, fds, n);
	tally(O_URING, r < 0 ? -errno : 0);
	/* Sometimes the ring goes in flight over a socket, closed unread. */
	if (crn(c, 3) == 0) {
		int sv[2];
		char cbuf[CMSG_SPACE(sizeof(int))], b = 'u';
		struct iovec iov = { &b, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

		if (!socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &ring, sizeof(int));
			sendmsg(sv[0], &m, MSG_DONTWAIT);
			close(sv[0]);
			close(sv[1]);
		}
	}
	close(ring);
}

static void one_op(struct fctx *c)
{
	int op = crn(c, NOPS), h, i;
	long r = 0;

	switch (op) {
	case O_INFO: {
		struct remotefd_info info;

		r = do_ioctl(c->dev, REMOTEFD_IOC_INFO, crn(c, 20) ? (void *)&info : bad_ptr(c));
		break;
	}
	case O_GETFD: case O_GETFD_PIDFD: {
		struct remotefd_getfd g;
		int pfd = -1;

		memset(&g, 0, sizeof(g));
		g.target = pick_target(c);
		if (op == O_GETFD_PIDFD) {
			pfd = sys_pidfd_open(g.target);
			g.target = pfd >= 0 ? pfd : crn(c, 20);
			g.flags = REMOTEFD_TARGET_PIDFD;
		}
		g.fd = pick_fd(c);
		g.flags |= pick_flags(c, 0);
		g.fd_flags = pick_flags(c, O_CLOEXEC);
		if (crn(c, 30) == 0)
			g.reserved[crn(c, 2)] = 1;
		r = do_ioctl(c->dev, REMOTEFD_IOC_GETFD, &g);
		take_fd((int)r);
		if (pfd >= 0)
			close(pfd);
		break;
	}
	case O_LEGACY: {
		struct remotefd_legacy_args a = { pick_target(c), pick_fd(c), -2 };

		if (c->proc < 0)
			return;
		r = do_ioctl(c->proc, REMOTEFD_LEGACY_IOC, crn(c, 20) ? (void *)&a : bad_ptr(c));
		if (r == 0)
			take_fd(a.o_fd);
		break;
	}
	case O_ATTACH: {
		struct remotefd_attach a;

		memset(&a, 0, sizeof(a));
		a.target = pick_target(c);
		a.fd_flags = pick_flags(c, O_CLOEXEC);
		if (crn(c, 4) == 0) {
			int pfd = sys_pidfd_open(a.target);

			a.target = pfd;
			a.flags = REMOTEFD_TARGET_PIDFD;
			r = do_ioctl(c->dev, REMOTEFD_IOC_ATTACH, &a);
			if (pfd >= 0)
				close(pfd);
		} else {
			r = do_ioctl(c->dev, REMOTEFD_IOC_ATTACH, &a);
		}
		if (r >= 0) {
			i = crn(c, 8);
			if (c->handles[i] >= 0)
				close(c->handles[i]);
			c->handles[i] = (int)r;	/* shared with the other threads */
		}
		break;
	}
	case O_HGETFD: {
		struct remotefd_handle_getfd g;

		memset(&g, 0, sizeof(g));
		g.fd = pick_fd(c);
		g.fd_flags = pick_flags(c, O_CLOEXEC);
		h = crn(c, 10) ? any_handle(c) : c->dev;
		r = do_ioctl(h, REMOTEFD_HANDLE_IOC_GETFD, &g);
		take_fd((int)r);
		break;
	}
	case O_HGETFDS: {
		struct remotefd_batch_entry e[16];
		struct remotefd_batch b;
		int n = 1 + crn(c, 16);

		for (i = 0; i < n; i++) {
			e[i].fd = pick_fd(c);
			e[i].result = 0x55555555;
		}
		memset(&b, 0, sizeof(b));
		b.count = crn(c, 20) ? n : (crn(c, 2) ? 0 : REMOTEFD_BATCH_MAX + 1);
		b.entries = crn(c, 20) ? (uintptr_t)e : (uintptr_t)bad_ptr(c);
		b.fd_flags = pick_flags(c, O_CLOEXEC);
		r = do_ioctl(any_handle(c), REMOTEFD_HANDLE_IOC_GETFDS, &b);
		if (r == 0 && b.entries == (uintptr_t)e && b.count == (unsigned)n)
			for (i = 0; i < n; i++)
				if (e[i].result >= 0 && e[i].result != 0x55555555)
					take_fd(e[i].result);
		break;
	}
	case O_INVENTORY: {
		static __thread struct remotefd_fd_record recs[8];
		struct remotefd_inventory v;

		memset(&v, 0, sizeof(v));
		v.start_fd = crn(c, 10) ? crn(c, 20) : pick_fd(c);
		v.count = crn(c, 20) ? 1 + crn(c, 8) : REMOTEFD_INVENTORY_MAX + crn(c, 2);
		v.records = crn(c, 20) ? (uintptr_t)recs : (uintptr_t)bad_ptr(c);
		if (v.count > 8 && v.records == (uintptr_t)recs)
			v.count = 8;
		r = do_ioctl(any_handle(c), REMOTEFD_HANDLE_IOC_INVENTORY, &v);
		break;
	}
#ifdef REMOTEFD_IOC_GETMAP
	case O_GETMAP: case O_HGETMAP: {
		struct remotefd_getmap g;

		memset(&g, 0, sizeof(g));
		switch (crn(c, 4)) {
		case 0: g.addr = crnd(c); break;
		case 1: g.addr = KMAPADDR + crn(c, N_KM) * KMAP_STRIDE + crn(c, 8192); break;
		default: g.addr = (uintptr_t)MAPADDR + crn(c, MAPLEN + 4096); break;
		}
		g.fd_flags = pick_flags(c, O_CLOEXEC);
		if (op == O_GETMAP) {
			g.target = pick_target(c);
			r = do_ioctl(c->dev, REMOTEFD_IOC_GETMAP, &g);
		} else {
			r = do_ioctl(any_handle(c), REMOTEFD_HANDLE_IOC_GETMAP, &g);
		}
		take_fd((int)r);
		break;
	}
#endif
	case O_WATCH: case O_SELFWATCH: {
		struct remotefd_watch w;
		int fds[8], n = 1 + crn(c, 8);

		if (c->watcher < 0)
			return;
		for (i = 0; i < n; i++)
			fds[i] = crn(c, 10) ? crn(c, 40) : pick_fd(c);
		memset(&w, 0, sizeof(w));
		w.target = op == O_SELFWATCH ? getpid() : pick_target(c);
		if (crn(c, 3) == 0) {
			w.flags = REMOTEFD_WATCH_ALL_FDS;
		} else {
			w.nfds = crn(c, 30) ? n : REMOTEFD_WATCH_MAX_FDS + 1;
			w.fds = crn(c, 20) ? (uintptr_t)fds : (uintptr_t)bad_ptr(c);
		}
		w.flags |= pick_flags(c, 0);
		r = do_ioctl(c->watcher, REMOTEFD_IOC_WATCH, &w);
		break;
	}
	case O_UNWATCH: {
		struct remotefd_watch w;

		if (c->watcher < 0)
			return;
		memset(&w, 0, sizeof(w));
		w.target = pick_target(c);
		r = do_ioctl(c->watcher, REMOTEFD_IOC_UNWATCH, &w);
		break;
	}
	case O_COLLECT: {
		struct remotefd_capture cap;

		if (c->watcher < 0)
			return;
		memset(&cap, 0, sizeof(cap));
		cap.fd_flags = pick_flags(c, O_CLOEXEC);
		r = do_ioctl(c->watcher, REMOTEFD_IOC_COLLECT, crn(c, 20) ? (void *)&cap : bad_ptr(c));
		if (r == 0 && cap.event == REMOTEFD_EVENT_FILE)
			take_fd(cap.newfd);
		break;
	}
	case O_POLL: {
		struct pollfd p = { .fd = c->watcher, .events = POLLIN };

		if (c->watcher < 0)
			return;
		r = poll(&p, 1, crn(c, 3));
		r = r < 0 ? -errno : 0;
		break;
	}
	case O_REOPEN: {
		int old = c->watcher;

		c->watcher = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
		r = c->watcher < 0 ? -errno : 0;
		if (old >= 0)
			close(old);	/* release with armed watches */
		break;
	}
	case O_SCM:
		send_fds(c);
		return;
	case O_URING:
		uring_fixed(c);
		return;
	case O_BADPTR: {
		static const unsigned long cmds[] = {
			REMOTEFD_IOC_INFO, REMOTEFD_IOC_GETFD, REMOTEFD_IOC_WATCH,
			REMOTEFD_IOC_UNWATCH, REMOTEFD_IOC_COLLECT, REMOTEFD_IOC_ATTACH,
			REMOTEFD_HANDLE_IOC_GETFD, REMOTEFD_HANDLE_IOC_GETFDS,
			REMOTEFD_HANDLE_IOC_INVENTORY,
		};
		int fd = crn(c, 3) == 0 ? any_handle(c) : (c->watcher >= 0 ? c->watcher : c->dev);

		r = do_ioctl(fd, cmds[crn(c, sizeof(cmds) / sizeof(cmds[0]))], bad_ptr(c));
		take_fd((int)r);
		break;
	}
	case O_BADCMD: {
		char buf[512];
		unsigned long cmd = _IOC(crn(c, 4), crn(c, 3) ? REMOTEFD_IOC_MAGIC : crn(c, 256),
					 crn(c, 32), crn(c, 3) ? crn(c, 512) : 0);

		memset(buf, 0, sizeof(buf));
		r = do_ioctl(crn(c, 2) ? c->dev : any_handle(c), cmd, buf);
		if (r > 2)
			take_fd((int)r);	/* a known command hit by chance */
		break;
	}
	case O_DUP2: {
		int src = crn(c, 2) ? c->dev : any_handle(c), t = 1000 + crn(c, 2000);

		if (src < 0)
			return;
		r = dup2(src, t);
		r = r < 0 ? -errno : 0;
		close(t);
		break;
	}
	default:
		return;
	}
	tally(op, r);
}

/*
 * One operation, coverage-guided: half of the time a kept input, one of its
 * words replaced or a bit flipped; the rest fresh.  An input whose run
 * reached an edge (a pair of module PCs) never seen is kept.
 */
static void guided_op(struct fctx *c, struct kcov *k)
{
	unsigned int n = __atomic_load_n(&sh->ncorpus, __ATOMIC_ACQUIRE);

	c->nin = 0;
	c->pos = 0;
	if (k->cover && n && rn(&c->s, 2)) {
		unsigned int e = (unsigned int)rn(&c->s, (int)(n < CORPUS ? n : CORPUS));
		int w;

		c->nin = sh->corpus[e].n;
		memcpy(c->in, sh->corpus[e].w, sizeof(c->in));
		if (c->nin > 0) {
			w = rn(&c->s, c->nin);
			c->in[w] = rn(&c->s, 2) ? rnd(&c->s) : c->in[w] ^ (1ULL << rn(&c->s, 64));
		}
		__atomic_fetch_add(&sh->replays, 1, __ATOMIC_RELAXED);
	}
	kcov_start(k);
	one_op(c);
	if (kcov_new_edges(k, sh->edge_seen, sizeof(sh->edge_seen), sh->pc_seen,
			   sizeof(sh->pc_seen), &sh->edges, &sh->pcs)) {
		unsigned int slot = __atomic_fetch_add(&sh->ncorpus, 1, __ATOMIC_ACQ_REL);

		if (slot < CORPUS) {
			sh->corpus[slot].n = c->pos < NWORDS ? c->pos : NWORDS;
			memcpy(sh->corpus[slot].w, c->in, sizeof(c->in));
		}
		__atomic_fetch_add(&sh->guided, 1, __ATOMIC_RELAXED);
	}
}

struct targ { int dev, proc; unsigned long long s; int *handles; int *watcher; };

static void *fuzz_thread(void *a)
{
	struct targ *t = a;
	struct kcov k;
	struct fctx c;
	int i;

	memset(&c, 0, sizeof(c));
	c.s = t->s;
	c.dev = t->dev;
	c.proc = t->proc;
	c.uring_ok = 1;
	c.watcher = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	for (i = 0; i < 8; i++)
		c.handles[i] = -1;
	kcov_open(&k);
	if (k.cover)
		sh->kcov = 1;
	while (!sh->stop)
		guided_op(&c, &k);
	kcov_close(&k);
	for (i = 0; i < 8; i++)
		if (c.handles[i] >= 0)
			close(c.handles[i]);
	if (c.watcher >= 0)
		close(c.watcher);
	return NULL;
}

static void run_fuzzer(int idx, int nthreads)
{
	pthread_t th[16];
	struct targ ta[16];
	int dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	int proc = open("/proc/remotefd", O_RDWR | O_CLOEXEC);
	struct kind_fds kinds;
	int i;

	/* Requests on itself (INVENTORY, GETMAP) meet every kind too. */
	make_kinds(&kinds);
	map_kinds(KMAPADDR);

	if (dev < 0)
		_exit(3);
	for (i = 0; i < nthreads; i++) {
		ta[i].dev = dev;
		ta[i].proc = proc;
		ta[i].s = seed * 0x9E3779B97F4A7C15ULL + (unsigned long long)(idx * 64 + i + 1);
		if (!ta[i].s)
			ta[i].s = 1;
		pthread_create(&th[i], NULL, fuzz_thread, &ta[i]);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

static int envi(const char *n, int d)
{
	const char *v = getenv(n);

	return v && *v ? atoi(v) : d;
}

int main(int argc, char **argv)
{
	int secs = envi("RFD_FUZZ_SECONDS", 20), nprocs = envi("RFD_FUZZ_PROCS", 2);
	int nthreads = envi("RFD_FUZZ_THREADS", 3), i, e, st, failed = 0;
	pid_t tp, fp[16];
	unsigned long total = 0;
	struct timespec t0, t1;
	double el;
	const char *sv = getenv("RFD_FUZZ_SEED");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "--target")) {
		/* an exec'd target: attach to the shared page by fd 3 */
		void *p = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);

		if (p == MAP_FAILED)
			_exit(0);
		sh = p;
		churn_loop(strtoull(argv[2], NULL, 10), argv[0]);
	}
	{
		struct rlimit rl = { 65536, 65536 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ntargets = envi("RFD_FUZZ_TARGETS", 4);
	if (ntargets > MAXT) ntargets = MAXT;
	if (nprocs > 16) nprocs = 16;
	if (nthreads > 16) nthreads = 16;
	seed = sv && *sv ? strtoull(sv, NULL, 0) : (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
	printf("# rfd-fuzz: seed %llu (RFD_FUZZ_SEED=%llu reproduces the operation sequence), %d s, %d processes x %d threads, %d targets\n",
	       seed, seed, secs, nprocs, nthreads, ntargets);

	/* Shared state in a memfd kept at fd 3, so exec'd targets find it. */
	{
		int m = memfd_create("fuzz-shared", 0);

		if (m < 0 || ftruncate(m, sizeof(*sh)) || dup2(m, 3) < 0) {
			printf("FAIL fuzz-run: setup\n");
			return 1;
		}
		if (m != 3)
			close(m);
		sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
		if (sh == MAP_FAILED) {
			printf("FAIL fuzz-run: mmap\n");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tp = fork();
	if (tp == 0)
		run_targets(seed ^ 0xabcdef, "/proc/self/exe");
	usleep(200000);
	for (i = 0; i < nprocs; i++) {
		fp[i] = fork();
		if (fp[i] == 0) {
			close(3);
			run_fuzzer(i, nthreads);
		}
	}
	/* New module edges over time (KCOV of the fuzzer threads). */
	for (e = 0; e < secs; e += 10) {
		unsigned long ops = 0;

		sleep(secs - e < 10 ? secs - e : 10);
		for (i = 0; i < NOPS; i++)
			ops += sh->ops[i];
		if (sh->kcov)
			printf("# kcov: %3d s: %lu operations, %lu edges, %lu PCs of the module, corpus %u, %lu replays of kept inputs\n",
			       e + (secs - e < 10 ? secs - e : 10), ops, sh->edges, sh->pcs,
			       sh->ncorpus < CORPUS ? sh->ncorpus : CORPUS, sh->replays);
	}
	if (!sh->kcov)
		printf("# kcov: not available (no /sys/kernel/debug/kcov, a kernel without CONFIG_KCOV): the fuzzer ran unguided\n");
	sh->stop = 1;
	for (i = 0; i < nprocs; i++) {
		/* a fuzzer stuck in the kernel would show here as a hang */
		waitpid(fp[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("# fuzzer %d ended with status 0x%x\n", i, st);
			failed = 1;
		}
	}
	waitpid(tp, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	el = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	for (i = 0; i < NOPS; i++) {
		char line[1024];
		int n = 0;

		total += sh->ops[i];
		n += snprintf(line + n, sizeof(line) - n, "# %-15s %8lu ops, %7lu ok", opname[i], sh->ops[i], sh->ok[i]);
		for (e = 1; e < 134 && n < 900; e++)
			if (sh->err[i][e])
				n += snprintf(line + n, sizeof(line) - n, ", %s %lu",
					      strerrorname_np(e) ?: "E?", sh->err[i][e]);
		puts(line);
	}
	printf("# rfd-fuzz: seed %llu: %lu operations in %.1f s = %.0f ops/s; target churn steps %lu%s\n",
	       seed, total, el, total / el, sh->churn,
	       sh->uring_unavailable ? "; io_uring unavailable (skipped)" : "");
	if (sh->badfd) {
		printf("FAIL fuzz-fds: %lu fds returned by the module were not open\n", sh->badfd);
		failed = 1;
	}
	if (total == 0)
		failed = 1;
	if (failed)
		printf("FAIL fuzz-run: seed %llu: a fuzzer process failed or nothing ran\n", seed);
	else
		printf("PASS fuzz-run: seed %llu, %lu operations, %.0f ops/s, %d s\n", seed, total, total / el, secs);
	return failed;
}
