// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The resource modules, in the order their records appear per task in an
 * image and in which restore runs them. The credentials go last on restore
 * (restore.h): a module that needs privileges must come before them.
 */
#include "../dump.h"
#include "res.h"

const struct res_ops *const res_table[] = {
	&res_task_ops,
	&res_mm_ops,
	&res_pages_ops,
	&res_regs_ops,
	&res_fd_ops,
	&res_lsm_ops,
	&res_signals_ops,
	&res_timers_ops,
	&res_thread_misc_ops,
	/* the limits late: the restore itself is not held to them */
	&res_proc_misc_ops,
	/*
	 * seccomp filters need CAP_SYS_ADMIN (or no_new_privs, set after the
	 * credentials): before them; the engine's seccomp suspension keeps
	 * the filters off every later injected syscall (res/seccomp.c)
	 */
	&res_seccomp_ops,
	/* last: gives up what the others need */
	&res_creds_ops,
};

const size_t res_table_nr = sizeof(res_table) / sizeof(res_table[0]);
