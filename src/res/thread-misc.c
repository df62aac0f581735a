// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-thread kernel state besides registers and the signal mask: one
 * THREAD_MISC record per thread with its comm, sigaltstack (injected
 * sigaltstack(NULL, &old)), clear_child_tid (injected PR_GET_TID_ADDRESS),
 * robust futex list (get_robust_list(tid) from cryo), rseq registration
 * (PTRACE_GET_RSEQ_CONFIGURATION), timer slack (injected PR_GET_TIMERSLACK),
 * scheduling attributes (sched_getattr(tid)) and CPU affinity
 * (sched_getaffinity(tid)).
 *
 * Restore: the new process is a fork of cryo, so its leader carries cryo's
 * robust list and clear_child_tid, pointing into cryo's TLS, which its new
 * address space does not have (restore.c drops cryo's rseq registration
 * at seize). restore_remote sets every thread's own values, absent ones
 * included, by injected syscalls in that thread
 * (comm by PR_SET_NAME: /proc/PID/task/TID/comm is writable only from the
 * same thread group; sigaltstack, set_tid_address, set_robust_list, rseq,
 * PR_SET_TIMERSLACK, which the kernel ignores for real-time threads: set
 * before the policy), and sched_setattr and sched_setaffinity from cryo.
 * Not restored: utilization clamps (sched_attr util_min/max).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../log.h"
#include "../uapi.h"
#include "res.h"

#ifndef PR_GET_TID_ADDRESS
#define PR_GET_TID_ADDRESS 40
#endif
#define SCHED_FLAGS_KEPT   0x7ULL /* RESET_ON_FORK, RECLAIM, DL_OVERRUN */
#define SCHED_ATTR_SIZE_V0 48
#define ROBUST_HEAD_SIZE   24 /* struct robust_list_head */
#define MAX_CPU_BYTES	   1024

struct ksched_attr {
	uint32_t size;
	uint32_t policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

/* stack_t on x86-64 */
struct kstack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

static int read_comm(pid_t pid, pid_t tid, char comm[16])
{
	char name[48], *buf;
	int ret;

	snprintf(name, sizeof(name), "task/%d/comm", (int)tid);
	ret = proc_slurp(pid, name, &buf, NULL);
	if (ret) {
		pr_perr("read comm", tid, "%s", strerror(-ret));
		return ret;
	}
	buf[strcspn(buf, "\n")] = 0;
	strncpy(comm, buf, 15);
	comm[15] = 0;
	free(buf);
	return 0;
}

/* What the thread itself must be asked: sigaltstack, tid address, slack. */
static int dump_injected_at(struct dtask *t, pid_t tid,
			    struct cryo_img_thread_misc *m,
			    unsigned long scratch)
{
	struct kstack ss;
	long res;
	int ret;

	ret = dump_syscall_ok(t, tid, "get sigaltstack", SYS_sigaltstack, 0,
			      scratch, 0, 0, &res);
	if (!ret)
		ret = dump_read(t, scratch, &ss, sizeof(ss));
	if (ret)
		return ret;
	m->sas_sp = ss.sp;
	m->sas_size = ss.size;
	m->sas_flags = (uint32_t)ss.flags;
	ret = dump_syscall_ok(t, tid, "get clear_child_tid", SYS_prctl,
			      PR_GET_TID_ADDRESS, scratch, 0, 0, &res);
	if (!ret)
		ret = dump_read(t, scratch, &m->clear_child_tid,
				sizeof(m->clear_child_tid));
	if (!ret)
		ret = dump_syscall_ok(t, tid, "get timer slack", SYS_prctl,
				      PR_GET_TIMERSLACK, 0, 0, 0, &res);
	if (!ret)
		m->timer_slack = (uint64_t)res;
	return ret;
}

static int dump_injected(struct dtask *t, pid_t tid,
			 struct cryo_img_thread_misc *m)
{
	unsigned long scratch;
	int ret = dump_scratch(t, sizeof(struct kstack), &scratch);

	if (ret)
		return ret;
	ret = dump_injected_at(t, tid, m, scratch);
	if (dump_scratch_free(t, scratch, sizeof(struct kstack)) && !ret)
		ret = -EIO;
	return ret;
}

/* What ptrace and the scheduler tell from outside. */
static int dump_outside(pid_t tid, struct cryo_img_thread_misc *m)
{
	struct cryo_rseq_config rc = {0};
	struct ksched_attr a = {0};
	size_t len;
	void *head;

	if (syscall(SYS_get_robust_list, tid, &head, &len)) {
		pr_perr("get robust list", tid, "%s", strerror(errno));
		return -errno;
	}
	m->robust_head = (uint64_t)(uintptr_t)head;
	m->robust_len = len;
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, sizeof(rc), &rc) < 0) {
		pr_perr("get rseq configuration", tid, "%s", strerror(errno));
		return -errno;
	}
	m->rseq_abi = rc.rseq_abi_pointer;
	m->rseq_len = rc.rseq_abi_size;
	m->rseq_sig = rc.signature;
	m->rseq_flags = rc.flags;
	if (syscall(SYS_sched_getattr, tid, &a, sizeof(a), 0)) {
		pr_perr("get scheduling attributes", tid, "%s",
			strerror(errno));
		return -errno;
	}
	m->sched_policy = a.policy;
	m->sched_flags = a.flags;
	m->sched_nice = a.nice;
	m->sched_priority = a.priority;
	m->sched_runtime = a.runtime;
	m->sched_deadline = a.deadline;
	m->sched_period = a.period;
	return 0;
}

static int dump_one(struct dump_ctx *dc, struct dtask *t, pid_t tid)
{
	struct cryo_img_thread_misc m = {.size = sizeof(m),
					 .pid = (uint32_t)t->pid,
					 .tid = (uint32_t)tid};
	unsigned char cpus[MAX_CPU_BYTES];
	long n;
	int ret;

	ret = read_comm(t->pid, tid, m.comm);
	if (!ret)
		ret = dump_injected(t, tid, &m);
	if (!ret)
		ret = dump_outside(tid, &m);
	if (ret)
		return ret;
	/* the raw syscall returns the kernel's mask size in bytes */
	n = syscall(SYS_sched_getaffinity, tid, sizeof(cpus), cpus);
	if (n < 0) {
		pr_perr("get CPU affinity", tid, "%s", strerror(errno));
		return -errno;
	}
	n = (n + 3) & ~3L;
	m.nr_cpus = (uint32_t)n * 8;
	return cryo_img_write_rec(dc->w, CRYO_REC_THREAD_MISC, &m, sizeof(m),
				  cpus, (size_t)n);
}

static int dump_thread_misc(struct dump_ctx *dc, struct dtask *t)
{
	int ret = 0;

	for (int i = 0; !ret && i < t->nr_threads; i++)
		if (t->threads[i].seized)
			ret = dump_one(dc, t, t->threads[i].tid);
	return ret;
}

/* ---- restore ---- */

struct tm_one {
	struct cryo_img_thread_misc m;
	unsigned char cpus[MAX_CPU_BYTES];
	size_t cpu_bytes;
};

struct tm_priv {
	struct tm_one *th;
	int nr;
};

static int tm_load(struct rst_ctx *rc, struct rtask *t, uint16_t type,
		   const void *payload, size_t len)
{
	struct tm_priv *p = res_priv(t, &res_thread_misc_ops);
	struct tm_one *n;
	const void *tail;
	uint64_t tl;

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || res_set_priv(t, &res_thread_misc_ops, p)) {
			free(p);
			return -ENOMEM;
		}
	}
	n = realloc(p->th, sizeof(*n) * (size_t)(p->nr + 1));
	if (!n)
		return -ENOMEM;
	p->th = n;
	n += p->nr;
	memset(n, 0, sizeof(*n));
	if (cryo_img_fixed(cryo_img_desc_get(type), payload, len, &n->m,
			   sizeof(n->m), &tail, &tl) ||
	    tl > MAX_CPU_BYTES) {
		pr_perr("load thread settings", t->pid,
			"bad THREAD_MISC record");
		return -EBADMSG;
	}
	memcpy(n->cpus, tail, tl);
	n->cpu_bytes = tl;
	p->nr++;
	return 0;
}

static int set_sigaltstack(struct rtask *t,
			   const struct cryo_img_thread_misc *m)
{
	struct kstack ss = {.flags = SS_DISABLE};
	unsigned long addr;
	long res;

	if (!(m->sas_flags & SS_DISABLE)) {
		/* SS_ONSTACK only says where the thread's sp was */
		ss.sp = m->sas_sp;
		ss.size = m->sas_size;
		ss.flags = (int32_t)(m->sas_flags & ~(uint32_t)SS_ONSTACK);
	}
	addr = rst_scratch_put(t, 0, &ss, sizeof(ss));
	if (!addr)
		return -ENOSPC;
	return rst_syscall_ok(t, (pid_t)m->tid, "set sigaltstack",
			      SYS_sigaltstack, addr, 0, 0, 0, 0, 0, &res);
}

static int set_injected(struct rtask *t, const struct cryo_img_thread_misc *m)
{
	pid_t tid = (pid_t)m->tid;
	char comm[16];
	unsigned long addr;
	long res;
	int ret;

	/* only the thread group itself may write /proc/PID/task/TID/comm */
	memcpy(comm, m->comm, sizeof(comm));
	comm[15] = 0;
	addr = rst_scratch_put(t, 0, comm, sizeof(comm));
	if (!addr)
		return -ENOSPC;
	ret = rst_syscall_ok(t, tid, "set comm", SYS_prctl, PR_SET_NAME, addr,
			     0, 0, 0, 0, &res);
	if (!ret)
		ret = set_sigaltstack(t, m);
	if (!ret)
		ret = rst_syscall_ok(t, tid, "set clear_child_tid",
				     SYS_set_tid_address, m->clear_child_tid, 0,
				     0, 0, 0, 0, &res);
	if (!ret)
		ret = rst_syscall_ok(t, tid, "set robust list",
				     SYS_set_robust_list, m->robust_head,
				     m->robust_len ? m->robust_len
						   : ROBUST_HEAD_SIZE,
				     0, 0, 0, 0, &res);
	if (!ret && m->rseq_abi)
		ret = rst_syscall_ok(t, tid, "register rseq", SYS_rseq,
				     m->rseq_abi, m->rseq_len, 0, m->rseq_sig,
				     0, 0, &res);
	if (!ret)
		ret = rst_syscall_ok(t, tid, "set timer slack", SYS_prctl,
				     PR_SET_TIMERSLACK, m->timer_slack, 0, 0, 0,
				     0, &res);
	return ret;
}

static int set_sched(pid_t tid, const struct tm_one *o)
{
	const struct cryo_img_thread_misc *m = &o->m;
	struct ksched_attr a = {
		.size = SCHED_ATTR_SIZE_V0,
		.policy = m->sched_policy,
		.flags = m->sched_flags & SCHED_FLAGS_KEPT,
		.nice = m->sched_nice,
		.priority = m->sched_priority,
		.runtime = m->sched_runtime,
		.deadline = m->sched_deadline,
		.period = m->sched_period,
	};

	if (syscall(SYS_sched_setattr, tid, &a, 0)) {
		pr_perr("set scheduling attributes", tid,
			"policy %u priority %u nice %d: %s", a.policy,
			a.priority, a.nice, strerror(errno));
		return -errno;
	}
	if (o->cpu_bytes &&
	    syscall(SYS_sched_setaffinity, tid, o->cpu_bytes, o->cpus)) {
		pr_perr("set CPU affinity", tid, "%s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int tm_restore_remote(struct rst_ctx *rc, struct rtask *t)
{
	struct tm_priv *p = res_priv(t, &res_thread_misc_ops);
	int ret = 0;

	for (int i = 0; p && !ret && i < p->nr; i++) {
		const struct tm_one *o = &p->th[i];

		ret = set_injected(t, &o->m);
		if (!ret)
			ret = set_sched((pid_t)o->m.tid, o);
	}
	return ret;
}

static void tm_free(struct rtask *t)
{
	struct tm_priv *p = res_priv(t, &res_thread_misc_ops);

	if (!p)
		return;
	free(p->th);
	free(p);
	res_set_priv(t, &res_thread_misc_ops, NULL);
}

const struct res_ops res_thread_misc_ops = {
	.name = "thread-misc",
	.dump_task = dump_thread_misc,
	.rec_types = {CRYO_REC_THREAD_MISC},
	.load = tm_load,
	.restore_remote = tm_restore_remote,
	.free = tm_free,
};
