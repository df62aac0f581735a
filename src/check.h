/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cryo check: the probes (check-probes*.c) and the helpers they share.
 * A probe returns 0 (present) or a negative errno, with a reason (or, when
 * present, a detail worth showing) written into @why.
 */
#ifndef CRYO_CHECK_H
#define CRYO_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uapi.h"

typedef int probe_fn(char *why, size_t len);
probe_fn check_seize, check_xstate, check_seccomp_filter,
	check_seccomp_metadata, check_seccomp_suspend, check_sud, check_rseq,
	check_sigmask, check_peeksiginfo, check_clone3_set_tid,
	check_ns_last_pid, check_pidfd, check_process_vm, check_proc_mem,
	check_kcmp, check_prctl_mm_map, check_map_files, check_memfd,
	check_userfaultfd, check_uffd_wp, check_pagemap_scan, check_soft_dirty,
	check_tcp_repair, check_namespaces, check_time_ns, check_timer_ids;

#define WHY_LEN		 256
#define CHILD_TIMEOUT_MS 2000
#define XSTATE_BUF_SIZE	 (64 << 10)
#define XSAVE_XCR0_OFF	 464 /* sw_reserved: XCR0 in the first 8 bytes */
#define TRY_PIDS	 8   /* attempts when racing others for a PID */

/* A child's setup, run right after fork; same convention as a probe. */
typedef int (*child_fn)(void *arg, char *why, size_t len);

/* What a child sends back through its pipe. */
struct child_msg {
	int ret;
	char why[WHY_LEN];
};

/* Helpers shared by the probe files (check-probes.c). */
int probe_fail(char *why, size_t len, int err, const char *what);
int probe_fail_errno(char *why, size_t len, const char *what);
size_t probe_page_size(void);
int probe_pagemap_entry(int fd, const void *addr, uint64_t *ent);
int probe_run_in_child(child_fn fn, void *arg, char *why, size_t len);
int probe_child_run(pid_t *pidp, child_fn fn, void *arg, bool stay, char *why,
		    size_t len);
void probe_child_kill(pid_t pid);

#endif
