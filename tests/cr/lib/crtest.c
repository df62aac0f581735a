// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * crtest: start-up, check request and verdict of a C/R test program. See
 * crtest.h for the life of a test. Everything that is written goes out with a
 * single write() on an O_APPEND descriptor, so lines from several threads (or
 * from the launcher and the test) never interleave.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crtest.h"

#define CR_MSG_MAX 1024

static struct {
	const char *name;
	char pidfile[PATH_MAX];
	char outfile[PATH_MAX];
	int ready_fd; /* write end of the launcher's pipe, or -1 */
	bool daemonized;
	bool ready;
	pthread_mutex_t lock; /* the fields below */
	unsigned int nr_fail;
	char first_fail[CR_MSG_MAX];
} cr = {
	.name = "crtest",
	.ready_fd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

const char *cr_name(void)
{
	return cr.name;
}

pid_t cr_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

void cr_check_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, CR_CHECK_SIGNAL);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* vsnprintf keeping errno, for %m. */
static void vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	int saved_errno = errno;

	vsnprintf(buf, size, fmt, ap);
	errno = saved_errno;
}

/* Writes "<prefix><msg>\n" to fd as one line (newlines become blanks). */
static void write_line(int fd, const char *prefix, const char *msg)
{
	char buf[CR_MSG_MAX + 160];
	int n;
	size_t len;

	n = snprintf(buf, sizeof(buf) - 1, "%s%s", prefix, msg);
	len = n < 0 ? 0 : (size_t)n;
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[len++] = '\n';
	write_all(fd, buf, len);
}

/* A log line on stderr (the outfile): "<test>[tid]: <tag><msg>". */
static void log_str(const char *tag, const char *msg)
{
	char prefix[160];
	int saved_errno = errno;

	snprintf(prefix, sizeof(prefix), "%s[%d]: %s", cr.name, cr_gettid(),
		 tag);
	write_line(STDERR_FILENO, prefix, msg);
	errno = saved_errno;
}

void cr_msg(const char *fmt, ...)
{
	char msg[CR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_str("", msg);
}

/*
 * The verdict ("PASS", or "FAIL: msg", "SKIP: msg") goes to the outfile
 * opened afresh by its (absolute) path, so that it arrives even if the test's
 * own descriptors were not restored right; without an outfile, to stdout.
 */
static void __cr_noreturn verdict(int code, const char *what, const char *msg)
{
	char prefix[16];
	int fd = STDOUT_FILENO;

	if (cr.outfile[0]) {
		fd = open(cr.outfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0644);
		if (fd < 0)
			fd = STDERR_FILENO;
	}
	if (msg) {
		snprintf(prefix, sizeof(prefix), "%s: ", what);
		write_line(fd, prefix, msg);
	} else {
		write_line(fd, what, "");
	}
	exit(code);
}

void cr_fatal(const char *fmt, ...)
{
	char msg[CR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_str("fatal: ", msg);
	verdict(CR_EXIT_FAIL, "FAIL", msg);
}

void cr_skip(const char *fmt, ...)
{
	char msg[CR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_str("skip: ", msg);
	verdict(CR_EXIT_SKIP, "SKIP", msg);
}

void cr_fail(const char *fmt, ...)
{
	char msg[CR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!cr.ready) {
		/* a setup step failed: nothing to compare later */
		log_str("setup failed: ", msg);
		verdict(CR_EXIT_FAIL, "FAIL", msg);
	}
	log_str("differs: ", msg);

	pthread_mutex_lock(&cr.lock);
	if (!cr.nr_fail++)
		snprintf(cr.first_fail, sizeof(cr.first_fail), "%s", msg);
	pthread_mutex_unlock(&cr.lock);
}

unsigned int cr_failures(void)
{
	unsigned int n;

	pthread_mutex_lock(&cr.lock);
	n = cr.nr_fail;
	pthread_mutex_unlock(&cr.lock);
	return n;
}

void cr_pass(void)
{
	char msg[CR_MSG_MAX + 64];
	unsigned int n;

	pthread_mutex_lock(&cr.lock);
	n = cr.nr_fail;
	if (n > 1)
		snprintf(msg, sizeof(msg), "%s (and %u more, see the log)",
			 cr.first_fail, n - 1);
	else
		snprintf(msg, sizeof(msg), "%s", cr.first_fail);
	pthread_mutex_unlock(&cr.lock);
	if (!n) {
		cr_msg("all checks passed");
		verdict(CR_EXIT_PASS, "PASS", NULL);
	}
	cr_msg("%u check(s) failed", n);
	verdict(CR_EXIT_FAIL, "FAIL", msg);
}

static void __cr_noreturn usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", cr.name);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: %s [--pidfile FILE] [--outfile FILE]\n",
		cr.name);
	exit(2);
}

/* Makes path absolute (the test may chdir later) into out. */
static void absolute_path(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/') {
		n = snprintf(out, size, "%s", path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			usage_error("getcwd: %s", strerror(errno));
		n = snprintf(out, size, "%s/%s", cwd, path);
	}
	if (n < 0 || (size_t)n >= size)
		usage_error("path too long: %s", path);
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = NULL;
		char *dst;

		if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			printf("usage: %s [--pidfile FILE] [--outfile FILE]\n",
			       cr.name);
			exit(0);
		}
		if (!strncmp(opt, "--pidfile", 9)) {
			dst = cr.pidfile;
			val = opt + 9;
		} else if (!strncmp(opt, "--outfile", 9)) {
			dst = cr.outfile;
			val = opt + 9;
		} else {
			usage_error("unknown option '%s'", opt);
		}
		if (*val == '=') {
			val++;
		} else if (*val) {
			usage_error("unknown option '%s'", opt);
		} else {
			if (i + 1 >= argc)
				usage_error("option '%s' needs an argument",
					    opt);
			val = argv[++i];
		}
		if (!*val)
			usage_error("empty argument for '%s'", opt);
		absolute_path(val, dst, PATH_MAX);
	}
}

/*
 * The launcher's side: wait for "ready" (one byte) from the test, then for
 * the test to close its end: a dump may start as soon as the launcher exits,
 * and must not find the pipe in the test (the dump refuses pipes). If the
 * pipe closes without "ready", the test ended during setup; its status is
 * ours.
 */
static void __cr_noreturn launcher_wait(pid_t child, int fd)
{
	char c = 0;
	ssize_t n;
	int status;

	do {
		n = read(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1 && c == 'R') {
		char more;

		do {
			n = read(fd, &more, 1);
		} while (n > 0 || (n < 0 && errno == EINTR));
		_exit(0);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(CR_EXIT_FAIL);
	if (WIFEXITED(status) && WEXITSTATUS(status))
		_exit(WEXITSTATUS(status));
	_exit(CR_EXIT_FAIL);
}

/*
 * Closes every fd from 3 up that the test inherited (a runner's pipes and
 * such), so that its fd table holds exactly what it opens itself.
 */
static void close_inherited_fds(void)
{
	struct dirent *de;
	DIR *d;

#ifdef SYS_close_range
	if (!syscall(SYS_close_range, 3U, ~0U, 0U))
		return;
#endif
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (fd > 2 && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}

static void redirect_fd(int fd, const char *path, int flags)
{
	int nfd = open(path, flags | O_CLOEXEC, 0644);

	if (nfd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", cr.name, path,
			strerror(errno));
		exit(CR_EXIT_FAIL);
	}
	if (nfd != fd) {
		if (dup2(nfd, fd) < 0) {
			fprintf(stderr, "%s: dup2: %s\n", cr.name,
				strerror(errno));
			exit(CR_EXIT_FAIL);
		}
		close(nfd);
	} else {
		/* got the wanted number directly: drop O_CLOEXEC */
		fcntl(fd, F_SETFD, 0);
	}
}

void cr_init(int argc, char **argv)
{
	const char *slash;
	sigset_t set, old_set;
	int pfd[2];
	pid_t pid;

	if (argc > 0 && argv[0]) {
		slash = strrchr(argv[0], '/');
		cr.name = slash ? slash + 1 : argv[0];
	}
	/* First of all, so the check request can never be lost. */
	cr_check_sigset(&set);
	if (sigprocmask(SIG_BLOCK, &set, &old_set)) {
		fprintf(stderr, "%s: sigprocmask: %s\n", cr.name,
			strerror(errno));
		exit(CR_EXIT_FAIL);
	}
	parse_args(argc, argv);
	close_inherited_fds();

	if (cr.outfile[0]) {
		/* create it now: the launcher may report on it */
		redirect_fd(STDOUT_FILENO, cr.outfile,
			    O_WRONLY | O_CREAT | O_APPEND);
		redirect_fd(STDERR_FILENO, cr.outfile,
			    O_WRONLY | O_CREAT | O_APPEND);
	}
	if (!cr.pidfile[0]) {
		cr_msg("running in the foreground, pid %d", getpid());
		return;
	}

	if (pipe2(pfd, O_CLOEXEC)) {
		fprintf(stderr, "%s: pipe: %s\n", cr.name, strerror(errno));
		exit(CR_EXIT_FAIL);
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", cr.name, strerror(errno));
		exit(CR_EXIT_FAIL);
	}
	if (pid > 0) {
		/* the launcher stays killable (by a runner's timeout) */
		sigprocmask(SIG_SETMASK, &old_set, NULL);
		close(pfd[1]);
		launcher_wait(pid, pfd[0]);
	}
	close(pfd[0]);
	/*
	 * Out of the way of the fds a test sets up (it may want 3, 4...):
	 * until cr_daemon() closes it, the pipe sits at CR_READY_FD or above.
	 */
	cr.ready_fd = fcntl(pfd[1], F_DUPFD_CLOEXEC, CR_READY_FD);
	if (cr.ready_fd < 0) {
		fprintf(stderr, "%s: F_DUPFD: %s\n", cr.name, strerror(errno));
		exit(CR_EXIT_FAIL);
	}
	close(pfd[1]);
	cr.daemonized = true;

	if (setsid() < 0) {
		fprintf(stderr, "%s: setsid: %s\n", cr.name, strerror(errno));
		exit(CR_EXIT_FAIL);
	}
	redirect_fd(STDIN_FILENO, "/dev/null", O_RDONLY);
	if (!cr.outfile[0]) {
		redirect_fd(STDOUT_FILENO, "/dev/null", O_WRONLY);
		redirect_fd(STDERR_FILENO, "/dev/null", O_WRONLY);
	}
	cr_msg("started, pid %d, session %d", getpid(), getsid(0));
}

static void write_pidfile(void)
{
	char tmp[PATH_MAX + 16], buf[32];
	int fd, len;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", cr.pidfile, getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		cr_fatal("create %s: %m", tmp);
	len = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (write(fd, buf, (size_t)len) != len) {
		close(fd);
		unlink(tmp);
		cr_fatal("write %s: %m", tmp);
	}
	close(fd);
	if (rename(tmp, cr.pidfile)) {
		unlink(tmp);
		cr_fatal("rename %s to %s: %m", tmp, cr.pidfile);
	}
}

void cr_daemon(void)
{
	if (cr.pidfile[0])
		write_pidfile();
	cr.ready = true;
	if (cr.ready_fd >= 0) {
		write_all(cr.ready_fd, "R", 1);
		close(cr.ready_fd);
		cr.ready_fd = -1;
	}
	cr_msg("ready, waiting for the check signal (%s)",
	       strsignal(CR_CHECK_SIGNAL));
}

void cr_wait_check(void)
{
	siginfo_t info;
	sigset_t set;
	int sig;

	if (!cr.ready)
		cr_fatal("cr_wait_check() before cr_daemon()");
	cr_check_sigset(&set);
	for (;;) {
		sig = sigwaitinfo(&set, &info);
		if (sig == CR_CHECK_SIGNAL)
			break;
		if (sig < 0 && errno != EINTR)
			cr_fatal("sigwaitinfo: %m");
	}
	cr_msg("check requested (signal from pid %d), verifying",
	       (int)info.si_pid);
}

/*
 * Helpers for verifying state.
 */

static uint64_t xorshift64s(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t pattern_state(uint64_t seed)
{
	return seed ^ 0x9E3779B97F4A7C15ULL ? seed ^ 0x9E3779B97F4A7C15ULL : 1;
}

void cr_fill_pattern(void *buf, size_t len, uint64_t seed)
{
	uint64_t s = pattern_state(seed), v;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		v = xorshift64s(&s);
		memcpy(p + i, &v, 8);
	}
	if (i < len) {
		v = xorshift64s(&s);
		memcpy(p + i, &v, len - i);
	}
}

size_t cr_check_pattern(const void *buf, size_t len, uint64_t seed,
			size_t *nr_bad)
{
	uint64_t s = pattern_state(seed), v;
	const unsigned char *p = buf;
	size_t first = (size_t)-1, bad = 0;

	for (size_t i = 0; i < len; i += 8) {
		size_t n = len - i < 8 ? len - i : 8;
		unsigned char want[8];

		v = xorshift64s(&s);
		memcpy(want, &v, 8);
		if (!memcmp(p + i, want, n))
			continue;
		for (size_t j = 0; j < n; j++) {
			if (p[i + j] == want[j])
				continue;
			if (first == (size_t)-1)
				first = i + j;
			bad++;
		}
	}
	if (nr_bad)
		*nr_bad = bad;
	return first;
}

uint64_t cr_hash(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int cr_vma_perms(const void *addr, size_t len, char perms[5])
{
	uintptr_t cur = (uintptr_t)addr, end = cur + len;
	unsigned long start, stop;
	bool found = false, same = true;
	char line[512], p[5];
	FILE *f;

	memset(perms, 0, 5);
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (cur < end && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &start, &stop, p) != 3)
			continue;
		if (stop <= cur)
			continue;
		if (start > cur)
			break; /* a hole */
		if (!found) {
			memcpy(perms, p, 5);
			found = true;
		} else if (memcmp(perms, p, 4)) {
			same = false;
		}
		cur = stop;
		/* a line longer than the buffer: skip the rest of it */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
			;
	}
	fclose(f);
	if (cur < end)
		return -ENOENT;
	return same ? 0 : -EINVAL;
}

int cr_proc_status(pid_t tid, const char *field, char *buf, size_t size)
{
	char path[64], line[512];
	size_t flen = strlen(field);
	int ret = -ENOENT;
	FILE *f;

	if (tid)
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *v;

		if (strncmp(line, field, flen) || line[flen] != ':')
			continue;
		v = line + flen + 1;
		v += strspn(v, " \t");
		snprintf(buf, size, "%.*s", (int)strcspn(v, "\n"), v);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

void cr_sigset_hex(const sigset_t *set, char buf[17])
{
	unsigned long long mask = 0;

	for (int sig = 1; sig <= 64; sig++)
		if (sigismember(set, sig) == 1)
			mask |= 1ULL << (sig - 1);
	snprintf(buf, 17, "%016llx", mask);
}

void cr_msleep(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

ssize_t cr_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	if (!size)
		return -ENOSPC;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			char c;

			/* full: only fine if nothing is left */
			n = read(fd, &c, 1);
			if (n > 0) {
				close(fd);
				return -ENOSPC;
			}
			break;
		}
	}
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

int cr_vma_flags(const void *addr, char *buf, size_t size)
{
	uintptr_t a = (uintptr_t)addr;
	unsigned long start, end;
	bool in = false;
	char line[512];
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start <= a && a < end;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(buf, size, "%.*s",
				 (int)strcspn(line + 8, "\n"), line + 8);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

bool cr_vmflag_has(const char *flags, const char *flag)
{
	size_t len = strlen(flag);

	for (const char *p = flags; (p = strstr(p, flag)); p += len)
		if ((p == flags || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

int cr_pagemap(const void *addr, uint64_t *entry)
{
	long psize = sysconf(_SC_PAGESIZE);
	off_t off = (off_t)((uintptr_t)addr / (uintptr_t)psize * 8);
	ssize_t n;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, entry, sizeof(*entry), off);
	if (n != (ssize_t)sizeof(*entry)) {
		int e = n < 0 ? errno : EIO;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

int cr_thread_syscall(pid_t tid, long *nr)
{
	char path[64], buf[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	n = cr_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (!strncmp(buf, "running", 7))
		return -EBUSY;
	if (sscanf(buf, "%ld", nr) != 1)
		return -EINVAL;
	return 0;
}

int64_t cr_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
