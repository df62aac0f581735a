// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Example of libcryo-inject: seize the process given on the command line,
 * make its main thread run getpid(), print the result, and let it go.
 *
 *   ./build/examples/inject_getpid PID
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <cryo/inject.h>

static void log_cb(int level, const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "inject_getpid: %s: %s\n",
		level == CRYO_INJECT_LOG_ERROR ? "error" : "note", msg);
}

int main(int argc, char **argv)
{
	struct cryo_inject_opts opts = {
		.sz = sizeof(opts),
		.log = log_cb,
		.log_level = CRYO_INJECT_LOG_WARN,
	};
	const unsigned long args[6] = {0};
	struct cryo_victim *v;
	long ret;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PID\n", argv[0]);
		return 2;
	}
	err = cryo_inject_seize(atoi(argv[1]), &opts, &v);
	if (err) {
		fprintf(stderr, "seize: %s\n", strerror(-err));
		return 1;
	}
	err = cryo_inject_syscall(v, 0, SYS_getpid, args, &ret);
	if (err)
		fprintf(stderr, "inject: %s\n", strerror(-err));
	else
		printf("getpid() in %d returned %ld\n", cryo_inject_pid(v),
		       ret);
	if (cryo_inject_release(v) && !err)
		err = -1;
	return err ? 1 : 0;
}
