// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Running one syscall in a seized thread.
 *
 * The thread is set to execute a "syscall" instruction that already exists
 * in the target (a "syscall; ret" gadget with the crash-safety frame on its
 * stack when one was found, else the vDSO's syscall), with rax = nr, the
 * arguments in rdi, rsi, rdx, r10, r8, r9 and orig_rax = -1 (so that the
 * syscall it was interrupted in is not restarted under us). PTRACE_SYSCALL
 * twice: the syscall-entry stop, then the syscall-exit stop, where rax
 * holds the result. The thread stays at that exit stop with our registers
 * until release (or until the next injection), which is safe because the
 * frame would restore it if we died (docs/inject.md).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inject-internal.h"

#define NR_RT_SIGRETURN 15

/*
 * A fault the kernel raised in the thread while it ran our syscall (its
 * return to user space failed: an address space being rebuilt, an rseq
 * area that went away): not the target's signal, and resuming would only
 * raise it again.
 */
static bool injection_fault(struct cryo_victim *v, struct cryo_thread *t,
			    int sig)
{
	siginfo_t si;

	if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE)
		return false;
	if (ptrace(PTRACE_GETSIGINFO, t->pub.tid, NULL, &si) || si.si_code <= 0)
		return false;
	pr_err(v,
	       "thread faults while running an injected syscall (pid %d): signal %d, code %d, address %p",
	       t->pub.tid, sig, si.si_code, si.si_addr);
	return true;
}

/*
 * Resumes t with PTRACE_SYSCALL and waits for its next syscall stop.
 * Group-stops and leftover interrupt traps are stepped over; SIGSTOP is
 * delivered (it only changes the job-control state, which survives
 * detach); any other signal (only forced ones get through the blocked
 * mask) is held and re-sent at detach.
 */
static int resume_to_syscall_stop(struct cryo_victim *v, struct cryo_thread *t)
{
	pid_t tid = t->pub.tid;
	int sig = 0, status;

	for (;;) {
		if (ptrace(PTRACE_SYSCALL, tid, NULL, (void *)(long)sig)) {
			int err = -errno;

			pr_fail(v, err, "cannot resume the thread (pid %d): %s",
				tid, strerror(-err));
			return err;
		}
		t->resumed = true;
		sig = 0;
		if (waitpid(tid, &status, __WALL) < 0) {
			int err = -errno;

			pr_fail(v, err,
				"cannot wait for the thread (pid %d): %s", tid,
				strerror(-err));
			return err;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			t->gone = true;
			pr_err(v,
			       "thread died during an injected syscall (pid %d): status 0x%x",
			       tid, status);
			return -ESRCH;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) == (SIGTRAP | 0x80))
			return 0;
		if (status >> 16)
			continue; /* PTRACE_EVENT_STOP: group-stop, interrupt */
		if (WSTOPSIG(status) == SIGSTOP)
			sig = SIGSTOP;
		else if (injection_fault(v, t, WSTOPSIG(status)))
			return -EFAULT;
		else
			cryo_note_signal(v, t, WSTOPSIG(status));
	}
}

/* The thread sits in a syscall that restarts through its restart block. */
static bool restart_block_syscall(const struct cryo_thread *t)
{
	return t->pub.syscall_nr >= 0 &&
	       -(long)t->regs.rax == CRYO_ERESTART_RESTARTBLOCK;
}

int cryo_syscall_in(struct cryo_victim *v, struct cryo_thread *t, long nr,
		    const unsigned long args[6], long *result)
{
	struct user_regs_struct r = t->regs;
	unsigned long ip = v->vdso_syscall, sp = t->regs.rsp;
	int err;

	err = cryo_find_gadgets(v);
	if (err)
		return err;
	cryo_pin_to(v, t);
	cryo_find_sud_gadgets(v, t);
	if (!t->frame && ((v->gadget && v->restorer) || t->sud_gadget)) {
		err = arch_build_frame(v, t);
		if (err)
			pr_warn(v,
				"no crash-safety frame for pid %d (%s): injecting without it",
				t->pub.tid, strerror(-err));
	}
	if (t->frame) {
		ip = t->sud_gadget ? t->sud_gadget : v->gadget;
		sp = t->frame;
	}
	cryo_fault(v, "frame-written");

	/*
	 * Syscalls from the SUD exempt region are never dispatched: with a
	 * gadget and a restorer there (and the frame), SUD stays on.
	 */
	if (!(t->frame && t->sud_gadget)) {
		err = cryo_sud_disable(v, t);
		if (err)
			return err;
		if (t->sud_off)
			cryo_fault(v, "sud-off");
	}

	/*
	 * With the frame, the thread first enters rt_sigreturn on it (rsp
	 * just above pretcode, as after a handler's ret); only at the
	 * syscall-entry stop is the syscall number switched to nr. Dying
	 * before that makes the thread restore itself through a syscall
	 * every seccomp filter lets through, instead of running nr under
	 * the target's filter.
	 */
	if (t->frame)
		arch_setup_syscall(&r, NR_RT_SIGRETURN, args, ip, sp + 8);
	else
		arch_setup_syscall(&r, nr, args, ip, sp);
	if (ptrace(PTRACE_SETREGS, t->pub.tid, NULL, &r)) {
		err = -errno;
		pr_fail(v, err, "cannot set registers (pid %d): %s", t->pub.tid,
			strerror(-err));
		return err;
	}
	t->regs_dirty = true;
	cryo_fault(v, "regs-set");
	/* Only now: the frame restores the mask if we die from here on. */
	err = cryo_block_signals(v, t);
	if (err)
		return err;
	cryo_fault(v, "signals-blocked");

	err = resume_to_syscall_stop(v, t); /* entry */
	if (err)
		return err;
	cryo_fault(v, "syscall-entry");
	if (t->frame) {
		arch_set_entry_nr(&r, nr, sp);
		if (ptrace(PTRACE_SETREGS, t->pub.tid, NULL, &r)) {
			err = -errno;
			pr_fail(v, err,
				"cannot set the syscall number (pid %d): %s",
				t->pub.tid, strerror(-err));
			return err;
		}
		cryo_fault(v, "nr-set");
	}
	err = resume_to_syscall_stop(v, t); /* exit */
	if (err)
		return err;
	cryo_fault(v, "syscall-exit");

	if (ptrace(PTRACE_GETREGS, t->pub.tid, NULL, &r)) {
		err = -errno;
		pr_fail(v, err, "cannot read the syscall result (pid %d): %s",
			t->pub.tid, strerror(-err));
		return err;
	}
	*result = arch_syscall_result(&r);
	pr_debug(
		v,
		"pid %d: syscall %ld = %ld (rip 0x%llx rsp 0x%llx orig_rax %lld)",
		t->pub.tid, nr, *result, r.rip, r.rsp, r.orig_rax);

	/*
	 * A thread with SUD switched off (no gadget in its exempt region)
	 * goes back to its own registers and SUD after every syscall: the
	 * frame cannot re-arm SUD, so the window with SUD off is kept to the
	 * injected syscall itself. So does a
	 * thread sleeping in a restart-block syscall (nanosleep...): the
	 * frame's rt_sigreturn would reset its restart block, the kernel's
	 * restart path after a plain detach keeps it.
	 */
	if (t->sud_off || restart_block_syscall(t)) {
		err = cryo_unblock_signals(v, t);
		if (!err)
			err = cryo_put_regs(v, t);
		if (err)
			return err;
		cryo_fault(v, "regs-restored");
		err = cryo_sud_restore(v, t);
		if (err)
			return err;
		cryo_fault(v, "sud-restored");
	}
	return 0;
}

int cryo_inject_syscall(struct cryo_victim *v, pid_t tid, long nr,
			const unsigned long args[6], long *result)
{
	static const unsigned long zero[6];
	struct cryo_thread *t;

	t = cryo_find_thread(v, tid ? tid : v->pid);
	if (!t) {
		pr_err(v,
		       "no such seized thread (pid %d): cannot inject syscall %ld",
		       tid, nr);
		return -ESRCH;
	}
	if (t->gone)
		return -ESRCH;
	return cryo_syscall_in(v, t, nr, args ? args : zero, result);
}

/*
 * CRYO_INJECT_PIN_CPU: every stop is a wakeup of the target, then of us;
 * on the same CPU each costs a context switch, across vCPUs an IPI. Move
 * the caller to the CPU the target thread last ran on (the scheduler wakes
 * a task on its previous CPU when it can).
 */
void cryo_pin_to(struct cryo_victim *v, struct cryo_thread *t)
{
	cpu_set_t set;

	if (!(v->opts.flags & CRYO_INJECT_PIN_CPU) || t->cpu < 0 ||
	    t->cpu == v->pinned_cpu)
		return;
	if (!v->caller_pinned) {
		if (sched_getaffinity(0, sizeof(v->caller_cpus),
				      &v->caller_cpus))
			return;
		v->caller_pinned = true;
	}
	if (!CPU_ISSET(t->cpu, &v->caller_cpus))
		return;
	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	if (!sched_setaffinity(0, sizeof(set), &set))
		v->pinned_cpu = t->cpu;
}

void cryo_unpin(struct cryo_victim *v)
{
	if (v->caller_pinned &&
	    sched_setaffinity(0, sizeof(v->caller_cpus), &v->caller_cpus))
		pr_warn(v, "cannot restore the caller's CPU affinity: %s",
			strerror(errno));
	v->caller_pinned = false;
}

/*
 * The thread for scratch work: the first one alive, preferring one not
 * sleeping in a restart-block syscall (nanosleep...), whose remaining time
 * the crash-safety path cannot keep (docs/inject.md).
 */
static struct cryo_thread *any_thread(struct cryo_victim *v)
{
	struct cryo_thread *found = NULL;

	for (int i = 0; i < v->nr_th; i++) {
		struct cryo_thread *t = &v->th[i];

		if (!t->stopped || t->gone)
			continue;
		if (!restart_block_syscall(t))
			return t;
		if (!found)
			found = t;
	}
	return found;
}

int cryo_inject_scratch(struct cryo_victim *v, unsigned long *addr,
			size_t *size)
{
	size_t page = sysconf(_SC_PAGESIZE);
	size_t sz = v->opts.scratch_size ? v->opts.scratch_size : page;
	long ret;
	unsigned long args[6];
	struct cryo_thread *t;
	int err;

	if (!v->scratch) {
		t = any_thread(v);
		if (!t)
			return -ESRCH;
		sz = (sz + page - 1) & ~(page - 1);
		args[0] = 0;
		args[1] = sz;
		args[2] = PROT_READ | PROT_WRITE;
		args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
		args[4] = (unsigned long)-1;
		args[5] = 0;
		err = cryo_syscall_in(v, t, __NR_mmap, args, &ret);
		if (err)
			return err;
		if (ret < 0 && ret > -4096) {
			pr_err(v, "cannot map %zu scratch bytes (pid %d): %s",
			       sz, v->pid, strerror(-ret));
			return ret;
		}
		v->scratch = ret;
		v->scratch_size = sz;
		v->scratch_tid = t->pub.tid;
		cryo_fault(v, "scratch-mapped");
	}
	*addr = v->scratch;
	*size = v->scratch_size;
	return 0;
}
