// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sud: Syscall User Dispatch survives C/R, and cryo's own syscalls are
 * never dispatched.
 *
 * State: a thread turns SUD on (PR_SET_SYSCALL_USER_DISPATCH) with a
 * selector byte and an exempt region (a few instructions of assembly that
 * make a syscall), and loops: selector BLOCK, getppid through a plain
 * "syscall" (dispatched: the SIGSYS handler counts it, sets the selector
 * to ALLOW so that its sigreturn is not dispatched, and emulates the
 * result), selector BLOCK again, then a 2 ms nanosleep from the exempt
 * region (not dispatched), in which it is mostly dumped. The leader has
 * SUD off.
 * Verified after restore: every dispatch the handler saw was one of the
 * thread's own getppid calls (exactly as many as it made, none for
 * another syscall: cryo's injected syscalls and the restarted nanosleep
 * would show), the SUD config read with PTRACE_GET_SYSCALL_USER_DISPATCH_
 * CONFIG by a child is the one set, and then in the thread: with BLOCK a
 * syscall from the exempt region is not dispatched (getpid gives the real
 * pid) while one from elsewhere is (emulated result, count + 1); with
 * ALLOW nothing is dispatched.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "crtest.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef PR_SYS_DISPATCH_ON
#define PR_SYS_DISPATCH_ON 1
#endif
#define SEL_ALLOW	      0
#define SEL_BLOCK	      1
#define PTRACE_GET_SUD_CONFIG 0x4211
#define SYS_USER_DISPATCH     2 /* si_code of a dispatched syscall */
#define EMULATED	      0x5d5dL

struct sud_config {
	uint64_t mode, selector, offset, len;
};

/* The exempt region: syscall(nr, a, b, c) that is never dispatched. */
long exempt_syscall3(long nr, long a, long b, long c);
extern char sud_exempt_start[], sud_exempt_end[];
__asm__(".text\n"
	".globl sud_exempt_start\n"
	"sud_exempt_start:\n"
	".globl exempt_syscall3\n"
	"exempt_syscall3:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rdx, %rsi\n"
	"	mov %rcx, %rdx\n"
	"	syscall\n"
	"	ret\n"
	".globl sud_exempt_end\n"
	"sud_exempt_end:\n");

static uintptr_t exempt_len(void)
{
	return (uintptr_t)sud_exempt_end - (uintptr_t)sud_exempt_start;
}

/* A syscall from outside the exempt region. */
static long raw_syscall0(long nr)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr)
			 : "rcx", "r11", "memory");
	return r;
}

static volatile char sel = SEL_ALLOW;
/* what the handler saw; what the thread made */
static volatile long dispatched, foreign, foreign_nr, issued, wrong;
static atomic_int ready, stop, done;
static pid_t sud_tid;

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	sel = SEL_ALLOW; /* so that the sigreturn is not dispatched */
	if (si->si_code == SYS_USER_DISPATCH && si->si_syscall == SYS_getppid) {
		dispatched++;
	} else {
		foreign++;
		foreign_nr = si->si_syscall;
	}
	uc->uc_mcontext.gregs[REG_RAX] = EMULATED;
}

static void check_in_thread(void)
{
	long pid, before, r;

	sel = SEL_ALLOW;
	pid = raw_syscall0(SYS_getpid);
	sel = SEL_BLOCK;
	r = exempt_syscall3(SYS_getpid, 0, 0, 0);
	sel = SEL_ALLOW;
	if (r != pid)
		cr_fail("getpid from the exempt region with BLOCK gave %ld, "
			"pid %ld",
			r, pid);
	before = dispatched;
	sel = SEL_BLOCK;
	r = raw_syscall0(SYS_getppid);
	if (r != EMULATED || dispatched != before + 1)
		cr_fail("getppid with BLOCK: %ld, %ld dispatches (%ld before): "
			"not dispatched",
			r, dispatched, before);
	sel = SEL_ALLOW;
	before = dispatched;
	r = raw_syscall0(SYS_getppid);
	if (r == EMULATED || dispatched != before)
		cr_fail("getppid with ALLOW was dispatched");
}

static void *sud_thread(void *arg)
{
	struct timespec ts = {0, 2 * 1000 * 1000};

	sud_tid = cr_gettid();
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		  (unsigned long)sud_exempt_start, (unsigned long)exempt_len(),
		  &sel))
		cr_fatal("PR_SET_SYSCALL_USER_DISPATCH: %m");
	atomic_store(&ready, 1);
	while (!atomic_load(&stop)) {
		sel = SEL_BLOCK;
		issued++;
		if (raw_syscall0(SYS_getppid) != EMULATED)
			wrong++;
		sel = SEL_BLOCK;
		exempt_syscall3(SYS_nanosleep, (long)&ts, 0, 0);
	}
	sel = SEL_ALLOW;
	check_in_thread();
	atomic_store(&done, 1);
	for (;;)
		exempt_syscall3(SYS_nanosleep, (long)&ts, 0, 0);
	return NULL;
}

/* A child reads the thread's SUD config with ptrace. */
static void check_config(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		cr_fatal("fork: %m");
	if (pid == 0) {
		struct sud_config c = {0};
		int bad = 0;

		if (ptrace(PTRACE_SEIZE, sud_tid, 0, 0) ||
		    ptrace(PTRACE_INTERRUPT, sud_tid, 0, 0) ||
		    waitpid(sud_tid, &st, __WALL) != sud_tid ||
		    ptrace(PTRACE_GET_SUD_CONFIG, sud_tid, sizeof(c), &c)) {
			cr_msg("cannot read the SUD config: %m");
			_exit(1);
		}
		if (c.mode != PR_SYS_DISPATCH_ON ||
		    c.selector != (uintptr_t)&sel ||
		    c.offset != (uintptr_t)sud_exempt_start ||
		    c.len != exempt_len()) {
			cr_msg("SUD config mode %llu selector 0x%llx offset "
			       "0x%llx len %llu",
			       (unsigned long long)c.mode,
			       (unsigned long long)c.selector,
			       (unsigned long long)c.offset,
			       (unsigned long long)c.len);
			bad = 1;
		}
		ptrace(PTRACE_DETACH, sud_tid, 0, 0);
		_exit(bad);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		cr_fail("the SUD config is not the one set (status 0x%x)", st);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys,
			       .sa_flags = SA_SIGINFO};
	pthread_t th;

	cr_init(argc, argv);
	if (sigaction(SIGSYS, &sa, NULL))
		cr_fatal("sigaction: %m");
	if (pthread_create(&th, NULL, sud_thread, NULL))
		cr_fatal("pthread_create");
	while (!atomic_load(&ready))
		cr_msleep(1);
	cr_msleep(20);
	check_config();
	if (cr_failures())
		cr_fatal("setup: SUD is not what was set");
	cr_daemon();
	cr_wait_check();

	cr_msleep(20); /* some more dispatches after the restore */
	check_config();
	atomic_store(&stop, 1);
	while (!atomic_load(&done))
		cr_msleep(1);
	if (foreign)
		cr_fail("%ld dispatches that the thread did not make (the last "
			"one syscall %ld)",
			foreign, foreign_nr);
	/* the check itself made one */
	if (dispatched != issued + 1)
		cr_fail("%ld dispatches for %ld dispatched syscalls",
			dispatched, issued + 1);
	if (wrong)
		cr_fail("%ld dispatched getppid calls returned another value",
			wrong);
	cr_msg("%ld syscalls dispatched", dispatched);
	cr_pass();
}
