// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * threads16: the acceptance program of step 3, one process with 16 threads,
 * each in a different state at the checkpoint, all verified afterwards.
 *
 * State:
 *   0-1   cr_regs_loop(): rbx..r15, k1-k7, zmm1-31 and MXCSR held and
 *         compared on every iteration (tests/cr/lib/cr_regs.c)
 *   2-4   AVX-512 math: a 16-lane LCG in a zmm register, checked every 4096
 *         steps against the same LCG computed lane by lane in scalar code
 *   5     nanosleep(3 s) (the raw system call)
 *   6     clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, setup + 3 s)
 *   7     FUTEX_WAIT, no timeout
 *   8     FUTEX_WAIT, 60 s timeout
 *   9     poll() on no fds, no timeout, until SIGUSR2 (a handler)
 *   10    pause() until SIGUSR1 (a handler)
 *   11-12 sigwaitinfo() on SIGRTMIN+1 / SIGRTMIN+2 (blocked everywhere)
 *   13-15 busy loops: a counter and an xorshift chain in registers,
 *         re-derived from the counter on every step
 * (A thread blocked in read() on a pipe belongs here too; pipes are refused
 * at dump until step 6, see syscalls_fd. Poll stands in for it.)
 * Every thread also keeps its tid, a __thread word, its fs base and a
 * patterned buffer on its stack.
 * Verified: the same 17 tids in /proc/self/task; the spinning threads still
 * run (their counters move); the blocked ones are still blocked in their
 * call (or restart_syscall); then every thread is released (stop flag,
 * FUTEX_WAKE, tgkill, pthread_sigqueue with a value) and checks itself: its
 * registers or results, the return value of its call (0 for the sleeps, no
 * earlier than asked; 0 for the futexes with no spurious wake-up; EINTR
 * after the handler ran for poll and pause; the signal and its value for
 * sigwait), its tid, TLS, fs base and stack buffer. PASS only if all 16
 * are right. Skipped without AVX-512.
 */
#include <dirent.h>
#include <errno.h>
#include <immintrin.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>

#include "crtest.h"
#include "cr_regs.h"

#define NR_THREADS 16
#define SLEEP_NS   3000000000LL
#define NS_PER_SEC 1000000000LL
#define TLS_MAGIC  0x1600000000000000UL
#define STACK_BUF  4096
#define AVX_CHUNK  4096

enum kind {
	K_REGS,
	K_AVX,
	K_NANOSLEEP,
	K_CLOCK_NANOSLEEP,
	K_FUTEX,
	K_FUTEX_TIMEOUT,
	K_POLL,
	K_PAUSE,
	K_SIGWAIT,
	K_BUSY,
};

struct thr {
	struct cr_regs_ctl regs; /* K_REGS; first: 64-byte aligned */
	int idx;
	enum kind kind;
	const char *what;
	long nr; /* the system call it blocks in (blocked kinds) */
	int sig; /* the signal that releases it, or 0 */
	pthread_t thread;
	pid_t tid;
	unsigned long fs_base;
	atomic_ulong counter; /* spinning kinds */
	atomic_int started, released, done;
	int sigs; /* handler runs in this thread */
	uint32_t futex_word;
	char why[256]; /* what it found wrong, "" if nothing */
};

static struct thr thr[NR_THREADS];
static atomic_int stop;
static int64_t abs_deadline;
static __thread unsigned long tls_word;
static __thread struct thr *self;

static unsigned long get_fs_base(void)
{
	unsigned long base = 0;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &base);
	return base;
}

static void on_signal(int sig)
{
	if (self)
		self->sigs++;
}

/* Records the first thing the thread found wrong. */
static void __cr_printf(2, 3) bad(struct thr *t, const char *fmt, ...)
{
	va_list ap;

	if (t->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
}

static uint64_t xs(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

__attribute__((target("avx512f"))) static void avx_math(struct thr *t)
{
	uint32_t ref[16], got[16];
	__m512i x, a = _mm512_set1_epi32(1664525),
		   c = _mm512_set1_epi32(1013904223);

	for (int l = 0; l < 16; l++)
		ref[l] = (uint32_t)(t->idx * 1000 + l + 1);
	x = _mm512_loadu_si512(ref);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (int i = 0; i < AVX_CHUNK; i++)
			x = _mm512_add_epi32(_mm512_mullo_epi32(x, a), c);
		for (int l = 0; l < 16; l++)
			for (int i = 0; i < AVX_CHUNK; i++)
				ref[l] = ref[l] * 1664525u + 1013904223u;
		_mm512_storeu_si512(got, x);
		if (memcmp(got, ref, sizeof(ref))) {
			for (int l = 0; l < 16; l++)
				if (got[l] != ref[l]) {
					bad(t,
					    "zmm lane %d is %#x, the scalar LCG says %#x (after %lu chunks)",
					    l, got[l], ref[l],
					    atomic_load(&t->counter));
					break;
				}
			return;
		}
		atomic_fetch_add_explicit(&t->counter, 1, memory_order_relaxed);
	}
}

static void busy(struct thr *t)
{
	uint64_t n = 0, x = 0x1234567 + (uint64_t)t->idx, y = x;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		x = xs(x);
		n++;
		if (!(n & 0xffff)) {
			/* y follows x in lockstep, in a different form */
			for (int i = 0; i < 0x10000; i++)
				y = xs(y);
			if (x != y) {
				bad(t, "xorshift chain broke after %llu steps",
				    (unsigned long long)n);
				return;
			}
			atomic_store_explicit(&t->counter, n,
					      memory_order_relaxed);
		}
	}
}

static long futex(uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void run_blocked(struct thr *t)
{
	struct timespec ts = {.tv_sec = 60};
	int64_t start = cr_now_ns(CLOCK_MONOTONIC), want;
	siginfo_t si;
	sigset_t set;
	long ret;

	switch (t->kind) {
	case K_NANOSLEEP:
	case K_CLOCK_NANOSLEEP:
		if (t->kind == K_NANOSLEEP) {
			want = start + SLEEP_NS;
			ts.tv_sec = SLEEP_NS / NS_PER_SEC;
			ts.tv_nsec = SLEEP_NS % NS_PER_SEC;
			ret = syscall(SYS_nanosleep, &ts, NULL);
		} else {
			want = abs_deadline;
			ts.tv_sec = abs_deadline / NS_PER_SEC;
			ts.tv_nsec = abs_deadline % NS_PER_SEC;
			ret = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC,
				      TIMER_ABSTIME, &ts, NULL);
		}
		if (ret)
			bad(t, "returned %ld (%m)", ret);
		else if (cr_now_ns(CLOCK_MONOTONIC) < want)
			bad(t, "woke %lld us early",
			    (long long)(want - cr_now_ns(CLOCK_MONOTONIC)) /
				    1000);
		break;
	case K_FUTEX:
	case K_FUTEX_TIMEOUT:
		while (!__atomic_load_n(&t->futex_word, __ATOMIC_ACQUIRE)) {
			ret = futex(&t->futex_word, FUTEX_WAIT_PRIVATE, 0,
				    t->kind == K_FUTEX ? NULL : &ts);
			if (ret && errno != EAGAIN) {
				bad(t, "FUTEX_WAIT: %m");
				break;
			}
			if (!__atomic_load_n(&t->futex_word, __ATOMIC_ACQUIRE))
				bad(t, "a wake-up with the word unchanged");
		}
		break;
	case K_POLL:
	case K_PAUSE:
		ret = t->kind == K_POLL ? syscall(SYS_poll, NULL, 0, -1)
					: syscall(SYS_pause);
		if (!atomic_load(&t->released))
			bad(t, "returned %ld (%m) before the signal", ret);
		else if (ret != -1 || errno != EINTR)
			bad(t, "returned %ld (%m), expected EINTR", ret);
		else if (t->sigs != 1)
			bad(t, "the handler ran %d times", t->sigs);
		break;
	case K_SIGWAIT:
		sigemptyset(&set);
		sigaddset(&set, t->sig);
		do {
			ret = sigwaitinfo(&set, &si);
		} while (ret < 0 && errno == EINTR);
		if (!atomic_load(&t->released))
			bad(t, "returned %ld (%m) before the signal", ret);
		else if (ret != t->sig)
			bad(t, "sigwaitinfo returned %ld (%m), expected %d",
			    ret, t->sig);
		else if (si.si_code != SI_QUEUE ||
			 si.si_value.sival_int != 1600 + t->idx)
			bad(t,
			    "siginfo code %d value %d, expected SI_QUEUE and %d",
			    si.si_code, si.si_value.sival_int, 1600 + t->idx);
		break;
	default:
		break;
	}
}

static void *thread_fn(void *arg)
{
	struct thr *t = arg;
	unsigned char buf[STACK_BUF];
	char name[16];
	size_t nbad;
	int ret;

	self = t;
	tls_word = TLS_MAGIC | (unsigned long)t->idx;
	cr_fill_pattern(buf, sizeof(buf), 0x16000 + (uint64_t)t->idx);
	t->tid = cr_gettid();
	t->fs_base = get_fs_base();
	atomic_store(&t->started, 1);

	switch (t->kind) {
	case K_REGS:
		ret = cr_regs_loop(&t->regs);
		if (ret != CR_REGS_OK)
			bad(t, "%s changed after %llu iterations",
			    cr_regs_name(ret, name, sizeof(name)),
			    (unsigned long long)t->regs.counter);
		break;
	case K_AVX:
		avx_math(t);
		break;
	case K_BUSY:
		busy(t);
		break;
	default:
		run_blocked(t);
		break;
	}
	if (cr_gettid() != t->tid)
		bad(t, "tid %d, was %d", cr_gettid(), t->tid);
	if (tls_word != (TLS_MAGIC | (unsigned long)t->idx))
		bad(t, "__thread word %#lx", tls_word);
	if (get_fs_base() != t->fs_base)
		bad(t, "fs base %#lx, was %#lx", get_fs_base(), t->fs_base);
	if (cr_check_pattern(buf, sizeof(buf), 0x16000 + (uint64_t)t->idx,
			     &nbad) != (size_t)-1)
		bad(t, "%zu bytes of its stack buffer differ", nbad);
	atomic_store(&t->done, 1);
	/* a sleep may end before the check: stay until released, so that
	 * the check finds all 16 */
	while (!atomic_load(&t->released))
		cr_msleep(1);
	return NULL;
}

static bool spins(const struct thr *t)
{
	return t->kind == K_REGS || t->kind == K_AVX || t->kind == K_BUSY;
}

static unsigned long spin_count(struct thr *t)
{
	if (t->kind == K_REGS)
		return __atomic_load_n(&t->regs.counter, __ATOMIC_RELAXED);
	return atomic_load(&t->counter);
}

/* A restore may resume one sleep as the other (a relative one as absolute) */
static bool is_sleep(long nr)
{
	return nr == SYS_nanosleep || nr == SYS_clock_nanosleep;
}

static bool is_blocked(struct thr *t, long *nr)
{
	return !cr_thread_syscall(t->tid, nr) &&
	       (*nr == t->nr || *nr == SYS_restart_syscall ||
		(is_sleep(t->nr) && is_sleep(*nr)));
}

static void setup_threads(void)
{
	static const struct {
		enum kind kind;
		const char *what;
		long nr;
	} plan[NR_THREADS] = {
		{K_REGS, "regs"},
		{K_REGS, "regs"},
		{K_AVX, "avx512 math"},
		{K_AVX, "avx512 math"},
		{K_AVX, "avx512 math"},
		{K_NANOSLEEP, "nanosleep", SYS_nanosleep},
		{K_CLOCK_NANOSLEEP, "clock_nanosleep", SYS_clock_nanosleep},
		{K_FUTEX, "futex", SYS_futex},
		{K_FUTEX_TIMEOUT, "futex timeout", SYS_futex},
		{K_POLL, "poll", SYS_poll},
		{K_PAUSE, "pause", SYS_pause},
		{K_SIGWAIT, "sigwait", SYS_rt_sigtimedwait},
		{K_SIGWAIT, "sigwait", SYS_rt_sigtimedwait},
		{K_BUSY, "busy"},
		{K_BUSY, "busy"},
		{K_BUSY, "busy"},
	};
	int64_t deadline;
	long nr;
	int err;

	abs_deadline = cr_now_ns(CLOCK_MONOTONIC) + SLEEP_NS;
	for (int i = 0; i < NR_THREADS; i++) {
		struct thr *t = &thr[i];

		t->idx = i;
		t->kind = plan[i].kind;
		t->what = plan[i].what;
		t->nr = plan[i].nr;
		if (t->kind == K_REGS)
			cr_regs_init(&t->regs, 0x16160000 + (uint64_t)i);
		if (t->kind == K_POLL)
			t->sig = SIGUSR2;
		else if (t->kind == K_PAUSE)
			t->sig = SIGUSR1;
		else if (t->kind == K_SIGWAIT)
			t->sig = SIGRTMIN + 1 + (i == 12);
		err = pthread_create(&t->thread, NULL, thread_fn, t);
		if (err)
			cr_fatal("pthread_create %d: %s", i, strerror(err));
	}
	deadline = cr_now_ns(CLOCK_MONOTONIC) + 2 * NS_PER_SEC;
	for (int i = 0; i < NR_THREADS; i++) {
		struct thr *t = &thr[i];

		while (!atomic_load(&t->started) ||
		       (spins(t) ? !spin_count(t) : !is_blocked(t, &nr))) {
			if (atomic_load(&t->done))
				cr_fatal(
					"thread %d (%s) ended during the setup: %s",
					i, t->what, t->why);
			if (cr_now_ns(CLOCK_MONOTONIC) > deadline)
				cr_fatal("thread %d (%s) not %s within 2 s", i,
					 t->what,
					 spins(t) ? "spinning" : "blocked");
			cr_msleep(1);
		}
	}
}

static int cmp_pid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

static void check_tids(void)
{
	pid_t want[NR_THREADS + 1], now[NR_THREADS + 8];
	struct dirent *de;
	DIR *d;
	int n = 0;

	for (int i = 0; i < NR_THREADS; i++)
		want[i] = thr[i].tid;
	want[NR_THREADS] = getpid();
	qsort(want, NR_THREADS + 1, sizeof(pid_t), cmp_pid);
	d = opendir("/proc/self/task");
	if (!d) {
		cr_fail("opendir /proc/self/task: %m");
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && n < NR_THREADS + 8)
			now[n++] = (pid_t)atoi(de->d_name);
	closedir(d);
	if (n != NR_THREADS + 1) {
		cr_fail("%d threads in /proc/self/task, expected %d", n,
			NR_THREADS + 1);
		return;
	}
	qsort(now, (size_t)n, sizeof(pid_t), cmp_pid);
	for (int i = 0; i < n; i++)
		if (now[i] != want[i])
			cr_fail("/proc/self/task has tid %d where %d was",
				now[i], want[i]);
}

int main(int argc, char **argv)
{
	unsigned long start[NR_THREADS];
	bool moved[NR_THREADS] = {false};
	struct sigaction sa = {.sa_handler = on_signal};
	int64_t end;
	sigset_t set;
	long nr;
	int left;

	cr_init(argc, argv);
	if (!cr_regs_avx512())
		cr_skip("no AVX-512 (F+BW) in this CPU or not enabled in XCR0");
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGUSR2, &sa, NULL))
		cr_fatal("sigaction: %m");
	/* the sigwait signals stay blocked in every thread */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGRTMIN + 2);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		cr_fatal("sigprocmask: %m");
	setup_threads();

	cr_daemon();
	cr_wait_check();

	check_tids();
	/* spinning ones still run, blocked ones still wait */
	for (int i = 0; i < NR_THREADS; i++)
		start[i] = spin_count(&thr[i]);
	for (int i = 0; i < NR_THREADS; i++) {
		struct thr *t = &thr[i];

		if (spins(t) || atomic_load(&t->done))
			continue;
		if (!is_blocked(t, &nr))
			cr_fail("thread %d (%s): not blocked in system call %ld any more",
				i, t->what, t->nr);
	}
	left = 0;
	for (int i = 0; i < NR_THREADS; i++)
		left += spins(&thr[i]);
	end = cr_now_ns(CLOCK_MONOTONIC) + 5 * NS_PER_SEC;
	while (left && cr_now_ns(CLOCK_MONOTONIC) < end) {
		cr_msleep(1);
		for (int i = 0; i < NR_THREADS; i++)
			if (spins(&thr[i]) && !moved[i] &&
			    spin_count(&thr[i]) != start[i]) {
				moved[i] = true;
				left--;
			}
	}
	for (int i = 0; i < NR_THREADS; i++)
		if (spins(&thr[i]) && !moved[i] && !atomic_load(&thr[i].done))
			cr_fail("thread %d (%s): counter stuck at %lu for 5 s",
				i, thr[i].what, start[i]);

	/* release everyone */
	atomic_store(&stop, 1);
	for (int i = 0; i < NR_THREADS; i++) {
		struct thr *t = &thr[i];
		union sigval v = {.sival_int = 1600 + i};

		atomic_store(&t->released, 1);
		if (t->kind == K_REGS)
			__atomic_store_n(&t->regs.stop, 1, __ATOMIC_RELEASE);
		if (t->kind == K_FUTEX || t->kind == K_FUTEX_TIMEOUT) {
			__atomic_store_n(&t->futex_word, 1, __ATOMIC_RELEASE);
			if (futex(&t->futex_word, FUTEX_WAKE_PRIVATE, 1,
				  NULL) != 1)
				cr_fail("thread %d (%s): FUTEX_WAKE found no waiter",
					i, t->what);
		}
		if ((t->kind == K_POLL || t->kind == K_PAUSE) &&
		    syscall(SYS_tgkill, getpid(), t->tid, t->sig))
			cr_fail("tgkill: %m");
		if (t->kind == K_SIGWAIT &&
		    pthread_sigqueue(t->thread, t->sig, v))
			cr_fail("pthread_sigqueue: %m");
	}
	for (int i = 0; i < NR_THREADS; i++) {
		struct thr *t = &thr[i];
		struct timespec ts;
		int err;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += SLEEP_NS / NS_PER_SEC + 5;
		err = pthread_timedjoin_np(t->thread, NULL, &ts);
		if (err)
			cr_fail("thread %d (%s, tid %d): not done: %s", i,
				t->what, t->tid, strerror(err));
		else if (t->why[0])
			cr_fail("thread %d (%s, tid %d): %s", i, t->what,
				t->tid, t->why);
		else
			cr_msg("thread %d (%s, tid %d): right%s", i, t->what,
			       t->tid, spins(t) ? ", and it ran on" : "");
	}
	cr_pass();
}
