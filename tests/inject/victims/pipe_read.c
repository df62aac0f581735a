// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: blocked in read() on a pipe. The injection interrupts the read;
 * it must restart, stay blocked, and return exactly the data the spy
 * writes after the injection, with every register as it was.
 */
#include "victim.h"

int main(void)
{
	char buf[128] = {0};
	struct vsys s;
	long r;

	vic_init();
	vic_ready();
	r = vsys(&s, SYS_read, VFD_DATA, (unsigned long)buf, sizeof(buf) - 1,
		 0);
	vsys_verify(&s, "read(data pipe)");
	if (r != (long)strlen(VDATA) || strcmp(buf, VDATA))
		vic_fail("read returned %ld \"%s\", want %zu \"%s\"", r, buf,
			 strlen(VDATA), VDATA);
	vic_check_signals();
	vic_wait_check();
	return vic_exit();
}
