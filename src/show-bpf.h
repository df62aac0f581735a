/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A disassembler for the classic BPF programs of seccomp filters, for
 * `cryo show`: loads name the seccomp_data fields (nr, arch, ip, args),
 * jumps give absolute targets, returns name the SECCOMP_RET_* action.
 */
#ifndef CRYO_SHOW_BPF_H
#define CRYO_SHOW_BPF_H

#include <stddef.h>
#include <stdint.h>

/* One instruction as stored (struct sock_filter). */
struct bpf_insn_img {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

/*
 * Writes instruction i of prog (n instructions) as one line, e.g.
 * "0003: jeq #0x27, 4, 5" or "0005: ret ERRNO(1)", into buf.
 */
void bpf_decode(const struct bpf_insn_img *prog, size_t n, size_t i, char *buf,
		size_t len);

/* The name of a SECCOMP_RET_* action with its data ("ERRNO(13)"). */
void bpf_ret_name(uint32_t k, char *buf, size_t len);

#endif
