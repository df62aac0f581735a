// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kill the spy: for every fault step of the engine (each cryo_fault(v,
 * "STEP") in lib/inject), and for several victims, a child spy seizes a
 * fresh victim with CRYO_INJECT_FAULT=STEP and runs the standard set; the
 * engine SIGKILLs the child at STEP. The victim must then be untraced and
 * verify itself. A (step, victim) pair may fail only if it is in the
 * allowed[] table below and docs/inject.md calls the step unsafe (a line
 * with the word "unsafe" naming `STEP`): reported as expected, not failed.
 *
 *   kill_spy                 every step, every victim
 *   kill_spy STEP [VICTIM]   one step (with one victim)
 */
#include <ctype.h>
#include <stdbool.h>

#include "spy.h"

#define MAXSTEPS 64

static char steps[MAXSTEPS][32];
static int nsteps, unsafe[MAXSTEPS], hit[MAXSTEPS];
static unsigned int failed[MAXSTEPS]; /* bit j: victims[j] failed */
static const char *const victims[] = {
	"pipe_read", "busy",   "stopped",      "sud",	  "nanosleep",
	"signals",   "avx512", "seccomp_kill", "threads", "sud_gadget",
};

/*
 * The (step, victim) pairs allowed to fail, each for a reason docs/inject.md
 * gives in its death-window table and "Why these residuals remain" (and the
 * step must be documented unsafe there too). Any other failure fails.
 */
static const struct {
	const char *step, *victim;
} allowed[] = {
	/* SUD switched off (no exempt gadget): stays off if we die */
	{"sud-off", "sud"},
	{"regs-set", "sud"},
	{"signals-blocked", "sud"},
	{"syscall-entry", "sud"},
	{"nr-set", "sud"},
	{"syscall-exit", "sud"},
	{"regs-restored", "sud"},
	/* rt_sigreturn resets the restart block: nanosleep starts over */
	{"regs-set", "nanosleep"},
	{"signals-blocked", "nanosleep"},
	{"syscall-entry", "nanosleep"},
	{"nr-set", "nanosleep"},
	{"syscall-exit", "nanosleep"},
	/* seccomp applies again once the tracer is gone */
	{"nr-set", "seccomp_kill"},
};

static bool allowed_failure(const char *step, const char *victim)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!strcmp(allowed[i].step, step) &&
		    !strcmp(allowed[i].victim, victim))
			return true;
	return false;
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re");
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &len, 0, f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void scan_file(const char *path)
{
	const char *key = "cryo_fault(v, \"";
	char *text = slurp(path), *p, *q;
	int i;

	for (p = text; p && (p = strstr(p, key)); p = q) {
		p += strlen(key);
		q = strchr(p, '"');
		if (!q || q - p >= 32)
			break;
		for (i = 0; i < nsteps; i++)
			if ((int)strlen(steps[i]) == q - p &&
			    !strncmp(steps[i], p, q - p))
				break;
		if (i == nsteps && nsteps < MAXSTEPS)
			memcpy(steps[nsteps++], p, q - p);
	}
	free(text);
}

static void scan_dir(const char *dir)
{
	char path[4200];
	struct dirent *d;
	DIR *dd = opendir(dir);

	while (dd && (d = readdir(dd))) {
		size_t l = strlen(d->d_name);

		if (l > 2 && !strcmp(d->d_name + l - 2, ".c")) {
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
			scan_file(path);
		}
	}
	if (dd)
		closedir(dd);
}

/* Marks the steps that text names in backquotes. */
static void mark(const char *text);

/* A paragraph [p, end) that calls steps unsafe. */
static void save_paragraph(char *p, char *end)
{
	char save = *end;

	*end = 0;
	if (strstr(p, "unsafe") || strstr(p, "not safe") ||
	    strstr(p, "cannot be made safe") || strstr(p, "can't be made safe"))
		mark(p);
	*end = save;
}

static void mark(const char *text)
{
	char want[40];
	int i;

	for (i = 0; i < nsteps; i++) {
		snprintf(want, sizeof(want), "`%s`", steps[i]);
		if (strstr(text, want))
			unsafe[i] = 1;
	}
}

/*
 * What docs/inject.md documents as unsafe: a table row "| `STEP` | ..."
 * that puts a residual effect in bold (**...**), and a paragraph that says
 * "unsafe", "not safe" or "cannot be made safe" naming `STEP`.
 */
static void scan_unsafe(const char *doc)
{
	char *text = slurp(doc), *p, *end, *l, *nl, *c, save;

	for (l = text; l && *l; l++)
		*l = tolower((unsigned char)*l);
	/* table rows */
	for (l = text; l && *l; l = nl + (*nl != 0)) {
		nl = strchr(l, '\n');
		if (!nl)
			nl = l + strlen(l);
		save = *nl;
		*nl = 0;
		c = strchr(l + 1, '|');
		if (!strncmp(l, "| `", 3) && c && strstr(c, "**")) {
			*c = 0;
			mark(l);
			*c = '|';
		}
		*nl = save;
	}
	/* paragraphs */
	for (p = text; p && *p; p = end) {
		end = strstr(p, "\n\n");
		end = end ? end + 2 : p + strlen(p);
		save_paragraph(p, end);
	}
	free(text);
}

static const char *find_root(void)
{
	static char root[4096];
	ssize_t n;

	if (!access("lib/inject", R_OK))
		return ".";
	n = readlink("/proc/self/exe", root, sizeof(root) - 32);
	if (n < 0)
		return ".";
	root[n] = 0;
	strcat(root, "/../../../.."); /* BUILD/tests/inject/kill_spy */
	return root;
}

/* Gets the victim to where it should be before the spy comes. */
static int place(struct spy *s, const char *victim)
{
	if (spy_start(s, victim) || spy_wait_ready(s, 5000))
		return -1;
	if (!strcmp(victim, "busy") || !strcmp(victim, "avx512"))
		return spy_wait_nready(s, 1, 5000);
	if (!strcmp(victim, "nanosleep")) {
		if (spy_wait_blocked(s, SYS_nanosleep, SYS_clock_nanosleep, 1,
				     5000) < 0)
			return -1;
		spy_msleep(300); /* a restart from scratch shows */
		return 0;
	}
	if (!strcmp(victim, "threads")) {
		if (spy_wait_blocked(s, SYS_read, SYS_read, 9, 5000) < 0 ||
		    spy_wait_blocked(s, SYS_futex, SYS_futex, 8, 5000) < 0 ||
		    spy_wait_blocked(s, SYS_nanosleep, SYS_clock_nanosleep, 8,
				     5000) < 0)
			return -1;
		spy_msleep(300);
		return 0;
	}
	if (spy_wait_blocked(s, SYS_read, SYS_read, 1, 5000) < 0)
		return -1;
	if (!strcmp(victim, "stopped")) {
		kill(s->pid, SIGSTOP);
		return spy_wait_state(s, 'T', 5000);
	}
	return 0;
}

/* 0 pass, 1 fail; *killed: the spy died at the step. */
static int one(const char *step, const char *victim, int *killed)
{
	struct spy s;
	pid_t c;
	int st = 0, r, i;
	double end;

	*killed = 0;
	if (place(&s, victim))
		return spy_abort(&s);
	fflush(NULL);
	c = fork();
	if (c == 0) {
		setenv("CRYO_INJECT_FAULT", step, 1);
		if (spy_seize(&s))
			_exit(1);
		/* first a syscall the seccomp victim's filter kills */
		SPY_EQ(&s, "getpid",
		       spy_sys(&s, 0, SYS_getpid, 0, 0, 0, 0, 0, 0), s.pid);
		spy_inject_all(&s, getppid());
		spy_release(&s);
		_exit(s.fails ? 1 : 0);
	}
	if (c < 0)
		return spy_abort(&s);
	for (end = spy_now() + 10; (r = waitpid(c, &st, WNOHANG)) == 0;
	     spy_msleep(2))
		if (spy_now() > end) {
			spy_fail(&s, "spy hangs at step %s", step);
			kill(c, SIGKILL);
			waitpid(c, &st, 0);
			return spy_abort(&s);
		}
	*killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	if (WIFEXITED(st) && WEXITSTATUS(st))
		spy_fail(&s, "spy failed (exit %d) before step %s",
			 WEXITSTATUS(st), step);
	if (spy_untraced(&s, 2000))
		return spy_abort(&s);
	if (!strcmp(victim, "stopped")) {
		/* a detach wakes it to stop again: wait for T, watch */
		if (!spy_wait_state(&s, 'T', 1000))
			for (i = 0; i < 20; i++, spy_msleep(5))
				if (spy_task_state(s.pid, s.pid) != 'T') {
					spy_fail(&s, "resumed after the spy "
						     "died");
					break;
				}
		if (write(s.check_wr, "C", 1) != 1)
			spy_fail(&s, "write: %s", strerror(errno));
		kill(s.pid, SIGCONT);
	}
	if (!strcmp(victim, "pipe_read") &&
	    write(s.data_wr, VDATA, strlen(VDATA)) < 0)
		spy_fail(&s, "write: %s", strerror(errno));
	return spy_finish(&s, 10000) ? 1 : 0;
}

int main(int argc, char **argv)
{
	char path[4300];
	const char *root = find_root();
	int i, j, r, k, bad = 0, expected = 0, reached;
	size_t nv = sizeof(victims) / sizeof(victims[0]);

	if (argc > 1) {
		for (j = 0; j < (int)nv; j++)
			if (argc < 3 || !strcmp(argv[2], victims[j])) {
				r = one(argv[1], victims[j], &k);
				printf("%s %s: %s%s\n", argv[1], victims[j],
				       r ? "FAIL" : "pass",
				       k ? "" : " (step not reached)");
				bad |= r == 1;
			}
		return bad;
	}
	snprintf(path, sizeof(path), "%s/lib/inject", root);
	scan_dir(path);
	snprintf(path, sizeof(path), "%s/lib/inject/arch/x86_64", root);
	scan_dir(path);
	if (!nsteps) {
		printf("FAIL: no cryo_fault() steps found under %s/lib/inject\n",
		       root);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/docs/inject.md", root);
	scan_unsafe(path);
	for (i = 0; i < nsteps; i++) {
		for (reached = 0, j = 0; j < (int)nv; j++) {
			r = one(steps[i], victims[j], &k);
			reached |= k;
			if (r != 1)
				continue;
			failed[i] |= 1u << j;
			if (unsafe[i] && allowed_failure(steps[i], victims[j]))
				expected++;
			else
				bad++;
		}
		hit[i] = reached;
	}
	/* the summary: the last lines of the output */
	printf("\n--- kill_spy summary (victims: pass unless named)\n");
	for (i = 0; i < nsteps; i++) {
		printf("step %-18s %s%s", steps[i],
		       hit[i] ? "killed the spy" : "never reached",
		       unsafe[i] ? ", documented unsafe" : "");
		for (j = 0; j < (int)nv; j++)
			if (failed[i] & 1u << j)
				printf("%s %s",
				       j && failed[i] & ((1u << j) - 1) ? ","
				       : unsafe[i] ? "; expected failures:"
						   : "; FAILED:",
				       victims[j]);
		printf("\n");
	}
	printf("%s%d steps x %zu victims: %d failures at safe steps, %d "
	       "expected at documented unsafe steps\n",
	       bad ? "FAIL: " : "", nsteps, nv, bad, expected);
	return bad ? 1 : 0;
}
