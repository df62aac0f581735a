/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Spies of the injection tests: start a victim (tests/inject/victims), wait
 * until it sits where it should, seize it with libcryo-inject, inject the
 * standard set of syscalls (spy_inject_all), release it, check it is
 * detached with its mappings and code as they were, tell it to verify
 * itself and collect its verdict. Every wait is bounded; the victim is
 * killed and reaped on every path. Exit 0 pass, 1 fail, 77 skip.
 */
#ifndef CRYO_TESTS_SPY_H
#define CRYO_TESTS_SPY_H

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <cryo/inject.h>
#include "victims/victim.h"

struct spy {
	const char *name;
	pid_t pid;
	int ready_rd, check_wr, data_wr, shm_fd;
	struct vshm *shm;
	struct cryo_victim *v;
	char *snap; /* maps and code of the victim before the seize */
	int fails;
};

static inline void spy_fail(struct spy *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL: %s: ", s->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	s->fails++;
}

static inline void spy_msleep(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline double spy_now(void)
{
	return vic_now();
}

/* Starts build/tests/inject/victims/NAME with the fds of victim.h. */
static inline int spy_start(struct spy *s, const char *victim)
{
	int rp[2], cp[2], dp[2], src[4], i;
	char self[4096], path[4200], *slash;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->name = victim;
	signal(SIGPIPE, SIG_IGN); /* a victim may exit before reading */
	s->pid = -1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -1;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(path, sizeof(path), "%s/victims/%s", self, victim);
	if (pipe2(rp, O_CLOEXEC) || pipe2(cp, O_CLOEXEC) ||
	    pipe2(dp, O_CLOEXEC)) {
		spy_fail(s, "pipe: %s", strerror(errno));
		return -1;
	}
	s->shm_fd = memfd_create("cryo-spy-shm", MFD_CLOEXEC);
	if (s->shm_fd < 0 || ftruncate(s->shm_fd, 4096)) {
		spy_fail(s, "memfd: %s", strerror(errno));
		return -1;
	}
	s->shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s->shm_fd,
		      0);
	if (s->shm == MAP_FAILED) {
		spy_fail(s, "mmap: %s", strerror(errno));
		return -1;
	}
	s->pid = fork();
	if (s->pid < 0) {
		spy_fail(s, "fork: %s", strerror(errno));
		return -1;
	}
	if (s->pid == 0) {
		src[0] = fcntl(rp[1], F_DUPFD, 10);
		src[1] = fcntl(cp[0], F_DUPFD, 10);
		src[2] = fcntl(s->shm_fd, F_DUPFD, 10);
		src[3] = fcntl(dp[0], F_DUPFD, 10);
		for (i = 0; i < 4; i++)
			if (src[i] < 0 || dup2(src[i], VFD_READY + i) < 0)
				_exit(126);
		execl(path, path, (char *)NULL);
		fprintf(stderr, "FAIL: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(rp[1]);
	close(cp[0]);
	close(dp[0]);
	s->ready_rd = rp[0];
	s->check_wr = cp[1];
	s->data_wr = dp[1];
	return 0;
}

/* Kills and reaps the victim (every path ends here or in spy_reap). */
static inline void spy_kill(struct spy *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		s->pid = -1;
	}
}

/* Waits up to ms for the victim's exit; -1 on timeout (victim killed). */
static inline int spy_reap(struct spy *s, int ms)
{
	double end = spy_now() + ms / 1000.0;
	int st;
	pid_t r;

	if (s->pid <= 0)
		return -1;
	for (;;) {
		r = waitpid(s->pid, &st, WNOHANG);
		if (r == s->pid) {
			s->pid = -1;
			return st;
		}
		if (r < 0 || spy_now() > end)
			break;
		spy_msleep(2);
	}
	spy_fail(s, "victim did not exit within %d ms", ms);
	spy_kill(s);
	return -1;
}

static inline int spy_wait_ready(struct spy *s, int ms)
{
	struct pollfd p = {s->ready_rd, POLLIN, 0};
	char c = 0;
	int st;

	if (poll(&p, 1, ms) != 1 || read(s->ready_rd, &c, 1) != 1 || c != 'R') {
		spy_fail(s, "victim not ready within %d ms", ms);
		st = spy_reap(s, 100);
		if (st != -1)
			fprintf(stderr, "victim ended with status %#x\n", st);
		return -1;
	}
	return 0;
}

/* Reads /proc/PID/task/TID/FILE into buf. */
static inline int spy_proc(pid_t pid, pid_t tid, const char *file, char *buf,
			   size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid, (int)tid,
		 file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static inline char spy_task_state(pid_t pid, pid_t tid)
{
	char buf[1024], *p;

	if (spy_proc(pid, tid, "stat", buf, sizeof(buf)))
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

/* The tids of pid, at most max; returns the count. */
static inline int spy_tids(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max)
		if (d->d_name[0] != '.')
			tids[n++] = atoi(d->d_name);
	closedir(dir);
	return n;
}

/*
 * Waits up to ms until at least count threads sit in syscall nr1 or nr2
 * (state S, /proc/.../syscall), and returns how many do (-1: timeout).
 */
static inline int spy_wait_blocked(struct spy *s, long nr1, long nr2, int count,
				   int ms)
{
	double end = spy_now() + ms / 1000.0;
	pid_t tids[256];
	char buf[256];
	int n, i, got;
	long nr;

	for (;;) {
		n = spy_tids(s->pid, tids, 256);
		for (got = i = 0; i < n; i++) {
			if (spy_task_state(s->pid, tids[i]) != 'S' ||
			    spy_proc(s->pid, tids[i], "syscall", buf,
				     sizeof(buf)) ||
			    sscanf(buf, "%ld", &nr) != 1)
				continue;
			if (nr == nr1 || nr == nr2)
				got++;
		}
		if (got >= count)
			return got;
		if (spy_now() > end)
			break;
		spy_msleep(2);
	}
	spy_fail(s, "only %d of %d threads in syscall %ld/%ld after %d ms", got,
		 count, nr1, nr2, ms);
	return -1;
}

/* Waits up to ms until the leader is in state st. */
static inline int spy_wait_state(struct spy *s, char st, int ms)
{
	double end = spy_now() + ms / 1000.0;
	char c;

	while ((c = spy_task_state(s->pid, s->pid)) != st) {
		if (spy_now() > end) {
			spy_fail(s, "victim in state %c, not %c after %d ms", c,
				 st, ms);
			return -1;
		}
		spy_msleep(2);
	}
	return 0;
}

/* 0 when no thread of the victim has a tracer (waits up to ms). */
static inline int spy_untraced(struct spy *s, int ms)
{
	double end = spy_now() + ms / 1000.0;
	char buf[4096], *p;
	pid_t tids[256];
	int n, i, traced;

	for (;;) {
		n = spy_tids(s->pid, tids, 256);
		for (traced = i = 0; i < n; i++) {
			if (spy_proc(s->pid, tids[i], "status", buf,
				     sizeof(buf)))
				continue;
			p = strstr(buf, "TracerPid:");
			if (p && atoi(p + 10))
				traced = tids[i];
		}
		if (!traced)
			return 0;
		if (spy_now() > end)
			break;
		spy_msleep(2);
	}
	spy_fail(s, "thread %d still traced after %d ms", traced, ms);
	return -1;
}

/*
 * A snapshot of what must not change: /proc/PID/maps and a hash of every
 * executable mapping's bytes (a patched syscall instruction shows).
 */
static inline char *spy_snapshot(pid_t pid)
{
	char path[64], line[512], *out = NULL;
	unsigned long lo, hi, a;
	unsigned char buf[4096];
	size_t len = 0;
	FILE *maps, *o;
	uint64_t h;
	char perm[8];
	int mem;

	o = open_memstream(&out, &len);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "re");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (!o || !maps || mem < 0)
		goto out;
	while (fgets(line, sizeof(line), maps)) {
		fputs(line, o);
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 ||
		    perm[2] != 'x' || strstr(line, "[vsyscall]"))
			continue;
		h = 1469598103934665603ULL;
		for (a = lo; a < hi; a += sizeof(buf)) {
			size_t i;

			if (pread(mem, buf, sizeof(buf), a) != sizeof(buf))
				break;
			for (i = 0; i < sizeof(buf); i++)
				h = (h ^ buf[i]) * 1099511628211ULL;
		}
		fprintf(o, "  code hash %016llx\n", (unsigned long long)h);
	}
out:
	if (maps)
		fclose(maps);
	if (mem >= 0)
		close(mem);
	if (o)
		fclose(o);
	return out;
}

static inline void spy_log(int level, const char *msg, void *arg)
{
	fprintf(stderr, "inject[%d]: %s\n", level, msg);
}

static inline int spy_seize(struct spy *s)
{
	struct cryo_inject_opts o = {sizeof(o), spy_log, NULL,
				     CRYO_INJECT_LOG_WARN, 0};
	int r;

	free(s->snap);
	s->snap = spy_snapshot(s->pid);
	r = cryo_inject_seize(s->pid, &o, &s->v);
	if (r) {
		spy_fail(s, "cryo_inject_seize: %s", strerror(-r));
		s->v = NULL;
		return -1;
	}
	if (cryo_inject_pid(s->v) != s->pid)
		spy_fail(s, "cryo_inject_pid %d, want %d",
			 cryo_inject_pid(s->v), s->pid);
	return 0;
}

/* One injected syscall that must return want (want_any: any >= 0). */
static inline long spy_sys(struct spy *s, pid_t tid, long nr, unsigned long a0,
			   unsigned long a1, unsigned long a2, unsigned long a3,
			   unsigned long a4, unsigned long a5)
{
	const unsigned long a[6] = {a0, a1, a2, a3, a4, a5};
	long res = -9999;
	int r;

	r = cryo_inject_syscall(s->v, tid, nr, a, &res);
	if (r) {
		spy_fail(s, "cryo_inject_syscall(%d, %ld): %s", (int)tid, nr,
			 strerror(-r));
		return -100000;
	}
	return res;
}

#define SPY_EQ(s, what, got, want)                                             \
	do {                                                                   \
		long g_ = (long)(got), w_ = (long)(want);                      \
		if (g_ != w_)                                                  \
			spy_fail(s, "%s: %ld, want %ld", what, g_, w_);        \
	} while (0)

/*
 * The standard set: getpid, getppid and gettid in every thread, a failing
 * syscall, the scratch area through write/read and uname, an injected
 * mmap/write/read/munmap, and a working copy of the victim's shm fd.
 */
static inline void spy_inject_all(struct spy *s, pid_t ppid)
{
	unsigned char pat[4096], back[4096];
	struct utsname un, vun;
	unsigned long addr = 0, m;
	const struct cryo_inject_thread *t;
	struct stat st1, st2;
	size_t size = 0, i;
	int n, fd;
	long r;

	n = cryo_inject_nr_threads(s->v);
	if (n < 1)
		spy_fail(s, "cryo_inject_nr_threads: %d", n);
	for (i = 0; i < (size_t)n; i++) {
		t = cryo_inject_thread(s->v, (int)i);
		if (!t) {
			spy_fail(s, "cryo_inject_thread(%zu): NULL", i);
			continue;
		}
		if (i == 0 && t->tid != s->pid)
			spy_fail(s, "thread 0 is %d, not the leader", t->tid);
		SPY_EQ(s, "gettid",
		       spy_sys(s, t->tid, SYS_gettid, 0, 0, 0, 0, 0, 0),
		       t->tid);
	}
	if (cryo_inject_thread(s->v, n))
		spy_fail(s, "cryo_inject_thread(%d) past the end not NULL", n);
	SPY_EQ(s, "getpid", spy_sys(s, 0, SYS_getpid, 0, 0, 0, 0, 0, 0),
	       s->pid);
	SPY_EQ(s, "getppid", spy_sys(s, 0, SYS_getppid, 0, 0, 0, 0, 0, 0),
	       ppid);
	SPY_EQ(s, "close(-1)", spy_sys(s, 0, SYS_close, -1UL, 0, 0, 0, 0, 0),
	       -EBADF);

	r = cryo_inject_scratch(s->v, &addr, &size);
	if (r || !addr || size < 4096) {
		spy_fail(s, "cryo_inject_scratch: %ld addr %#lx size %zu", r,
			 addr, size);
		return;
	}
	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (unsigned char)(i * 7 + 3);
	SPY_EQ(s, "write scratch", cryo_inject_write(s->v, addr, pat, 4096),
	       4096);
	SPY_EQ(s, "read scratch", cryo_inject_read(s->v, addr, back, 4096),
	       4096);
	if (memcmp(pat, back, 4096))
		spy_fail(s, "scratch round trip differs");
	SPY_EQ(s, "uname(scratch)",
	       spy_sys(s, 0, SYS_uname, addr, 0, 0, 0, 0, 0), 0);
	uname(&un);
	memset(&vun, 0, sizeof(vun));
	if (cryo_inject_read(s->v, addr, &vun, sizeof(vun)) != sizeof(vun) ||
	    strcmp(un.sysname, vun.sysname) || strcmp(un.release, vun.release))
		spy_fail(s, "uname through scratch: \"%s %s\"", vun.sysname,
			 vun.release);

	m = spy_sys(s, 0, SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1UL, 0);
	if ((long)m < 0 && (long)m > -4096) {
		spy_fail(s, "injected mmap: %s", strerror((int)-(long)m));
	} else if ((long)m != -100000) {
		SPY_EQ(s, "write mmap", cryo_inject_write(s->v, m, pat, 4096),
		       4096);
		memset(back, 0, sizeof(back));
		SPY_EQ(s, "read mmap", cryo_inject_read(s->v, m, back, 4096),
		       4096);
		if (memcmp(pat, back, 4096))
			spy_fail(s, "mmap round trip differs");
		SPY_EQ(s, "munmap",
		       spy_sys(s, 0, SYS_munmap, m, 4096, 0, 0, 0, 0), 0);
	}

	fd = cryo_inject_getfd(s->v, VFD_SHM);
	if (fd < 0) {
		spy_fail(s, "cryo_inject_getfd: %s", strerror(-fd));
		return;
	}
	if (fstat(fd, &st1) || fstat(s->shm_fd, &st2) ||
	    st1.st_ino != st2.st_ino || st1.st_dev != st2.st_dev)
		spy_fail(s, "cryo_inject_getfd: not the victim's memfd");
	else if (pwrite(fd, "getfd", 6, 2048) != 6 ||
		 memcmp((char *)s->shm + 2048, "getfd", 6))
		spy_fail(s, "cryo_inject_getfd: the copy does not work");
	close(fd);
	if (cryo_inject_getfd(s->v, 999) >= 0)
		spy_fail(s, "cryo_inject_getfd(999) did not fail");
}

/* Releases, then: detached, same maps and code. */
static inline void spy_release(struct spy *s)
{
	char *after;
	int r;

	r = cryo_inject_release(s->v);
	s->v = NULL;
	if (r)
		spy_fail(s, "cryo_inject_release: %s", strerror(-r));
	spy_untraced(s, 2000);
	after = spy_snapshot(s->pid);
	if (!s->snap || !after || strcmp(s->snap, after)) {
		spy_fail(s, "maps or code changed by the injection");
		fprintf(stderr, "--- before\n%s--- after\n%s",
			s->snap ? s->snap : "?", after ? after : "?");
	}
	free(after);
}

/* Checks the victim's thread i as the engine saw it. */
static inline void spy_expect_thread(struct spy *s, int i,
				     enum cryo_thread_state st, long nr)
{
	const struct cryo_inject_thread *t = cryo_inject_thread(s->v, i);

	if (!t) {
		spy_fail(s, "no thread %d", i);
		return;
	}
	if (t->state != st)
		spy_fail(s, "thread %d: state %d, want %d", t->tid, t->state,
			 st);
	if (nr != -2 && t->syscall_nr != nr)
		spy_fail(s, "thread %d: syscall_nr %ld, want %ld", t->tid,
			 t->syscall_nr, nr);
}

/* Tells the victim to verify (every channel) and collects the verdict. */
static inline int spy_finish(struct spy *s, int ms)
{
	int st;

	s->shm->go = 1;
	if (write(s->check_wr, "C", 1) != 1 && errno != EPIPE)
		spy_fail(s, "write check byte: %s", strerror(errno));
	st = spy_reap(s, ms);
	free(s->snap);
	s->snap = NULL;
	if (st == -1)
		return 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77 && !s->fails)
		return 77;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		if (WIFSIGNALED(st))
			spy_fail(s, "victim killed by signal %d", WTERMSIG(st));
		else
			spy_fail(s, "victim failed its check (exit %d)",
				 WEXITSTATUS(st));
	}
	if (s->fails)
		return 1;
	printf("PASS: %s\n", s->name);
	return 0;
}

/* On error: release if seized, kill and reap, fail. */
static inline int spy_abort(struct spy *s)
{
	if (s->v)
		cryo_inject_release(s->v);
	s->v = NULL;
	spy_kill(s);
	free(s->snap);
	s->snap = NULL;
	return 1;
}

/* How long spy_simple() keeps the victim seized after injecting. */
static int spy_hold_ms;

/* Waits up to ms until vshm.nready reaches n (spinners in place). */
static inline int spy_wait_nready(struct spy *s, int n, int ms)
{
	double end = spy_now() + ms / 1000.0;

	while (s->shm->nready < n) {
		if (spy_now() > end) {
			spy_fail(s, "%d of %d threads in place after %d ms",
				 s->shm->nready, n, ms);
			return -1;
		}
		spy_msleep(1);
	}
	return 0;
}

/*
 * The common test: start victim, wait until it is ready and in syscall
 * nr1/nr2 (nr1 -1: spinning in user space), wait delay_ms more, seize,
 * check the leader's state, inject the standard set, release, run after()
 * if any, finish.
 */
static inline int spy_simple(const char *victim, long nr1, long nr2,
			     int delay_ms, enum cryo_thread_state st,
			     void (*after)(struct spy *))
{
	struct spy s;

	if (spy_start(&s, victim) || spy_wait_ready(&s, 5000))
		return spy_abort(&s);
	if (nr1 == -1 ? spy_wait_nready(&s, 1, 5000)
		      : spy_wait_blocked(&s, nr1, nr2, 1, 5000) < 0)
		return spy_abort(&s);
	if (delay_ms)
		spy_msleep(delay_ms);
	if (spy_seize(&s))
		return spy_abort(&s);
	spy_expect_thread(&s, 0, st, nr1 == nr2 ? nr1 : -2);
	spy_inject_all(&s, getpid());
	if (spy_hold_ms)
		spy_msleep(spy_hold_ms); /* keep it seized a while */
	spy_release(&s);
	if (after)
		after(&s);
	return spy_finish(&s, 10000);
}

#endif /* CRYO_TESTS_SPY_H */
