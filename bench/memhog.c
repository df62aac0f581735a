/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memhog: the target of bench/dump.sh. Maps N MiB of private anonymous
 * memory, fills every byte with pseudo-random data (xorshift64*, seeded, so
 * the same N gives the same bytes on every run), starts a ticker thread that
 * measures the longest gap it was kept from running (the frozen time of a
 * --leave-running dump), becomes a session leader, writes its PID to the
 * ready file (atomically: tmp + rename), and waits for signals:
 *   SIGUSR1  write the longest gap since the last SIGUSR1 (in ns) to
 *            READY.gap (atomically) and reset it
 *   SIGUSR2  check every byte of the memory against the sequence it was
 *            filled with and write "ok" or "bad at offset N" to
 *            READY.check (atomically): a restore must give back the data
 *   SIGTERM  exit 0
 *
 * usage: memhog MIB READY_FILE
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static _Atomic uint64_t max_gap_ns;

#define SEED 0x9e3779b97f4a7c15ull

/* xorshift64*: the same sequence fills the memory and checks it. */
static uint64_t next_word(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

/* Index of the first word that differs from the sequence, or n. */
static size_t check_words(const uint64_t *p, size_t n)
{
	uint64_t x = SEED;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != next_word(&x))
			break;
	return i;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleeps 1 ms at a time; a gap much longer than that means we were frozen. */
static void *ticker(void *arg)
{
	const struct timespec ms = {0, 1000000};
	uint64_t prev = now_ns();

	for (;;) {
		uint64_t t, gap;

		nanosleep(&ms, NULL);
		t = now_ns();
		gap = t - prev;
		prev = t;
		if (gap > atomic_load(&max_gap_ns))
			atomic_store(&max_gap_ns, gap);
	}
	return arg;
}

static int write_atomic(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	char buf[4200], gapfile[4096], checkfile[4096];
	size_t mib, len, i, n;
	uint64_t *p, x = SEED, sum = 0;
	pthread_t th;
	sigset_t set;

	if (argc != 3) {
		fprintf(stderr, "usage: memhog MIB READY_FILE\n");
		return 2;
	}
	mib = strtoul(argv[1], NULL, 10);
	len = mib << 20;
	p = mmap(NULL, len ? len : 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("memhog: mmap");
		return 1;
	}
	n = len / sizeof(*p);
	for (i = 0; i < n; i++)
		p[i] = next_word(&x);
	for (i = 0; i < n; i += 512)
		sum += p[i];

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL); /* inherited by the ticker */
	if (pthread_create(&th, NULL, ticker, NULL) != 0) {
		fprintf(stderr, "memhog: pthread_create failed\n");
		return 1;
	}
	setsid(); /* its own session: no -j needed, for cryo and CRIU */

	snprintf(gapfile, sizeof(gapfile), "%s.gap", argv[2]);
	snprintf(checkfile, sizeof(checkfile), "%s.check", argv[2]);
	snprintf(buf, sizeof(buf), "%d %llx\n", (int)getpid(),
		 (unsigned long long)sum);
	if (write_atomic(argv[2], buf) != 0) {
		perror("memhog: ready file");
		return 1;
	}
	for (;;) {
		int sig;

		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGTERM)
			return 0;
		if (sig == SIGUSR2) {
			i = check_words(p, n);
			if (i == n)
				snprintf(buf, sizeof(buf), "ok\n");
			else
				snprintf(buf, sizeof(buf),
					 "bad at offset %zu\n", i * sizeof(*p));
			if (write_atomic(checkfile, buf) != 0)
				perror("memhog: check file");
			continue;
		}
		snprintf(buf, sizeof(buf), "%llu\n",
			 (unsigned long long)atomic_exchange(&max_gap_ns, 0));
		if (write_atomic(gapfile, buf) != 0)
			perror("memhog: gap file");
	}
}
