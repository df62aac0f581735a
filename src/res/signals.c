// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Signal dispositions and queued signals of a process: one SIGACTION record
 * per signal whose disposition is not the default (handler, SA_* flags,
 * restorer, mask, read by an injected rt_sigaction(sig, NULL, &old)), and
 * one SIGINFO record per queued signal with its whole siginfo, in queue
 * order: the shared queue (PTRACE_PEEKSIGINFO with the shared flag), then
 * each thread's own.
 *
 * Restore sets every disposition (the new process is a fork of cryo and
 * carries cryo's), then queues the signals again from inside the process
 * (every signal stays blocked there until restore.c sets the image masks
 * at release, so they wait in their queues as they did):
 * rt_sigqueueinfo (shared) and rt_tgsigqueueinfo (per thread) accept any
 * si_code when a process signals itself, so kernel-made siginfos (SI_USER,
 * SI_TKILL, SIGCHLD's CLD_*) come back exactly.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "../log.h"
#include "../uapi.h"
#include "res.h"

#define NSIG_K	   64  /* signals 1..64 */
#define SIGINFO_SZ 128 /* the kernel's siginfo_t */
#define PEEK_BATCH 32

#ifndef PTRACE_PEEKSIGINFO_SHARED
#define PTRACE_PEEKSIGINFO_SHARED 1
#endif

/* The kernel's struct sigaction on x86-64 (rt_sigaction). */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct peek_args {
	uint64_t off;
	uint32_t flags;
	int32_t nr;
};

static bool sig_settable(int sig)
{
	return sig != SIGKILL && sig != SIGSTOP;
}

static int dump_sigactions(struct dump_ctx *dc, struct dtask *t)
{
	unsigned long scratch = 0;
	int ret;

	ret = dump_scratch(t, sizeof(struct ksigaction), &scratch);
	for (int sig = 1; !ret && sig <= NSIG_K; sig++) {
		struct cryo_img_sigaction a = {
			.size = sizeof(a), .pid = (uint32_t)t->pid, .sig = sig};
		struct ksigaction k = {0};
		long res;

		if (!sig_settable(sig))
			continue;
		ret = dump_syscall_ok(t, 0, "get signal action",
				      SYS_rt_sigaction, (unsigned long)sig, 0,
				      scratch, 8, &res);
		if (!ret)
			ret = dump_read(t, scratch, &k, sizeof(k));
		if (ret || (!k.handler && !k.flags && !k.mask))
			continue;
		a.handler = k.handler;
		a.flags = k.flags;
		a.restorer = k.restorer;
		a.mask = k.mask;
		ret = cryo_img_write_rec(dc->w, CRYO_REC_SIGACTION, &a,
					 sizeof(a), NULL, 0);
	}
	if (scratch && dump_scratch_free(t, scratch, sizeof(struct ksigaction)))
		ret = ret ? ret : -EIO;
	return ret;
}

/* Writes the signals queued for tid (shared: the process-wide queue). */
static int dump_queue(struct dump_ctx *dc, pid_t pid, pid_t tid, bool shared)
{
	struct cryo_img_siginfo s = {.size = sizeof(s),
				     .pid = (uint32_t)pid,
				     .tid = shared ? 0 : (uint32_t)tid};
	unsigned char buf[PEEK_BATCH][SIGINFO_SZ];
	struct peek_args a = {.flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0,
			      .nr = PEEK_BATCH};
	long n;

	for (;; a.off += (uint64_t)n) {
		n = ptrace(PTRACE_PEEKSIGINFO, tid, &a, buf);
		if (n < 0) {
			pr_perr("peek queued signals", tid, "%s",
				strerror(errno));
			return -errno;
		}
		if (!n)
			return 0;
		for (long i = 0; i < n; i++) {
			siginfo_t si;
			int ret;

			memcpy(&si, buf[i], sizeof(si));
			s.signo = (uint32_t)si.si_signo;
			s.code = si.si_code;
			ret = cryo_img_write_rec(dc->w, CRYO_REC_SIGINFO, &s,
						 sizeof(s), buf[i], SIGINFO_SZ);
			if (ret)
				return ret;
		}
	}
}

static int dump_signals(struct dump_ctx *dc, struct dtask *t)
{
	int ret = dump_sigactions(dc, t);

	if (!ret)
		ret = dump_queue(dc, t->pid, t->pid, true);
	for (int i = 0; !ret && i < t->nr_threads; i++)
		if (t->threads[i].seized)
			ret = dump_queue(dc, t->pid, t->threads[i].tid, false);
	return ret;
}

/* ---- restore ---- */

struct queued {
	pid_t tid; /* 0: shared */
	int sig;
	unsigned char info[SIGINFO_SZ];
};

struct sig_priv {
	struct ksigaction act[NSIG_K + 1];
	struct queued *q;
	int nr_q;
};

static struct sig_priv *sig_priv(struct rtask *t)
{
	struct sig_priv *p = res_priv(t, &res_signals_ops);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (p && res_set_priv(t, &res_signals_ops, p)) {
		free(p);
		p = NULL;
	}
	return p;
}

static int load_sigaction(struct rtask *t, struct sig_priv *p,
			  const void *payload, size_t len)
{
	struct cryo_img_sigaction a;
	const void *tail;
	uint64_t tl;

	if (cryo_img_fixed(cryo_img_desc_get(CRYO_REC_SIGACTION), payload, len,
			   &a, sizeof(a), &tail, &tl) ||
	    a.sig < 1 || a.sig > NSIG_K || !sig_settable((int)a.sig)) {
		pr_perr("load signal action", t->pid, "bad SIGACTION record");
		return -EBADMSG;
	}
	p->act[a.sig] =
		(struct ksigaction){a.handler, a.flags, a.restorer, a.mask};
	return 0;
}

static int load_siginfo(struct rtask *t, struct sig_priv *p,
			const void *payload, size_t len)
{
	struct cryo_img_siginfo s;
	struct queued *n;
	const void *tail;
	uint64_t tl;

	if (cryo_img_fixed(cryo_img_desc_get(CRYO_REC_SIGINFO), payload, len,
			   &s, sizeof(s), &tail, &tl) ||
	    tl != SIGINFO_SZ || s.signo < 1 || s.signo > NSIG_K) {
		pr_perr("load queued signal", t->pid, "bad SIGINFO record");
		return -EBADMSG;
	}
	n = realloc(p->q, sizeof(*n) * (size_t)(p->nr_q + 1));
	if (!n)
		return -ENOMEM;
	p->q = n;
	n[p->nr_q].tid = (pid_t)s.tid;
	n[p->nr_q].sig = (int)s.signo;
	memcpy(n[p->nr_q].info, tail, SIGINFO_SZ);
	p->nr_q++;
	return 0;
}

static int sig_load(struct rst_ctx *rc, struct rtask *t, uint16_t type,
		    const void *payload, size_t len)
{
	struct sig_priv *p = sig_priv(t);

	if (!p)
		return -ENOMEM;
	if (type == CRYO_REC_SIGACTION)
		return load_sigaction(t, p, payload, len);
	return load_siginfo(t, p, payload, len);
}

static int restore_actions(struct rtask *t, struct sig_priv *p)
{
	for (int sig = 1; sig <= NSIG_K; sig++) {
		unsigned long addr;
		long res;
		int ret;

		if (!sig_settable(sig))
			continue;
		/* absent from the image: SIG_DFL, no flags (all zero) */
		addr = rst_scratch_put(t, 0, &p->act[sig], sizeof(p->act[sig]));
		if (!addr)
			return -ENOSPC;
		ret = rst_syscall_ok(t, 0, "set signal action",
				     SYS_rt_sigaction, (unsigned long)sig, addr,
				     0, 8, 0, 0, &res);
		if (ret)
			return ret;
	}
	return 0;
}

static int restore_queue(struct rtask *t, struct sig_priv *p)
{
	for (int i = 0; i < p->nr_q; i++) {
		struct queued *q = &p->q[i];
		unsigned long addr;
		long res;
		int ret;

		addr = rst_scratch_put(t, 0, q->info, SIGINFO_SZ);
		if (!addr)
			return -ENOSPC;
		if (q->tid)
			ret = rst_syscall_ok(
				t, q->tid, "queue thread signal",
				SYS_rt_tgsigqueueinfo, (unsigned long)t->pid,
				(unsigned long)q->tid, (unsigned long)q->sig,
				addr, 0, 0, &res);
		else
			ret = rst_syscall_ok(
				t, 0, "queue process signal",
				SYS_rt_sigqueueinfo, (unsigned long)t->pid,
				(unsigned long)q->sig, addr, 0, 0, 0, &res);
		if (ret)
			return ret;
	}
	return 0;
}

static int sig_restore_remote(struct rst_ctx *rc, struct rtask *t)
{
	struct sig_priv *p = sig_priv(t);
	int ret;

	if (!p)
		return -ENOMEM;
	ret = restore_actions(t, p);
	if (!ret)
		ret = restore_queue(t, p);
	return ret;
}

static void sig_free(struct rtask *t)
{
	struct sig_priv *p = res_priv(t, &res_signals_ops);

	if (!p)
		return;
	free(p->q);
	free(p);
	res_set_priv(t, &res_signals_ops, NULL);
}

const struct res_ops res_signals_ops = {
	.name = "signals",
	.dump_task = dump_signals,
	.rec_types = {CRYO_REC_SIGACTION, CRYO_REC_SIGINFO},
	.load = sig_load,
	.restore_remote = sig_restore_remote,
	.free = sig_free,
};
