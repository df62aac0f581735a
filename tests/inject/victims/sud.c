// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: Syscall User Dispatch on, selector at BLOCK. Syscalls from the
 * victim's own executable are allowed (the SUD region); any other one
 * (libc, the vDSO the engine uses) raises SIGSYS, counted by a handler.
 * It blocks in read() of the check pipe with the selector at BLOCK. The
 * injected syscalls must run without calling the handler, and after the
 * spy detached dispatch must still work: a libc syscall must raise SIGSYS.
 */
#include <sys/prctl.h>
#include "victim.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef PR_SYS_DISPATCH_ON
#define PR_SYS_DISPATCH_ON 1
#endif
#define SEL_ALLOW 0
#define SEL_BLOCK 1

extern char __executable_start[], etext[];

#ifdef SUD_EXEMPT_GADGETS
/* In .text, so inside [__executable_start, etext): never dispatched. */
asm(".text\n"
    "vic_sud_syscall_ret:\n\tsyscall\n\tret\n"
    "vic_sud_restorer:\n\tmov $15, %rax\n\tsyscall\n\tud2\n");
#endif

static volatile char selector = SEL_ALLOW;
static volatile int sigsys_calls, sigsys_nr;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	sigsys_calls++;
	sigsys_nr = si->si_syscall;
	selector = SEL_ALLOW; /* so that rt_sigreturn from libc runs */
}

int main(void)
{
	struct sigaction sa;
	unsigned long start = (unsigned long)__executable_start;
	unsigned long len = (unsigned long)etext - start;

	vic_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, start, len,
		  &selector)) {
		vic_fail("PR_SET_SYSCALL_USER_DISPATCH: %s", strerror(errno));
		return 1;
	}
	vic_ready();
	selector = SEL_BLOCK;
	vic_wait_check(); /* a syscall from the executable: allowed */
	if (selector != SEL_BLOCK || sigsys_calls)
		vic_fail("SIGSYS handler called %d times (nr %d) before the "
			 "check: an injected syscall was dispatched",
			 sigsys_calls, sigsys_nr);
	selector = SEL_BLOCK;
	sigsys_calls = 0;
	syscall(SYS_getppid); /* from libc: must be dispatched */
	if (sigsys_calls != 1 || sigsys_nr != SYS_getppid)
		vic_fail("after detach a libc getppid gave %d SIGSYS (nr %d), "
			 "want 1 (%d): dispatch not re-armed",
			 sigsys_calls, sigsys_nr, SYS_getppid);
	selector = SEL_ALLOW;
	vic_check_signals();
	return vic_exit();
}
