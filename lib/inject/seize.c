// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Seizing a whole process: every thread, including the ones created while
 * we seize, and the accessors of the victim context.
 *
 * Each thread listed in /proc/PID/task is PTRACE_SEIZEd and interrupted;
 * then every first stop is collected; then the list is read again. A
 * thread can only be created by a running thread, so once a rescan made
 * after all known threads are stopped finds nothing new, no untraced
 * thread is left. PTRACE_O_TRACECLONE is not needed for this: it would
 * only add a stop per clone to collect (docs/inject.md).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "inject-internal.h"

#define SEIZE_OPTS (PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP)

struct cryo_thread *cryo_find_thread(struct cryo_victim *v, pid_t tid)
{
	for (int i = 0; i < v->nr_th; i++)
		if (v->th[i].pub.tid == tid)
			return &v->th[i];
	return NULL;
}

void cryo_note_signal(struct cryo_victim *v, struct cryo_thread *t, int sig)
{
	pr_debug(v, "pid %d: holding signal %d until detach", t->pub.tid, sig);
	if (!t->nsigs)
		t->pub.pending_signal = sig;
	if (t->nsigs < CRYO_MAX_PENDING_SIGS)
		t->sigs[t->nsigs++] = sig;
	else
		pr_warn(v, "pid %d: too many held signals, dropping %d",
			t->pub.tid, sig);
}

/* A "Name:\tvalue" number from /proc/TID/status, or -1. */
static long status_field(pid_t tid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			val = strtol(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

/*
 * The state letter of /proc/TID/stat (field 3, after the parenthesised
 * comm) and the CPU it last ran on (field 39).
 */
static char stat_state(pid_t tid, int *cpu)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;
	int field;

	int dummy;

	if (!cpu)
		cpu = &dummy;
	*cpu = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return '?';
	for (field = 3, p += 2; *p && field < 39; p++)
		if (*p == ' ')
			field++;
	if (field == 39)
		*cpu = atoi(p);
	p = strrchr(buf, ')');
	return p[2];
}

static int add_thread(struct cryo_victim *v, pid_t tid)
{
	struct cryo_thread *t;

	if (v->nr_th == v->cap_th) {
		int cap = v->cap_th ? v->cap_th * 2 : 16;

		t = realloc(v->th, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		v->th = t;
		v->cap_th = cap;
	}
	t = &v->th[v->nr_th++];
	memset(t, 0, sizeof(*t));
	t->pub.tid = tid;
	t->pub.syscall_nr = -1;
	return 0;
}

/*
 * A thread in uninterruptible sleep (state D) cannot stop until it leaves
 * the kernel, and a seized thread that never stops cannot be detached
 * either (PTRACE_DETACH needs a stopped tracee): wait for it to leave D
 * before seizing it, up to the stop timeout, and refuse it if it does not.
 */
static int wait_not_d(struct cryo_victim *v, struct cryo_thread *t)
{
	unsigned int ms = v->opts.stop_timeout_ms ? v->opts.stop_timeout_ms
						  : CRYO_STOP_TIMEOUT_MS;
	struct timespec ts = {0, 1000000};

	for (unsigned int waited = 0; waited < ms; waited++) {
		nanosleep(&ts, NULL);
		t->stat_state = stat_state(t->pub.tid, &t->cpu);
		if (t->stat_state != 'D')
			return t->stat_state == '?' ? -ESRCH : 0;
	}
	pr_err(v,
	       "thread does not stop (pid %d): in uninterruptible sleep (state D) for %u ms",
	       t->pub.tid, ms);
	return -ETIMEDOUT;
}

static int seize_one(struct cryo_victim *v, struct cryo_thread *t)
{
	pid_t tid = t->pub.tid;
	long tracer = status_field(tid, "TracerPid");
	int err;

	if (tracer > 0)
		goto busy;
	t->stat_state = stat_state(tid, &t->cpu);
	if (t->stat_state == 'D') {
		err = wait_not_d(v, t);
		if (err)
			return err;
	}
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)SEIZE_OPTS)) {
		err = -errno;
		if (err == -ESRCH)
			return err; /* exited meanwhile */
		tracer = status_field(tid, "TracerPid");
		if (tracer > 0)
			goto busy;
		pr_err(v, "cannot seize thread (pid %d): %s%s", tid,
		       strerror(-err),
		       err == -EPERM
			       ? " (PTRACE_O_SUSPEND_SECCOMP needs CAP_SYS_ADMIN and no seccomp in the tracer)"
			       : "");
		return err;
	}
	t->seized = true;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL)) {
		err = -errno;
		if (err != -ESRCH)
			pr_err(v, "cannot interrupt thread (pid %d): %s", tid,
			       strerror(-err));
		return err;
	}
	return 0;
busy:
	pr_err(v, "cannot seize thread (pid %d): already traced by pid %ld",
	       tid, tracer);
	return -EBUSY;
}

/*
 * Collects the first stop of a seized thread: PTRACE_EVENT_STOP with
 * SIGTRAP for our interrupt, or with SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU for a
 * group-stop (job-control stopped). A signal met on the way arrived before
 * the thread was ours: it is delivered, as it would have been, and the
 * interrupt still stops the thread right after.
 */
/*
 * waitpid with a deadline: a thread in uninterruptible sleep (state D: a
 * hung NFS server, a device) stops only when it leaves the kernel, maybe
 * never. Polls with a growing pause (10 us to 1 ms), so that the usual
 * stop, within microseconds, costs nothing.
 */
static pid_t wait_deadline(pid_t tid, int *status, const struct timespec *end)
{
	long pause_ns = 10000;

	for (;;) {
		struct timespec now, ts;
		pid_t r = waitpid(tid, status, __WALL | WNOHANG);

		if (r)
			return r;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end->tv_sec || (now.tv_sec == end->tv_sec &&
						 now.tv_nsec >= end->tv_nsec)) {
			errno = ETIMEDOUT;
			return -1;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = pause_ns;
		nanosleep(&ts, NULL);
		if (pause_ns < 1000000)
			pause_ns *= 2;
	}
}

int cryo_wait_first_stop(struct cryo_victim *v, struct cryo_thread *t)
{
	unsigned int ms = v->opts.stop_timeout_ms ? v->opts.stop_timeout_ms
						  : CRYO_STOP_TIMEOUT_MS;
	pid_t tid = t->pub.tid;
	struct timespec end;
	int status, sig;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	while (!t->stopped) {
		if (wait_deadline(tid, &status, &end) < 0) {
			int err = -errno;

			if (err == -ETIMEDOUT)
				pr_err(v,
				       "thread does not stop (pid %d): still in state %c after %u ms (uninterruptible sleep in the kernel?)",
				       tid, stat_state(tid, NULL), ms);
			else
				pr_fail(v, err,
					"cannot wait for thread (pid %d): %s",
					tid, strerror(-err));
			return err;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			t->gone = true;
			return 0;
		}
		if (!WIFSTOPPED(status))
			continue;
		sig = WSTOPSIG(status);
		if (status >> 16 == PTRACE_EVENT_STOP) {
			t->stopped = true;
			if (sig == SIGSTOP || sig == SIGTSTP ||
			    sig == SIGTTIN || sig == SIGTTOU ||
			    t->stat_state == 'T')
				t->pub.state = CRYO_THREAD_STOPPED;
			break;
		}
		if (status >> 16 || sig == (SIGTRAP | 0x80))
			sig = 0;
		if (ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig)) {
			if (errno == ESRCH)
				continue; /* dying: waitpid reports it */
			return -errno;
		}
	}
	return 0;
}

/* One pass over /proc/PID/task: seize what is new. Returns how many. */
static int scan_tasks(struct cryo_victim *v)
{
	char path[64];
	struct dirent *de;
	int err = 0, added = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", v->pid);
	d = opendir(path);
	if (!d) {
		err = -errno;
		pr_fail(v, err, "cannot list threads (pid %d): %s", v->pid,
			strerror(-err));
		return err;
	}
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid <= 0 || cryo_find_thread(v, tid))
			continue;
		err = add_thread(v, tid);
		if (err)
			break;
		err = seize_one(v, &v->th[v->nr_th - 1]);
		if (err == -ESRCH && !v->th[v->nr_th - 1].seized) {
			v->nr_th--; /* gone before we got it */
			err = 0;
			continue;
		}
		if (err)
			break;
		added++;
	}
	closedir(d);
	return err ? err : added;
}

static void set_state(struct cryo_thread *t)
{
	if (t->pub.state == CRYO_THREAD_STOPPED)
		return;
	t->pub.state = t->pub.syscall_nr >= 0 ? CRYO_THREAD_SYSCALL
					      : CRYO_THREAD_RUNNING;
}

int cryo_inject_seize(pid_t pid, const struct cryo_inject_opts *opts,
		      struct cryo_victim **out)
{
	struct cryo_victim *v;
	const char *fault;
	long tgid;
	int err, i;

	*out = NULL;
	if (opts && opts->sz < offsetof(struct cryo_inject_opts, log)) {
		cryo_log_opts(NULL, CRYO_INJECT_LOG_ERROR,
			      "bad options (pid %d): sz %zu too small", pid,
			      opts->sz);
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (opts)
		memcpy(&v->opts, opts,
		       opts->sz < sizeof(v->opts) ? opts->sz : sizeof(v->opts));
	v->opts.sz = sizeof(v->opts);
	v->mem_fd = -1;
	v->pidfd = -1;
	v->pinned_cpu = -1;
	fault = getenv("CRYO_INJECT_FAULT");
	if (fault)
		snprintf(v->fault, sizeof(v->fault), "%s", fault);

	tgid = status_field(pid, "Tgid");
	if (tgid <= 0) {
		pr_err(v, "cannot seize (pid %d): no such process", pid);
		free(v);
		return -ESRCH;
	}
	v->pid = tgid;
	if (tgid != pid)
		pr_info(v, "pid %d is a thread of %ld: seizing the process",
			pid, tgid);

	/* The leader first, so that it is thread 0. */
	err = add_thread(v, v->pid);
	if (!err)
		err = seize_one(v, &v->th[0]);
	while (!err) {
		for (i = 0; i < v->nr_th && !err; i++)
			if (v->th[i].seized && !v->th[i].gone)
				err = cryo_wait_first_stop(v, &v->th[i]);
		if (err)
			break;
		err = scan_tasks(v);
		if (err <= 0)
			break;
		err = 0; /* new threads: collect their stops, scan again */
	}
	if (err)
		goto out_release;
	if (v->th[0].gone) {
		err = -ESRCH;
		pr_err(v, "cannot seize (pid %d): the process exited", v->pid);
		goto out_release;
	}
	cryo_fault(v, "seized");

	for (i = 0; i < v->nr_th; i++) {
		struct cryo_thread *t = &v->th[i];

		if (t->gone)
			continue;
		err = cryo_thread_save(v, t);
		if (err == -ESRCH) {
			t->gone = true;
			continue;
		}
		if (err)
			goto out_release;
		set_state(t);
	}
	cryo_fault(v, "regs-saved");
	pr_info(v, "seized pid %d: %d threads", v->pid, v->nr_th);
	*out = v;
	return 0;

out_release:
	cryo_inject_release(v);
	return err;
}

pid_t cryo_inject_pid(const struct cryo_victim *v)
{
	return v->pid;
}

int cryo_inject_nr_threads(const struct cryo_victim *v)
{
	return v->nr_th;
}

const struct cryo_inject_thread *cryo_inject_thread(const struct cryo_victim *v,
						    int i)
{
	if (i < 0 || i >= v->nr_th)
		return NULL;
	return &v->th[i].pub;
}

int cryo_inject_add_thread(struct cryo_victim *v, pid_t tid)
{
	struct cryo_thread *t;
	int err;

	if (cryo_find_thread(v, tid))
		return 0;
	err = add_thread(v, tid);
	if (err)
		return err;
	t = &v->th[v->nr_th - 1];
	err = seize_one(v, t);
	if (!err)
		err = cryo_wait_first_stop(v, t);
	if (!err && t->gone)
		err = -ESRCH;
	if (!err)
		err = cryo_thread_save(v, t);
	if (err) {
		pr_fail(v, err, "cannot take the new thread (pid %d): %s", tid,
			strerror(-err));
		if (!t->seized)
			v->nr_th--;
		return err;
	}
	set_state(t);
	return 0;
}
