// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a caller that rebuilds a target needs from the engine (cryo's
 * restore): a syscall site of its own, and a state of its choosing for
 * each thread at release.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#include "inject-internal.h"

int cryo_inject_set_syscall_site(struct cryo_victim *v, unsigned long addr)
{
	if (!addr)
		return -EINVAL;
	v->vdso_syscall = addr;
	v->gadget = 0;
	v->restorer = 0;
	v->gadgets_scanned = true;
	for (int i = 0; i < v->nr_th; i++) {
		if (v->th[i].frame) {
			pr_err(v,
			       "cannot change the syscall site (pid %d): a frame is in place",
			       v->th[i].pub.tid);
			return -EBUSY;
		}
		v->th[i].sud_scanned = true;
		v->th[i].sud_gadget = 0;
		v->th[i].sud_restorer = 0;
	}
	return 0;
}

int cryo_inject_set_state(struct cryo_victim *v, pid_t tid,
			  const struct cryo_inject_state *st)
{
	struct cryo_thread *t = cryo_find_thread(v, tid ? tid : v->pid);
	void *x = NULL;

	if (!t || t->gone) {
		pr_err(v,
		       "no such seized thread (pid %d): cannot set its state",
		       tid);
		return -ESRCH;
	}
	if (!st || st->sz < CRYO_INJECT_STATE_SIZE_V0 ||
	    st->regs_len != sizeof(struct user_regs_struct))
		return -EINVAL;
	if (st->xsave) {
		x = malloc(st->xsave_len);
		if (!x)
			return -ENOMEM;
		memcpy(x, st->xsave, st->xsave_len);
		free(t->xsave);
		t->xsave = x;
		t->xsave_len = st->xsave_len;
	}
	memcpy(&t->regs, st->regs, sizeof(t->regs));
	t->pub.sigmask = st->sigmask;
	t->pub.syscall_nr = arch_interrupted_syscall(&t->regs);
	/*
	 * The SUD config to arm at release: recorded as "switched off by
	 * us", which it is in effect (the thread has SUD off now, or the
	 * engine switched it off), so that no injection turns it on and
	 * release sets it last, right before detach.
	 */
	if (st->sz >= offsetof(struct cryo_inject_state, sud_len) +
			      sizeof(st->sud_len) &&
	    st->sud_set) {
		if (!t->sud_off && t->sud.mode != PR_SYS_DISPATCH_OFF) {
			struct cryo_sud_config off = {
				.mode = PR_SYS_DISPATCH_OFF};

			/* armed now: switch it off until release */
			if (ptrace(PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG,
				   t->pub.tid, sizeof(off), &off)) {
				int err = -errno;

				pr_err(v,
				       "cannot switch syscall user dispatch off (pid %d): %s",
				       t->pub.tid, strerror(-err));
				return err;
			}
		}
		t->sud.mode = st->sud_mode;
		t->sud.selector = st->sud_selector;
		t->sud.offset = st->sud_offset;
		t->sud.len = st->sud_len;
		t->sud_off = true;
	}
	/* Release sets them all: registers (restarting an interrupted
	 * syscall), the XSAVE area and the mask. */
	t->regs_dirty = true;
	t->resumed = true;
	t->mask_changed = true;
	return 0;
}

_Static_assert(offsetof(struct cryo_inject_state, sud_set) ==
		       CRYO_INJECT_STATE_SIZE_V0,
	       "the first version of cryo_inject_state ends before sud_set");
