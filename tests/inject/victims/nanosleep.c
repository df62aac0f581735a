// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: in nanosleep(1 s). The spy injects at about 0.3 s; the sleep
 * must still end at 1.0 s (not 1.3 s: restarted with the whole time; not
 * early: cut short), return 0, and leave every register as it was.
 */
#include "victim.h"

#define SLEEP 1.0
#define SLACK 0.2 /* scheduling; a restart from scratch costs >= 0.3 s */

int main(void)
{
	struct timespec ts = {1, 0}, rem = {0, 0};
	struct vsys s;
	double t0, dt;
	long r;

	vic_init();
	vic_ready();
	t0 = vic_now();
	r = vsys(&s, SYS_nanosleep, (unsigned long)&ts, (unsigned long)&rem, 0,
		 0);
	dt = vic_now() - t0;
	vsys_verify(&s, "nanosleep");
	if (r)
		vic_fail("nanosleep returned %ld (remaining %ld.%09ld)", r,
			 (long)rem.tv_sec, rem.tv_nsec);
	if (dt < SLEEP)
		vic_fail("nanosleep(%.1f s) ended early, after %.3f s", SLEEP,
			 dt);
	if (dt > SLEEP + SLACK)
		vic_fail("nanosleep(%.1f s) took %.3f s (restarted?)", SLEEP,
			 dt);
	vic_check_signals();
	vic_wait_check();
	if (!vic_fails)
		fprintf(stderr, "victim: nanosleep(1 s) took %.3f s\n", dt);
	return vic_exit();
}
