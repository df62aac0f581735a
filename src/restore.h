/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The restore side: what restore.c reads from an image for each process,
 * and the interface a resource module implements to put its kind of kernel
 * object back (docs/architecture.md, "Restore").
 *
 * The order of a restore, per process:
 *   1. load     every STATE record is handed to the module that declared
 *               its type (res_ops.rec_types); the module keeps what it needs
 *               in rtask.priv[module index].
 *   2. child    cryo forks the process with clone3(set_tid = PID); the
 *               child runs restore_child of every module (plain C in the
 *               new process: session, cwd, umask, fds...), then waits.
 *   3. remote   cryo seizes the child with the injection engine, replaces
 *               its address space from a trampoline, fills memory, creates
 *               the other threads with clone3(set_tid = TID), and runs
 *               restore_remote of every module in table order, injecting
 *               syscalls with rst_syscall(); the credentials module comes
 *               last in the table.
 *   4. release  every thread gets its image registers, XSAVE area and
 *               signal mask, and the engine detaches.
 * Any failure kills what was built: no half-restored process survives.
 */
#ifndef CRYO_RESTORE_H
#define CRYO_RESTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cryo.h"
#include "cryo/img.h"
#include "cryo/inject.h"

#define RST_MAX_MODULES 16

struct rthread {
	pid_t tid;
	struct cryo_img_thread th; /* registers and mask as dumped */
	void *xsave;		   /* th.xsave_size bytes */
};

struct rvma {
	struct cryo_img_vma v;
	char *path;
};

struct rfd {
	struct cryo_img_fd f;
	char *path;
};

struct rtask {
	pid_t pid;
	struct cryo_img_pstree ps;
	struct cryo_img_task task;
	char *exe;
	struct cryo_img_creds creds;
	uint32_t *groups;
	struct cryo_img_mm mm;
	uint64_t *auxv;	 /* (type, value) pairs */
	size_t auxv_len; /* bytes */
	struct rvma *vmas;
	int nr_vmas;
	struct rthread *threads; /* the leader first, in PSTREE order */
	int nr_threads;
	struct rfd *fds;
	int nr_fds;

	/* module-private data, indexed like the module table */
	void *priv[RST_MAX_MODULES];

	/* while the process is being built */
	struct cryo_victim *v; /* the engine's handle on it */
	unsigned long scratch; /* scratch area in the target */
	size_t scratch_size;
	bool created; /* the process exists */
};

struct rst_ctx {
	struct cryo_ctx *c;
	struct rtask *tasks; /* the root first */
	int nr;
	struct cryo_img_header hdr;
};

/*
 * Injects syscall nr into thread tid of t (0: the leader) and returns its
 * result in *res (a negative errno when the syscall failed). Returns 0 when
 * the syscall ran, or -errno (logged) when the engine could not run it.
 */
int rst_syscall(struct rtask *t, pid_t tid, long nr, unsigned long a0,
		unsigned long a1, unsigned long a2, unsigned long a3,
		unsigned long a4, unsigned long a5, long *res);
/*
 * Like rst_syscall, but a failing syscall (negative result) is an error
 * too: logged as "<what> (pid TID): <strerror>" and returned.
 */
int rst_syscall_ok(struct rtask *t, pid_t tid, const char *what, long nr,
		   unsigned long a0, unsigned long a1, unsigned long a2,
		   unsigned long a3, unsigned long a4, unsigned long a5,
		   long *res);
/*
 * Copies len bytes into the target's scratch area at offset off and
 * returns their address there (0 if it does not fit: logged).
 */
unsigned long rst_scratch_put(struct rtask *t, size_t off, const void *buf,
			      size_t len);
/* Reads len bytes back from the scratch area at offset off. */
int rst_scratch_get(struct rtask *t, size_t off, void *buf, size_t len);

#endif
