// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Release: remove the scratch mapping, put every thread back exactly as it
 * was seized, and detach. Every step is tried for every thread even after
 * an error: a half-released target is worse than a reported error.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inject-internal.h"

static int unmap_scratch(struct cryo_victim *v)
{
	unsigned long args[6] = {v->scratch, v->scratch_size};
	struct cryo_thread *t = cryo_find_thread(v, v->scratch_tid);
	long ret;
	int err;

	if (!t || t->gone) {
		for (int i = 0; i < v->nr_th && (!t || t->gone); i++)
			t = &v->th[i];
		if (!t || t->gone)
			return -ESRCH;
	}
	err = cryo_syscall_in(v, t, __NR_munmap, args, &ret);
	if (!err && ret) {
		pr_err(v, "cannot unmap the scratch area at 0x%lx (pid %d): %s",
		       v->scratch, v->pid, strerror(-ret));
		err = ret;
	}
	if (!err)
		cryo_fault(v, "scratch-unmapped");
	v->scratch = 0;
	return err;
}

static int detach_one(struct cryo_victim *v, struct cryo_thread *t)
{
	pid_t tid = t->pub.tid;
	int err = 0, i;

	if (t->saved) {
		err = cryo_thread_restore(v, t);
		if (err == -ESRCH)
			return 0;
	}
	if (ptrace(PTRACE_DETACH, tid, NULL,
		   (void *)(long)(t->nsigs ? t->sigs[0] : 0))) {
		if (errno == ESRCH)
			return 0; /* died meanwhile: nothing to leave */
		if (!err)
			err = -errno;
		pr_err(v, "cannot detach (pid %d): %s", tid, strerror(errno));
		return err;
	}
	/* Further held signals lose their siginfo: only forced faults get
	 * here, which the blocked mask did not hold back. */
	for (i = 1; i < t->nsigs; i++)
		syscall(SYS_tgkill, v->pid, tid, t->sigs[i]);
	return err;
}

int cryo_inject_release(struct cryo_victim *v)
{
	int err, ret = 0, i;

	if (!v)
		return 0;
	if (v->scratch) {
		ret = unmap_scratch(v);
		if (ret)
			pr_warn(v, "the scratch area stays in pid %d", v->pid);
	}
	/* Threads seized but not yet stopped must stop before detach. */
	for (i = 0; i < v->nr_th; i++)
		if (v->th[i].seized && !v->th[i].stopped && !v->th[i].gone) {
			err = cryo_wait_first_stop(v, &v->th[i]);
			if (err && !ret)
				ret = err;
		}
	cryo_fault(v, "before-detach");
	for (i = 0; i < v->nr_th; i++) {
		struct cryo_thread *t = &v->th[i];

		if (t->seized && t->stopped && !t->gone) {
			err = detach_one(v, t);
			if (err && !ret)
				ret = err;
			if (i == 0)
				cryo_fault(v, "detached-leader");
		}
		free(t->xsave);
		free(t->stack_save);
	}
	cryo_unpin(v);
	if (v->mem_fd >= 0)
		close(v->mem_fd);
	if (v->pidfd >= 0)
		close(v->pidfd);
	free(v->th);
	free(v);
	return ret;
}
