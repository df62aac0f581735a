// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * creds: credentials survive C/R in every thread.
 *
 * State (set up as root, then a worker thread is created, which inherits
 * it): supplementary groups {5, 100, 1234}; gids real 2001, effective 2002,
 * saved 2003, fs 2003; CAP_SYS_BOOT, CAP_MKNOD and CAP_AUDIT_WRITE dropped
 * from the bounding set; CAP_SYS_ADMIN and CAP_NET_RAW dropped from the
 * permitted set; inheritable {CHOWN, NET_BIND_SERVICE}, ambient
 * {NET_BIND_SERVICE}; securebits KEEP_CAPS | NOROOT | NOROOT_LOCKED |
 * NO_CAP_AMBIENT_RAISE; uids real 1001, effective 1002, saved 0, and fs 0,
 * so that the test can still open its own files (fsuid 0 owns them);
 * effective {CHOWN, DAC_OVERRIDE, KILL, NET_BIND_SERVICE}; no_new_privs.
 * Verified in both threads with the raw per-thread syscalls: getresuid,
 * getresgid, fsuid and fsgid (setfs*id(-1)), getgroups, capget, every
 * bounding and ambient bit, securebits, no_new_privs.
 */
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crtest.h"

#define CAP(c) (1ULL << (c))
#define SECBITS                                                                \
	(SECBIT_KEEP_CAPS | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |             \
	 SECBIT_NO_CAP_AMBIENT_RAISE)

struct creds {
	uid_t uid[4];
	gid_t gid[4];
	int nr_groups;
	gid_t groups[32];
	uint64_t eff, prm, inh, bnd, amb;
	int securebits, nnp;
};

static struct creds want;
static atomic_int check_req, worker_done;

static void caps_get(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		cr_fail("capget: %m");
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
}

static void caps_set(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
		{(uint32_t)(eff >> 32), (uint32_t)(prm >> 32),
		 (uint32_t)(inh >> 32)}};

	if (syscall(SYS_capset, &h, d))
		cr_fatal("capset: %m");
}

/* The calling thread's credentials, through per-thread syscalls. */
static void read_creds(struct creds *c)
{
	memset(c, 0, sizeof(*c));
	syscall(SYS_getresuid, &c->uid[0], &c->uid[1], &c->uid[2]);
	syscall(SYS_getresgid, &c->gid[0], &c->gid[1], &c->gid[2]);
	c->uid[3] = (uid_t)syscall(SYS_setfsuid, -1);
	c->gid[3] = (gid_t)syscall(SYS_setfsgid, -1);
	c->nr_groups = (int)syscall(SYS_getgroups, 32, c->groups);
	caps_get(&c->eff, &c->prm, &c->inh);
	for (int i = 0; i < 64; i++) {
		if (prctl(PR_CAPBSET_READ, i) == 1)
			c->bnd |= CAP(i);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, i, 0, 0) == 1)
			c->amb |= CAP(i);
	}
	c->securebits = prctl(PR_GET_SECUREBITS);
	c->nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}

static void setup(void)
{
	static const gid_t groups[] = {5, 100, 1234};
	uint64_t eff, prm, inh;

	if (getuid() != 0)
		cr_skip("needs root");
	if (setgroups(3, groups) || setresgid(2001, 2002, 2003))
		cr_fatal("set gids: %m");
	syscall(SYS_setfsgid, 2003);
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT) ||
	    prctl(PR_CAPBSET_DROP, CAP_MKNOD) ||
	    prctl(PR_CAPBSET_DROP, CAP_AUDIT_WRITE))
		cr_fatal("PR_CAPBSET_DROP: %m");
	caps_get(&eff, &prm, &inh);
	prm &= ~(CAP(CAP_SYS_ADMIN) | CAP(CAP_NET_RAW));
	inh = CAP(CAP_CHOWN) | CAP(CAP_NET_BIND_SERVICE);
	caps_set(prm, prm, inh);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0,
		  0))
		cr_fatal("PR_CAP_AMBIENT_RAISE: %m");
	if (prctl(PR_SET_SECUREBITS, SECBITS))
		cr_fatal("PR_SET_SECUREBITS: %m");
	/* glibc's setresuid applies to every thread; setfsuid to this one */
	if (setresuid(1001, 1002, 0))
		cr_fatal("setresuid: %m");
	syscall(SYS_setfsuid, 0);
	caps_set(CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_KILL) |
			 CAP(CAP_NET_BIND_SERVICE),
		 prm, inh);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		cr_fatal("PR_SET_NO_NEW_PRIVS: %m");
	read_creds(&want);
	if (want.uid[3] != 0 || want.amb != CAP(CAP_NET_BIND_SERVICE))
		cr_fatal("setup: fsuid %u, ambient %#llx", want.uid[3],
			 (unsigned long long)want.amb);
}

static void cmp64(const char *who, const char *what, uint64_t got, uint64_t exp)
{
	if (got != exp)
		cr_fail("%s: %s %#llx, expected %#llx", who, what,
			(unsigned long long)got, (unsigned long long)exp);
}

static void check(const char *who)
{
	static const char *const idn[] = {"real", "effective", "saved", "fs"};
	struct creds c;

	read_creds(&c);
	for (int i = 0; i < 4; i++) {
		if (c.uid[i] != want.uid[i])
			cr_fail("%s: %s uid %u, expected %u", who, idn[i],
				c.uid[i], want.uid[i]);
		if (c.gid[i] != want.gid[i])
			cr_fail("%s: %s gid %u, expected %u", who, idn[i],
				c.gid[i], want.gid[i]);
	}
	if (c.nr_groups != want.nr_groups ||
	    memcmp(c.groups, want.groups, sizeof(c.groups)))
		cr_fail("%s: %d supplementary groups, not the %d expected", who,
			c.nr_groups, want.nr_groups);
	cmp64(who, "effective caps", c.eff, want.eff);
	cmp64(who, "permitted caps", c.prm, want.prm);
	cmp64(who, "inheritable caps", c.inh, want.inh);
	cmp64(who, "bounding set", c.bnd, want.bnd);
	cmp64(who, "ambient caps", c.amb, want.amb);
	cmp64(who, "securebits", (uint64_t)c.securebits,
	      (uint64_t)want.securebits);
	cmp64(who, "no_new_privs", (uint64_t)c.nnp, (uint64_t)want.nnp);
}

static void *worker(void *arg)
{
	while (!atomic_load(&check_req))
		cr_msleep(5);
	check("worker");
	atomic_store(&worker_done, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;

	cr_init(argc, argv);
	setup();
	if (pthread_create(&th, NULL, worker, NULL))
		cr_fatal("pthread_create failed");
	cr_daemon();
	cr_wait_check();
	check("main");
	atomic_store(&check_req, 1);
	pthread_join(th, NULL);
	cr_pass();
}
