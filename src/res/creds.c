// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Restoring credentials (the CREDS record, written by res/task.c and loaded
 * into rtask.creds by the restore core): groups, uids, gids, securebits
 * and the five capability sets, in every thread (credentials are per
 * thread; the image has the leader's, which every thread gets).
 *
 * This module is last in the table: once it has run, the process may no
 * longer be allowed what the other modules need. The order inside matters
 * because each step needs privileges a later one gives up:
 *   1. setgroups, setresgid, setfsgid   need CAP_SETGID;
 *   2. drop the bounding set            needs CAP_SETPCAP;
 *   3. securebits = KEEP_CAPS|NO_SETUID_FIXUP, so that changing uids below
 *      neither clears the permitted set nor the effective one;
 *   4. setresuid, setfsuid              need CAP_SETUID (still effective);
 *   5. capset: the image's sets plus CAP_SETPCAP in permitted and
 *      effective (inheritable first, as ambient caps must be in it);
 *   6. ambient: clear, then raise each (needs it permitted and
 *      inheritable, and no NO_CAP_AMBIENT_RAISE securebit yet);
 *   7. securebits = the image's (needs CAP_SETPCAP; may lock bits);
 *   8. capset: exactly the image's sets (only drops: always allowed; the
 *      ambient set survives as it is within permitted and inheritable).
 * Then the settings commit_creds() resets (dumpable, pdeath signal) and
 * no_new_privs (proc_misc_after_creds()).
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "../log.h"
#include "res.h"

#define CAP_BIT(c) (1ULL << (c))

struct kcap_data {
	uint32_t effective, permitted, inheritable;
};

struct kcaps {
	uint32_t version;
	int32_t pid;
	struct kcap_data d[2];
};

static int cap_last(void)
{
	char *s;
	int last = 40;

	if (!slurp_file("/proc/sys/kernel/cap_last_cap", &s, NULL)) {
		last = atoi(s);
		free(s);
	}
	return last < 63 ? last : 63;
}

static int set_ids(struct rtask *t, pid_t tid, bool gids)
{
	const uint32_t *id = gids ? t->creds.gid : t->creds.uid;
	long nr = gids ? SYS_setresgid : SYS_setresuid;
	long fsnr = gids ? SYS_setfsgid : SYS_setfsuid;
	long res;
	int ret;

	ret = rst_syscall_ok(t, tid, gids ? "set gids" : "set uids", nr, id[0],
			     id[1], id[2], 0, 0, 0, &res);
	if (!ret) /* setfs*id returns the old id, never an error: check */
		ret = rst_syscall(t, tid, fsnr, id[3], 0, 0, 0, 0, 0, &res);
	if (!ret)
		ret = rst_syscall(t, tid, fsnr, (unsigned long)-1, 0, 0, 0, 0,
				  0, &res);
	if (!ret && (uint32_t)res != id[3]) {
		pr_perr(gids ? "set fsgid" : "set fsuid", tid,
			"%u asked, %ld set", id[3], res);
		ret = -EPERM;
	}
	return ret;
}

static int set_groups(struct rtask *t, pid_t tid)
{
	size_t len = sizeof(uint32_t) * t->creds.nr_groups;
	unsigned long addr = 0;
	long res;

	if (len) {
		addr = rst_scratch_put(t, 0, t->groups, len);
		if (!addr)
			return -ENOSPC;
	}
	return rst_syscall_ok(t, tid, "set groups", SYS_setgroups,
			      t->creds.nr_groups, addr, 0, 0, 0, 0, &res);
}

static int drop_bounding(struct rtask *t, pid_t tid, int last)
{
	long res;
	int ret = 0;

	for (int c = 0; !ret && c <= last; c++)
		if (!(t->creds.cap_bnd & CAP_BIT(c)))
			ret = rst_syscall_ok(t, tid, "drop bounding capability",
					     SYS_prctl, PR_CAPBSET_DROP,
					     (unsigned long)c, 0, 0, 0, 0,
					     &res);
	return ret;
}

static int set_caps(struct rtask *t, pid_t tid, uint64_t extra)
{
	uint64_t eff = t->creds.cap_eff | extra, prm = t->creds.cap_prm | extra;
	struct kcaps k = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.d = {{(uint32_t)eff, (uint32_t)prm,
		       (uint32_t)t->creds.cap_inh},
		      {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32),
		       (uint32_t)(t->creds.cap_inh >> 32)}},
	};
	unsigned long addr = rst_scratch_put(t, 0, &k, sizeof(k));
	long res;

	if (!addr)
		return -ENOSPC;
	/* header at addr, data right after it */
	return rst_syscall_ok(t, tid, "set capabilities", SYS_capset, addr,
			      addr + 8, 0, 0, 0, 0, &res);
}

static int set_ambient(struct rtask *t, pid_t tid, int last)
{
	long res;
	int ret;

	ret = rst_syscall_ok(t, tid, "clear ambient capabilities", SYS_prctl,
			     PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0,
			     0, &res);
	for (int c = 0; !ret && c <= last; c++)
		if (t->creds.cap_amb & CAP_BIT(c))
			ret = rst_syscall_ok(t, tid, "raise ambient capability",
					     SYS_prctl, PR_CAP_AMBIENT,
					     PR_CAP_AMBIENT_RAISE,
					     (unsigned long)c, 0, 0, 0, &res);
	return ret;
}

static int set_securebits(struct rtask *t, pid_t tid, unsigned long bits)
{
	long res;

	return rst_syscall_ok(t, tid, "set securebits", SYS_prctl,
			      PR_SET_SECUREBITS, bits, 0, 0, 0, 0, &res);
}

static int restore_thread_creds(struct rtask *t, pid_t tid, int last)
{
	const uint64_t setpcap = CAP_BIT(CAP_SETPCAP);
	int ret;

	ret = set_groups(t, tid);
	if (!ret)
		ret = set_ids(t, tid, true);
	if (!ret)
		ret = drop_bounding(t, tid, last);
	if (!ret)
		ret = set_securebits(t, tid,
				     SECBIT_KEEP_CAPS | SECBIT_NO_SETUID_FIXUP);
	if (!ret)
		ret = set_ids(t, tid, false);
	if (!ret)
		ret = set_caps(t, tid, setpcap);
	if (!ret)
		ret = set_ambient(t, tid, last);
	if (!ret)
		ret = set_securebits(t, tid, t->creds.securebits);
	if (!ret)
		ret = set_caps(t, tid, 0);
	return ret;
}

static int creds_restore_remote(struct rst_ctx *rc, struct rtask *t)
{
	int last = cap_last(), ret = 0;

	for (int i = 0; !ret && i < t->nr_threads; i++)
		ret = restore_thread_creds(t, t->threads[i].tid, last);
	if (!ret)
		ret = proc_misc_after_creds(rc, t);
	return ret;
}

const struct res_ops res_creds_ops = {
	.name = "creds",
	.restore_remote = creds_restore_remote,
};
