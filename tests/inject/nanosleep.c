// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: injects into a victim 0.3 s into nanosleep(1 s) and holds it for
 * 0.1 s more; the victim checks its sleep still ends at 1.0 s.
 */
#include "spy.h"

static void after(struct spy *s)
{
	/* the sleep goes on after the release */
	spy_wait_blocked(s, SYS_nanosleep, SYS_restart_syscall, 1, 500);
}

int main(void)
{
	spy_hold_ms = 100;
	return spy_simple("nanosleep", SYS_nanosleep, SYS_clock_nanosleep, 300,
			  CRYO_THREAD_SYSCALL, after);
}
