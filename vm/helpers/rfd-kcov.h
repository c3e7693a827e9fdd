/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KCOV of the calling thread (Documentation/dev-tools/kcov.rst), for the
 * fuzzer's feedback.  The debug kernel instruments only the module
 * (KCOV_INSTRUMENT in kmod/Kbuild), and the ioctls run in the caller's
 * context, so the PCs a thread collects are the module code its own
 * requests ran.  Where /sys/kernel/debug/kcov is missing, cover stays NULL
 * and every call here does nothing.
 */
#ifndef RFD_KCOV_H
#define RFD_KCOV_H

#include <linux/kcov.h>

#define KCOV_WORDS	(64 << 10)

struct kcov {
	int fd;
	unsigned long *cover;	/* [0]: PCs recorded, then the PCs */
};

static inline void kcov_open(struct kcov *k)
{
	k->cover = NULL;
	k->fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	if (k->fd < 0)
		return;
	if (ioctl(k->fd, KCOV_INIT_TRACE, KCOV_WORDS))
		goto fail;
	k->cover = mmap(NULL, KCOV_WORDS * sizeof(unsigned long),
			PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, 0);
	if (k->cover == MAP_FAILED)
		goto fail;
	if (ioctl(k->fd, KCOV_ENABLE, KCOV_TRACE_PC)) {
		munmap(k->cover, KCOV_WORDS * sizeof(unsigned long));
		goto fail;
	}
	return;
fail:
	k->cover = NULL;
	close(k->fd);
	k->fd = -1;
}

static inline void kcov_close(struct kcov *k)
{
	if (!k->cover)
		return;
	ioctl(k->fd, KCOV_DISABLE, 0);
	munmap(k->cover, KCOV_WORDS * sizeof(unsigned long));
	close(k->fd);
	k->cover = NULL;
}

static inline void kcov_start(struct kcov *k)
{
	if (k->cover)
		__atomic_store_n(&k->cover[0], 0, __ATOMIC_RELAXED);
}

static inline unsigned int kcov_hash(unsigned long x, unsigned int size)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdUL;
	x ^= x >> 33;
	return (unsigned int)(x % size);
}

/*
 * Marks the edges (consecutive PC pairs) and PCs the last operation ran in
 * the shared maps; returns how many edges nobody had seen, and adds the new
 * ones to *edges and *pcs.
 */
static inline unsigned long kcov_new_edges(struct kcov *k, unsigned char *edge_seen,
					   unsigned int esize, unsigned char *pc_seen,
					   unsigned int psize, unsigned long *edges,
					   unsigned long *pcs)
{
	unsigned long n, i, prev = 0, fresh = 0, fresh_pcs = 0;

	if (!k->cover)
		return 0;
	n = __atomic_load_n(&k->cover[0], __ATOMIC_RELAXED);
	if (n > KCOV_WORDS - 1)
		n = KCOV_WORDS - 1;
	for (i = 0; i < n; i++) {
		unsigned long pc = k->cover[i + 1];

		if (!__atomic_exchange_n(&edge_seen[kcov_hash(pc ^ (prev << 1), esize)], 1,
					 __ATOMIC_RELAXED))
			fresh++;
		if (!__atomic_exchange_n(&pc_seen[kcov_hash(pc, psize)], 1, __ATOMIC_RELAXED))
			fresh_pcs++;
		prev = pc;
	}
	if (fresh)
		__atomic_fetch_add(edges, fresh, __ATOMIC_RELAXED);
	if (fresh_pcs)
		__atomic_fetch_add(pcs, fresh_pcs, __ATOMIC_RELAXED);
	return fresh;
}

#endif /* RFD_KCOV_H */
