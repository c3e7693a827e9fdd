// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-fault: the module's paths under fault injection (issue 11, item 3).
 * Needs CONFIG_FAULT_INJECTION + FAILSLAB + FAIL_PAGE_ALLOC with the debugfs
 * knobs configured by the scenario (vm/debug/scenarios/86-faultinject.sh:
 * ignore-gfp-wait N, min-order 0).
 *
 *   rfd-fault systematic OP   every fault point of one call of OP, one at a
 *                             time, with /proc/thread-self/fail-nth (1, 2,
 *                             3, ... until the call has no N-th point)
 *   rfd-fault random OP ITERS make-it-fail set around each call (the
 *                             scenario set probability/interval/times and
 *                             task-filter Y)
 *   rfd-fault check OP        one call without a fault (the test's own check)
 *   rfd-fault list            the OPs
 *
 * Each call runs in a fresh child whose fd table has 0..63 occupied, so
 * that installing a new fd has to grow the table (an allocation to fail).
 * A call passes when it either succeeds with the right file (same inode as
 * the target's) or fails with -1/errno leaving the caller's fd table
 * exactly as it was (the set of open fds and what each refers to), and the
 * same call without a fault then succeeds (no state left half-changed).
 * Prints "PASS/FAIL fault-<mode>-<op>: ..." and an errno histogram.
 */
#include "rfd-test.h"
#include <poll.h>
#include <signal.h>

#define MAXFD	256
#define FILLTO	64

struct snap { unsigned char open[MAXFD]; dev_t dev[MAXFD]; ino_t ino[MAXFD]; };

static void take_snap(struct snap *s)
{
	struct stat st;
	int fd;

	memset(s, 0, sizeof(*s));
	for (fd = 0; fd < MAXFD; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		s->open[fd] = 1;
		if (!fstat(fd, &st)) {
			s->dev[fd] = st.st_dev;
			s->ino[fd] = st.st_ino;
		}
	}
}

/* First differing fd, or -1 when equal. */
static int snap_diff(const struct snap *a, const struct snap *b)
{
	int fd;

	for (fd = 0; fd < MAXFD; fd++)
		if (a->open[fd] != b->open[fd] || a->dev[fd] != b->dev[fd] ||
		    a->ino[fd] != b->ino[fd])
			return fd;
	return -1;
}

/* ---- the target ----------------------------------------------------------- */

static int dev = -1, proc = -1;
static pid_t tpid = -1;
static int tpidfd = -1;
static int t_memfd, t_shmfd, t_closed = 200;
static void *t_map;
static dev_t m_dev; static ino_t m_ino;

/* A child holding a memfd (also mapped) and a /dev/shm file, then waiting. */
static pid_t start_target(void)
{
	struct stat st;
	pid_t p;

	t_memfd = memfd_create("rfd-fault", 0);
	if (t_memfd < 0 || ftruncate(t_memfd, 65536))
		return -1;
	t_map = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, t_memfd, 0);
	t_shmfd = open("/dev/shm/rfd-fault", O_RDWR | O_CREAT, 0600);
	fstat(t_memfd, &st);
	m_dev = st.st_dev; m_ino = st.st_ino;
	p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	return p;
}

/* ---- operations ----------------------------------------------------------- */

/* One call.  Returns >= 0 on success (a new fd to check and close, or
 * INT_MAX for "success, nothing installed"), -errno on failure.  prep()
 * runs outside the fault window; after() is the success/cleanup check. */
struct op {
	const char *name;
	int (*prep)(void);
	int (*call)(void);
	int (*after)(int r);	/* 0 ok, else reason code */
	void (*cleanup)(void);
};

static int handle = -1;
static int watcher = -1;
static pid_t wchild = -1;

static int ok_fd(int r)
{
	struct stat st;

	if (r == INT32_MAX || r < 0)
		return 0;
	if (fstat(r, &st))
		return 1;
	if (st.st_dev != m_dev || st.st_ino != m_ino) {
		close(r);
		return 2;
	}
	close(r);
	return 0;
}

static int nop(void) { return 0; }
static void nocleanup(void) {}

static int c_getfd_pid(void) { return rfd_getfd(dev, tpid, t_memfd, 0, O_CLOEXEC); }
static int c_getfd_pidfd(void) { return rfd_getfd(dev, tpidfd, t_memfd, REMOTEFD_TARGET_PIDFD, 0); }

static int c_legacy(void)
{
	struct remotefd_legacy_args a = { .i_pid = tpid, .i_fd = t_memfd, .o_fd = -2 };

	if (ioctl(proc, REMOTEFD_LEGACY_IOC, &a) < 0)
		return -errno;
	return a.o_fd >= 0 ? a.o_fd : -ENOMEM;	/* o_fd -1: "cannot be had" */
}

static int c_attach(void)
{
	return rfd_attach(dev, tpid, 0, O_CLOEXEC);
}

static int a_attach(int r)
{
	char p[64], l[128];
	ssize_t n;

	if (r < 0)
		return 0;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", r);
	n = readlink(p, l, sizeof(l) - 1);
	if (n < 0)
		return 1;
	l[n] = 0;
	close(r);
	return strstr(l, "remotefd-target") ? 0 : 2;
}

static int p_handle(void)
{
	handle = c_attach();
	return handle < 0 ? handle : 0;
}

static void cl_handle(void)
{
	if (handle >= 0)
		close(handle);
	handle = -1;
}

static int c_hgetfd(void)
{
	struct remotefd_handle_getfd g;
	int r;

	memset(&g, 0, sizeof(g));
	g.fd = t_memfd;
	r = ioctl(handle, REMOTEFD_HANDLE_IOC_GETFD, &g);
	return r < 0 ? -errno : r;
}

static struct remotefd_batch_entry bents[8];

static int c_hgetfds(void)
{
	struct remotefd_batch b;
	int i;

	for (i = 0; i < 8; i++) {
		bents[i].fd = (i == 5) ? t_closed : (i & 1 ? t_shmfd : t_memfd);
		bents[i].result = 12345;
	}
	memset(&b, 0, sizeof(b));
	b.count = 8;
	b.entries = (uintptr_t)bents;
	return ioctl(handle, REMOTEFD_HANDLE_IOC_GETFDS, &b) < 0 ? -errno : INT32_MAX;
}

/* Per-entry results: new fds (each the right file) or -errno; fds that
 * the call reported are closed.  Also used after a whole-call failure:
 * then no fd may have appeared (the snapshot check does that). */
static int a_hgetfds(int r)
{
	int i, bad = 0;

	if (r < 0)
		return 0;	/* whole call refused: the snapshot says no fd appeared */
	for (i = 0; i < 8; i++) {
		int x = bents[i].result;

		if (x >= 0) {
			if (i == 5)
				bad = 3;
			else if (!(i & 1) && ok_fd(x))
				bad = 2;
			else if (i & 1)
				close(x);
		} else if (x == 12345) {
			bad = 4;	/* never written */
		} else if (i == 5 && x != -EBADF) {
			/* a failed lookup of a closed fd: EBADF expected */
			bad = 5;
		}
	}
	return bad;
}

static struct remotefd_fd_record recs[16];

static int c_inventory(void)
{
	struct remotefd_inventory v;

	memset(&v, 0, sizeof(v));
	v.count = 16;
	v.records = (uintptr_t)recs;
	if (ioctl(handle, REMOTEFD_HANDLE_IOC_INVENTORY, &v) < 0)
		return -errno;
	return v.returned >= 3 ? INT32_MAX : INT32_MAX - 2;
}

#ifdef REMOTEFD_IOC_GETMAP
static int c_getmap(void)
{
	struct remotefd_getmap g;
	int r;

	memset(&g, 0, sizeof(g));
	g.target = tpid;
	g.addr = (uintptr_t)t_map + 100;
	r = ioctl(dev, REMOTEFD_IOC_GETMAP, &g);
	return r < 0 ? -errno : r;
}

static int c_hgetmap(void)
{
	struct remotefd_getmap g;
	int r;

	memset(&g, 0, sizeof(g));
	g.addr = (uintptr_t)t_map + 100;
	r = ioctl(handle, REMOTEFD_HANDLE_IOC_GETMAP, &g);
	return r < 0 ? -errno : r;
}
#endif

/* WATCH: a fresh child to watch; after: kill it and collect everything. */
static int p_watch(void)
{
	watcher = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (watcher < 0)
		return -errno;
	wchild = fork();
	if (wchild == 0) {
		for (;;)
			pause();
	}
	return 0;
}

static int c_watch(void)
{
	struct remotefd_watch w;
	int fds[3] = { t_memfd, t_shmfd, t_closed };

	memset(&w, 0, sizeof(w));
	w.target = wchild;
	w.nfds = 3;
	w.fds = (uintptr_t)fds;
	return ioctl(watcher, REMOTEFD_IOC_WATCH, &w) < 0 ? -errno : INT32_MAX;
}

/* Collect until the final event; returns the number of events, or -1. */
static int drain(int *files, int *final)
{
	struct remotefd_capture c;
	struct pollfd p = { .fd = watcher, .events = POLLIN };
	int n = 0, k;

	*files = 0;
	*final = 0;
	for (k = 0; k < 200; k++) {
		if (poll(&p, 1, 50) == 0) {
			if (n == 0 && k > 20)
				return 0;	/* nothing ever queued */
			continue;
		}
		memset(&c, 0, sizeof(c));
		if (ioctl(watcher, REMOTEFD_IOC_COLLECT, &c) < 0) {
			if (errno == EAGAIN)
				continue;
			return -1;
		}
		n++;
		if (c.event == REMOTEFD_EVENT_FILE) {
			(*files)++;
			close(c.newfd);
		}
		if (c.event == REMOTEFD_EVENT_EXIT || c.event == REMOTEFD_EVENT_DENIED) {
			*final = c.event;
			return n;
		}
	}
	return -1;
}

static int killed_child(void)
{
	int st;

	kill(wchild, SIGKILL);
	waitpid(wchild, &st, 0);
	wchild = -1;
	return 0;
}

static int a_watch(int r)
{
	int files, final, n;

	killed_child();
	n = drain(&files, &final);
	if (r >= 0)	/* armed: exactly memfd + shm files, then EXIT */
		return (n == 4 && files == 2 && final == REMOTEFD_EVENT_EXIT) ? 0 : 10 + n;
	/* not armed: nothing may arrive */
	return n == 0 ? 0 : 20 + n;
}

static void cl_watch(void)
{
	if (wchild > 0)
		killed_child();
	if (watcher >= 0)
		close(watcher);
	watcher = -1;
}

/* COLLECT: armed and fired outside the window; the first COLLECT (the
 * memfd's FILE event) inside it.  On failure the event must stay. */
static int p_collect(void)
{
	struct pollfd p;
	int r;

	r = p_watch();
	if (r)
		return r;
	r = c_watch();
	if (r < 0)
		return r;
	killed_child();
	p.fd = watcher;
	p.events = POLLIN;
	return poll(&p, 1, 5000) == 1 ? 0 : -ETIMEDOUT;
}

static struct remotefd_capture cap;

static int c_collect(void)
{
	memset(&cap, 0, sizeof(cap));
	if (ioctl(watcher, REMOTEFD_IOC_COLLECT, &cap) < 0)
		return -errno;
	return cap.event == REMOTEFD_EVENT_FILE ? cap.newfd : INT32_MAX - 1;
}

static int a_collect(int r)
{
	int files, final, n, want_files;

	if (r == INT32_MAX - 1)
		return 30;		/* first event not the memfd's FILE */
	if (r >= 0) {
		if (ok_fd(r))
			return 31;
		want_files = 1;		/* the shm file still to come */
	} else {
		want_files = 2;		/* the memfd's event kept */
	}
	n = drain(&files, &final);
	return (files == want_files && final == REMOTEFD_EVENT_EXIT) ? 0 : 40 + n;
}

static int c_unwatch(void)
{
	struct remotefd_watch w;

	memset(&w, 0, sizeof(w));
	w.target = wchild;
	return ioctl(watcher, REMOTEFD_IOC_UNWATCH, &w) < 0 ? -errno : INT32_MAX;
}

static int p_unwatch(void)
{
	int r = p_watch();

	if (r)
		return r;
	r = c_watch();
	return r < 0 ? r : 0;
}

static int a_unwatch(int r)
{
	int files, final, n;

	killed_child();
	n = drain(&files, &final);
	if (r >= 0)
		return n == 0 ? 0 : 50 + n;
	return (n == 4 && final == REMOTEFD_EVENT_EXIT) ? 0 : 60 + n;
}

static int a_fd(int r) { return ok_fd(r); }
static int a_none(int r) { return r == INT32_MAX - 2; }	/* inventory: too few records */

static const struct op ops[] = {
	{ "getfd-pid", nop, c_getfd_pid, a_fd, nocleanup },
	{ "getfd-pidfd", nop, c_getfd_pidfd, a_fd, nocleanup },
	{ "legacy", nop, c_legacy, a_fd, nocleanup },
	{ "attach", nop, c_attach, a_attach, nocleanup },
	{ "handle-getfd", p_handle, c_hgetfd, a_fd, cl_handle },
	{ "handle-getfds", p_handle, c_hgetfds, a_hgetfds, cl_handle },
	{ "inventory", p_handle, c_inventory, a_none, cl_handle },
#ifdef REMOTEFD_IOC_GETMAP
	{ "getmap", nop, c_getmap, a_fd, nocleanup },
	{ "handle-getmap", p_handle, c_hgetmap, a_fd, cl_handle },
#endif
	{ "watch", p_watch, c_watch, a_watch, cl_watch },
	{ "collect", p_collect, c_collect, a_collect, cl_watch },
	{ "unwatch", p_unwatch, c_unwatch, a_unwatch, cl_watch },
};

/* ---- fault control -------------------------------------------------------- */

static int failnth_fd = -1, mif_fd = -1;

static void wr(int fd, const char *s)
{
	if (pwrite(fd, s, strlen(s), 0) < 0) {
		perror("fault control write");
		_exit(99);
	}
}

static int failnth_left(void)
{
	char b[32];
	ssize_t n = pread(failnth_fd, b, sizeof(b) - 1, 0);

	if (n <= 0)
		return -1;
	b[n] = 0;
	return atoi(b);
}

/* Child exit codes: 0 ok, 1 no fault injected (N beyond the call's
 * points), 2 not applicable (ENOTTY), >= 10 a failure (reason). */
enum { RV_OK = 0, RV_NOPOINT = 1, RV_NA = 2 };

struct result { int code; int err; int injected; int success; };

static void report_child(int pfd, struct result *res)
{
	if (write(pfd, res, sizeof(*res)) != sizeof(*res))
		_exit(98);
	_exit(0);
}

/* One call of @o in a child with the table filled to FILLTO; @nth > 0:
 * fail-nth mode; 0: make-it-fail mode.  The child's verdict in *res. */
static void one(const struct op *o, int nth, struct result *res)
{
	int pipefd[2], st, r, fd, d, filled[FILLTO];
	struct snap before, after;
	pid_t c;

	memset(res, 0, sizeof(*res));
	if (pipe(pipefd))
		exit(3);
	c = fork();
	if (c == 0) {
		struct result cr = { 0 };

		close(pipefd[0]);
		/* This thread's knobs: the parent's fds name the parent. */
		close(failnth_fd);
		close(mif_fd);
		failnth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		mif_fd = open("/proc/thread-self/make-it-fail", O_RDWR | O_CLOEXEC);
		if (failnth_fd < 0 || mif_fd < 0) {
			cr.code = 91;
			cr.err = errno;
			report_child(pipefd[1], &cr);
		}
		r = o->prep();
		if (r == -ENOTTY) {
			cr.code = RV_NA;
			report_child(pipefd[1], &cr);
		}
		if (r) {
			cr.code = 90;
			cr.err = -r;
			report_child(pipefd[1], &cr);
		}
		/* After prep: the call's new fd must grow the table. */
		for (fd = 0; fd < FILLTO; fd++) {
			filled[fd] = -1;
			if (fcntl(fd, F_GETFD) < 0)
				filled[fd] = dup2(pipefd[1], fd) >= 0 ? fd : -1;
		}
		(void)filled;
		take_snap(&before);
		if (nth > 0) {
			char b[16];

			snprintf(b, sizeof(b), "%d", nth);
			wr(failnth_fd, b);
			r = o->call();
			cr.injected = failnth_left() == 0;
			wr(failnth_fd, "0");
		} else if (nth == 0) {
			wr(mif_fd, "1");
			r = o->call();
			wr(mif_fd, "0");
			cr.injected = -1;	/* unknown */
		} else {
			r = o->call();	/* check mode: no fault */
		}
		if (r == -ENOTTY) {
			cr.code = RV_NA;
			o->cleanup();
			report_child(pipefd[1], &cr);
		}
		if (r < 0) {
			cr.err = -r;
			take_snap(&after);
			d = snap_diff(&before, &after);
			if (d >= 0) {
				cr.code = 11;	/* fd table changed by a failed call */
				cr.err = d;	/* the fd */
				o->cleanup();
				report_child(pipefd[1], &cr);
			}
			cr.code = o->after(r) ? 12 : RV_OK;
			o->cleanup();
			/* the same call without a fault must now work */
			if (cr.code == RV_OK) {
				if (o->prep != nop && o->prep != p_handle) {
					if (o->prep()) {
						cr.code = 13;
						report_child(pipefd[1], &cr);
					}
				} else if (o->prep == p_handle) {
					p_handle();
				}
				r = o->call();
				if (r < 0 || o->after(r))
					cr.code = 14;
				o->cleanup();
			}
		} else {
			cr.success = 1;
			cr.code = o->after(r);
			if (cr.code)
				cr.code = 20 + cr.code;
			o->cleanup();
		}
		if (nth > 0 && !cr.injected && cr.code == RV_OK)
			cr.code = RV_NOPOINT;
		report_child(pipefd[1], &cr);
	}
	close(pipefd[1]);
	if (read(pipefd[0], res, sizeof(*res)) != sizeof(*res))
		res->code = 97;
	close(pipefd[0]);
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		res->code = 96;
}

static int hist[256];

static void print_hist(const char *mode, const char *name)
{
	int e, first = 1;

	printf("# fault-%s-%s errnos:", mode, name);
	for (e = 0; e < 256; e++)
		if (hist[e]) {
			printf("%s %s x%d", first ? "" : ",", strerrorname_np(e) ?: "?", hist[e]);
			first = 0;
		}
	printf("%s\n", first ? " none" : "");
}

static const struct op *find_op(const char *n)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, n))
			return &ops[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct op *o;
	struct result res;
	int n, iters, fails = 0, succ = 0, faults = 0, maxn = 400;
	const char *mode;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		for (n = 0; n < (int)(sizeof(ops) / sizeof(ops[0])); n++)
			printf("%s\n", ops[n].name);
		return 0;
	}
	if (argc < 3 || !(o = find_op(argv[2]))) {
		fprintf(stderr, "usage: rfd-fault systematic|random OP [ITERS] | list\n");
		return 2;
	}
	mode = argv[1];
	iters = argc > 3 ? atoi(argv[3]) : 200;
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		perror("mlockall");
	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	proc = open("/proc/remotefd", O_RDWR | O_CLOEXEC);
	if (!strcmp(mode, "check")) {
		tpid = start_target();
		tpidfd = sys_pidfd_open(tpid);
		one(o, -1, &res);
		kill(tpid, SIGKILL);
		waitpid(tpid, NULL, 0);
		if (res.code == RV_NA)
			printf("SKIP fault-check-%s: ENOTTY\n", o->name);
		else if (res.code == RV_OK && res.success)
			printf("PASS fault-check-%s\n", o->name);
		else
			printf("FAIL fault-check-%s: verdict %d errno %d success %d\n", o->name, res.code, res.err, res.success);
		return 0;
	}
	failnth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	mif_fd = open("/proc/thread-self/make-it-fail", O_RDWR | O_CLOEXEC);
	if (dev < 0 || failnth_fd < 0 || mif_fd < 0) {
		printf("FAIL fault-%s-%s: setup: /dev/remotefd %d, fail-nth %d, make-it-fail %d (%s)\n",
		       mode, o->name, dev, failnth_fd, mif_fd, strerror(errno));
		return 1;
	}
	if (!strcmp(o->name, "legacy") && proc < 0) {
		printf("SKIP fault-%s-%s: no /proc/remotefd\n", mode, o->name);
		return 0;
	}
	tpid = start_target();
	if (tpid < 0) {
		printf("FAIL fault-%s-%s: target\n", mode, o->name);
		return 1;
	}
	tpidfd = sys_pidfd_open(tpid);

	if (!strcmp(mode, "systematic")) {
		for (n = 1; n <= maxn; n++) {
			one(o, n, &res);
			if (res.code == RV_NA)
				break;
			if (res.code == RV_NOPOINT)
				break;
			if (res.injected)
				faults++;
			if (res.success) {
				succ++;
			} else if (res.code == RV_OK) {
				hist[res.err & 255]++;
			}
			if (res.code != RV_OK) {
				fails++;
				printf("# fault-systematic-%s: point %d: verdict %d (errno/fd %d %s, %s)\n",
				       o->name, n, res.code, res.err,
				       res.err > 0 && res.err < 256 ? strerrorname_np(res.err) ?: "" : "",
				       res.success ? "call succeeded" : "call failed");
			}
		}
		kill(tpid, SIGKILL);
		waitpid(tpid, NULL, 0);
		if (res.code == RV_NA) {
			printf("SKIP fault-systematic-%s: ENOTTY (module without it)\n", o->name);
			return 0;
		}
		print_hist("systematic", o->name);
		if (n > maxn)
			printf("# fault-systematic-%s: stopped after %d points\n", o->name, maxn);
		if (fails)
			printf("FAIL fault-systematic-%s: %d of %d fault points gave a wrong result\n",
			       o->name, fails, n - 1);
		else
			printf("PASS fault-systematic-%s: %d fault points, each an errno with the fd table unchanged or a correct success (%d tolerated)\n",
			       o->name, n - 1, succ);
		return fails ? 1 : 0;
	}

	for (n = 0; n < iters; n++) {
		one(o, 0, &res);
		if (res.code == RV_NA)
			break;
		if (res.success)
			succ++;
		else if (res.code == RV_OK)
			hist[res.err & 255]++;
		if (res.code != RV_OK) {
			fails++;
			if (fails <= 5)
				printf("# fault-random-%s: iteration %d: verdict %d (errno/fd %d, %s)\n",
				       o->name, n, res.code, res.err,
				       res.success ? "call succeeded" : "call failed");
		}
	}
	kill(tpid, SIGKILL);
	waitpid(tpid, NULL, 0);
	if (res.code == RV_NA) {
		printf("SKIP fault-random-%s: ENOTTY (module without it)\n", o->name);
		return 0;
	}
	print_hist("random", o->name);
	if (fails)
		printf("FAIL fault-random-%s: %d of %d calls gave a wrong result\n", o->name, fails, n);
	else
		printf("PASS fault-random-%s: %d calls, %d succeeded, %d failed with an errno and an unchanged fd table\n",
		       o->name, n, succ, n - succ);
	return fails ? 1 : 0;
}
