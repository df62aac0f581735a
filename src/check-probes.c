// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel feature probes of cryo check (check.c holds the table and
 * the command). Each probe tries its feature for real: a config file only
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

/*
 * The probes, listed in check.c's table. Declared with the same function
 * type there and here, so that a definition straying from it won't build.
 */
typedef int probe_fn(char *why, size_t len);
probe_fn check_seize, check_xstate, check_seccomp_filter,
	check_seccomp_metadata, check_seccomp_suspend, check_sud, check_rseq,
	check_sigmask, check_peeksiginfo, check_clone3_set_tid,
	check_ns_last_pid, check_pidfd, check_process_vm, check_proc_mem,
	check_kcmp, check_prctl_mm_map, check_map_files, check_memfd,
	check_userfaultfd, check_uffd_wp, check_pagemap_scan, check_soft_dirty,
	check_tcp_repair, check_namespaces, check_time_ns, check_timer_ids;

/*
 * Constants the installed headers (Linux 6.1 uapi, glibc 2.36) may lack;
 * values from the uapi headers of the running kernel.
 */
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#ifndef PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG
#define PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG 0x4210
#endif
#ifndef PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG
#define PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG 0x4211
#endif
#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH  59
#define PR_SYS_DISPATCH_OFF	      0
#define PR_SYS_DISPATCH_ON	      1
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#endif
#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS	77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON	1
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* pagemap bits, Documentation/admin-guide/mm/pagemap.rst */
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_UFFD_WP    (1ULL << 57)

/*
 * PAGEMAP_SCAN (Linux 6.7), with cryo's own names for the uapi structs
 * of include/uapi/linux/fs.h so that newer headers cannot clash.
 */
struct cryo_page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct cryo_pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define CRYO_PAGEMAP_SCAN     _IOWR('f', 16, struct cryo_pm_scan_arg)
#define PM_SCAN_WP_MATCHING   (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#define PAGE_IS_WRITTEN	      (1 << 1)

/* struct syscall_user_dispatch_config (PTRACE_{GET,SET}_..._CONFIG) */
struct cryo_sud_config {
	uint64_t mode;
	uint64_t selector;
	uint64_t offset;
	uint64_t len;
};

/* struct clone_args up to set_tid_size (CLONE_ARGS_SIZE_VER1) */
struct cryo_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
};

#define WHY_LEN		 256
#define CHILD_TIMEOUT_MS 2000
#define XSTATE_BUF_SIZE	 (64 << 10)
#define XSAVE_XCR0_OFF	 464 /* sw_reserved: XCR0 in the first 8 bytes */
#define TRY_PIDS	 8   /* attempts when racing others for a PID */

/* A child's setup, run right after fork; same convention as a probe. */
typedef int (*child_fn)(void *arg, char *why, size_t len);

/* What a child sends back through its pipe. */
struct child_msg {
	int ret;
	char why[WHY_LEN];
};

/* Writes "what: strerror(err)" into @why; returns -err. */
static int fail(char *why, size_t len, int err, const char *what)
{
	if (err <= 0)
		err = EIO;
	snprintf(why, len, "%s: %s", what, strerror(err));
	return -err;
}

/* fail() with the current errno. */
static int fail_errno(char *why, size_t len, const char *what)
{
	return fail(why, len, errno, what);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Kills @pid and reaps it; SIGKILL cannot be blocked, so this is bounded. */
static void child_kill(pid_t pid)
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
 * @why, and gives -ECHILD: the zombie is reaped by child_kill(), so that
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
			return fail_errno(why, len, "waitid");
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
		return fail_errno(why, len, "waitpid");
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
static int child_run(pid_t *pidp, child_fn fn, void *arg, bool stay, char *why,
		     size_t len)
{
	struct child_msg msg = {.ret = 0};
	struct pollfd pfd;
	int fds[2], status, ret;
	pid_t pid, parent = getpid();

	if (pipe2(fds, O_CLOEXEC))
		return fail_errno(why, len, "pipe");
	pid = fork();
	if (pid < 0) {
		ret = fail_errno(why, len, "fork");
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
		ret = fail_errno(why, len, "poll");
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
	child_kill(pid);
out_close_pipe:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return ret;
}

/* Runs @fn in a forked child that then exits: for state cryo must keep. */
static int run_in_child(child_fn fn, void *arg, char *why, size_t len)
{
	return child_run(NULL, fn, arg, false, why, len);
}

/*
 * Seizes @pid and stops it with PTRACE_INTERRUPT, as dump does: the stop
 * must be reported as a PTRACE_EVENT_STOP.
 */
static int seize_stop(pid_t pid, char *why, size_t len)
{
	int status, ret;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0))
		return fail_errno(why, len, "PTRACE_SEIZE");
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0))
		return fail_errno(why, len, "PTRACE_INTERRUPT");
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

	ret = child_run(pidp, fn, arg, true, why, len);
	if (ret)
		return ret;
	ret = seize_stop(*pidp, why, len);
	if (ret)
		child_kill(*pidp);
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
	long pid = last + ahead;

	if (pid >= max)
		pid = 300 + pid % (max - 300);
	return (pid_t)pid;
}

/* The pagemap entry of @addr, from an open pagemap file. */
static int pagemap_entry(int fd, const void *addr, uint64_t *ent)
{
	off_t off = (off_t)((uintptr_t)addr / page_size() * sizeof(*ent));

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
		ret = fail_errno(why, len, "PTRACE_DETACH");
	child_kill(pid);
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
		return fail(why, len, ENOMEM, "xstate buffer");
	ret = spawn_stopped(&pid, NULL, NULL, why, len);
	if (ret)
		goto out_free;
	iov = (struct iovec){.iov_base = buf, .iov_len = XSTATE_BUF_SIZE};
	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov)) {
		ret = fail_errno(why, len, "PTRACE_GETREGSET NT_X86_XSTATE");
	} else if (iov.iov_len < XSAVE_XCR0_OFF + sizeof(xcr0)) {
		snprintf(why, len, "xsave area of only %zu bytes", iov.iov_len);
		ret = -EPROTO;
	} else {
		memcpy(&xcr0, buf + XSAVE_XCR0_OFF, sizeof(xcr0));
		snprintf(why, len, "%zu bytes, XCR0 %#" PRIx64, iov.iov_len,
			 xcr0);
	}
	child_kill(pid);
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
		return fail_errno(why, len, "PR_SET_NO_NEW_PRIVS");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_LOG, &prog))
		return fail_errno(why, len, "SECCOMP_SET_MODE_FILTER");
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
		ret = fail_errno(why, len, "PTRACE_SECCOMP_GET_FILTER");
		goto out_kill;
	}
	if (n != 1 || ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, insn) != 1 ||
	    insn[0].code != (BPF_RET | BPF_K) ||
	    insn[0].k != SECCOMP_RET_ALLOW) {
		snprintf(why, len, "filter read back as %ld instructions", n);
		ret = -EPROTO;
	}
out_kill:
	child_kill(pid);
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
		ret = fail_errno(why, len, "PTRACE_SECCOMP_GET_METADATA");
	} else if (n != sizeof(md) || md.flags != SECCOMP_FILTER_FLAG_LOG) {
		snprintf(why, len, "got %ld bytes, flags %#" PRIx64, n,
			 md.flags);
		ret = -EPROTO;
	}
	child_kill(pid);
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
		ret = fail_errno(why, len,
				 "PTRACE_SETOPTIONS PTRACE_O_SUSPEND_SECCOMP");
	child_kill(pid);
	return ret;
}

/* Turns SUD on with @arg as the selector byte (set to ALLOW). */
static int child_sud(void *arg, char *why, size_t len)
{
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, arg))
		return fail_errno(why, len, "PR_SET_SYSCALL_USER_DISPATCH");
	return 0;
}

static int sud_get(pid_t pid, struct cryo_sud_config *cfg, char *why,
		   size_t len)
{
	if (ptrace(PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG, pid, sizeof(*cfg),
		   cfg))
		return fail_errno(why, len,
				  "PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG");
	return 0;
}

static int sud_set(pid_t pid, struct cryo_sud_config *cfg, char *why,
		   size_t len)
{
	if (ptrace(PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG, pid, sizeof(*cfg),
		   cfg))
		return fail_errno(why, len,
				  "PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG");
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
	child_kill(pid);
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
		ret = fail_errno(why, len, "PTRACE_GET_RSEQ_CONFIGURATION");
	else if (!conf.rseq_abi_pointer)
		snprintf(why, len, "(this libc registers no rseq area)");
	else
		snprintf(why, len, "rseq area of %u bytes, signature %#x",
			 conf.rseq_abi_size, conf.signature);
	child_kill(pid);
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
		ret = fail_errno(why, len, "PTRACE_GETSIGMASK");
	else if (ptrace(PTRACE_SETSIGMASK, pid, sizeof(set), &set))
		ret = fail_errno(why, len, "PTRACE_SETSIGMASK");
	else if (ptrace(PTRACE_GETSIGMASK, pid, sizeof(mask), &mask))
		ret = fail_errno(why, len, "PTRACE_GETSIGMASK");
	else if (mask != set) {
		snprintf(why, len, "set mask %#" PRIx64 ", read back %#" PRIx64,
			 set, mask);
		ret = -EPROTO;
	}
	child_kill(pid);
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
		return fail_errno(why, len, "sigprocmask");
	if (raise(SIGUSR1))
		return fail_errno(why, len, "raise");
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
		return fail_errno(why, len, "PTRACE_PEEKSIGINFO");
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

	ret = child_run(&pid, child_pending, NULL, true, why, len);
	if (ret)
		return ret;
	if (kill(pid, SIGUSR2)) {
		ret = fail_errno(why, len, "kill SIGUSR2");
		goto out_kill;
	}
	ret = seize_stop(pid, why, len);
	if (!ret)
		ret = peek_one(pid, 0, SIGUSR1, why, len);
	if (!ret)
		ret = peek_one(pid, PTRACE_PEEKSIGINFO_SHARED, SIGUSR2, why,
			       len);
out_kill:
	child_kill(pid);
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
		return fail(why, len, -ret, "reading ns_last_pid/pid_max");
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
			return fail_errno(why, len, "clone3 with set_tid");
		child_kill((pid_t)got);
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
		return fail(why, len, -ret, "reading pid_max");
	fd = open("/proc/sys/kernel/ns_last_pid", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(why, len, "open ns_last_pid");
	for (i = 0; i < TRY_PIDS; i++) {
		ret = read_long("/proc/sys/kernel/ns_last_pid", &last);
		if (ret) {
			ret = fail(why, len, -ret, "reading ns_last_pid");
			goto out_close;
		}
		last = pid_ahead(last, 200 + 37 * i, max - 1);
		snprintf(buf, sizeof(buf), "%ld", last);
		if (pwrite(fd, buf, strlen(buf), 0) < 0) {
			ret = fail_errno(why, len, "write ns_last_pid");
			goto out_close;
		}
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			ret = fail_errno(why, len, "fork");
			goto out_close;
		}
		child_kill(pid);
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
		return fail_errno(why, len, "pipe");
	ret = child_run(&pid, NULL, NULL, true, why, len);
	if (ret)
		goto out_close_pipe;
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		ret = fail_errno(why, len, "pidfd_open");
		goto out_kill;
	}
	if (pidfd_send_signal(pidfd, 0, NULL, 0)) {
		ret = fail_errno(why, len, "pidfd_send_signal");
		goto out_close_pidfd;
	}
	fd = pidfd_getfd(pidfd, pipefd[1], 0);
	if (fd < 0) {
		ret = fail_errno(why, len, "pidfd_getfd");
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
	child_kill(pid);
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

	ret = child_run(&pid, child_scribble, buf, true, why, len);
	if (ret)
		return ret;
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(got)) {
		ret = fail_errno(why, len, "process_vm_readv");
	} else if (strcmp(got, "child")) {
		snprintf(why, len, "process_vm_readv read '%.15s'", got);
		ret = -EPROTO;
	} else if (process_vm_writev(pid, &src, 1, &remote, 1, 0) !=
		   sizeof(data)) {
		ret = fail_errno(why, len, "process_vm_writev");
	} else if (process_vm_readv(pid, &local, 1, &remote, 1, 0) !=
			   sizeof(got) ||
		   strcmp(got, "written")) {
		snprintf(why, len, "process_vm_writev did not stick");
		ret = -EPROTO;
	}
	child_kill(pid);
	return ret;
}

/*
 * /proc/PID/mem writes go through read-only pages (FOLL_FORCE): restore
 * fills code and rodata this way. Kernels built with PROC_MEM_FORCE_PTRACE
 * force only for the tracer, so the child is seized first.
 */
int check_proc_mem(char *why, size_t len)
{
	size_t psz = page_size();
	char path[64], got[8];
	int fd, ret;
	char *page;
	pid_t pid;

	page = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return fail_errno(why, len, "mmap");
	ret = spawn_stopped(&pid, NULL, NULL, why, len);
	if (ret)
		goto out_unmap;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fail_errno(why, len, "open /proc/PID/mem");
		goto out_kill;
	}
	if (pwrite(fd, "cryo", 5, (off_t)(uintptr_t)page) != 5) {
		ret = fail_errno(why, len, "write to a read-only page");
	} else if (pread(fd, got, 5, (off_t)(uintptr_t)page) != 5 ||
		   strcmp(got, "cryo") || page[0]) {
		snprintf(why, len, "the write did not land in the child only");
		ret = -EPROTO;
	}
	close(fd);
out_kill:
	child_kill(pid);
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
		return fail_errno(why, len, "open /dev/null");
	b = fcntl(a, F_DUPFD_CLOEXEC, 0);
	c = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (b < 0 || c < 0) {
		ret = fail_errno(why, len, "open/dup");
		goto out_close;
	}
	same = syscall(SYS_kcmp, self, self, KCMP_FILE, a, b);
	other = syscall(SYS_kcmp, self, self, KCMP_FILE, a, c);
	if (same < 0 || other < 0)
		ret = fail_errno(why, len, "kcmp KCMP_FILE");
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
		return fail(why, len, -ret, "reading /proc/self/stat");
	if (prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof(map), 0))
		return fail_errno(why, len, "PR_SET_MM_MAP");
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
		return fail_errno(why, len, "PR_SET_MM_MAP_SIZE");
	if (size != sizeof(struct prctl_mm_map)) {
		snprintf(why, len, "PR_SET_MM_MAP_SIZE says %u, cryo has %zu",
			 size, sizeof(struct prctl_mm_map));
		return -EPROTO;
	}
	return run_in_child(child_mm_map, NULL, why, len);
}

/* /proc/PID/map_files links to, and reopens, a child's mapped file. */
int check_map_files(char *why, size_t len)
{
	struct stat want, got;
	char path[96], link[256];
	size_t psz = page_size();
	int fd, mfd, ret;
	ssize_t n;
	char *map;
	pid_t pid;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(why, len, "open /proc/self/exe");
	map = mmap(NULL, psz, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = fail_errno(why, len, "mmap");
		goto out_close;
	}
	ret = child_run(&pid, NULL, NULL, true, why, len);
	if (ret)
		goto out_unmap;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", pid,
		 (unsigned long)map, (unsigned long)(map + psz));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		ret = fail_errno(why, len, "readlink /proc/PID/map_files");
		goto out_kill;
	}
	mfd = open(path, O_RDONLY | O_CLOEXEC);
	if (mfd < 0) {
		ret = fail_errno(why, len, "open /proc/PID/map_files");
		goto out_kill;
	}
	if (fstat(mfd, &got) || fstat(fd, &want) || got.st_ino != want.st_ino ||
	    got.st_dev != want.st_dev) {
		snprintf(why, len, "map_files opened another file");
		ret = -EPROTO;
	}
	close(mfd);
out_kill:
	child_kill(pid);
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
		return fail_errno(why, len, "memfd_create");
	if (pwrite(fd, "cryo", 5, 0) != 5 || pread(fd, got, 5, 0) != 5) {
		ret = fail_errno(why, len, "memfd write/read");
	} else if (strcmp(got, "cryo")) {
		snprintf(why, len, "memfd read back '%.7s'", got);
		ret = -EPROTO;
	} else if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) ||
		   (seals = fcntl(fd, F_GET_SEALS)) < 0) {
		ret = fail_errno(why, len, "memfd seals");
	} else if (!(seals & F_SEAL_GROW)) {
		snprintf(why, len, "seals read back as %#x", seals);
		ret = -EPROTO;
	}
	close(fd);
	return ret;
}

/* ---- memory tracking ------------------------------------------------- */

/*
 * A userfaultfd: the syscall first, /dev/userfaultfd (root or group
 * access, no CAP_SYS_PTRACE needed) if that is refused. Returns the fd
 * or -errno.
 */
static int uffd_open(char *why, size_t len)
{
	int fd, dev;

	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 || errno != EPERM)
		return fd >= 0 ? fd : fail_errno(why, len, "userfaultfd");
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return fail_errno(why, len, "userfaultfd and /dev/userfaultfd");
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		fd = fail_errno(why, len, "USERFAULTFD_IOC_NEW");
	close(dev);
	return fd;
}

/* UFFDIO_API asking for asynchronous write-protection. */
static int uffd_api(int fd, uint64_t *features, char *why, size_t len)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	};

	if (ioctl(fd, UFFDIO_API, &api))
		return fail_errno(why, len,
				  "UFFDIO_API WP_ASYNC|WP_UNPOPULATED");
	if (features)
		*features = api.features;
	return 0;
}

/* The features cryo's dirty tracking needs are accepted. */
int check_userfaultfd(char *why, size_t len)
{
	uint64_t features;
	int fd, ret;

	fd = uffd_open(why, len);
	if (fd < 0)
		return fd;
	ret = uffd_api(fd, &features, why, len);
	if (!ret)
		snprintf(why, len, "features %#" PRIx64, features);
	close(fd);
	return ret;
}

/*
 * Arms async write-protection over @size bytes at @area, as pre-dump does
 * to track writes. Returns the userfaultfd, which must stay open for the
 * registration to last, or -errno. Only ever called in a child: a kernel
 * that ignored WP_ASYNC would block a write there, not in cryo.
 */
static int uffd_wp_arm(void *area, size_t size, char *why, size_t len)
{
	struct uffdio_register reg = {
		.range = {.start = (uintptr_t)area, .len = size},
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct uffdio_writeprotect wp = {
		.range = {.start = (uintptr_t)area, .len = size},
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	int fd, ret;

	fd = uffd_open(why, len);
	if (fd < 0)
		return fd;
	ret = uffd_api(fd, NULL, why, len);
	if (ret)
		goto out_close;
	if (ioctl(fd, UFFDIO_REGISTER, &reg)) {
		ret = fail_errno(why, len, "UFFDIO_REGISTER MODE_WP");
		goto out_close;
	}
	if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp)) {
		ret = fail_errno(why, len, "UFFDIO_WRITEPROTECT");
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return ret;
}

/*
 * In a child: two present pages are write-protected (pagemap bit 57 set);
 * a write to one goes through at once (WP_ASYNC) and clears its bit only.
 */
static int child_uffd_wp(void *arg, char *why, size_t len)
{
	size_t psz = page_size();
	uint64_t e0, e1, d0, d1;
	int uffd, pm, ret;
	char *area;

	area = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return fail_errno(why, len, "mmap");
	memset(area, 1, 2 * psz);
	uffd = uffd_wp_arm(area, 2 * psz, why, len);
	if (uffd < 0)
		return uffd;
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return fail_errno(why, len, "open /proc/self/pagemap");
	ret = pagemap_entry(pm, area, &e0);
	if (!ret)
		ret = pagemap_entry(pm, area + psz, &e1);
	area[psz] = 2;
	if (!ret)
		ret = pagemap_entry(pm, area, &d0);
	if (!ret)
		ret = pagemap_entry(pm, area + psz, &d1);
	if (ret)
		return fail(why, len, -ret, "reading /proc/self/pagemap");
	if (!(e0 & e1 & d0 & PM_UFFD_WP) || (d1 & PM_UFFD_WP)) {
		snprintf(why, len,
			 "uffd-wp bits %d%d, %d%d after writing page 1",
			 !!(e0 & PM_UFFD_WP), !!(e1 & PM_UFFD_WP),
			 !!(d0 & PM_UFFD_WP), !!(d1 & PM_UFFD_WP));
		return -EPROTO;
	}
	return 0;
}

int check_uffd_wp(char *why, size_t len)
{
	return run_in_child(child_uffd_wp, NULL, why, len);
}

/*
 * In the child, on the probe's 4-page area: pages 0-1 present, 2-3 not;
 * arm write-protection, then write pages 1 and 3.
 */
static int child_scan_area(void *arg, char *why, size_t len)
{
	size_t psz = page_size();
	char *area = arg;
	int uffd;

	memset(area, 1, 2 * psz);
	uffd = uffd_wp_arm(area, 4 * psz, why, len);
	if (uffd < 0)
		return uffd;
	area[psz] = 2;
	area[3 * psz] = 2;
	return 0; /* the uffd stays open: closing it would unregister */
}

/* One PAGEMAP_SCAN for written pages that write-protects them again. */
static long pagemap_scan(int pm, char *area, size_t size,
			 struct cryo_page_region *vec, size_t nr)
{
	struct cryo_pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.start = (uintptr_t)area,
		.end = (uintptr_t)area + size,
		.vec = (uintptr_t)vec,
		.vec_len = nr,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};

	return ioctl(pm, CRYO_PAGEMAP_SCAN, &arg);
}

/*
 * Scans the child's pagemap from here, as pre-dump does: exactly pages 1
 * and 3 are reported written, and a second scan finds nothing, because
 * the first one protected them again.
 */
int check_pagemap_scan(char *why, size_t len)
{
	size_t psz = page_size(), size = 4 * psz;
	struct cryo_page_region vec[4];
	char path[64], *area;
	long n1, n2;
	int pm, ret;
	pid_t pid;

	area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return fail_errno(why, len, "mmap");
	ret = child_run(&pid, child_scan_area, area, true, why, len);
	if (ret)
		goto out_unmap;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	if (pm < 0) {
		ret = fail_errno(why, len, "open /proc/PID/pagemap");
		goto out_kill;
	}
	n1 = pagemap_scan(pm, area, size, vec, 4);
	if (n1 < 0) {
		ret = fail_errno(why, len, "PAGEMAP_SCAN");
		goto out_close;
	}
	if (n1 != 2 || vec[0].start != (uintptr_t)area + psz ||
	    vec[0].end != (uintptr_t)area + 2 * psz ||
	    vec[1].start != (uintptr_t)area + 3 * psz ||
	    vec[1].end != (uintptr_t)area + 4 * psz) {
		snprintf(why, len,
			 "written pages 1 and 3, scan found %ld regions", n1);
		ret = -EPROTO;
		goto out_close;
	}
	n2 = pagemap_scan(pm, area, size, vec, 4);
	if (n2 != 0) {
		snprintf(why, len, "a second scan found %ld regions, not 0",
			 n2);
		ret = -EPROTO;
	}
out_close:
	close(pm);
out_kill:
	child_kill(pid);
out_unmap:
	munmap(area, size);
	return ret;
}

/*
 * In a child: clear soft-dirty bits, write a page, look for bit 55. A
 * kernel without CONFIG_MEM_SOFT_DIRTY never sets it.
 */
static int child_soft_dirty(void *arg, char *why, size_t len)
{
	size_t psz = page_size();
	uint64_t ent;
	int fd, ret;
	char *page;

	page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return fail_errno(why, len, "mmap");
	page[0] = 1;
	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(why, len, "open /proc/self/clear_refs");
	if (write(fd, "4", 1) != 1)
		return fail_errno(why, len, "clear_refs 4");
	close(fd);
	page[0] = 2;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(why, len, "open /proc/self/pagemap");
	ret = pagemap_entry(fd, page, &ent);
	if (ret)
		return fail(why, len, -ret, "reading /proc/self/pagemap");
	if (!(ent & PM_SOFT_DIRTY)) {
		snprintf(why, len,
			 "pagemap bit 55 never set after a write "
			 "(CONFIG_MEM_SOFT_DIRTY off)");
		return -EOPNOTSUPP;
	}
	return 0;
}

int check_soft_dirty(char *why, size_t len)
{
	return run_in_child(child_soft_dirty, NULL, why, len);
}

/* ---- network --------------------------------------------------------- */

/*
 * A loopback connection: enter repair mode, read the send queue's
 * sequence number and the window, leave repair mode.
 */
int check_tcp_repair(char *why, size_t len)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	int lsk, csk, ask, ret = 0, on = 1, off = TCP_REPAIR_OFF;
	int q = TCP_SEND_QUEUE;
	socklen_t alen = sizeof(addr);
	struct tcp_repair_window win;
	socklen_t wlen = sizeof(win);
	uint32_t seq;
	socklen_t slen = sizeof(seq);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsk < 0)
		return fail_errno(why, len, "socket");
	if (bind(lsk, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lsk, 1) ||
	    getsockname(lsk, (struct sockaddr *)&addr, &alen)) {
		ret = fail_errno(why, len, "listen on 127.0.0.1");
		goto out_close_lsk;
	}
	csk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (csk < 0) {
		ret = fail_errno(why, len, "socket");
		goto out_close_lsk;
	}
	if (connect(csk, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = fail_errno(why, len, "connect to 127.0.0.1");
		goto out_close_csk;
	}
	ask = accept4(lsk, NULL, NULL, SOCK_CLOEXEC);
	if (ask < 0) {
		ret = fail_errno(why, len, "accept");
		goto out_close_csk;
	}
	if (setsockopt(csk, SOL_TCP, TCP_REPAIR, &on, sizeof(on))) {
		ret = fail_errno(why, len, "TCP_REPAIR on");
		goto out_close_ask;
	}
	if (setsockopt(csk, SOL_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)))
		ret = fail_errno(why, len, "TCP_REPAIR_QUEUE");
	else if (getsockopt(csk, SOL_TCP, TCP_QUEUE_SEQ, &seq, &slen))
		ret = fail_errno(why, len, "TCP_QUEUE_SEQ");
	else if (getsockopt(csk, SOL_TCP, TCP_REPAIR_WINDOW, &win, &wlen))
		ret = fail_errno(why, len, "TCP_REPAIR_WINDOW");
	if (setsockopt(csk, SOL_TCP, TCP_REPAIR, &off, sizeof(off)) && !ret)
		ret = fail_errno(why, len, "TCP_REPAIR off");
out_close_ask:
	close(ask);
out_close_csk:
	close(csk);
out_close_lsk:
	close(lsk);
	return ret;
}

/* ---- namespaces and timers ------------------------------------------- */

/*
 * In a child: unshares each namespace kind on its own, the user namespace
 * last (after it the child has no privilege left outside it), and lists
 * the ones refused.
 */
static int child_namespaces(void *arg, char *why, size_t len)
{
	static const struct {
		int flag;
		const char *name;
	} kinds[] = {
		{CLONE_NEWPID, "pid"},	 {CLONE_NEWNS, "mnt"},
		{CLONE_NEWNET, "net"},	 {CLONE_NEWUTS, "uts"},
		{CLONE_NEWIPC, "ipc"},	 {CLONE_NEWCGROUP, "cgroup"},
		{CLONE_NEWTIME, "time"}, {CLONE_NEWUSER, "user"},
	};
	size_t i, used = 0;
	int ret = 0;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *err;

		if (!unshare(kinds[i].flag))
			continue;
		ret = -errno;
		err = strerrorname_np(errno);
		if (used < len)
			used += (size_t)snprintf(
				why + used, len - used, "%s%s (%s)",
				used ? ", " : "unshare refused: ",
				kinds[i].name, err ? err : "?");
	}
	return ret;
}

int check_namespaces(char *why, size_t len)
{
	return run_in_child(child_namespaces, NULL, why, len);
}

/*
 * In a child: a new time namespace takes a monotonic offset of 100 s
 * before any task enters it; a grandchild (the first task in it) sees the
 * clock 100 s ahead.
 */
static int child_time_ns(void *arg, char *why, size_t len)
{
	static const char offs[] = "monotonic 100 0\n";
	struct timespec t0, t1;
	int fd, status;
	pid_t pid;

	if (unshare(CLONE_NEWTIME))
		return fail_errno(why, len, "unshare CLONE_NEWTIME");
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(why, len, "open /proc/self/timens_offsets");
	if (write(fd, offs, sizeof(offs) - 1) != sizeof(offs) - 1)
		return fail_errno(why, len, "write timens_offsets");
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return fail_errno(why, len, "fork");
	if (pid == 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		_exit(t1.tv_sec - t0.tv_sec >= 99 && t1.tv_sec - t0.tv_sec < 110
			      ? 0
			      : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return fail_errno(why, len, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, len,
			 "the offset did not show inside the namespace");
		return -EPROTO;
	}
	return 0;
}

int check_time_ns(char *why, size_t len)
{
	return run_in_child(child_time_ns, NULL, why, len);
}

#define TIMER_ID_WANTED 42

/* In a child: with restore ids on, timer_create takes the id asked for. */
static int child_timer_ids(void *arg, char *why, size_t len)
{
	struct sigevent sev = {.sigev_notify = SIGEV_NONE};
	int id = TIMER_ID_WANTED; /* the kernel reads the wanted id from here */
	int ret = 0;

	if (prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_ON,
		  0, 0, 0))
		return fail_errno(why, len, "PR_TIMER_CREATE_RESTORE_IDS on");
	/* the raw syscall: glibc's timer_create passes its own id variable */
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id))
		return fail_errno(why, len, "timer_create");
	if (id != TIMER_ID_WANTED) {
		snprintf(why, len, "asked for timer id %d, got %d",
			 TIMER_ID_WANTED, id);
		ret = -EPROTO;
	}
	syscall(SYS_timer_delete, id);
	if (prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_OFF,
		  0, 0, 0) &&
	    !ret)
		ret = fail_errno(why, len, "PR_TIMER_CREATE_RESTORE_IDS off");
	return ret;
}

int check_timer_ids(char *why, size_t len)
{
	return run_in_child(child_timer_ids, NULL, why, len);
}
