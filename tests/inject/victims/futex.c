// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: in futex(FUTEX_WAIT) on vshm.futex (a shared futex, so the spy
 * can wake it). The injection must not wake it: the wait returns 0 only
 * after the spy has set the word to 1 and called FUTEX_WAKE (which the spy
 * checks woke exactly one waiter).
 */
#include <linux/futex.h>
#include "victim.h"

int main(void)
{
	struct vsys s;
	long r;

	vic_init();
	vic_ready();
	r = vsys(&s, SYS_futex, (unsigned long)&vic_shm->futex, FUTEX_WAIT, 0,
		 0);
	vsys_verify(&s, "futex");
	if (r)
		vic_fail("futex wait returned %ld, want 0 (woken)", r);
	else if (!vic_shm->futex)
		vic_fail("futex wait returned 0 but nobody set the word");
	vic_check_signals();
	vic_wait_check();
	return vic_exit();
}
