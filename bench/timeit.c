/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * timeit: runs a command and reports its wall time (CLOCK_MONOTONIC, ns),
 * peak RSS (ru_maxrss of wait4, KiB) and CPU time (user and system, us),
 * the same way for cryo, CRIU and dd. One line goes to OUT:
 *   wall_ns=N maxrss_kb=N utime_us=N stime_us=N status=N
 * The command's stdout and stderr are left alone. Exits with the command's
 * exit status (128+signal if it was killed).
 *
 * usage: timeit OUT CMD [ARG...]
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	uint64_t t0, t1;
	int status, rc;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: timeit OUT CMD [ARG...]\n");
		return 2;
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("timeit: exec");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("timeit: wait4");
		return 2;
	}
	t1 = now_ns();
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	out = fopen(argv[1], "w");
	if (!out) {
		perror("timeit: OUT");
		return 2;
	}
	fprintf(out,
		"wall_ns=%llu maxrss_kb=%ld utime_us=%lld stime_us=%lld "
		"status=%d\n",
		(unsigned long long)(t1 - t0), ru.ru_maxrss,
		(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec,
		rc);
	fclose(out);
	return rc;
}
