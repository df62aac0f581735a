/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dumped process tree and its freezer. Every thread is seized with
 * PTRACE_SEIZE and stopped with PTRACE_INTERRUPT; the tree is walked again
 * until no new thread or child appears, so what is dumped is a consistent,
 * frozen tree. Release either detaches (the tree runs on exactly as it
 * was, re-delivering any signal caught on the way) or kills it.
 *
 * The step-2 injection engine (lib/inject) will take over the seizing.
 */
#ifndef CRYO_PSTREE_H
#define CRYO_PSTREE_H

#include <stdbool.h>
#include <sys/types.h>

#include "proc.h"

struct dthread {
	pid_t tid;
	bool seized;
	int stop_sig; /* signal caught in a signal-delivery stop, to re-deliver */
};

struct dtask {
	pid_t pid;
	pid_t ppid;		 /* 0 for the root */
	struct proc_stat st;	 /* read once the tree is frozen */
	char state;		 /* the stat state letter before we seized it */
	struct dthread *threads; /* the leader first */
	int nr_threads;
};

struct pstree {
	struct dtask *tasks; /* the root first, parents before children */
	int nr;
};

/* Seizes and stops the tree rooted at root; on failure nothing stays seized. */
int pstree_freeze(struct pstree *t, pid_t root);
/* Detaches (leave_running) or kills every task, then frees the tree. */
void pstree_release(struct pstree *t, bool kill_tree);
void pstree_free(struct pstree *t);

#endif
