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
#include <sys/user.h>

#include "../dump.h"
#include "../log.h"

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
