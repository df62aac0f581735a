// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: SECCOMP_MODE_STRICT. After entering strict mode it may only
 * read, write and exit: it blocks in read() of the check pipe, which is
 * also its check channel. It must survive the injection (without
 * PTRACE_O_SUSPEND_SECCOMP the kernel would SIGKILL it) and verify its
 * registers with no other syscall; the spy checks "Seccomp: 1" after.
 */
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include "victim.h"

int main(void)
{
	vic_init();
	vic_ready();
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0)) {
		vic_fail("strict mode: %s", strerror(errno));
		return 1;
	}
	vic_wait_check();
	/* exit_group is not allowed: exit of the only thread */
	syscall(SYS_exit, vic_fails ? 1 : 0);
	return 1;
}
