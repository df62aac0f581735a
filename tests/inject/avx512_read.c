// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: the AVX-512 victim blocked in a raw read() (VICTIM_MODE=read) with
 * zmm0-31, k0-7, MXCSR and the x87 control word loaded: after the
 * injection the read restarts, returns the data written now, and the
 * vector state is intact.
 */
#include "spy.h"

static void after(struct spy *s)
{
	if (spy_wait_blocked(s, SYS_read, SYS_read, 1, 2000) > 0 &&
	    write(s->data_wr, VDATA, strlen(VDATA)) < 0)
		spy_fail(s, "write: %s", strerror(errno));
}

int main(void)
{
	setenv("VICTIM_MODE", "read", 1);
	return spy_simple("avx512", SYS_read, SYS_read, 0, CRYO_THREAD_SYSCALL,
			  after);
}
