/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dump side: a context for one dump and the table of resource
 * modules. Each module writes the records of one kind of kernel object for
 * one task; dump.c runs the table in order over every task.
 */
#ifndef CRYO_DUMP_H
#define CRYO_DUMP_H

#include "cryo.h"
#include "cryo/img.h"
#include "pstree.h"

struct dump_ctx {
	struct cryo_ctx *c;
	struct cryo_img_writer *w;
	struct pstree tree;
	uint64_t nr_pages; /* pages written */
	uint64_t nr_vmas;
};

/* A resource module: one kind of kernel object. */
struct res_ops {
	const char *name;
	/* Writes the STATE records of task; 0 or -errno (already logged). */
	int (*dump_task)(struct dump_ctx *dc, struct dtask *task);
	/* Writes the PAGES section records of task, if the module has any. */
	int (*dump_pages)(struct dump_ctx *dc, struct dtask *task);
};

extern const struct res_ops res_task_ops;
extern const struct res_ops res_mm_ops;
extern const struct res_ops res_regs_ops;
extern const struct res_ops res_fd_ops;

/* The container configuration record (section CONTAINER). */
int container_dump(struct dump_ctx *dc, pid_t root);

#endif
