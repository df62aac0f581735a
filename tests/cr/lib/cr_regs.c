// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cr_regs: see cr_regs.h. The loop is written in assembly so that the
 * compiler cannot spill, reload or reuse any of the registers under test.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cr_regs.h"

_Static_assert(offsetof(struct cr_regs_ctl, k) == 128, "k offset");
_Static_assert(offsetof(struct cr_regs_ctl, mxcsr) == 192, "mxcsr offset");
_Static_assert(offsetof(struct cr_regs_ctl, counter) == 200, "counter");
_Static_assert(offsetof(struct cr_regs_ctl, stop) == 208, "stop offset");
_Static_assert(offsetof(struct cr_regs_ctl, zmm) == 256, "zmm offset");

static const char *const gpr_names[CR_REGS_NR_GPR] = {
	"rbx", "rcx", "rdx", "rsi", "rbp", "r8",  "r9",
	"r10", "r11", "r12", "r13", "r14", "r15",
};

/*
 * int cr_regs_loop(struct cr_regs_ctl *ctl): rdi holds ctl throughout, rax
 * is the only scratch register; the code of a failed comparison goes into
 * eax with mov (which keeps the flags) right before its jne.
 */
__asm__(".text\n"
	".globl cr_regs_loop\n"
	".type cr_regs_loop, @function\n"
	"cr_regs_loop:\n"
	"	push %rbx\n"
	"	push %rbp\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	sub $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	ldmxcsr 192(%rdi)\n"
	"	mov 0(%rdi), %rbx\n"
	"	mov 8(%rdi), %rcx\n"
	"	mov 16(%rdi), %rdx\n"
	"	mov 24(%rdi), %rsi\n"
	"	mov 32(%rdi), %rbp\n"
	"	mov 40(%rdi), %r8\n"
	"	mov 48(%rdi), %r9\n"
	"	mov 56(%rdi), %r10\n"
	"	mov 64(%rdi), %r11\n"
	"	mov 72(%rdi), %r12\n"
	"	mov 80(%rdi), %r13\n"
	"	mov 88(%rdi), %r14\n"
	"	mov 96(%rdi), %r15\n"
	"	.irp i,1,2,3,4,5,6,7\n"
	"	kmovq 128+8*\\i(%rdi), %k\\i\n"
	"	.endr\n"
	"	.irp i,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	vmovdqu64 256+64*\\i(%rdi), %zmm\\i\n"
	"	.endr\n"
	"1:\n"
	"	cmp 0(%rdi), %rbx\n"
	"	mov $1, %eax\n"
	"	jne 9f\n"
	"	cmp 8(%rdi), %rcx\n"
	"	mov $2, %eax\n"
	"	jne 9f\n"
	"	cmp 16(%rdi), %rdx\n"
	"	mov $3, %eax\n"
	"	jne 9f\n"
	"	cmp 24(%rdi), %rsi\n"
	"	mov $4, %eax\n"
	"	jne 9f\n"
	"	cmp 32(%rdi), %rbp\n"
	"	mov $5, %eax\n"
	"	jne 9f\n"
	"	cmp 40(%rdi), %r8\n"
	"	mov $6, %eax\n"
	"	jne 9f\n"
	"	cmp 48(%rdi), %r9\n"
	"	mov $7, %eax\n"
	"	jne 9f\n"
	"	cmp 56(%rdi), %r10\n"
	"	mov $8, %eax\n"
	"	jne 9f\n"
	"	cmp 64(%rdi), %r11\n"
	"	mov $9, %eax\n"
	"	jne 9f\n"
	"	cmp 72(%rdi), %r12\n"
	"	mov $10, %eax\n"
	"	jne 9f\n"
	"	cmp 80(%rdi), %r13\n"
	"	mov $11, %eax\n"
	"	jne 9f\n"
	"	cmp 88(%rdi), %r14\n"
	"	mov $12, %eax\n"
	"	jne 9f\n"
	"	cmp 96(%rdi), %r15\n"
	"	mov $13, %eax\n"
	"	jne 9f\n"
	"	.irp i,1,2,3,4,5,6,7\n"
	"	kmovq %k\\i, %rax\n"
	"	cmp 128+8*\\i(%rdi), %rax\n"
	"	mov $20+\\i, %eax\n"
	"	jne 9f\n"
	"	.endr\n"
	"	.irp i,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	vpcmpeqq 256+64*\\i(%rdi), %zmm\\i, %k0\n"
	"	kmovw %k0, %eax\n"
	"	cmp $0xff, %eax\n"
	"	mov $40+\\i, %eax\n"
	"	jne 9f\n"
	"	.endr\n"
	"	stmxcsr 4(%rsp)\n"
	"	mov 4(%rsp), %eax\n"
	"	cmp 192(%rdi), %eax\n"
	"	mov $80, %eax\n"
	"	jne 9f\n"
	"	incq 200(%rdi)\n"
	"	cmpq $0, 208(%rdi)\n"
	"	je 1b\n"
	"	xor %eax, %eax\n"
	"9:\n"
	"	ldmxcsr (%rsp)\n"
	"	add $8, %rsp\n"
	"	vzeroupper\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbp\n"
	"	pop %rbx\n"
	"	ret\n"
	".size cr_regs_loop, .-cr_regs_loop\n");

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void cr_regs_init(struct cr_regs_ctl *ctl, uint64_t seed)
{
	uint64_t s = seed;

	memset(ctl, 0, sizeof(*ctl));
	for (int i = 0; i < CR_REGS_NR_GPR; i++)
		ctl->gpr[i] = splitmix(&s);
	for (int i = 1; i < 8; i++)
		ctl->k[i] = splitmix(&s);
	for (int i = 1; i < 32; i++)
		for (int j = 0; j < 64; j += 8) {
			uint64_t v = splitmix(&s);

			memcpy(&ctl->zmm[i][j], &v, 8);
		}
	/* all exceptions masked, round toward zero, FTZ and DAZ: not 0x1f80 */
	ctl->mxcsr = 0x1f80 | (3 << 13) | (1 << 15) | (1 << 6);
}

const char *cr_regs_name(int code, char *buf, unsigned long size)
{
	if (code >= CR_REGS_GPR && code < CR_REGS_GPR + CR_REGS_NR_GPR)
		snprintf(buf, size, "%s", gpr_names[code - CR_REGS_GPR]);
	else if (code > CR_REGS_K && code < CR_REGS_K + 8)
		snprintf(buf, size, "k%d", code - CR_REGS_K);
	else if (code > CR_REGS_ZMM && code < CR_REGS_ZMM + 32)
		snprintf(buf, size, "zmm%d", code - CR_REGS_ZMM);
	else if (code == CR_REGS_MXCSR)
		snprintf(buf, size, "mxcsr");
	else
		snprintf(buf, size, "code %d", code);
	return buf;
}

bool cr_regs_avx512(void)
{
	unsigned int eax, edx;

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx512f") ||
	    !__builtin_cpu_supports("avx512bw") ||
	    !__builtin_cpu_supports("osxsave"))
		return false;
	/* XCR0: the kernel enabled SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */
	__asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
	return (eax & 0xe6) == 0xe6;
}
