// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp_tsync: a filter installed in every thread at once (TSYNC) that
 * kills the process on mmap and munmap, survives C/R, and so does a
 * second filter of the leader alone.
 *
 * State: the leader and two workers. Filter A, installed by the leader
 * with SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG: mmap and
 * munmap RET_KILL_PROCESS, sysinfo fails with errno 221. Filter B, the
 * leader's only: times fails with errno 222. cryo's own injected mmap and
 * munmap (its scratch areas, at dump and at restore) must not be seen by
 * A: the whole test dies if one is.
 * Verified after restore: in each thread, sysinfo fails with 221, times
 * with 222 in the leader and works in the workers, /proc status says
 * Seccomp 2 with 2 (leader) or 1 filters; a child forked by a worker (it
 * inherits A) is killed by SIGSYS when it calls munmap, and so is one
 * forked by the leader that calls mmap.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crtest.h"

#define NR_W 2

#define LD(field)                                                              \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

static struct sock_filter filter_a[] = {
	LD(arch),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	RET(SECCOMP_RET_KILL_PROCESS),
	LD(nr),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 2, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sysinfo, 1, 2),
	RET(SECCOMP_RET_KILL_PROCESS),
	RET(SECCOMP_RET_ERRNO | 221),
	RET(SECCOMP_RET_ALLOW),
};

static struct sock_filter filter_b[] = {
	LD(nr),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_times, 0, 1),
	RET(SECCOMP_RET_ERRNO | 222),
	RET(SECCOMP_RET_ALLOW),
};

struct thr {
	char name[16];
	pthread_t th;
	pid_t tid;
	bool leader;
};

static struct thr thr[NR_W + 1];
static atomic_int ready, check_req, checked;

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

/* A child that makes syscall nr must die of SIGSYS (RET_KILL_PROCESS). */
static void check_kill(struct thr *t, long nr, const char *what)
{
	static char page[4096] __attribute__((aligned(4096)));
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		cr_fail("%s: fork: %m", t->name);
		return;
	}
	if (pid == 0) {
		if (nr == SYS_munmap)
			syscall(SYS_munmap, page, sizeof(page));
		else
			syscall(SYS_mmap, NULL, 4096, PROT_READ,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		cr_fail("%s: waitpid: %m", t->name);
	else if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
		cr_fail("%s: a child calling %s was not killed by SIGSYS "
			"(status 0x%x)",
			t->name, what, st);
}

static void check_self(struct thr *t)
{
	char buf[32];
	int e;

	e = try_sysinfo();
	if (e != 221)
		cr_fail("%s: sysinfo errno %d, expected 221", t->name, e);
	e = try_times();
	if (e != (t->leader ? 222 : 0))
		cr_fail("%s: times errno %d, expected %d", t->name, e,
			t->leader ? 222 : 0);
	if (cr_proc_status(t->tid, "Seccomp", buf, sizeof(buf)) ||
	    atoi(buf) != 2)
		cr_fail("%s: Seccomp: %s, expected 2", t->name, buf);
	if (cr_proc_status(t->tid, "Seccomp_filters", buf, sizeof(buf)) ||
	    atoi(buf) != (t->leader ? 2 : 1))
		cr_fail("%s: Seccomp_filters: %s, expected %d", t->name, buf,
			t->leader ? 2 : 1);
}

static void *worker(void *arg)
{
	struct thr *t = arg;

	t->tid = cr_gettid();
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) <= NR_W) /* the leader's filters */
		cr_msleep(5);
	while (!atomic_load(&check_req))
		cr_msleep(5);
	check_self(t);
	if (t == &thr[1])
		check_kill(t, SYS_munmap, "munmap");
	atomic_fetch_add(&checked, 1);
	for (;;)
		cr_msleep(1000);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sock_fprog a = {sizeof(filter_a) / sizeof(filter_a[0]),
			       filter_a};
	struct sock_fprog b = {sizeof(filter_b) / sizeof(filter_b[0]),
			       filter_b};
	struct thr *self = &thr[0];
	long r;

	cr_init(argc, argv);
#ifdef __SANITIZE_ADDRESS__
	cr_skip("under AddressSanitizer: its filter kills on mmap, which the AddressSanitizer allocator calls (and mallopt(M_ARENA_MAX) is not supported there)");
#endif
	strcpy(self->name, "leader");
	self->leader = true;
	self->tid = cr_gettid();
	/*
	 * No mmap once the filters are in: one malloc arena (the brk heap;
	 * a thread's own arena would be mmap'ed), threads created first
	 * (their stacks are mmap'ed).
	 */
	if (mallopt(M_ARENA_MAX, 1) != 1)
		cr_fatal("mallopt(M_ARENA_MAX)");
	for (int i = 1; i <= NR_W; i++) {
		snprintf(thr[i].name, sizeof(thr[i].name), "w%d", i);
		if (pthread_create(&thr[i].th, NULL, worker, &thr[i]))
			cr_fatal("pthread_create");
	}
	while (atomic_load(&ready) < NR_W)
		cr_msleep(5);
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG, &a);
	if (r)
		cr_fatal("seccomp TSYNC: %ld %m", r);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &b))
		cr_fatal("seccomp: %m");
	atomic_fetch_add(&ready, 1);
	check_self(self);
	if (cr_failures())
		cr_fatal("setup: the filters do not work as installed");
	cr_daemon();
	cr_wait_check();

	atomic_store(&check_req, 1);
	check_self(self);
	check_kill(self, SYS_mmap, "mmap");
	while (atomic_load(&checked) < NR_W)
		cr_msleep(5);
	cr_pass();
}
