// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: a seccomp filter that kills the process (RET_KILL_PROCESS) on
 * mmap, munmap and getpid, exactly the syscalls the spy injects. The
 * victim must survive the injection, and the filter must still kill after
 * the spy detached: a child forked after the check calls getpid and must
 * die of SIGSYS.
 */
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "victim.h"

#ifndef AUDIT_ARCH_X86_64
#define AUDIT_ARCH_X86_64 0xc000003eU
#endif

static int install(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

int main(void)
{
	int status = 0;
	pid_t c;

	vic_init();
	if (install()) {
		vic_fail("installing the filter: %s", strerror(errno));
		return 1;
	}
	vic_ready();
	vic_wait_check();
	vic_check_signals();
	c = fork();
	if (c == 0) {
		syscall(SYS_getpid);
		_exit(0); /* the filter no longer kills */
	}
	if (c < 0 || waitpid(c, &status, 0) != c)
		vic_fail("fork/waitpid: %s", strerror(errno));
	else if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
		vic_fail("child calling getpid: status %#x, want death by "
			 "SIGSYS (filter gone after detach?)",
			 status);
	/* no exit handlers: ASan's call getpid, which kills */
	fflush(NULL);
	_exit(vic_exit());
}
