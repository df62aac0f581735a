// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The resource modules, in the order their records appear per task in an
 * image and in which restore runs them. The credentials go last on restore
 * (restore.h): a module that needs privileges must come before them.
 */
#include "../dump.h"

const struct res_ops *const res_table[] = {
	&res_task_ops,	/* TASK, CREDS */
	&res_mm_ops,	/* MM, VMA */
	&res_pages_ops, /* PAGEMAP, PAGES (the pages section) */
	&res_regs_ops,	/* THREAD */
	&res_fd_ops,	/* FD */
};

const size_t res_table_nr = sizeof(res_table) / sizeof(res_table[0]);
