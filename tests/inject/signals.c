// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: injects into a victim with blocked SIGUSR1 and SIGRTMIN+1 pending
 * (queued with values); the engine must report them blocked, and the
 * victim checks they are still pending with the same siginfo.
 */
#include "spy.h"

int main(void)
{
	const struct cryo_inject_thread *t;
	uint64_t want = 1ULL << (SIGUSR1 - 1) | 1ULL << (SIGRTMIN + 1 - 1);
	struct spy s;

	if (spy_start(&s, "signals") || spy_wait_ready(&s, 5000) ||
	    spy_wait_blocked(&s, SYS_read, SYS_read, 1, 5000) < 0 ||
	    spy_seize(&s))
		return spy_abort(&s);
	t = cryo_inject_thread(s.v, 0);
	if (t && (t->sigmask & want) != want)
		spy_fail(&s, "sigmask %#llx lacks %#llx",
			 (unsigned long long)t->sigmask,
			 (unsigned long long)want);
	spy_expect_thread(&s, 0, CRYO_THREAD_SYSCALL, SYS_read);
	spy_inject_all(&s, getpid());
	spy_release(&s);
	return spy_finish(&s, 10000);
}
