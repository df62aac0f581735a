// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Timers of a process: the three interval timers (ITIMER records, armed
 * ones only, read with an injected getitimer) and every POSIX timer
 * (POSIX_TIMER records: id, clock, notification and signal value from
 * /proc/PID/timers, time left and interval from an injected timer_gettime,
 * the overrun count from timer_getoverrun).
 *
 * Restore: setitimer, and timer_create with the dumped ids, which the
 * kernel hands out on request once PR_TIMER_CREATE_RESTORE_IDS is on
 * (Linux 6.14), then timer_settime with the time that was left. Not
 * restorable: the overrun count (no interface sets it; the first signal
 * after restore counts from 0), and a timer signal that was queued at
 * dump comes back as an ordinary queued signal (res/signals.c), not tied
 * to its timer. Times are relative: a restore later than the dump fires
 * the timers later by the same delay (CLOCK_REALTIME absolute timers too).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "../log.h"
#include "../uapi.h"
#include "res.h"

#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS 77
#endif

/* struct itimerval and struct itimerspec: four 64-bit words each */
struct kval {
	int64_t interval_sec, interval_sub;
	int64_t value_sec, value_sub;
};

/* The kernel's struct sigevent on x86-64 (64 bytes). */
struct ksigevent {
	uint64_t value;
	int32_t signo;
	int32_t notify;
	int32_t tid;
	int32_t pad[11];
};

static int dump_itimers(struct dump_ctx *dc, struct dtask *t,
			unsigned long scratch)
{
	for (uint32_t which = 0; which < 3; which++) {
		struct cryo_img_itimer it = {.size = sizeof(it),
					     .pid = (uint32_t)t->pid,
					     .which = which};
		struct kval k;
		long res;
		int ret;

		ret = dump_syscall_ok(t, 0, "get interval timer", SYS_getitimer,
				      which, scratch, 0, 0, &res);
		if (!ret)
			ret = dump_read(t, scratch, &k, sizeof(k));
		if (ret)
			return ret;
		if (!k.value_sec && !k.value_sub)
			continue; /* disarmed */
		it.interval_sec = (uint64_t)k.interval_sec;
		it.interval_usec = (uint64_t)k.interval_sub;
		it.value_sec = (uint64_t)k.value_sec;
		it.value_usec = (uint64_t)k.value_sub;
		ret = cryo_img_write_rec(dc->w, CRYO_REC_ITIMER, &it,
					 sizeof(it), NULL, 0);
		if (ret)
			return ret;
	}
	return 0;
}

/* "signal/pid.N", "none/pid.N", "thread/pid.N", "signal/tid.N" */
static int parse_notify(const char *s, struct cryo_img_posix_timer *pt)
{
	static const char *const names[] = {"signal", "none", "thread"};
	size_t n;

	for (uint32_t i = 0; i < 3; i++) {
		n = strlen(names[i]);
		if (strncmp(s, names[i], n) || s[n] != '/')
			continue;
		pt->notify =
			i; /* SIGEV_SIGNAL 0, SIGEV_NONE 1, SIGEV_THREAD 2 */
		if (!strncmp(s + n + 1, "tid.", 4)) {
			pt->notify |= SIGEV_THREAD_ID;
			pt->notify_tid = (uint32_t)strtoul(s + n + 5, NULL, 10);
		}
		return 0;
	}
	return -EINVAL;
}

/* One "ID:" block of /proc/PID/timers into pt (id, clock, signal, notify). */
static int parse_timer(const char *blk, struct cryo_img_posix_timer *pt)
{
	const char *sig = proc_field(blk, "signal");
	const char *notify = proc_field(blk, "notify");
	const char *clock = proc_field(blk, "ClockID");
	char *end;

	if (!sig || !notify || !clock)
		return -EINVAL;
	pt->id = (uint32_t)strtoul(blk + 3, NULL, 10);
	pt->signo = (uint32_t)strtoul(sig, &end, 10);
	if (*end != '/')
		return -EINVAL;
	pt->value = strtoull(end + 1, NULL, 16);
	pt->clock = (int32_t)strtol(clock, NULL, 10);
	return parse_notify(notify, pt);
}

static int dump_one_timer(struct dump_ctx *dc, struct dtask *t,
			  unsigned long scratch, const char *blk)
{
	struct cryo_img_posix_timer pt = {.size = sizeof(pt),
					  .pid = (uint32_t)t->pid};
	struct kval k;
	long res;
	int ret;

	if (parse_timer(blk, &pt)) {
		pr_perr("read posix timers", t->pid,
			"unexpected /proc/PID/timers format");
		return -EINVAL;
	}
	ret = dump_syscall_ok(t, 0, "get posix timer", SYS_timer_gettime, pt.id,
			      scratch, 0, 0, &res);
	if (!ret)
		ret = dump_read(t, scratch, &k, sizeof(k));
	if (!ret)
		ret = dump_syscall_ok(t, 0, "get posix timer overrun",
				      SYS_timer_getoverrun, pt.id, 0, 0, 0,
				      &res);
	if (ret)
		return ret;
	pt.overrun = (uint32_t)res;
	pt.interval_sec = (uint64_t)k.interval_sec;
	pt.interval_nsec = (uint64_t)k.interval_sub;
	pt.value_sec = (uint64_t)k.value_sec;
	pt.value_nsec = (uint64_t)k.value_sub;
	return cryo_img_write_rec(dc->w, CRYO_REC_POSIX_TIMER, &pt, sizeof(pt),
				  NULL, 0);
}

/* The next "ID:" line at or after p ("ClockID:" contains "ID: " too). */
static char *next_id(char *text, char *p)
{
	for (; (p = strstr(p, "ID: ")); p += 4)
		if (p == text || p[-1] == '\n')
			return p;
	return NULL;
}

static int cmp_timer_blk(const void *a, const void *b)
{
	long x = strtol(*(char *const *)a + 3, NULL, 10);
	long y = strtol(*(char *const *)b + 3, NULL, 10);

	return (x > y) - (x < y);
}

static int dump_posix_timers(struct dump_ctx *dc, struct dtask *t,
			     unsigned long scratch)
{
	char *text, *p, **blks = NULL;
	int ret, nr = 0;

	ret = proc_slurp(t->pid, "timers", &text, NULL);
	if (ret) {
		pr_perr("read posix timers", t->pid, "%s", strerror(-ret));
		return ret;
	}
	/* the kernel lists them newest first: write them by id */
	for (p = next_id(text, text); p; p = next_id(text, p + 4)) {
		char **n = realloc(blks, sizeof(*n) * (size_t)(nr + 1));

		if (!n) {
			ret = -ENOMEM;
			goto out;
		}
		blks = n;
		blks[nr++] = p;
	}
	if (nr > 1)
		qsort(blks, (size_t)nr, sizeof(*blks), cmp_timer_blk);
	for (int i = 0; !ret && i < nr; i++) {
		char *next = next_id(text, blks[i] + 4);

		if (next)
			next[-1] = 0; /* proc_field must stay in this block */
		ret = dump_one_timer(dc, t, scratch, blks[i]);
		if (next)
			next[-1] = '\n';
	}
out:
	free(blks);
	free(text);
	return ret;
}

static int dump_timers(struct dump_ctx *dc, struct dtask *t)
{
	unsigned long scratch;
	int ret = dump_scratch(t, sizeof(struct kval), &scratch);

	if (ret)
		return ret;
	ret = dump_itimers(dc, t, scratch);
	if (!ret)
		ret = dump_posix_timers(dc, t, scratch);
	if (dump_scratch_free(t, scratch, sizeof(struct kval)) && !ret)
		ret = -EIO;
	return ret;
}

/* ---- restore ---- */

struct timers_priv {
	struct cryo_img_itimer it[3];
	bool armed[3];
	struct cryo_img_posix_timer *pt;
	int nr_pt;
};

static struct timers_priv *timers_priv(struct rtask *t)
{
	struct timers_priv *p = res_priv(t, &res_timers_ops);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (p && res_set_priv(t, &res_timers_ops, p)) {
		free(p);
		p = NULL;
	}
	return p;
}

static int timers_load(struct rst_ctx *rc, struct rtask *t, uint16_t type,
		       const void *payload, size_t len)
{
	struct timers_priv *p = timers_priv(t);
	struct cryo_img_posix_timer pt, *n;
	struct cryo_img_itimer it;
	const void *tail;
	uint64_t tl;

	if (!p)
		return -ENOMEM;
	if (type == CRYO_REC_ITIMER) {
		if (cryo_img_fixed(cryo_img_desc_get(type), payload, len, &it,
				   sizeof(it), &tail, &tl) ||
		    it.which > 2)
			goto bad;
		p->it[it.which] = it;
		p->armed[it.which] = true;
		return 0;
	}
	if (cryo_img_fixed(cryo_img_desc_get(type), payload, len, &pt,
			   sizeof(pt), &tail, &tl) ||
	    pt.id > INT32_MAX)
		goto bad;
	n = realloc(p->pt, sizeof(*n) * (size_t)(p->nr_pt + 1));
	if (!n)
		return -ENOMEM;
	p->pt = n;
	p->pt[p->nr_pt++] = pt;
	return 0;
bad:
	pr_perr("load timers", t->pid, "bad %s record",
		cryo_img_type_name(type));
	return -EBADMSG;
}

static int restore_itimers(struct rtask *t, struct timers_priv *p)
{
	for (int w = 0; w < 3; w++) {
		struct kval k = {(int64_t)p->it[w].interval_sec,
				 (int64_t)p->it[w].interval_usec,
				 (int64_t)p->it[w].value_sec,
				 (int64_t)p->it[w].value_usec};
		unsigned long addr;
		long res;
		int ret;

		if (!p->armed[w])
			continue;
		addr = rst_scratch_put(t, 0, &k, sizeof(k));
		if (!addr)
			return -ENOSPC;
		ret = rst_syscall_ok(t, 0, "set interval timer", SYS_setitimer,
				     (unsigned long)w, addr, 0, 0, 0, 0, &res);
		if (ret)
			return ret;
	}
	return 0;
}

/* timer_create with the dumped id (restore-ids mode is on), then arm it. */
static int restore_one_timer(struct rtask *t,
			     const struct cryo_img_posix_timer *pt)
{
	struct ksigevent ev = {.value = pt->value,
			       .signo = (int32_t)pt->signo,
			       .notify = (int32_t)pt->notify,
			       .tid = (int32_t)pt->notify_tid};
	struct kval k = {(int64_t)pt->interval_sec, (int64_t)pt->interval_nsec,
			 (int64_t)pt->value_sec, (int64_t)pt->value_nsec};
	int32_t id = (int32_t)pt->id;
	unsigned long a_ev, a_id, a_k;
	long res;
	int ret;

	a_ev = rst_scratch_put(t, 0, &ev, sizeof(ev));
	a_id = rst_scratch_put(t, sizeof(ev), &id, sizeof(id));
	a_k = rst_scratch_put(t, sizeof(ev) + 8, &k, sizeof(k));
	if (!a_ev || !a_id || !a_k)
		return -ENOSPC;
	ret = rst_syscall_ok(t, 0, "create posix timer", SYS_timer_create,
			     (unsigned long)(long)pt->clock, a_ev, a_id, 0, 0,
			     0, &res);
	if (!ret)
		ret = rst_scratch_get(t, sizeof(ev), &id, sizeof(id));
	if (ret)
		return ret;
	if (id != (int32_t)pt->id) {
		pr_perr("create posix timer", t->pid,
			"asked for id %u, the kernel gave %d", pt->id, id);
		return -EEXIST;
	}
	if (!pt->value_sec && !pt->value_nsec)
		return 0; /* disarmed */
	return rst_syscall_ok(t, 0, "arm posix timer", SYS_timer_settime,
			      pt->id, 0, a_k, 0, 0, 0, &res);
}

static int restore_posix_timers(struct rtask *t, struct timers_priv *p)
{
	long res;
	int ret;

	if (!p->nr_pt)
		return 0;
	ret = rst_syscall_ok(t, 0, "turn on timer id restore", SYS_prctl,
			     PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0, 0, 0, &res);
	for (int i = 0; !ret && i < p->nr_pt; i++)
		ret = restore_one_timer(t, &p->pt[i]);
	if (!ret)
		ret = rst_syscall_ok(t, 0, "turn off timer id restore",
				     SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS, 0,
				     0, 0, 0, 0, &res);
	return ret;
}

static int timers_restore_remote(struct rst_ctx *rc, struct rtask *t)
{
	struct timers_priv *p = res_priv(t, &res_timers_ops);
	int ret;

	if (!p)
		return 0; /* no timers in the image */
	ret = restore_itimers(t, p);
	if (!ret)
		ret = restore_posix_timers(t, p);
	return ret;
}

static void timers_free(struct rtask *t)
{
	struct timers_priv *p = res_priv(t, &res_timers_ops);

	if (!p)
		return;
	free(p->pt);
	free(p);
	res_set_priv(t, &res_timers_ops, NULL);
}

const struct res_ops res_timers_ops = {
	.name = "timers",
	.dump_task = dump_timers,
	.rec_types = {CRYO_REC_ITIMER, CRYO_REC_POSIX_TIMER},
	.load = timers_load,
	.restore_remote = timers_restore_remote,
	.free = timers_free,
};
