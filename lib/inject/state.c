// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Per-thread state: what is saved right after a thread is stopped, and how
 * each piece is put back. Saved once, never modified: every restore starts
 * from the copy taken at seize.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "inject-internal.h"

#define XSAVE_FIRST_TRY 16384
#define XSAVE_MAX	(1 << 20)

/* Reads the whole XSAVE area; the kernel trims iov_len to what it wrote. */
static int save_xsave(struct cryo_victim *v, struct cryo_thread *t)
{
	size_t cap = XSAVE_FIRST_TRY;
	struct iovec iov;
	void *buf;

	for (;;) {
		buf = calloc(1, cap);
		if (!buf)
			return -ENOMEM;
		iov.iov_base = buf;
		iov.iov_len = cap;
		if (ptrace(PTRACE_GETREGSET, t->pub.tid, NT_X86_XSTATE, &iov)) {
			int err = -errno;

			free(buf);
			pr_err(v, "cannot read XSAVE state (pid %d): %s",
			       t->pub.tid, strerror(-err));
			return err;
		}
		if (iov.iov_len < cap || cap >= XSAVE_MAX)
			break;
		free(buf); /* maybe truncated: try a bigger buffer */
		cap *= 2;
	}
	t->xsave = buf;
	t->xsave_len = iov.iov_len;
	return 0;
}

/*
 * A thread stopped inside an rseq critical section: the kernel aborts the
 * section (rip = abort_ip) on the thread's next return to user space after
 * it was scheduled out, which being stopped is. But our injections return
 * to user space at the gadget, outside the section, where the kernel only
 * clears rseq_cs: restored to its old rip afterwards, the thread would run
 * on in a section that was never aborted. So apply the abort to the saved
 * registers now, as the kernel would (only if the signature before
 * abort_ip matches, else the kernel would kill the thread itself).
 */
static void rseq_abort(struct cryo_victim *v, struct cryo_thread *t)
{
	struct cryo_rseq_config rc;
	struct cryo_rseq_cs cs;
	uint64_t cs_ptr;
	uint32_t sig;

	if (t->pub.syscall_nr >= 0 ||
	    ptrace(PTRACE_GET_RSEQ_CONFIGURATION, t->pub.tid, sizeof(rc),
		   &rc) <= 0 ||
	    !rc.rseq_abi_pointer)
		return;
	if (cryo_mem_read(v, rc.rseq_abi_pointer + CRYO_RSEQ_CS_OFFSET, &cs_ptr,
			  sizeof(cs_ptr)) != sizeof(cs_ptr) ||
	    !cs_ptr)
		return;
	if (cryo_mem_read(v, cs_ptr, &cs, sizeof(cs)) != sizeof(cs) ||
	    t->regs.rip - cs.start_ip >= cs.post_commit_offset)
		return;
	if (cryo_mem_read(v, cs.abort_ip - sizeof(sig), &sig, sizeof(sig)) !=
		    sizeof(sig) ||
	    sig != rc.signature)
		return;
	pr_debug(
		v,
		"pid %d: in an rseq critical section at 0x%llx: aborting to 0x%llx",
		t->pub.tid, t->regs.rip, (unsigned long long)cs.abort_ip);
	t->regs.rip = cs.abort_ip;
	t->regs_dirty = true; /* so that release sets it */
}

int cryo_thread_save(struct cryo_victim *v, struct cryo_thread *t)
{
	pid_t tid = t->pub.tid;
	int err;

	if (ptrace(PTRACE_GETREGS, tid, NULL, &t->regs)) {
		err = -errno;
		pr_fail(v, err, "cannot read registers (pid %d): %s", tid,
			strerror(-err));
		return err;
	}
	err = save_xsave(v, t);
	if (err)
		return err;
	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(uint64_t), &t->pub.sigmask)) {
		err = -errno;
		pr_fail(v, err, "cannot read the signal mask (pid %d): %s", tid,
			strerror(-err));
		return err;
	}
	/* An old kernel without SUD ptrace requests: SUD cannot be on. */
	memset(&t->sud, 0, sizeof(t->sud));
	if (ptrace(PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG, tid, sizeof(t->sud),
		   &t->sud)) {
		pr_debug(v, "no SUD config for pid %d: %s", tid,
			 strerror(errno));
		memset(&t->sud, 0, sizeof(t->sud));
	}
	t->pub.sud_mode = t->sud.mode;
	t->pub.sud_selector = t->sud.selector;
	t->pub.sud_offset = t->sud.offset;
	t->pub.sud_len = t->sud.len;
	t->pub.syscall_nr = arch_interrupted_syscall(&t->regs);
	rseq_abort(v, t);
	t->saved = true;
	return 0;
}

/*
 * Puts the seized registers back. A thread that ran an injected syscall
 * sits in a syscall-exit stop, from which the kernel does not restart the
 * syscall it was interrupted in (restart is done on the signal path only):
 * do the restart ourselves unless a signal will be delivered at detach, in
 * which case the kernel's signal path handles -ERESTART* itself.
 */
int cryo_put_regs(struct cryo_victim *v, struct cryo_thread *t)
{
	struct user_regs_struct r = t->regs;

	if (!t->regs_dirty)
		return 0;
	if (t->resumed && !t->nsigs)
		arch_emulate_restart(&r);
	if (ptrace(PTRACE_SETREGS, t->pub.tid, NULL, &r)) {
		int err = -errno;

		pr_fail(v, err, "cannot restore registers (pid %d): %s",
			t->pub.tid, strerror(-err));
		return err;
	}
	t->regs_dirty = false;
	return 0;
}

/*
 * Blocks every signal while an injected syscall runs, so that none is
 * dequeued (no signal-delivery stop to hold, nothing lost if we die: the
 * crash-safety frame carries the original mask). SIGKILL and SIGSTOP stay
 * deliverable, as the kernel wants.
 */
int cryo_block_signals(struct cryo_victim *v, struct cryo_thread *t)
{
	uint64_t all = ~0ULL;

	if (t->mask_changed)
		return 0;
	if (ptrace(PTRACE_SETSIGMASK, t->pub.tid, sizeof(all), &all)) {
		int err = -errno;

		pr_fail(v, err, "cannot block signals (pid %d): %s", t->pub.tid,
			strerror(-err));
		return err;
	}
	t->mask_changed = true;
	return 0;
}

int cryo_unblock_signals(struct cryo_victim *v, struct cryo_thread *t)
{
	if (!t->mask_changed)
		return 0;
	if (ptrace(PTRACE_SETSIGMASK, t->pub.tid, sizeof(t->pub.sigmask),
		   &t->pub.sigmask)) {
		int err = -errno;

		pr_fail(v, err, "cannot restore the signal mask (pid %d): %s",
			t->pub.tid, strerror(-err));
		return err;
	}
	t->mask_changed = false;
	return 0;
}

/* SUD has no ptrace suspend option: switch it off while we inject. */
int cryo_sud_disable(struct cryo_victim *v, struct cryo_thread *t)
{
	struct cryo_sud_config off = {.mode = PR_SYS_DISPATCH_OFF};

	if (t->sud.mode == PR_SYS_DISPATCH_OFF || t->sud_off)
		return 0;
	if (ptrace(PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG, t->pub.tid,
		   sizeof(off), &off)) {
		int err = -errno;

		pr_err(v,
		       "cannot switch syscall user dispatch off (pid %d): %s",
		       t->pub.tid, strerror(-err));
		return err;
	}
	t->sud_off = true;
	return 0;
}

int cryo_sud_restore(struct cryo_victim *v, struct cryo_thread *t)
{
	if (!t->sud_off)
		return 0;
	if (ptrace(PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG, t->pub.tid,
		   sizeof(t->sud), &t->sud)) {
		int err = -errno;

		pr_fail(v, err,
			"cannot re-arm syscall user dispatch (pid %d): %s",
			t->pub.tid, strerror(-err));
		return err;
	}
	t->sud_off = false;
	return 0;
}

/*
 * Everything back, in the order that keeps each intermediate state safe
 * if we die in between (docs/inject.md): signal mask and registers first
 * (they are only ever changed together with the crash-safety frame in
 * place), then the stack bytes under the frame, the XSAVE area, SUD.
 */
int cryo_thread_restore(struct cryo_victim *v, struct cryo_thread *t)
{
	int err, ret = 0;

	err = cryo_unblock_signals(v, t);
	if (err && !ret)
		ret = err;
	err = cryo_put_regs(v, t);
	if (err && !ret)
		ret = err;
	cryo_fault(v, "regs-restored");
	if (t->stack_save && !t->regs_dirty) {
		if (cryo_mem_write(v, t->frame, t->stack_save,
				   t->stack_save_len) !=
		    (ssize_t)t->stack_save_len)
			pr_warn(v,
				"cannot put back the stack under the frame (pid %d)",
				t->pub.tid);
		free(t->stack_save);
		t->stack_save = NULL;
		t->frame = 0;
	}
	if (t->resumed && t->xsave) {
		struct iovec iov = {t->xsave, t->xsave_len};

		if (ptrace(PTRACE_SETREGSET, t->pub.tid, NT_X86_XSTATE, &iov)) {
			err = -errno;
			pr_fail(v, err,
				"cannot restore XSAVE state (pid %d): %s",
				t->pub.tid, strerror(-err));
			if (!ret)
				ret = err;
		}
	}
	err = cryo_sud_restore(v, t);
	if (err && !ret)
		ret = err;
	return ret;
}
