// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: pending and blocked signals. SIGUSR1 and SIGRTMIN+1 are blocked;
 * SIGUSR1 is queued once (si_value 0x5eed) and SIGRTMIN+1 twice (values 1
 * and 2) before the injection. Afterwards the same signals must be pending
 * with the same siginfo, in the same order, and nothing else.
 */
#include "victim.h"

static void take(int sig, int val)
{
	struct timespec zero = {0, 0};
	siginfo_t si;
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, sig);
	r = sigtimedwait(&set, &si, &zero);
	if (r != sig) {
		vic_fail("signal %d (value %d) no longer pending", sig, val);
		return;
	}
	if (si.si_code != SI_QUEUE || si.si_pid != getpid() ||
	    si.si_value.sival_int != val)
		vic_fail("signal %d: code %d pid %d value %#x, want %d %d %#x",
			 sig, si.si_code, (int)si.si_pid, si.si_value.sival_int,
			 SI_QUEUE, (int)getpid(), val);
}

int main(void)
{
	union sigval v;
	sigset_t set, p;
	int rt = SIGRTMIN + 1, s;

	vic_init();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, rt);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigprocmask(SIG_BLOCK, NULL, &vic_mask0);
	v.sival_int = 0x5eed;
	sigqueue(getpid(), SIGUSR1, v);
	v.sival_int = 1;
	sigqueue(getpid(), rt, v);
	v.sival_int = 2;
	sigqueue(getpid(), rt, v);
	vic_ready();
	vic_wait_check();
	vic_check_signals();
	take(SIGUSR1, 0x5eed);
	take(rt, 1);
	take(rt, 2);
	sigpending(&p);
	for (s = 1; s < NSIG; s++)
		if (sigismember(&p, s))
			vic_fail("signal %d still pending after taking all", s);
	return vic_exit();
}
