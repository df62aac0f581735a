// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-thread CPU and signal state: one THREAD record per thread with the
 * general registers (fs/gs base included), the whole XSAVE area as the
 * kernel reports it (NT_X86_XSTATE) and the blocked-signal mask.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sched.h>

#include "../dump.h"
#include "../log.h"
#include "../restore.h"

#define XSAVE_MAX (64u << 10)

_Static_assert(sizeof(struct user_regs_struct) ==
		       sizeof(((struct cryo_img_thread *)0)->regs),
	       "THREAD regs layout");

static int dump_thread(struct dump_ctx *dc, pid_t pid, pid_t tid,
		       unsigned char *xbuf)
{
	struct cryo_img_thread t = {
		.size = sizeof(t), .pid = (uint32_t)pid, .tid = (uint32_t)tid};
	struct user_regs_struct regs;
	struct iovec iov = {.iov_base = xbuf, .iov_len = XSAVE_MAX};

	if (ptrace(PTRACE_GETREGS, tid, 0, &regs)) {
		pr_perr("get registers", tid, "%s", strerror(errno));
		return -errno;
	}
	memcpy(t.regs, &regs, sizeof(regs));
	if (ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov)) {
		pr_perr("get xsave state", tid, "%s", strerror(errno));
		return -errno;
	}
	t.xsave_size = (uint32_t)iov.iov_len;
	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(t.sigmask), &t.sigmask)) {
		pr_perr("get signal mask", tid, "%s", strerror(errno));
		return -errno;
	}
	return cryo_img_write_rec(dc->w, CRYO_REC_THREAD, &t, sizeof(t), xbuf,
				  iov.iov_len);
}

static int dump_threads(struct dump_ctx *dc, struct dtask *task)
{
	unsigned char *xbuf = malloc(XSAVE_MAX);
	int ret = 0;

	if (!xbuf)
		return -ENOMEM;
	for (int i = 0; !ret && i < task->nr_threads; i++)
		if (task->threads[i].seized)
			ret = dump_thread(dc, task->pid, task->threads[i].tid,
					  xbuf);
	free(xbuf);
	return ret;
}

const struct res_ops res_regs_ops = {
	.name = "regs",
	.dump_task = dump_threads,
};

/* ---- restore ---- */

#define CLONE_THREAD_FLAGS                                                     \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |    \
	 CLONE_SYSVSEM)

/* struct clone_args up to set_tid (CLONE_ARGS_SIZE_VER1). */
struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size;
};

/*
 * Every thread but the leader, with its TID: clone3(set_tid) injected in
 * the leader. The new thread returns into the trampoline's "jmp ." and
 * spins there until the engine takes it; it inherits the leader's mask,
 * which blocks everything while we inject. Its own state comes at release.
 */
int rst_threads_create(struct rst_ctx *rc, struct rtask *t)
{
	for (int i = 1; i < t->nr_threads; i++) {
		uint64_t tid = (uint64_t)t->threads[i].tid;
		struct clone_args_ ca = {
			.flags = CLONE_THREAD_FLAGS,
			.set_tid_size = 1,
		};
		unsigned long a_tid, a_ca;
		long got;
		int ret;

		a_tid = rst_scratch_put(t, sizeof(ca), &tid, sizeof(tid));
		ca.set_tid = a_tid;
		a_ca = rst_scratch_put(t, 0, &ca, sizeof(ca));
		if (!a_tid || !a_ca)
			return -E2BIG;
		ret = rst_syscall(t, 0, SYS_clone3, a_ca, sizeof(ca), 0, 0, 0,
				  0, &got);
		if (ret)
			return ret;
		if (got != (long)tid) {
			pr_perr("create thread", t->pid, "tid %d: %s",
				t->threads[i].tid,
				got < 0 ? strerror((int)-got)
					: "got another tid");
			return got < 0 ? (int)got : -EEXIST;
		}
		ret = cryo_inject_add_thread(t->v, (pid_t)tid);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The registers a restored thread starts with. A thread that was inside
 * a syscall restarts it; one whose syscall keeps its remaining work in the
 * kernel's restart block (nanosleep, poll, futex with a timeout) cannot
 * get that block back, so:
 *   - a relative nanosleep/clock_nanosleep that was given a remaining-time
 *     pointer restarts with the remaining time the kernel wrote there when
 *     the dump interrupted it (the request argument now points at it);
 *   - any other restarts from its original arguments (a wait with a
 *     timeout gets its whole timeout again: never shorter, may be longer).
 * The engine then does what the kernel does for -ERESTARTSYS.
 */
static void restart_regs(struct user_regs_struct *r)
{
	if ((long)r->orig_rax < 0 ||
	    -(long)r->rax != 516 /* ERESTART_RESTARTBLOCK */)
		return;
	if (r->orig_rax == SYS_nanosleep && r->rsi)
		r->rdi = r->rsi;
	else if (r->orig_rax == SYS_clock_nanosleep && !(r->rsi & 1) && r->r10)
		r->rdx = r->r10;	   /* flags without TIMER_ABSTIME */
	r->rax = (unsigned long long)-512; /* ERESTARTSYS */
}

int rst_threads_state(struct rst_ctx *rc, struct rtask *t)
{
	for (int i = 0; i < t->nr_threads; i++) {
		struct rthread *th = &t->threads[i];
		struct user_regs_struct r;
		struct cryo_inject_state st = {
			.sz = sizeof(st),
			.regs = &r,
			.regs_len = sizeof(r),
			.xsave = th->xsave,
			.xsave_len = th->th.xsave_size,
			.sigmask = th->th.sigmask,
		};
		const struct cryo_img_sud *sud = rst_sud_config(t, th->tid);
		int ret;

		/* SUD is armed at release, after every injected syscall */
		if (sud) {
			st.sud_set = 1;
			st.sud_mode = sud->mode;
			st.sud_selector = sud->selector;
			st.sud_offset = sud->offset;
			st.sud_len = sud->len;
		}
		memcpy(&r, th->th.regs, sizeof(r));
		restart_regs(&r);
		ret = cryo_inject_set_state(t->v, th->tid, &st);
		if (ret)
			return ret;
	}
	return 0;
}
