// SPDX-License-Identifier: GPL-2.0-or-later
/* Walking and freezing the process tree; see pstree.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pstree.h"

static int add_task(struct pstree *t, pid_t pid, pid_t ppid)
{
	struct dtask *n = realloc(t->tasks, sizeof(*n) * (size_t)(t->nr + 1));

	if (!n)
		return -ENOMEM;
	t->tasks = n;
	memset(&n[t->nr], 0, sizeof(*n));
	n[t->nr].pid = pid;
	n[t->nr].ppid = ppid;
	t->nr++;
	return 0;
}

static bool in_tree(const struct pstree *t, pid_t pid)
{
	for (int i = 0; i < t->nr; i++)
		if (t->tasks[i].pid == pid)
			return true;
	return false;
}

/* Seizes one process whole and copies the engine's thread list. */
static int seize_task(struct dtask *task)
{
	struct cryo_inject_opts o = {
		.sz = sizeof(o),
		.log = log_engine,
		.log_level = log_level(),
	};
	struct proc_stat st;
	int ret, nr;

	/* Seizing makes it 't': keep what it was doing (T, S, R...). */
	if (!proc_parse_stat(task->pid, &st))
		task->state = st.state;
	if (task->state == 'Z') {
		/* ptrace cannot seize a zombie; the tree support comes later */
		pr_perr("dump", task->pid,
			"zombie processes are not supported yet");
		return -EOPNOTSUPP;
	}
	ret = cryo_inject_seize(task->pid, &o, &task->victim);
	if (ret) {
		task->victim = NULL;
		return ret;
	}
	nr = cryo_inject_nr_threads(task->victim);
	task->threads = calloc((size_t)nr, sizeof(*task->threads));
	if (!task->threads)
		return -ENOMEM;
	for (int i = 0; i < nr; i++) {
		task->threads[i].tid = cryo_inject_thread(task->victim, i)->tid;
		task->threads[i].seized = true;
	}
	task->nr_threads = nr;
	return 0;
}

/* Adds the children of every thread of task idx (final once it is seized). */
static int add_children(struct pstree *t, int idx)
{
	pid_t pid = t->tasks[idx].pid;

	for (int i = 0; i < t->tasks[idx].nr_threads; i++) {
		char name[64], *list, *p, *end;

		snprintf(name, sizeof(name), "task/%d/children",
			 (int)t->tasks[idx].threads[i].tid);
		if (proc_slurp(pid, name, &list, NULL))
			continue; /* thread gone */
		for (p = list;; p = end) {
			long child = strtol(p, &end, 10);
			int ret;

			if (end == p)
				break;
			if (in_tree(t, (pid_t)child))
				continue;
			ret = add_task(t, (pid_t)child, pid);
			if (ret) {
				free(list);
				return ret;
			}
		}
		free(list);
	}
	return 0;
}

int pstree_freeze(struct pstree *t, pid_t root)
{
	int ret;

	memset(t, 0, sizeof(*t));
	if (kill(root, 0) && errno == ESRCH) {
		pr_perr("dump", root, "no such process");
		return -ESRCH;
	}
	ret = add_task(t, root, 0);
	for (int i = 0; !ret && i < t->nr; i++) {
		ret = seize_task(&t->tasks[i]);
		if (ret == -ESRCH && i) {
			/* A child that exited before we got to it. */
			pr_info("pid %d exited while seizing",
				(int)t->tasks[i].pid);
			memmove(&t->tasks[i], &t->tasks[i + 1],
				sizeof(*t->tasks) * (size_t)(t->nr - i - 1));
			t->nr--;
			i--;
			ret = 0;
			continue;
		}
		if (!ret)
			ret = add_children(t, i);
	}
	for (int i = 0; !ret && i < t->nr; i++) {
		ret = proc_parse_stat(t->tasks[i].pid, &t->tasks[i].st);
		if (ret)
			pr_perr("read stat", t->tasks[i].pid, "%s",
				strerror(-ret));
	}
	if (ret) {
		pstree_release(t, false);
		return ret;
	}
	pr_info("frozen: %d processes", t->nr);
	return 0;
}

void pstree_release(struct pstree *t, bool kill_tree)
{
	for (int i = t->nr - 1; kill_tree && i >= 0; i--)
		kill(t->tasks[i].pid, SIGKILL);
	for (int i = 0; i < t->nr; i++) {
		struct dtask *task = &t->tasks[i];

		/* A killed task: the engine's restore meets ESRCH, and detaches. */
		if (task->victim && cryo_inject_release(task->victim) &&
		    !kill_tree)
			pr_warn("pid %d: not released cleanly", (int)task->pid);
		task->victim = NULL;
	}
	pstree_free(t);
}

void pstree_free(struct pstree *t)
{
	for (int i = 0; i < t->nr; i++)
		free(t->tasks[i].threads);
	free(t->tasks);
	t->tasks = NULL;
	t->nr = 0;
}
