// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Classic BPF, the subset seccomp accepts (kernel/seccomp.c checks every
 * filter against it): loads of the 64-byte struct seccomp_data (absolute
 * 32-bit words only), the scratch memory, ALU, jumps and returns.
 */
#include <stdio.h>
#include <string.h>

#include "show-bpf.h"

/* instruction classes and fields (linux/bpf_common.h) */
#define CLASS(c)  ((c)&0x07)
#define SIZE(c)	  ((c)&0x18)
#define MODE(c)	  ((c)&0xe0)
#define OP(c)	  ((c)&0xf0)
#define SRC(c)	  ((c)&0x08)
#define RVAL(c)	  ((c)&0x18)
#define MISCOP(c) ((c)&0xf8)

enum { C_LD, C_LDX, C_ST, C_STX, C_ALU, C_JMP, C_RET, C_MISC };

#define M_IMM 0x00
#define M_ABS 0x20
#define M_MEM 0x60
#define M_LEN 0x80
#define S_W   0x00
#define SRC_X 0x08
#define R_A   0x10
#define R_X   0x08

#define AUDIT_ARCH_X86_64 0xc000003eu
#define AUDIT_ARCH_I386	  0x40000003u

/* offsets in struct seccomp_data */
#define SD_NR	0
#define SD_ARCH 4
#define SD_IP	8
#define SD_ARGS 16
#define SD_SIZE 64

void bpf_ret_name(uint32_t k, char *buf, size_t len)
{
	static const struct {
		uint32_t action;
		const char *name;
		int has_data;
	} acts[] = {
		{0x80000000u, "KILL_PROCESS", 0},
		{0x00000000u, "KILL_THREAD", 0},
		{0x00030000u, "TRAP", 1},
		{0x00050000u, "ERRNO", 1},
		{0x7fc00000u, "USER_NOTIF", 0},
		{0x7ff00000u, "TRACE", 1},
		{0x7ffc0000u, "LOG", 0},
		{0x7fff0000u, "ALLOW", 0},
	};
	uint32_t action = k & 0xffff0000u, data = k & 0xffffu;

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		if (acts[i].action != action)
			continue;
		if (acts[i].has_data)
			snprintf(buf, len, "%s(%u)", acts[i].name, data);
		else if (data)
			snprintf(buf, len, "%s|0x%x", acts[i].name, data);
		else
			snprintf(buf, len, "%s", acts[i].name);
		return;
	}
	/* the kernel treats unknown actions as KILL_PROCESS */
	snprintf(buf, len, "0x%08x", k);
}

/* "nr", "arch", "ip", "ip.hi", "args[2]", "args[2].hi" or "[k]". */
static void data_name(uint32_t k, char *buf, size_t len)
{
	if (k == SD_NR)
		snprintf(buf, len, "nr");
	else if (k == SD_ARCH)
		snprintf(buf, len, "arch");
	else if (k == SD_IP || k == SD_IP + 4)
		snprintf(buf, len, "ip%s", k == SD_IP ? "" : ".hi");
	else if (k >= SD_ARGS && k < SD_SIZE && !(k & 3))
		snprintf(buf, len, "args[%u]%s", (k - SD_ARGS) / 8,
			 (k - SD_ARGS) % 8 ? ".hi" : "");
	else
		snprintf(buf, len, "[%u]", k);
}

static const char *alu_name(uint16_t code)
{
	static const char *const names[16] = {
		"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
		"neg", "mod", "xor", NULL,  NULL, NULL,	 NULL,	NULL,
	};

	return names[OP(code) >> 4];
}

static const char *jmp_name(uint16_t code)
{
	static const char *const names[16] = {
		"ja", "jeq", "jgt", "jge", "jset",
	};

	return OP(code) >> 4 < 5 ? names[OP(code) >> 4] : NULL;
}

/* The operand of a jump: named when the accumulator holds the arch. */
static void jmp_operand(const struct bpf_insn_img *prog, size_t i, char *buf,
			size_t len)
{
	uint32_t k = prog[i].k;

	if (i && prog[i - 1].code == (C_LD | S_W | M_ABS) &&
	    prog[i - 1].k == SD_ARCH &&
	    (k == AUDIT_ARCH_X86_64 || k == AUDIT_ARCH_I386))
		snprintf(buf, len, "#%s",
			 k == AUDIT_ARCH_X86_64 ? "AUDIT_ARCH_X86_64"
						: "AUDIT_ARCH_I386");
	else
		snprintf(buf, len, "#0x%x", k);
}

void bpf_decode(const struct bpf_insn_img *prog, size_t n, size_t i, char *buf,
		size_t len)
{
	const struct bpf_insn_img *in = &prog[i];
	uint16_t c = in->code;
	char arg[48];
	int p = snprintf(buf, len, "%04zu: ", i);
	const char *name;

	if (p < 0 || (size_t)p >= len)
		return;
	buf += p;
	len -= (size_t)p;
	switch (CLASS(c)) {
	case C_LD:
	case C_LDX: {
		const char *op = CLASS(c) == C_LD ? "ld" : "ldx";

		if (c == (C_LD | S_W | M_ABS)) {
			data_name(in->k, arg, sizeof(arg));
			snprintf(buf, len, "ld %s", arg);
		} else if (MODE(c) == M_IMM) {
			snprintf(buf, len, "%s #0x%x", op, in->k);
		} else if (MODE(c) == M_MEM) {
			snprintf(buf, len, "%s M[%u]", op, in->k);
		} else if (MODE(c) == M_LEN && SIZE(c) == S_W) {
			snprintf(buf, len, "%s #len", op);
		} else {
			break;
		}
		return;
	}
	case C_ST:
	case C_STX:
		snprintf(buf, len, "%s M[%u]", CLASS(c) == C_ST ? "st" : "stx",
			 in->k);
		return;
	case C_ALU:
		name = alu_name(c);
		if (!name)
			break;
		if (OP(c) == 0x80) /* neg */
			snprintf(buf, len, "neg");
		else if (SRC(c) == SRC_X)
			snprintf(buf, len, "%s x", name);
		else
			snprintf(buf, len, "%s #0x%x", name, in->k);
		return;
	case C_JMP:
		name = jmp_name(c);
		if (!name)
			break;
		if (OP(c) == 0x00) { /* ja: k is the offset */
			snprintf(buf, len, "ja %zu", i + 1 + in->k);
			return;
		}
		if (SRC(c) == SRC_X)
			snprintf(arg, sizeof(arg), "x");
		else
			jmp_operand(prog, i, arg, sizeof(arg));
		snprintf(buf, len, "%s %s, %zu, %zu%s", name, arg,
			 i + 1 + in->jt, i + 1 + in->jf,
			 i + 1 + in->jt >= n || i + 1 + in->jf >= n
				 ? " (past the end)"
				 : "");
		return;
	case C_RET:
		if (RVAL(c) == R_A) {
			snprintf(buf, len, "ret a");
		} else if (RVAL(c) == 0) {
			bpf_ret_name(in->k, arg, sizeof(arg));
			snprintf(buf, len, "ret %s", arg);
		} else {
			break;
		}
		return;
	case C_MISC:
		if (MISCOP(c) == 0x00) {
			snprintf(buf, len, "tax");
			return;
		}
		if (MISCOP(c) == 0x80) {
			snprintf(buf, len, "txa");
			return;
		}
		break;
	}
	snprintf(buf, len, ".insn code 0x%04x jt %u jf %u k 0x%x", c, in->jt,
		 in->jf, in->k);
}
