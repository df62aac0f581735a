// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: injects into a victim in futex wait; after release it must still
 * wait (FUTEX_WAKE from here wakes exactly one waiter) and be woken.
 */
#include "spy.h"

static void after(struct spy *s)
{
	long n;

	if (spy_wait_blocked(s, SYS_futex, SYS_futex, 1, 2000) < 0)
		return;
	s->shm->futex = 1;
	n = syscall(SYS_futex, &s->shm->futex, FUTEX_WAKE, 1, NULL, NULL, 0);
	if (n != 1)
		spy_fail(s,
			 "FUTEX_WAKE woke %ld waiters, want 1 (the victim "
			 "no longer waited)",
			 n);
}

int main(void)
{
	return spy_simple("futex", SYS_futex, SYS_futex, 0, CRYO_THREAD_SYSCALL,
			  after);
}
