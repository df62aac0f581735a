// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: injects getpid, mmap and munmap (through the standard set and the
 * scratch area) into a victim whose seccomp filter kills the process on
 * exactly those; it must survive, and its child must still die of them.
 */
#include "spy.h"

int main(void)
{
	return spy_simple("seccomp_kill", SYS_read, SYS_read, 0,
			  CRYO_THREAD_SYSCALL, NULL);
}
