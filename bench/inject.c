/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/inject: the cost of the injection engine (libcryo-inject).
 *
 *   1. one injected syscall (getpid), averaged over N injections in a
 *      seized 1-thread target, with the tracer and the target pinned to the
 *      same CPU, then to different CPUs (sched_setaffinity on both);
 *   2. cryo_inject_seize + cryo_inject_release of a 32-thread process and
 *      of a 1-thread process, averaged over R rounds, unpinned and with
 *      everything on one CPU.
 *
 * The target is a child: its threads sleep in pause(), its main thread in
 * sigwait(SIGTERM); at the end it gets SIGTERM and must exit 0, which shows
 * the engine left it working (every injected getpid is checked too). The
 * children die with us (PR_SET_PDEATHSIG) whatever happens.
 *
 * usage: inject [-n SYSCALLS] [-r ROUNDS] [-t THREADS]
 *        defaults: 10000 syscalls, 100 rounds, 32 threads
 * Built by bench/run.sh (or bench/inject.sh) against build/libcryo-inject.a.
 */
#include <cryo/inject.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child_pid;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void kill_child(void)
{
	if (child_pid > 0) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, NULL, 0);
		child_pid = 0;
	}
}

/* err: a positive errno, or the negated unexpected return of an API call
 * (the API promises 0 or a negative errno). */
static void die(const char *what, int err)
{
	if (err > 0)
		fprintf(stderr, "bench/inject: %s: %s\n", what, strerror(err));
	else
		fprintf(stderr,
			"bench/inject: %s: returned %d, not 0 or a "
			"negative errno\n",
			what, -err);
	kill_child();
	exit(1);
}

static int pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0) { /* every CPU */
		long i, n = sysconf(_SC_NPROCESSORS_ONLN);

		for (i = 0; i < n && i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	return sched_setaffinity(pid, sizeof(set), &set) ? -errno : 0;
}

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/* The target: nthreads threads in all (the main one included). CPU
 * affinity is inherited from the parent at fork and by the threads. */
static void target(int nthreads, int ready_fd, pid_t parent)
{
	sigset_t set;
	int i, sig;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 1; i < nthreads; i++) {
		pthread_t th;

		if (pthread_create(&th, NULL, sleeper, NULL) != 0)
			_exit(2);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(3);
	close(ready_fd);
	while (sigwait(&set, &sig) != 0 || sig != SIGTERM)
		;
	_exit(0);
}

/* Starts a target with nthreads threads pinned to cpu (-1: any). */
static pid_t start_target(int nthreads, int cpu)
{
	struct pollfd pfd;
	int p[2], err;
	pid_t parent;
	char c;

	if (pipe(p) != 0)
		die("pipe", errno);
	/* The child inherits the affinity: set it in the parent around fork. */
	err = pin(0, cpu);
	if (err)
		die("sched_setaffinity", -err);
	parent = getpid();
	child_pid = fork();
	if (child_pid < 0)
		die("fork", errno);
	if (child_pid == 0) {
		close(p[0]);
		target(nthreads, p[1], parent);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(p[0], &c, 1) != 1)
		die("target did not start within 10 s", ETIMEDOUT);
	close(p[0]);
	return child_pid;
}

/* SIGTERM; the target must exit 0 within 10 s. */
static void stop_target(void)
{
	uint64_t deadline = now_ns() + 10000000000ull;
	int status;
	pid_t r;

	kill(child_pid, SIGTERM);
	while ((r = waitpid(child_pid, &status, WNOHANG)) == 0) {
		struct timespec ms = {0, 1000000};

		if (now_ns() > deadline)
			die("target did not exit after SIGTERM", ETIMEDOUT);
		nanosleep(&ms, NULL);
	}
	child_pid = 0;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr,
			"bench/inject: the target did not exit cleanly "
			"(status 0x%x): the engine broke it\n",
			status);
		exit(1);
	}
}

/* INJECT_LOG=N in the environment: the engine's log level (4: debug). */
static struct cryo_inject_opts opts = {
	.sz = sizeof(struct cryo_inject_opts),
};

/* Average ns of one injected getpid; tracer on tcpu, target on vcpu. */
static double bench_syscall(int tcpu, int vcpu, int n)
{
	static const unsigned long args[6];
	struct cryo_victim *v;
	uint64_t t0 = 0, t1;
	long res;
	pid_t pid;
	int i, err;

	pid = start_target(1, vcpu);
	err = pin(0, tcpu);
	if (err)
		die("sched_setaffinity", -err);
	err = cryo_inject_seize(pid, &opts, &v);
	if (err)
		die("cryo_inject_seize", -err);
	for (i = -n / 10 - 1; i < n; i++) { /* a tenth more, as warm-up */
		if (i == 0)
			t0 = now_ns();
		err = cryo_inject_syscall(v, 0, SYS_getpid, args, &res);
		if (err)
			die("cryo_inject_syscall", -err);
		if (res != pid) {
			fprintf(stderr,
				"bench/inject: injected getpid returned %ld, not %d\n",
				res, (int)pid);
			kill_child();
			exit(1);
		}
	}
	t1 = now_ns();
	err = cryo_inject_release(v);
	if (err)
		die("cryo_inject_release", -err);
	stop_target();
	return (double)(t1 - t0) / n;
}

/* Average ns of seize + release of an nthreads process, on cpu (-1 any). */
static double bench_seize(int nthreads, int cpu, int rounds)
{
	struct cryo_victim *v;
	uint64_t t0 = 0, t1;
	pid_t pid;
	int i, err;

	pid = start_target(nthreads, cpu);
	for (i = -1; i < rounds; i++) { /* one warm-up round */
		if (i == 0)
			t0 = now_ns();
		err = cryo_inject_seize(pid, &opts, &v);
		if (err)
			die("cryo_inject_seize", -err);
		if (cryo_inject_nr_threads(v) != nthreads) {
			fprintf(stderr,
				"bench/inject: seized %d threads, not %d\n",
				cryo_inject_nr_threads(v), nthreads);
			kill_child();
			exit(1);
		}
		err = cryo_inject_release(v);
		if (err)
			die("cryo_inject_release", -err);
	}
	t1 = now_ns();
	stop_target();
	return (double)(t1 - t0) / rounds;
}

int main(int argc, char **argv)
{
	int n = 10000, rounds = 100, threads = 32, opt, ncpu;
	const char *criu = getenv("CRIU");

	while ((opt = getopt(argc, argv, "n:r:t:")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			threads = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: inject [-n SYSCALLS] [-r ROUNDS] "
				"[-t THREADS]\n");
			return 2;
		}
	}
	if (n < 1 || rounds < 1 || threads < 1) {
		fprintf(stderr, "bench/inject: counts must be positive\n");
		return 2;
	}
	if (getenv("INJECT_LOG"))
		opts.log_level = atoi(getenv("INJECT_LOG"));
	atexit(kill_child);
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	setvbuf(stdout, NULL, _IOLBF, 0); /* each row as soon as measured */
	if (criu && *criu)
		printf("CRIU: no counterpart for this measurement (compel is "
		       "internal to CRIU)\n");
	else
		printf("CRIU: not given\n");
	printf("| measurement | placement | average | count |\n");
	printf("|---|---|---|---|\n");
	printf("| one injected getpid | tracer and target on CPU 0 "
	       "| %.1f us | %d |\n",
	       bench_syscall(0, 0, n) / 1e3, n);
	if (ncpu > 1)
		printf("| one injected getpid | tracer on CPU 0, target on "
		       "CPU 1 | %.1f us | %d |\n",
		       bench_syscall(0, 1, n) / 1e3, n);
	else
		printf("| one injected getpid | (1 CPU: no cross-CPU case) "
		       "| - | - |\n");
	pin(0, -1);
	printf("| seize + release, 1 thread | unpinned | %.1f us | %d |\n",
	       bench_seize(1, -1, rounds) / 1e3, rounds);
	printf("| seize + release, %d threads | unpinned | %.1f us | %d |\n",
	       threads, bench_seize(threads, -1, rounds) / 1e3, rounds);
	printf("| seize + release, 1 thread | all on CPU 0 | %.1f us | %d |\n",
	       bench_seize(1, 0, rounds) / 1e3, rounds);
	printf("| seize + release, %d threads | all on CPU 0 | %.1f us | %d "
	       "|\n",
	       threads, bench_seize(threads, 0, rounds) / 1e3, rounds);
	pin(0, -1);
	return 0;
}
