/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcryo-inject: make another process run syscalls of our choosing, read
 * and write its memory, take its file descriptors, and leave it exactly as
 * it was. cryo's dump and restore do everything a task cannot be asked
 * from outside through this library; other programs may use it too.
 *
 * Model: cryo_inject_seize() stops every thread of a process (PTRACE_SEIZE
 * + PTRACE_INTERRUPT, rescanning until no new thread appears) and saves
 * each thread's state: general registers, the full XSAVE area, the signal
 * mask, whether it was job-control stopped, whether it sat in a syscall
 * that must restart, its Syscall User Dispatch config. Injection runs in a
 * chosen thread through a `syscall` instruction found in the target (the
 * vDSO has one, so no code is patched). cryo_inject_release() puts every
 * saved piece back, removes the scratch mapping, re-arms SUD and detaches.
 *
 * seccomp: PTRACE_O_SUSPEND_SECCOMP is set at seize, so the target's
 * filters (even RET_KILL, even strict mode) do not see our syscalls; they
 * apply again after detach. SUD has no suspend option: its config is read
 * with PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG, switched off while we
 * work, and set back right before detach.
 *
 * If the caller dies at any point (SIGKILL included) the kernel detaches;
 * the order of operations keeps the target consistent in every window
 * (docs/inject.md): a crash-safety signal frame on each thread's stack
 * restores it. Residual effects, each confined to one injected syscall:
 * a scratch mapping stays behind, SUD stays off in a SUD thread, a
 * nanosleep restarts from the start, and in one window between two ptrace
 * calls the target's seccomp filter applies to the injected syscall.
 *
 * Every function returns 0 (or a count) or a negative errno, and logs
 * through the callback given in the options.
 */
#ifndef CRYO_INJECT_H
#define CRYO_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __must_check
#define __must_check __attribute__((warn_unused_result))
#endif

enum cryo_inject_log_level {
	CRYO_INJECT_LOG_ERROR = 1,
	CRYO_INJECT_LOG_WARN,
	CRYO_INJECT_LOG_INFO,
	CRYO_INJECT_LOG_DEBUG,
};

typedef void (*cryo_inject_log_fn)(int level, const char *msg, void *arg);

struct cryo_inject_opts {
	size_t sz;		/* sizeof(struct cryo_inject_opts) */
	cryo_inject_log_fn log; /* NULL: errors to stderr */
	void *log_arg;
	int log_level;	     /* messages above it are dropped; 0: errors */
	size_t scratch_size; /* scratch mapping in the target; 0: 1 page */
	unsigned int flags;  /* CRYO_INJECT_* below (added field) */
	/* how long a seized thread may take to stop (a thread in
	 * uninterruptible sleep may never); 0: CRYO_STOP_TIMEOUT_MS */
	unsigned int stop_timeout_ms;
};

#define CRYO_STOP_TIMEOUT_MS 10000

/*
 * flags: move the calling thread onto the CPU each target thread last ran
 * on while injecting into it (a ptrace stop round trip costs ~17 us on the
 * same CPU, ~100 us across vCPUs here); the caller's affinity is put back
 * at release.
 */
#define CRYO_INJECT_PIN_CPU 0x1

/* What a thread was doing when it was seized. */
enum cryo_thread_state {
	CRYO_THREAD_RUNNING, /* in user space, runnable */
	CRYO_THREAD_SYSCALL, /* blocked in (or interrupted out of) a syscall */
	CRYO_THREAD_STOPPED, /* job-control stopped (SIGSTOP and friends) */
};

struct cryo_inject_thread {
	pid_t tid;
	enum cryo_thread_state state;
	long syscall_nr;    /* the syscall it sat in, or -1 */
	uint64_t sigmask;   /* blocked signals at seize */
	uint64_t sud_mode;  /* PR_SYS_DISPATCH_* at seize */
	int pending_signal; /* caught in a signal-delivery stop, re-sent */
	/* added: the rest of the SUD config at seize (valid whatever the
	 * engine did since: it switches SUD off while it injects) */
	uint64_t sud_selector; /* address of the selector byte, or 0 */
	uint64_t sud_offset;   /* the region that is never dispatched */
	uint64_t sud_len;
};

struct cryo_victim;

/*
 * Seizes and stops every thread of process pid. A thread already traced by
 * someone else is refused with -EBUSY (the message names the tracer).
 */
int __must_check cryo_inject_seize(pid_t pid,
				   const struct cryo_inject_opts *opts,
				   struct cryo_victim **out);

pid_t cryo_inject_pid(const struct cryo_victim *v);
int cryo_inject_nr_threads(const struct cryo_victim *v);
/* Thread i (0 is the thread group leader); NULL past the end. */
const struct cryo_inject_thread *cryo_inject_thread(const struct cryo_victim *v,
						    int i);

/*
 * Runs syscall nr with args in thread tid (0: the leader) and stores its
 * return value (a negative errno for a failed syscall) in *result. The
 * function's own return is 0 when the syscall ran, or a negative errno
 * when the engine could not run it (the task died, ...).
 */
int __must_check cryo_inject_syscall(struct cryo_victim *v, pid_t tid, long nr,
				     const unsigned long args[6], long *result);

/*
 * The scratch area: a private read-write mapping in the target, mapped on
 * first use and unmapped at release, for syscall arguments that are
 * pointers. Returns its address in the target and its size.
 */
int __must_check cryo_inject_scratch(struct cryo_victim *v, unsigned long *addr,
				     size_t *size);

/* Bulk memory access (process_vm_readv/writev, /proc/PID/mem for
 * protected pages); returns the bytes moved or a negative errno. */
ssize_t __must_check cryo_inject_read(struct cryo_victim *v, unsigned long addr,
				      void *buf, size_t len);
ssize_t __must_check cryo_inject_write(struct cryo_victim *v,
				       unsigned long addr, const void *buf,
				       size_t len);

/* A copy of the target's fd (pidfd_getfd), owned by the caller. */
int __must_check cryo_inject_getfd(struct cryo_victim *v, int target_fd);

/*
 * For a caller that rebuilds the target's address space (a restore): from
 * now on, inject through the "syscall" instruction at addr, which the
 * caller placed in the target, instead of code found in the target, and
 * without the crash-safety frame (there is no target state to protect:
 * the caller kills the target if anything fails). Call before injecting.
 */
int __must_check cryo_inject_set_syscall_site(struct cryo_victim *v,
					      unsigned long addr);

/*
 * Seizes and stops thread tid, which the target created after it was
 * seized (by an injected clone with CLONE_THREAD), and adds it to v.
 */
int __must_check cryo_inject_add_thread(struct cryo_victim *v, pid_t tid);

/*
 * The state a thread gets at release instead of the one it was seized
 * with (a restore hands over the image's). regs is a struct
 * user_regs_struct; a thread interrupted in a syscall (orig_rax >= 0 and
 * rax a -ERESTART* code) restarts it as the kernel would.
 */
struct cryo_inject_state {
	size_t sz; /* sizeof(struct cryo_inject_state) */
	const void *regs;
	size_t regs_len;
	const void *xsave; /* NT_X86_XSTATE area, or NULL to keep it */
	size_t xsave_len;
	uint64_t sigmask;
	/*
	 * Added (used when sz covers them): the Syscall User Dispatch
	 * config the thread gets at release, armed right before detach
	 * (nothing of ours is dispatched). sud_set 0 keeps the config the
	 * thread had at seize (off for a thread the caller created).
	 */
	uint32_t sud_set;
	uint64_t sud_mode; /* PR_SYS_DISPATCH_* */
	uint64_t sud_selector;
	uint64_t sud_offset;
	uint64_t sud_len;
};

/* The size of the first version of struct cryo_inject_state. */
#define CRYO_INJECT_STATE_SIZE_V0 48

int __must_check cryo_inject_set_state(struct cryo_victim *v, pid_t tid,
				       const struct cryo_inject_state *st);

/*
 * Puts every thread back exactly as it was and detaches; frees v whatever
 * happens. Returns 0, or the first error met (the target is detached in
 * any case).
 */
int cryo_inject_release(struct cryo_victim *v);

/*
 * Fault injection for tests: with CRYO_INJECT_FAULT=STEP in the
 * environment, the calling process kills itself with SIGKILL when it
 * reaches STEP (the step names are listed in docs/inject.md), so that a
 * test can show the target survives the caller's death at every step.
 */

#ifdef __cplusplus
}
#endif
#endif /* CRYO_INJECT_H */
