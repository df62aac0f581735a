// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * syscalls: threads blocked in system calls stay blocked across C/R, then
 * finish exactly as if nothing had happened.
 *
 * State: one thread per blocking call, each seen blocked in it (through
 * /proc/self/task/TID/syscall) before the test declares itself ready:
 *   nanosleep       nanosleep(3 s, &rem)
 *   clock_nanosleep clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, setup+3 s)
 *   futex           FUTEX_WAIT on a word, no timeout
 *   futex_timeout   FUTEX_WAIT on another word, 60 s timeout
 *   pause           pause(), SIGUSR1 has a handler
 *   poll            poll() on no fds, 60 s, SIGUSR2 has a handler
 *   select          select() on no fds, 60 s timeout in a timeval
 * The calls are made with syscall(2), so that each is the system call named
 * (glibc's nanosleep is clock_nanosleep, its select pselect6...).
 * (A read() on a pipe, poll() and epoll_wait() on fds are in syscalls_fd:
 * pipes and epoll are refused at dump until step 6.)
 *
 * What is right for a sleep interrupted by a checkpoint: two answers are
 * defensible and both are accepted. (a) The kernel's own: it restarts an
 * interrupted nanosleep, futex or poll wait against the original deadline
 * in CLOCK_MONOTONIC (restart_syscall after a ptrace stop; select writes
 * the remaining time back), and CLOCK_MONOTONIC goes on while the process
 * is checkpointed (same boot, no time namespace): the time spent dumped
 * counts as slept, and a sleep the checkpoint outlasted ends right after
 * the restore. (b) The call resumes with what remained of it at the dump:
 * the time spent dumped does not count. What is wrong either way: ending
 * early (the elapsed CLOCK_MONOTONIC time from the call must be at least
 * what was asked), returning EINTR when no handler ran in the thread, and a
 * timeout that grew back (restarting select with its full 60 s). For the
 * last one the setup lets select consume 1 s before the test is ready; at
 * the end select's timeval must lie between 60 s minus the whole time since
 * the call (a) and 60 s minus the time the process is known to have run
 * since the call, setup plus check (b), with 10 ms of rounding each way.
 *
 * Verified: at the check, every waiter is still blocked in its call (or in
 * restart_syscall, how the kernel resumes an interrupted timed wait; a sleep
 * also in the other sleep call, as a restore may resume it that way); the
 * sleeps return 0 no earlier than asked; FUTEX_WAKE finds exactly one
 * waiter on each word and both waiters return 0 having seen no spurious
 * wake-up; pause, poll and select return EINTR only after their thread got
 * the signal sent after the check, its handler having run once in that
 * thread with the sender's siginfo.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "crtest.h"

#define SLEEP_NS   3000000000LL
#define LONG_S	   60
#define NS_PER_SEC 1000000000LL

enum {
	W_NANOSLEEP,
	W_CLOCK_NANOSLEEP,
	W_FUTEX,
	W_FUTEX_TIMEOUT,
	W_PAUSE,
	W_POLL,
	W_SELECT,
	NR_WAITERS
};

struct waiter {
	const char *name;
	long nr;  /* the system call it blocks in */
	int wake; /* signal that ends it, or 0 */
	pthread_t thread;
	pid_t tid;
	int64_t start, end; /* CLOCK_MONOTONIC ns around the call */
	int ret, err;
	atomic_int done;
	atomic_int sigs; /* handler runs in this thread */
	int sig_code, sig_pid;
	atomic_int woken; /* main sent its wake-up */
	int early;	  /* returned before the wake-up */
	int spurious;	  /* futex returns with the word unchanged */
	struct timespec rem;
	struct timeval tv;
};

static struct waiter w[NR_WAITERS] = {
	[W_NANOSLEEP] = {"nanosleep", SYS_nanosleep},
	[W_CLOCK_NANOSLEEP] = {"clock_nanosleep", SYS_clock_nanosleep},
	[W_FUTEX] = {"futex", SYS_futex},
	[W_FUTEX_TIMEOUT] = {"futex_timeout", SYS_futex},
	[W_PAUSE] = {"pause", SYS_pause, SIGUSR1},
	[W_POLL] = {"poll", SYS_poll, SIGUSR2},
	[W_SELECT] = {"select", SYS_select, SIGUSR2},
};

static uint32_t futex_word[2];
static int64_t abs_deadline;
static int64_t ready_time; /* CLOCK_MONOTONIC when the setup was done */
static __thread struct waiter *self;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	if (!self)
		return; /* main: never targeted */
	atomic_fetch_add(&self->sigs, 1);
	self->sig_code = si->si_code;
	self->sig_pid = si->si_pid;
}

static long futex(uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void *waiter_fn(void *arg)
{
	struct waiter *me = arg;
	struct timespec ts;
	long ret = 0;

	self = me;
	me->tid = cr_gettid();
	me->start = cr_now_ns(CLOCK_MONOTONIC);
	errno = 0;
	switch (me - w) {
	case W_NANOSLEEP:
		ts.tv_sec = SLEEP_NS / NS_PER_SEC;
		ts.tv_nsec = SLEEP_NS % NS_PER_SEC;
		ret = syscall(SYS_nanosleep, &ts, &me->rem);
		break;
	case W_CLOCK_NANOSLEEP:
		ts.tv_sec = abs_deadline / NS_PER_SEC;
		ts.tv_nsec = abs_deadline % NS_PER_SEC;
		ret = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC,
			      TIMER_ABSTIME, &ts, NULL);
		break;
	case W_FUTEX:
	case W_FUTEX_TIMEOUT: {
		uint32_t *word = &futex_word[me - w - W_FUTEX];

		ts.tv_sec = LONG_S;
		ts.tv_nsec = 0;
		while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == 0) {
			ret = futex(word, FUTEX_WAIT_PRIVATE, 0,
				    me - w == W_FUTEX_TIMEOUT ? &ts : NULL);
			if (ret && errno != EAGAIN)
				break;
			if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == 0)
				me->spurious++;
			ret = 0;
		}
		break;
	}
	case W_PAUSE:
		ret = syscall(SYS_pause);
		break;
	case W_POLL:
		ret = syscall(SYS_poll, NULL, 0, LONG_S * 1000);
		break;
	case W_SELECT:
		me->tv.tv_sec = LONG_S;
		me->tv.tv_usec = 0;
		ret = syscall(SYS_select, 0, NULL, NULL, NULL, &me->tv);
		break;
	}
	me->err = errno;
	me->end = cr_now_ns(CLOCK_MONOTONIC);
	me->ret = (int)ret;
	if (me->wake && !atomic_load(&me->woken))
		me->early = 1;
	atomic_store(&me->done, 1);
	return NULL;
}

/* A restore may resume one sleep as the other (a relative one as absolute) */
static bool is_sleep(long nr)
{
	return nr == SYS_nanosleep || nr == SYS_clock_nanosleep;
}

static bool is_blocked(struct waiter *me, long *nr)
{
	int ret = cr_thread_syscall(me->tid, nr);

	return !ret && (*nr == me->nr || *nr == SYS_restart_syscall ||
			(is_sleep(me->nr) && is_sleep(*nr)));
}

static bool wait_done(struct waiter *me, int64_t timeout_ns)
{
	int64_t end = cr_now_ns(CLOCK_MONOTONIC) + timeout_ns;

	while (!atomic_load(&me->done)) {
		if (cr_now_ns(CLOCK_MONOTONIC) > end)
			return false;
		cr_msleep(1);
	}
	return true;
}

static void check_sleep(struct waiter *me, int64_t want_end)
{
	if (!wait_done(me, SLEEP_NS + 10 * NS_PER_SEC)) {
		cr_fail("%s: still sleeping %lld ms after its deadline",
			me->name,
			(long long)(cr_now_ns(CLOCK_MONOTONIC) - want_end) /
				1000000);
		return;
	}
	if (me->ret)
		cr_fail("%s: returned %d (%s), rem %ld.%09ld", me->name,
			me->ret, strerror(me->err), (long)me->rem.tv_sec,
			me->rem.tv_nsec);
	if (me->end < want_end)
		cr_fail("%s: woke %lld us early", me->name,
			(long long)(want_end - me->end) / 1000);
	cr_msg("%s: returned %d after %lld ms", me->name, me->ret,
	       (long long)(me->end - me->start) / 1000000);
}

static void check_futex(struct waiter *me, uint32_t *word)
{
	long n;

	__atomic_store_n(word, 1, __ATOMIC_RELEASE);
	n = futex(word, FUTEX_WAKE_PRIVATE, 1, NULL);
	if (n != 1)
		cr_fail("%s: FUTEX_WAKE woke %ld waiters, expected 1 (%m)",
			me->name, n);
	if (!wait_done(me, 5 * NS_PER_SEC)) {
		cr_fail("%s: not back 5 s after FUTEX_WAKE", me->name);
		return;
	}
	if (me->ret)
		cr_fail("%s: FUTEX_WAIT failed: %s", me->name,
			strerror(me->err));
	if (me->spurious)
		cr_fail("%s: %d wake-ups with the word unchanged", me->name,
			me->spurious);
}

static void check_signalled(struct waiter *me, int64_t check_time)
{
	int64_t lo, hi;
	long left;

	atomic_store(&me->woken, 1);
	if (syscall(SYS_tgkill, getpid(), me->tid, me->wake)) {
		cr_fail("%s: tgkill: %m", me->name);
		return;
	}
	if (!wait_done(me, 5 * NS_PER_SEC)) {
		cr_fail("%s: not interrupted 5 s after %s", me->name,
			strsignal(me->wake));
		return;
	}
	if (me->early)
		cr_fail("%s: returned %d (%s) before the signal", me->name,
			me->ret, strerror(me->err));
	else if (me->ret != -1 || me->err != EINTR)
		cr_fail("%s: returned %d (%s), expected EINTR", me->name,
			me->ret, strerror(me->err));
	if (atomic_load(&me->sigs) != 1)
		cr_fail("%s: the handler ran %d times in the thread", me->name,
			atomic_load(&me->sigs));
	else if (me->sig_code != SI_TKILL || me->sig_pid != getpid())
		cr_fail("%s: siginfo code %d pid %d, expected SI_TKILL from %d",
			me->name, me->sig_code, me->sig_pid, getpid());
	if (me - w != W_SELECT)
		return;
	/* what select left in its timeval (see the top of the file) */
	left = (long)me->tv.tv_sec * 1000000 + me->tv.tv_usec;
	lo = (LONG_S * NS_PER_SEC - (me->end - me->start)) / 1000 - 10000;
	hi = (LONG_S * NS_PER_SEC - (ready_time - me->start) -
	      (me->end - check_time)) /
		     1000 +
	     10000;
	cr_msg("select: %ld.%06ld s left, expected between %lld.%06lld and %lld.%06lld",
	       left / 1000000, left % 1000000, (long long)lo / 1000000,
	       (long long)lo % 1000000, (long long)hi / 1000000,
	       (long long)hi % 1000000);
	if (left < lo)
		cr_fail("select: %ld.%06ld s left of %d s, less than the %lld ms that remained at most",
			left / 1000000, left % 1000000, LONG_S,
			(long long)lo / 1000);
	else if (left > hi)
		cr_fail("select: %ld.%06ld s left of %d s: the timeout grew back (the process ran %lld ms of it for sure)",
			left / 1000000, left % 1000000, LONG_S,
			(long long)(LONG_S * 1000000 - hi) / 1000);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_sigaction = on_signal,
			       .sa_flags = SA_SIGINFO};
	int64_t deadline, check_time;
	long nr;
	int err;

	cr_init(argc, argv);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGUSR2, &sa, NULL))
		cr_fatal("sigaction: %m");
	abs_deadline = cr_now_ns(CLOCK_MONOTONIC) + SLEEP_NS;

	for (int i = 0; i < NR_WAITERS; i++) {
		err = pthread_create(&w[i].thread, NULL, waiter_fn, &w[i]);
		if (err)
			cr_fatal("pthread_create: %s", strerror(err));
	}
	/* every waiter blocked in its call */
	deadline = cr_now_ns(CLOCK_MONOTONIC) + 2 * NS_PER_SEC;
	for (int i = 0; i < NR_WAITERS; i++) {
		while (!w[i].tid || !is_blocked(&w[i], &nr)) {
			if (atomic_load(&w[i].done))
				cr_fatal(
					"%s: returned %d (%s) during the setup",
					w[i].name, w[i].ret,
					strerror(w[i].err));
			if (cr_now_ns(CLOCK_MONOTONIC) > deadline)
				cr_fatal(
					"%s (tid %d) not blocked in system call %ld within 2 s",
					w[i].name, w[i].tid, w[i].nr);
			cr_msleep(1);
		}
		cr_msg("%s: tid %d blocked in system call %ld", w[i].name,
		       w[i].tid, nr);
	}

	/* select consumes a known part of its timeout before the checkpoint */
	while (cr_now_ns(CLOCK_MONOTONIC) - w[W_SELECT].start < NS_PER_SEC)
		cr_msleep(10);
	ready_time = cr_now_ns(CLOCK_MONOTONIC);

	cr_daemon();
	cr_wait_check();
	check_time = cr_now_ns(CLOCK_MONOTONIC);

	/* the ones that sleep on: still blocked where they were */
	for (int i = 0; i < NR_WAITERS; i++) {
		if (atomic_load(&w[i].done)) {
			if (i == W_NANOSLEEP || i == W_CLOCK_NANOSLEEP)
				continue; /* may have slept its time out */
			cr_fail("%s: returned %d (%s) before the check",
				w[i].name, w[i].ret, strerror(w[i].err));
			continue;
		}
		if (is_blocked(&w[i], &nr)) {
			cr_msg("%s: still blocked, in system call %ld",
			       w[i].name, nr);
		} else {
			int ret = cr_thread_syscall(w[i].tid, &nr);

			if (ret == -EBUSY)
				cr_fail("%s (tid %d): running, not blocked in system call %ld",
					w[i].name, w[i].tid, w[i].nr);
			else if (ret)
				cr_fail("%s (tid %d): %s", w[i].name, w[i].tid,
					strerror(-ret));
			else
				cr_fail("%s (tid %d): in system call %ld, was in %ld",
					w[i].name, w[i].tid, nr, w[i].nr);
		}
	}
	check_futex(&w[W_FUTEX], &futex_word[0]);
	check_futex(&w[W_FUTEX_TIMEOUT], &futex_word[1]);
	check_signalled(&w[W_PAUSE], check_time);
	check_signalled(&w[W_POLL], check_time);
	check_signalled(&w[W_SELECT], check_time);
	check_sleep(&w[W_NANOSLEEP], w[W_NANOSLEEP].start + SLEEP_NS);
	check_sleep(&w[W_CLOCK_NANOSLEEP], abs_deadline);
	for (int i = 0; i < NR_WAITERS; i++)
		if (atomic_load(&w[i].done))
			pthread_join(w[i].thread, NULL);
	cr_pass();
}
