// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: injects into a victim blocked in read() on a pipe; after release
 * it must still be blocked there, and it gets the data written now.
 */
#include "spy.h"

static void after(struct spy *s)
{
	/* still (or again) blocked in the same read */
	if (spy_wait_blocked(s, SYS_read, SYS_read, 1, 2000) < 0)
		return;
	if (write(s->data_wr, VDATA, strlen(VDATA)) != (ssize_t)strlen(VDATA))
		spy_fail(s, "write data: %s", strerror(errno));
}

int main(void)
{
	return spy_simple("pipe_read", SYS_read, SYS_read, 0,
			  CRYO_THREAD_SYSCALL, after);
}
