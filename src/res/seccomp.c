// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp and Syscall User Dispatch, per thread.
 *
 * Dump: every thread's seccomp mode (/proc/PID/task/TID/status "Seccomp:")
 * and, in filter mode, its chain read with PTRACE_SECCOMP_GET_FILTER
 * (index 0 is the oldest filter, ENOENT past the newest) and
 * PTRACE_SECCOMP_GET_METADATA (its flags: only FILTER_FLAG_LOG is
 * reported). Filters are content-addressed: each distinct (flags,
 * program) is one SECCOMP_FILTER record, written first, and each thread
 * that is not SECCOMP_MODE_DISABLED one SECCOMP_CHAIN record listing
 * filter ids, oldest first. A thread's SUD config (one SUD record if it is
 * on) is the engine's copy, read at seize: the engine switches SUD off
 * around its injections and re-arms it from that copy, so the copy is
 * what the thread has whenever it runs.
 *
 * Restore, in the table right before the credentials:
 *   - the filters go in before the credentials, because installing one
 *     needs CAP_SYS_ADMIN or no_new_privs in the thread: the new process
 *     has every capability until the credentials module drops them, and
 *     its no_new_privs is set only after them (proc_misc_after_creds()).
 *     A process that installed its filters while privileged and dropped
 *     its capabilities afterwards, without no_new_privs, could not get
 *     them back otherwise. The seccomp suspension the engine sets at
 *     seize (PTRACE_O_SUSPEND_SECCOMP) keeps every filter, RET_KILL and
 *     strict mode included, off the syscalls injected afterwards, by the
 *     credentials module, restore.c and the engine's release, until
 *     detach.
 *   - the part of the chains that every thread shares (all of it when
 *     the threads have the same chain) is installed once, in the leader,
 *     with SECCOMP_FILTER_FLAG_TSYNC: the threads then share the filters
 *     as the kernel's inheritance made them share them; the rest of each
 *     chain goes into its own thread, oldest first. Separate copies of
 *     the same filter behave the same way as a shared one.
 *   - strict mode last in its thread (a thread in strict mode had no
 *     filters: the kernel never goes from one mode to the other).
 *   - SUD is armed by the engine at release, right before detach
 *     (rst_sud_config() hands the config to res/regs.c), so that none
 *     of cryo's own syscalls is dispatched. The selector byte is ordinary
 *     memory, restored with it.
 * Not restorable, refused at dump: a filter that returns
 * SECCOMP_RET_USER_NOTIF (its listener and supervisor are outside the
 * process). Not dumpable at all: SECCOMP_FILTER_FLAG_SPEC_ALLOW, which
 * the kernel does not report (docs/kernel-quirks.md).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "../log.h"
#include "../uapi.h"
#include "res.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef PTRACE_SECCOMP_GET_METADATA
#define PTRACE_SECCOMP_GET_METADATA 0x420d
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#define MAX_INSNS 4096 /* BPF_MAXINSNS */

struct sc_metadata {
	uint64_t filter_off;
	uint64_t flags;
};

struct sc_filter {
	uint32_t id;
	uint32_t flags;
	uint64_t hash;
	uint32_t n;
	struct sock_filter *insns;
};

struct sc_chain {
	pid_t tid;
	uint32_t mode;
	uint32_t nr;
	uint32_t *ids;
};

/* Both sides keep the same tables: filters, chains, SUD configs. */
struct sc_priv {
	struct sc_filter *f;
	int nr_f;
	struct sc_chain *c;
	int nr_c;
	struct cryo_img_sud *sud;
	int nr_sud;
};

static void sc_priv_free(struct sc_priv *p)
{
	for (int i = 0; i < p->nr_f; i++)
		free(p->f[i].insns);
	for (int i = 0; i < p->nr_c; i++)
		free(p->c[i].ids);
	free(p->f);
	free(p->c);
	free(p->sud);
}

static uint64_t filter_hash(uint32_t flags, const struct sock_filter *insns,
			    uint32_t n)
{
	const unsigned char *b = (const unsigned char *)insns;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < 4; i++)
		h = (h ^ ((flags >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
	for (size_t i = 0; i < (size_t)n * sizeof(*insns); i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The id of an equal filter already known, or the new one's; takes insns. */
static int intern_filter(struct sc_priv *p, uint32_t flags,
			 struct sock_filter *insns, uint32_t n, uint32_t *id)
{
	uint64_t h = filter_hash(flags, insns, n);
	struct sc_filter *f;

	for (int i = 0; i < p->nr_f; i++) {
		f = &p->f[i];
		if (f->hash == h && f->flags == flags && f->n == n &&
		    !memcmp(f->insns, insns, n * sizeof(*insns))) {
			free(insns);
			*id = f->id;
			return 0;
		}
	}
	f = realloc(p->f, sizeof(*f) * (size_t)(p->nr_f + 1));
	if (!f) {
		free(insns);
		return -ENOMEM;
	}
	p->f = f;
	f += p->nr_f;
	f->id = (uint32_t)++p->nr_f;
	f->flags = flags;
	f->hash = h;
	f->n = n;
	f->insns = insns;
	*id = f->id;
	return 0;
}

static int chain_add(struct sc_chain *c, uint32_t id)
{
	uint32_t *n = realloc(c->ids, sizeof(*n) * (c->nr + 1));

	if (!n)
		return -ENOMEM;
	c->ids = n;
	c->ids[c->nr++] = id;
	return 0;
}

static int thread_mode(pid_t pid, pid_t tid, uint32_t *mode)
{
	char name[48], *status;
	const char *v;
	int ret;

	snprintf(name, sizeof(name), "task/%d/status", (int)tid);
	ret = proc_slurp(pid, name, &status, NULL);
	if (ret) {
		pr_perr("read status", tid, "%s", strerror(-ret));
		return ret;
	}
	v = proc_field(status, "Seccomp");
	*mode = v ? (uint32_t)strtoul(v, NULL, 10) : 0;
	free(status);
	return 0;
}

/* A RET of USER_NOTIF needs a listener that is not part of the process. */
static bool notifies(const struct sock_filter *insns, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (insns[i].code == (BPF_RET | BPF_K) &&
		    (insns[i].k & SECCOMP_RET_ACTION_FULL) ==
			    SECCOMP_RET_USER_NOTIF)
			return true;
	return false;
}

/* Filter idx of thread tid (0: the oldest); 1 past the last one. */
static int get_filter(struct sc_priv *p, pid_t tid, unsigned long idx,
		      uint32_t *id)
{
	struct sc_metadata md = {.filter_off = idx};
	struct sock_filter *insns;
	long n;

	n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, idx, NULL);
	if (n < 0 && errno == ENOENT)
		return 1;
	if (n <= 0 || n > MAX_INSNS) {
		pr_perr("get seccomp filter", tid, "filter %lu: %s", idx,
			n < 0 ? strerror(errno) : "bad length");
		return n < 0 ? -errno : -EIO;
	}
	insns = calloc((size_t)n, sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, idx, insns) != n) {
		pr_perr("get seccomp filter", tid, "filter %lu: %s", idx,
			strerror(errno));
		free(insns);
		return -EIO;
	}
	if (ptrace(PTRACE_SECCOMP_GET_METADATA, tid, sizeof(md), &md) < 0) {
		pr_perr("get seccomp filter flags", tid, "filter %lu: %s", idx,
			strerror(errno));
		free(insns);
		return -errno;
	}
	if (notifies(insns, (uint32_t)n)) {
		pr_perr("dump seccomp filter", tid,
			"filter %lu returns SECCOMP_RET_USER_NOTIF: its listener and supervisor cannot be restored",
			idx);
		free(insns);
		return -EOPNOTSUPP;
	}
	return intern_filter(p, (uint32_t)md.flags, insns, (uint32_t)n, id);
}

static int dump_chain(struct sc_priv *p, struct dtask *t, pid_t tid)
{
	struct sc_chain *c;
	uint32_t mode, id = 0;
	int ret;

	ret = thread_mode(t->pid, tid, &mode);
	if (ret || mode == SECCOMP_MODE_DISABLED)
		return ret;
	c = realloc(p->c, sizeof(*c) * (size_t)(p->nr_c + 1));
	if (!c)
		return -ENOMEM;
	p->c = c;
	c += p->nr_c++;
	memset(c, 0, sizeof(*c));
	c->tid = tid;
	c->mode = mode;
	for (unsigned long i = 0; mode == SECCOMP_MODE_FILTER; i++) {
		ret = get_filter(p, tid, i, &id);
		if (ret > 0)
			break;
		if (!ret)
			ret = chain_add(c, id);
		if (ret)
			return ret;
	}
	if (mode == SECCOMP_MODE_FILTER && !c->nr) {
		pr_perr("dump seccomp filters", tid,
			"in filter mode without a filter");
		return -EIO;
	}
	return 0;
}

/* The engine's copy of the thread's SUD config at seize. */
static int dump_sud(struct sc_priv *p, struct dtask *t, pid_t tid)
{
	const struct cryo_inject_thread *it = NULL;
	struct cryo_img_sud *s;

	for (int i = 0; (it = cryo_inject_thread(t->victim, i)); i++)
		if (it->tid == tid)
			break;
	if (!it || it->sud_mode == PR_SYS_DISPATCH_OFF)
		return 0;
	s = realloc(p->sud, sizeof(*s) * (size_t)(p->nr_sud + 1));
	if (!s)
		return -ENOMEM;
	p->sud = s;
	s += p->nr_sud++;
	*s = (struct cryo_img_sud){
		.size = sizeof(*s),
		.pid = (uint32_t)t->pid,
		.tid = (uint32_t)tid,
		.mode = it->sud_mode,
		.selector = it->sud_selector,
		.offset = it->sud_offset,
		.len = it->sud_len,
	};
	return 0;
}

static int write_all(struct dump_ctx *dc, struct dtask *t,
		     const struct sc_priv *p)
{
	int ret = 0;

	for (int i = 0; !ret && i < p->nr_f; i++) {
		const struct sc_filter *f = &p->f[i];
		struct cryo_img_seccomp_filter r = {
			.size = sizeof(r),
			.pid = (uint32_t)t->pid,
			.id = f->id,
			.flags = f->flags,
			.hash = f->hash,
			.nr_insns = f->n,
		};

		ret = cryo_img_write_rec(dc->w, CRYO_REC_SECCOMP_FILTER, &r,
					 sizeof(r), f->insns,
					 f->n * sizeof(*f->insns));
	}
	for (int i = 0; !ret && i < p->nr_c; i++) {
		const struct sc_chain *c = &p->c[i];
		struct cryo_img_seccomp_chain r = {
			.size = sizeof(r),
			.pid = (uint32_t)t->pid,
			.tid = (uint32_t)c->tid,
			.mode = c->mode,
			.nr_filters = c->nr,
		};

		ret = cryo_img_write_rec(dc->w, CRYO_REC_SECCOMP_CHAIN, &r,
					 sizeof(r), c->ids,
					 c->nr * sizeof(*c->ids));
	}
	for (int i = 0; !ret && i < p->nr_sud; i++)
		ret = cryo_img_write_rec(dc->w, CRYO_REC_SUD, &p->sud[i],
					 sizeof(p->sud[i]), NULL, 0);
	return ret;
}

static int sc_dump(struct dump_ctx *dc, struct dtask *t)
{
	struct sc_priv p = {0};
	int ret = 0;

	for (int i = 0; !ret && i < t->nr_threads; i++) {
		if (!t->threads[i].seized)
			continue;
		ret = dump_chain(&p, t, t->threads[i].tid);
		if (!ret)
			ret = dump_sud(&p, t, t->threads[i].tid);
	}
	if (!ret)
		ret = write_all(dc, t, &p);
	sc_priv_free(&p);
	return ret;
}

/* ---- restore ---- */

static struct sc_priv *get_priv(struct rtask *t)
{
	struct sc_priv *p = res_priv(t, &res_seccomp_ops);

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (p && res_set_priv(t, &res_seccomp_ops, p)) {
			free(p);
			p = NULL;
		}
	}
	return p;
}

static bool has_thread(const struct rtask *t, uint32_t tid)
{
	for (int i = 0; i < t->nr_threads; i++)
		if (t->threads[i].tid == (pid_t)tid)
			return true;
	return false;
}

static const struct sc_filter *find_filter(const struct sc_priv *p, uint32_t id)
{
	for (int i = 0; i < p->nr_f; i++)
		if (p->f[i].id == id)
			return &p->f[i];
	return NULL;
}

static int load_filter(struct rtask *t, struct sc_priv *p, const void *tail,
		       uint64_t tl, const struct cryo_img_seccomp_filter *r)
{
	struct sc_filter *f;

	if (!r->nr_insns || r->nr_insns > MAX_INSNS ||
	    tl != (uint64_t)r->nr_insns * sizeof(struct sock_filter) ||
	    !r->id || find_filter(p, r->id))
		return -EBADMSG;
	f = realloc(p->f, sizeof(*f) * (size_t)(p->nr_f + 1));
	if (!f)
		return -ENOMEM;
	p->f = f;
	f += p->nr_f;
	f->insns = malloc(tl);
	if (!f->insns)
		return -ENOMEM;
	memcpy(f->insns, tail, tl);
	f->id = r->id;
	f->flags = r->flags;
	f->hash = r->hash;
	f->n = r->nr_insns;
	p->nr_f++;
	return 0;
}

static int load_chain(struct rtask *t, struct sc_priv *p, const void *tail,
		      uint64_t tl, const struct cryo_img_seccomp_chain *r)
{
	struct sc_chain *c;

	if (tl != (uint64_t)r->nr_filters * 4 || !has_thread(t, r->tid) ||
	    (r->mode != SECCOMP_MODE_STRICT &&
	     r->mode != SECCOMP_MODE_FILTER) ||
	    (r->mode == SECCOMP_MODE_STRICT) != !r->nr_filters)
		return -EBADMSG;
	for (int i = 0; i < p->nr_c; i++)
		if (p->c[i].tid == (pid_t)r->tid)
			return -EBADMSG;
	c = realloc(p->c, sizeof(*c) * (size_t)(p->nr_c + 1));
	if (!c)
		return -ENOMEM;
	p->c = c;
	c += p->nr_c;
	memset(c, 0, sizeof(*c));
	c->tid = (pid_t)r->tid;
	c->mode = r->mode;
	if (r->nr_filters) {
		c->ids = malloc(tl);
		if (!c->ids)
			return -ENOMEM;
		memcpy(c->ids, tail, tl);
	}
	c->nr = r->nr_filters;
	p->nr_c++;
	/* the filters come first in the image */
	for (uint32_t i = 0; i < c->nr; i++)
		if (!find_filter(p, c->ids[i]))
			return -EBADMSG;
	return 0;
}

static int load_sud(struct rtask *t, struct sc_priv *p,
		    const struct cryo_img_sud *r)
{
	struct cryo_img_sud *s;

	if (!has_thread(t, r->tid) || rst_sud_config(t, (pid_t)r->tid))
		return -EBADMSG;
	s = realloc(p->sud, sizeof(*s) * (size_t)(p->nr_sud + 1));
	if (!s)
		return -ENOMEM;
	p->sud = s;
	p->sud[p->nr_sud++] = *r;
	return 0;
}

static int sc_load(struct rst_ctx *rc, struct rtask *t, uint16_t type,
		   const void *payload, size_t len)
{
	const struct cryo_img_desc *d = cryo_img_desc_get(type);
	struct sc_priv *p = get_priv(t);
	union {
		struct cryo_img_seccomp_filter f;
		struct cryo_img_seccomp_chain c;
		struct cryo_img_sud s;
	} u;
	const void *tail;
	uint64_t tl;
	int ret;

	if (!p)
		return -ENOMEM;
	ret = cryo_img_fixed(d, payload, len, &u, d->cur_size, &tail, &tl);
	if (!ret && type == CRYO_REC_SECCOMP_FILTER)
		ret = load_filter(t, p, tail, tl, &u.f);
	else if (!ret && type == CRYO_REC_SECCOMP_CHAIN)
		ret = load_chain(t, p, tail, tl, &u.c);
	else if (!ret && type == CRYO_REC_SUD)
		ret = load_sud(t, p, &u.s);
	if (ret == -EBADMSG)
		pr_perr("load seccomp state", t->pid, "bad %s record", d->name);
	return ret;
}

const struct cryo_img_sud *rst_sud_config(struct rtask *t, pid_t tid)
{
	const struct sc_priv *p = res_priv(t, &res_seccomp_ops);

	for (int i = 0; p && i < p->nr_sud; i++)
		if (p->sud[i].tid == (uint32_t)tid)
			return &p->sud[i];
	return NULL;
}

static const struct sc_chain *chain_of(const struct sc_priv *p, pid_t tid)
{
	for (int i = 0; p && i < p->nr_c; i++)
		if (p->c[i].tid == tid)
			return &p->c[i];
	return NULL;
}

/* seccomp(SET_MODE_FILTER) injected in tid, the program in the scratch. */
static int install(struct rtask *t, pid_t tid, const struct sc_filter *f,
		   bool tsync)
{
	struct {
		uint16_t len;
		uint16_t pad[3];
		uint64_t filter;
	} prog = {.len = (uint16_t)f->n};
	unsigned long a_prog, a_insns, flags = f->flags;
	long res;
	int ret;

	a_insns = rst_scratch_put(t, sizeof(prog), f->insns,
				  f->n * sizeof(*f->insns));
	prog.filter = a_insns;
	a_prog = rst_scratch_put(t, 0, &prog, sizeof(prog));
	if (!a_insns || !a_prog)
		return -ENOSPC;
	if (tsync)
		flags |= SECCOMP_FILTER_FLAG_TSYNC;
	ret = rst_syscall_ok(t, tid, "install seccomp filter", SYS_seccomp,
			     SECCOMP_SET_MODE_FILTER, flags, a_prog, 0, 0, 0,
			     &res);
	/* TSYNC: a positive result is the thread that could not follow */
	if (!ret && res) {
		pr_perr("install seccomp filter", tid,
			"thread %ld could not be synchronized", res);
		ret = -EBUSY;
	}
	if (!ret)
		pr_debug("pid %d: seccomp filter %u (%u insns, flags %#lx)%s",
			 (int)tid, f->id, f->n, flags,
			 tsync ? " in every thread" : "");
	return ret;
}

/* How many filters, from the oldest, every thread's chain has in common. */
static uint32_t common_prefix(const struct rtask *t, const struct sc_priv *p)
{
	const struct sc_chain *c0 = chain_of(p, t->threads[0].tid);
	uint32_t n = c0 ? c0->nr : 0;

	for (int i = 1; n && i < t->nr_threads; i++) {
		const struct sc_chain *c = chain_of(p, t->threads[i].tid);
		uint32_t k = 0;

		if (!c)
			return 0;
		while (k < n && k < c->nr && c->ids[k] == c0->ids[k])
			k++;
		n = k;
	}
	return n;
}

static int sc_restore_remote(struct rst_ctx *rc, struct rtask *t)
{
	const struct sc_priv *p = res_priv(t, &res_seccomp_ops);
	uint32_t shared;
	long res;
	int ret = 0;

	if (!p || !p->nr_c) {
		if (t->task.seccomp_mode == SECCOMP_MODE_DISABLED)
			return 0;
		pr_perr("restore", t->pid,
			"seccomp mode %u but no SECCOMP_CHAIN record: an image from before seccomp was dumped",
			t->task.seccomp_mode);
		return -EOPNOTSUPP;
	}
	shared = common_prefix(t, p);
	for (uint32_t k = 0; !ret && k < shared; k++)
		ret = install(t, t->pid,
			      find_filter(p, chain_of(p, t->pid)->ids[k]),
			      t->nr_threads > 1);
	for (int i = 0; !ret && i < t->nr_threads; i++) {
		pid_t tid = t->threads[i].tid;
		const struct sc_chain *c = chain_of(p, tid);

		for (uint32_t k = shared; !ret && c && k < c->nr; k++)
			ret = install(t, tid, find_filter(p, c->ids[k]), false);
	}
	for (int i = 0; !ret && i < p->nr_c; i++)
		if (p->c[i].mode == SECCOMP_MODE_STRICT)
			ret = rst_syscall_ok(
				t, p->c[i].tid, "enter seccomp strict mode",
				SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, 0, 0,
				0, 0, &res);
	return ret;
}

static void sc_free(struct rtask *t)
{
	struct sc_priv *p = res_priv(t, &res_seccomp_ops);

	if (!p)
		return;
	sc_priv_free(p);
	free(p);
	res_set_priv(t, &res_seccomp_ops, NULL);
}

const struct res_ops res_seccomp_ops = {
	.name = "seccomp",
	.dump_task = sc_dump,
	.rec_types = {CRYO_REC_SECCOMP_FILTER, CRYO_REC_SECCOMP_CHAIN,
		      CRYO_REC_SUD},
	.load = sc_load,
	.restore_remote = sc_restore_remote,
	.free = sc_free,
};
