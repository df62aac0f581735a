// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: a busy loop in user space. Every general register but rax and
 * rcx holds a known value while it spins; the spy injects into it while it
 * runs. After the spy sets vshm.go, the registers, the signal mask and the
 * pending set must be what they were.
 */
#include "victim.h"

int main(void)
{
	struct vspin s = {0};

	vic_init();
	s.go = &vic_shm->go;
	vic_ready();
	vic_shm->nready = 1; /* no syscall from here on */
	vspin(&s);
	vspin_verify(&s);
	vic_check_signals();
	vic_wait_check();
	return vic_exit();
}
