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

struct rst_ctx;
struct rtask;

/*
 * A resource module: one kind of kernel object, its dump side and its
 * restore side (restore.h explains the restore order). Every function
 * returns 0 or -errno, with the failure already logged.
 */
struct res_ops {
	const char *name;
	/* Writes the STATE records of task. */
	int (*dump_task)(struct dump_ctx *dc, struct dtask *task);
	/* Writes the PAGES section records of task, if the module has any. */
	int (*dump_pages)(struct dump_ctx *dc, struct dtask *task);

	/* STATE record types this module loads at restore (0-terminated). */
	uint16_t rec_types[6];
	/* Keeps what it needs of one of its records (payload: the whole
	 * verified payload, len bytes; valid only during the call). */
	int (*load)(struct rst_ctx *rc, struct rtask *t, uint16_t type,
		    const void *payload, size_t len);
	/* In the new process itself, before it is seized (plain C). */
	int (*restore_child)(struct rst_ctx *rc, struct rtask *t);
	/* From cryo, with the process seized, its memory and threads back. */
	int (*restore_remote)(struct rst_ctx *rc, struct rtask *t);
	/* Frees t->priv[its index]. */
	void (*free)(struct rtask *t);
};

/* The module table (res/table.c); restore.h's RST_MAX_MODULES bounds it. */
extern const struct res_ops *const res_table[];
extern const size_t res_table_nr;

extern const struct res_ops res_task_ops;
extern const struct res_ops res_mm_ops;
extern const struct res_ops res_pages_ops;
extern const struct res_ops res_regs_ops;
extern const struct res_ops res_fd_ops;
extern const struct res_ops res_lsm_ops;

/* The container configuration record (section CONTAINER). */
int container_dump(struct dump_ctx *dc, pid_t root);
/* The LSMs active on this host, into c->lsms and c->label_lsm. */
void container_host_lsms(struct cryo_img_container *c);
/* Restore: --keep-lsm and --lsm-profile checks, then the label itself. */
int container_restore_check(struct rst_ctx *rc);
int container_restore_child(struct rst_ctx *rc, struct rtask *t);
/* Refuses a tree with a task outside cryo's namespaces (one error line). */
int container_check_tree(const struct pstree *t);

#endif
