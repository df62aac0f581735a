// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: injects into a victim spinning in user space (victims/busy.c) and
 * checks that the engine saw it running.
 */
#include "spy.h"

int main(void)
{
	return spy_simple("busy", -1, -1, 0, CRYO_THREAD_RUNNING, NULL);
}
