// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp_chains: every thread's own seccomp state survives C/R.
 *
 * State: the leader has no filter; thread "none" has none either; thread
 * "one" one filter (sysinfo fails with errno 201); thread "three" three
 * filters, the second installed with SECCOMP_FILTER_FLAG_LOG (sysinfo:
 * 211, times: 212, sysinfo: 213; for equal actions the newest filter's
 * data wins, so sysinfo gives 213 only if the order is kept); thread
 * "strict" is in strict mode (read, write, _exit, sigreturn only) and
 * spins answering the leader through memory.
 * Verified after restore, in each thread: sysinfo and times return what
 * its chain says (errno values), /proc/self/task/TID/status says the same
 * Seccomp mode and Seccomp_filters count; the strict thread still answers;
 * and a child of the leader (which has no filter, as ptrace needs) reads
 * every chain with PTRACE_SECCOMP_GET_FILTER/GET_METADATA and compares
 * the programs and flags, oldest first, with the ones installed.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crtest.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef PTRACE_SECCOMP_GET_METADATA
#define PTRACE_SECCOMP_GET_METADATA 0x420d
#endif

#define PROG_LEN  7
#define MAX_CHAIN 3

enum { T_NONE, T_ONE, T_THREE, T_STRICT, NR_T };

struct filt {
	long nr;
	int err;
	unsigned int flags;
	struct sock_filter prog[PROG_LEN];
};

struct thr {
	const char *name;
	int nfilt;
	struct filt f[MAX_CHAIN];
	pthread_t th;
	pid_t tid;
	int want_sysinfo, want_times; /* errno, 0: the syscall works */
};

static struct thr thr[NR_T] = {
	[T_NONE] = {"none", 0, {{0}}},
	[T_ONE] = {"one", 1, {{SYS_sysinfo, 201, 0}}},
	[T_THREE] = {"three",
		     3,
		     {{SYS_sysinfo, 211, 0},
		      {SYS_times, 212, SECCOMP_FILTER_FLAG_LOG},
		      {SYS_sysinfo, 213, 0}}},
	[T_STRICT] = {"strict", 0, {{0}}},
};

static atomic_int ready, check_req, checked;
static _Atomic unsigned int strict_req, strict_ack;

/* Fails syscall nr with err; any other arch than x86-64 kills. */
static void build(struct filt *f)
{
	struct sock_filter p[PROG_LEN] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)f->nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO | (unsigned int)f->err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	memcpy(f->prog, p, sizeof(p));
}

/* errno of a syscall, 0 if it worked. */
static int try_sysinfo(void)
{
	char buf[256];

	return syscall(SYS_sysinfo, buf) ? errno : 0;
}

static int try_times(void)
{
	struct tms t;

	errno = 0;
	return syscall(SYS_times, &t) == -1 ? errno : 0;
}

static void check_status(struct thr *t, int mode, int nfilt)
{
	char buf[32];

	if (cr_proc_status(t->tid, "Seccomp", buf, sizeof(buf)) ||
	    atoi(buf) != mode)
		cr_fail("%s: Seccomp: %s, expected %d", t->name, buf, mode);
	if (cr_proc_status(t->tid, "Seccomp_filters", buf, sizeof(buf)) ||
	    atoi(buf) != nfilt)
		cr_fail("%s: Seccomp_filters: %s, expected %d", t->name, buf,
			nfilt);
}

/* In the thread: its syscalls fail as its chain says. */
static void check_self(struct thr *t)
{
	int e;

	e = try_sysinfo();
	if (e != t->want_sysinfo)
		cr_fail("%s: sysinfo errno %d, expected %d", t->name, e,
			t->want_sysinfo);
	e = try_times();
	if (e != t->want_times)
		cr_fail("%s: times errno %d, expected %d", t->name, e,
			t->want_times);
}

static void *worker(void *arg)
{
	struct thr *t = arg;

	t->tid = cr_gettid();
	for (int i = 0; i < t->nfilt; i++) {
		struct sock_fprog fp = {PROG_LEN, t->f[i].prog};

		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, t->f[i].flags,
			    &fp))
			cr_fatal("%s: seccomp filter %d: %m", t->name, i);
	}
	check_self(t);
	atomic_fetch_add(&ready, 1);
	while (!atomic_load(&check_req))
		cr_msleep(5);
	check_self(t);
	atomic_fetch_add(&checked, 1);
	for (;;)
		cr_msleep(1000);
	return NULL;
}

/* Nothing but memory from here on: strict mode allows no other syscall. */
static void *strict_worker(void *arg)
{
	struct thr *t = arg;

	t->tid = cr_gettid();
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0))
		cr_fatal("strict mode: %m");
	atomic_fetch_add(&ready, 1);
	for (;;) {
		unsigned int r = atomic_load(&strict_req);

		if (r != atomic_load(&strict_ack))
			atomic_store(&strict_ack, r);
		__builtin_ia32_pause();
	}
	return NULL;
}

/* Waits for the strict thread to answer request n. */
static void ask_strict(unsigned int n)
{
	atomic_store(&strict_req, n);
	for (int i = 0; i < 2000 && atomic_load(&strict_ack) != n; i++)
		cr_msleep(1);
	if (atomic_load(&strict_ack) != n)
		cr_fail("strict: no answer to request %u", n);
}

/* In a child: compare thread t's chain, read by ptrace, with the program. */
static int ptrace_compare(struct thr *t)
{
	struct sock_filter got[PROG_LEN + 1];
	int bad = 0, st;
	long n;

	if (ptrace(PTRACE_SEIZE, t->tid, 0, 0) ||
	    ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) ||
	    waitpid(t->tid, &st, __WALL) != t->tid) {
		cr_msg("%s: cannot seize thread %d: %m", t->name, t->tid);
		return 1;
	}
	for (int i = 0;; i++) {
		struct {
			uint64_t off, flags;
		} md = {(uint64_t)i, 0};

		n = ptrace(PTRACE_SECCOMP_GET_FILTER, t->tid, i, NULL);
		if (n < 0) {
			int e = errno;

			if ((e == ENOENT || (e == EINVAL && !i)) &&
			    i == t->nfilt)
				break;
			cr_msg("%s: filter %d: %s, %d expected", t->name, i,
			       strerror(e), t->nfilt);
			bad++;
			break;
		}
		if (i >= t->nfilt || n != PROG_LEN) {
			cr_msg("%s: filter %d has %ld insns, %d filters expected",
			       t->name, i, n, t->nfilt);
			bad++;
			break;
		}
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, t->tid, i, got) != n ||
		    memcmp(got, t->f[i].prog, sizeof(t->f[i].prog))) {
			cr_msg("%s: filter %d differs from the one installed",
			       t->name, i);
			bad++;
		}
		if (ptrace(PTRACE_SECCOMP_GET_METADATA, t->tid, sizeof(md),
			   &md) < 0 ||
		    md.flags != t->f[i].flags) {
			cr_msg("%s: filter %d flags 0x%llx, expected 0x%x",
			       t->name, i, (unsigned long long)md.flags,
			       t->f[i].flags);
			bad++;
		}
	}
	ptrace(PTRACE_DETACH, t->tid, 0, 0);
	return bad;
}

static void check_chains_by_ptrace(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		cr_fatal("fork: %m");
	if (pid == 0) {
		int bad = 0;

		for (int i = 0; i < NR_T; i++)
			if (i != T_STRICT)
				bad += ptrace_compare(&thr[i]);
		_exit(bad ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		cr_fail("the chains read by ptrace differ (status 0x%x)", st);
}

int main(int argc, char **argv)
{
	struct thr self = {.name = "leader"};

	cr_init(argc, argv);
	for (int i = 0; i < NR_T; i++) {
		struct thr *t = &thr[i];

		for (int k = 0; k < t->nfilt; k++) {
			build(&t->f[k]);
			if (t->f[k].nr == SYS_sysinfo)
				t->want_sysinfo = t->f[k].err;
			else
				t->want_times = t->f[k].err;
		}
		if (pthread_create(&t->th, NULL,
				   i == T_STRICT ? strict_worker : worker, t))
			cr_fatal("pthread_create");
	}
	while (atomic_load(&ready) < NR_T)
		cr_msleep(5);
	self.tid = cr_gettid();
	ask_strict(1);
	check_chains_by_ptrace();
	if (cr_failures())
		cr_fatal("setup: the chains are not what was installed");
	cr_daemon();
	cr_wait_check();

	check_self(&self);
	check_status(&self, 0, 0);
	for (int i = 0; i < NR_T; i++)
		check_status(&thr[i],
			     i == T_STRICT  ? 1
			     : thr[i].nfilt ? 2
					    : 0,
			     thr[i].nfilt);
	ask_strict(2);
	atomic_store(&check_req, 1);
	while (atomic_load(&checked) < NR_T - 1)
		cr_msleep(5);
	check_chains_by_ptrace();
	cr_pass();
}
