/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every kind of file a process can hold, and the mappings that matter to
 * GETMAP (issue 19's file-kind matrix): made by rfd-kinds (the matrix) and
 * by rfd-fuzz (so that random requests meet them too).
 */
#ifndef RFD_KINDS_H
#define RFD_KINDS_H

#include <linux/dma-heap.h>
#include <linux/io_uring.h>
#include <linux/udmabuf.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>

#include <libdrm/drm.h>

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

/* ---- the kinds a target holds --------------------------------------------- */

enum {
	K_MEMFD, K_SHM, K_VGEM, K_UDMABUF, K_HEAP, K_PIPE, K_SOCK, K_EVENTFD,
	K_SIGNALFD, K_TIMERFD, K_PIDFD, K_EPOLL, K_IOURING, K_RFDDEV,
	K_HANDLE, K_DIR, K_SYMLINK, K_PROCFS, K_SYSFS, K_DEVNODE, N_K
};
/* A target's fds: [kind][0] plain, [kind][1] its O_PATH reopen; -1 absent. */
struct kind_fds {
	int fd[N_K][2];
};

static inline int vgem_card(void)
{
	char name[16], path[64];
	struct drm_version v;
	int i, fd;

	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -1;
}

static inline int vgem_dmabuf(size_t *size)
{
	struct drm_mode_create_dumb d = { .height = 64, .width = 64, .bpp = 32 };
	struct drm_prime_handle p = { 0 };
	int card = vgem_card();

	if (card < 0)
		return -1;
	if (ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &d)) {
		close(card);
		return -1;
	}
	p.handle = d.handle;
	p.flags = DRM_CLOEXEC | DRM_RDWR;
	if (ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
		p.fd = -1;
	close(card);
	*size = d.size;
	return p.fd;
}

static inline int udmabuf_dmabuf(size_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), fd;

	if (dev < 0)
		return -1;
	c.memfd = memfd_create("rfd-kinds-udmabuf", MFD_ALLOW_SEALING);
	if (c.memfd < 0 || ftruncate(c.memfd, size) ||
	    fcntl(c.memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		close(dev);
		return -1;
	}
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	close(c.memfd);
	close(dev);
	return fd;
}

static inline int heap_dmabuf(size_t size)
{
	struct dma_heap_allocation_data a = { .len = size, .fd_flags = O_RDWR | O_CLOEXEC };
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

	if (heap < 0)
		return -1;
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a))
		a.fd = -1;
	close(heap);
	return a.fd;
}

static inline int open_path(int fd)
{
	char p[64];

	if (fd < 0)
		return -1;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return open(p, O_PATH | O_CLOEXEC);
}

/* In the target: make every kind, tell the caller the numbers, wait. */
static inline void make_kinds(struct kind_fds *k)
{
	struct io_uring_params up;
	size_t size = 65536;
	sigset_t ss;
	int p[2], s[2], i, dev;
	char shm[64];

	for (i = 0; i < N_K; i++)
		k->fd[i][0] = k->fd[i][1] = -1;
	k->fd[K_MEMFD][0] = memfd_create("rfd-kinds", MFD_ALLOW_SEALING);
	ftruncate(k->fd[K_MEMFD][0], 8192);
	fcntl(k->fd[K_MEMFD][0], F_ADD_SEALS, F_SEAL_GROW);
	snprintf(shm, sizeof(shm), "/dev/shm/rfd-kinds-%d", getpid());
	k->fd[K_SHM][0] = open(shm, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ftruncate(k->fd[K_SHM][0], 4096);
	unlink(shm);
	k->fd[K_VGEM][0] = vgem_dmabuf(&size);
	k->fd[K_UDMABUF][0] = udmabuf_dmabuf(65536);
	k->fd[K_HEAP][0] = heap_dmabuf(65536);
	if (!pipe(p)) {
		k->fd[K_PIPE][0] = p[0];
		close(p[1]);
	}
	if (!socketpair(AF_UNIX, SOCK_STREAM, 0, s)) {
		k->fd[K_SOCK][0] = s[0];
		close(s[1]);
	}
	k->fd[K_EVENTFD][0] = eventfd(0, EFD_NONBLOCK);
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR2);
	k->fd[K_SIGNALFD][0] = signalfd(-1, &ss, 0);
	k->fd[K_TIMERFD][0] = timerfd_create(CLOCK_MONOTONIC, 0);
	k->fd[K_PIDFD][0] = sys_pidfd_open(getpid());
	k->fd[K_EPOLL][0] = epoll_create1(0);
	memset(&up, 0, sizeof(up));
	k->fd[K_IOURING][0] = (int)syscall(SYS_io_uring_setup, 4, &up);
	dev = open("/dev/remotefd", O_RDWR);
	k->fd[K_RFDDEV][0] = dev;
	k->fd[K_HANDLE][0] = rfd_attach(dev, getppid(), 0, O_CLOEXEC);
	k->fd[K_DIR][0] = open("/", O_RDONLY | O_DIRECTORY);
	unlink("/tmp/rfd-kinds-link");
	symlink("/etc", "/tmp/rfd-kinds-link");
	k->fd[K_SYMLINK][0] = open("/tmp/rfd-kinds-link", O_PATH | O_NOFOLLOW);
	k->fd[K_PROCFS][0] = open("/proc/self/status", O_RDONLY);
	k->fd[K_SYSFS][0] = open("/sys/module/remotefd/initstate", O_RDONLY);
	k->fd[K_DEVNODE][0] = open("/dev/null", O_RDWR);
	for (i = 0; i < N_K; i++) {
		if (k->fd[i][0] < 0)
			k->fd[i][0] = -1;
		if (i != K_SYMLINK)
			k->fd[i][1] = open_path(k->fd[i][0]);
	}
}


#define KMAP_STRIDE	(1UL << 21)
enum { KM_MEMFD, KM_SHANON, KM_SYSV, KM_VGEM, KM_SHM, N_KM };

/*
 * Maps a memfd, shared anonymous memory, a SysV segment, a vgem dma-buf and
 * a /dev/shm file at @base + i * KMAP_STRIDE (the fds closed: only the
 * mappings hold them).
 */
static inline void map_kinds(unsigned long base)
{
	int flags = MAP_SHARED | MAP_FIXED_NOREPLACE, fd, id;
	size_t vsize = 65536;
	char shm[64];

	fd = memfd_create("rfd-kinds-map", 0);
	if (fd >= 0 && !ftruncate(fd, 65536))
		mmap((void *)(base + KM_MEMFD * KMAP_STRIDE), 65536, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (fd >= 0)
		close(fd);
	mmap((void *)(base + KM_SHANON * KMAP_STRIDE), 65536, PROT_READ | PROT_WRITE,
	     flags | MAP_ANONYMOUS, -1, 0);
	id = shmget(IPC_PRIVATE, 65536, IPC_CREAT | 0600);
	if (id >= 0) {
		shmat(id, (void *)(base + KM_SYSV * KMAP_STRIDE), 0);
		shmctl(id, IPC_RMID, NULL);
	}
	fd = vgem_dmabuf(&vsize);
	if (fd >= 0) {
		mmap((void *)(base + KM_VGEM * KMAP_STRIDE), vsize, PROT_READ | PROT_WRITE, flags, fd, 0);
		close(fd);
	}
	snprintf(shm, sizeof(shm), "/dev/shm/rfd-kinds-map-%d", getpid());
	fd = open(shm, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		unlink(shm);
		if (!ftruncate(fd, 65536))
			mmap((void *)(base + KM_SHM * KMAP_STRIDE), 65536, PROT_READ | PROT_WRITE, flags, fd, 0);
		close(fd);
	}
}

#endif /* RFD_KINDS_H */
