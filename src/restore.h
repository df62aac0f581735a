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
	bool prot_raised; /* made writable to take its pages: put back */
	bool primed;	  /* its first page faulted in to keep it apart */
	bool primed_used; /* ...and the image had data for that page */
	bool uffd;	  /* its pages go in with UFFDIO_COPY (mm-restore.c) */
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

	/*
	 * The parent-death signal the process had (PR_SET_PDEATHSIG): a
	 * module that restores it sets this at load time; restore.c applies
	 * it last, because until then the process dies with cryo.
	 */
	int pdeath_sig;

	/* module-private data, indexed like the module table */
	void *priv[RST_MAX_MODULES];

	/* while the process is being built */
	struct cryo_victim *v; /* the engine's handle on it */
	unsigned long tramp;   /* trampoline: a syscall instruction... */
	size_t tramp_len;      /* ...the scratch area and room for the vDSO */
	unsigned long scratch; /* scratch area in the target */
	size_t scratch_size;
	int mem_fd;	   /* /proc/PID/mem, for read-only areas */
	int child_fd_base; /* fds from here on are the child's helpers */
	bool created;	   /* the process exists */
};

struct rst_ctx {
	struct cryo_ctx *c;
	struct rtask *tasks; /* the root first */
	int nr;
	struct cryo_img_header hdr;
	int tty_fd; /* -j: the terminal restored fds go onto, or -1 */
	struct cryo_img_container container; /* the image's, if any */
	bool has_container;
	int img_fd; /* the image, for page data read straight from the file */
	struct rst_pages *pages; /* res/mm-restore.c: the page writers */
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

/*
 * The trampoline: one code page ("syscall; jmp ." : injected syscalls run
 * from it, threads made by an injected clone wait in the loop), then the
 * scratch area, then room to park the vDSO while the old address space
 * goes. Placed in a hole of both the image's layout and cryo's own.
 */
#define RST_TRAMP_CODE	  4096ul
#define RST_TRAMP_SCRATCH (60ul << 10)
#define RST_TRAMP_PARK	  (128ul << 10)
#define RST_TRAMP_LEN	  (RST_TRAMP_CODE + RST_TRAMP_SCRATCH + RST_TRAMP_PARK)

/* res/mm-restore.c: the address space */
int rst_mm_check(struct rst_ctx *rc, struct rtask *t);
int rst_mm_pick_tramp(struct rst_ctx *rc, struct rtask *t);
int rst_mm_layout(struct rst_ctx *rc, struct rtask *t);
/*
 * A PAGEMAP record (its payload) and the PAGES record after it, which this
 * reads: the pages are queued to writer threads, started on the first
 * call, and their checksums checked as they complete. rst_mm_pages_end()
 * waits until every queued page is written, checks the rest, and stops
 * the writers (abort: the restore failed, drop what is still queued); it
 * must follow any rst_mm_pages() call, on every path, and returns the
 * first failure (already logged) or 0.
 */
int rst_mm_pages(struct rst_ctx *rc, struct cryo_img_reader *r,
		 const void *pagemap, size_t len);
int rst_mm_pages_end(struct rst_ctx *rc, struct cryo_img_reader *r, bool abort);
int rst_mm_finish(struct rst_ctx *rc, struct rtask *t);
int rst_mm_drop_tramp(struct rst_ctx *rc, struct rtask *t);

/* res/regs.c: threads and their CPU state */
int rst_threads_create(struct rst_ctx *rc, struct rtask *t);
int rst_threads_state(struct rst_ctx *rc, struct rtask *t);

/*
 * res/seccomp.c: the SUD config thread tid had (NULL: off), armed by the
 * engine at release (rst_threads_state).
 */
const struct cryo_img_sud *rst_sud_config(struct rtask *t, pid_t tid);

/* The task of pid in the context, or NULL. */
struct rtask *rst_find_task(struct rst_ctx *rc, pid_t pid);

#endif
