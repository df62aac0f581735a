// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pending_sigs: queued signals survive C/R with their whole siginfo, per
 * thread and process-wide, in queue order.
 *
 * State (every signal used is blocked in every thread): each of 3 threads
 * has, in its own queue, SIGRTMIN+1 three times (rt_tgsigqueueinfo,
 * SI_QUEUE, values 0x100*i+k), SIGUSR1 with a made-up siginfo (si_code
 * SI_MESGQ, a foreign si_pid and si_uid: a process may queue any siginfo
 * to itself) and SIGUSR2 from tgkill. The shared queue has SIGRTMIN+2 three
 * times (sigqueue, values 0xa0..0xa2), SIGWINCH from kill() and SIGCHLD
 * with a kernel-style CLD_EXITED siginfo (status, utime, stime).
 * Verified: SigPnd of each thread and ShdPnd; then every signal is taken
 * with sigtimedwait in its thread, in order, its 128-byte siginfo compared
 * byte for byte with what was queued (kill/tgkill: signo, code, pid, uid),
 * and nothing more is pending.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "crtest.h"

#define NR_THREADS 3
#define RT_VALS	   3

struct thr {
	pthread_t th;
	int idx;
	pid_t tid;
	siginfo_t rt[RT_VALS]; /* SIGRTMIN+1, in queue order */
	siginfo_t usr1;
};

static struct thr thr[NR_THREADS];
static siginfo_t shd_rt[RT_VALS], shd_chld;
static sigset_t blocked;
static atomic_int ready, check_req, done;

static unsigned long long bit(int sig)
{
	return 1ULL << (sig - 1);
}

static siginfo_t make_info(int sig, int code, pid_t pid, uid_t uid, int val)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	si.si_pid = pid;
	si.si_uid = uid;
	si.si_value.sival_int = val;
	return si;
}

static void queue_self(struct thr *t)
{
	for (int k = 0; k < RT_VALS; k++) {
		t->rt[k] = make_info(SIGRTMIN + 1, SI_QUEUE, getpid(), getuid(),
				     0x100 * t->idx + k);
		if (syscall(SYS_rt_tgsigqueueinfo, getpid(), t->tid,
			    SIGRTMIN + 1, &t->rt[k]))
			cr_fatal("rt_tgsigqueueinfo: %m");
	}
	t->usr1 = make_info(SIGUSR1, SI_MESGQ, 4242 + t->idx, 777,
			    0x5eed + t->idx);
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), t->tid, SIGUSR1, &t->usr1))
		cr_fatal("rt_tgsigqueueinfo SIGUSR1: %m");
	if (syscall(SYS_tgkill, getpid(), t->tid, SIGUSR2))
		cr_fatal("tgkill: %m");
}

static void queue_shared(void)
{
	union sigval v;

	for (int k = 0; k < RT_VALS; k++) {
		v.sival_int = 0xa0 + k;
		if (sigqueue(getpid(), SIGRTMIN + 2, v))
			cr_fatal("sigqueue: %m");
		shd_rt[k] = make_info(SIGRTMIN + 2, SI_QUEUE, getpid(),
				      getuid(), 0xa0 + k);
	}
	if (kill(getpid(), SIGWINCH))
		cr_fatal("kill: %m");
	memset(&shd_chld, 0, sizeof(shd_chld));
	shd_chld.si_signo = SIGCHLD;
	shd_chld.si_code = CLD_EXITED;
	shd_chld.si_pid = 31337;
	shd_chld.si_uid = 5;
	shd_chld.si_status = 42;
	shd_chld.si_utime = 7;
	shd_chld.si_stime = 9;
	if (syscall(SYS_rt_sigqueueinfo, getpid(), SIGCHLD, &shd_chld))
		cr_fatal("rt_sigqueueinfo SIGCHLD: %m");
}

static bool take(const char *who, int sig, siginfo_t *si)
{
	struct timespec zero = {0, 0};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigtimedwait(&set, si, &zero) == sig)
		return true;
	cr_fail("%s: signal %d is not pending (%m)", who, sig);
	return false;
}

static void take_exact(const char *who, const siginfo_t *want)
{
	siginfo_t si;

	if (!take(who, want->si_signo, &si))
		return;
	if (memcmp(&si, want, sizeof(si)))
		cr_fail("%s: signal %d: siginfo differs (code %d pid %d uid %d "
			"value %#x, expected code %d pid %d uid %d value %#x)",
			who, want->si_signo, si.si_code, si.si_pid, si.si_uid,
			si.si_value.sival_int, want->si_code, want->si_pid,
			want->si_uid, want->si_value.sival_int);
}

static void take_kernel(const char *who, int sig, const int *codes)
{
	siginfo_t si;

	if (!take(who, sig, &si))
		return;
	if (si.si_code != codes[0] && si.si_code != codes[1])
		cr_fail("%s: signal %d: si_code %d, expected %d", who, sig,
			si.si_code, codes[0]);
	if (si.si_pid != getpid() || si.si_uid != getuid())
		cr_fail("%s: signal %d: from pid %d uid %d, expected %d %d",
			who, sig, si.si_pid, si.si_uid, getpid(), getuid());
}

static void none_left(const char *who, int sig)
{
	struct timespec zero = {0, 0};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigtimedwait(&set, NULL, &zero) >= 0)
		cr_fail("%s: signal %d pending once more than queued", who,
			sig);
}

static unsigned long long proc_mask(pid_t tid, const char *field)
{
	char buf[64];

	if (cr_proc_status(tid, field, buf, sizeof(buf))) {
		cr_fail("cannot read %s of %d", field, tid);
		return 0;
	}
	return strtoull(buf, NULL, 16);
}

static void check_thread(struct thr *t)
{
	static const int tkill_codes[] = {SI_TKILL, SI_USER};
	unsigned long long want =
		bit(SIGRTMIN + 1) | bit(SIGUSR1) | bit(SIGUSR2);
	char who[32];

	snprintf(who, sizeof(who), "thread %d", t->idx);
	if (proc_mask(t->tid, "SigPnd") != want)
		cr_fail("%s: SigPnd %016llx, expected %016llx", who,
			proc_mask(t->tid, "SigPnd"), want);
	for (int k = 0; k < RT_VALS; k++)
		take_exact(who, &t->rt[k]);
	take_exact(who, &t->usr1);
	take_kernel(who, SIGUSR2, tkill_codes);
	none_left(who, SIGRTMIN + 1);
	none_left(who, SIGUSR1);
	none_left(who, SIGUSR2);
}

static void *worker(void *arg)
{
	struct thr *t = arg;

	t->tid = cr_gettid();
	queue_self(t);
	atomic_fetch_add(&ready, 1);
	while (!atomic_load(&check_req))
		cr_msleep(5);
	check_thread(t);
	atomic_fetch_add(&done, 1);
	return NULL;
}

static void check_shared(void)
{
	static const int user_codes[] = {SI_USER, SI_USER};
	unsigned long long want = bit(SIGRTMIN + 2) | bit(SIGWINCH) |
				  bit(SIGCHLD),
			   got;

	got = proc_mask(thr[0].tid, "ShdPnd") & ~bit(CR_CHECK_SIGNAL);
	if (got != want)
		cr_fail("ShdPnd %016llx, expected %016llx", got, want);
	for (int k = 0; k < RT_VALS; k++)
		take_exact("shared", &shd_rt[k]);
	take_kernel("shared", SIGWINCH, user_codes);
	take_exact("shared", &shd_chld);
	none_left("shared", SIGRTMIN + 2);
	none_left("shared", SIGWINCH);
	none_left("shared", SIGCHLD);
}

int main(int argc, char **argv)
{
	cr_init(argc, argv);
	cr_check_sigset(&blocked);
	sigaddset(&blocked, SIGUSR1);
	sigaddset(&blocked, SIGUSR2);
	sigaddset(&blocked, SIGWINCH);
	sigaddset(&blocked, SIGCHLD);
	sigaddset(&blocked, SIGRTMIN + 1);
	sigaddset(&blocked, SIGRTMIN + 2);
	if (pthread_sigmask(SIG_BLOCK, &blocked, NULL))
		cr_fatal("pthread_sigmask: %m");

	thr[0].tid = cr_gettid();
	for (int i = 1; i < NR_THREADS; i++) {
		thr[i].idx = i;
		if (pthread_create(&thr[i].th, NULL, worker, &thr[i]))
			cr_fatal("pthread_create failed");
	}
	queue_self(&thr[0]);
	for (int i = 0; atomic_load(&ready) < NR_THREADS - 1; i++) {
		if (i > 10000)
			cr_fatal("the workers did not start in 10 s");
		cr_msleep(1);
	}
	queue_shared();

	cr_daemon();
	cr_wait_check();

	check_shared();
	check_thread(&thr[0]);
	atomic_store(&check_req, 1);
	for (int i = 1; i < NR_THREADS; i++)
		pthread_join(thr[i].th, NULL);
	cr_pass();
}
