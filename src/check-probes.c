// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel feature probes of cryo check, part 1: the shared helpers,
 * ptrace and process probes (check.c holds the table and the command;
 * check-probes-mem.c the memory, network and namespace probes). Each probe tries its feature for real: a config file only
 * says what was built, not what works here, where LSMs, seccomp, missing
 * capabilities and sysctls all have a say.
 *
 * A probe returns 0 (present) or a negative errno, with a reason (or, when
 * present, a detail worth showing) written into @why. Each cleans up after
 * itself completely: every child it forks is killed and reaped, every fd
 * closed, every mapping unmapped. No probe can hang: a child reports
 * through a pipe waited for with poll() and a timeout, ptrace stops are
 * waited for with WNOHANG until a deadline, and a child parked in pause()
 * is SIGKILLed.
 *
 * Probes that change process-wide state (seccomp, SUD, PR_SET_MM_MAP,
 * namespaces, timer ids, userfaultfd) do it in a forked child, so cryo
 * itself is left exactly as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "check.h"

/* Writes "what: strerror(err)" into @why; returns -err. */
int probe_fail(char *why, size_t len, int err, const char *what)
{
	if (err <= 0)
		err = EIO;
	snprintf(why, len, "%s: %s", what, strerror(err));
	return -err;
}

/* probe_fail() with the current errno. */
int probe_fail_errno(char *why, size_t len, const char *what)
{
	return probe_fail(why, len, errno, what);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

size_t probe_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Kills @pid and reaps it; SIGKILL cannot be blocked, so this is bounded. */
void probe_child_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

/* Describes how a child ended from its waitid() siginfo. */
static void child_ended(const siginfo_t *si, char *why, size_t len)
{
	if (si->si_code == CLD_EXITED)
		snprintf(why, len, "probe child exited with status %d",
			 si->si_status);
	else
		snprintf(why, len, "probe child killed by signal %d (%s)",
			 si->si_status, strsignal(si->si_status));
}

/*
 * Waits up to CHILD_TIMEOUT_MS for @pid to stop or end, polling with
 * WNOHANG so that a kernel that never reports the expected stop makes the
 * probe fail instead of hanging cryo. A stop is consumed and its status
 * stored in @status. An end is only looked at (WNOWAIT), described in
 * @why, and gives -ECHILD: the zombie is reaped by probe_child_kill(), so that
 * its PID cannot be reused while the probe may still signal it.
 */
static int wait_child(pid_t pid, int *status, char *why, size_t len)
{
	long long end = now_ms() + CHILD_TIMEOUT_MS;
	siginfo_t si;

	for (;;) {
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &si,
			   WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL))
			return probe_fail_errno(why, len, "waitid");
		if (si.si_pid == pid)
			break;
		if (now_ms() > end) {
			snprintf(why, len, "probe child did not stop in %d ms",
				 CHILD_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		usleep(100);
	}
	if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED ||
	    si.si_code == CLD_DUMPED) {
		child_ended(&si, why, len);
		return -ECHILD;
	}
	if (waitpid(pid, status, __WALL | WNOHANG) != pid)
		return probe_fail_errno(why, len, "waitpid");
	return 0;
}

/*
 * Forks a child that runs @fn(@arg) (nothing if NULL) and sends back its
 * result and reason through a pipe. With @stay the child then sleeps in
 * pause() until the probe kills it, and its PID is stored in @pidp;
 * without, the child is reaped here. Returns @fn's result, or -errno if the
 * child could not start, died or did not report in time (it is then
 * killed and reaped already). The reason (or detail) lands in @why.
 */
int probe_child_run(pid_t *pidp, child_fn fn, void *arg, bool stay, char *why,
		    size_t len)
{
	struct child_msg msg = {.ret = 0};
	struct pollfd pfd;
	int fds[2], status, ret;
	pid_t pid, parent = getpid();

	if (pipe2(fds, O_CLOEXEC))
		return probe_fail_errno(why, len, "pipe");
	pid = fork();
	if (pid < 0) {
		ret = probe_fail_errno(why, len, "fork");
		goto out_close_pipe;
	}
	if (pid == 0) {
		/* never outlive cryo, even if it is killed mid-probe */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		close(fds[0]);
		if (fn)
			msg.ret = fn(arg, msg.why, sizeof(msg.why));
		if (write(fds[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		if (!stay)
			_exit(0);
		for (;;)
			pause();
	}
	close(fds[1]);
	fds[1] = -1;

	pfd = (struct pollfd){.fd = fds[0], .events = POLLIN};
	ret = poll(&pfd, 1, CHILD_TIMEOUT_MS);
	if (ret < 0) {
		ret = probe_fail_errno(why, len, "poll");
		goto out_kill;
	}
	if (ret == 0) {
		snprintf(why, len, "probe child did not report in %d ms",
			 CHILD_TIMEOUT_MS);
		ret = -ETIMEDOUT;
		goto out_kill;
	}
	if (read(fds[0], &msg, sizeof(msg)) != sizeof(msg)) {
		/* it ended, or closed its pipe and is about to */
		ret = wait_child(pid, &status, why, len) ?: -EPROTO;
		if (ret == -EPROTO)
			snprintf(why, len, "probe child stopped unexpectedly");
		goto out_kill;
	}
	msg.why[sizeof(msg.why) - 1] = '\0';
	snprintf(why, len, "%s", msg.why);
	ret = msg.ret;
	if (ret || !stay)
		goto out_kill;
	*pidp = pid;
	close(fds[0]);
	return 0;

out_kill:
	probe_child_kill(pid);
out_close_pipe:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return ret;
}

/* Runs @fn in a forked child that then exits: for state cryo must keep. */
int probe_run_in_child(child_fn fn, void *arg, char *why, size_t len)
{
	return probe_child_run(NULL, fn, arg, false, why, len);
}

/*
 * Seizes @pid and stops it with PTRACE_INTERRUPT, as dump does: the stop
 * must be reported as a PTRACE_EVENT_STOP.
 */
static int seize_stop(pid_t pid, char *why, size_t len)
{
	int status, ret;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0))
		return probe_fail_errno(why, len, "PTRACE_SEIZE");
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0))
		return probe_fail_errno(why, len, "PTRACE_INTERRUPT");
	ret = wait_child(pid, &status, why, len);
	if (ret)
		return ret;
	if (!WIFSTOPPED(status) || status >> 16 != PTRACE_EVENT_STOP) {
		snprintf(why, len, "expected PTRACE_EVENT_STOP, got status %#x",
			 status);
		return -EPROTO;
	}
	return 0;
}

/* A child parked in pause() after @fn, seized and stopped. */
static int spawn_stopped(pid_t *pidp, child_fn fn, void *arg, char *why,
			 size_t len)
{
	int ret;

	ret = probe_child_run(pidp, fn, arg, true, why, len);
	if (ret)
		return ret;
	ret = seize_stop(*pidp, why, len);
	if (ret)
		probe_child_kill(*pidp);
	return ret;
}

/* Reads one decimal number from a /proc file. */
static int read_long(const char *path, long *val)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	*val = strtol(buf, NULL, 10);
	return 0;
}

/* A PID @ahead of @last, wrapped below @max past the reserved range. */
static pid_t pid_ahead(long last, long ahead, long max)
{
	long pid = last + ahead, span = max > 301 ? max - 300 : 1;

	if (pid >= max)
		pid = 300 + pid % span;
	return (pid_t)pid;
}

/* The pagemap entry of @addr, from an open pagemap file. */
int probe_pagemap_entry(int fd, const void *addr, uint64_t *ent)
{
	off_t off = (off_t)((uintptr_t)addr / probe_page_size() * sizeof(*ent));

	ssize_t n = pread(fd, ent, sizeof(*ent), off);

	if (n < 0)
		return -errno;
	return n == sizeof(*ent) ? 0 : -EIO;
}

/* ---- ptrace ---------------------------------------------------------- */

/* Seize, interrupt, see the PTRACE_EVENT_STOP, detach: how dump starts. */
int check_seize(char *why, size_t len)
{
	pid_t pid;
	int ret;

	ret = spawn_stopped(&pid, NULL, NULL, why, len);
	if (ret)
		return ret;
	if (ptrace(PTRACE_DETACH, pid, 0, 0))
		ret = probe_fail_errno(why, len, "PTRACE_DETACH");
	probe_child_kill(pid);
	return ret;
}

/* The whole xsave area of a stopped task, with XCR0 in its sw bytes. */
int check_xstate(char *why, size_t len)
{
	struct iovec iov;
	uint64_t xcr0;
	char *buf;
	pid_t pid;
	int ret;

	buf = calloc(1, XSTATE_BUF_SIZE);
	if (!buf)
		return probe_fail(why, len, ENOMEM, "xstate buffer");
	ret = spawn_stopped(&pid, NULL, NULL, why, len);
	if (ret)
		goto out_free;
	iov = (struct iovec){.iov_base = buf, .iov_len = XSTATE_BUF_SIZE};
	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov)) {
		ret = probe_fail_errno(why, len,
				       "PTRACE_GETREGSET NT_X86_XSTATE");
	} else if (iov.iov_len < XSAVE_XCR0_OFF + sizeof(xcr0)) {
		snprintf(why, len, "xsave area of only %zu bytes", iov.iov_len);
		ret = -EPROTO;
	} else {
		memcpy(&xcr0, buf + XSAVE_XCR0_OFF, sizeof(xcr0));
		snprintf(why, len, "%zu bytes, XCR0 %#" PRIx64, iov.iov_len,
			 xcr0);
	}
	probe_child_kill(pid);
out_free:
	free(buf);
	return ret;
}

/* Installs an allow-all filter, with the LOG flag so metadata shows it. */
static int child_seccomp(void *arg, char *why, size_t len)
{
	struct sock_filter insn = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = 1, .filter = &insn};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return probe_fail_errno(why, len, "PR_SET_NO_NEW_PRIVS");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_LOG, &prog))
		return probe_fail_errno(why, len, "SECCOMP_SET_MODE_FILTER");
	return 0;
}

/* The filter reads back instruction for instruction. */
int check_seccomp_filter(char *why, size_t len)
{
	struct sock_filter insn[2] = {{0}};
	pid_t pid;
	long n;
	int ret;

	ret = spawn_stopped(&pid, child_seccomp, NULL, why, len);
	if (ret)
		return ret;
	n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL);
	if (n < 0) {
		ret = probe_fail_errno(why, len, "PTRACE_SECCOMP_GET_FILTER");
		goto out_kill;
	}
	if (n != 1 || ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, insn) != 1 ||
	    insn[0].code != (BPF_RET | BPF_K) ||
	    insn[0].k != SECCOMP_RET_ALLOW) {
		snprintf(why, len, "filter read back as %ld instructions", n);
		ret = -EPROTO;
	}
out_kill:
	probe_child_kill(pid);
	return ret;
}

/* The filter's flags (only SECCOMP_FILTER_FLAG_LOG is reported). */
int check_seccomp_metadata(char *why, size_t len)
{
	struct __ptrace_seccomp_metadata md = {.filter_off = 0};
	pid_t pid;
	long n;
	int ret;

	ret = spawn_stopped(&pid, child_seccomp, NULL, why, len);
	if (ret)
		return ret;
	n = ptrace(PTRACE_SECCOMP_GET_METADATA, pid, sizeof(md), &md);
	if (n < 0) {
		ret = probe_fail_errno(why, len, "PTRACE_SECCOMP_GET_METADATA");
	} else if (n != sizeof(md) || md.flags != SECCOMP_FILTER_FLAG_LOG) {
		snprintf(why, len, "got %ld bytes, flags %#" PRIx64, n,
			 md.flags);
		ret = -EPROTO;
	}
	probe_child_kill(pid);
	return ret;
}

/* Needed to inject syscalls into a task whose filter would refuse them. */
int check_seccomp_suspend(char *why, size_t len)
{
	pid_t pid;
	int ret;

	ret = spawn_stopped(&pid, child_seccomp, NULL, why, len);
	if (ret)
		return ret;
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_SUSPEND_SECCOMP))
		ret = probe_fail_errno(
			why, len, "PTRACE_SETOPTIONS PTRACE_O_SUSPEND_SECCOMP");
	probe_child_kill(pid);
	return ret;
}

/* Turns SUD on with @arg as the selector byte (set to ALLOW). */
static int child_sud(void *arg, char *why, size_t len)
{
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, arg))
		return probe_fail_errno(why, len,
					"PR_SET_SYSCALL_USER_DISPATCH");
	return 0;
}

static int sud_get(pid_t pid, struct cryo_sud_config *cfg, char *why,
		   size_t len)
{
	if (ptrace(PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG, pid, sizeof(*cfg),
		   cfg))
		return probe_fail_errno(
			why, len, "PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG");
	return 0;
}

static int sud_set(pid_t pid, struct cryo_sud_config *cfg, char *why,
		   size_t len)
{
	if (ptrace(PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG, pid, sizeof(*cfg),
		   cfg))
		return probe_fail_errno(
			why, len, "PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG");
	return 0;
}

/*
 * Reads the SUD config, switches it off and re-arms it as dump and the
 * injection engine do (there is no PTRACE_O_SUSPEND for SUD).
 */
int check_sud(char *why, size_t len)
{
	char selector = SYSCALL_DISPATCH_FILTER_ALLOW; /* lives on in child */
	struct cryo_sud_config cfg, off = {.mode = PR_SYS_DISPATCH_OFF};
	pid_t pid;
	int ret;

	ret = spawn_stopped(&pid, child_sud, &selector, why, len);
	if (ret)
		return ret;
	ret = sud_get(pid, &cfg, why, len);
	if (ret)
		goto out_kill;
	if (cfg.mode != PR_SYS_DISPATCH_ON ||
	    cfg.selector != (uintptr_t)&selector) {
		snprintf(why, len,
			 "read back mode %" PRIu64 " selector %#" PRIx64,
			 cfg.mode, cfg.selector);
		ret = -EPROTO;
		goto out_kill;
	}
	ret = sud_set(pid, &off, why, len);
	if (!ret)
		ret = sud_get(pid, &off, why, len);
	if (!ret)
		ret = sud_set(pid, &cfg, why, len);
	if (!ret)
		ret = sud_get(pid, &cfg, why, len);
	if (!ret && (off.mode != PR_SYS_DISPATCH_OFF ||
		     cfg.mode != PR_SYS_DISPATCH_ON)) {
		snprintf(why, len,
			 "switched off/on, read back modes %" PRIu64
			 "/%" PRIu64,
			 off.mode, cfg.mode);
		ret = -EPROTO;
	}
out_kill:
	probe_child_kill(pid);
	return ret;
}

/* glibc registers rseq in every thread; restore must re-register it. */
int check_rseq(char *why, size_t len)
{
	struct __ptrace_rseq_configuration conf = {.rseq_abi_pointer = 0};
	pid_t pid;
	long n;
	int ret;

	ret = spawn_stopped(&pid, NULL, NULL, why, len);
	if (ret)
		return ret;
	n = ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, sizeof(conf), &conf);
	if (n < 0)
		ret = probe_fail_errno(why, len,
				       "PTRACE_GET_RSEQ_CONFIGURATION");
	else if (!conf.rseq_abi_pointer)
		snprintf(why, len, "(this libc registers no rseq area)");
	else
		snprintf(why, len, "rseq area of %u bytes, signature %#x",
			 conf.rseq_abi_size, conf.signature);
	probe_child_kill(pid);
	return ret;
}

/* The blocked-signal mask reads back after a write. */
int check_sigmask(char *why, size_t len)
{
	uint64_t mask, set = 1ULL << (SIGUSR1 - 1);
	pid_t pid;
	int ret;

	ret = spawn_stopped(&pid, NULL, NULL, why, len);
	if (ret)
		return ret;
	if (ptrace(PTRACE_GETSIGMASK, pid, sizeof(mask), &mask))
		ret = probe_fail_errno(why, len, "PTRACE_GETSIGMASK");
	else if (ptrace(PTRACE_SETSIGMASK, pid, sizeof(set), &set))
		ret = probe_fail_errno(why, len, "PTRACE_SETSIGMASK");
	else if (ptrace(PTRACE_GETSIGMASK, pid, sizeof(mask), &mask))
		ret = probe_fail_errno(why, len, "PTRACE_GETSIGMASK");
	else if (mask != set) {
		snprintf(why, len, "set mask %#" PRIx64 ", read back %#" PRIx64,
			 set, mask);
		ret = -EPROTO;
	}
	probe_child_kill(pid);
	return ret;
}

/* Blocks SIGUSR1 and SIGUSR2 and queues SIGUSR1 to itself (per thread). */
static int child_pending(void *arg, char *why, size_t len)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return probe_fail_errno(why, len, "sigprocmask");
	if (raise(SIGUSR1))
		return probe_fail_errno(why, len, "raise");
	return 0;
}

/* Peeks one signal from the queue @flags selects; expects @sig. */
static int peek_one(pid_t pid, uint32_t flags, int sig, char *why, size_t len)
{
	struct __ptrace_peeksiginfo_args args = {.flags = flags, .nr = 4};
	siginfo_t si[4];
	long n;

	memset(si, 0, sizeof(si));
	n = ptrace(PTRACE_PEEKSIGINFO, pid, &args, si);
	if (n < 0)
		return probe_fail_errno(why, len, "PTRACE_PEEKSIGINFO");
	if (n != 1 || si[0].si_signo != sig) {
		snprintf(why, len, "%s queue: %ld entries, first signal %d",
			 flags ? "shared" : "private", n,
			 n ? si[0].si_signo : 0);
		return -EPROTO;
	}
	return 0;
}

/* Both pending queues, the thread's and the process's, read back. */
int check_peeksiginfo(char *why, size_t len)
{
	pid_t pid;
	int ret;

	ret = probe_child_run(&pid, child_pending, NULL, true, why, len);
	if (ret)
		return ret;
	if (kill(pid, SIGUSR2)) {
		ret = probe_fail_errno(why, len, "kill SIGUSR2");
		goto out_kill;
	}
	ret = seize_stop(pid, why, len);
	if (!ret)
		ret = peek_one(pid, 0, SIGUSR1, why, len);
	if (!ret)
		ret = peek_one(pid, PTRACE_PEEKSIGINFO_SHARED, SIGUSR2, why,
			       len);
out_kill:
	probe_child_kill(pid);
	return ret;
}

/* ---- processes and PIDs ---------------------------------------------- */

/*
 * clone3 with set_tid gives the child exactly the PID asked for; restore
 * builds the tree this way. A PID ahead of ns_last_pid is likely free;
 * others may take it meanwhile (EEXIST), so a few are tried.
 */
int check_clone3_set_tid(char *why, size_t len)
{
	long last, max, got;
	int ret, i;

	ret = read_long("/proc/sys/kernel/ns_last_pid", &last);
	if (!ret)
		ret = read_long("/proc/sys/kernel/pid_max", &max);
	if (ret)
		return probe_fail(why, len, -ret,
				  "reading ns_last_pid/pid_max");
	for (i = 0; i < TRY_PIDS; i++) {
		pid_t want = pid_ahead(last, 100 + 37 * i, max);
		struct cryo_clone_args args = {
			.exit_signal = SIGCHLD,
			.set_tid = (uintptr_t)&want,
			.set_tid_size = 1,
		};

		got = syscall(SYS_clone3, &args, sizeof(args));
		if (got == 0)
			_exit(0);
		if (got < 0 && errno == EEXIST)
			continue;
		if (got < 0)
			return probe_fail_errno(why, len,
						"clone3 with set_tid");
		probe_child_kill((pid_t)got);
		if (got != want) {
			snprintf(why, len, "asked for PID %d, got %ld", want,
				 got);
			return -EPROTO;
		}
		return 0;
	}
	snprintf(why, len, "all %d PIDs tried were taken", TRY_PIDS);
	return -EEXIST;
}

/*
 * Writing N to ns_last_pid makes the next fork get N + 1 (the way to pick
 * a PID before clone3 had set_tid). Others forking meanwhile can steal
 * it, so a few tries.
 */
int check_ns_last_pid(char *why, size_t len)
{
	char buf[32];
	long last, max;
	int fd, ret, i;
	pid_t pid;

	ret = read_long("/proc/sys/kernel/pid_max", &max);
	if (ret)
		return probe_fail(why, len, -ret, "reading pid_max");
	fd = open("/proc/sys/kernel/ns_last_pid", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return probe_fail_errno(why, len, "open ns_last_pid");
	for (i = 0; i < TRY_PIDS; i++) {
		ret = read_long("/proc/sys/kernel/ns_last_pid", &last);
		if (ret) {
			ret = probe_fail(why, len, -ret, "reading ns_last_pid");
			goto out_close;
		}
		last = pid_ahead(last, 200 + 37 * i, max - 1);
		snprintf(buf, sizeof(buf), "%ld", last);
		if (pwrite(fd, buf, strlen(buf), 0) < 0) {
			ret = probe_fail_errno(why, len, "write ns_last_pid");
			goto out_close;
		}
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			ret = probe_fail_errno(why, len, "fork");
			goto out_close;
		}
		probe_child_kill(pid);
		if (pid == last + 1)
			goto out_close;
	}
	snprintf(why, len, "fork never got ns_last_pid + 1 in %d tries",
		 TRY_PIDS);
	ret = -EPROTO;
out_close:
	close(fd);
	return ret;
}

/* pidfd_open, a null signal through it, and an fd taken from the child. */
int check_pidfd(char *why, size_t len)
{
	struct stat ours, taken;
	int pipefd[2], pidfd, fd, ret;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return probe_fail_errno(why, len, "pipe");
	ret = probe_child_run(&pid, NULL, NULL, true, why, len);
	if (ret)
		goto out_close_pipe;
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		ret = probe_fail_errno(why, len, "pidfd_open");
		goto out_kill;
	}
	if (pidfd_send_signal(pidfd, 0, NULL, 0)) {
		ret = probe_fail_errno(why, len, "pidfd_send_signal");
		goto out_close_pidfd;
	}
	fd = pidfd_getfd(pidfd, pipefd[1], 0);
	if (fd < 0) {
		ret = probe_fail_errno(why, len, "pidfd_getfd");
		goto out_close_pidfd;
	}
	if (fstat(fd, &taken) || fstat(pipefd[1], &ours) ||
	    taken.st_ino != ours.st_ino || taken.st_dev != ours.st_dev) {
		snprintf(why, len, "pidfd_getfd returned another file");
		ret = -EPROTO;
	}
	close(fd);
out_close_pidfd:
	close(pidfd);
out_kill:
	probe_child_kill(pid);
out_close_pipe:
	close(pipefd[0]);
	close(pipefd[1]);
	return ret;
}

/* The child overwrites the probe's buffer in its own copy. */
static int child_scribble(void *arg, char *why, size_t len)
{
	strcpy(arg, "child");
	return 0;
}

/* Reads a child's memory, writes it, reads the write back. */
int check_process_vm(char *why, size_t len)
{
	char buf[16] = "parent", got[16] = "";
	struct iovec local = {.iov_base = got, .iov_len = sizeof(got)};
	struct iovec remote = {.iov_base = buf, .iov_len = sizeof(buf)};
	char data[16] = "written";
	struct iovec src = {.iov_base = data, .iov_len = sizeof(data)};
	pid_t pid;
	int ret;

	ret = probe_child_run(&pid, child_scribble, buf, true, why, len);
	if (ret)
		return ret;
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(got)) {
		ret = probe_fail_errno(why, len, "process_vm_readv");
	} else if (strcmp(got, "child")) {
		snprintf(why, len, "process_vm_readv read '%.15s'", got);
		ret = -EPROTO;
	} else if (process_vm_writev(pid, &src, 1, &remote, 1, 0) !=
		   sizeof(data)) {
		ret = probe_fail_errno(why, len, "process_vm_writev");
	} else if (process_vm_readv(pid, &local, 1, &remote, 1, 0) !=
			   sizeof(got) ||
		   strcmp(got, "written")) {
		snprintf(why, len, "process_vm_writev did not stick");
		ret = -EPROTO;
	}
	probe_child_kill(pid);
	return ret;
}

/*
 * /proc/PID/mem writes go through read-only pages (FOLL_FORCE): restore
 * fills code and rodata this way. Kernels built with PROC_MEM_FORCE_PTRACE
 * force only for the tracer, so the child is seized first.
 */
int check_proc_mem(char *why, size_t len)
{
	size_t psz = probe_page_size();
	char path[64], got[8];
	int fd, ret;
	char *page;
	pid_t pid;

	page = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return probe_fail_errno(why, len, "mmap");
	ret = spawn_stopped(&pid, NULL, NULL, why, len);
	if (ret)
		goto out_unmap;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = probe_fail_errno(why, len, "open /proc/PID/mem");
		goto out_kill;
	}
	if (pwrite(fd, "cryo", 5, (off_t)(uintptr_t)page) != 5) {
		ret = probe_fail_errno(why, len, "write to a read-only page");
	} else if (pread(fd, got, 5, (off_t)(uintptr_t)page) != 5 ||
		   strcmp(got, "cryo") || page[0]) {
		snprintf(why, len, "the write did not land in the child only");
		ret = -EPROTO;
	}
	close(fd);
out_kill:
	probe_child_kill(pid);
out_unmap:
	munmap(page, psz);
	return ret;
}

/* kcmp tells shared file descriptions apart; dump finds sharing with it. */
int check_kcmp(char *why, size_t len)
{
	pid_t self = getpid();
	int a, b, c, ret = 0;
	long same, other;

	a = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (a < 0)
		return probe_fail_errno(why, len, "open /dev/null");
	b = fcntl(a, F_DUPFD_CLOEXEC, 0);
	c = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (b < 0 || c < 0) {
		ret = probe_fail_errno(why, len, "open/dup");
		goto out_close;
	}
	same = syscall(SYS_kcmp, self, self, KCMP_FILE, a, b);
	other = syscall(SYS_kcmp, self, self, KCMP_FILE, a, c);
	if (same < 0 || other < 0)
		ret = probe_fail_errno(why, len, "kcmp KCMP_FILE");
	else if (same != 0 || other == 0) {
		snprintf(why, len, "dup'ed fds compare %ld, distinct %ld", same,
			 other);
		ret = -EPROTO;
	}
out_close:
	if (c >= 0)
		close(c);
	if (b >= 0)
		close(b);
	close(a);
	return ret;
}

/*
 * Fills @map with this process's own layout from /proc/self/stat (fields
 * 26-28 and 45-51, see proc(5)) and its current brk.
 */
static int self_mm_map(struct prctl_mm_map *map)
{
	unsigned long long f[52] = {0};
	char buf[1024], *p;
	ssize_t n;
	int fd, i;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold anything */
	if (!p || p[1] != ' ')
		return -EPROTO;
	p += 2;
	for (i = 3; i < 52; i++) { /* field 3 is the state, a letter */
		while (*p == ' ')
			p++;
		f[i] = strtoull(p, &p, 10);
		p += strcspn(p, " ");
	}
	*map = (struct prctl_mm_map){
		.start_code = f[26],
		.end_code = f[27],
		.start_stack = f[28],
		.start_data = f[45],
		.end_data = f[46],
		.start_brk = f[47],
		.brk = (uint64_t)syscall(SYS_brk, 0),
		.arg_start = f[48],
		.arg_end = f[49],
		.env_start = f[50],
		.env_end = f[51],
		.exe_fd = (uint32_t)-1,
	};
	return 0;
}

/* Sets the child's own layout back with one PR_SET_MM_MAP call. */
static int child_mm_map(void *arg, char *why, size_t len)
{
	struct prctl_mm_map map;
	int ret;

	ret = self_mm_map(&map);
	if (ret)
		return probe_fail(why, len, -ret, "reading /proc/self/stat");
	if (prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof(map), 0))
		return probe_fail_errno(why, len, "PR_SET_MM_MAP");
	return 0;
}

/*
 * PR_SET_MM_MAP sets code/data/brk/stack/args/env bounds in one call
 * without CAP_SYS_RESOURCE (which the option-by-option PR_SET_MM needs).
 */
int check_prctl_mm_map(char *why, size_t len)
{
	unsigned int size = 0;

	if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0))
		return probe_fail_errno(why, len, "PR_SET_MM_MAP_SIZE");
	if (size != sizeof(struct prctl_mm_map)) {
		snprintf(why, len, "PR_SET_MM_MAP_SIZE says %u, cryo has %zu",
			 size, sizeof(struct prctl_mm_map));
		return -EPROTO;
	}
	return probe_run_in_child(child_mm_map, NULL, why, len);
}

/* /proc/PID/map_files links to, and reopens, a child's mapped file. */
int check_map_files(char *why, size_t len)
{
	struct stat want, got;
	char path[96], link[256];
	size_t psz = probe_page_size();
	int fd, mfd, ret;
	ssize_t n;
	char *map;
	pid_t pid;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return probe_fail_errno(why, len, "open /proc/self/exe");
	map = mmap(NULL, psz, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = probe_fail_errno(why, len, "mmap");
		goto out_close;
	}
	ret = probe_child_run(&pid, NULL, NULL, true, why, len);
	if (ret)
		goto out_unmap;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", pid,
		 (unsigned long)map, (unsigned long)(map + psz));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		ret = probe_fail_errno(why, len,
				       "readlink /proc/PID/map_files");
		goto out_kill;
	}
	mfd = open(path, O_RDONLY | O_CLOEXEC);
	if (mfd < 0) {
		ret = probe_fail_errno(why, len, "open /proc/PID/map_files");
		goto out_kill;
	}
	if (fstat(mfd, &got) || fstat(fd, &want) || got.st_ino != want.st_ino ||
	    got.st_dev != want.st_dev) {
		snprintf(why, len, "map_files opened another file");
		ret = -EPROTO;
	}
	close(mfd);
out_kill:
	probe_child_kill(pid);
out_unmap:
	munmap(map, psz);
out_close:
	close(fd);
	return ret;
}

/* memfd_create, data in and out, and the seals dump must record. */
int check_memfd(char *why, size_t len)
{
	char got[8] = "";
	int fd, seals, ret = 0;

	fd = memfd_create("cryo-check", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL) /* kernels before 6.3 */
		fd = memfd_create("cryo-check",
				  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return probe_fail_errno(why, len, "memfd_create");
	if (pwrite(fd, "cryo", 5, 0) != 5 || pread(fd, got, 5, 0) != 5) {
		ret = probe_fail_errno(why, len, "memfd write/read");
	} else if (strcmp(got, "cryo")) {
		snprintf(why, len, "memfd read back '%.7s'", got);
		ret = -EPROTO;
	} else if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) ||
		   (seals = fcntl(fd, F_GET_SEALS)) < 0) {
		ret = probe_fail_errno(why, len, "memfd seals");
	} else if (!(seals & F_SEAL_GROW)) {
		snprintf(why, len, "seals read back as %#x", seals);
		ret = -EPROTO;
	}
	close(fd);
	return ret;
}
