// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The record descriptor table: for each type its name, section, sizes and
 * field layout. Readers, `cryo show` and the tests are driven by this data,
 * so a new record type is one entry here and one struct in cryo/img.h.
 */
#include <stddef.h>

#include "cryo/img.h"

#define FLD(st, f, k)                                                          \
	{                                                                      \
		.name = #f, .offset = offsetof(st, f),                         \
		.len = sizeof(((st *)0)->f), .kind = (k)                       \
	}
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const struct cryo_img_field lsm_label_fields[] = {
	FLD(struct cryo_img_lsm_label, pid, CRYO_FT_U32),
	FLD(struct cryo_img_lsm_label, lsm, CRYO_FT_STR),
};

static const struct cryo_img_field header_fields[] = {
	FLD(struct cryo_img_header, format_version, CRYO_FT_U32),
	FLD(struct cryo_img_header, arch, CRYO_FT_U32),
	FLD(struct cryo_img_header, page_size, CRYO_FT_U32),
	FLD(struct cryo_img_header, xfeatures, CRYO_FT_X64),
	FLD(struct cryo_img_header, xsave_size, CRYO_FT_U32),
	FLD(struct cryo_img_header, flags, CRYO_FT_X32),
	FLD(struct cryo_img_header, ctime_sec, CRYO_FT_U64),
	FLD(struct cryo_img_header, ctime_nsec, CRYO_FT_U32),
	FLD(struct cryo_img_header, root_pid, CRYO_FT_U32),
	FLD(struct cryo_img_header, kernel_release, CRYO_FT_STR),
	FLD(struct cryo_img_header, cryo_version, CRYO_FT_STR),
};

static const struct cryo_img_field container_fields[] = {
	FLD(struct cryo_img_container, flags, CRYO_FT_X32),
	FLD(struct cryo_img_container, lsms, CRYO_FT_STR),
	FLD(struct cryo_img_container, label_lsm, CRYO_FT_STR),
	FLD(struct cryo_img_container, hostname, CRYO_FT_STR),
	FLD(struct cryo_img_container, domainname, CRYO_FT_STR),
	FLD(struct cryo_img_container, ns_ino, CRYO_FT_X64_ARRAY),
};

static const struct cryo_img_field pstree_fields[] = {
	FLD(struct cryo_img_pstree, pid, CRYO_FT_U32),
	FLD(struct cryo_img_pstree, ppid, CRYO_FT_U32),
	FLD(struct cryo_img_pstree, pgid, CRYO_FT_U32),
	FLD(struct cryo_img_pstree, sid, CRYO_FT_U32),
	FLD(struct cryo_img_pstree, nr_threads, CRYO_FT_U32),
};

static const struct cryo_img_field task_fields[] = {
	FLD(struct cryo_img_task, pid, CRYO_FT_U32),
	FLD(struct cryo_img_task, comm, CRYO_FT_STR),
	FLD(struct cryo_img_task, state, CRYO_FT_CHAR),
	FLD(struct cryo_img_task, exit_signal, CRYO_FT_U32),
	FLD(struct cryo_img_task, personality, CRYO_FT_X32),
	FLD(struct cryo_img_task, flags, CRYO_FT_X32),
	FLD(struct cryo_img_task, nice, CRYO_FT_S32),
	FLD(struct cryo_img_task, umask, CRYO_FT_X32),
	FLD(struct cryo_img_task, seccomp_mode, CRYO_FT_U32),
	FLD(struct cryo_img_task, no_new_privs, CRYO_FT_U32),
};

static const struct cryo_img_field creds_fields[] = {
	FLD(struct cryo_img_creds, pid, CRYO_FT_U32),
	FLD(struct cryo_img_creds, uid, CRYO_FT_U32_ARRAY),
	FLD(struct cryo_img_creds, gid, CRYO_FT_U32_ARRAY),
	FLD(struct cryo_img_creds, cap_inh, CRYO_FT_X64),
	FLD(struct cryo_img_creds, cap_prm, CRYO_FT_X64),
	FLD(struct cryo_img_creds, cap_eff, CRYO_FT_X64),
	FLD(struct cryo_img_creds, cap_bnd, CRYO_FT_X64),
	FLD(struct cryo_img_creds, cap_amb, CRYO_FT_X64),
	FLD(struct cryo_img_creds, nr_groups, CRYO_FT_U32),
	FLD(struct cryo_img_creds, securebits, CRYO_FT_X32),
};

static const struct cryo_img_field mm_fields[] = {
	FLD(struct cryo_img_mm, pid, CRYO_FT_U32),
	FLD(struct cryo_img_mm, start_code, CRYO_FT_X64),
	FLD(struct cryo_img_mm, end_code, CRYO_FT_X64),
	FLD(struct cryo_img_mm, start_data, CRYO_FT_X64),
	FLD(struct cryo_img_mm, end_data, CRYO_FT_X64),
	FLD(struct cryo_img_mm, start_brk, CRYO_FT_X64),
	FLD(struct cryo_img_mm, brk, CRYO_FT_X64),
	FLD(struct cryo_img_mm, start_stack, CRYO_FT_X64),
	FLD(struct cryo_img_mm, arg_start, CRYO_FT_X64),
	FLD(struct cryo_img_mm, arg_end, CRYO_FT_X64),
	FLD(struct cryo_img_mm, env_start, CRYO_FT_X64),
	FLD(struct cryo_img_mm, env_end, CRYO_FT_X64),
	FLD(struct cryo_img_mm, nr_vmas, CRYO_FT_U32),
};

static const struct cryo_img_field vma_fields[] = {
	FLD(struct cryo_img_vma, pid, CRYO_FT_U32),
	FLD(struct cryo_img_vma, start, CRYO_FT_X64),
	FLD(struct cryo_img_vma, end, CRYO_FT_X64),
	FLD(struct cryo_img_vma, pgoff, CRYO_FT_X64),
	FLD(struct cryo_img_vma, ino, CRYO_FT_U64),
	FLD(struct cryo_img_vma, dev, CRYO_FT_X32),
	FLD(struct cryo_img_vma, prot, CRYO_FT_X32),
	FLD(struct cryo_img_vma, flags, CRYO_FT_X32),
	FLD(struct cryo_img_vma, kind, CRYO_FT_U32),
	FLD(struct cryo_img_vma, vmflags, CRYO_FT_X32),
};

static const struct cryo_img_field thread_fields[] = {
	FLD(struct cryo_img_thread, pid, CRYO_FT_U32),
	FLD(struct cryo_img_thread, tid, CRYO_FT_U32),
	FLD(struct cryo_img_thread, xsave_size, CRYO_FT_U32),
	FLD(struct cryo_img_thread, sigmask, CRYO_FT_X64),
	FLD(struct cryo_img_thread, regs, CRYO_FT_X64_ARRAY),
};

static const struct cryo_img_field fd_fields[] = {
	FLD(struct cryo_img_fd, pid, CRYO_FT_U32),
	FLD(struct cryo_img_fd, fd, CRYO_FT_U32),
	FLD(struct cryo_img_fd, kind, CRYO_FT_U32),
	FLD(struct cryo_img_fd, flags, CRYO_FT_X32),
	FLD(struct cryo_img_fd, mnt_id, CRYO_FT_U32),
	FLD(struct cryo_img_fd, pos, CRYO_FT_U64),
	FLD(struct cryo_img_fd, ino, CRYO_FT_U64),
	FLD(struct cryo_img_fd, dup_of, CRYO_FT_U32),
};

static const struct cryo_img_field sigaction_fields[] = {
	FLD(struct cryo_img_sigaction, pid, CRYO_FT_U32),
	FLD(struct cryo_img_sigaction, sig, CRYO_FT_U32),
	FLD(struct cryo_img_sigaction, handler, CRYO_FT_X64),
	FLD(struct cryo_img_sigaction, flags, CRYO_FT_X64),
	FLD(struct cryo_img_sigaction, restorer, CRYO_FT_X64),
	FLD(struct cryo_img_sigaction, mask, CRYO_FT_X64),
};

static const struct cryo_img_field siginfo_fields[] = {
	FLD(struct cryo_img_siginfo, pid, CRYO_FT_U32),
	FLD(struct cryo_img_siginfo, tid, CRYO_FT_U32),
	FLD(struct cryo_img_siginfo, signo, CRYO_FT_U32),
	FLD(struct cryo_img_siginfo, code, CRYO_FT_S32),
};

static const struct cryo_img_field itimer_fields[] = {
	FLD(struct cryo_img_itimer, pid, CRYO_FT_U32),
	FLD(struct cryo_img_itimer, which, CRYO_FT_U32),
	FLD(struct cryo_img_itimer, interval_sec, CRYO_FT_U64),
	FLD(struct cryo_img_itimer, interval_usec, CRYO_FT_U64),
	FLD(struct cryo_img_itimer, value_sec, CRYO_FT_U64),
	FLD(struct cryo_img_itimer, value_usec, CRYO_FT_U64),
};

static const struct cryo_img_field posix_timer_fields[] = {
	FLD(struct cryo_img_posix_timer, pid, CRYO_FT_U32),
	FLD(struct cryo_img_posix_timer, id, CRYO_FT_U32),
	FLD(struct cryo_img_posix_timer, clock, CRYO_FT_S32),
	FLD(struct cryo_img_posix_timer, notify, CRYO_FT_U32),
	FLD(struct cryo_img_posix_timer, signo, CRYO_FT_U32),
	FLD(struct cryo_img_posix_timer, value, CRYO_FT_X64),
	FLD(struct cryo_img_posix_timer, notify_tid, CRYO_FT_U32),
	FLD(struct cryo_img_posix_timer, overrun, CRYO_FT_U32),
	FLD(struct cryo_img_posix_timer, interval_sec, CRYO_FT_U64),
	FLD(struct cryo_img_posix_timer, interval_nsec, CRYO_FT_U64),
	FLD(struct cryo_img_posix_timer, value_sec, CRYO_FT_U64),
	FLD(struct cryo_img_posix_timer, value_nsec, CRYO_FT_U64),
};

static const struct cryo_img_field rlimits_fields[] = {
	FLD(struct cryo_img_rlimits, pid, CRYO_FT_U32),
	FLD(struct cryo_img_rlimits, nr, CRYO_FT_U32),
};

static const struct cryo_img_field proc_misc_fields[] = {
	FLD(struct cryo_img_proc_misc, pid, CRYO_FT_U32),
	FLD(struct cryo_img_proc_misc, dumpable, CRYO_FT_U32),
	FLD(struct cryo_img_proc_misc, pdeathsig, CRYO_FT_U32),
	FLD(struct cryo_img_proc_misc, subreaper, CRYO_FT_U32),
	FLD(struct cryo_img_proc_misc, thp_disable, CRYO_FT_U32),
	FLD(struct cryo_img_proc_misc, oom_score_adj, CRYO_FT_S32),
};

static const struct cryo_img_field thread_misc_fields[] = {
	FLD(struct cryo_img_thread_misc, pid, CRYO_FT_U32),
	FLD(struct cryo_img_thread_misc, tid, CRYO_FT_U32),
	FLD(struct cryo_img_thread_misc, sas_flags, CRYO_FT_X32),
	FLD(struct cryo_img_thread_misc, comm, CRYO_FT_STR),
	FLD(struct cryo_img_thread_misc, sas_sp, CRYO_FT_X64),
	FLD(struct cryo_img_thread_misc, sas_size, CRYO_FT_U64),
	FLD(struct cryo_img_thread_misc, clear_child_tid, CRYO_FT_X64),
	FLD(struct cryo_img_thread_misc, robust_head, CRYO_FT_X64),
	FLD(struct cryo_img_thread_misc, robust_len, CRYO_FT_U64),
	FLD(struct cryo_img_thread_misc, rseq_abi, CRYO_FT_X64),
	FLD(struct cryo_img_thread_misc, rseq_len, CRYO_FT_U32),
	FLD(struct cryo_img_thread_misc, rseq_flags, CRYO_FT_X32),
	FLD(struct cryo_img_thread_misc, rseq_sig, CRYO_FT_X32),
	FLD(struct cryo_img_thread_misc, sched_policy, CRYO_FT_U32),
	FLD(struct cryo_img_thread_misc, sched_flags, CRYO_FT_X64),
	FLD(struct cryo_img_thread_misc, sched_nice, CRYO_FT_S32),
	FLD(struct cryo_img_thread_misc, sched_priority, CRYO_FT_U32),
	FLD(struct cryo_img_thread_misc, sched_runtime, CRYO_FT_U64),
	FLD(struct cryo_img_thread_misc, sched_deadline, CRYO_FT_U64),
	FLD(struct cryo_img_thread_misc, sched_period, CRYO_FT_U64),
	FLD(struct cryo_img_thread_misc, timer_slack, CRYO_FT_U64),
	FLD(struct cryo_img_thread_misc, nr_cpus, CRYO_FT_U32),
};

static const struct cryo_img_field seccomp_filter_fields[] = {
	FLD(struct cryo_img_seccomp_filter, pid, CRYO_FT_U32),
	FLD(struct cryo_img_seccomp_filter, id, CRYO_FT_U32),
	FLD(struct cryo_img_seccomp_filter, flags, CRYO_FT_X32),
	FLD(struct cryo_img_seccomp_filter, hash, CRYO_FT_X64),
	FLD(struct cryo_img_seccomp_filter, nr_insns, CRYO_FT_U32),
};

static const struct cryo_img_field seccomp_chain_fields[] = {
	FLD(struct cryo_img_seccomp_chain, pid, CRYO_FT_U32),
	FLD(struct cryo_img_seccomp_chain, tid, CRYO_FT_U32),
	FLD(struct cryo_img_seccomp_chain, mode, CRYO_FT_U32),
	FLD(struct cryo_img_seccomp_chain, nr_filters, CRYO_FT_U32),
};

static const struct cryo_img_field sud_fields[] = {
	FLD(struct cryo_img_sud, pid, CRYO_FT_U32),
	FLD(struct cryo_img_sud, tid, CRYO_FT_U32),
	FLD(struct cryo_img_sud, mode, CRYO_FT_U64),
	FLD(struct cryo_img_sud, selector, CRYO_FT_X64),
	FLD(struct cryo_img_sud, offset, CRYO_FT_X64),
	FLD(struct cryo_img_sud, len, CRYO_FT_U64),
};

static const struct cryo_img_field pagemap_fields[] = {
	FLD(struct cryo_img_pagemap, pid, CRYO_FT_U32),
	FLD(struct cryo_img_pagemap, nr_runs, CRYO_FT_U32),
	FLD(struct cryo_img_pagemap, nr_pages, CRYO_FT_U64),
};

static const struct cryo_img_field trailer_fields[] = {
	FLD(struct cryo_img_trailer, nr_records, CRYO_FT_U64),
	FLD(struct cryo_img_trailer, stream_len, CRYO_FT_U64),
	FLD(struct cryo_img_trailer, chain_crc, CRYO_FT_X32),
};

#define REQ CRYO_REC_F_REQUIRED
#define DESC(t, sec, st, min, fl, tl, tn, f)                                   \
	{                                                                      \
		.type = CRYO_REC_##t, .section = CRYO_SEC_##sec,               \
		.tail = CRYO_TAIL_##tl, .name = #t, .tail_name = tn,           \
		.min_size = (min), .cur_size = sizeof(st),                     \
		.default_flags = (fl), .fields = f, .nr_fields = NFIELDS(f)    \
	}
#define BULK(t, sec, fl)                                                       \
	{                                                                      \
		.type = CRYO_REC_##t, .section = CRYO_SEC_##sec,               \
		.tail = CRYO_TAIL_BYTES, .name = #t, .default_flags = (fl),    \
		.bulk = 1                                                      \
	}

/* min_size: the fixed part of format version 1; never raise it. */
static const struct cryo_img_desc descs[] = {
	DESC(HEADER, HEADER, struct cryo_img_header, 152, REQ, NONE, NULL,
	     header_fields),
	DESC(CONTAINER, CONTAINER, struct cryo_img_container, 376, REQ, STRS,
	     "cgroups", container_fields),
	DESC(PSTREE, TREE, struct cryo_img_pstree, 24, REQ, U32, "tids",
	     pstree_fields),
	DESC(TASK, STATE, struct cryo_img_task, 56, REQ, STR, "exe",
	     task_fields),
	DESC(CREDS, STATE, struct cryo_img_creds, 88, REQ, U32, "groups",
	     creds_fields),
	DESC(MM, STATE, struct cryo_img_mm, 104, REQ, U64_PAIRS, "auxv",
	     mm_fields),
	DESC(VMA, STATE, struct cryo_img_vma, 56, REQ, STR, "path", vma_fields),
	DESC(THREAD, STATE, struct cryo_img_thread, 240, REQ, BYTES, "xsave",
	     thread_fields),
	DESC(FD, STATE, struct cryo_img_fd, 40, REQ, STR, "path", fd_fields),
	DESC(SIGACTION, STATE, struct cryo_img_sigaction, 48, REQ, NONE, NULL,
	     sigaction_fields),
	DESC(SIGINFO, STATE, struct cryo_img_siginfo, 24, REQ, BYTES, "siginfo",
	     siginfo_fields),
	DESC(ITIMER, STATE, struct cryo_img_itimer, 48, REQ, NONE, NULL,
	     itimer_fields),
	DESC(POSIX_TIMER, STATE, struct cryo_img_posix_timer, 72, REQ, NONE,
	     NULL, posix_timer_fields),
	DESC(RLIMITS, STATE, struct cryo_img_rlimits, 16, REQ, U64_PAIRS,
	     "limits", rlimits_fields),
	DESC(PROC_MISC, STATE, struct cryo_img_proc_misc, 32, REQ, STRS,
	     "paths", proc_misc_fields),
	DESC(THREAD_MISC, STATE, struct cryo_img_thread_misc, 152, REQ, U32,
	     "affinity", thread_misc_fields),
	DESC(SECCOMP_FILTER, STATE, struct cryo_img_seccomp_filter, 32, REQ,
	     BYTES, "insns", seccomp_filter_fields),
	DESC(SECCOMP_CHAIN, STATE, struct cryo_img_seccomp_chain, 24, REQ, U32,
	     "filters", seccomp_chain_fields),
	DESC(SUD, STATE, struct cryo_img_sud, 48, REQ, NONE, NULL, sud_fields),
	DESC(LSM_LABEL, STATE, struct cryo_img_lsm_label, 40, REQ, STR, "label",
	     lsm_label_fields),
	DESC(PAGEMAP, PAGES, struct cryo_img_pagemap, 24, REQ, U64_PAIRS,
	     "runs", pagemap_fields),
	BULK(PAGES, PAGES, REQ),
	BULK(PAD, ANY, 0),
	BULK(NOTE, ANY, 0),
	DESC(TRAILER, TRAILER, struct cryo_img_trailer, 32, REQ, NONE, NULL,
	     trailer_fields),
};

const struct cryo_img_desc *cryo_img_desc_get(uint16_t type)
{
	for (size_t i = 0; i < NFIELDS(descs); i++)
		if (descs[i].type == type)
			return &descs[i];
	return NULL;
}

const char *cryo_img_type_name(uint16_t type)
{
	const struct cryo_img_desc *d = cryo_img_desc_get(type);

	return d ? d->name : "UNKNOWN";
}

const struct cryo_img_desc *cryo_img_desc_table(size_t *nr)
{
	*nr = NFIELDS(descs);
	return descs;
}

/* The version-1 layouts are frozen: growing a struct changes cur_size only. */
_Static_assert(sizeof(struct cryo_img_rec_hdr) == 24, "record header");
_Static_assert(sizeof(struct cryo_img_header) == 152, "HEADER");
_Static_assert(sizeof(struct cryo_img_container) == 376, "CONTAINER");
_Static_assert(sizeof(struct cryo_img_pstree) == 24, "PSTREE");
_Static_assert(sizeof(struct cryo_img_task) == 56, "TASK");
_Static_assert(sizeof(struct cryo_img_creds) == 96, "CREDS v1 88 + 8");
_Static_assert(sizeof(struct cryo_img_mm) == 104, "MM");
_Static_assert(sizeof(struct cryo_img_vma) == 64, "VMA");
_Static_assert(sizeof(struct cryo_img_thread) == 240, "THREAD");
_Static_assert(sizeof(struct cryo_img_fd) == 48, "FD");
_Static_assert(sizeof(struct cryo_img_pagemap) == 24, "PAGEMAP");
_Static_assert(sizeof(struct cryo_img_sigaction) == 48, "SIGACTION");
_Static_assert(sizeof(struct cryo_img_siginfo) == 24, "SIGINFO");
_Static_assert(sizeof(struct cryo_img_itimer) == 48, "ITIMER");
_Static_assert(sizeof(struct cryo_img_posix_timer) == 72, "POSIX_TIMER");
_Static_assert(sizeof(struct cryo_img_rlimits) == 16, "RLIMITS");
_Static_assert(sizeof(struct cryo_img_proc_misc) == 32, "PROC_MISC");
_Static_assert(sizeof(struct cryo_img_thread_misc) == 152, "THREAD_MISC");
_Static_assert(sizeof(struct cryo_img_seccomp_filter) == 32, "SECCOMP_FILTER");
_Static_assert(sizeof(struct cryo_img_seccomp_chain) == 24, "SECCOMP_CHAIN");
_Static_assert(sizeof(struct cryo_img_sud) == 48, "SUD");
_Static_assert(sizeof(struct cryo_img_lsm_label) == 40, "LSM_LABEL");
_Static_assert(sizeof(struct cryo_img_trailer) == 32, "TRAILER");
