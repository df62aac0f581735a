// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: a victim of 33 threads (main in read(), 8 spinning, 8 in read(),
 * 8 in nanosleep(1 s), 8 in futex wait). Seizes all of them 0.3 s into
 * the sleeps, runs gettid in each, and the victim verifies every thread.
 */
#include "spy.h"

int main(void)
{
	struct spy s;
	int n;

	if (spy_start(&s, "threads") || spy_wait_ready(&s, 5000) ||
	    spy_wait_blocked(&s, SYS_read, SYS_read, 9, 5000) < 0 ||
	    spy_wait_blocked(&s, SYS_futex, SYS_futex, 8, 5000) < 0 ||
	    spy_wait_blocked(&s, SYS_nanosleep, SYS_clock_nanosleep, 8, 5000) <
		    0)
		return spy_abort(&s);
	spy_msleep(300);
	if (spy_seize(&s))
		return spy_abort(&s);
	n = cryo_inject_nr_threads(s.v);
	if (n != 33)
		spy_fail(&s, "%d threads seized, want 33", n);
	spy_inject_all(&s, getpid());
	spy_release(&s);
	return spy_finish(&s, 10000);
}
