// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: injects into a victim in SECCOMP_MODE_STRICT; it must survive, and
 * still be in strict mode (Seccomp: 1) after release.
 */
#include "spy.h"

static void after(struct spy *s)
{
	char buf[4096], *p;

	if (spy_proc(s->pid, s->pid, "status", buf, sizeof(buf)) ||
	    !(p = strstr(buf, "Seccomp:")) || atoi(p + 8) != 1)
		spy_fail(s, "victim no longer in strict seccomp mode");
}

int main(void)
{
	return spy_simple("seccomp_strict", SYS_read, SYS_read, 0,
			  CRYO_THREAD_SYSCALL, after);
}
