// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-process settings: resource limits (RLIMITS, from /proc/PID/limits,
 * which works whatever the target's uid, unlike prlimit without
 * CAP_SYS_RESOURCE), and PROC_MISC: dumpable, the leader's pdeath signal,
 * child subreaper, THP disable (injected prctl), oom_score_adj (procfs),
 * cwd and root (readlink in /proc, as seen from cryo's root).
 *
 * Restore, in the new process before it is seized: cwd (chdir while still
 * in cryo's root), then root (chroot, only when it is not "/"), umask
 * (TASK record). From cryo once it is back: personality in every thread
 * (TASK record), subreaper, THP disable, oom_score_adj (raising it is free,
 * lowering it below what the new process inherited needs
 * CAP_SYS_RESOURCE), then the resource limits last, so that nothing the
 * restore itself does is held to them (queued signals, open files). A hard
 * limit above the one the new process inherited from cryo cannot be raised
 * without CAP_SYS_RESOURCE: the restore fails naming the limit.
 * After the credentials, the credentials module calls
 * proc_misc_after_creds(): dumpable (commit_creds() resets it) and
 * no_new_privs (one-way) in every thread. The pdeath signal (reset by
 * commit_creds() too) goes to rtask.pdeath_sig, which restore.c sets in
 * the leader after every module; the image has the leader's only, and
 * threads start without one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../log.h"
#include "res.h"

#define NR_RLIM	       16 /* RLIMIT_CPU .. RLIMIT_RTTIME */
#define LIM_SOFT_COL   26 /* "%-25s %-20s %-20s %-10s" in fs/proc/base.c */
#define LIM_HARD_COL   47
#define THP_EXCEPT_ADV (1UL << 1) /* PR_THP_DISABLE_EXCEPT_ADVISED */

static const char *const rlim_names[NR_RLIM] = {
	"RLIMIT_CPU",	   "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
	"RLIMIT_CORE",	   "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK",  "RLIMIT_AS",	   "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

struct lim {
	uint64_t cur, max;
};

static uint64_t lim_value(const char *s)
{
	if (!strncmp(s, "unlimited", 9))
		return RLIM_INFINITY;
	return strtoull(s, NULL, 10);
}

/* Parses /proc/PID/limits: a title line, then one line per RLIMIT_*. */
static int parse_limits(char *text, struct lim *l)
{
	char *line = strchr(text, '\n');

	for (int i = 0; i < NR_RLIM; i++) {
		char *next;

		if (!line)
			return -EINVAL;
		line++;
		next = strchr(line, '\n');
		if (!next || next - line < LIM_HARD_COL)
			return -EINVAL;
		l[i].cur = lim_value(line + LIM_SOFT_COL);
		l[i].max = lim_value(line + LIM_HARD_COL);
		line = next;
	}
	return 0;
}

static int dump_rlimits(struct dump_ctx *dc, struct dtask *t)
{
	struct cryo_img_rlimits r = {
		.size = sizeof(r), .pid = (uint32_t)t->pid, .nr = NR_RLIM};
	struct lim l[NR_RLIM];
	char *text;
	int ret;

	ret = proc_slurp(t->pid, "limits", &text, NULL);
	if (ret) {
		pr_perr("read limits", t->pid, "%s", strerror(-ret));
		return ret;
	}
	ret = parse_limits(text, l);
	free(text);
	if (ret) {
		pr_perr("read limits", t->pid,
			"unexpected /proc/PID/limits format");
		return ret;
	}
	return cryo_img_write_rec(dc->w, CRYO_REC_RLIMITS, &r, sizeof(r), l,
				  sizeof(l));
}

/* prctl(option, scratch) that stores an int at its argument. */
static int get_int_prctl(struct dtask *t, const char *what, int option,
			 unsigned long scratch, uint32_t *out)
{
	long res;
	int v, ret;

	ret = dump_syscall_ok(t, 0, what, SYS_prctl, (unsigned long)option,
			      scratch, 0, 0, &res);
	if (!ret)
		ret = dump_read(t, scratch, &v, sizeof(v));
	if (!ret)
		*out = (uint32_t)v;
	return ret;
}

static int get_prctls_at(struct dtask *t, struct cryo_img_proc_misc *m,
			 unsigned long scratch)
{
	long res;
	int ret;

	ret = dump_syscall_ok(t, 0, "get dumpable", SYS_prctl, PR_GET_DUMPABLE,
			      0, 0, 0, &res);
	if (ret)
		return ret;
	m->dumpable = (uint32_t)res;
	ret = dump_syscall_ok(t, 0, "get THP disable", SYS_prctl,
			      PR_GET_THP_DISABLE, 0, 0, 0, &res);
	if (ret)
		return ret;
	m->thp_disable = (uint32_t)res;
	ret = get_int_prctl(t, "get pdeath signal", PR_GET_PDEATHSIG, scratch,
			    &m->pdeathsig);
	if (!ret)
		ret = get_int_prctl(t, "get child subreaper",
				    PR_GET_CHILD_SUBREAPER, scratch,
				    &m->subreaper);
	return ret;
}

static int get_prctls(struct dtask *t, struct cryo_img_proc_misc *m)
{
	unsigned long scratch;
	int ret = dump_scratch(t, sizeof(int), &scratch);

	if (ret)
		return ret;
	ret = get_prctls_at(t, m, scratch);
	if (dump_scratch_free(t, scratch, sizeof(int)) && !ret)
		ret = -EIO;
	return ret;
}

static int read_link(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	n = readlink(path, buf, len - 1);
	if (n < 0) {
		pr_perr("read link", pid, "%s: %s", path, strerror(errno));
		return -errno;
	}
	buf[n] = 0;
	return 0;
}

static int dump_proc_misc(struct dump_ctx *dc, struct dtask *t)
{
	struct cryo_img_proc_misc m = {.size = sizeof(m),
				       .pid = (uint32_t)t->pid};
	char paths[2 * 4096], *adj = NULL;
	size_t n;
	int ret;

	ret = dump_rlimits(dc, t);
	if (!ret)
		ret = get_prctls(t, &m);
	if (ret)
		return ret;
	ret = proc_slurp(t->pid, "oom_score_adj", &adj, NULL);
	if (ret) {
		pr_perr("read oom_score_adj", t->pid, "%s", strerror(-ret));
		return ret;
	}
	m.oom_score_adj = (int32_t)strtol(adj, NULL, 10);
	free(adj);
	ret = read_link(t->pid, "cwd", paths, 4096);
	if (ret)
		return ret;
	n = strlen(paths) + 1;
	ret = read_link(t->pid, "root", paths + n, 4096);
	if (ret)
		return ret;
	n += strlen(paths + n) + 1;
	return cryo_img_write_rec(dc->w, CRYO_REC_PROC_MISC, &m, sizeof(m),
				  paths, n);
}

/* ---- restore ---- */

struct misc_priv {
	struct cryo_img_proc_misc m;
	bool have_misc;
	char *cwd, *root;
	struct lim lim[NR_RLIM];
	bool have_lim;
};

static struct misc_priv *misc_priv(struct rtask *t)
{
	struct misc_priv *p = res_priv(t, &res_proc_misc_ops);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (p && res_set_priv(t, &res_proc_misc_ops, p)) {
		free(p);
		p = NULL;
	}
	return p;
}

/* The tail: two NUL-terminated paths, cwd then root. */
static int load_paths(struct misc_priv *p, const char *tail, uint64_t tl)
{
	const char *end = memchr(tail, 0, tl);

	if (!end || !memchr(end + 1, 0, tl - (uint64_t)(end + 1 - tail)))
		return -EBADMSG;
	p->cwd = strdup(tail);
	p->root = strdup(end + 1);
	return p->cwd && p->root ? 0 : -ENOMEM;
}

static int misc_load(struct rst_ctx *rc, struct rtask *t, uint16_t type,
		     const void *payload, size_t len)
{
	struct misc_priv *p = misc_priv(t);
	struct cryo_img_rlimits r;
	const void *tail;
	uint64_t tl;
	int ret = -EBADMSG;

	if (!p)
		return -ENOMEM;
	if (type == CRYO_REC_PROC_MISC) {
		if (!cryo_img_fixed(cryo_img_desc_get(type), payload, len,
				    &p->m, sizeof(p->m), &tail, &tl))
			ret = load_paths(p, tail, tl);
		p->have_misc = !ret;
		/* restore.c sets it last (until then the process dies with
		 * cryo), in the leader: new threads start without one */
		t->pdeath_sig = (int)p->m.pdeathsig;
	} else if (!cryo_img_fixed(cryo_img_desc_get(type), payload, len, &r,
				   sizeof(r), &tail, &tl) &&
		   tl == (uint64_t)r.nr * sizeof(struct lim)) {
		/* limits this kernel does not know are left as they are */
		memcpy(p->lim, tail,
		       sizeof(struct lim) * (r.nr < NR_RLIM ? r.nr : NR_RLIM));
		for (uint32_t i = r.nr; i < NR_RLIM; i++)
			getrlimit((int)i, (struct rlimit *)&p->lim[i]);
		p->have_lim = true;
		ret = 0;
	}
	if (ret == -EBADMSG)
		pr_perr("load process settings", t->pid, "bad %s record",
			cryo_img_type_name(type));
	return ret;
}

static int misc_restore_child(struct rst_ctx *rc, struct rtask *t)
{
	struct misc_priv *p = res_priv(t, &res_proc_misc_ops);

	umask((mode_t)(t->task.umask & 0777));
	if (!p || !p->have_misc)
		return 0;
	if (chdir(p->cwd)) {
		pr_perr("restore cwd", t->pid, "chdir %s: %s", p->cwd,
			strerror(errno));
		return -errno;
	}
	if (strcmp(p->root, "/") && chroot(p->root)) {
		pr_perr("restore root", t->pid, "chroot %s: %s", p->root,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* The limit the new process has now (for the message of a failure). */
static uint64_t current_max(struct rtask *t, int i)
{
	unsigned long addr = rst_scratch_put(t, 0, &(struct lim){0, 0}, 16);
	struct lim old = {0, 0};
	long res;

	if (addr &&
	    !rst_syscall(t, 0, SYS_prlimit64, 0, (unsigned long)i, 0, addr, 0,
			 0, &res) &&
	    !res)
		(void)rst_scratch_get(t, 0, &old, sizeof(old));
	return old.max;
}

/* One limit; a hard limit above the inherited one needs CAP_SYS_RESOURCE. */
static int restore_rlimit(struct rtask *t, int i, const struct lim *l)
{
	unsigned long addr = rst_scratch_put(t, 0, l, sizeof(*l));
	long res;
	int ret;

	if (!addr)
		return -ENOSPC;
	ret = rst_syscall(t, 0, SYS_prlimit64, 0, (unsigned long)i, addr, 0, 0,
			  0, &res);
	if (ret)
		return ret;
	if (!res)
		return 0;
	if (res == -EPERM)
		pr_perr("restore limits", t->pid,
			"%s: hard limit %llu is above the %llu the restored "
			"process got from cryo; raising it needs "
			"CAP_SYS_RESOURCE",
			rlim_names[i], (unsigned long long)l->max,
			(unsigned long long)current_max(t, i));
	else
		pr_perr("restore limits", t->pid, "%s: %s", rlim_names[i],
			strerror((int)-res));
	return (int)res;
}

static int restore_oom_adj(struct rtask *t, int adj)
{
	char val[16];

	snprintf(val, sizeof(val), "%d", adj);
	return proc_write_str(t->pid, 0, "oom_score_adj",
			      "restore oom_score_adj", val);
}

static int restore_prctls(struct rtask *t, const struct cryo_img_proc_misc *m)
{
	long res;
	int ret;

	ret = rst_syscall_ok(t, 0, "set child subreaper", SYS_prctl,
			     PR_SET_CHILD_SUBREAPER, m->subreaper, 0, 0, 0, 0,
			     &res);
	if (!ret && (m->thp_disable & 1))
		ret = rst_syscall_ok(
			t, 0, "set THP disable", SYS_prctl, PR_SET_THP_DISABLE,
			1, m->thp_disable & THP_EXCEPT_ADV, 0, 0, 0, &res);
	return ret;
}

static int misc_restore_remote(struct rst_ctx *rc, struct rtask *t)
{
	struct misc_priv *p = res_priv(t, &res_proc_misc_ops);
	long res;
	int ret = 0;

	/* personality is per thread; the TASK record has the leader's */
	for (int i = 0; !ret && i < t->nr_threads; i++)
		ret = rst_syscall_ok(t, t->threads[i].tid, "set personality",
				     SYS_personality, t->task.personality, 0, 0,
				     0, 0, 0, &res);
	if (ret || !p)
		return ret;
	if (p->have_misc) {
		ret = restore_prctls(t, &p->m);
		if (!ret)
			ret = restore_oom_adj(t, p->m.oom_score_adj);
	}
	for (int i = 0; !ret && p->have_lim && i < NR_RLIM; i++)
		ret = restore_rlimit(t, i, &p->lim[i]);
	return ret;
}

int proc_misc_after_creds(struct rst_ctx *rc, struct rtask *t)
{
	struct misc_priv *p = res_priv(t, &res_proc_misc_ops);
	long res;
	int ret = 0;

	if (p && p->have_misc && p->m.dumpable <= 1)
		ret = rst_syscall_ok(t, 0, "set dumpable", SYS_prctl,
				     PR_SET_DUMPABLE, p->m.dumpable, 0, 0, 0, 0,
				     &res);
	else if (p && p->have_misc)
		pr_warn("pid %d: dumpable %u cannot be set by prctl, left as "
			"the kernel made it",
			(int)t->pid, p->m.dumpable);
	for (int i = 0; !ret && t->task.no_new_privs && i < t->nr_threads; i++)
		ret = rst_syscall_ok(t, t->threads[i].tid, "set no_new_privs",
				     SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0,
				     0, &res);
	return ret;
}

static void misc_free(struct rtask *t)
{
	struct misc_priv *p = res_priv(t, &res_proc_misc_ops);

	if (!p)
		return;
	free(p->cwd);
	free(p->root);
	free(p);
	res_set_priv(t, &res_proc_misc_ops, NULL);
}

const struct res_ops res_proc_misc_ops = {
	.name = "proc-misc",
	.dump_task = dump_proc_misc,
	.rec_types = {CRYO_REC_RLIMITS, CRYO_REC_PROC_MISC},
	.load = misc_load,
	.restore_child = misc_restore_child,
	.restore_remote = misc_restore_remote,
	.free = misc_free,
};
