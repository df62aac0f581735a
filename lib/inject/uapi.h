/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel interfaces newer than the installed headers (Linux 6.1 uapi on a
 * 6.18 kernel), with the running kernel's values. Private to the library:
 * it must not include src/uapi.h.
 */
#ifndef CRYO_INJECT_UAPI_H
#define CRYO_INJECT_UAPI_H

#include <stdint.h>

#ifndef PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG
#define PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG 0x4210
#endif
#ifndef PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG
#define PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG 0x4211
#endif
#ifndef PTRACE_O_SUSPEND_SECCOMP
#define PTRACE_O_SUSPEND_SECCOMP (1 << 21)
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#ifndef PR_SYS_DISPATCH_OFF
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON  1
#endif

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif

/* struct ptrace_rseq_configuration (linux/ptrace.h, 5.13+) */
struct cryo_rseq_config {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

/* struct rseq_cs (linux/rseq.h): a registered critical section */
struct cryo_rseq_cs {
	uint32_t version;
	uint32_t flags;
	uint64_t start_ip;
	uint64_t post_commit_offset;
	uint64_t abort_ip;
};

#define CRYO_RSEQ_CS_OFFSET 8 /* offsetof(struct rseq, rseq_cs) */

#define CRYO_NR_PIDFD_OPEN  434
#define CRYO_NR_PIDFD_GETFD 438

/* struct ptrace_sud_config (linux/ptrace.h, 6.11+) */
struct cryo_sud_config {
	uint64_t mode;
	uint64_t selector;
	uint64_t offset;
	uint64_t len;
};

/* Syscall restart codes: kernel-internal, seen in rax by a tracer. */
#define CRYO_ERESTARTSYS	   512
#define CRYO_ERESTARTNOINTR	   513
#define CRYO_ERESTARTNOHAND	   514
#define CRYO_ERESTART_RESTARTBLOCK 516

#endif /* CRYO_INJECT_UAPI_H */
