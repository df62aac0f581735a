/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cr_regs: a register-holding busy loop for the C/R test programs (regs,
 * threads16). cr_regs_loop() loads known values into the general registers
 * rbx rcx rdx rsi rbp r8-r15, the AVX-512 mask registers k1-k7, the vector
 * registers zmm1-zmm31 and MXCSR, then spins comparing every one of them
 * with the expected values on each iteration, counting iterations, until
 * ->stop is set. A register that changes ends the loop at once with its
 * code. It runs with no calls and no memory of its own besides *ctl, so
 * nothing but a broken save/restore of the thread's state can change them.
 */
#ifndef CR_REGS_H
#define CR_REGS_H

#include <stdbool.h>
#include <stdint.h>

/* what cr_regs_loop() returns */
#define CR_REGS_OK    0	 /* stopped with every register intact */
#define CR_REGS_GPR   1	 /* +i: general register i (cr_regs_name) */
#define CR_REGS_K     20 /* +i: k<i> */
#define CR_REGS_ZMM   40 /* +i: zmm<i> */
#define CR_REGS_MXCSR 80 /* MXCSR */

#define CR_REGS_NR_GPR 13

struct cr_regs_ctl {
	uint64_t gpr[16]; /* 0: rbx rcx rdx rsi rbp r8..r15 */
	uint64_t k[8];	  /* 128: k1..k7 in k[1..7] */
	uint32_t mxcsr;	  /* 192 */
	uint32_t pad0;
	uint64_t counter; /* 200: iterations so far */
	uint64_t stop;	  /* 208: set to end the loop */
	uint64_t pad1[5];
	uint8_t zmm[32][64] __attribute__((aligned(64))); /* 256: zmm1..31 */
} __attribute__((aligned(64)));

/* Fills ctl with values derived from seed (and a non-default MXCSR). */
void cr_regs_init(struct cr_regs_ctl *ctl, uint64_t seed);

/* The loop; returns CR_REGS_OK or the code of the first changed register. */
int cr_regs_loop(struct cr_regs_ctl *ctl);

/* "rbx", "k3", "zmm17", "mxcsr" for a return code of cr_regs_loop(). */
const char *cr_regs_name(int code, char *buf, unsigned long size);

/* The CPU and the kernel support AVX-512 F+BW (zmm and 64-bit k regs). */
bool cr_regs_avx512(void);

#endif /* CR_REGS_H */
