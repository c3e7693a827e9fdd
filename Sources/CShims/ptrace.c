// SPDX-License-Identifier: Apache-2.0
/* ptrace(2) (variadic, its requests an enum) and waitpid status decoding. */
#define _GNU_SOURCE
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "CShims.h"

long rfd_ptrace(int request, pid_t pid, unsigned long addr, unsigned long data)
{
	return ptrace((enum __ptrace_request)request, pid, (void *)addr, (void *)data);
}

int rfd_ptrace_seize(void) { return PTRACE_SEIZE; }
int rfd_ptrace_cont(void) { return PTRACE_CONT; }
int rfd_ptrace_detach(void) { return PTRACE_DETACH; }
int rfd_ptrace_listen(void) { return PTRACE_LISTEN; }
int rfd_ptrace_geteventmsg(void) { return PTRACE_GETEVENTMSG; }
unsigned long rfd_ptrace_o_traceexit(void) { return PTRACE_O_TRACEEXIT; }
int rfd_ptrace_event_exit(void) { return PTRACE_EVENT_EXIT; }
int rfd_ptrace_event_stop(void) { return PTRACE_EVENT_STOP; }

pid_t rfd_waitpid_all(pid_t pid, int *status) { return waitpid(pid, status, __WALL); }

int rfd_wifexited(int status) { return WIFEXITED(status); }
int rfd_wexitstatus(int status) { return WEXITSTATUS(status); }
int rfd_wifsignaled(int status) { return WIFSIGNALED(status); }
int rfd_wtermsig(int status) { return WTERMSIG(status); }
int rfd_wifstopped(int status) { return WIFSTOPPED(status); }
int rfd_wstopsig(int status) { return WSTOPSIG(status); }
int rfd_wptrace_event(int status) { return (status >> 16) & 0xff; }
