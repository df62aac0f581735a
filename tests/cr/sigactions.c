// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sigactions: every signal disposition survives C/R exactly.
 *
 * State: for each signal 1..64 but SIGKILL, SIGSTOP and the check signal,
 * a disposition set with the raw rt_sigaction syscall (so glibc does not
 * rewrite flags or the restorer): handlers of our own, SIG_IGN or SIG_DFL,
 * flags from SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND
 * and SA_RESTORER (with our own restorer, or glibc's, or none) in
 * combinations that vary per signal, and a different mask per signal.
 * Verified: the handler, flags, restorer and mask of every signal, read back
 * with rt_sigaction, are what the kernel had before the dump; then SIGUSR1
 * (SA_SIGINFO, our restorer) and SIGUSR2 (SA_RESETHAND) are delivered: the
 * handlers run, return through their restorers, and SIGUSR2 is reset to
 * SIG_DFL by the kernel.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crtest.h"

#define NSIG_K	    64
#define SA_RESTORER 0x04000000

struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

static struct ksigaction want[NSIG_K + 1];
static atomic_int hits[NSIG_K + 1];
static atomic_int info_ok;

/* Our own restorer: what glibc's __restore_rt does. */
__attribute__((naked)) static void my_restorer(void)
{
	__asm__ volatile("mov $15, %eax\n\tsyscall\n\thlt");
}

static void handler_a(int sig)
{
	atomic_fetch_add(&hits[sig], 1);
}

static void handler_b(int sig, siginfo_t *si, void *uc)
{
	atomic_fetch_add(&hits[sig], 1);
	if (si->si_signo == sig && si->si_pid == getpid())
		atomic_store(&info_ok, 1);
}

static int ksig(int sig, const struct ksigaction *act, struct ksigaction *old)
{
	return (int)syscall(SYS_rt_sigaction, sig, act, old, 8);
}

static bool skipped(int sig)
{
	return sig == SIGKILL || sig == SIGSTOP || sig == CR_CHECK_SIGNAL;
}

/* A disposition that differs from its neighbours' for each signal. */
static void make_action(int sig, struct ksigaction *a)
{
	static const uint64_t flag_sets[] = {
		SA_SIGINFO,
		SA_RESTART | SA_ONSTACK,
		SA_NODEFER | SA_SIGINFO | SA_RESTART,
		SA_RESETHAND,
		SA_ONSTACK | SA_NODEFER | SA_RESETHAND | SA_SIGINFO,
		0,
	};
	int kind = sig % 5;

	memset(a, 0, sizeof(*a));
	a->flags = flag_sets[sig % 6];
	a->mask = (0x9e3779b97f4a7c15ULL * (uint64_t)sig) &
		  ~(1ULL << (SIGKILL - 1)) & ~(1ULL << (SIGSTOP - 1));
	if (kind == 0)
		a->handler = (uint64_t)(uintptr_t)SIG_IGN;
	else if (kind == 1)
		a->handler = (uint64_t)(uintptr_t)SIG_DFL;
	else if (a->flags & SA_SIGINFO)
		a->handler = (uint64_t)(uintptr_t)handler_b;
	else
		a->handler = (uint64_t)(uintptr_t)handler_a;
	if (sig % 3 == 0) {
		a->flags |= SA_RESTORER;
		a->restorer = (uint64_t)(uintptr_t)my_restorer;
	} else if (sig % 3 == 1) {
		a->flags |= SA_RESTORER;
		a->restorer = 0x7000dead0000ULL + (uint64_t)sig; /* unused */
	}
}

static void set_all(void)
{
	for (int sig = 1; sig <= NSIG_K; sig++) {
		struct ksigaction a;

		if (skipped(sig))
			continue;
		make_action(sig, &a);
		if (sig == SIGUSR1 || sig == SIGUSR2) {
			/* delivered after the check: a working handler */
			a.flags = SA_RESTORER |
				  (sig == SIGUSR1 ? SA_SIGINFO : SA_RESETHAND);
			a.handler = sig == SIGUSR1
					    ? (uint64_t)(uintptr_t)handler_b
					    : (uint64_t)(uintptr_t)handler_a;
			a.restorer = (uint64_t)(uintptr_t)my_restorer;
		}
		if (ksig(sig, &a, NULL))
			cr_fatal("rt_sigaction %d: %m", sig);
		/* what the kernel keeps (it drops SIGKILL/SIGSTOP from masks) */
		if (ksig(sig, NULL, &want[sig]))
			cr_fatal("rt_sigaction %d read back: %m", sig);
	}
}

static void check_all(void)
{
	for (int sig = 1; sig <= NSIG_K; sig++) {
		const struct ksigaction *w = &want[sig];
		struct ksigaction g;

		if (skipped(sig))
			continue;
		if (ksig(sig, NULL, &g)) {
			cr_fail("rt_sigaction %d: %m", sig);
			continue;
		}
		if (g.handler != w->handler)
			cr_fail("signal %d: handler %#llx, expected %#llx", sig,
				(unsigned long long)g.handler,
				(unsigned long long)w->handler);
		if (g.flags != w->flags)
			cr_fail("signal %d: flags %#llx, expected %#llx", sig,
				(unsigned long long)g.flags,
				(unsigned long long)w->flags);
		if (g.restorer != w->restorer)
			cr_fail("signal %d: restorer %#llx, expected %#llx",
				sig, (unsigned long long)g.restorer,
				(unsigned long long)w->restorer);
		if (g.mask != w->mask)
			cr_fail("signal %d: mask %#llx, expected %#llx", sig,
				(unsigned long long)g.mask,
				(unsigned long long)w->mask);
	}
}

/* The handlers still work and the kernel still honours SA_RESETHAND. */
static void check_delivery(void)
{
	struct ksigaction g;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL))
		cr_fail("sigprocmask: %m");
	if (syscall(SYS_tgkill, getpid(), cr_gettid(), SIGUSR1) ||
	    syscall(SYS_tgkill, getpid(), cr_gettid(), SIGUSR2))
		cr_fail("tgkill: %m");
	if (atomic_load(&hits[SIGUSR1]) != 1 || !atomic_load(&info_ok))
		cr_fail("SIGUSR1: handler ran %d times (siginfo ok: %d)",
			atomic_load(&hits[SIGUSR1]), atomic_load(&info_ok));
	if (atomic_load(&hits[SIGUSR2]) != 1)
		cr_fail("SIGUSR2: handler ran %d times",
			atomic_load(&hits[SIGUSR2]));
	if (ksig(SIGUSR2, NULL, &g) || g.handler != (uint64_t)SIG_DFL)
		cr_fail("SIGUSR2: SA_RESETHAND did not reset the handler");
}

int main(int argc, char **argv)
{
	cr_init(argc, argv);
	set_all();
	cr_daemon();
	cr_wait_check();
	check_all();
	check_delivery();
	cr_pass();
}
