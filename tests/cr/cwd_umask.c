// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cwd_umask: the working directory, umask and comm survive C/R.
 *
 * State: cwd is a fresh directory (with a space in its name) under $TMPDIR,
 * the umask is 027 and the comm (PR_SET_NAME) is "cr-cwd-umask". Verified:
 * getcwd() and the cwd's device and inode, the umask through /proc (Umask)
 * and umask(2), and the comm through prctl and /proc/self/comm.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crtest.h"

#define UMASK 027
#define COMM  "cr-cwd-umask"

static char cwd[PATH_MAX];

static void cleanup(void)
{
	if (chdir("/") == 0)
		rmdir(cwd);
}

static void check_comm(void)
{
	char comm[32] = "";
	FILE *f;

	if (prctl(PR_GET_NAME, comm))
		cr_fail("PR_GET_NAME: %m");
	else if (strcmp(comm, COMM))
		cr_fail("comm (PR_GET_NAME) is '%s', expected '%s'", comm,
			COMM);
	f = fopen("/proc/self/comm", "re");
	if (!f) {
		cr_fail("open /proc/self/comm: %m");
		return;
	}
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(comm, COMM))
		cr_fail("/proc/self/comm is '%s', expected '%s'", comm, COMM);
}

static void check_umask(void)
{
	char buf[32];
	mode_t old;
	int ret;

	/* read it without changing it first */
	ret = cr_proc_status(0, "Umask", buf, sizeof(buf));
	if (ret)
		cr_fail("Umask in /proc/self/status: %s", strerror(-ret));
	else if (strtoul(buf, NULL, 8) != UMASK)
		cr_fail("umask in /proc is %s, expected %04o", buf, UMASK);
	old = umask(0);
	umask(old);
	if (old != UMASK)
		cr_fail("umask() returns %04o, expected %04o", (unsigned)old,
			UMASK);
}

int main(int argc, char **argv)
{
	char now[PATH_MAX];
	const char *tmp;
	struct stat st, st_now;

	cr_init(argc, argv);

	tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(cwd, sizeof(cwd), "%s/cr cwd.XXXXXX", tmp);
	if (!mkdtemp(cwd))
		cr_fatal("mkdtemp %s: %m", cwd);
	atexit(cleanup);
	if (chdir(cwd))
		cr_fatal("chdir %s: %m", cwd);
	/* the canonical name, as the kernel will report it */
	if (!getcwd(cwd, sizeof(cwd)))
		cr_fatal("getcwd: %m");
	if (stat(".", &st))
		cr_fatal("stat .: %m");
	umask(UMASK);
	if (prctl(PR_SET_NAME, COMM))
		cr_fatal("PR_SET_NAME: %m");
	cr_msg("cwd '%s', umask %04o, comm '%s'", cwd, UMASK, COMM);

	cr_daemon();
	cr_wait_check();

	if (!getcwd(now, sizeof(now)))
		cr_fail("getcwd: %m");
	else if (strcmp(now, cwd))
		cr_fail("cwd is '%s', expected '%s'", now, cwd);
	if (stat(".", &st_now))
		cr_fail("stat .: %m");
	else if (st_now.st_dev != st.st_dev || st_now.st_ino != st.st_ino)
		cr_fail("cwd is inode %lu on device %#lx, was %lu on %#lx",
			(unsigned long)st_now.st_ino,
			(unsigned long)st_now.st_dev, (unsigned long)st.st_ino,
			(unsigned long)st.st_dev);
	check_umask();
	check_comm();
	cr_pass();
}
