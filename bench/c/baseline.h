/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the C baselines share: the syscalls `adopt` makes, with the numbers
 * older libc headers lack (x86_64).
 */
#ifndef BENCH_BASELINE_H
#define BENCH_BASELINE_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif

static inline int pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
static inline int pidfd_getfd(int pidfd, int fd) { return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0); }

#endif
