// SPDX-License-Identifier: Apache-2.0
/*
 * sysv-producer: a System V shared memory segment, as X11's MIT-SHM and
 * older databases use them: shmget + shmat, then writes through the
 * attachment. The segment is held by a mapping only (no fd), which
 * `adopt list PID` shows as a "sysv" row held "map", `adopt PID --map ADDR`
 * adopts, and `adopt sysv SHMID` takes by id.
 *
 *   sysv-producer [--size BYTES] [--key KEY] [--mode OCTAL] [--interval MS] [--rmid]
 *
 * Prints "pid PID shmid ID addr ADDR size SIZE", then "ready"; writes
 * "Hello, System V! [n]" at offset 0 every interval. Byte i starts as
 * (7i + 3) mod 256 (then offset 0 is overwritten). --key names the segment
 * (default IPC_PRIVATE); --mode sets its permissions (default 600). With
 * --rmid the segment is marked for destruction at once (IPC_RMID): it goes
 * when the last attachment does, so it outlives this process only if
 * someone (a keeper, `adopt watch`) attached it. Without --rmid it is
 * removed at a clean exit (SIGTERM/SIGINT) and stays after SIGKILL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	size_t size = 1 << 20;
	key_t key = IPC_PRIVATE;
	int mode = 0600, interval_ms = 200, rmid = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = (key_t)strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			mode = (int)strtol(argv[++i], NULL, 8);
		else if (!strcmp(argv[i], "--interval") && i + 1 < argc)
			interval_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rmid"))
			rmid = 1;
		else {
			fprintf(stderr, "usage: sysv-producer [--size BYTES] [--key KEY] [--mode OCTAL] [--interval MS] [--rmid]\n");
			return 2;
		}
	}
	int id = shmget(key, size, IPC_CREAT | IPC_EXCL | mode);
	if (id < 0) {
		fprintf(stderr, "sysv-producer: shmget: %s\n", strerror(errno));
		return 1;
	}
	unsigned char *p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		fprintf(stderr, "sysv-producer: shmat: %s\n", strerror(errno));
		shmctl(id, IPC_RMID, NULL);
		return 1;
	}
	if (rmid)
		shmctl(id, IPC_RMID, NULL);
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)((7 * i + 3) % 256);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("pid %d shmid %d addr %p size %zu\n", getpid(), id, (void *)p, size);
	printf("ready\n");
	fflush(stdout);
	for (unsigned long n = 0; !stop; n++) {
		snprintf((char *)p, size < 64 ? size : 64, "Hello, System V! [%lu]", n);
		usleep(interval_ms * 1000);
	}
	shmdt(p);
	if (!rmid)
		shmctl(id, IPC_RMID, NULL);
	return 0;
}
