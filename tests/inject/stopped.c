// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: SIGSTOPs a victim blocked in read(), injects while it is stopped,
 * and checks it stays stopped (state T) after release; then writes the
 * check byte and sends SIGCONT, and the victim verifies itself.
 */
#include "spy.h"

int main(void)
{
	struct spy s;
	double end;

	if (spy_start(&s, "stopped") || spy_wait_ready(&s, 5000) ||
	    spy_wait_blocked(&s, SYS_read, SYS_read, 1, 5000) < 0)
		return spy_abort(&s);
	kill(s.pid, SIGSTOP);
	if (spy_wait_state(&s, 'T', 5000) || spy_seize(&s))
		return spy_abort(&s);
	spy_expect_thread(&s, 0, CRYO_THREAD_STOPPED, -2);
	spy_inject_all(&s, getpid());
	spy_release(&s);
	/*
	 * It must stay stopped. A detach wakes a stopped tracee so that it
	 * stops again (state R for a moment): wait for T, then watch it for
	 * 300 ms. Resumed, it would sit in read() again (state S).
	 */
	if (!spy_wait_state(&s, 'T', 1000))
		for (end = spy_now() + 0.3; spy_now() < end; spy_msleep(5))
			if (spy_task_state(s.pid, s.pid) != 'T') {
				spy_fail(&s,
					 "victim in state %c after "
					 "release, not stopped (T)",
					 spy_task_state(s.pid, s.pid));
				break;
			}
	if (write(s.check_wr, "C", 1) != 1)
		spy_fail(&s, "write: %s", strerror(errno));
	kill(s.pid, SIGCONT);
	return spy_finish(&s, 10000);
}
