// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: heavy AVX-512 state. zmm0-31 and k0-7 hold known values, MXCSR
 * and the x87 control word non-default ones, while it spins in user space
 * (every general register but rax and rcx holding a pattern too) or, with
 * VICTIM_MODE=read, while it blocks in a raw read() of the data pipe; the
 * spy injects meanwhile. Then it stores everything and compares.
 */
#include <cpuid.h>
#include "victim.h"

static unsigned long long zin[32][8] __attribute__((aligned(64)));
static unsigned long long zout[32][8] __attribute__((aligned(64)));
static unsigned long long kin[8], kout[8];
static unsigned int mxcsr_in = 0x7f80 | 0x6000 | 0x8000; /* RZ, FTZ */
static unsigned int mxcsr_out;
static unsigned short fcw_in = 0x0c7f, fcw_out; /* round toward zero */

static int have_avx512(void)
{
	unsigned int a, b, c, d, lo, hi;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 16)) ||
	    !(b & (1u << 17)) || !(b & (1u << 30)))
		return 0; /* avx512f, avx512dq, avx512bw */
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))
		return 0; /* osxsave */
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 0xe6) == 0xe6;
}

#define LZ(i)			      "vmovdqa64 " #i "*64(%%rax), %%zmm" #i "\n\t"
#define SZ(i)			      "vmovdqa64 %%zmm" #i ", " #i "*64(%%rax)\n\t"
#define LK(i)			      "kmovq " #i "*8(%%rax), %%k" #i "\n\t"
#define SK(i)			      "kmovq %%k" #i ", " #i "*8(%%rax)\n\t"
#define N8(M, a, b, c, d, e, f, g, h) M(a) M(b) M(c) M(d) M(e) M(f) M(g) M(h)
#define ALL32(M)                                                               \
	N8(M, 0, 1, 2, 3, 4, 5, 6, 7)                                          \
	N8(M, 8, 9, 10, 11, 12, 13, 14, 15)                                    \
	N8(M, 16, 17, 18, 19, 20, 21, 22, 23)                                  \
	N8(M, 24, 25, 26, 27, 28, 29, 30, 31)

#define VEC_LOAD                                                               \
	"lea %[zin], %%rax\n\t" ALL32(LZ) "lea %[kin], %%rax\n\t" N8(          \
		LK, 0, 1, 2, 3, 4, 5, 6, 7) "ldmxcsr %[mi]\n\t"                \
					    "fldcw %[fi]\n\t"
#define VEC_STORE                                                              \
	"lea %[zout], %%rax\n\t" ALL32(SZ) "lea %[kout], %%rax\n\t" N8(        \
		SK, 0, 1, 2, 3, 4, 5, 6, 7) "stmxcsr %[mo]\n\t"                \
					    "fnstcw %[fo]\n\t"
#define VEC_OUT                                                                \
	[zout] "=m"(zout), [kout] "=m"(kout), [mo] "=m"(mxcsr_out),            \
		[fo] "=m"(fcw_out)
#define VEC_IN                                                                 \
	[zin] "m"(zin), [kin] "m"(kin), [mi] "m"(mxcsr_in), [fi] "m"(fcw_in)
#define VEC_CLOBBERS                                                           \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",        \
		"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",   \
		"xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", \
		"xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", \
		"xmm29", "xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4", "k5", \
		"k6", "k7"

/* Spins in user space (all GP registers loaded too) until vshm.go. */
__attribute__((target("avx512f,avx512bw"))) static void spin(struct vspin *s)
{
	asm volatile(VEC_LOAD VSPIN_LOAD VSPIN_LOOP VSPIN_STORE VEC_STORE
		     : "+D"(s), VEC_OUT:VEC_IN
		     : VSPIN_CLOBBERS, VEC_CLOBBERS);
}

/* Blocks in a raw read() of the data pipe with the state loaded. */
__attribute__((target("avx512f,avx512bw"))) static long blocked(char *buf,
								long len)
{
	long ret = SYS_read;

	asm volatile(VEC_LOAD "mov %[nr], %%rax\n\t"
			      "syscall\n\t"
			      "mov %%rax, %[nr]\n\t" VEC_STORE
		     : [nr] "+r"(ret), VEC_OUT
		     : VEC_IN, "D"((long)VFD_DATA), "S"(buf), "d"(len)
		     : "rax", "rcx", "r11", "memory", "cc", VEC_CLOBBERS);
	return ret;
}

int main(void)
{
	struct vspin s = {0};
	unsigned int i, j;
	unsigned short fcw0;
	unsigned int mx0;
	const char *mode = getenv("VICTIM_MODE");
	char buf[64] = {0};
	long r;

	if (!have_avx512()) {
		printf("SKIP: no AVX-512 here\n");
		return 77;
	}
	for (i = 0; i < 32; i++)
		for (j = 0; j < 8; j++)
			zin[i][j] = 0xa5a5000000000000ULL | i << 16 | j << 8 |
				    (i * 8 + j);
	for (i = 0; i < 8; i++)
		kin[i] = 0x0123456789abcdefULL ^ ((unsigned long long)i << 56);
	vic_init();
	asm volatile("stmxcsr %0; fnstcw %1" : "=m"(mx0), "=m"(fcw0));
	s.go = &vic_shm->go;
	vic_ready();
	if (mode && !strcmp(mode, "read")) {
		r = blocked(buf, sizeof(buf) - 1);
		if (r != (long)strlen(VDATA) || strcmp(buf, VDATA))
			vic_fail("read returned %ld \"%s\"", r, buf);
	} else {
		vic_shm->nready = 1; /* no syscall from here on */
		spin(&s);
		vspin_verify(&s);
	}
	for (i = 0; i < 32; i++)
		for (j = 0; j < 8; j++)
			if (zout[i][j] != zin[i][j])
				vic_fail("zmm%u qword %u is %#llx, was %#llx",
					 i, j, zout[i][j], zin[i][j]);
	for (i = 0; i < 8; i++)
		if (kout[i] != kin[i])
			vic_fail("k%u is %#llx, was %#llx", i, kout[i], kin[i]);
	if ((mxcsr_out & ~0x3fu) != (mxcsr_in & ~0x3fu))
		vic_fail("mxcsr is %#x, was %#x", mxcsr_out, mxcsr_in);
	if (fcw_out != fcw_in)
		vic_fail("x87 control word is %#x, was %#x", fcw_out, fcw_in);
	asm volatile("ldmxcsr %0; fldcw %1" : : "m"(mx0), "m"(fcw0));
	vic_check_signals();
	vic_wait_check();
	return vic_exit();
}
