// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfd-handle: target handles (REMOTEFD_IOC_ATTACH and the handle ioctls
 * REMOTEFD_HANDLE_IOC_GETFD / GETFDS / INVENTORY), one PASS/FAIL line per
 * check.  Run as root.
 *
 *   rfd-handle func LABEL            attach by pid and pidfd, fdinfo, adoption
 *                                    equals pidfd_getfd's, batch results per
 *                                    entry, inventory equals what user space
 *                                    sees, a 20 000-fd table read in a few
 *                                    calls, memory released, old ABI alongside
 *   rfd-handle matrix LABEL SCOPE    Yama matrix: every caller x target cell,
 *                                    the handle's answer equals pidfd_getfd's
 *                                    at ptrace_scope SCOPE (set here; handles
 *                                    attached at scope 0 first, then re-asked
 *                                    1.2 s after the switch)
 *   rfd-handle security LABEL        exec after attach, non-dumpable after
 *                                    attach, target uid change, caller drops
 *                                    privileges, SCM_RIGHTS to other uids,
 *                                    death, pid reuse
 *   rfd-handle malformed LABEL       >= 20 malformed cases per new ioctl
 *   rfd-handle stress LABEL THREADS ITERS
 *                                    THREADS x ITERS operations (attach+close,
 *                                    GETFD, GETFDS of 64, INVENTORY) against a
 *                                    target churning memfds and re-exec'ing
 *                                    itself; memory, slabs and fds back to
 *                                    their baselines
 * Internal (exec'd by the above): exec-target, churn-target.
 */
#include "rfd-test.h"
#include <dirent.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <time.h>

#ifndef F_GET_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 2U
#endif

static const char *label = "handle";

/* res_name() with more slots: some lines print a dozen results */
static const char *rn(int r)
{
	static char buf[32][32];
	static int i;
	char *b = buf[i++ & 31];

	if (r >= 0)
		snprintf(b, 32, "OK");
	else
		snprintf(b, 32, "%s", strerrorname_np(-r) ? strerrorname_np(-r) : "E?");
	return b;
}
static int dev = -1;

/* ---- ioctl wrappers: new fd / 0, or -errno -------------------------------- */

static int h_getfds(int h, struct remotefd_batch_entry *e, unsigned int n,
		    unsigned int fd_flags)
{
	struct remotefd_batch b;
	int r;

	memset(&b, 0, sizeof(b));
	b.count = n;
	b.fd_flags = fd_flags;
	b.entries = (uintptr_t)e;
	r = ioctl(h, REMOTEFD_HANDLE_IOC_GETFDS, &b);
	return r < 0 ? -errno : r;
}

static int h_inv(int h, int start, struct remotefd_fd_record *rec,
		 unsigned int count, unsigned int *returned, int *next)
{
	struct remotefd_inventory v;
	int r;

	memset(&v, 0, sizeof(v));
	v.start_fd = start;
	v.count = count;
	v.records = (uintptr_t)rec;
	v.returned = 0xdeadbeef;
	v.next_fd = -7;
	r = ioctl(h, REMOTEFD_HANDLE_IOC_INVENTORY, &v);
	if (r < 0)
		return -errno;
	if (returned)
		*returned = v.returned;
	if (next)
		*next = v.next_fd;
	return r;
}

static int errno_of(int r)
{
	return r < 0 ? -errno : r;
}

static int same_as_stat(int fd, const struct stat *st)
{
	struct stat s;

	return fd >= 0 && !fstat(fd, &s) && s.st_dev == st->st_dev &&
	       s.st_ino == st->st_ino;
}

/*
 * The handle's three answers for one fd of the target: GETFD, GETFDS of
 * that one fd (the whole call's errno, or the entry's result) and INVENTORY
 * from that fd (the call's errno; OK only if a record for that fd with the
 * expected inode came back, -ENOENT if the call succeeded without it).
 * Adopted fds are checked against *want (when given) and closed: a wrong
 * file is reported as -EXDEV.
 */
struct hans {
	int getfd, getfds, inv;
};

static struct hans h_probe(int h, int fd, const struct stat *want)
{
	struct hans a;
	struct remotefd_batch_entry e = { .fd = fd, .result = -12345 };
	struct remotefd_fd_record rec;
	unsigned int n = 0;
	int next = 0, r;

	a.getfd = h_getfd(h, fd, O_CLOEXEC);
	if (a.getfd >= 0) {
		if (want && !same_as_stat(a.getfd, want)) {
			close(a.getfd);
			a.getfd = -EXDEV;
		} else {
			close(a.getfd);
		}
	}
	r = h_getfds(h, &e, 1, O_CLOEXEC);
	if (r < 0) {
		a.getfds = r;
	} else {
		a.getfds = e.result;
		if (e.result >= 0) {
			if (want && !same_as_stat(e.result, want)) {
				close(e.result);
				a.getfds = -EXDEV;
			} else {
				close(e.result);
			}
		}
	}
	memset(&rec, 0, sizeof(rec));
	r = h_inv(h, fd, &rec, 1, &n, &next);
	if (r < 0)
		a.inv = r;
	else if (n == 1 && rec.fd == fd &&
		 (!want || (rec.ino == want->st_ino && rec.dev == want->st_dev)))
		a.inv = 0;
	else
		a.inv = -ENOENT;
	return a;
}

/* Each of the handle's answers agrees with ref (an fd or -errno). */
static int h_agrees(struct hans a, int ref)
{
	if (ref >= 0)
		return a.getfd >= 0 && a.getfds >= 0 && a.inv >= 0;
	return a.getfd == ref && a.getfds == ref && a.inv == ref;
}

static const char *hans_str(struct hans a)
{
	static char buf[4][96];
	static int i;
	char *b = buf[i++ & 3];

	snprintf(b, 96, "GETFD %s, GETFDS %s, INVENTORY %s", rn(a.getfd),
		 rn(a.getfds), rn(a.inv));
	return b;
}

/* ---- target processes ------------------------------------------------------- */

/*
 * A target: a child holding a memfd ("handle-target") that obeys one-byte
 * commands on a pipe and acknowledges each ('K' done, 'F' failed):
 *   n / y   PR_SET_DUMPABLE 0 / 1
 *   u       setresgid + setresuid 1001 (needs CAP_SETUID/CAP_SETGID)
 *   r       setresuid 1000 from root
 *   x       exec this program ("exec-target"): same pid, same fds (the memfd
 *           is not close-on-exec), new mm
 *   P / p   PR_SET_PTRACER ANY / 0 (Yama)
 *   q       exit
 */
struct tgt {
	pid_t pid;
	int cmd, ack, memfd;
	struct stat st;
};

static void tgt_serve(int cmd, int ack, int memfd) __attribute__((noreturn));
static void tgt_serve(int cmd, int ack, int memfd)
{
	char c, a;

	for (;;) {
		int r = 0;

		if (read(cmd, &c, 1) != 1)
			_exit(0);
		switch (c) {
		case 'n':
			r = prctl(PR_SET_DUMPABLE, 0);
			break;
		case 'y':
			r = prctl(PR_SET_DUMPABLE, 1);
			break;
		case 'u':
			r = setresgid(1001, 1001, 1001) || setresuid(1001, 1001, 1001);
			break;
		case 'r':
			r = setresuid(1000, 1000, 1000);
			break;
		case 'P':
			r = prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
			break;
		case 'p':
			r = prctl(PR_SET_PTRACER, 0, 0, 0, 0);
			break;
		case 'x': {
			char s1[16], s2[16], s3[16];

			snprintf(s1, sizeof(s1), "%d", cmd);
			snprintf(s2, sizeof(s2), "%d", ack);
			snprintf(s3, sizeof(s3), "%d", memfd);
			execl("/proc/self/exe", "rfd-handle", "exec-target", s1, s2,
			      s3, (char *)NULL);
			r = -1;
			break;
		}
		case 'q':
			_exit(0);
		default:
			r = -1;
		}
		a = r ? 'F' : 'K';
		if (write(ack, &a, 1) != 1)
			_exit(1);
	}
}

static int tgt_cmd(struct tgt *t, char c)
{
	char a = 0;

	if (write(t->cmd, &c, 1) != 1 || read(t->ack, &a, 1) != 1)
		return 0;
	return a == 'K';
}

/* uid 1000 (all ids, gid too) keeping CAP_SETUID and CAP_SETGID only. */
static void become_capped_1000(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (prctl(PR_SET_KEEPCAPS, 1))
		die("PR_SET_KEEPCAPS");
	drop_to(1000);
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted =
		(1u << CAP_SETUID) | (1u << CAP_SETGID);
	if (syscall(SYS_capset, &hdr, data))
		die("capset");
	prctl(PR_SET_DUMPABLE, 1);
}

enum tkind { T_ROOT, T_USER, T_USER_CAPS };

/* when >= 0, the next spawned target holds its memfd at this fd number */
static int spawn_memfd_at = -1;

static void spawn_tgt(struct tgt *t, enum tkind kind, int nondump)
{
	int c[2], a[2];
	struct stat st;

	if (pipe(c) || pipe(a))
		die("pipe");
	fflush(stdout);
	t->pid = fork();
	if (t->pid < 0)
		die("fork");
	if (!t->pid) {
		int m;

		close(c[1]);
		close(a[0]);
		if (spawn_memfd_at >= 0) {
			/* keep the pipe ends away from the memfd's number */
			int cr = fcntl(c[0], F_DUPFD, 64), aw = fcntl(a[1], F_DUPFD, 64);

			if (cr < 0 || aw < 0)
				_exit(3);
			close(c[0]);
			close(a[1]);
			c[0] = cr;
			a[1] = aw;
		}
		if (kind == T_USER && getuid() != 1000)
			drop_to(1000);
		else if (kind == T_USER_CAPS)
			become_capped_1000();
		prctl(PR_SET_DUMPABLE, nondump ? 0 : 1);
		m = memfd_create("handle-target", 0);
		if (m < 0 || write(m, "handle-target", 13) != 13)
			_exit(3);
		if (spawn_memfd_at >= 0 && m != spawn_memfd_at) {
			if (dup2(m, spawn_memfd_at) < 0)
				_exit(3);
			close(m);
			m = spawn_memfd_at;
		}
		if (fstat(m, &st) || write(a[1], &m, sizeof(m)) != sizeof(m) ||
		    write(a[1], &st, sizeof(st)) != sizeof(st))
			_exit(3);
		tgt_serve(c[0], a[1], m);
	}
	close(c[0]);
	close(a[1]);
	t->cmd = c[1];
	t->ack = a[0];
	if (read(t->ack, &t->memfd, sizeof(t->memfd)) != sizeof(t->memfd) ||
	    read(t->ack, &t->st, sizeof(t->st)) != sizeof(t->st))
		die("target setup");
}

static void kill_tgt(struct tgt *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	close(t->cmd);
	close(t->ack);
	t->pid = 0;
}

static int child_fails;

/* Runs fn in a child process; returns its exit status (its failure count). */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t p;

	fflush(stdout);
	p = fork();
	if (p < 0)
		die("fork");
	if (!p) {
		n_pass = n_fail = 0;	/* the child counts its own checks */
		_exit(fn(arg));
	}
	waitpid(p, &status, 0);
	if (!WIFEXITED(status)) {
		check(0, "%s: a test process died (status 0x%x)", label, status);
		return 1;
	}
	child_fails += WEXITSTATUS(status);
	return WEXITSTATUS(status);
}

static int set_sysctl(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return 0;
	ok = fprintf(f, "%ld\n", v) > 0;
	ok = !fclose(f) && ok;
	return ok;
}

static long get_sysctl(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

#define YAMA "/proc/sys/kernel/yama/ptrace_scope"

static int open_dev(void)
{
	int d = open("/dev/remotefd", O_RDWR | O_CLOEXEC);

	if (d < 0)
		die("open /dev/remotefd");
	return d;
}

/* ======================================================================== */
/* functional                                                               */
/* ======================================================================== */

static int fdinfo_target_pid(int fd)
{
	char path[64], line[256];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "target_pid: %d", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* fdinfo "flags:" of PID's fd (octal), -1 if unreadable */
static long fdinfo_flags(pid_t pid, int fd)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %lo", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Open fds of PID, sorted; returns the count (at most max). */
static int list_fds(pid_t pid, int *out, int max)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.' && n < max)
			out[n++] = atoi(d->d_name);
	closedir(dir);
	qsort(out, n, sizeof(int), cmp_int);
	return n;
}

/* The inventory target: one of each kind of file; fds reported on a pipe. */
enum { I_PLAIN, I_SEALED, I_SEALABLE, I_LONGNAME, I_CLOEXEC, I_SHM, I_SHM_UNLINKED,
       I_PIPE_R, I_PIPE_W, I_SOCK, I_NULL, I_TMPFILE, I_DIR, I_EVENTFD, I_OPATH,
       I_DMABUF, I_HUGETLB, N_I };
static const char *const i_name[N_I] = {
	"memfd", "memfd sealed (WRITE|SHRINK|GROW)", "memfd sealable, no seals",
	"memfd with a 249-char name", "memfd O_CLOEXEC", "/dev/shm file",
	"/dev/shm file unlinked", "pipe read end", "pipe write end",
	"unix socket", "/dev/null O_RDWR|O_APPEND", "/tmp file O_WRONLY|O_APPEND",
	"directory /", "eventfd", "O_PATH /tmp", "dma-buf (system heap)",
	"hugetlbfs memfd (MFD_HUGETLB), sealed",
};

struct dma_heap_allocation_data {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};
#define DMA_HEAP_IOCTL_ALLOC _IOWR('H', 0x0, struct dma_heap_allocation_data)
#define DMA_BUF_SET_NAME_B _IOW('b', 1, __u64)

static void inv_target(int wr)
{
	int fd[N_I], p[2], s[2], i;
	char longname[250];

	for (i = 0; i < N_I; i++)
		fd[i] = -1;
	fd[I_PLAIN] = memfd_create("inv-plain", 0);
	write(fd[I_PLAIN], "0123456789", 10);
	ftruncate(fd[I_PLAIN], 12345);
	fd[I_SEALED] = memfd_create("inv-sealed", MFD_ALLOW_SEALING);
	ftruncate(fd[I_SEALED], 8192);
	fcntl(fd[I_SEALED], F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW);
	fd[I_SEALABLE] = memfd_create("inv-sealable", MFD_ALLOW_SEALING);
	memset(longname, 'L', 249);
	longname[249] = 0;
	fd[I_LONGNAME] = memfd_create(longname, 0);
	fd[I_CLOEXEC] = memfd_create("inv-cloexec", MFD_CLOEXEC);
	fd[I_SHM] = open("/dev/shm/rfd-handle-inv", O_RDWR | O_CREAT | O_TRUNC, 0640);
	ftruncate(fd[I_SHM], 3000);
	fd[I_SHM_UNLINKED] = open("/dev/shm/rfd-handle-inv-gone", O_RDWR | O_CREAT | O_TRUNC, 0600);
	unlink("/dev/shm/rfd-handle-inv-gone");
	if (!pipe(p)) {
		fd[I_PIPE_R] = p[0];
		fd[I_PIPE_W] = p[1];
	}
	if (!socketpair(AF_UNIX, SOCK_STREAM, 0, s)) {
		fd[I_SOCK] = s[0];
		close(s[1]);
	}
	fd[I_NULL] = open("/dev/null", O_RDWR | O_APPEND);
	fd[I_TMPFILE] = open("/tmp/rfd-handle-inv", O_WRONLY | O_APPEND | O_CREAT, 0644);
	write(fd[I_TMPFILE], "abc", 3);
	fd[I_DIR] = open("/", O_RDONLY | O_DIRECTORY);
	fd[I_EVENTFD] = eventfd(0, EFD_NONBLOCK);
	fd[I_OPATH] = open("/tmp", O_PATH);
	{
		int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

		if (heap >= 0) {
			struct dma_heap_allocation_data a = {
				.len = 65536, .fd_flags = O_RDWR,
			};

			if (!ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a)) {
				fd[I_DMABUF] = a.fd;
				ioctl(a.fd, DMA_BUF_SET_NAME_B, "rfd-inv-buf");
			}
			close(heap);
		}
	}
	/* hugetlbfs: no huge page needed for an empty file */
	fd[I_HUGETLB] = memfd_create("inv-huge", MFD_HUGETLB | MFD_ALLOW_SEALING);
	if (fd[I_HUGETLB] >= 0)
		fcntl(fd[I_HUGETLB], F_ADD_SEALS, F_SEAL_GROW);
	if (write(wr, fd, sizeof(fd)) != sizeof(fd))
		_exit(3);
	for (;;)
		pause();
}

static int check_record(pid_t pid, int kind, const struct remotefd_fd_record *r)
{
	char path[64], link[4096];
	struct stat st;
	struct statfs sf;
	ssize_t n;
	int a, seals, ok = 1, flags, fl;
	long fi;
	char why[512] = "";
	size_t wl = 0;

#define MISMATCH(...) do { ok = 0; if (wl < sizeof(why) - 1) wl += snprintf(why + wl, sizeof(why) - wl, __VA_ARGS__); } while (0)

	a = pidfd_getfd_res(pid, r->fd);
	if (a < 0) {
		check(0, "%s inventory %s: pidfd_getfd of fd %d: %s", label,
		      i_name[kind], r->fd, rn(a));
		return 0;
	}
	if (fstat(a, &st) || fstatfs(a, &sf))
		die("fstat/fstatfs adopted fd");
	flags = fcntl(a, F_GETFL);
	seals = fcntl(a, F_GET_SEALS);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, r->fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	fi = fdinfo_flags(pid, r->fd);

	if (r->mode != st.st_mode)
		MISMATCH(" mode %o/%o", r->mode, st.st_mode);
	if (r->dev != (uint64_t)st.st_dev)
		MISMATCH(" dev %llx/%llx", (unsigned long long)r->dev, (unsigned long long)st.st_dev);
	if (r->rdev != (uint64_t)st.st_rdev)
		MISMATCH(" rdev %llx/%llx", (unsigned long long)r->rdev, (unsigned long long)st.st_rdev);
	if (r->ino != (uint64_t)st.st_ino)
		MISMATCH(" ino %llu/%llu", (unsigned long long)r->ino, (unsigned long long)st.st_ino);
	if (r->size != (int64_t)st.st_size)
		MISMATCH(" size %lld/%lld", (long long)r->size, (long long)st.st_size);
	if (r->fs_magic != (uint64_t)(unsigned long)sf.f_type)
		MISMATCH(" fs_magic %llx/%lx", (unsigned long long)r->fs_magic, (unsigned long)sf.f_type);
	if (r->fs_bsize != (uint32_t)sf.f_bsize)
		MISMATCH(" fs_bsize %u/%lu", r->fs_bsize, (unsigned long)sf.f_bsize);
	if (r->uid != st.st_uid || r->gid != st.st_gid)
		MISMATCH(" uid/gid %u:%u/%u:%u", r->uid, r->gid, st.st_uid, st.st_gid);
	if (r->f_flags != (unsigned int)flags)
		MISMATCH(" f_flags %o/%o", r->f_flags, flags);
	if (seals >= 0) {
		if (!(r->info & REMOTEFD_INFO_SEALS) || r->seals != (unsigned int)seals)
			MISMATCH(" seals info=%x %x/%x", r->info, r->seals, seals);
	} else if (r->info & REMOTEFD_INFO_SEALS) {
		MISMATCH(" INFO_SEALS set, F_GET_SEALS %s", strerrorname_np(errno));
	}
	fl = fi >= 0 && (fi & O_CLOEXEC);
	if (!!(r->info & REMOTEFD_INFO_CLOEXEC) != fl)
		MISMATCH(" cloexec %d/%d", !!(r->info & REMOTEFD_INFO_CLOEXEC), fl);
	if (memchr(r->name, 0, sizeof(r->name)) == NULL) {
		MISMATCH(" name not NUL-terminated");
	} else if (strlen(link) >= sizeof(r->name)) {
		if (!(r->info & REMOTEFD_INFO_NAME_TRUNCATED) ||
		    strlen(r->name) != sizeof(r->name) - 1 ||
		    strncmp(r->name, link, sizeof(r->name) - 1))
			MISMATCH(" long name: info %x len %zu (link %zu)", r->info,
				 strlen(r->name), strlen(link));
	} else if (strcmp(r->name, link) || (r->info & REMOTEFD_INFO_NAME_TRUNCATED)) {
		MISMATCH(" name '%s'/'%s' info %x", r->name, link, r->info);
	}
	if (kind == I_DMABUF) {
		if (!(r->info & REMOTEFD_INFO_DMABUF) || strcmp(r->exp_name, "system") ||
		    strcmp(r->buf_name, "rfd-inv-buf"))
			MISMATCH(" dma-buf info %x exp '%.32s' name '%.32s'", r->info,
				 r->exp_name, r->buf_name);
	} else if (r->info & REMOTEFD_INFO_DMABUF) {
		MISMATCH(" INFO_DMABUF on a non-dma-buf");
	}
	close(a);
	check(ok, "%s inventory %s (fd %d): record equals fstat/fstatfs(type, bsize)/F_GETFL/F_GET_SEALS/readlink/fdinfo%s%s",
	      label, i_name[kind], r->fd, ok ? "" : ": record/userspace:", why);
	return ok;
#undef MISMATCH
}

static int func_inventory(void)
{
	int p[2], fds[N_I], h, i, r, nfd, listed[256], seen;
	unsigned int n;
	int next;
	struct remotefd_fd_record *rec = calloc(4096, sizeof(*rec));
	pid_t pid;

	if (pipe(p))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close(p[0]);
		inv_target(p[1]);
	}
	close(p[1]);
	if (read(p[0], fds, sizeof(fds)) != sizeof(fds))
		die("inventory target");
	close(p[0]);
	h = rfd_attach(dev, pid, 0, O_CLOEXEC);
	if (h < 0) {
		check(0, "%s inventory: attach %s", label, rn(h));
		goto out;
	}
	r = h_inv(h, 0, rec, 4096, &n, &next);
	nfd = list_fds(pid, listed, 256);
	seen = r == 0 && (int)n == nfd && next == -1;
	for (i = 0; seen && i < nfd; i++)
		seen = rec[i].fd == listed[i];
	check(seen, "%s inventory of a %d-fd target from 0 (count 4096): %s, returned %u, next_fd %d; the fds are those of /proc/PID/fd, in order",
	      label, nfd, rn(r), n, next);
	if (r == 0) {
		for (i = 0; i < N_I; i++) {
			unsigned int j;

			if (fds[i] < 0) {
				if (i == I_DMABUF)
					printf("SKIP %s inventory %s: no /dev/dma_heap/system on this kernel\n",
					       label, i_name[i]);
				else if (i == I_HUGETLB)
					printf("SKIP %s inventory %s: memfd_create(MFD_HUGETLB) failed in the target\n",
					       label, i_name[i]);
				else
					check(0, "%s inventory: target could not create %s", label, i_name[i]);
				continue;
			}
			for (j = 0; j < n && rec[j].fd != fds[i]; j++)
				;
			if (j == n)
				check(0, "%s inventory %s: fd %d missing", label, i_name[i], fds[i]);
			else
				check_record(pid, i, &rec[j]);
		}
	}
	/* one record from the middle */
	r = h_inv(h, fds[I_PIPE_R], rec, 1, &n, &next);
	check(r == 0 && n == 1 && rec[0].fd == fds[I_PIPE_R] && next > fds[I_PIPE_R],
	      "%s inventory resumes: start_fd %d count 1 -> %s, returned %u, fd %d, next_fd %d",
	      label, fds[I_PIPE_R], rn(r), n, n ? rec[0].fd : -1, next);
	/* start beyond the last fd */
	r = h_inv(h, listed[nfd - 1] + 1, rec, 16, &n, &next);
	check(r == 0 && n == 0 && next == -1,
	      "%s inventory from beyond the last fd: %s, returned %u, next_fd %d",
	      label, rn(r), n, next);
	close(h);
out:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink("/dev/shm/rfd-handle-inv");
	unlink("/tmp/rfd-handle-inv");
	free(rec);
	return 0;
}

/* 20 000 open fds: read in a few calls, each fd exactly once, in order. */
#define BIG_FDS 20000
static void func_bigtable(void)
{
	int p[2], h, r, calls, nfd, i, ok, *listed, *got, ngot = 0, start;
	unsigned int n;
	int next;
	struct remotefd_fd_record *rec = calloc(REMOTEFD_INVENTORY_MAX, sizeof(*rec));
	pid_t pid;
	unsigned int counts[2] = { REMOTEFD_INVENTORY_MAX, 1000 };

	listed = calloc(BIG_FDS + 64, sizeof(int));
	got = calloc(BIG_FDS + 64, sizeof(int));
	if (pipe(p))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		struct rlimit rl = { 2 * BIG_FDS, 2 * BIG_FDS };
		int m[100], k, fd, made = 0;

		close(p[0]);
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(3);
		for (k = 0; k < 100; k++)
			m[k] = memfd_create("big-table", 0);
		made = 100;
		/* dup up to fd BIG_FDS + 40 with a hole every 13 numbers */
		for (fd = 0; made < BIG_FDS; fd++) {
			if (fcntl(fd, F_GETFD) >= 0)
				continue;
			if (fd % 13 == 5)
				continue;
			if (dup2(m[fd % 100], fd) < 0)
				_exit(4);
			made++;
		}
		write(p[1], "R", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &r, 1) != 1) {
		check(0, "%s 20000-fd table: target setup failed", label);
		goto out;
	}
	close(p[0]);
	nfd = list_fds(pid, listed, BIG_FDS + 64);
	h = rfd_attach(dev, pid, 0, O_CLOEXEC);
	if (h < 0) {
		check(0, "%s 20000-fd table: attach %s", label, rn(h));
		goto out;
	}
	for (int c = 0; c < 2; c++) {
		ngot = 0;
		calls = 0;
		start = 0;
		ok = 1;
		do {
			r = h_inv(h, start, rec, counts[c], &n, &next);
			calls++;
			if (r < 0 || n > counts[c]) {
				ok = 0;
				break;
			}
			for (unsigned int j = 0; j < n; j++) {
				if (ngot >= BIG_FDS + 64 || rec[j].fd < start) {
					ok = 0;
					break;
				}
				got[ngot++] = rec[j].fd;
			}
			if (next != -1 && next <= start)
				ok = 0;
			start = next;
		} while (ok && next != -1 && calls < 1000);
		for (i = 1; ok && i < ngot; i++)
			ok = got[i] > got[i - 1];	/* strictly increasing: no fd twice */
		ok = ok && ngot == nfd;
		for (i = 0; ok && i < ngot; i++)
			ok = got[i] == listed[i];
		check(ok && calls <= (nfd + (int)counts[c] - 1) / (int)counts[c] + 1,
		      "%s %d-fd table read with count %u: %d calls (at most %d), %d records, every fd of /proc/PID/fd exactly once, in order (last call %s)",
		      label, nfd, counts[c], calls,
		      (nfd + (int)counts[c] - 1) / (int)counts[c] + 1, ngot, rn(r));
	}
	close(h);
out:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(rec);
	free(listed);
	free(got);
}

/* Shmem back to baseline once the target exited and the handle is closed. */
#define SHM_KB 16384
static void func_memory(void)
{
	long base, loaded, with_handle, after = -1;
	int p[2], m = -1, h, a, i, r;
	struct remotefd_batch_entry e;
	struct remotefd_fd_record rec[8];
	unsigned int n;
	pid_t pid;

	base = shmem_kb();
	if (pipe(p))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		/* 8 MiB memfd kept open, 8 MiB memfd only mapped */
		int k = memfd_create("mem-open", 0), q = memfd_create("mem-mapped", 0);
		char *x, *y;

		if (k < 0 || q < 0 || ftruncate(k, SHM_KB / 2 * 1024L) ||
		    ftruncate(q, SHM_KB / 2 * 1024L))
			_exit(3);
		x = mmap(NULL, SHM_KB / 2 * 1024L, PROT_WRITE, MAP_SHARED, k, 0);
		y = mmap(NULL, SHM_KB / 2 * 1024L, PROT_WRITE, MAP_SHARED, q, 0);
		if (x == MAP_FAILED || y == MAP_FAILED)
			_exit(3);
		memset(x, 1, SHM_KB / 2 * 1024L);
		memset(y, 2, SHM_KB / 2 * 1024L);
		munmap(x, SHM_KB / 2 * 1024L);
		close(q);
		write(p[1], &k, sizeof(k));
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &m, sizeof(m)) != sizeof(m))
		die("memory target");
	close(p[0]);
	loaded = shmem_kb();
	h = rfd_attach(dev, pid, 0, O_CLOEXEC);
	a = h_getfd(h, m, O_CLOEXEC);
	e.fd = m;
	e.result = -1;
	r = h_getfds(h, &e, 1, O_CLOEXEC);
	if (h_inv(h, 0, rec, 8, &n, NULL) < 0)
		n = 0;
	check(h >= 0 && a >= 0 && r == 0 && e.result >= 0 && n >= 1,
	      "%s memory: attach %s, GETFD %s, GETFDS %s/%s, INVENTORY %u records",
	      label, rn(h), rn(a), rn(r), rn(e.result), n);
	if (a >= 0)
		close(a);
	if (e.result >= 0)
		close(e.result);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (i = 0; i < 40; i++) {
		with_handle = shmem_kb();
		if (with_handle <= base + 1024)
			break;
		usleep(50000);
	}
	printf("# %s memory: Shmem with the target dead, the handle still open: %ld kB (baseline %ld kB)\n",
	       label, with_handle, base);
	check(with_handle <= base + 1024,
	      "%s memory: a handle on a dead target pins none of its memory (Shmem %ld kB, baseline %ld kB)",
	      label, with_handle, base);
	if (h >= 0)
		close(h);
	for (i = 0; i < 100; i++) {
		after = shmem_kb();
		if (after <= base + 1024)
			break;
		usleep(50000);
	}
	check(loaded >= base + SHM_KB - 1024 && after <= base + 1024,
	      "%s memory: target exited, adopted fds and handle closed: Shmem baseline %ld kB, with target %ld kB, after %ld kB",
	      label, base, loaded, after);
}

static int func_main(void)
{
	struct remotefd_info info;
	struct tgt t;
	int h, h2, hp, pfd, a, b, c, r, before;
	char link[256];
	ssize_t n;

	before = fd_count();
	memset(&info, 0, sizeof(info));
	r = errno_of(ioctl(dev, REMOTEFD_IOC_INFO, &info));
	check(r == 0 && (info.features & REMOTEFD_FEAT_HANDLE),
	      "%s INFO: abi_version %u, features 0x%x: REMOTEFD_FEAT_HANDLE (0x%x) reported",
	      label, info.abi_version, info.features, REMOTEFD_FEAT_HANDLE);
	if (!(info.features & REMOTEFD_FEAT_HANDLE)) {
		printf("# %s: the module has no target handles: the rest would fail\n", label);
		return 1;
	}

	spawn_tgt(&t, T_ROOT, 0);
	pfd = sys_pidfd_open(t.pid);

	/* attach by pid, by pidfd; link name, fdinfo, O_CLOEXEC */
	h = rfd_attach(dev, t.pid, 0, 0);
	hp = rfd_attach(dev, pfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC);
	check(h >= 0 && hp >= 0, "%s attach by pid %s, by pidfd %s", label,
	      rn(h), rn(hp));
	if (h < 0 || hp < 0)
		return 1;
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", h);
		n = readlink(path, link, sizeof(link) - 1);
	}
	link[n > 0 ? n : 0] = 0;
	check(!strcmp(link, "anon_inode:[remotefd-target]"),
	      "%s handle is anon_inode:[remotefd-target] (readlink: '%s')", label, link);
	check(fdinfo_target_pid(h) == t.pid && fdinfo_target_pid(hp) == t.pid,
	      "%s fdinfo of the handle shows target_pid %d (by pid: %d, by pidfd: %d)",
	      label, t.pid, fdinfo_target_pid(h), fdinfo_target_pid(hp));
	check(!(fcntl(h, F_GETFD) & FD_CLOEXEC) && (fcntl(hp, F_GETFD) & FD_CLOEXEC),
	      "%s handle fd_flags: 0 -> FD_CLOEXEC clear, O_CLOEXEC -> set", label);

	/* GETFD: same file as pidfd_getfd, shared offset, fd_flags */
	a = h_getfd(h, t.memfd, 0);
	b = sys_pidfd_getfd(pfd, t.memfd);
	c = h_getfd(hp, t.memfd, O_CLOEXEC);
	r = a >= 0 && b >= 0 && c >= 0 && same_file(a, b) && same_file(c, b);
	if (r) {
		lseek(a, 7, SEEK_SET);
		r = lseek(b, 0, SEEK_CUR) == 7 && lseek(c, 0, SEEK_CUR) == 7;
		lseek(b, 3, SEEK_SET);
		r = r && lseek(a, 0, SEEK_CUR) == 3;
	}
	check(r, "%s handle GETFD (by-pid and by-pidfd handles) gives pidfd_getfd's file: same st_dev/st_ino, shared offset (%s, %s, %s)",
	      label, rn(a), rn(b), rn(c));
	check(a >= 0 && c >= 0 && !(fcntl(a, F_GETFD) & FD_CLOEXEC) &&
	      (fcntl(c, F_GETFD) & FD_CLOEXEC),
	      "%s handle GETFD fd_flags: 0 -> FD_CLOEXEC clear, O_CLOEXEC -> set", label);
	if (a >= 0) {
		char buf[16] = "";

		r = pread(a, buf, 13, 0);
		check(r == 13 && !memcmp(buf, "handle-target", 13),
		      "%s adopted memfd reads the target's bytes", label);
	}
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);

	/* GETFDS: open and closed fds mixed, results per entry */
	{
		struct remotefd_batch_entry e[7] = {
			{ t.memfd, -99 }, { 77, -99 }, { -1, -99 }, { t.memfd, -99 },
			{ 100000, -99 }, { 2, -99 }, { INT_MAX, -99 },
		};
		int ok, i, nb;

		/* fd 77 is closed in the target (it has about 6 fds) */
		nb = fd_count();
		r = h_getfds(h, e, 7, O_CLOEXEC);
		ok = r == 0 && e[0].result >= 0 && same_file(e[0].result, b) &&
		     e[1].result == -EBADF && e[2].result == -EBADF &&
		     e[3].result >= 0 && e[3].result != e[0].result &&
		     same_file(e[3].result, b) && e[4].result == -EBADF &&
		     e[5].result >= 0 && e[6].result == -EBADF &&
		     (fcntl(e[0].result, F_GETFD) & FD_CLOEXEC) &&
		     fd_count() == nb + 3;
		check(ok, "%s GETFDS of 7 entries (open, closed, -1, open again, 100000, stdio, INT_MAX): call %s; results %s %s %s %s %s %s %s; 3 fds installed",
		      label, rn(r), rn(e[0].result), rn(e[1].result),
		      rn(e[2].result), rn(e[3].result), rn(e[4].result),
		      rn(e[5].result), rn(e[6].result));
		for (i = 0; i < 7; i++)
			if (e[i].result >= 0)
				close(e[i].result);
	}
	close(b);

	/* compatibility: the old ioctl and /proc/remotefd with handles open */
	a = rfd_getfd(dev, t.pid, t.memfd, 0, O_CLOEXEC);
	c = rfd_getfd(dev, pfd, t.memfd, REMOTEFD_TARGET_PIDFD, 0);
	check(a >= 0 && c >= 0 && same_as_stat(a, &t.st) && same_as_stat(c, &t.st),
	      "%s REMOTEFD_IOC_GETFD still works while handles on the target are open: by pid %s, by pidfd %s",
	      label, rn(a), rn(c));
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	{
		int proc = open("/proc/remotefd", O_RDWR | O_CLOEXEC);

		if (proc < 0) {
			printf("SKIP %s /proc/remotefd with handles open: not registered (%s)\n",
			       label, strerror(errno));
		} else {
			a = rfd_legacy(proc, t.pid, t.memfd);
			check(a >= 0 && same_as_stat(a, &t.st) && (fcntl(a, F_GETFD) & FD_CLOEXEC),
			      "%s /proc/remotefd (original ABI) still works while handles are open: %s",
			      label, rn(a));
			if (a >= 0)
				close(a);
			/* and a handle ioctl on /proc/remotefd is not one */
			r = h_getfd(proc, t.memfd, 0);
			check(r == -ENOTTY, "%s handle GETFD on /proc/remotefd: %s (want ENOTTY)",
			      label, rn(r));
			close(proc);
		}
	}

	/* a second handle on the same target, independent of the first */
	h2 = rfd_attach(dev, t.pid, 0, O_CLOEXEC);
	close(hp);
	a = h_getfd(h2, t.memfd, O_CLOEXEC);
	check(h2 >= 0 && a >= 0 && same_as_stat(a, &t.st),
	      "%s closing one handle leaves another on the same target working: %s",
	      label, rn(a));
	if (a >= 0)
		close(a);
	/* a dup of a handle works too (same open file) */
	a = dup(h2);
	c = h_getfd(a, t.memfd, O_CLOEXEC);
	check(c >= 0 && same_as_stat(c, &t.st), "%s a dup()ed handle works: %s", label,
	      rn(c));
	if (c >= 0)
		close(c);
	close(a);
	close(h2);
	close(h);
	close(pfd);
	kill_tgt(&t);

	func_inventory();
	func_bigtable();
	func_memory();
	check(fd_count() == before, "%s no fd leaked (%d -> %d)", label, before, fd_count());
	return 0;
}

/* ======================================================================== */
/* Yama matrix                                                              */
/* ======================================================================== */

static int agree_res(int ref, int x, const struct stat *st)
{
	if (ref >= 0)
		return x >= 0 && same_as_stat(x, st);
	return x == ref;
}

/*
 * One cell's caller.  Phase 1 (scope 0): attach "early" and compare with
 * pidfd_getfd at scope 0; tell the parent ('A'), wait for 'G' (the parent
 * has switched to the scope under test and waited 1.2 s).  Phase 2: fresh
 * pidfd_getfd, attach by pid and by pidfd, the three handle ioctls through
 * the fresh handle and through the early one.
 */
static int matrix_caller(int scope, enum rfd_caller c, int nondump, struct tgt *t,
			 int up, int down)
{
	struct tgt own;
	int ref0, early, ref, apid, apfd, pidfd, ok, exp, early_ok, fresh_ok;
	struct hans fe = { 0, 0, 0 }, ee = { 0, 0, 0 };
	char g;
	char early_s[160] = "", fresh_s[160] = "";

	switch (c) {
	case ROOT:
		break;
	case SAME:
		drop_to(1000);
		break;
	case PARENT:
		drop_to(1000);
		spawn_tgt(&own, T_USER, nondump);
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
	dev = open_dev();
	ref0 = pidfd_getfd_res(t->pid, t->memfd);
	early = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	early_ok = (ref0 >= 0) ? early >= 0 : early == ref0;
	if (ref0 >= 0)
		close(ref0);
	if (write(up, "A", 1) != 1 || read(down, &g, 1) != 1)
		die("matrix sync");

	ref = pidfd_getfd_res(t->pid, t->memfd);
	exp = rfd_expected_ok(scope, c, nondump);
	apid = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	pidfd = sys_pidfd_open(t->pid);
	apfd = rfd_attach(dev, pidfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC);
	fresh_ok = (ref >= 0) ? apid >= 0 && apfd >= 0 : apid == ref && apfd == ref;
	if (apid >= 0) {
		struct hans x = h_probe(apfd >= 0 ? apfd : apid, t->memfd, &t->st);

		fe = h_probe(apid, t->memfd, &t->st);
		fresh_ok = fresh_ok && h_agrees(fe, ref) && h_agrees(x, ref);
		snprintf(fresh_s, sizeof(fresh_s), "; through it %s", hans_str(fe));
	}
	if (early >= 0) {
		ee = h_probe(early, t->memfd, &t->st);
		early_ok = early_ok && h_agrees(ee, ref);
		snprintf(early_s, sizeof(early_s), ", then at scope %d %s", scope, hans_str(ee));
	}
	ok = early_ok && fresh_ok && (ref >= 0) == exp && agree_res(ref, ref, &t->st);
	check(ok, "%s scope=%d caller=%s target=%s: expected %s, pidfd_getfd %s; attach by pid %s, by pidfd %s%s; handle attached at scope 0 (pidfd_getfd there %s): %s%s",
	      label, scope, rfd_caller_name[c], nondump ? "nondumpable" : "dumpable",
	      exp ? "OK" : "EPERM", rn(ref), rn(apid), rn(apfd),
	      fresh_s, rn(ref0), rn(early), early_s);
	if (c == PARENT)
		kill_tgt(&own);
	return ok ? 0 : 1;
}

static int matrix_main(int scope)
{
	struct cell {
		pid_t caller;
		struct tgt t;
		int up, down;
	} cells[N_CALLERS * 2];
	int i, fails = 0, status, orig = (int)get_sysctl(YAMA);

	if (orig < 0) {
		check(0, "%s matrix: cannot read %s", label, YAMA);
		return 1;
	}
	if (orig != 0 && !set_sysctl(YAMA, 0)) {
		/* scope 3 is sticky: the early handles cannot be made */
		check(0, "%s matrix: ptrace_scope is %d and cannot be set to 0", label, orig);
		return 1;
	}
	for (i = 0; i < N_CALLERS * 2; i++) {
		enum rfd_caller c = i / 2;
		int nondump = i % 2, u[2], d[2];
		char a;

		memset(&cells[i].t, 0, sizeof(cells[i].t));
		if (c != PARENT)
			spawn_tgt(&cells[i].t, T_USER, nondump);
		if (pipe(u) || pipe(d))
			die("pipe");
		fflush(stdout);
		cells[i].caller = fork();
		if (cells[i].caller < 0)
			die("fork");
		if (!cells[i].caller) {
			n_pass = n_fail = 0;
			close(u[0]);
			close(d[1]);
			_exit(matrix_caller(scope, c, nondump, &cells[i].t, u[1], d[0]));
		}
		close(u[1]);
		close(d[0]);
		cells[i].up = u[0];
		cells[i].down = d[1];
		if (read(cells[i].up, &a, 1) != 1)
			die("matrix caller setup");
	}
	if (scope != 0 && !set_sysctl(YAMA, scope)) {
		check(0, "%s matrix: cannot set ptrace_scope %d", label, scope);
		scope = -1;
	}
	usleep(1200000);	/* every early check is now older than 1 s */
	for (i = 0; i < N_CALLERS * 2; i++) {
		if (write(cells[i].down, "G", 1) != 1)
			die("matrix go");
		waitpid(cells[i].caller, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fails++;
		if (cells[i].t.pid)
			kill_tgt(&cells[i].t);
		close(cells[i].up);
		close(cells[i].down);
	}
	printf("# %s scope %d: %d cells, %d failed\n", label, scope,
	       N_CALLERS * 2, fails);
	return fails;
}

/* ======================================================================== */
/* security: revalidation                                                   */
/* ======================================================================== */

static struct tgt *cur_t;

/* exec after attach: ESTALE, then a new attach works */
static int sec_exec(void *arg)
{
	int uid = (int)(intptr_t)arg, h, h2, ref, ok;
	struct hans a, b;
	struct tgt *t = cur_t;

	if (uid)
		drop_to(uid);
	dev = open_dev();
	h = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	a = h_probe(h, t->memfd, &t->st);
	if (!tgt_cmd(t, 'x'))
		die("target exec");
	b = h_probe(h, t->memfd, &t->st);
	ref = pidfd_getfd_res(t->pid, t->memfd);
	ok = h >= 0 && h_agrees(a, 0) && b.getfd == -ESTALE && b.getfds == -ESTALE &&
	     b.inv == -ESTALE && agree_res(ref, ref, &t->st);
	check(ok, "%s exec after attach (caller uid %d): before %s; after the exec %s (want ESTALE each), pidfd_getfd of the same fd %s",
	      label, uid, hans_str(a), hans_str(b), rn(ref));
	h2 = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	b = h_probe(h2, t->memfd, &t->st);
	check(h2 >= 0 && h_agrees(b, 0),
	      "%s exec after attach (caller uid %d): a new attach works: %s, %s",
	      label, uid, rn(h2), hans_str(b));
	if (ref >= 0)
		close(ref);
	return n_fail;
}

/* the target becomes non-dumpable after attach */
static int sec_nondump(void *arg)
{
	int uid = (int)(intptr_t)arg, h, ref, ok, want;
	struct hans a, b, c;
	struct tgt *t = cur_t;

	if (uid)
		drop_to(uid);
	dev = open_dev();
	h = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	a = h_probe(h, t->memfd, &t->st);
	if (!tgt_cmd(t, 'n'))
		die("target PR_SET_DUMPABLE 0");
	b = h_probe(h, t->memfd, &t->st);	/* at once: no 1 s grace */
	ref = pidfd_getfd_res(t->pid, t->memfd);
	want = uid ? -EPERM : 0;
	ok = h >= 0 && h_agrees(a, 0) && h_agrees(b, want) &&
	     (uid ? ref == -EPERM : ref >= 0);
	check(ok, "%s target non-dumpable after attach (caller uid %d): before %s; right after PR_SET_DUMPABLE 0: %s (want %s, pidfd_getfd %s)",
	      label, uid, hans_str(a), hans_str(b), uid ? "EPERM" : "OK", rn(ref));
	if (ref >= 0)
		close(ref);
	if (!tgt_cmd(t, 'y'))
		die("target PR_SET_DUMPABLE 1");
	c = h_probe(h, t->memfd, &t->st);
	check(h_agrees(c, 0), "%s target dumpable again (caller uid %d): %s (want OK: re-checked, allowed)",
	      label, uid, hans_str(c));
	return n_fail;
}

/*
 * The target changes uid without exec (setresuid with CAP_SETUID): the
 * target and, for the uid-1000 caller, the caller are uid 1000 with
 * CAP_SETUID+CAP_SETGID only (so that the caller may attach to it first).
 * After the change the handle must answer as pidfd_getfd: EPERM for the
 * uid-1000 caller, OK for root; also once the target made itself dumpable
 * again (so that only its credentials differ from the checked ones).
 */
static int sec_uidchange(void *arg)
{
	int uid = (int)(intptr_t)arg, h, ref, ok;
	struct hans a, b, c;
	struct tgt *t = cur_t;

	if (uid)
		become_capped_1000();
	dev = open_dev();
	h = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	a = h_probe(h, t->memfd, &t->st);
	check(h >= 0 && h_agrees(a, 0), "%s uid change: caller uid %d attached to the uid-1000 target: %s, %s",
	      label, uid, rn(h), hans_str(a));
	if (!tgt_cmd(t, 'u'))
		die("target setresuid 1001");
	b = h_probe(h, t->memfd, &t->st);
	ref = pidfd_getfd_res(t->pid, t->memfd);
	ok = h_agrees(b, ref) && (uid ? ref == -EPERM : ref >= 0);
	check(ok, "%s target setresuid(1001) after attach (caller uid %d): %s; pidfd_getfd %s (want %s)",
	      label, uid, hans_str(b), rn(ref), uid ? "EPERM" : "OK");
	if (ref >= 0)
		close(ref);
	if (!tgt_cmd(t, 'y'))
		die("target PR_SET_DUMPABLE 1");
	c = h_probe(h, t->memfd, &t->st);
	ref = pidfd_getfd_res(t->pid, t->memfd);
	ok = h_agrees(c, ref) && (uid ? ref == -EPERM : ref >= 0);
	check(ok, "%s target setresuid(1001) then dumpable again, only its creds differ (caller uid %d): %s; pidfd_getfd %s (want %s)",
	      label, uid, hans_str(c), rn(ref), uid ? "EPERM" : "OK");
	if (ref >= 0)
		close(ref);
	return n_fail;
}

/* a root target that drops to uid 1000 by itself: root's handle still works */
static int sec_uidchange_root(void *arg)
{
	struct tgt *t = cur_t;
	int h, ref;
	struct hans b;

	(void)arg;
	dev = open_dev();
	h = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	if (!tgt_cmd(t, 'r'))
		die("target setresuid 1000");
	b = h_probe(h, t->memfd, &t->st);
	ref = pidfd_getfd_res(t->pid, t->memfd);
	check(h >= 0 && h_agrees(b, ref) && ref >= 0,
	      "%s root target setresuid(1000) after attach, root caller: %s; pidfd_getfd %s (want OK)",
	      label, hans_str(b), rn(ref));
	if (ref >= 0)
		close(ref);
	return n_fail;
}

/* the caller drops privileges after attaching */
static int sec_dropper(void *arg)
{
	int to = (int)(intptr_t)arg, h, ref, want;
	struct hans a, b;
	struct tgt *t = cur_t;

	dev = open_dev();
	h = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	a = h_probe(h, t->memfd, &t->st);
	drop_to(to);
	b = h_probe(h, t->memfd, &t->st);
	ref = pidfd_getfd_res(t->pid, t->memfd);
	/* root target: EPERM for anyone else; uid-1000 target: OK for 1000 */
	want = (t->st.st_uid == (uid_t)to) ? 0 : -EPERM;
	check(h >= 0 && h_agrees(a, 0) && h_agrees(b, ref) &&
	      ((want == 0) == (ref >= 0)),
	      "%s caller attached as root then setresuid(%d), target uid %u: before %s; after %s; pidfd_getfd %s (want %s)",
	      label, to, (unsigned)t->st.st_uid, hans_str(a), hans_str(b),
	      rn(ref), want ? "EPERM" : "OK");
	if (ref >= 0)
		close(ref);
	return n_fail;
}

static int send_fd(int sock, int fd)
{
	char c = 'h';
	struct iovec iov = { &c, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * A handle attached by SENDER_UID (0 or 1000) passed over SCM_RIGHTS to a
 * process of RECV_UID: its answers equal pidfd_getfd's for RECV_UID.
 */
struct scm_case {
	int sender_uid, recv_uid;
	const char *tname;
};

static int scm_receiver(int sock, struct scm_case *sc)
{
	int h, ref, own;
	struct hans a;
	struct tgt *t = cur_t;

	if (sc->recv_uid)
		drop_to(sc->recv_uid);
	dev = open_dev();
	h = recv_fd(sock);
	ref = pidfd_getfd_res(t->pid, t->memfd);
	own = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	a = h_probe(h, t->memfd, &t->st);
	check(h >= 0 && h_agrees(a, ref) && (own >= 0) == (ref >= 0) &&
	      (ref >= 0 || own == ref),
	      "%s SCM_RIGHTS: handle attached by uid %d on a %s target, received by uid %d: %s; that uid's own pidfd_getfd %s, own attach %s",
	      label, sc->sender_uid, sc->tname, sc->recv_uid, hans_str(a),
	      rn(ref), rn(own));
	return n_fail;
}

static int sec_scm(void *arg)
{
	struct scm_case *sc = arg;
	int sv[2], h, status;
	pid_t r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	fflush(stdout);
	r = fork();
	if (!r) {
		n_pass = n_fail = 0;
		close(sv[0]);
		_exit(scm_receiver(sv[1], sc));
	}
	close(sv[1]);
	if (sc->sender_uid)
		drop_to(sc->sender_uid);
	dev = open_dev();
	h = rfd_attach(dev, cur_t->pid, 0, O_CLOEXEC);
	if (h < 0) {
		check(0, "%s SCM_RIGHTS: sender uid %d cannot attach: %s", label,
		      sc->sender_uid, rn(h));
		kill(r, SIGKILL);
	} else if (send_fd(sv[0], h)) {
		die("sendmsg");
	}
	waitpid(r, &status, 0);
	return n_fail + (!WIFEXITED(status) || WEXITSTATUS(status));
}

/* the target dies: zombie, then reaped -> ESRCH */
static void sec_death(void)
{
	struct tgt t;
	int h, hp, pfd, a;
	struct hans z, g, gp;
	siginfo_t si;

	spawn_tgt(&t, T_ROOT, 0);
	pfd = sys_pidfd_open(t.pid);
	h = rfd_attach(dev, t.pid, 0, O_CLOEXEC);
	hp = rfd_attach(dev, pfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC);
	kill(t.pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	waitid(P_PID, t.pid, &si, WEXITED | WNOWAIT);	/* zombie now */
	z = h_probe(h, t.memfd, &t.st);
	check(h >= 0 && z.getfd == -ESRCH && z.getfds == -ESRCH && z.inv == -ESRCH,
	      "%s target killed, not reaped (zombie): %s (want ESRCH each)", label,
	      hans_str(z));
	waitpid(t.pid, NULL, 0);
	g = h_probe(h, t.memfd, &t.st);
	gp = h_probe(hp, t.memfd, &t.st);
	a = rfd_attach(dev, pfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC);
	check(g.getfd == -ESRCH && g.getfds == -ESRCH && g.inv == -ESRCH &&
	      gp.getfd == -ESRCH && gp.getfds == -ESRCH && gp.inv == -ESRCH && a == -ESRCH,
	      "%s target reaped: by-pid handle %s; by-pidfd handle %s; attach by its pidfd %s (want ESRCH each)",
	      label, hans_str(g), hans_str(gp), rn(a));
	t.pid = 0;
	kill_tgt(&t);
	close(h);
	close(hp);
	close(pfd);
}

/*
 * pid reuse: attach to a child, kill and reap it, then fork children (with
 * ns_last_pid set to pid - 1) until one gets the same pid and holds a
 * different memfd at the same fd number.  The old handles must say ESRCH,
 * never hand out the new process's file; a fresh attach reaches the new one.
 */
static void sec_pidreuse(void)
{
	struct tgt t, n;
	int h, hp, pfd, tries, a, fresh;
	pid_t old;
	struct hans x, y;

	spawn_tgt(&t, T_ROOT, 0);
	old = t.pid;
	pfd = sys_pidfd_open(t.pid);
	h = rfd_attach(dev, t.pid, 0, O_CLOEXEC);
	hp = rfd_attach(dev, pfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC);
	kill_tgt(&t);
	memset(&n, 0, sizeof(n));
	spawn_memfd_at = t.memfd;
	for (tries = 1; tries <= 50; tries++) {
		set_sysctl("/proc/sys/kernel/ns_last_pid", old - 1);
		spawn_tgt(&n, T_ROOT, 0);
		if (n.pid == old)
			break;
		kill_tgt(&n);
	}
	spawn_memfd_at = -1;
	if (n.pid != old) {
		check(0, "%s pid reuse: pid %d not reused in 50 forks", label, old);
		goto out;
	}
	if (n.memfd != t.memfd) {
		check(0, "%s pid reuse: new process's memfd at %d, old at %d", label,
		      n.memfd, t.memfd);
		kill_tgt(&n);
		goto out;
	}
	x = h_probe(h, t.memfd, NULL);
	y = h_probe(hp, t.memfd, NULL);
	check(h >= 0 && hp >= 0 && x.getfd == -ESRCH && x.getfds == -ESRCH &&
	      x.inv == -ESRCH && y.getfd == -ESRCH && y.getfds == -ESRCH &&
	      y.inv == -ESRCH,
	      "%s pid reuse: pid %d reused after %d fork(s), same fd number %d: old by-pid handle %s; old by-pidfd handle %s (want ESRCH each)",
	      label, old, tries, t.memfd, hans_str(x), hans_str(y));
	{
		/* the number is really reused: fresh requests reach the new process */
		int o = rfd_getfd(dev, old, n.memfd, 0, O_CLOEXEC);
		int p = pidfd_getfd_res(old, n.memfd);

		fresh = rfd_attach(dev, old, 0, O_CLOEXEC);
		a = fresh >= 0 ? h_getfd(fresh, n.memfd, O_CLOEXEC) : fresh;
		check(a >= 0 && same_as_stat(a, &n.st) && !same_as_stat(a, &t.st) &&
		      o >= 0 && same_as_stat(o, &n.st) && p >= 0 && same_as_stat(p, &n.st),
		      "%s pid reuse: fresh requests for pid %d reach the new process: attach %s, GETFD through it %s; REMOTEFD_IOC_GETFD %s; pidfd_getfd %s",
		      label, old, rn(fresh), rn(a), rn(o), rn(p));
		if (o >= 0)
			close(o);
		if (p >= 0)
			close(p);
		if (a < 0) {
			/* again, a moment later */
			int f2, a2;

			usleep(300000);
			f2 = rfd_attach(dev, old, 0, O_CLOEXEC);
			a2 = f2 >= 0 ? h_getfd(f2, n.memfd, O_CLOEXEC) : f2;
			printf("# %s pid reuse: 300 ms later: attach %s, GETFD through it %s; REMOTEFD_IOC_GETFD %s\n",
			       label, rn(f2), rn(a2), rn(rfd_getfd(dev, old, n.memfd, 0, O_CLOEXEC)));
		}
	}
	if (a >= 0)
		close(a);
	if (fresh >= 0)
		close(fresh);
	kill_tgt(&n);
out:
	close(h);
	close(hp);
	close(pfd);
}

/*
 * A live process whose main thread exited (the leader is a zombie until the
 * last thread exits; the fd table lives on in the other threads).
 * REMOTEFD_IOC_GETFD naming a live thread by its tid reaches the files; a
 * handle attached by that tid must too (and GETFDS/INVENTORY through it).
 */
static void *leaderless_thread(void *arg)
{
	int *p = arg, m = memfd_create("leaderless", 0);
	pid_t tid = (pid_t)syscall(SYS_gettid);
	struct stat st;

	fstat(m, &st);
	write(p[1], &m, sizeof(m));
	write(p[1], &tid, sizeof(tid));
	write(p[1], &st, sizeof(st));
	for (;;)
		pause();
	return NULL;
}

static void sec_leaderless(void)
{
	int p[2], go[2], m = -1, h_tid, h_pid, old_tid, old_pid, pfd, pg, h_before;
	pid_t pid, tid = 0;
	struct stat st;
	struct hans a, b, c0, c;
	char x;

	if (pipe(p) || pipe(go))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		pthread_t th;

		pthread_create(&th, NULL, leaderless_thread, p);
		read(go[0], &x, 1);
		syscall(SYS_exit, 0);	/* this thread only */
	}
	if (read(p[0], &m, sizeof(m)) != sizeof(m) || read(p[0], &tid, sizeof(tid)) != sizeof(tid) ||
	    read(p[0], &st, sizeof(st)) != sizeof(st))
		die("leaderless target");
	h_before = rfd_attach(dev, pid, 0, O_CLOEXEC);
	c0 = h_probe(h_before, m, &st);
	write(go[1], "x", 1);
	usleep(400000);		/* the leader has exited */
	c = h_probe(h_before, m, &st);
	check(h_before >= 0 && h_agrees(c0, 0) && h_agrees(c, 0),
	      "%s handle attached before the main thread exited (the process lives on in thread %d): before %s; after %s (want OK: the process is alive)",
	      label, tid, hans_str(c0), hans_str(c));
	if (h_before >= 0)
		close(h_before);
	old_tid = rfd_getfd(dev, tid, m, 0, O_CLOEXEC);
	old_pid = rfd_getfd(dev, pid, m, 0, O_CLOEXEC);
	pfd = sys_pidfd_open(pid);
	pg = pfd >= 0 ? errno_of(sys_pidfd_getfd(pfd, m)) : -errno;
	h_tid = rfd_attach(dev, tid, 0, O_CLOEXEC);
	h_pid = rfd_attach(dev, pid, 0, O_CLOEXEC);
	a = h_tid >= 0 ? h_probe(h_tid, m, &st) : (struct hans){ h_tid, h_tid, h_tid };
	b = h_pid >= 0 ? h_probe(h_pid, m, &st) : (struct hans){ h_pid, h_pid, h_pid };
	printf("# %s leader exited, thread %d alive: REMOTEFD_IOC_GETFD by tid %s, by pid %s; pidfd_getfd %s; ATTACH by pid %s (%s)\n",
	       label, tid, rn(old_tid), rn(old_pid), rn(pg), rn(h_pid), hans_str(b));
	check(old_tid >= 0 && same_as_stat(old_tid, &st) && h_tid >= 0 && h_agrees(a, 0),
	      "%s process whose main thread exited: ATTACH by a live thread's tid reaches its files as REMOTEFD_IOC_GETFD by that tid does: GETFD by tid %s; ATTACH by tid %s, %s",
	      label, rn(old_tid), rn(h_tid), hans_str(a));
	if (old_tid >= 0)
		close(old_tid);
	if (old_pid >= 0)
		close(old_pid);
	if (pg >= 0)
		close(pg);
	if (pfd >= 0)
		close(pfd);
	if (h_tid >= 0)
		close(h_tid);
	if (h_pid >= 0)
		close(h_pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	close(go[0]);
	close(go[1]);
}

/*
 * Yama scope 1: a target lets any process trace it (PR_SET_PTRACER_ANY), a
 * same-uid non-descendant attaches, the target revokes it.  No pointer shows
 * that: the handle may answer from its check for up to 1 s, then must answer
 * as pidfd_getfd (EPERM).
 */
static int sec_ptracer(void *arg)
{
	struct tgt *t = cur_t;
	int h, ref0, ref1, ref2;
	struct hans a, b, c;

	(void)arg;
	drop_to(1000);
	dev = open_dev();
	if (!tgt_cmd(t, 'P'))
		die("PR_SET_PTRACER_ANY");
	ref0 = pidfd_getfd_res(t->pid, t->memfd);
	h = rfd_attach(dev, t->pid, 0, O_CLOEXEC);
	a = h_probe(h, t->memfd, &t->st);
	if (!tgt_cmd(t, 'p'))
		die("PR_SET_PTRACER 0");
	ref1 = pidfd_getfd_res(t->pid, t->memfd);
	b = h_probe(h, t->memfd, &t->st);
	usleep(1200000);
	ref2 = pidfd_getfd_res(t->pid, t->memfd);
	c = h_probe(h, t->memfd, &t->st);
	printf("# %s Yama scope 1, PR_SET_PTRACER revoked: right after, the handle says %s (pidfd_getfd %s): within the documented 1 s\n",
	       label, hans_str(b), rn(ref1));
	check(ref0 >= 0 && h >= 0 && h_agrees(a, 0) && ref2 == -EPERM && h_agrees(c, ref2),
	      "%s Yama scope 1, uid-1000 non-descendant allowed by PR_SET_PTRACER_ANY: pidfd_getfd %s, attach %s, %s; revoked, 1.2 s later: %s, pidfd_getfd %s (want EPERM)",
	      label, rn(ref0), rn(h), hans_str(a), hans_str(c), rn(ref2));
	return n_fail;
}

/* ATTACH by the tid of a non-leader thread: a handle on its process */
static void sec_thread_tid(void)
{
	int p[2], m = -1, h, fp;
	pid_t pid, tid = 0;
	struct stat st;
	struct hans a;

	if (pipe(p))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		pthread_t th;

		pthread_create(&th, NULL, leaderless_thread, p);
		for (;;)
			pause();
	}
	if (read(p[0], &m, sizeof(m)) != sizeof(m) || read(p[0], &tid, sizeof(tid)) != sizeof(tid) ||
	    read(p[0], &st, sizeof(st)) != sizeof(st))
		die("threaded target");
	h = rfd_attach(dev, tid, 0, O_CLOEXEC);
	a = h >= 0 ? h_probe(h, m, &st) : (struct hans){ h, h, h };
	fp = h >= 0 ? fdinfo_target_pid(h) : -1;
	check(h >= 0 && h_agrees(a, 0) && fp == pid,
	      "%s ATTACH by a non-leader thread id %d: %s, %s; fdinfo target_pid %d (want the process, %d)",
	      label, tid, rn(h), hans_str(a), fp, pid);
	if (h >= 0)
		close(h);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
}

static int security_main(void)
{
	struct tgt t;
	int before = fd_count();
	static struct scm_case scm[] = {
		{ 0, 1000, "root" }, { 0, 1001, "root" }, { 0, 0, "root" },
		{ 0, 1000, "uid-1000 dumpable" }, { 0, 1001, "uid-1000 dumpable" },
		{ 0, 0, "uid-1000 dumpable" },
		{ 0, 1000, "uid-1000 non-dumpable" }, { 0, 1001, "uid-1000 non-dumpable" },
		{ 0, 0, "uid-1000 non-dumpable" },
		{ 1000, 1001, "uid-1000 dumpable" }, { 1000, 1000, "uid-1000 dumpable" },
	};
	unsigned int i;

	if (get_sysctl(YAMA) > 0 && !set_sysctl(YAMA, 0))
		printf("# %s: ptrace_scope is %ld (cannot set 0): expect failures\n",
		       label, get_sysctl(YAMA));

	/* exec after attach */
	spawn_tgt(&t, T_ROOT, 0);
	cur_t = &t;
	in_child(sec_exec, (void *)0);
	kill_tgt(&t);
	spawn_tgt(&t, T_USER, 0);
	in_child(sec_exec, (void *)1000);
	kill_tgt(&t);

	/* non-dumpable after attach */
	spawn_tgt(&t, T_USER, 0);
	in_child(sec_nondump, (void *)1000);
	kill_tgt(&t);
	spawn_tgt(&t, T_USER, 0);
	in_child(sec_nondump, (void *)0);
	kill_tgt(&t);

	/* the target changes uid without exec */
	spawn_tgt(&t, T_USER_CAPS, 0);
	in_child(sec_uidchange, (void *)1000);
	kill_tgt(&t);
	spawn_tgt(&t, T_USER_CAPS, 0);
	in_child(sec_uidchange, (void *)0);
	kill_tgt(&t);
	spawn_tgt(&t, T_ROOT, 0);
	in_child(sec_uidchange_root, NULL);
	kill_tgt(&t);

	/* the caller drops privileges after attach */
	spawn_tgt(&t, T_ROOT, 0);
	in_child(sec_dropper, (void *)1000);
	kill_tgt(&t);
	spawn_tgt(&t, T_USER, 0);
	in_child(sec_dropper, (void *)1000);
	kill_tgt(&t);
	spawn_tgt(&t, T_USER, 0);
	in_child(sec_dropper, (void *)1001);
	kill_tgt(&t);

	/* SCM_RIGHTS */
	for (i = 0; i < sizeof(scm) / sizeof(scm[0]); i++) {
		if (!strcmp(scm[i].tname, "root"))
			spawn_tgt(&t, T_ROOT, 0);
		else
			spawn_tgt(&t, T_USER, !!strstr(scm[i].tname, "non-"));
		in_child(sec_scm, &scm[i]);
		kill_tgt(&t);
	}

	sec_death();
	sec_pidreuse();
	sec_thread_tid();
	sec_leaderless();

	/* Yama scope 1 for the PR_SET_PTRACER case, then back to 0 */
	if (set_sysctl(YAMA, 1)) {
		spawn_tgt(&t, T_USER, 0);
		cur_t = &t;
		in_child(sec_ptracer, NULL);
		kill_tgt(&t);
		if (!set_sysctl(YAMA, 0))
			check(0, "%s cannot set ptrace_scope back to 0", label);
	} else {
		printf("SKIP %s PR_SET_PTRACER: cannot set ptrace_scope 1\n", label);
	}
	check(fd_count() == before, "%s security: no fd leaked (%d -> %d)", label,
	      before, fd_count());
	return 0;
}

/* ======================================================================== */
/* malformed input                                                          */
/* ======================================================================== */

#define KADDR ((void *)0xffffffff81000000UL)

static void expect(const char *what, int r, int want)
{
	check(r == -want, "%s %s: %s (want %s)", label, what, rn(r),
	      rn(-want));
	if (r > 2 && r != dev)
		close(r);
}

static int raw(int fd, unsigned long cmd, void *arg)
{
	return errno_of(ioctl(fd, cmd, arg));
}

/*
 * A pidfd answers unknown ioctls itself: ENOTTY before 6.11, EINVAL for a
 * non-zero argument on 6.11-6.13 (pidfs checks the argument first).  The
 * handle ioctls on a pidfd must fail exactly as an unknown command does.
 */
static int pidfd_native;

static void expect_pidfd(const char *what, int r)
{
	check(r < 0 && r == pidfd_native, "%s %s: %s (want %s, the pidfd's answer to an unknown command)",
	      label, what, rn(r), rn(pidfd_native));
	if (r >= 0)
		close(r);
}

static int malformed_main(void)
{
	struct remotefd_attach at;
	struct remotefd_handle_getfd hg;
	struct remotefd_batch b;
	struct remotefd_inventory v;
	struct remotefd_batch_entry e[4];
	struct remotefd_fd_record rec[4];
	int h, dead_h, nul, memfd, proc, tpidfd, kpidfd, zpidfd, gpidfd, opath, r, n0, before, mid;
	char *ro, *guard, *rw;
	struct tgt t, d;
	pid_t zpid, gpid;
	unsigned int i;

	before = fd_count();
	spawn_tgt(&t, T_ROOT, 0);
	tpidfd = sys_pidfd_open(t.pid);
	h = rfd_attach(dev, t.pid, 0, O_CLOEXEC);
	if (h < 0) {
		check(0, "%s malformed: cannot attach: %s", label, rn(h));
		return 1;
	}
	spawn_tgt(&d, T_ROOT, 0);
	dead_h = rfd_attach(dev, d.pid, 0, O_CLOEXEC);
	kill_tgt(&d);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	memfd = memfd_create("malformed", MFD_CLOEXEC);
	proc = open("/proc/remotefd", O_RDWR | O_CLOEXEC);
	kpidfd = sys_pidfd_open(2);
	zpid = fork();
	if (!zpid)
		_exit(0);
	zpidfd = sys_pidfd_open(zpid);
	gpid = fork();
	if (!gpid)
		_exit(0);
	gpidfd = sys_pidfd_open(gpid);
	waitpid(gpid, NULL, 0);
	{
		siginfo_t si;

		waitid(P_PID, zpid, &si, WEXITED | WNOWAIT);
	}
	opath = open("/proc/self", O_PATH | O_CLOEXEC);
	/* pages: ro (read-only, zero), guard (rw page followed by PROT_NONE) */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guard = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(guard + 4096, 4096, PROT_NONE);
	rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	{
		int junk[8] = { 0 };

		pidfd_native = raw(tpidfd, _IOW(REMOTEFD_IOC_MAGIC, 0x7e, int), junk);
	}
	mid = fd_count();

	/* ---- REMOTEFD_IOC_ATTACH ---- */
#define AT(tg, fl, ff) (memset(&at, 0, sizeof(at)), at.target = (tg), at.flags = (fl), at.fd_flags = (ff), &at)
	expect("ATTACH NULL", raw(dev, REMOTEFD_IOC_ATTACH, NULL), EFAULT);
	expect("ATTACH pointer 8", raw(dev, REMOTEFD_IOC_ATTACH, (void *)8), EFAULT);
	expect("ATTACH kernel pointer", raw(dev, REMOTEFD_IOC_ATTACH, KADDR), EFAULT);
	expect("ATTACH struct straddling an unmapped page",
	       raw(dev, REMOTEFD_IOC_ATTACH, guard + 4096 - 8), EFAULT);
	expect("ATTACH pid 0", raw(dev, REMOTEFD_IOC_ATTACH, AT(0, 0, 0)), EINVAL);
	expect("ATTACH pid -1", raw(dev, REMOTEFD_IOC_ATTACH, AT(-1, 0, 0)), EINVAL);
	expect("ATTACH pid INT_MIN", raw(dev, REMOTEFD_IOC_ATTACH, AT(INT_MIN, 0, 0)), EINVAL);
	expect("ATTACH pid INT_MAX", raw(dev, REMOTEFD_IOC_ATTACH, AT(INT_MAX, 0, 0)), ESRCH);
	expect("ATTACH kernel thread (pid 2)", raw(dev, REMOTEFD_IOC_ATTACH, AT(2, 0, 0)), EPERM);
	expect("ATTACH kernel thread by pidfd",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(kpidfd, REMOTEFD_TARGET_PIDFD, 0)), EPERM);
	expect("ATTACH zombie by pid", raw(dev, REMOTEFD_IOC_ATTACH, AT(zpid, 0, 0)), ESRCH);
	expect("ATTACH zombie by pidfd",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(zpidfd, REMOTEFD_TARGET_PIDFD, 0)), ESRCH);
	expect("ATTACH reaped process by pidfd",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(gpidfd, REMOTEFD_TARGET_PIDFD, 0)), ESRCH);
	expect("ATTACH flags 1<<1", raw(dev, REMOTEFD_IOC_ATTACH, AT(t.pid, 2, 0)), EINVAL);
	expect("ATTACH flags 1<<31", raw(dev, REMOTEFD_IOC_ATTACH, AT(t.pid, 1u << 31, 0)), EINVAL);
	expect("ATTACH fd_flags O_NONBLOCK",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(t.pid, 0, O_NONBLOCK)), EINVAL);
	expect("ATTACH fd_flags O_CLOEXEC|O_RDWR",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(t.pid, 0, O_CLOEXEC | O_RDWR)), EINVAL);
	expect("ATTACH fd_flags 0xffffffff",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(t.pid, 0, 0xffffffffu)), EINVAL);
	(void)AT(t.pid, 0, 0);
	at.reserved0 = 1;
	expect("ATTACH reserved0 != 0", raw(dev, REMOTEFD_IOC_ATTACH, &at), EINVAL);
	(void)AT(t.pid, 0, 0);
	at.reserved[0] = 1;
	expect("ATTACH reserved[0] != 0", raw(dev, REMOTEFD_IOC_ATTACH, &at), EINVAL);
	(void)AT(t.pid, 0, 0);
	at.reserved[1] = 1ull << 63;
	expect("ATTACH reserved[1] != 0", raw(dev, REMOTEFD_IOC_ATTACH, &at), EINVAL);
	expect("ATTACH pidfd -1",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(-1, REMOTEFD_TARGET_PIDFD, 0)), EBADF);
	expect("ATTACH pidfd INT_MAX",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(INT_MAX, REMOTEFD_TARGET_PIDFD, 0)), EBADF);
	expect("ATTACH pidfd that is a memfd",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(memfd, REMOTEFD_TARGET_PIDFD, 0)), EBADF);
	expect("ATTACH pidfd that is /dev/remotefd",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(dev, REMOTEFD_TARGET_PIDFD, 0)), EBADF);
	expect("ATTACH pidfd that is a handle",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(h, REMOTEFD_TARGET_PIDFD, 0)), EBADF);
	expect("ATTACH pidfd that is O_PATH /proc/self",
	       raw(dev, REMOTEFD_IOC_ATTACH, AT(opath, REMOTEFD_TARGET_PIDFD, 0)), EBADF);
	expect("old GETFD with a handle as its pidfd",
	       rfd_getfd(dev, h, t.memfd, REMOTEFD_TARGET_PIDFD, 0), EBADF);
	expect("pidfd_getfd(2) on a handle", errno_of(sys_pidfd_getfd(h, t.memfd)), EBADF);
	expect("ATTACH on a handle (a /dev/remotefd ioctl)",
	       raw(h, REMOTEFD_IOC_ATTACH, AT(t.pid, 0, 0)), ENOTTY);
	expect("ATTACH on /proc/remotefd",
	       proc >= 0 ? raw(proc, REMOTEFD_IOC_ATTACH, AT(t.pid, 0, 0)) : -ENOTTY, ENOTTY);
	expect("ATTACH on /dev/null", raw(nul, REMOTEFD_IOC_ATTACH, AT(t.pid, 0, 0)), ENOTTY);
	expect("ATTACH number with a wrong size",
	       raw(dev, _IOW(REMOTEFD_IOC_MAGIC, 0x05, int), AT(t.pid, 0, 0)), ENOTTY);
	expect("ATTACH number with a wrong direction",
	       raw(dev, _IOWR(REMOTEFD_IOC_MAGIC, 0x05, struct remotefd_attach), AT(t.pid, 0, 0)), ENOTTY);
	/* valid input from a read-only page: attach only reads its argument */
	memcpy(rw, AT(t.pid, 0, O_CLOEXEC), sizeof(at));
	mprotect(rw, 4096, PROT_READ);
	r = raw(dev, REMOTEFD_IOC_ATTACH, rw);
	check(r >= 0 && (fcntl(r, F_GETFD) & FD_CLOEXEC),
	      "%s ATTACH from a read-only page (input only): %s", label, rn(r));
	if (r >= 0)
		close(r);
	mprotect(rw, 4096, PROT_READ | PROT_WRITE);
	r = rfd_attach(dev, getpid(), 0, O_CLOEXEC);
	check(r >= 0 && fdinfo_target_pid(r) == getpid(), "%s ATTACH self: %s", label,
	      rn(r));
	if (r >= 0)
		close(r);

	/* ---- REMOTEFD_HANDLE_IOC_GETFD ---- */
#define HG(f, ff) (memset(&hg, 0, sizeof(hg)), hg.fd = (f), hg.fd_flags = (ff), &hg)
	n0 = fd_count();
	expect("GETFD NULL", raw(h, REMOTEFD_HANDLE_IOC_GETFD, NULL), EFAULT);
	expect("GETFD pointer 8", raw(h, REMOTEFD_HANDLE_IOC_GETFD, (void *)8), EFAULT);
	expect("GETFD kernel pointer", raw(h, REMOTEFD_HANDLE_IOC_GETFD, KADDR), EFAULT);
	expect("GETFD struct straddling an unmapped page",
	       raw(h, REMOTEFD_HANDLE_IOC_GETFD, guard + 4096 - 8), EFAULT);
	expect("GETFD fd -1", raw(h, REMOTEFD_HANDLE_IOC_GETFD, HG(-1, 0)), EBADF);
	expect("GETFD fd INT_MIN", raw(h, REMOTEFD_HANDLE_IOC_GETFD, HG(INT_MIN, 0)), EBADF);
	expect("GETFD fd 100000 (beyond the table)",
	       raw(h, REMOTEFD_HANDLE_IOC_GETFD, HG(100000, 0)), EBADF);
	expect("GETFD fd INT_MAX", raw(h, REMOTEFD_HANDLE_IOC_GETFD, HG(INT_MAX, 0)), EBADF);
	expect("GETFD closed fd 77", raw(h, REMOTEFD_HANDLE_IOC_GETFD, HG(77, 0)), EBADF);
	expect("GETFD fd_flags O_NONBLOCK",
	       raw(h, REMOTEFD_HANDLE_IOC_GETFD, HG(t.memfd, O_NONBLOCK)), EINVAL);
	expect("GETFD fd_flags O_CLOEXEC|O_RDWR",
	       raw(h, REMOTEFD_HANDLE_IOC_GETFD, HG(t.memfd, O_CLOEXEC | O_RDWR)), EINVAL);
	expect("GETFD fd_flags 0xffffffff",
	       raw(h, REMOTEFD_HANDLE_IOC_GETFD, HG(t.memfd, 0xffffffffu)), EINVAL);
	(void)HG(t.memfd, 0);
	hg.reserved = 1;
	expect("GETFD reserved 1", raw(h, REMOTEFD_HANDLE_IOC_GETFD, &hg), EINVAL);
	(void)HG(t.memfd, 0);
	hg.reserved = 1ull << 63;
	expect("GETFD reserved 1<<63", raw(h, REMOTEFD_HANDLE_IOC_GETFD, &hg), EINVAL);
	expect("GETFD on /dev/null", raw(nul, REMOTEFD_HANDLE_IOC_GETFD, HG(t.memfd, 0)), ENOTTY);
	expect_pidfd("GETFD on a pidfd", raw(tpidfd, REMOTEFD_HANDLE_IOC_GETFD, HG(t.memfd, 0)));
	expect("GETFD on /dev/remotefd", raw(dev, REMOTEFD_HANDLE_IOC_GETFD, HG(t.memfd, 0)), ENOTTY);
	expect("GETFD on a memfd", raw(memfd, REMOTEFD_HANDLE_IOC_GETFD, HG(t.memfd, 0)), ENOTTY);
	expect("GETFD on a dead target's handle",
	       raw(dead_h, REMOTEFD_HANDLE_IOC_GETFD, HG(0, 0)), ESRCH);
	expect("GETFD number with a wrong size",
	       raw(h, _IOW(REMOTEFD_IOC_MAGIC, 0x10, int), HG(t.memfd, 0)), ENOTTY);
	expect("unknown handle command 0x1f",
	       raw(h, _IOW(REMOTEFD_IOC_MAGIC, 0x1f, struct remotefd_handle_getfd), HG(t.memfd, 0)), ENOTTY);
	expect("unknown handle command _IO(magic, 0x7f)", raw(h, _IO(REMOTEFD_IOC_MAGIC, 0x7f), NULL), ENOTTY);
	{
		struct remotefd_getfd old = { .target = t.pid, .fd = t.memfd };
		struct remotefd_info info;

		expect("old REMOTEFD_IOC_GETFD on a handle", raw(h, REMOTEFD_IOC_GETFD, &old), ENOTTY);
		expect("REMOTEFD_IOC_INFO on a handle", raw(h, REMOTEFD_IOC_INFO, &info), ENOTTY);
	}
	expect("legacy /proc/remotefd command on a handle",
	       raw(h, REMOTEFD_LEGACY_IOC, rw), ENOTTY);
	memcpy(rw, HG(t.memfd, O_CLOEXEC), sizeof(hg));
	mprotect(rw, 4096, PROT_READ);
	r = raw(h, REMOTEFD_HANDLE_IOC_GETFD, rw);
	check(r >= 0 && same_as_stat(r, &t.st), "%s GETFD from a read-only page (input only): %s",
	      label, rn(r));
	if (r >= 0)
		close(r);
	mprotect(rw, 4096, PROT_READ | PROT_WRITE);
	check(fd_count() == n0, "%s GETFD: no fd installed by the failed requests (%d -> %d)",
	      label, n0, fd_count());

	/* ---- REMOTEFD_HANDLE_IOC_GETFDS ---- */
#define BT(ent, cnt, ff) (memset(&b, 0, sizeof(b)), b.entries = (uintptr_t)(ent), b.count = (cnt), b.fd_flags = (ff), &b)
	for (i = 0; i < 4; i++) {
		e[i].fd = t.memfd;
		e[i].result = -99;
	}
	n0 = fd_count();
	expect("GETFDS NULL", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, NULL), EFAULT);
	expect("GETFDS pointer 8", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, (void *)8), EFAULT);
	expect("GETFDS kernel pointer", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, KADDR), EFAULT);
	expect("GETFDS struct straddling an unmapped page",
	       raw(h, REMOTEFD_HANDLE_IOC_GETFDS, guard + 4096 - 8), EFAULT);
	expect("GETFDS entries NULL", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(NULL, 1, 0)), EFAULT);
	expect("GETFDS entries 8", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(8, 1, 0)), EFAULT);
	expect("GETFDS entries kernel pointer",
	       raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(KADDR, 1, 0)), EFAULT);
	{
		struct remotefd_batch_entry *re = (void *)rw;

		re[0].fd = t.memfd;
		re[1].fd = t.memfd;
		mprotect(rw, 4096, PROT_READ);
		r = raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(re, 2, 0));
		check(r == -EFAULT && fd_count() == n0,
		      "%s GETFDS entries on a read-only page (results cannot be written): %s (want EFAULT), no fd installed (%d -> %d)",
		      label, rn(r), n0, fd_count());
		mprotect(rw, 4096, PROT_READ | PROT_WRITE);
		/* the second entry's result lies on the PROT_NONE page */
		re = (void *)(guard + 4096 - sizeof(*re) - 4);
		re[0].fd = t.memfd;
		re[0].result = -99;
		r = raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(re, 2, 0));
		check(r == -EFAULT && fd_count() == n0,
		      "%s GETFDS entries running into an unmapped page: %s (want EFAULT), no fd installed (%d -> %d)",
		      label, rn(r), n0, fd_count());
	}
	{
		/*
		 * entry 0's result writable, entry 1's read-only: EFAULT for
		 * the call, and every fd installed is named in its entry
		 */
		char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct remotefd_batch_entry *re = (void *)(two + 4096 - sizeof(*re));
		int k0 = fd_count(), named;

		re[0].fd = t.memfd;
		re[0].result = -99;
		re[1].fd = t.memfd;
		re[1].result = -99;
		mprotect(two + 4096, 4096, PROT_READ);
		r = raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(re, 2, 0));
		named = re[0].result >= 0 && same_as_stat(re[0].result, &t.st);
		check(r == -EFAULT && fd_count() - k0 == named && re[1].result == -99,
		      "%s GETFDS entry 1 on a read-only page: %s (want EFAULT); %d fd(s) installed, entry 0 = %s (no fd left unnamed)",
		      label, rn(r), fd_count() - k0, rn(re[0].result));
		if (re[0].result >= 0)
			close(re[0].result);
		munmap(two, 8192);
	}
	expect("GETFDS count 0", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 0, 0)), EINVAL);
	expect("GETFDS count 1025", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, REMOTEFD_BATCH_MAX + 1, 0)), E2BIG);
	expect("GETFDS count 0xffffffff", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 0xffffffffu, 0)), E2BIG);
	expect("GETFDS count 0x80000000", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 0x80000000u, 0)), E2BIG);
	expect("GETFDS fd_flags O_NONBLOCK",
	       raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 1, O_NONBLOCK)), EINVAL);
	expect("GETFDS fd_flags 1<<31",
	       raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 1, 1u << 31)), EINVAL);
	(void)BT(e, 1, 0);
	b.reserved[0] = 1;
	expect("GETFDS reserved[0] != 0", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, &b), EINVAL);
	(void)BT(e, 1, 0);
	b.reserved[1] = 1ull << 63;
	expect("GETFDS reserved[1] != 0", raw(h, REMOTEFD_HANDLE_IOC_GETFDS, &b), EINVAL);
	expect("GETFDS on /dev/null", raw(nul, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 1, 0)), ENOTTY);
	expect_pidfd("GETFDS on a pidfd", raw(tpidfd, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 1, 0)));
	expect("GETFDS on /dev/remotefd", raw(dev, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 1, 0)), ENOTTY);
	expect("GETFDS on a memfd", raw(memfd, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 1, 0)), ENOTTY);
	expect("GETFDS on a dead target's handle",
	       raw(dead_h, REMOTEFD_HANDLE_IOC_GETFDS, BT(e, 1, 0)), ESRCH);
	expect("GETFDS number with a wrong size",
	       raw(h, _IOW(REMOTEFD_IOC_MAGIC, 0x11, int), BT(e, 1, 0)), ENOTTY);
	expect("GETFDS number with a wrong direction",
	       raw(h, _IOR(REMOTEFD_IOC_MAGIC, 0x11, struct remotefd_batch), BT(e, 1, 0)), ENOTTY);
	check(fd_count() == n0, "%s GETFDS: no fd installed by the failed requests (%d -> %d)",
	      label, n0, fd_count());
	{
		/* negative and huge fd numbers: per-entry EBADF, the call succeeds */
		struct remotefd_batch_entry bad[4] = {
			{ -1, 5 }, { INT_MIN, 5 }, { INT_MAX, 5 }, { 100000, 5 },
		};

		r = raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(bad, 4, 0));
		check(r == 0 && bad[0].result == -EBADF && bad[1].result == -EBADF &&
		      bad[2].result == -EBADF && bad[3].result == -EBADF && fd_count() == n0,
		      "%s GETFDS fds -1, INT_MIN, INT_MAX, 100000: call %s, results %s %s %s %s (want EBADF each)",
		      label, rn(r), rn(bad[0].result), rn(bad[1].result),
		      rn(bad[2].result), rn(bad[3].result));
	}
	{
		/* exactly REMOTEFD_BATCH_MAX entries, all closed: accepted */
		struct remotefd_batch_entry *all = calloc(REMOTEFD_BATCH_MAX, sizeof(*all));
		int ok = 1;

		for (i = 0; i < REMOTEFD_BATCH_MAX; i++)
			all[i].fd = 5000 + i;
		r = raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(all, REMOTEFD_BATCH_MAX, 0));
		for (i = 0; i < REMOTEFD_BATCH_MAX; i++)
			ok = ok && all[i].result == -EBADF;
		check(r == 0 && ok, "%s GETFDS count %d (the limit) accepted: %s, every result EBADF",
		      label, REMOTEFD_BATCH_MAX, rn(r));
		free(all);
	}
	{
		/* more valid entries than the caller's fd limit: EMFILE per entry, no leak */
		struct rlimit old, lim;
		struct remotefd_batch_entry many[64];
		int k, okc = 0, emf = 0, other = 0;

		int room;

		getrlimit(RLIMIT_NOFILE, &old);
		lim = old;
		/* highest open fd + 10: room = the free numbers below that */
		for (k = 1023; k > 0 && fcntl(k, F_GETFD) < 0; k--)
			;
		lim.rlim_cur = k + 11;
		room = (int)lim.rlim_cur - fd_count();
		setrlimit(RLIMIT_NOFILE, &lim);
		for (i = 0; i < 64; i++)
			many[i].fd = t.memfd;
		r = raw(h, REMOTEFD_HANDLE_IOC_GETFDS, BT(many, 64, O_CLOEXEC));
		for (i = 0; i < 64; i++) {
			if (many[i].result >= 0) {
				okc++;
				close(many[i].result);
			} else if (many[i].result == -EMFILE) {
				emf++;
			} else {
				other++;
			}
		}
		setrlimit(RLIMIT_NOFILE, &old);
		check(r == 0 && okc == room && emf == 64 - okc && other == 0 &&
		      fd_count() == n0,
		      "%s GETFDS of 64 with room for %d fds (RLIMIT_NOFILE): call %s, %d adopted, %d EMFILE, %d other; nothing leaked",
		      label, room, rn(r), okc, emf, other);
	}

	/* ---- REMOTEFD_HANDLE_IOC_INVENTORY ---- */
#define IV(st, cnt, recs) (memset(&v, 0, sizeof(v)), v.start_fd = (st), v.count = (cnt), v.records = (uintptr_t)(recs), &v)
	expect("INVENTORY NULL", raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, NULL), EFAULT);
	expect("INVENTORY pointer 8", raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, (void *)8), EFAULT);
	expect("INVENTORY kernel pointer", raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, KADDR), EFAULT);
	expect("INVENTORY struct straddling an unmapped page",
	       raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, guard + 4096 - 8), EFAULT);
	memcpy(rw, IV(0, 4, rec), sizeof(v));
	mprotect(rw, 4096, PROT_READ);
	expect("INVENTORY struct on a read-only page (returned/next_fd cannot be written)",
	       raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, rw), EFAULT);
	mprotect(rw, 4096, PROT_READ | PROT_WRITE);
	expect("INVENTORY records NULL", raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 4, NULL)), EFAULT);
	expect("INVENTORY records 8", raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 4, 8)), EFAULT);
	expect("INVENTORY records kernel pointer",
	       raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 4, KADDR)), EFAULT);
	expect("INVENTORY records on a read-only page",
	       raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 4, ro)), EFAULT);
	expect("INVENTORY records running into an unmapped page",
	       raw(h, REMOTEFD_HANDLE_IOC_INVENTORY,
		   IV(0, 4, guard + 4096 - sizeof(struct remotefd_fd_record) - 8)), EFAULT);
	expect("INVENTORY count 0", raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 0, rec)), EINVAL);
	expect("INVENTORY count 4097",
	       raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, REMOTEFD_INVENTORY_MAX + 1, rec)), E2BIG);
	expect("INVENTORY count 0xffffffff",
	       raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 0xffffffffu, rec)), E2BIG);
	expect("INVENTORY start_fd -1", raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(-1, 4, rec)), EINVAL);
	expect("INVENTORY start_fd INT_MIN",
	       raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(INT_MIN, 4, rec)), EINVAL);
	(void)IV(0, 4, rec);
	v.reserved[0] = 1;
	expect("INVENTORY reserved[0] != 0", raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, &v), EINVAL);
	(void)IV(0, 4, rec);
	v.reserved[1] = 1ull << 63;
	expect("INVENTORY reserved[1] != 0", raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, &v), EINVAL);
	expect("INVENTORY on /dev/null", raw(nul, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 4, rec)), ENOTTY);
	expect_pidfd("INVENTORY on a pidfd", raw(tpidfd, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 4, rec)));
	expect("INVENTORY on /dev/remotefd", raw(dev, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 4, rec)), ENOTTY);
	expect("INVENTORY on a memfd", raw(memfd, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 4, rec)), ENOTTY);
	expect("INVENTORY on a dead target's handle",
	       raw(dead_h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(0, 4, rec)), ESRCH);
	expect("INVENTORY number with a wrong size",
	       raw(h, _IOWR(REMOTEFD_IOC_MAGIC, 0x12, int), IV(0, 4, rec)), ENOTTY);
	expect("INVENTORY number with a wrong direction (_IOW)",
	       raw(h, _IOW(REMOTEFD_IOC_MAGIC, 0x12, struct remotefd_inventory), IV(0, 4, rec)), ENOTTY);
	r = raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(INT_MAX, 4, rec));
	check(r == 0 && v.returned == 0 && v.next_fd == -1,
	      "%s INVENTORY start_fd INT_MAX: %s, returned %u, next_fd %d (want 0, -1)",
	      label, rn(r), v.returned, v.next_fd);
	r = raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, IV(100000, 4, rec));
	check(r == 0 && v.returned == 0 && v.next_fd == -1,
	      "%s INVENTORY start_fd 100000 (beyond the table): %s, returned %u, next_fd %d",
	      label, rn(r), v.returned, v.next_fd);
	{
		struct remotefd_fd_record *big = calloc(REMOTEFD_INVENTORY_MAX, sizeof(*big));

		(void)IV(0, REMOTEFD_INVENTORY_MAX, big);
		v.returned = 77777;
		v.next_fd = 12345;
		r = raw(h, REMOTEFD_HANDLE_IOC_INVENTORY, &v);
		check(r == 0 && v.returned >= 3 && v.returned < 100 && v.next_fd == -1,
		      "%s INVENTORY count %d (the limit), junk in the out fields: %s, returned %u, next_fd %d",
		      label, REMOTEFD_INVENTORY_MAX, rn(r), v.returned, v.next_fd);
		free(big);
	}
	check(fd_count() == mid, "%s malformed: no fd leaked by the requests (%d -> %d)",
	      label, mid, fd_count());

	close(h);
	close(dead_h);
	close(nul);
	close(memfd);
	if (proc >= 0)
		close(proc);
	close(tpidfd);
	close(kpidfd);
	close(zpidfd);
	close(gpidfd);
	close(opath);
	waitpid(zpid, NULL, 0);
	kill_tgt(&t);
	check(fd_count() == before, "%s malformed: fd count back to %d (%d)", label, before,
	      fd_count());
	return 0;
}

/* ======================================================================== */
/* stress                                                                   */
/* ======================================================================== */

#define CHURN_LO 3
#define CHURN_HI 80
#define CHURN_LIVE 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The churning target; re-execs itself every exec_ms, same pid. */
static int churn_target(int gen, int exec_ms, int ready)
{
	int live[CHURN_LIVE], k, big;
	char page[4096], s1[16], s2[16];
	double t0 = now_s();
	unsigned int seed = getpid() * 31 + gen;

	memset(page, 'c', sizeof(page));
	for (k = 0; k < CHURN_LIVE; k++)
		live[k] = -1;
	big = memfd_create("rfd-churn-big", MFD_CLOEXEC);
	if (big < 0 || ftruncate(big, 1 << 20))
		_exit(3);
	if (ready >= 0) {
		write(ready, "R", 1);
		close(ready);
	}
	while ((now_s() - t0) * 1000 < exec_ms) {
		k = rand_r(&seed) % CHURN_LIVE;
		if (live[k] >= 0) {
			close(live[k]);
			live[k] = -1;
		} else {
			live[k] = memfd_create("rfd-churn", MFD_CLOEXEC);
			if (live[k] >= 0)
				write(live[k], page, sizeof(page));
		}
	}
	snprintf(s1, sizeof(s1), "%d", gen + 1);
	snprintf(s2, sizeof(s2), "%d", exec_ms);
	execl("/proc/self/exe", "rfd-handle", "churn-target", s1, s2, (char *)NULL);
	_exit(4);
}

static pid_t stress_tpid;
static int stress_pidfd;
static long stress_iters;

struct sres {
	long ops, ok, ebadf, estale, eagain, attaches, other, wrong;
	int other_errno;
	const char *other_what;
};

static pthread_mutex_t wrong_mu = PTHREAD_MUTEX_INITIALIZER;
static char wrong_log[8][200];
static int n_wrong_log;

static void __attribute__((format(printf, 1, 2))) log_wrong(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&wrong_mu);
	if (n_wrong_log < 8) {
		va_start(ap, fmt);
		vsnprintf(wrong_log[n_wrong_log++], sizeof(wrong_log[0]), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&wrong_mu);
}

static void other(struct sres *s, const char *what, int r)
{
	s->other++;
	s->other_errno = -r;
	s->other_what = what;
}

static int is_churn_file(int fd, const char *what, int tfd)
{
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (n > 0 && !strncmp(link, "/memfd:rfd-churn", 16))
		return 1;
	log_wrong("%s of target fd %d gave '%s'", what, tfd, link);
	return 0;
}

static int s_attach(struct sres *s, long i)
{
	int h;

	for (int tries = 0;; tries++) {
		h = (i & 1) ? rfd_attach(dev, stress_pidfd, REMOTEFD_TARGET_PIDFD, O_CLOEXEC)
			    : rfd_attach(dev, stress_tpid, 0, O_CLOEXEC);
		s->attaches++;
		if (h >= 0)
			return h;
		if (h == -EAGAIN && tries < 100) {
			s->eagain++;
			continue;
		}
		other(s, "attach", h);
		return -1;
	}
}

static void *stress_worker(void *arg)
{
	struct sres *s = arg;
	struct remotefd_batch_entry e[64];
	struct remotefd_fd_record *rec = calloc(64, sizeof(*rec));
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	int h = -1;
	long i;

	for (i = 0; i < stress_iters; i++) {
		int r, k;
		unsigned int n;
		int next;

		s->ops++;
		if (h < 0 && (h = s_attach(s, i)) < 0)
			continue;
		switch (i % 4) {
		case 0: {	/* attach + close */
			int a = s_attach(s, i + 1);

			if (a >= 0) {
				s->ok++;
				close(a);
			}
			break;
		}
		case 1:		/* GETFD */
			k = CHURN_LO + rand_r(&seed) % (CHURN_HI - CHURN_LO);
			r = h_getfd(h, k, O_CLOEXEC);
			if (r >= 0) {
				s->ok++;
				if ((i & 63) == 1 && !is_churn_file(r, "GETFD", k))
					s->wrong++;
				close(r);
			} else if (r == -EBADF) {
				s->ebadf++;
			} else if (r == -ESTALE) {
				s->estale++;
				close(h);
				h = -1;
			} else if (r == -EAGAIN) {
				s->eagain++;
			} else {
				other(s, "GETFD", r);
			}
			break;
		case 2:		/* GETFDS of 64 */
			for (k = 0; k < 64; k++) {
				e[k].fd = CHURN_LO + k;
				e[k].result = -99;
			}
			r = h_getfds(h, e, 64, O_CLOEXEC);
			if (r == 0) {
				s->ok++;
				for (k = 0; k < 64; k++) {
					if (e[k].result >= 0) {
						if ((i & 63) == 2 && k < 4 &&
						    !is_churn_file(e[k].result, "GETFDS", e[k].fd))
							s->wrong++;
						close(e[k].result);
					} else if (e[k].result != -EBADF) {
						other(s, "GETFDS entry", e[k].result);
					}
				}
			} else if (r == -ESTALE) {
				s->estale++;
				close(h);
				h = -1;
			} else if (r == -EAGAIN) {
				s->eagain++;
			} else {
				other(s, "GETFDS", r);
			}
			break;
		case 3:		/* INVENTORY */
			r = h_inv(h, 0, rec, 64, &n, &next);
			if (r == 0) {
				int last = -1, bad = n > 64;

				s->ok++;
				for (k = 0; !bad && k < (int)n; k++) {
					if (rec[k].fd <= last) {
						bad = 1;
						log_wrong("INVENTORY record %d: fd %d after fd %d", k, rec[k].fd, last);
					}
					last = rec[k].fd;
					if (rec[k].fd >= CHURN_LO &&
					    strncmp(rec[k].name, "/memfd:rfd-churn", 16)) {
						bad = 1;
						log_wrong("INVENTORY record %d: fd %d name '%.100s' info %x mode %o",
							  k, rec[k].fd, rec[k].name, rec[k].info, rec[k].mode);
					}
				}
				if (n > 64 || (next != -1 && next <= last)) {
					bad = 1;
					log_wrong("INVENTORY returned %u next_fd %d last %d", n, next, last);
				}
				s->wrong += bad;
			} else if (r == -ESTALE) {
				s->estale++;
				close(h);
				h = -1;
			} else if (r == -EAGAIN) {
				s->eagain++;
			} else {
				other(s, "INVENTORY", r);
			}
			break;
		}
	}
	if (h >= 0)
		close(h);
	free(rec);
	return NULL;
}

struct slab {
	const char *name, *alt;	/* alt: the name on other kernels */
	long active, per_slab;
	int sysfs;	/* merged: counted through /sys/kernel/slab/NAME */
};

static long sysfs_slab(const char *name, const char *file)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", name, file);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * Active objects of the named caches; returns 0 if /proc/slabinfo is
 * unusable.  SLUB counts the objects of per-cpu slabs and per-cpu partial
 * lists as active: /sys/kernel/slab/NAME/shrink flushes them first, so that
 * the counts are the objects really allocated.
 */
static int read_slabs(struct slab *s, int n)
{
	char line[512], name[128];
	long act, num, size, per;
	FILE *f;
	int i, any = 0;

	for (i = 0; i < n; i++) {
		const char *nm[2] = { s[i].name, s[i].alt };

		for (int j = 0; j < 2; j++) {
			char path[128];
			int fd;

			if (!nm[j])
				continue;
			snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", nm[j]);
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				write(fd, "1", 1);
				close(fd);
			}
		}
	}
	f = fopen("/proc/slabinfo", "r");
	for (i = 0; i < n; i++)
		s[i].active = -1;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %ld %ld %ld %ld", name, &act, &num, &size, &per) != 5)
			continue;
		any = 1;
		for (i = 0; i < n; i++)
			if (!strcmp(name, s[i].name) || (s[i].alt && !strcmp(name, s[i].alt))) {
				s[i].active = act;
				s[i].per_slab = per;
				if (strcmp(name, s[i].name))
					s[i].name = s[i].alt;
			}
	}
	fclose(f);
	/*
	 * A cache merged into another (SLUB) is listed under that one's name
	 * only; /sys/kernel/slab/NAME links to it and its "objects" file counts
	 * as slabinfo's active_objs does (all its users' objects).
	 */
	for (i = 0; any && i < n; i++)
		if (s[i].active < 0) {
			if (s[i].alt && sysfs_slab(s[i].name, "objects") < 0)
				s[i].name = s[i].alt;
			s[i].active = sysfs_slab(s[i].name, "objects");
			s[i].per_slab = sysfs_slab(s[i].name, "objs_per_slab");
			s[i].sysfs = s[i].active >= 0;
		}
	return any;
}

#define NSLAB 4

/* allocated struct files (first field of /proc/sys/fs/file-nr) */
static long file_nr(void)
{
	FILE *f = fopen("/proc/sys/fs/file-nr", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* One run: a churning target, THREADS workers x ITERS operations, target killed. */
static void stress_run(int nthreads, long iters, struct sres *tot, int *execs, double *secs)
{
	struct sres res[16];
	pthread_t th[16];
	int i, p[2];
	double t0;
	char c, s2[16];

	stress_iters = iters;
	if (pipe(p))
		die("pipe");
	fflush(stdout);
	stress_tpid = fork();
	if (!stress_tpid) {
		close(p[0]);
		snprintf(s2, sizeof(s2), "%d", p[1]);
		execl("/proc/self/exe", "rfd-handle", "churn-target", "0", "150", s2, (char *)NULL);
		_exit(4);
	}
	close(p[1]);
	/* 'R', then EOF: the target closed its end (no pipe left in its table) */
	if (read(p[0], &c, 1) != 1 || read(p[0], &c, 1) != 0)
		die("churn target");
	close(p[0]);
	stress_pidfd = sys_pidfd_open(stress_tpid);

	memset(res, 0, sizeof(res));
	t0 = now_s();
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, stress_worker, &res[i]);
	memset(tot, 0, sizeof(*tot));
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		tot->ops += res[i].ops;
		tot->ok += res[i].ok;
		tot->ebadf += res[i].ebadf;
		tot->estale += res[i].estale;
		tot->eagain += res[i].eagain;
		tot->attaches += res[i].attaches;
		tot->wrong += res[i].wrong;
		tot->other += res[i].other;
		if (res[i].other) {
			tot->other_errno = res[i].other_errno;
			tot->other_what = res[i].other_what;
		}
	}
	*secs = now_s() - t0;
	{
		/* generations: the target's argv[2] ("rfd-handle\0churn-target\0GEN\0...") */
		char path[64], buf[256];
		int fd, n;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", stress_tpid);
		*execs = -1;
		/* empty while the target is in the middle of an exec: retry */
		for (int k = 0; k < 100 && *execs < 0; k++) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
			if (fd >= 0)
				close(fd);
			if (n > 0) {
				char *a1, *a2;

				buf[n] = 0;
				a1 = buf + strlen(buf) + 1;
				a2 = a1 < buf + n ? a1 + strlen(a1) + 1 : NULL;
				if (a2 && a2 < buf + n)
					*execs = atoi(a2);
			}
			if (*execs < 0)
				usleep(10000);
		}
	}
	kill(stress_tpid, SIGKILL);
	waitpid(stress_tpid, NULL, 0);
	close(stress_pidfd);
}

static int stress_main(int nthreads, long iters)
{
	/* cred_jar is KMEM_CACHE(cred) since 6.8: "cred" */
	struct slab base[NSLAB] = { { "filp" }, { "task_struct" }, { "cred_jar", "cred" }, { "mm_struct" } };
	struct slab after[NSLAB] = { { "filp" }, { "task_struct" }, { "cred_jar", "cred" }, { "mm_struct" } };
	struct sres tot;
	int i, fds0, have_slab, execs, ok;
	long shm0, shm1 = -1, slabkb0, slabkb1 = -1, tol[NSLAB], files0, files1 = -1;
	long warm = iters / 10 > 500 ? iters / 10 : 500;
	double secs;

	if (nthreads < 1 || nthreads > 16)
		return 2;
	/*
	 * Warm-up: the same workload at a tenth of the size, so that the slab
	 * caches (some merged with other users' caches) and per-cpu lists reach
	 * their working sizes before the baseline; a leak grows with the
	 * operations of the main run, 10x those of the warm-up.
	 */
	stress_run(nthreads, warm, &tot, &execs, &secs);
	printf("# %s warm-up: %d threads x %ld operations in %.1f s, other %ld, wrong %ld\n",
	       label, nthreads, warm, secs, tot.other, tot.wrong);
	n_wrong_log = 0;
	usleep(500000);
	fds0 = fd_count();
	shm0 = shmem_kb();
	have_slab = read_slabs(base, NSLAB);
	slabkb0 = meminfo_kb("Slab");
	files0 = file_nr();

	stress_run(nthreads, iters, &tot, &execs, &secs);
	printf("# %s: %d threads x %ld operations in %.1f s (%.0f/s): ok %ld, EBADF %ld, ESTALE %ld (re-attached), EAGAIN %ld, attaches %ld, other %ld (%s %s), wrong %ld; the target exec'd %d times\n",
	       label, nthreads, iters, secs, tot.ops / secs, tot.ok, tot.ebadf,
	       tot.estale, tot.eagain, tot.attaches, tot.other,
	       tot.other ? tot.other_what : "-",
	       tot.other ? strerrorname_np(tot.other_errno) : "-", tot.wrong, execs);
	for (i = 0; i < n_wrong_log; i++)
		printf("# %s wrong: %s\n", label, wrong_log[i]);
	check(tot.other == 0 && tot.wrong == 0 && tot.ops == nthreads * iters &&
	      tot.ok >= tot.ops / 4 && tot.estale > 0 && execs > 2,
	      "%s %d threads x %ld operations (attach+close, GETFD, GETFDS of 64, INVENTORY) against a churning, re-exec'ing target: only OK/EBADF/ESTALE/EAGAIN, never a wrong file, ESTALE seen",
	      label, nthreads, iters);

	/* memory back to baseline: deferred fput, RCU-freed tasks and creds */
	for (i = 0; i < 100; i++) {
		int k, near = 1;

		shm1 = shmem_kb();
		slabkb1 = meminfo_kb("Slab");
		files1 = file_nr();
		if (files1 > files0 + 64)
			near = 0;
		read_slabs(after, NSLAB);
		for (k = 0; k < NSLAB; k++) {
			tol[k] = base[k].per_slab * 4 > 64 ? base[k].per_slab * 4 : 64;
			if (base[k].active >= 0 && after[k].active - base[k].active > tol[k])
				near = 0;
		}
		if (near && shm1 <= shm0 + 512 && (have_slab || slabkb1 <= slabkb0 + 2048))
			break;
		usleep(100000);
	}
	check(files1 <= files0 + 64,
	      "%s struct files allocated (/proc/sys/fs/file-nr, a batched percpu counter): baseline %ld, after %ld (tolerance +64)",
	      label, files0, files1);
	check(shm1 <= shm0 + 512,
	      "%s memory: Shmem baseline %ld kB, after %ld kB (tolerance 512 kB; the target held 1 MiB + up to 64 x 4 KiB)",
	      label, shm0, shm1);
	if (!have_slab) {
		printf("SKIP %s slabs: /proc/slabinfo absent or empty: using /proc/meminfo Slab\n", label);
		check(slabkb1 <= slabkb0 + 2048,
		      "%s memory: Slab baseline %ld kB, after %ld kB (tolerance 2048 kB)",
		      label, slabkb0, slabkb1);
	} else {
		for (i = 0; i < NSLAB; i++) {
			if (base[i].active < 0) {
				printf("SKIP %s slab %s: neither in /proc/slabinfo nor in /sys/kernel/slab\n",
				       label, base[i].name);
				continue;
			}
			ok = after[i].active - base[i].active <= tol[i];
			check(ok, "%s slab %s: active objects baseline %ld, after %ld (caches shrunk before each reading; tolerance +%ld: 4 slabs of %ld, at least 64)%s",
			      label, base[i].name, base[i].active, after[i].active, tol[i],
			      base[i].per_slab,
			      base[i].sysfs ? " [merged cache: not in /proc/slabinfo under its name, counted through /sys/kernel/slab]" : "");
		}
	}
	check(fd_count() == fds0, "%s no fd leaked in the stressing process (%d -> %d)", label,
	      fds0, fd_count());
	return 0;
}

/* ======================================================================== */

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "exec-target") && argc > 4) {
		int ack = atoi(argv[3]);
		char a = 'K';

		if (write(ack, &a, 1) != 1)
			_exit(1);
		tgt_serve(atoi(argv[2]), ack, atoi(argv[4]));
	}
	if (!strcmp(cmd, "churn-target") && argc > 3)
		return churn_target(atoi(argv[2]), atoi(argv[3]), argc > 4 ? atoi(argv[4]) : -1);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2)
		label = argv[2];
	signal(SIGPIPE, SIG_IGN);
	dev = open_dev();
	if (!strcmp(cmd, "func"))
		func_main();
	else if (!strcmp(cmd, "matrix") && argc > 3)
		return matrix_main(atoi(argv[3])) ? 1 : 0;
	else if (!strcmp(cmd, "security"))
		security_main();
	else if (!strcmp(cmd, "pidreuse"))	/* development: the pid-reuse case N times */
		for (int k = argc > 3 ? atoi(argv[3]) : 1; k > 0; k--)
			sec_pidreuse();
	else if (!strcmp(cmd, "malformed"))
		malformed_main();
	else if (!strcmp(cmd, "stress"))
		stress_main(argc > 3 ? atoi(argv[3]) : 4, argc > 4 ? atol(argv[4]) : 50000);
	else {
		fprintf(stderr, "usage: rfd-handle func|matrix|security|malformed|stress LABEL [...]\n");
		return 2;
	}
	printf("# %s: %d passed, %d failed (this process; failures in test processes: %d)\n",
	       label, n_pass, n_fail, child_fails);
	return n_fail || child_fails ? 1 : 0;
}
