// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: injects into a victim spinning with zmm0-31, k0-7, MXCSR and the
 * x87 control word loaded with known values; the victim compares them.
 */
#include "spy.h"

int main(void)
{
	return spy_simple("avx512", -1, -1, 0, CRYO_THREAD_RUNNING, NULL);
}
