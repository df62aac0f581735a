// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proc_misc: per-process settings survive C/R.
 *
 * State: every resource limit lowered to a value of its own (soft below
 * hard; RLIMIT_CPU, _RTTIME and _RTPRIO kept harmless), personality
 * ADDR_NO_RANDOMIZE|SHORT_INODE, not dumpable, pdeath signal SIGWINCH
 * (ignored by default, so the launcher's exit does nothing), child
 * subreaper, THP disabled, oom_score_adj 345, umask 063, cwd a fresh
 * directory under $TMPDIR. Verified: each limit (getrlimit) and each
 * setting (personality, prctl PR_GET_*, /proc/self/oom_score_adj, umask
 * through /proc Umask, getcwd and the directory's inode) is exactly what
 * it was.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crtest.h"

#define PERS	  (ADDR_NO_RANDOMIZE | SHORT_INODE)
#define OOM_ADJ	  345
#define UMASK	  063
#define PDEATHSIG SIGWINCH

static struct rlimit want[RLIM_NLIMITS];
static char cwd[PATH_MAX];
static struct stat cwd_st;

/* A lower value for each limit, different from the others. */
static void lower_limits(void)
{
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		struct rlimit r, old;

		if (getrlimit(i, &r))
			cr_fatal("getrlimit %d: %m", i);
		old = r;
		if (i == RLIMIT_CPU || i == RLIMIT_RTTIME)
			r.rlim_cur = r.rlim_max = 100000 + (rlim_t)i;
		else if (i == RLIMIT_RTPRIO || i == RLIMIT_NICE)
			r.rlim_cur = r.rlim_max = (rlim_t)i;
		else if (i == RLIMIT_NOFILE)
			r.rlim_cur = 300, r.rlim_max = 900;
		else if (i == RLIMIT_NPROC || i == RLIMIT_SIGPENDING)
			r.rlim_cur = 1000 + (rlim_t)i, r.rlim_max = 5000;
		else if (r.rlim_max == RLIM_INFINITY ||
			 r.rlim_max > (1UL << 40))
			r.rlim_cur = (1UL << 36) + (rlim_t)i,
			r.rlim_max = (1UL << 38) + (rlim_t)i;
		else if (r.rlim_cur > 1)
			r.rlim_cur -= 1;
		/* raising a hard limit needs CAP_SYS_RESOURCE */
		if (r.rlim_max > old.rlim_max)
			r.rlim_max = old.rlim_max;
		if (r.rlim_cur > r.rlim_max)
			r.rlim_cur = r.rlim_max;
		if (setrlimit(i, &r))
			cr_fatal("setrlimit %d: %m", i);
		if (getrlimit(i, &want[i]))
			cr_fatal("getrlimit %d: %m", i);
	}
}

static void set_misc(void)
{
	char tmpl[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	FILE *f;

	if (personality(PERS) < 0)
		cr_fatal("personality: %m");
	if (prctl(PR_SET_DUMPABLE, 0) || prctl(PR_SET_PDEATHSIG, PDEATHSIG) ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1) ||
	    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		cr_fatal("prctl: %m");
	f = fopen("/proc/self/oom_score_adj", "w");
	if (!f || fprintf(f, "%d", OOM_ADJ) < 0 || fclose(f))
		cr_fatal("write oom_score_adj: %m");
	umask(UMASK);
	snprintf(tmpl, sizeof(tmpl), "%s/cr-proc-misc.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl) || chdir(tmpl) || !getcwd(cwd, sizeof(cwd)) ||
	    stat(".", &cwd_st))
		cr_fatal("cwd %s: %m", tmpl);
}

static void check_limits(void)
{
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		struct rlimit r;

		if (getrlimit(i, &r)) {
			cr_fail("getrlimit %d: %m", i);
			continue;
		}
		if (r.rlim_cur != want[i].rlim_cur ||
		    r.rlim_max != want[i].rlim_max)
			cr_fail("limit %d: %llu/%llu, expected %llu/%llu", i,
				(unsigned long long)r.rlim_cur,
				(unsigned long long)r.rlim_max,
				(unsigned long long)want[i].rlim_cur,
				(unsigned long long)want[i].rlim_max);
	}
}

static void check_int(const char *what, long got, long expected)
{
	if (got != expected)
		cr_fail("%s: %ld, expected %ld", what, got, expected);
}

static void check_misc(void)
{
	char buf[PATH_MAX];
	int sig = -1, reaper = -1;
	struct stat st;
	FILE *f;

	check_int("personality", personality(0xffffffff), PERS);
	check_int("dumpable", prctl(PR_GET_DUMPABLE), 0);
	prctl(PR_GET_PDEATHSIG, &sig);
	check_int("pdeath signal", sig, PDEATHSIG);
	prctl(PR_GET_CHILD_SUBREAPER, &reaper);
	check_int("child subreaper", reaper, 1);
	check_int("THP disable", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0), 1);
	f = fopen("/proc/self/oom_score_adj", "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		cr_fail("read oom_score_adj: %m");
	else
		check_int("oom_score_adj", strtol(buf, NULL, 10), OOM_ADJ);
	if (f)
		fclose(f);
	if (cr_proc_status(0, "Umask", buf, sizeof(buf)))
		cr_fail("no Umask in /proc/self/status");
	else
		check_int("umask", strtol(buf, NULL, 8), UMASK);
	if (!getcwd(buf, sizeof(buf)) || strcmp(buf, cwd))
		cr_fail("cwd %s, expected %s", buf, cwd);
	if (stat(".", &st) || st.st_ino != cwd_st.st_ino ||
	    st.st_dev != cwd_st.st_dev)
		cr_fail("cwd is not the same directory");
}

int main(int argc, char **argv)
{
	cr_init(argc, argv);
#ifdef __SANITIZE_ADDRESS__
	cr_skip("under AddressSanitizer: it lowers every rlimit, and AddressSanitizer needs the address space it reserves (its mmaps fail)");
#endif
	lower_limits();
	set_misc();
	cr_daemon();
	cr_wait_check();
	check_limits();
	check_misc();
	if (chdir("/") == 0)
		rmdir(cwd);
	cr_pass();
}
