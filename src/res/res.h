/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the resource modules that ask the dumped process
 * itself (injected syscalls through the engine), and the hand-over between
 * the per-process settings module and the credentials module, which must
 * apply some settings again after the credentials (restore order).
 */
#ifndef CRYO_RES_RES_H
#define CRYO_RES_RES_H

#include <stddef.h>
#include <sys/types.h>

#include "../dump.h"
#include "../restore.h"

/*
 * Injects syscall nr into thread tid (0: the leader) of a dumped task and
 * stores its result in *res (a negative errno when the syscall failed).
 * Returns 0, or -errno (logged) when the engine could not run it.
 */
int dump_syscall(struct dtask *t, pid_t tid, long nr, unsigned long a0,
		 unsigned long a1, unsigned long a2, unsigned long a3,
		 long *res);
/* Like dump_syscall; a failed syscall is an error too, logged with what. */
int dump_syscall_ok(struct dtask *t, pid_t tid, const char *what, long nr,
		    unsigned long a0, unsigned long a1, unsigned long a2,
		    unsigned long a3, long *res);
/*
 * Maps a scratch area of len bytes in the task for pointer arguments, and
 * unmaps it. Each module unmaps its own before it returns: the memory
 * module lists the areas before and saves the pages after the other
 * modules run, and a scratch area must appear in neither. (The engine's
 * own scratch, private anonymous memory, may merge with an area of the
 * image; a shared anonymous mapping never does.)
 */
int dump_scratch(struct dtask *t, size_t len, unsigned long *addr);
int dump_scratch_free(struct dtask *t, unsigned long addr, size_t len);
/* Reads len bytes of the task's memory at addr. */
int dump_read(struct dtask *t, unsigned long addr, void *buf, size_t len);

/* The index of a module in res_table (for rtask.priv), or -1. */
int res_index(const struct res_ops *ops);
/* The module's private data of t (NULL until its load created it). */
void *res_priv(struct rtask *t, const struct res_ops *ops);
/* Sets it; returns -ENOENT if the module is not in the table. */
int res_set_priv(struct rtask *t, const struct res_ops *ops, void *p);

/*
 * Writes a string to /proc/PID/task/TID/NAME (tid 0: /proc/PID/NAME);
 * returns 0 or -errno, logged with what.
 */
int proc_write_str(pid_t pid, pid_t tid, const char *name, const char *what,
		   const char *val);

/*
 * The settings the kernel resets when credentials change (commit_creds:
 * dumpable; the pdeath signal too, which restore.c sets last from
 * rtask.pdeath_sig) and the one-way one (no_new_privs, in every thread):
 * applied by the credentials module after the credentials.
 */
int proc_misc_after_creds(struct rst_ctx *rc, struct rtask *t);

extern const struct res_ops res_signals_ops;
extern const struct res_ops res_timers_ops;
extern const struct res_ops res_thread_misc_ops;
extern const struct res_ops res_proc_misc_ops;
extern const struct res_ops res_seccomp_ops;
extern const struct res_ops res_creds_ops;

#endif
