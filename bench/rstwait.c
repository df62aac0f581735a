/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rstwait: times a restore of bench/memhog and the moment the restored
 * program runs again. Runs CMD (a restore that detaches: `cryo restore -d`,
 * `criu restore -d`) like timeit (wall time, peak RSS and CPU time from
 * wait4), then, once CMD has exited 0, sends SIGUSR1 to PID and waits
 * (polling every 50 us, at most 30 s) for memhog to answer by creating
 * READY.gap: the restored program is running its own code again. One line
 * goes to OUT:
 *   wall_ns=N maxrss_kb=N utime_us=N stime_us=N status=N run_ns=N
 * run_ns counts from the start of CMD (0 if CMD failed or no answer came).
 * Exits with CMD's exit status, or 3 if the program did not answer.
 *
 * usage: rstwait OUT PID READY CMD [ARG...]
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
	const struct timespec tick = {0, 50000};
	char gap[4200];
	struct rusage ru;
	uint64_t t0, t1, t2 = 0;
	int status, rc;
	struct stat st;
	pid_t pid, target;
	FILE *out;

	if (argc < 5) {
		fprintf(stderr, "usage: rstwait OUT PID READY CMD [ARG...]\n");
		return 2;
	}
	target = (pid_t)atoi(argv[2]);
	snprintf(gap, sizeof(gap), "%s.gap", argv[3]);
	unlink(gap);
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("rstwait: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[4], argv + 4);
		perror("rstwait: exec");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("rstwait: wait4");
		return 2;
	}
	t1 = now_ns();
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (rc == 0 && kill(target, SIGUSR1) == 0) {
		while (now_ns() - t1 < 30000000000ull) {
			if (!stat(gap, &st)) {
				t2 = now_ns();
				break;
			}
			nanosleep(&tick, NULL);
		}
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror("rstwait: OUT");
		return 2;
	}
	fprintf(out,
		"wall_ns=%llu maxrss_kb=%ld utime_us=%lld stime_us=%lld "
		"status=%d run_ns=%llu\n",
		(unsigned long long)(t1 - t0), ru.ru_maxrss,
		(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec,
		rc, (unsigned long long)(t2 ? t2 - t0 : 0));
	fclose(out);
	if (rc == 0 && !t2)
		return 3;
	return rc;
}
