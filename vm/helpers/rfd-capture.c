// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-capture NAME: capture on exit (REMOTEFD_IOC_WATCH / _UNWATCH /
 * _COLLECT, poll).  Run as root.  Producers are forked children holding a
 * memfd (fd 10), an unlinked /dev/shm file (fd 11) and a memfd that is
 * never armed (fd 12), each filled with its own pattern.
 *   - SIGKILLed producer, armed fds 10, 11, 50 (not open): byte-identical
 *     memfd and shm contents, NOT_OPEN for 50, fd 12 not captured, EXIT;
 *   - producer exiting normally, watched by pidfd with ALL_FDS: every open
 *     fd captured, the inherited /dev/remotefd skipped;
 *   - multi-threaded producer: nothing when the main thread exits alone,
 *     capture when the last thread exits;
 *   - setresuid, exec, PR_SET_DUMPABLE 0 after arming: DENIED, nothing
 *     captured;
 *   - uid 1000 watcher: own process OK, root process EPERM;
 *   - unwatched and unwatched-after-arming producers: nothing queued;
 *   - malformed requests: errnos; a read-only buffer or a full fd table
 *     at collect time keeps the event queued;
 *   - 100 exits racing arm/collect/close;
 *   - no fd leak; Shmem back to baseline once the watcher is closed with
 *     captures still queued.
 */
#include "rfd-test.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define FD_MEM		10
#define FD_SHM		11
#define FD_UNARMED	12
#define FD_NOTOPEN	50
#define LEN		(256 * 1024)
#define BIGLEN		(8 * 1024 * 1024)

static const char *T;

static int unwatch_req(int dev, int target, unsigned int flags)
{
	struct remotefd_watch w;

	memset(&w, 0, sizeof(w));
	w.target = target;
	w.flags = flags;
	return ioctl(dev, REMOTEFD_IOC_UNWATCH, &w) < 0 ? -errno : 0;
}

/* Events until the final one; returns how many (-1 on a collect error). */
static int collect_all(int dev, struct remotefd_capture *ev, int max)
{
	int n = 0, r;

	while (n < max) {
		if (!readable(dev, 10000))
			return n;
		r = collect(dev, &ev[n], O_CLOEXEC);
		if (r == -EAGAIN)
			continue;
		if (r)
			return -1;
		n++;
		if (ev[n - 1].event == REMOTEFD_EVENT_EXIT ||
		    ev[n - 1].event == REMOTEFD_EVENT_DENIED)
			return n;
	}
	return n;
}

static void close_events(struct remotefd_capture *ev, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ev[i].newfd >= 0)
			close(ev[i].newfd);
}

static unsigned char pat(unsigned int seed, size_t i)
{
	return (unsigned char)(i * 31 + seed * 101 + (i >> 12));
}

static void fill(int fd, size_t len, unsigned int seed)
{
	static unsigned char buf[65536];
	size_t off, i;

	if (ftruncate(fd, len))
		die("ftruncate");
	for (off = 0; off < len; off += sizeof(buf)) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = pat(seed, off + i);
		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf))
			die("pwrite");
	}
}

static int same_pattern(int fd, size_t len, unsigned int seed)
{
	static unsigned char buf[65536];
	struct stat st;
	size_t off, i;

	if (fstat(fd, &st) || (size_t)st.st_size != len)
		return 0;
	for (off = 0; off < len; off += sizeof(buf)) {
		if (pread(fd, buf, sizeof(buf), off) != sizeof(buf))
			return 0;
		for (i = 0; i < sizeof(buf); i++)
			if (buf[i] != pat(seed, off + i))
				return 0;
	}
	return 1;
}

struct prod {
	pid_t pid;
	int go;		/* write end: commands */
	int ready;	/* read end: 'R' when ready, 'D' when a command is done */
};

static int thread_go;

static void *last_thread(void *arg)
{
	char c;

	(void)arg;
	if (read(thread_go, &c, 1) != 1)
		_exit(__LINE__ % 256);
	return NULL;	/* the last thread returns: the process exits */
}

static void producer_main(int go, int ready, size_t len)
{
	char name[64], c;
	pthread_t th;
	int fd;

	fd = memfd_create("rfd-capture", 0);
	if (fd < 0 || dup2(fd, FD_MEM) < 0)
		_exit(__LINE__ % 256);
	close(fd);
	fill(FD_MEM, len, 1);
	snprintf(name, sizeof(name), "/dev/shm/rfd-capture-%d", getpid());
	fd = open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || dup2(fd, FD_SHM) < 0)
		_exit(__LINE__ % 256);
	close(fd);
	unlink(name);
	fill(FD_SHM, LEN, 2);
	fd = memfd_create("rfd-capture-unarmed", 0);
	if (fd < 0 || dup2(fd, FD_UNARMED) < 0)
		_exit(__LINE__ % 256);
	close(fd);
	fill(FD_UNARMED, LEN, 3);
	if (write(ready, "R", 1) != 1)
		_exit(__LINE__ % 256);
	for (;;) {
		if (read(go, &c, 1) != 1)
			_exit(0);
		switch (c) {
		case 'x':			/* normal exit */
			exit(0);
		case 'd':			/* become non-dumpable */
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
				_exit(__LINE__ % 256);
			break;
		case 'u':			/* change credentials */
			if (setresuid(1000, 1000, 1000))
				_exit(__LINE__ % 256);
			break;
		case 'e':			/* exec another program */
			execl("/bin/busybox", "sleep", "100", (char *)NULL);
			_exit(__LINE__ % 256);
		case 't':			/* main thread exits, other lives */
			thread_go = go;
			if (pthread_create(&th, NULL, last_thread, NULL))
				_exit(__LINE__ % 256);
			if (write(ready, "D", 1) != 1)
				_exit(__LINE__ % 256);
			pthread_exit(NULL);
		}
		if (write(ready, "D", 1) != 1)
			_exit(__LINE__ % 256);
	}
}

static int high_fd(int fd)
{
	int h = fcntl(fd, F_DUPFD, FD_NOTOPEN + 10);

	if (h < 0)
		die("F_DUPFD");
	close(fd);
	return h;
}

static struct prod producer(size_t len)
{
	int g[2], r[2];
	struct prod p;
	int st = -1, i;
	char c;

	if (pipe(g) || pipe(r))
		die("pipe");
	/* above FD_NOTOPEN: the producer dup2()s onto 10..12 */
	for (i = 0; i < 2; i++) {
		g[i] = high_fd(g[i]);
		r[i] = high_fd(r[i]);
	}
	fflush(stdout);
	p.pid = fork();
	if (p.pid < 0)
		die("fork");
	if (p.pid == 0) {
		close(g[1]);
		close(r[0]);
		producer_main(g[0], r[1], len);
		_exit(0);
	}
	close(g[0]);
	close(r[1]);
	p.go = g[1];
	p.ready = r[0];
	if (read(p.ready, &c, 1) != 1 || c != 'R') {
		waitpid(p.pid, &st, 0);
		printf("FAIL %s: producer did not start (status %#x)\n", T, st);
		exit(2);
	}
	return p;
}

static int command(struct prod *p, char cmd)
{
	char c;

	if (write(p->go, &cmd, 1) != 1)
		return 0;
	return read(p->ready, &c, 1) == 1 && c == 'D';
}

static void reap(struct prod *p)
{
	close(p->go);
	close(p->ready);
	waitpid(p->pid, NULL, 0);
}

static void kill_reap(struct prod *p)
{
	kill(p->pid, SIGKILL);
	reap(p);
}

static int find_event(struct remotefd_capture *ev, int n, unsigned int type,
		      int fd)
{
	int i;

	for (i = 0; i < n; i++)
		if (ev[i].event == type && ev[i].fd == fd)
			return i;
	return -1;
}

static const char *ev_name(unsigned int e)
{
	switch (e) {
	case REMOTEFD_EVENT_FILE: return "FILE";
	case REMOTEFD_EVENT_NOT_OPEN: return "NOT_OPEN";
	case REMOTEFD_EVENT_SKIPPED: return "SKIPPED";
	case REMOTEFD_EVENT_EXIT: return "EXIT";
	case REMOTEFD_EVENT_DENIED: return "DENIED";
	}
	return "?";
}

static void show(struct remotefd_capture *ev, int n)
{
	int i;

	for (i = 0; i < n; i++)
		printf("  event %s pid %d fd %d newfd %d count %u lost %u\n",
		       ev_name(ev[i].event), ev[i].pid, ev[i].fd, ev[i].newfd,
		       ev[i].count, ev[i].lost);
}

static void test_killed(void)
{
	int fds[] = { FD_SHM, FD_NOTOPEN, FD_MEM };
	struct remotefd_capture ev[16];
	struct prod p = producer(LEN);
	int dev, n, i, m, s, fl;

	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/remotefd");
	check(watch_req(dev, p.pid, 0, fds, 3) == 0, "%s: killed: arm fds 10 11 50", T);
	check(!readable(dev, 0), "%s: killed: nothing queued before the exit", T);
	kill(p.pid, SIGKILL);
	n = collect_all(dev, ev, 16);
	show(ev, n > 0 ? n : 0);
	check(n == 4, "%s: killed: 4 events (2 files, 1 not open, exit): %d", T, n);
	m = find_event(ev, n, REMOTEFD_EVENT_FILE, FD_MEM);
	s = find_event(ev, n, REMOTEFD_EVENT_FILE, FD_SHM);
	check(m >= 0 && same_pattern(ev[m].newfd, LEN, 1),
	      "%s: killed: memfd captured, byte-identical", T);
	check(s >= 0 && same_pattern(ev[s].newfd, LEN, 2),
	      "%s: killed: unlinked /dev/shm file captured, byte-identical", T);
	fl = m >= 0 ? fcntl(ev[m].newfd, F_GETFD) : -1;
	check(fl >= 0 && (fl & FD_CLOEXEC), "%s: killed: O_CLOEXEC as asked", T);
	check(find_event(ev, n, REMOTEFD_EVENT_NOT_OPEN, FD_NOTOPEN) >= 0,
	      "%s: killed: fd 50 reported not open", T);
	check(find_event(ev, n, REMOTEFD_EVENT_FILE, FD_UNARMED) < 0,
	      "%s: killed: unarmed fd 12 not captured", T);
	check(n > 0 && ev[n - 1].event == REMOTEFD_EVENT_EXIT &&
	      ev[n - 1].count == 2 && ev[n - 1].lost == 0 &&
	      ev[n - 1].fd == -1 && ev[n - 1].newfd == -1,
	      "%s: killed: final EXIT count 2 lost 0", T);
	for (i = 0; i < n; i++)
		if (ev[i].pid != p.pid)
			break;
	check(n > 0 && i == n, "%s: killed: events carry the pid", T);
	check(collect(dev, &ev[0], 0) == -EAGAIN && !readable(dev, 0),
	      "%s: killed: queue empty afterwards (EAGAIN, no POLLIN)", T);
	check(unwatch_req(dev, p.pid, 0) == -ENOENT,
	      "%s: killed: watch gone after the exit (UNWATCH ENOENT)", T);
	close_events(ev, n);
	reap(&p);
	close(dev);
}

static void test_normal_exit_all(void)
{
	struct remotefd_capture ev[64];
	struct prod p;
	int dev, pfd, n, i, files = 0, m, skipped;

	/* opened before the fork: the producer inherits it (SKIPPED) */
	dev = open("/dev/remotefd", O_RDWR);
	if (dev < 0)
		die("open /dev/remotefd");
	p = producer(LEN);
	pfd = sys_pidfd_open(p.pid);
	check(watch_req(dev, pfd, REMOTEFD_TARGET_PIDFD | REMOTEFD_WATCH_ALL_FDS,
			NULL, 0) == 0, "%s: exit(0): arm by pidfd, all fds", T);
	if (write(p.go, "x", 1) != 1)
		die("write");
	n = collect_all(dev, ev, 64);
	show(ev, n > 0 ? n : 0);
	for (i = 0; i < n; i++)
		files += ev[i].event == REMOTEFD_EVENT_FILE;
	m = find_event(ev, n, REMOTEFD_EVENT_FILE, FD_MEM);
	check(m >= 0 && same_pattern(ev[m].newfd, LEN, 1),
	      "%s: exit(0): memfd captured, byte-identical", T);
	m = find_event(ev, n, REMOTEFD_EVENT_FILE, FD_SHM);
	check(m >= 0 && same_pattern(ev[m].newfd, LEN, 2),
	      "%s: exit(0): shm file captured, byte-identical", T);
	m = find_event(ev, n, REMOTEFD_EVENT_FILE, FD_UNARMED);
	check(m >= 0 && same_pattern(ev[m].newfd, LEN, 3),
	      "%s: exit(0): all fds: fd 12 captured too", T);
	m = find_event(ev, n, REMOTEFD_EVENT_FILE, 1);
	check(m >= 0, "%s: exit(0): all fds: stdout captured", T);
	skipped = find_event(ev, n, REMOTEFD_EVENT_SKIPPED, dev);
	check(skipped >= 0, "%s: exit(0): inherited /dev/remotefd fd skipped", T);
	check(n > 0 && ev[n - 1].event == REMOTEFD_EVENT_EXIT &&
	      (int)ev[n - 1].count == files && files >= 6,
	      "%s: exit(0): EXIT count = FILE events (%d)", T, files);
	close_events(ev, n);
	close(pfd);
	reap(&p);
	close(dev);
}

static void test_threads(void)
{
	int fds[] = { FD_MEM };
	struct remotefd_capture ev[8];
	struct prod p = producer(LEN);
	char path[64], st[512];
	int dev, n, m, i;
	FILE *f;

	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/remotefd");
	check(watch_req(dev, p.pid, 0, fds, 1) == 0, "%s: threads: arm", T);
	check(command(&p, 't'), "%s: threads: main thread exits", T);
	snprintf(path, sizeof(path), "/proc/%d/stat", p.pid);
	for (i = 0; i < 100; i++) {
		f = fopen(path, "r");
		st[0] = 0;
		if (f && fgets(st, sizeof(st), f) && strstr(st, ") Z ")) {
			fclose(f);
			break;
		}
		if (f)
			fclose(f);
		usleep(50000);
	}
	check(i < 100, "%s: threads: main thread is a zombie, process alive", T);
	check(!readable(dev, 500),
	      "%s: threads: nothing while another thread lives", T);
	if (write(p.go, "z", 1) != 1)	/* the last thread returns */
		die("write");
	n = collect_all(dev, ev, 8);
	show(ev, n > 0 ? n : 0);
	m = find_event(ev, n, REMOTEFD_EVENT_FILE, FD_MEM);
	check(m >= 0 && same_pattern(ev[m].newfd, LEN, 1) && n == 2 &&
	      ev[1].event == REMOTEFD_EVENT_EXIT,
	      "%s: threads: captured when the last thread exits", T);
	close_events(ev, n);
	reap(&p);
	close(dev);
}

static void test_denied(char cmd, const char *what)
{
	int fds[] = { FD_MEM, FD_SHM };
	struct remotefd_capture ev[8];
	struct prod p = producer(LEN);
	char path[64], comm[32] = "";
	int dev, n, i;
	FILE *f;

	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/remotefd");
	check(watch_req(dev, p.pid, 0, fds, 2) == 0, "%s: %s: arm", T, what);
	if (cmd == 'e') {
		if (write(p.go, "e", 1) != 1)
			die("write");
		snprintf(path, sizeof(path), "/proc/%d/comm", p.pid);
		for (i = 0; i < 100; i++) {
			f = fopen(path, "r");
			if (f && fgets(comm, sizeof(comm), f) &&
			    !strncmp(comm, "busybox", 7)) {
				fclose(f);
				break;
			}
			if (f)
				fclose(f);
			usleep(50000);
		}
		check(i < 100, "%s: %s: producer exec'd", T, what);
	} else {
		check(command(&p, cmd), "%s: %s: done", T, what);
	}
	kill(p.pid, SIGKILL);
	n = collect_all(dev, ev, 8);
	show(ev, n > 0 ? n : 0);
	check(n == 1 && ev[0].event == REMOTEFD_EVENT_DENIED &&
	      ev[0].newfd == -1 && ev[0].pid == p.pid,
	      "%s: %s after arming: nothing captured, DENIED", T, what);
	close_events(ev, n);
	reap(&p);
	close(dev);
}

/*
 * As uid 1000 (exec'd after dropping privileges, so dumpable again): its
 * own child OK, root's process EPERM by pid and by pidfd.
 */
static int uid1000_part(pid_t rootpid, int rootpfd)
{
	int fds[] = { FD_MEM };
	struct remotefd_capture ev[4];
	struct prod mine;
	int dev, n, m, r;

	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("uid 1000: open /dev/remotefd");
	r = watch_req(dev, rootpid, 0, fds, 1);
	check(r == -EPERM, "%s: uid 1000 arming on a root process: %s", T,
	      res_name(r));
	r = watch_req(dev, rootpfd, REMOTEFD_TARGET_PIDFD, fds, 1);
	check(r == -EPERM, "%s: uid 1000 arming on a root process by pidfd: %s",
	      T, res_name(r));
	mine = producer(LEN);
	r = watch_req(dev, mine.pid, 0, fds, 1);
	check(r == 0, "%s: uid 1000 arming on its own child: %s", T,
	      res_name(r));
	kill(mine.pid, SIGKILL);
	n = collect_all(dev, ev, 4);
	m = find_event(ev, n, REMOTEFD_EVENT_FILE, FD_MEM);
	check(m >= 0 && same_pattern(ev[m].newfd, LEN, 1),
	      "%s: uid 1000: own child's memfd captured", T);
	close_events(ev, n);
	reap(&mine);
	return n_fail ? 1 : 0;
}

static void test_other_uid(void)
{
	struct prod root = producer(LEN);
	int rootpfd = sys_pidfd_open(root.pid), st = -1;
	char a1[16], a2[16];
	pid_t c;

	snprintf(a1, sizeof(a1), "%d", root.pid);
	snprintf(a2, sizeof(a2), "%d", rootpfd);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		drop_to(1000);
		fcntl(rootpfd, F_SETFD, 0);	/* pidfds are O_CLOEXEC */
		execl("/proc/self/exe", "rfd-capture", T, "--as-1000", a1, a2,
		      (char *)NULL);
		die("exec");
	}
	waitpid(c, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: uid 1000 part", T);
	close(rootpfd);
	kill_reap(&root);
}

static void test_unwatched(void)
{
	int fds[] = { FD_MEM };
	struct remotefd_capture c;
	struct prod p1, p2;
	int dev;

	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/remotefd");
	p1 = producer(LEN);
	p2 = producer(LEN);
	check(watch_req(dev, p2.pid, 0, fds, 1) == 0, "%s: unwatch: arm", T);
	check(unwatch_req(dev, p2.pid, 0) == 0, "%s: unwatch: OK", T);
	check(unwatch_req(dev, p2.pid, 0) == -ENOENT, "%s: unwatch again: ENOENT", T);
	kill_reap(&p1);
	kill_reap(&p2);
	usleep(200000);
	check(!readable(dev, 200) && collect(dev, &c, 0) == -EAGAIN,
	      "%s: unwatched and unwatched-after-arming exits queue nothing", T);
	close(dev);
}

static void test_malformed(void)
{
	int fds[2] = { FD_MEM, FD_MEM }, neg[] = { -1 }, one[] = { FD_MEM };
	static int many[REMOTEFD_WATCH_MAX_FDS + 1];
	struct remotefd_watch w;
	struct remotefd_capture c;
	struct prod p = producer(LEN);
	int dev, r, notpidfd, z, i, lowest;
	struct rlimit old, lim;
	void *ro;

	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/remotefd");
	for (i = 0; i <= REMOTEFD_WATCH_MAX_FDS; i++)
		many[i] = i;
	r = watch_req(dev, p.pid, 1U << 7, one, 1);
	check(r == -EINVAL, "%s: watch unknown flag: %s", T, res_name(r));
	memset(&w, 0, sizeof(w));
	w.target = p.pid; w.nfds = 1; w.fds = (uintptr_t)one; w.reserved0 = 1;
	r = ioctl(dev, REMOTEFD_IOC_WATCH, &w) < 0 ? -errno : 0;
	check(r == -EINVAL, "%s: watch reserved0 != 0: %s", T, res_name(r));
	w.reserved0 = 0; w.reserved[1] = 1;
	r = ioctl(dev, REMOTEFD_IOC_WATCH, &w) < 0 ? -errno : 0;
	check(r == -EINVAL, "%s: watch reserved[1] != 0: %s", T, res_name(r));
	r = watch_req(dev, p.pid, 0, one, 0);
	check(r == -EINVAL, "%s: watch nfds 0: %s", T, res_name(r));
	r = watch_req(dev, p.pid, REMOTEFD_WATCH_ALL_FDS, one, 1);
	check(r == -EINVAL, "%s: watch all fds with a list: %s", T, res_name(r));
	r = watch_req(dev, p.pid, 0, many, REMOTEFD_WATCH_MAX_FDS + 1);
	check(r == -E2BIG, "%s: watch %d fds: %s", T, REMOTEFD_WATCH_MAX_FDS + 1,
	      res_name(r));
	r = watch_req(dev, p.pid, 0, many, 0x7fffffff);
	check(r == -E2BIG, "%s: watch INT_MAX fds: %s", T, res_name(r));
	r = watch_req(dev, p.pid, 0, (int *)8, 1);
	check(r == -EFAULT, "%s: watch bad fds pointer: %s", T, res_name(r));
	r = ioctl(dev, REMOTEFD_IOC_WATCH, (void *)8) < 0 ? -errno : 0;
	check(r == -EFAULT, "%s: watch bad struct pointer: %s", T, res_name(r));
	r = watch_req(dev, p.pid, 0, neg, 1);
	check(r == -EBADF, "%s: watch fd -1: %s", T, res_name(r));
	r = watch_req(dev, p.pid, 0, fds, 2);
	check(r == -EINVAL, "%s: watch duplicate fds: %s", T, res_name(r));
	r = watch_req(dev, 0, 0, one, 1);
	check(r == -EINVAL, "%s: watch pid 0: %s", T, res_name(r));
	r = watch_req(dev, -1, 0, one, 1);
	check(r == -EINVAL, "%s: watch pid -1: %s", T, res_name(r));
	r = watch_req(dev, 0x7fffffff, 0, one, 1);
	check(r == -ESRCH, "%s: watch pid INT_MAX: %s", T, res_name(r));
	r = watch_req(dev, 2, 0, one, 1);
	check(r == -EPERM, "%s: watch kernel thread (kthreadd): %s", T, res_name(r));
	notpidfd = open("/dev/null", O_RDONLY);
	r = watch_req(dev, notpidfd, REMOTEFD_TARGET_PIDFD, one, 1);
	check(r == -EBADF, "%s: watch non-pidfd target: %s", T, res_name(r));
	close(notpidfd);
	r = watch_req(dev, -1, REMOTEFD_TARGET_PIDFD, one, 1);
	check(r == -EBADF, "%s: watch pidfd -1: %s", T, res_name(r));
	fflush(stdout);
	z = fork();
	if (z == 0)
		_exit(0);
	usleep(200000);		/* a zombie until reaped */
	r = watch_req(dev, z, 0, one, 1);
	check(r == -ESRCH, "%s: watch zombie: %s", T, res_name(r));
	waitpid(z, NULL, 0);
	r = watch_req(dev, p.pid, 0, one, 1);
	check(r == 0, "%s: watch: OK", T);
	r = watch_req(dev, p.pid, REMOTEFD_WATCH_ALL_FDS, NULL, 0);
	check(r == -EEXIST, "%s: watch twice: %s", T, res_name(r));
	r = unwatch_req(dev, p.pid, REMOTEFD_WATCH_ALL_FDS);
	check(r == -EINVAL, "%s: unwatch with ALL_FDS: %s", T, res_name(r));
	r = unwatch_req(dev, 0, 0);
	check(r == -EINVAL, "%s: unwatch pid 0: %s", T, res_name(r));
	r = unwatch_req(dev, getpid(), 0);
	check(r == -ENOENT, "%s: unwatch a pid not watched: %s", T, res_name(r));

	r = collect(dev, &c, 0);
	check(r == -EAGAIN, "%s: collect with nothing queued: %s", T, res_name(r));
	r = collect(dev, &c, O_NONBLOCK);
	check(r == -EINVAL, "%s: collect fd_flags O_NONBLOCK: %s", T, res_name(r));
	memset(&c, 0, sizeof(c));
	c.map_start = 1;
	r = ioctl(dev, REMOTEFD_IOC_COLLECT, &c) < 0 ? -errno : 0;
	check(r == -EINVAL, "%s: collect map_start != 0 (an input must be zero): %s", T, res_name(r));
	r = ioctl(dev, REMOTEFD_IOC_COLLECT, (void *)8) < 0 ? -errno : 0;
	check(r == -EFAULT, "%s: collect bad pointer: %s", T, res_name(r));

	/* An event on a read-only struct: EFAULT, the event stays queued. */
	kill(p.pid, SIGKILL);
	check(readable(dev, 10000), "%s: POLLIN after the exit", T);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = ioctl(dev, REMOTEFD_IOC_COLLECT, ro) < 0 ? -errno : 0;
	check(r == -EFAULT, "%s: collect into read-only memory: %s", T, res_name(r));
	/* No free fd: EMFILE, the event stays queued. */
	lowest = fcntl(dev, F_DUPFD, 0);
	close(lowest);
	getrlimit(RLIMIT_NOFILE, &old);
	lim = old;
	lim.rlim_cur = lowest;
	setrlimit(RLIMIT_NOFILE, &lim);
	r = collect(dev, &c, 0);
	setrlimit(RLIMIT_NOFILE, &old);
	check(r == -EMFILE, "%s: collect with a full fd table: %s", T, res_name(r));
	r = collect(dev, &c, 0);
	check(r == 0 && c.event == REMOTEFD_EVENT_FILE && c.fd == FD_MEM &&
	      same_pattern(c.newfd, LEN, 1),
	      "%s: the event is still there afterwards", T);
	if (r == 0 && c.newfd >= 0) {
		i = fcntl(c.newfd, F_GETFD);
		check(i == 0, "%s: fd_flags 0: no FD_CLOEXEC", T);
		close(c.newfd);
	}
	r = collect(dev, &c, 0);
	check(r == 0 && c.event == REMOTEFD_EVENT_EXIT, "%s: then EXIT", T);
	munmap(ro, 4096);
	reap(&p);

	r = ioctl(dev, _IO(REMOTEFD_IOC_MAGIC, 0x05), 0) < 0 ? -errno : 0;
	check(r == -ENOTTY, "%s: unknown command: %s", T, res_name(r));
	close(dev);
}

/*
 * Exits racing with arming, collecting and closing: producers that exit as
 * soon as they are armed; the watcher is closed right away every other
 * time, else drained.  Checks the kernel survives and the counts add up.
 */
static void test_churn(void)
{
	struct remotefd_capture ev[64];
	int i, n, dev, ok = 0, closed = 0, bad = 0;
	struct prod p;

	for (i = 0; i < 100; i++) {
		dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
		if (dev < 0)
			die("open /dev/remotefd");
		p = producer(64 * 1024);
		if (watch_req(dev, p.pid, REMOTEFD_WATCH_ALL_FDS, NULL, 0)) {
			bad++;
			kill_reap(&p);
			close(dev);
			continue;
		}
		if (write(p.go, "x", 1) != 1)
			die("write");
		if (i & 1) {
			close(dev);	/* races with the exit */
			reap(&p);
			closed++;
			continue;
		}
		n = collect_all(dev, ev, 64);
		if (n > 0 && ev[n - 1].event == REMOTEFD_EVENT_EXIT &&
		    find_event(ev, n, REMOTEFD_EVENT_FILE, FD_MEM) >= 0)
			ok++;
		else
			bad++;
		close_events(ev, n > 0 ? n : 0);
		reap(&p);
		close(dev);
	}
	check(bad == 0 && ok == 50 && closed == 50,
	      "%s: churn: 100 exits racing arm/collect/close (%d collected, %d closed early, %d bad)",
	      T, ok, closed, bad);
}

/* Closed with captures queued: every reference dropped. */
static void test_close_queued(void)
{
	int fds[] = { FD_MEM, FD_SHM };
	long base, held, after = -1;
	struct prod p;
	int dev, i;

	base = shmem_kb();
	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/remotefd");
	p = producer(BIGLEN);
	check(watch_req(dev, p.pid, 0, fds, 2) == 0, "%s: close queued: arm", T);
	kill_reap(&p);
	check(readable(dev, 10000), "%s: close queued: captures queued", T);
	held = shmem_kb();
	close(dev);
	for (i = 0; i < 50; i++) {
		after = shmem_kb();
		if (after <= base + 1024)
			break;
		usleep(100000);
	}
	printf("# Shmem: baseline %ld kB, captured and queued %ld kB, after close %ld kB\n",
	       base, held, after);
	check(held >= base + 7 * 1024,
	      "%s: close queued: the dead producer's 8 MiB held by the queue", T);
	check(after <= base + 1024,
	      "%s: close queued: Shmem back to baseline after close", T);
}

int main(int argc, char **argv)
{
	struct remotefd_info info;
	int dev, before, after;

	T = argc > 1 ? argv[1] : "capture";
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && !strcmp(argv[2], "--as-1000"))
		return uid1000_part(atoi(argv[3]), atoi(argv[4]));
	dev = open("/dev/remotefd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/remotefd");
	memset(&info, 0, sizeof(info));
	if (ioctl(dev, REMOTEFD_IOC_INFO, &info))
		die("REMOTEFD_IOC_INFO");
	check(info.features & REMOTEFD_FEAT_WATCH,
	      "%s: REMOTEFD_FEAT_WATCH reported (features 0x%x)", T,
	      info.features);
	close(dev);
	before = fd_count();

	test_killed();
	test_normal_exit_all();
	test_threads();
	test_denied('u', "setresuid");
	test_denied('e', "exec");
	test_denied('d', "PR_SET_DUMPABLE 0");
	test_other_uid();
	test_unwatched();
	test_malformed();
	test_churn();
	test_close_queued();

	after = fd_count();
	check(before == after, "%s: no fd leaked (%d -> %d)", T, before, after);
	return n_fail ? 1 : 0;
}
