// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: injects into a victim with Syscall User Dispatch on and its
 * selector at BLOCK; the injected syscalls must run (the standard set
 * checks their results) without raising SIGSYS in the victim, and the
 * victim checks that dispatch still works after the release.
 */
#include "spy.h"

int main(void)
{
	const struct cryo_inject_thread *t;
	struct spy s;

	if (spy_start(&s, "sud") || spy_wait_ready(&s, 5000) ||
	    spy_wait_blocked(&s, SYS_read, SYS_read, 1, 5000) < 0 ||
	    spy_seize(&s))
		return spy_abort(&s);
	t = cryo_inject_thread(s.v, 0);
	if (t && t->sud_mode != 1)
		spy_fail(&s, "sud_mode %llu, want 1 (PR_SYS_DISPATCH_ON)",
			 (unsigned long long)t->sud_mode);
	spy_expect_thread(&s, 0, CRYO_THREAD_SYSCALL, SYS_read);
	spy_inject_all(&s, getpid());
	spy_release(&s);
	return spy_finish(&s, 10000);
}
