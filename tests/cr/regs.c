// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * regs: user-space register state survives C/R, thread by thread.
 *
 * State: two threads each spin in cr_regs_loop() (tests/cr/lib/cr_regs.c)
 * with their own values in rbx rcx rdx rsi rbp r8-r15, k1-k7, zmm1-zmm31 and
 * a non-default MXCSR, comparing all of them with the expected values on
 * every iteration; every thread (main included) has a __thread word and
 * knows its fs base. Verified: each loop is still running after the check
 * request (its iteration counter moves on) and, once told to stop, returns
 * "every register intact" (a change at any moment ends the loop with the
 * register's name); the __thread words and fs bases are unchanged.
 * Skipped if the CPU or the kernel lacks AVX-512 (F and BW).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>

#include "crtest.h"
#include "cr_regs.h"

#define NR_LOOPS  2
#define TLS_MAGIC 0x7e65000000000000UL

struct loop {
	struct cr_regs_ctl ctl; /* first: 64-byte aligned */
	pthread_t thread;
	int idx;
	pid_t tid;
	unsigned long fs_base;
	atomic_int started;
	int result;
	unsigned long tls_seen; /* the thread's __thread word after the loop */
	unsigned long fs_seen;
};

static struct loop loops[NR_LOOPS];
static __thread unsigned long tls_word;

static unsigned long get_fs_base(void)
{
	unsigned long base = 0;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &base);
	return base;
}

static void *loop_fn(void *arg)
{
	struct loop *l = arg;

	tls_word = TLS_MAGIC | (unsigned long)l->idx;
	l->tid = cr_gettid();
	l->fs_base = get_fs_base();
	atomic_store(&l->started, 1);
	l->result = cr_regs_loop(&l->ctl);
	l->tls_seen = tls_word;
	l->fs_seen = get_fs_base();
	return NULL;
}

static uint64_t counter(struct loop *l)
{
	return __atomic_load_n(&l->ctl.counter, __ATOMIC_RELAXED);
}

/* Waits up to ms for every loop's counter to move past start[]. */
static void check_running(const uint64_t *start, int ms)
{
	int64_t end = cr_now_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000;
	bool moved[NR_LOOPS] = {false};
	int left = NR_LOOPS;

	while (left && cr_now_ns(CLOCK_MONOTONIC) < end) {
		for (int i = 0; i < NR_LOOPS; i++)
			if (!moved[i] && counter(&loops[i]) != start[i]) {
				moved[i] = true;
				left--;
			}
		if (left)
			cr_msleep(1);
	}
	for (int i = 0; i < NR_LOOPS; i++)
		if (!moved[i])
			cr_fail("loop %d (tid %d): counter stuck at %llu for %d ms (the loop ended or does not run)",
				i, loops[i].tid, (unsigned long long)start[i],
				ms);
}

int main(int argc, char **argv)
{
	uint64_t start[NR_LOOPS];
	unsigned long main_fs;
	struct timespec ts;
	char name[16];
	int err;

	cr_init(argc, argv);
	if (!cr_regs_avx512())
		cr_skip("no AVX-512 (F+BW) in this CPU or not enabled in XCR0");
	tls_word = TLS_MAGIC | 0xff;
	main_fs = get_fs_base();

	for (int i = 0; i < NR_LOOPS; i++) {
		loops[i].idx = i;
		cr_regs_init(&loops[i].ctl, 0x5e9000 + (uint64_t)i);
		err = pthread_create(&loops[i].thread, NULL, loop_fn,
				     &loops[i]);
		if (err)
			cr_fatal("pthread_create: %s", strerror(err));
	}
	/* both loops started and iterating */
	for (int i = 0; i < NR_LOOPS; i++) {
		int64_t end = cr_now_ns(CLOCK_MONOTONIC) + 10000000000LL;

		while (!atomic_load(&loops[i].started) || !counter(&loops[i])) {
			if (cr_now_ns(CLOCK_MONOTONIC) > end)
				cr_fatal("loop %d did not start in 10 s", i);
			cr_msleep(1);
		}
		cr_msg("loop %d: tid %d, fs base %#lx", i, loops[i].tid,
		       loops[i].fs_base);
	}

	cr_daemon();
	cr_wait_check();

	for (int i = 0; i < NR_LOOPS; i++)
		start[i] = counter(&loops[i]);
	check_running(start, 5000);
	for (int i = 0; i < NR_LOOPS; i++)
		__atomic_store_n(&loops[i].ctl.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NR_LOOPS; i++) {
		struct loop *l = &loops[i];

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		err = pthread_timedjoin_np(l->thread, NULL, &ts);
		if (err) {
			cr_fail("loop %d (tid %d): join: %s", i, l->tid,
				strerror(err));
			continue;
		}
		if (l->result != CR_REGS_OK)
			cr_fail("loop %d (tid %d): %s changed (after %llu iterations)",
				i, l->tid,
				cr_regs_name(l->result, name, sizeof(name)),
				(unsigned long long)l->ctl.counter);
		if (l->tls_seen != (TLS_MAGIC | (unsigned long)i))
			cr_fail("loop %d: __thread word %#lx, expected %#lx", i,
				l->tls_seen, TLS_MAGIC | (unsigned long)i);
		if (l->fs_seen != l->fs_base)
			cr_fail("loop %d: fs base %#lx, was %#lx", i,
				l->fs_seen, l->fs_base);
		cr_msg("loop %d: %llu iterations, result %d", i,
		       (unsigned long long)l->ctl.counter, l->result);
	}
	if (tls_word != (TLS_MAGIC | 0xff))
		cr_fail("main thread: __thread word %#lx", tls_word);
	if (get_fs_base() != main_fs)
		cr_fail("main thread: fs base %#lx, was %#lx", get_fs_base(),
			main_fs);
	cr_pass();
}
