// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * timers: interval timers and POSIX timers survive C/R with their ids,
 * clocks, notifications, intervals and remaining times, and keep firing.
 *
 * State: ITIMER_REAL (100 s, interval 50 s), ITIMER_VIRTUAL (200 s,
 * interval 3 s) and ITIMER_PROF (300 s, interval 7 s), none of which
 * fire during the test. POSIX timers created with the raw syscall so ids
 * are the kernel's: six created (ids 0..5), ids 1 and 3 deleted (gaps):
 *   0  CLOCK_MONOTONIC, SIGEV_SIGNAL SIGRTMIN+1 value 0x1234, every 20 ms
 *   2  CLOCK_REALTIME, SIGEV_NONE, 1000 s, interval 0.5 s
 *   4  CLOCK_BOOTTIME, SIGEV_THREAD_ID to a worker, SIGRTMIN+2 value
 *      0x4444, every 30 ms
 *   5  CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL SIGRTMIN+3, disarmed
 * The timer signals are blocked, so they stay queued and overrun.
 * Verified: getitimer (intervals exact, time left in (0, set]), the ids,
 * clocks, signals, values and notify targets in /proc/self/timers, the
 * intervals and remaining times of timer_gettime; then timers 0 and 4 fire
 * again (a fresh signal within 2 s with si_timerid and si_value right,
 * timer 4 in the worker thread) and a new timer gets an id not taken.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "crtest.h"

#define NR_CREATED 6
#define NS	   1000000000L

struct tspec {
	int id;
	clockid_t clock;
	int notify;
	int sig;
	int value;
	long interval_ns, value_ns;
};

static const struct tspec timers[] = {
	{0, CLOCK_MONOTONIC, SIGEV_SIGNAL, 0, 0x1234, 20000000, 20000000},
	{2, CLOCK_REALTIME, SIGEV_NONE, 0, 0, NS / 2, 0},
	{4, CLOCK_BOOTTIME, SIGEV_THREAD_ID | SIGEV_SIGNAL, 0, 0x4444, 30000000,
	 30000000},
	{5, CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, 0, 0x5555, 0, 0},
};
#define NR_TIMERS (int)(sizeof(timers) / sizeof(timers[0]))

static const struct itimerval itv[3] = {
	{{50, 0}, {100, 0}},
	{{3, 0}, {200, 0}},
	{{7, 0}, {300, 0}},
};

static pid_t worker_tid;
static atomic_int worker_ready, check_req, worker_done;

static int timer_sig(int i)
{
	return SIGRTMIN + 1 + i;
}

static int raw_create(clockid_t clock, struct sigevent *ev, int *id)
{
	return (int)syscall(SYS_timer_create, clock, ev, id);
}

static void create_timers(void)
{
	int ids[NR_CREATED];

	for (int i = 0; i < NR_CREATED; i++) {
		const struct tspec *s = NULL;
		struct sigevent ev;

		for (int k = 0; k < NR_TIMERS; k++)
			if (timers[k].id == i)
				s = &timers[k];
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = s ? s->notify : SIGEV_NONE;
		ev.sigev_signo = s ? timer_sig((int)(s - timers)) : SIGALRM;
		ev.sigev_value.sival_int = s ? s->value : 0;
		ev._sigev_un._tid = worker_tid;
		if (raw_create(s ? s->clock : CLOCK_MONOTONIC, &ev, &ids[i]))
			cr_fatal("timer_create: %m");
		if (ids[i] != i)
			cr_skip("the kernel gave timer id %d, not %d", ids[i],
				i);
	}
	if (syscall(SYS_timer_delete, 1) || syscall(SYS_timer_delete, 3))
		cr_fatal("timer_delete: %m");
	for (int k = 0; k < NR_TIMERS; k++) {
		struct itimerspec its = {
			{timers[k].interval_ns / NS,
			 timers[k].interval_ns % NS},
			{timers[k].value_ns / NS, timers[k].value_ns % NS}};

		if (timers[k].id == 2)
			its.it_value.tv_sec = 1000;
		if (syscall(SYS_timer_settime, timers[k].id, 0, &its, NULL))
			cr_fatal("timer_settime %d: %m", timers[k].id);
	}
	for (int w = 0; w < 3; w++)
		if (setitimer(w, &itv[w], NULL))
			cr_fatal("setitimer %d: %m", w);
}

static void check_itimers(void)
{
	for (int w = 0; w < 3; w++) {
		struct itimerval g;

		if (getitimer(w, &g)) {
			cr_fail("getitimer %d: %m", w);
			continue;
		}
		if (g.it_interval.tv_sec != itv[w].it_interval.tv_sec ||
		    g.it_interval.tv_usec != 0)
			cr_fail("itimer %d: interval %ld.%06ld, expected %ld",
				w, g.it_interval.tv_sec, g.it_interval.tv_usec,
				itv[w].it_interval.tv_sec);
		if ((!g.it_value.tv_sec && !g.it_value.tv_usec) ||
		    g.it_value.tv_sec > itv[w].it_value.tv_sec)
			cr_fail("itimer %d: %ld.%06ld s left, expected in (0, "
				"%ld]",
				w, g.it_value.tv_sec, g.it_value.tv_usec,
				itv[w].it_value.tv_sec);
	}
}

/* The block of /proc/self/timers for id, as the kernel prints it. */
static void check_proc_timer(const char *text, const struct tspec *s, int k)
{
	const char *notify = s->notify == SIGEV_NONE ? "none" : "signal";
	/* the kernel keeps CPU clocks as MAKE_PROCESS_CPUCLOCK(0, SCHED) */
	int clock = s->clock == CLOCK_PROCESS_CPUTIME_ID ? -6 : (int)s->clock;
	char want[256];

	snprintf(want, sizeof(want),
		 "ID: %d\nsignal: %d/%016x\nnotify: %s/%s.%d\nClockID: %d\n",
		 s->id, timer_sig(k), s->value, notify,
		 (s->notify & SIGEV_THREAD_ID) ? "tid" : "pid",
		 (s->notify & SIGEV_THREAD_ID) ? worker_tid : getpid(), clock);
	if (!strstr(text, want))
		cr_fail("timer %d: not listed as \"%s\" in /proc/self/timers:\n%s",
			s->id, want, text);
}

static void check_posix_timers(void)
{
	char text[4096];
	FILE *f = fopen("/proc/self/timers", "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	int ids = 0;

	if (f)
		fclose(f);
	text[n] = 0;
	for (const char *p = text; (p = strstr(p, "\nID: ")); p += 4)
		ids++;
	ids += !strncmp(text, "ID: ", 4);
	if (ids != NR_TIMERS)
		cr_fail("%d timers in /proc/self/timers, expected %d", ids,
			NR_TIMERS);
	for (int k = 0; k < NR_TIMERS; k++) {
		const struct tspec *s = &timers[k];
		struct itimerspec g;
		long want_left = s->id == 2 ? 1000 * NS : s->value_ns;
		long left;

		check_proc_timer(text, s, k);
		if (syscall(SYS_timer_gettime, s->id, &g)) {
			cr_fail("timer_gettime %d: %m", s->id);
			continue;
		}
		left = g.it_value.tv_sec * NS + g.it_value.tv_nsec;
		if (g.it_interval.tv_sec * NS + g.it_interval.tv_nsec !=
		    s->interval_ns)
			cr_fail("timer %d: interval %ld.%09ld", s->id,
				g.it_interval.tv_sec, g.it_interval.tv_nsec);
		if (!want_left ? left != 0 : (left <= 0 || left > want_left))
			cr_fail("timer %d: %ld ns left, expected in (0, %ld]",
				s->id, left, want_left);
	}
}

/* Drains sig (queued before the dump), then waits for a fresh expiry. */
static void check_fires(const char *who, int sig, int id, int value)
{
	struct timespec zero = {0, 0}, two = {2, 0};
	siginfo_t si;
	sigset_t set;
	int n = 0;

	sigemptyset(&set);
	sigaddset(&set, sig);
	while (sigtimedwait(&set, &si, &zero) == sig && n < 100)
		n++;
	if (sigtimedwait(&set, &si, &two) != sig) {
		cr_fail("%s: timer %d does not fire any more (%d queued)", who,
			id, n);
		return;
	}
	if (si.si_code != SI_TIMER || si.si_timerid != id ||
	    si.si_value.sival_int != value)
		cr_fail("%s: timer signal: code %d timerid %d value %#x, "
			"expected %d %d %#x",
			who, si.si_code, si.si_timerid, si.si_value.sival_int,
			SI_TIMER, id, value);
}

static void *worker(void *arg)
{
	worker_tid = cr_gettid();
	atomic_store(&worker_ready, 1);
	while (!atomic_load(&check_req))
		cr_msleep(5);
	check_fires("worker", timer_sig(2), 4, 0x4444);
	atomic_store(&worker_done, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	sigset_t set;
	pthread_t th;
	int id = -1;

	cr_init(argc, argv);
	cr_check_sigset(&set);
	for (int k = 0; k < NR_TIMERS; k++)
		sigaddset(&set, timer_sig(k));
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGVTALRM);
	sigaddset(&set, SIGPROF);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		cr_fatal("pthread_sigmask: %m");
	if (pthread_create(&th, NULL, worker, NULL))
		cr_fatal("pthread_create failed");
	while (!atomic_load(&worker_ready))
		cr_msleep(1);
	create_timers();

	cr_daemon();
	cr_wait_check();

	check_itimers();
	check_posix_timers();
	check_fires("main", timer_sig(0), 0, 0x1234);
	atomic_store(&check_req, 1);
	pthread_join(th, NULL);
	/* the kernel's next-id counter is not visible: only ask for a free id */
	if (raw_create(CLOCK_MONOTONIC, NULL, &id))
		cr_fail("timer_create after the check: %m");
	for (int k = 0; k < NR_TIMERS; k++)
		if (id == timers[k].id)
			cr_fail("timer_create gave id %d, which is taken", id);
	cr_pass();
}
