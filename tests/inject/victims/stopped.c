// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: job-control stopped. It blocks in read() of the check pipe; the
 * spy sends SIGSTOP, injects while it is stopped, releases, sees it stay
 * stopped (state T), then writes the check byte and sends SIGCONT. The
 * read must restart, return the byte, and nothing else may have changed.
 */
#include "victim.h"

int main(void)
{
	vic_init();
	vic_ready();
	vic_wait_check();
	vic_check_signals();
	return vic_exit();
}
