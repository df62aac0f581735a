// SPDX-License-Identifier: GPL-2.0-or-later
/* Walking and freezing the process tree; see pstree.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "log.h"
#include "pstree.h"

#define MAX_ROUNDS 64 /* a tree still growing after this many scans: refuse */

static struct dtask *find_task(struct pstree *t, pid_t pid)
{
	for (int i = 0; i < t->nr; i++)
		if (t->tasks[i].pid == pid)
			return &t->tasks[i];
	return NULL;
}

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

static bool has_thread(const struct dtask *task, pid_t tid)
{
	for (int i = 0; i < task->nr_threads; i++)
		if (task->threads[i].tid == tid)
			return true;
	return false;
}

/* Who traces tid already, for the refusal message. */
static int tracer_of(pid_t tid)
{
	char name[48], *status;
	const char *v;
	int pid = 0;

	snprintf(name, sizeof(name), "task/%d/status", (int)tid);
	if (proc_slurp(tid, name, &status, NULL))
		return 0;
	v = proc_field(status, "TracerPid");
	if (v)
		pid = atoi(v);
	free(status);
	return pid;
}

/* Seizes one thread and waits for its interrupt stop. */
static int seize_thread(struct dtask *task, pid_t tid)
{
	struct dthread *th, *n;
	int status, ret;

	if (ptrace(PTRACE_SEIZE, tid, 0, 0)) {
		ret = -errno;
		if (ret == -ESRCH)
			return 0; /* exited meanwhile: nothing to dump */
		if (ret == -EPERM && tracer_of(tid))
			pr_perr("seize", (int)tid, "already traced by pid %d",
				tracer_of(tid));
		else
			pr_perr("seize", (int)tid, "%s", strerror(-ret));
		return ret;
	}
	n = realloc(task->threads, sizeof(*n) * (size_t)(task->nr_threads + 1));
	if (!n) {
		ptrace(PTRACE_DETACH, tid, 0, 0);
		return -ENOMEM;
	}
	task->threads = n;
	th = &n[task->nr_threads++];
	memset(th, 0, sizeof(*th));
	th->tid = tid;
	th->seized = true;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) && errno != ESRCH) {
		ret = -errno;
		pr_perr("interrupt", (int)tid, "%s", strerror(-ret));
		return ret;
	}
	for (;;) {
		if (waitpid(tid, &status, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			pr_perr("wait for stop", (int)tid, "%s",
				strerror(-ret));
			return ret;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			th->seized = false; /* gone: the rescan drops it */
			return 0;
		}
		if (!WIFSTOPPED(status))
			continue;
		if ((status >> 16) == PTRACE_EVENT_STOP)
			return 0;
		/*
		 * A signal-delivery stop came first: keep the signal to hand
		 * back at detach, and wait for our interrupt's stop.
		 */
		th->stop_sig = WSTOPSIG(status);
		pr_debug("pid %d: signal %d caught while seizing", (int)tid,
			 th->stop_sig);
		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) ||
		    ptrace(PTRACE_CONT, tid, 0, 0)) {
			ret = -errno;
			pr_perr("interrupt", (int)tid, "%s", strerror(-ret));
			return ret;
		}
	}
}

/* Seizes threads of task not yet seized; returns how many were new. */
static int scan_threads(struct dtask *task)
{
	int *tids, nr, added = 0, ret = 0;

	nr = proc_list_ids(task->pid, "task", &tids);
	if (nr < 0) {
		pr_perr("list threads", (int)task->pid, "%s", strerror(-nr));
		return nr;
	}
	/* The leader first, so that threads[0] is the process itself. */
	if (!has_thread(task, task->pid)) {
		struct proc_stat st;

		/* Seizing makes it 't': keep what it was doing (T, S, R...). */
		if (!proc_parse_stat(task->pid, &st))
			task->state = st.state;
		ret = seize_thread(task, task->pid);
		added++;
	}
	for (int i = 0; !ret && i < nr; i++) {
		if (has_thread(task, tids[i]))
			continue;
		ret = seize_thread(task, tids[i]);
		added++;
	}
	free(tids);
	return ret ? ret : added;
}

/* Adds children of every thread of task; returns how many were new. */
static int scan_children(struct pstree *t, int idx)
{
	int added = 0;

	for (int i = 0; i < t->tasks[idx].nr_threads; i++) {
		char name[64], *list, *p, *end;
		pid_t pid = t->tasks[idx].pid;

		snprintf(name, sizeof(name), "task/%d/children",
			 (int)t->tasks[idx].threads[i].tid);
		if (proc_slurp(pid, name, &list, NULL))
			continue; /* thread gone */
		for (p = list;; p = end) {
			long child = strtol(p, &end, 10);
			int ret;

			if (end == p)
				break;
			if (find_task(t, (pid_t)child))
				continue;
			ret = add_task(t, (pid_t)child, pid);
			if (ret) {
				free(list);
				return ret;
			}
			added++;
		}
		free(list);
	}
	return added;
}

int pstree_freeze(struct pstree *t, pid_t root)
{
	int ret, round;

	memset(t, 0, sizeof(*t));
	if (kill(root, 0) && errno == ESRCH) {
		pr_perr("dump", (int)root, "no such process");
		return -ESRCH;
	}
	ret = add_task(t, root, 0);
	if (ret)
		return ret;
	for (round = 0; round < MAX_ROUNDS; round++) {
		int changed = 0;

		for (int i = 0; i < t->nr; i++) {
			ret = scan_threads(&t->tasks[i]);
			if (ret < 0)
				goto out_release;
			changed += ret;
			ret = scan_children(t, i);
			if (ret < 0)
				goto out_release;
			changed += ret;
		}
		if (!changed)
			break;
	}
	if (round == MAX_ROUNDS) {
		pr_perr("freeze", (int)root,
			"tree still changing after %d scans", MAX_ROUNDS);
		ret = -EAGAIN;
		goto out_release;
	}
	for (int i = 0; i < t->nr; i++) {
		struct dtask *task = &t->tasks[i];

		if (!task->nr_threads || !task->threads[0].seized ||
		    task->threads[0].tid != task->pid) {
			pr_perr("freeze", (int)task->pid,
				"process exited while seizing");
			ret = -ESRCH;
			goto out_release;
		}
		ret = proc_parse_stat(task->pid, &task->st);
		if (ret) {
			pr_perr("read stat", (int)task->pid, "%s",
				strerror(-ret));
			goto out_release;
		}
	}
	pr_info("frozen: %d processes", t->nr);
	return 0;
out_release:
	pstree_release(t, false);
	return ret;
}

void pstree_release(struct pstree *t, bool kill_tree)
{
	for (int i = t->nr - 1; kill_tree && i >= 0; i--)
		kill(t->tasks[i].pid, SIGKILL);
	for (int i = 0; i < t->nr; i++) {
		struct dtask *task = &t->tasks[i];

		for (int k = 0; k < task->nr_threads; k++) {
			struct dthread *th = &task->threads[k];

			if (!th->seized)
				continue;
			if (ptrace(PTRACE_DETACH, th->tid, 0,
				   kill_tree ? 0 : th->stop_sig) &&
			    errno != ESRCH)
				pr_warn("detach pid %d: %s", (int)th->tid,
					strerror(errno));
			th->seized = false;
		}
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
