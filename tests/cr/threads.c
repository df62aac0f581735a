// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * threads: a multi-threaded process survives C/R with the same threads.
 *
 * State: 8 worker threads, each with its own thread id, name (comm), TLS
 * values (a word and a patterned buffer) and a counter it keeps advancing
 * while sleeping in small steps. Verified: the set of tids in
 * /proc/self/task is the same, every worker still runs (its counter moves
 * on), its TLS, thread pointer (fs base), tid and comm are unchanged, and it
 * can be stopped and joined.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef __x86_64__
#include <asm/prctl.h>
#endif

#include "crtest.h"

#define NR_WORKERS 8
#define TLS_BUF	   512
#define TLS_MAGIC  0x7153000000000000UL

struct worker {
	pthread_t thread;
	int idx;
	pid_t tid;
	unsigned long fs_base;
	char comm[16];
	atomic_ulong counter;
	atomic_uint tls_bad; /* iterations that saw a wrong TLS value */
};

static struct worker workers[NR_WORKERS];
static atomic_int nr_ready;
static atomic_int stop;

static __thread unsigned long tls_val;
static __thread int tls_idx = -1;
static __thread unsigned char tls_buf[TLS_BUF];

static unsigned long get_fs_base(void)
{
	unsigned long base = 0;

#ifdef __x86_64__
	syscall(SYS_arch_prctl, ARCH_GET_FS, &base);
#endif
	return base;
}

static void check_self(struct worker *w)
{
	char comm[16] = "";
	size_t bad, first;
	unsigned long fs;

	if (tls_val != (TLS_MAGIC | (unsigned long)w->idx))
		cr_fail("worker %d: TLS word %#lx, expected %#lx", w->idx,
			tls_val, TLS_MAGIC | (unsigned long)w->idx);
	if (tls_idx != w->idx)
		cr_fail("worker %d: TLS index %d", w->idx, tls_idx);
	first = cr_check_pattern(tls_buf, TLS_BUF, 100 + (uint64_t)w->idx,
				 &bad);
	if (first != (size_t)-1)
		cr_fail("worker %d: TLS buffer: %zu bytes differ, first at %zu",
			w->idx, bad, first);
	if (cr_gettid() != w->tid)
		cr_fail("worker %d: tid %d, was %d", w->idx, cr_gettid(),
			w->tid);
	fs = get_fs_base();
	if (fs != w->fs_base)
		cr_fail("worker %d: fs base %#lx, was %#lx", w->idx, fs,
			w->fs_base);
	if (prctl(PR_GET_NAME, comm))
		cr_fail("worker %d: PR_GET_NAME: %m", w->idx);
	else if (strcmp(comm, w->comm))
		cr_fail("worker %d: comm '%s', was '%s'", w->idx, comm,
			w->comm);
	if (atomic_load(&w->tls_bad))
		cr_fail("worker %d: TLS was wrong in %u iterations", w->idx,
			atomic_load(&w->tls_bad));
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	tls_idx = w->idx;
	tls_val = TLS_MAGIC | (unsigned long)w->idx;
	cr_fill_pattern(tls_buf, TLS_BUF, 100 + (uint64_t)w->idx);
	snprintf(w->comm, sizeof(w->comm), "cr-worker-%d", w->idx);
	if (prctl(PR_SET_NAME, w->comm))
		cr_fatal("worker %d: PR_SET_NAME: %m", w->idx);
	w->tid = cr_gettid();
	w->fs_base = get_fs_base();
	atomic_fetch_add(&nr_ready, 1);

	while (!atomic_load(&stop)) {
		if (tls_idx != w->idx ||
		    tls_val != (TLS_MAGIC | (unsigned long)w->idx))
			atomic_fetch_add(&w->tls_bad, 1);
		atomic_fetch_add(&w->counter, 1);
		cr_msleep(5);
	}
	check_self(w);
	return NULL;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The sorted tids of /proc/self/task; returns how many (at most max). */
static int list_tasks(pid_t *tids, int max)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	if (!d)
		cr_fatal("opendir /proc/self/task: %m");
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max)
			tids[n] = (pid_t)atoi(de->d_name);
		n++;
	}
	closedir(d);
	if (n <= max)
		qsort(tids, (size_t)n, sizeof(*tids), cmp_pid);
	return n;
}

static void check_tasks(const pid_t *before, int nr_before)
{
	pid_t now[NR_WORKERS + 8];
	int n = list_tasks(now, NR_WORKERS + 8);

	if (n != nr_before) {
		cr_fail("%d threads in /proc/self/task, were %d", n, nr_before);
		return;
	}
	for (int i = 0; i < n; i++)
		if (now[i] != before[i])
			cr_fail("thread ids differ: %d in /proc/self/task, was %d",
				now[i], before[i]);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every worker's counter must move on within 5 s. */
static void check_running(void)
{
	unsigned long start[NR_WORKERS];
	bool moved[NR_WORKERS] = {false};
	int64_t deadline = now_ms() + 5000;
	int left = NR_WORKERS;

	for (int i = 0; i < NR_WORKERS; i++)
		start[i] = atomic_load(&workers[i].counter);
	while (left && now_ms() < deadline) {
		cr_msleep(10);
		for (int i = 0; i < NR_WORKERS; i++) {
			if (!moved[i] &&
			    atomic_load(&workers[i].counter) != start[i]) {
				moved[i] = true;
				left--;
			}
		}
	}
	for (int i = 0; i < NR_WORKERS; i++)
		if (!moved[i])
			cr_fail("worker %d (tid %d) does not run: counter stuck at %lu for 5 s",
				i, workers[i].tid, start[i]);
}

int main(int argc, char **argv)
{
	pid_t tids[NR_WORKERS + 1];
	int64_t deadline;
	int nr_tids, err;

	cr_init(argc, argv);
	tls_idx = NR_WORKERS;
	tls_val = TLS_MAGIC | NR_WORKERS;

	for (int i = 0; i < NR_WORKERS; i++) {
		workers[i].idx = i;
		err = pthread_create(&workers[i].thread, NULL, worker_fn,
				     &workers[i]);
		if (err)
			cr_fatal("pthread_create %d: %s", i, strerror(err));
	}
	deadline = now_ms() + 10000;
	while (atomic_load(&nr_ready) < NR_WORKERS) {
		if (now_ms() > deadline)
			cr_fatal("only %d of %d workers started in 10 s",
				 atomic_load(&nr_ready), NR_WORKERS);
		cr_msleep(1);
	}
	nr_tids = list_tasks(tids, NR_WORKERS + 1);
	if (nr_tids != NR_WORKERS + 1)
		cr_fatal("%d tasks in /proc/self/task, expected %d", nr_tids,
			 NR_WORKERS + 1);

	cr_daemon();
	cr_wait_check();

	check_tasks(tids, nr_tids);
	check_running();
	if (tls_idx != NR_WORKERS || tls_val != (TLS_MAGIC | NR_WORKERS))
		cr_fail("main thread: TLS %d/%#lx", tls_idx, tls_val);

	atomic_store(&stop, 1);
	for (int i = 0; i < NR_WORKERS; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		err = pthread_timedjoin_np(workers[i].thread, NULL, &ts);
		if (err)
			cr_fail("worker %d (tid %d): join: %s", i,
				workers[i].tid, strerror(err));
	}
	cr_pass();
}
