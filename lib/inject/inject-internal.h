/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private state of libcryo-inject: the victim context, its threads, and the
 * functions the library's files share. Nothing here is global: everything
 * hangs off struct cryo_victim.
 */
#ifndef CRYO_INJECT_INTERNAL_H
#define CRYO_INJECT_INTERNAL_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "cryo/inject.h"
#include "uapi.h"

#define CRYO_MAX_PENDING_SIGS 8

/* One seized thread: what it was doing and everything saved from it. */
struct cryo_thread {
	struct cryo_inject_thread pub;
	struct user_regs_struct regs; /* as seized, never modified */
	void *xsave;		      /* NT_X86_XSTATE as seized */
	size_t xsave_len;	      /* bytes the kernel returned */
	struct cryo_sud_config sud;   /* as seized */
	char stat_state;	      /* /proc/TID/stat letter before seize */
	int cpu;		      /* CPU it last ran on (stat field 39) */
	bool seized;		      /* PTRACE_SEIZE succeeded */
	bool stopped;		      /* its first stop was collected */
	bool gone;		      /* exited while seized */
	bool saved;		      /* regs, xsave, sigmask, sud read */
	bool regs_dirty;	      /* registers differ from .regs */
	bool resumed;		      /* ran since seize (left its stop) */
	bool sud_off;		      /* SUD currently switched off by us */
	bool mask_changed;	      /* sigmask set to block all by us */
	unsigned long frame;	      /* crash-safety frame on its stack */
	/* "syscall; ret" and restorer inside the SUD exempt region, or 0 */
	unsigned long sud_gadget;
	unsigned long sud_restorer;
	bool sud_scanned; /* the exempt region was searched */
	void *stack_save; /* stack bytes the frame overwrote */
	size_t stack_save_len;
	int nsigs; /* signals caught, re-sent at detach */
	int sigs[CRYO_MAX_PENDING_SIGS];
};

struct cryo_victim {
	pid_t pid;
	struct cryo_inject_opts opts;
	char fault[32]; /* CRYO_INJECT_FAULT, "" when unset */
	struct cryo_thread *th;
	int nr_th;
	int cap_th;
	/* addresses in the target, 0 until found */
	unsigned long vdso_syscall; /* any "syscall" instruction */
	unsigned long gadget;	    /* "syscall; ret" */
	unsigned long restorer;	    /* "mov $15,%rax; syscall" */
	bool gadgets_scanned;
	unsigned long scratch;
	size_t scratch_size;
	pid_t scratch_tid;
	cpu_set_t caller_cpus; /* caller's affinity, for CRYO_INJECT_PIN_CPU */
	bool caller_pinned;
	int pinned_cpu;
	int mem_fd; /* /proc/PID/mem, -1 until needed */
	int pidfd;  /* pidfd_open, -1 until needed */
};

/* log.c */
void cryo_log(const struct cryo_victim *v, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cryo_log_opts(const struct cryo_inject_opts *o, int level, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
/* An error, or just information when the target died (ESRCH is normal). */
#define pr_fail(v, err, ...)                                                   \
	cryo_log(v,                                                            \
		 (err) == -ESRCH ? CRYO_INJECT_LOG_INFO                        \
				 : CRYO_INJECT_LOG_ERROR,                      \
		 __VA_ARGS__)
#define pr_err(v, ...)	 cryo_log(v, CRYO_INJECT_LOG_ERROR, __VA_ARGS__)
#define pr_warn(v, ...)	 cryo_log(v, CRYO_INJECT_LOG_WARN, __VA_ARGS__)
#define pr_info(v, ...)	 cryo_log(v, CRYO_INJECT_LOG_INFO, __VA_ARGS__)
#define pr_debug(v, ...) cryo_log(v, CRYO_INJECT_LOG_DEBUG, __VA_ARGS__)
void cryo_fault(const struct cryo_victim *v, const char *step);

/* seize.c */
struct cryo_thread *cryo_find_thread(struct cryo_victim *v, pid_t tid);
void cryo_note_signal(struct cryo_victim *v, struct cryo_thread *t, int sig);

/* state.c: per-thread save and restore */
int __must_check cryo_thread_save(struct cryo_victim *v, struct cryo_thread *t);
int __must_check cryo_thread_restore(struct cryo_victim *v,
				     struct cryo_thread *t);
int __must_check cryo_put_regs(struct cryo_victim *v, struct cryo_thread *t);
int __must_check cryo_block_signals(struct cryo_victim *v,
				    struct cryo_thread *t);
int __must_check cryo_unblock_signals(struct cryo_victim *v,
				      struct cryo_thread *t);
int __must_check cryo_sud_disable(struct cryo_victim *v, struct cryo_thread *t);
int __must_check cryo_sud_restore(struct cryo_victim *v, struct cryo_thread *t);

void cryo_pin_to(struct cryo_victim *v, struct cryo_thread *t);
void cryo_unpin(struct cryo_victim *v);

/* gadget.c */
int __must_check cryo_find_gadgets(struct cryo_victim *v);
void cryo_find_sud_gadgets(struct cryo_victim *v, struct cryo_thread *t);

/* syscall.c */
int __must_check cryo_syscall_in(struct cryo_victim *v, struct cryo_thread *t,
				 long nr, const unsigned long args[6],
				 long *result);
int __must_check cryo_wait_first_stop(struct cryo_victim *v,
				      struct cryo_thread *t);

/* arch/x86_64/regs.c */
void arch_setup_syscall(struct user_regs_struct *r, long nr,
			const unsigned long args[6], unsigned long ip,
			unsigned long sp);
void arch_set_entry_nr(struct user_regs_struct *r, long nr, unsigned long sp);
long arch_syscall_result(const struct user_regs_struct *r);
long arch_interrupted_syscall(const struct user_regs_struct *r);
void arch_emulate_restart(struct user_regs_struct *r);
int __must_check arch_build_frame(struct cryo_victim *v, struct cryo_thread *t);

/* mem.c */
ssize_t __must_check cryo_mem_write(struct cryo_victim *v, unsigned long addr,
				    const void *buf, size_t len);
ssize_t __must_check cryo_mem_read(struct cryo_victim *v, unsigned long addr,
				   void *buf, size_t len);

#endif /* CRYO_INJECT_INTERNAL_H */
