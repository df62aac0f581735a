// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sigmask: per-thread blocked masks and blocked pending signals survive C/R.
 *
 * State: the main thread blocks { SIGHUP SIGUSR1 SIGPIPE SIGTERM SIGRTMIN+3 }
 * and has SIGUSR1 pending for itself (tgkill); a worker thread blocks
 * { SIGUSR2 SIGALRM SIGTERM SIGRTMIN+3 SIGRTMAX-1 } and has SIGUSR2 pending
 * for itself; the process has SIGRTMIN+3 queued twice (sigqueue, with two
 * values) in its shared pending set. Verified: each thread's mask, through
 * sigprocmask and /proc (SigBlk), the thread and shared pending sets through
 * /proc (SigPnd, ShdPnd), then each signal is taken with sigtimedwait and its
 * siginfo (code, sender, value, order) checked, and nothing else is pending.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "crtest.h"

#define RT_VAL1 0x5eed
#define RT_VAL2 0x5eee

static sigset_t main_mask, worker_mask;
/* si_code of a tgkill() signal: SI_TKILL, but some kernels report SI_USER */
static int tkill_code;
static pid_t main_tid, worker_tid;
static atomic_int worker_ready, check_req, check_done;

static unsigned long long sig_bit(int sig)
{
	return 1ULL << (sig - 1);
}

static unsigned long long set_bits(const sigset_t *set)
{
	char hex[17];

	cr_sigset_hex(set, hex);
	return strtoull(hex, NULL, 16);
}

static unsigned long long proc_mask(pid_t tid, const char *field)
{
	char buf[64];
	int ret = cr_proc_status(tid, field, buf, sizeof(buf));

	if (ret) {
		cr_fail("task %d: cannot read %s from /proc: %s", tid, field,
			strerror(-ret));
		return 0;
	}
	return strtoull(buf, NULL, 16);
}

static void check_mask(const char *who, pid_t tid, const sigset_t *want)
{
	unsigned long long w = set_bits(want), got;
	sigset_t cur;

	if (pthread_sigmask(SIG_BLOCK, NULL, &cur))
		cr_fail("%s: pthread_sigmask: %m", who);
	got = set_bits(&cur);
	if (got != w)
		cr_fail("%s: blocked mask %016llx, expected %016llx", who, got,
			w);
	got = proc_mask(tid, "SigBlk");
	if (got != w)
		cr_fail("%s: SigBlk in /proc %016llx, expected %016llx", who,
			got, w);
}

/* Takes sig (pending and blocked) with a zero timeout; checks its siginfo. */
static void take_signal(const char *who, int sig, int code, int value)
{
	struct timespec zero = {0, 0};
	siginfo_t si;
	sigset_t set;
	int got;

	sigemptyset(&set);
	sigaddset(&set, sig);
	got = sigtimedwait(&set, &si, &zero);
	if (got < 0) {
		cr_fail("%s: signal %d is not pending any more (%m)", who, sig);
		return;
	}
	if (si.si_code != code)
		cr_fail("%s: signal %d: si_code %d, expected %d", who, sig,
			si.si_code, code);
	if (si.si_pid != getpid())
		cr_fail("%s: signal %d: si_pid %d, expected %d", who, sig,
			si.si_pid, getpid());
	if (si.si_uid != getuid())
		cr_fail("%s: signal %d: si_uid %d, expected %d", who, sig,
			si.si_uid, getuid());
	if (code == SI_QUEUE && si.si_value.sival_int != value)
		cr_fail("%s: signal %d: value %#x, expected %#x (order lost?)",
			who, sig, si.si_value.sival_int, value);
}

static void check_none_pending(const char *who, int sig)
{
	struct timespec zero = {0, 0};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigtimedwait(&set, NULL, &zero) >= 0)
		cr_fail("%s: signal %d pending once more than queued", who,
			sig);
}

/*
 * Sends sig to the calling thread with tgkill; with probe, takes it back at
 * once to learn the si_code this kernel gives it.
 */
static void tgkill_self(int sig, bool probe)
{
	struct timespec zero = {0, 0};
	siginfo_t si;
	sigset_t set;

	if (syscall(SYS_tgkill, getpid(), cr_gettid(), sig))
		cr_fatal("tgkill %d: %m", sig);
	if (!probe)
		return;
	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigtimedwait(&set, &si, &zero) != sig)
		cr_fatal("probe: signal %d not pending after tgkill (%m)", sig);
	tkill_code = si.si_code;
	if (tkill_code != SI_TKILL)
		cr_msg("this kernel reports tgkill() with si_code %d, not SI_TKILL",
		       tkill_code);
}

static void *worker_fn(void *arg)
{
	if (pthread_sigmask(SIG_SETMASK, &worker_mask, NULL))
		cr_fatal("worker: pthread_sigmask: %m");
	worker_tid = cr_gettid();
	tgkill_self(SIGUSR2, false);
	atomic_store(&worker_ready, 1);

	while (!atomic_load(&check_req))
		cr_msleep(5);

	check_mask("worker", worker_tid, &worker_mask);
	if (proc_mask(worker_tid, "SigPnd") != sig_bit(SIGUSR2))
		cr_fail("worker: thread pending set %016llx, expected %016llx",
			proc_mask(worker_tid, "SigPnd"), sig_bit(SIGUSR2));
	take_signal("worker", SIGUSR2, tkill_code, 0);
	check_none_pending("worker", SIGUSR2);
	atomic_store(&check_done, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long long shd_want, shd;
	union sigval val;
	pthread_t th;
	int err;

	cr_init(argc, argv);
	main_tid = cr_gettid();

	cr_check_sigset(&main_mask); /* keep the check signal blocked */
	sigaddset(&main_mask, SIGHUP);
	sigaddset(&main_mask, SIGUSR1);
	sigaddset(&main_mask, SIGPIPE);
	sigaddset(&main_mask, SIGRTMIN + 3);
	cr_check_sigset(&worker_mask);
	sigaddset(&worker_mask, SIGUSR2);
	sigaddset(&worker_mask, SIGALRM);
	sigaddset(&worker_mask, SIGRTMIN + 3);
	sigaddset(&worker_mask, SIGRTMAX - 1);

	/* the worker inherits the union, so nothing reaches it unblocked */
	if (pthread_sigmask(SIG_BLOCK, &main_mask, NULL) ||
	    pthread_sigmask(SIG_BLOCK, &worker_mask, NULL))
		cr_fatal("pthread_sigmask: %m");
	err = pthread_create(&th, NULL, worker_fn, NULL);
	if (err)
		cr_fatal("pthread_create: %s", strerror(err));
	if (pthread_sigmask(SIG_SETMASK, &main_mask, NULL))
		cr_fatal("pthread_sigmask: %m");

	tgkill_self(SIGUSR1, true);
	tgkill_self(SIGUSR1, false);
	val.sival_int = RT_VAL1;
	if (sigqueue(getpid(), SIGRTMIN + 3, val))
		cr_fatal("sigqueue: %m");
	val.sival_int = RT_VAL2;
	if (sigqueue(getpid(), SIGRTMIN + 3, val))
		cr_fatal("sigqueue: %m");
	for (int i = 0; !atomic_load(&worker_ready); i++) {
		if (i > 10000)
			cr_fatal("the worker did not start in 10 s");
		cr_msleep(1);
	}

	cr_daemon();
	cr_wait_check();

	check_mask("main", main_tid, &main_mask);
	if (proc_mask(main_tid, "SigPnd") != sig_bit(SIGUSR1))
		cr_fail("main: thread pending set %016llx, expected %016llx",
			proc_mask(main_tid, "SigPnd"), sig_bit(SIGUSR1));
	shd_want = sig_bit(SIGRTMIN + 3);
	shd = proc_mask(main_tid, "ShdPnd") & ~sig_bit(CR_CHECK_SIGNAL);
	if (shd != shd_want)
		cr_fail("shared pending set %016llx, expected %016llx", shd,
			shd_want);

	atomic_store(&check_req, 1);
	for (int i = 0; !atomic_load(&check_done); i++) {
		if (i > 1000) {
			cr_fail("the worker did not finish its check in 5 s");
			break;
		}
		cr_msleep(5);
	}

	take_signal("main", SIGUSR1, tkill_code, 0);
	check_none_pending("main", SIGUSR1);
	take_signal("main", SIGRTMIN + 3, SI_QUEUE, RT_VAL1);
	take_signal("main", SIGRTMIN + 3, SI_QUEUE, RT_VAL2);
	check_none_pending("main", SIGRTMIN + 3);
	cr_pass();
}
