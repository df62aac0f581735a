/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dumped process tree and its freezer. Each process is seized whole
 * by the injection engine (every thread stopped, its state saved, seccomp
 * suspended); a seized process cannot fork, so its children list is final
 * and the tree is walked breadth first, seizing as it goes. Release either
 * hands every process back to the engine (it runs on exactly as it was) or
 * kills the tree first.
 */
#ifndef CRYO_PSTREE_H
#define CRYO_PSTREE_H

#include <stdbool.h>
#include <sys/types.h>

#include "cryo/inject.h"
#include "proc.h"

struct dthread {
	pid_t tid;
	bool seized;
};

struct dtask {
	pid_t pid;
	pid_t ppid;		    /* 0 for the root */
	struct proc_stat st;	    /* read once the tree is frozen */
	char state;		    /* the stat state letter before the seize */
	struct cryo_victim *victim; /* the engine's handle; NULL: released */
	struct dthread *threads;    /* the leader first */
	int nr_threads;
};

struct pstree {
	struct dtask *tasks; /* the root first, parents before children */
	int nr;
};

/* Seizes and stops the tree rooted at root; on failure nothing stays seized. */
int pstree_freeze(struct pstree *t, pid_t root);
/* Kills the tree (kill_tree) or lets it run on, then frees it. */
void pstree_release(struct pstree *t, bool kill_tree);
void pstree_free(struct pstree *t);

#endif
