/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Victims of the injection tests: plain programs that set up a state, say
 * "ready", sit in one specific way while a spy injects syscalls into them,
 * and then verify themselves that nothing changed. Exit 0: unchanged, 1:
 * something differed (printed as "FAIL: ..." on stderr), 77: cannot run
 * here (printed as "SKIP: ...").
 *
 * The spy starts a victim with these file descriptors:
 *   3 (VFD_READY)  write end of a pipe: one byte 'R' when ready
 *   4 (VFD_CHECK)  read end of a pipe: one byte 'C' means "verify now"
 *   5 (VFD_SHM)    a memfd of one page shared with the spy (struct vshm)
 *   6 (VFD_DATA)   read end of a pipe the spy writes data into
 * Spinning victims watch vshm.go (no syscall needed), blocked ones are
 * released by their own syscall (data on VFD_DATA, a futex wake on
 * vshm.futex, the end of a sleep) and then read VFD_CHECK.
 */
#ifndef CRYO_TESTS_VICTIM_H
#define CRYO_TESTS_VICTIM_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define VFD_READY 3
#define VFD_CHECK 4
#define VFD_SHM	  5
#define VFD_DATA  6

#define VDATA "data-written-after-the-injection"

/* The page shared by the spy and its victim (memfd, MAP_SHARED). */
struct vshm {
	volatile int go;     /* spinning victims stop spinning at 1 */
	volatile int futex;  /* the futex victim waits while it is 0 */
	volatile int nready; /* threads of the threaded victim in place */
	volatile int pad;
};

static int vic_fails;
static struct vshm *vic_shm;
static sigset_t vic_mask0; /* blocked signals at vic_init() */
static sigset_t vic_pend0; /* pending signals at vic_ready() */

static inline void vic_fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "FAIL: victim %d: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* write() only: strict-mode and seccomp victims call this */
	if (write(2, buf, n) < 0)
		vic_fails++;
	__atomic_add_fetch(&vic_fails, 1, __ATOMIC_SEQ_CST);
}

static inline double vic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Maps the shared page, remembers the signal mask, arms a safety alarm. */
static inline void vic_init(void)
{
	void *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, VFD_SHM, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "FAIL: victim: mmap of the shared page: %m\n");
		exit(1);
	}
	vic_shm = p;
	/* a victim nobody talks to any more dies on its own */
	alarm(60);
	sigprocmask(SIG_BLOCK, NULL, &vic_mask0);
}

/* Records the pending signals and tells the spy we are in place. */
static inline void vic_ready(void)
{
	sigpending(&vic_pend0);
	if (write(VFD_READY, "R", 1) != 1) {
		vic_fail("write ready: %s", strerror(errno));
		exit(1);
	}
}

/* The signal mask and the pending set are what they were. */
static inline void vic_check_signals(void)
{
	sigset_t m, p;
	int s;

	sigprocmask(SIG_BLOCK, NULL, &m);
	sigpending(&p);
	for (s = 1; s < NSIG; s++) {
		if (s == 32 || s == 33) /* glibc-internal */
			continue;
		if (sigismember(&m, s) != sigismember(&vic_mask0, s))
			vic_fail("signal %d %s blocked", s,
				 sigismember(&m, s) ? "now" : "no longer");
		if (sigismember(&p, s) != sigismember(&vic_pend0, s))
			vic_fail("signal %d %s pending", s,
				 sigismember(&p, s) ? "now" : "no longer");
	}
}

static inline int vic_exit(void)
{
	if (vic_fails)
		fprintf(stderr, "FAIL: victim %d: %d difference(s)\n",
			(int)getpid(), vic_fails);
	return vic_fails ? 1 : 0;
}

/*
 * A raw syscall that checks the registers around it. Before `syscall` it
 * loads known patterns into rbx, rbp, r12-r15; afterwards it records the
 * return value and every register the kernel preserves (the six argument
 * registers and the patterns). If an injection in between does not put
 * every register back, vsys_verify() says which one moved.
 */
struct vsys {
	long nr;
	unsigned long a[6];
	long ret;
	unsigned long out[12]; /* rdi rsi rdx r10 r8 r9 rbx rbp r12-r15 */
};

_Static_assert(__builtin_offsetof(struct vsys, ret) == 56, "vsys layout");
_Static_assert(__builtin_offsetof(struct vsys, out) == 64, "vsys layout");

#define VPAT_RBX 0x0b0b0b0b1b1b1b1bUL
#define VPAT_RBP 0x0c0c0c0c1c1c1c1cUL
#define VPAT_R12 0x1212121232323232UL
#define VPAT_R13 0x1313131333333333UL
#define VPAT_R14 0x1414141434343434UL
#define VPAT_R15 0x1515151535353535UL
#define VSTR(x)	 #x
#define VXSTR(x) VSTR(x)

static inline void vsys_call(struct vsys *s)
{
	asm volatile(
		"sub $128, %%rsp\n\t" /* the red zone */
		"push %%rbx\n\t"
		"push %%rbp\n\t"
		"push %%r12\n\t"
		"push %%r13\n\t"
		"push %%r14\n\t"
		"push %%r15\n\t"
		"push %%rdi\n\t"
		"mov 0(%%rdi), %%rax\n\t"
		"mov 16(%%rdi), %%rsi\n\t"
		"mov 24(%%rdi), %%rdx\n\t"
		"mov 32(%%rdi), %%r10\n\t"
		"mov 40(%%rdi), %%r8\n\t"
		"mov 48(%%rdi), %%r9\n\t"
		"movabs $" VXSTR(
			VPAT_RBX) ", %%rbx\n\t"
				  "movabs $" VXSTR(
					  VPAT_RBP) ", %%rbp\n\t"
						    "movabs $" VXSTR(
							    VPAT_R12) ", %%r12\n\t"
								      "movabs $" VXSTR(
									      VPAT_R13) ", %%r13\n\t"
											"movabs $" VXSTR(
												VPAT_R14) ", %%r14\n\t"
													  "movabs $" VXSTR(
														  VPAT_R15) ", %%r15\n\t"
															    "mov 8(%%rdi), %%rdi\n\t"
															    "syscall\n\t"
															    "xchg %%rdi, (%%rsp)\n\t"
															    "mov %%rax, 56(%%rdi)\n\t"
															    "mov %%rsi, 72(%%rdi)\n\t"
															    "mov %%rdx, 80(%%rdi)\n\t"
															    "mov %%r10, 88(%%rdi)\n\t"
															    "mov %%r8, 96(%%rdi)\n\t"
															    "mov %%r9, 104(%%rdi)\n\t"
															    "mov %%rbx, 112(%%rdi)\n\t"
															    "mov %%rbp, 120(%%rdi)\n\t"
															    "mov %%r12, 128(%%rdi)\n\t"
															    "mov %%r13, 136(%%rdi)\n\t"
															    "mov %%r14, 144(%%rdi)\n\t"
															    "mov %%r15, 152(%%rdi)\n\t"
															    "pop %%rax\n\t"
															    "mov %%rax, 64(%%rdi)\n\t"
															    "pop %%r15\n\t"
															    "pop %%r14\n\t"
															    "pop %%r13\n\t"
															    "pop %%r12\n\t"
															    "pop %%rbp\n\t"
															    "pop %%rbx\n\t"
															    "add $128, %%rsp\n\t"
		: "+D"(s)
		:
		: "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11",
		  "memory", "cc");
}

static inline long vsys(struct vsys *s, long nr, unsigned long a0,
			unsigned long a1, unsigned long a2, unsigned long a3)
{
	memset(s, 0, sizeof(*s));
	s->nr = nr;
	s->a[0] = a0;
	s->a[1] = a1;
	s->a[2] = a2;
	s->a[3] = a3;
	s->a[4] = 0x4848484848484848UL;
	s->a[5] = 0x4949494949494949UL;
	vsys_call(s);
	return s->ret;
}

/* Every preserved register came back; what: the syscall's name. */
static inline void vsys_verify(const struct vsys *s, const char *what)
{
	static const char *const names[12] = {"rdi", "rsi", "rdx", "r10",
					      "r8",  "r9",  "rbx", "rbp",
					      "r12", "r13", "r14", "r15"};
	const unsigned long want[12] = {
		s->a[0],  s->a[1],  s->a[2],  s->a[3],	s->a[4],  s->a[5],
		VPAT_RBX, VPAT_RBP, VPAT_R12, VPAT_R13, VPAT_R14, VPAT_R15,
	};
	int i;

	for (i = 0; i < 12; i++)
		if (s->out[i] != want[i])
			vic_fail("%s: %s is %#lx after the syscall, was %#lx",
				 what, names[i], s->out[i], want[i]);
}

/*
 * A user-space spin with every general register but rax and rcx holding a
 * known pattern, until *go becomes non-zero. The registers are recorded
 * when the spin ends; vspin_verify() compares them.
 */
struct vspin {
	volatile int *go;
	unsigned long out[14]; /* rbx rdx rsi rdi rbp r8-r15, then rsp */
	unsigned long rsp0;
	unsigned long spins;
};

_Static_assert(__builtin_offsetof(struct vspin, out) == 8, "vspin layout");
_Static_assert(__builtin_offsetof(struct vspin, rsp0) == 120, "vspin");
_Static_assert(__builtin_offsetof(struct vspin, spins) == 128, "vspin");

#define VSPIN_PAT(i) (0x5a5a000000000000UL | ((unsigned long)(i) << 32) | (i))

/* The body, shared with the AVX-512 victim: loads, spins, stores. */
#define VSPIN_LOAD                                                             \
	"sub $128, %%rsp\n\t"                                                  \
	"push %%rbx\n\t"                                                       \
	"push %%rbp\n\t"                                                       \
	"push %%r12\n\t"                                                       \
	"push %%r13\n\t"                                                       \
	"push %%r14\n\t"                                                       \
	"push %%r15\n\t"                                                       \
	"push %%rdi\n\t"                                                       \
	"mov %%rsp, 120(%%rdi)\n\t"                                            \
	"xor %%ecx, %%ecx\n\t"                                                 \
	"movabs $0x5a5a000000000000, %%rbx\n\t"                                \
	"movabs $0x5a5a000100000001, %%rdx\n\t"                                \
	"movabs $0x5a5a000200000002, %%rsi\n\t"                                \
	"movabs $0x5a5a000400000004, %%rbp\n\t"                                \
	"movabs $0x5a5a000500000005, %%r8\n\t"                                 \
	"movabs $0x5a5a000600000006, %%r9\n\t"                                 \
	"movabs $0x5a5a000700000007, %%r10\n\t"                                \
	"movabs $0x5a5a000800000008, %%r11\n\t"                                \
	"movabs $0x5a5a000900000009, %%r12\n\t"                                \
	"movabs $0x5a5a000a0000000a, %%r13\n\t"                                \
	"movabs $0x5a5a000b0000000b, %%r14\n\t"                                \
	"movabs $0x5a5a000c0000000c, %%r15\n\t"                                \
	"movabs $0x5a5a000300000003, %%rdi\n\t"
#define VSPIN_LOOP                                                             \
	"1: inc %%rcx\n\t"                                                     \
	"mov (%%rsp), %%rax\n\t"                                               \
	"mov (%%rax), %%rax\n\t"                                               \
	"cmpl $0, (%%rax)\n\t"                                                 \
	"je 1b\n\t"
#define VSPIN_STORE                                                            \
	"xchg %%rdi, (%%rsp)\n\t"                                              \
	"mov %%rcx, 128(%%rdi)\n\t"                                            \
	"mov %%rbx, 8(%%rdi)\n\t"                                              \
	"mov %%rdx, 16(%%rdi)\n\t"                                             \
	"mov %%rsi, 24(%%rdi)\n\t"                                             \
	"pop %%rax\n\t"                                                        \
	"mov %%rax, 32(%%rdi)\n\t"                                             \
	"mov %%rbp, 40(%%rdi)\n\t"                                             \
	"mov %%r8, 48(%%rdi)\n\t"                                              \
	"mov %%r9, 56(%%rdi)\n\t"                                              \
	"mov %%r10, 64(%%rdi)\n\t"                                             \
	"mov %%r11, 72(%%rdi)\n\t"                                             \
	"mov %%r12, 80(%%rdi)\n\t"                                             \
	"mov %%r13, 88(%%rdi)\n\t"                                             \
	"mov %%r14, 96(%%rdi)\n\t"                                             \
	"mov %%r15, 104(%%rdi)\n\t"                                            \
	"lea -8(%%rsp), %%rax\n\t"                                             \
	"mov %%rax, 112(%%rdi)\n\t"                                            \
	"pop %%r15\n\t"                                                        \
	"pop %%r14\n\t"                                                        \
	"pop %%r13\n\t"                                                        \
	"pop %%r12\n\t"                                                        \
	"pop %%rbp\n\t"                                                        \
	"pop %%rbx\n\t"                                                        \
	"add $128, %%rsp\n\t"
#define VSPIN_CLOBBERS                                                         \
	"rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc"

static inline void vspin(struct vspin *s)
{
	asm volatile(VSPIN_LOAD VSPIN_LOOP VSPIN_STORE
		     : "+D"(s)
		     :
		     : VSPIN_CLOBBERS);
}

static inline void vspin_verify(const struct vspin *s)
{
	static const char *const names[13] = {"rbx", "rdx", "rsi", "rdi", "rbp",
					      "r8",  "r9",  "r10", "r11", "r12",
					      "r13", "r14", "r15"};
	int i;

	for (i = 0; i < 13; i++)
		if (s->out[i] != VSPIN_PAT(i))
			vic_fail("spin: %s is %#lx, was %#lx", names[i],
				 s->out[i], VSPIN_PAT(i));
	if (s->out[13] != s->rsp0)
		vic_fail("spin: rsp is %#lx, was %#lx", s->out[13], s->rsp0);
	if (!s->spins)
		vic_fail("spin: never spun");
}

/* Waits for the spy's "check now" byte on VFD_CHECK (raw, checked). */
static inline void vic_wait_check(void)
{
	struct vsys s;
	char c = 0;
	long r;

	r = vsys(&s, SYS_read, VFD_CHECK, (unsigned long)&c, 1, 0);
	if (r != 1 || c != 'C')
		vic_fail("read of the check pipe returned %ld ('%c')", r, c);
	vsys_verify(&s, "read(check pipe)");
}

#endif /* CRYO_TESTS_VICTIM_H */
