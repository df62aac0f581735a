// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: a thread that cannot stop. A vfork parent sleeps uninterruptibly
 * (state D, woken only by a fatal signal) until its child exits, so
 * PTRACE_INTERRUPT cannot stop it. cryo_inject_seize must give up after
 * the stop timeout with -ETIMEDOUT and leave the victim untraced; once
 * the vfork child is gone the victim runs on and exits 0 by itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cryo/inject.h>

static char state_of(pid_t pid, long *tracer)
{
	char path[64], buf[512], *p, st = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
			st = p[2];
		fclose(f);
	}
	*tracer = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	while (f && fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, "TracerPid:", 10))
			*tracer = atol(buf + 10);
	if (f)
		fclose(f);
	return st;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct cryo_inject_opts o = {.sz = sizeof(o), .stop_timeout_ms = 300};
	struct cryo_victim *v = NULL;
	int pfd[2], st, ret, fails = 0;
	pid_t victim, child = 0;
	double t0, t;
	long tracer;
	char c;

	if (pipe(pfd))
		return 1;
	victim = fork();
	if (victim == 0) {
		pid_t k;

		close(pfd[0]);
		k = vfork();
		if (k == 0) {
			/* only raw syscalls in a vfork child */
			struct timespec ts = {60, 0};
			long me = syscall(SYS_getpid);

			syscall(SYS_write, pfd[1], &me, sizeof(me));
			syscall(SYS_nanosleep, &ts, NULL);
			syscall(SYS_exit, 0);
		}
		_exit(k > 0 && waitpid(k, &st, 0) == k ? 0 : 3);
	}
	close(pfd[1]);
	if (read(pfd[0], &child, sizeof(child)) != (ssize_t)sizeof(child)) {
		printf("FAIL: the vfork child did not start\n");
		kill(victim, SIGKILL);
		return 1;
	}
	for (int i = 0; i < 500 && state_of(victim, &tracer) != 'D'; i++)
		usleep(10000);
	if (state_of(victim, &tracer) != 'D') {
		printf("SKIP: the vfork parent is not in state D here\n");
		kill(child, SIGKILL);
		kill(victim, SIGKILL);
		waitpid(victim, &st, 0);
		return 77;
	}
	t0 = now();
	ret = cryo_inject_seize(victim, &o, &v);
	t = now() - t0;
	if (ret != -ETIMEDOUT) {
		printf("FAIL: seize of a D-state thread returned %d (%s), expected -ETIMEDOUT\n",
		       ret, strerror(-ret));
		fails++;
		if (!ret)
			cryo_inject_release(v);
	} else if (t < 0.25 || t > 5) {
		printf("FAIL: seize gave up after %.3f s, timeout 0.3 s\n", t);
		fails++;
	}
	if (state_of(victim, &tracer) == '?' || tracer != 0) {
		printf("FAIL: victim still traced (by %ld) after the failed seize\n",
		       tracer);
		fails++;
	}
	kill(child, SIGKILL); /* the vfork parent wakes and exits 0 */
	if (waitpid(victim, &st, 0) != victim || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		printf("FAIL: victim did not run on to exit 0 (status 0x%x)\n",
		       st);
		fails++;
	}
	(void)c;
	if (!fails)
		printf("PASS: seize gave up on a D-state thread after %.3f s, victim untouched\n",
		       t);
	return fails ? 1 : 0;
}
