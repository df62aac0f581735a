/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel interfaces newer than the installed headers (Linux 6.1 uapi,
 * glibc 2.36) while the kernel runs 6.18: constants and structs with the
 * values of the running kernel's uapi. Structs carry cryo_ names so that
 * newer headers cannot clash.
 */
#ifndef CRYO_UAPI_H
#define CRYO_UAPI_H

#include <stdint.h>
#include <linux/ioctl.h>

/* ptrace and SUD interfaces: shared with the injection engine. */
#include "../lib/inject/uapi.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH  59
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#endif
#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS	77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON	1
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* pagemap bits, Documentation/admin-guide/mm/pagemap.rst */
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_UFFD_WP    (1ULL << 57)

/*
 * PAGEMAP_SCAN (Linux 6.7), with cryo's own names for the uapi structs
 * of include/uapi/linux/fs.h so that newer headers cannot clash.
 */
struct cryo_page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct cryo_pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define CRYO_PAGEMAP_SCAN     _IOWR('f', 16, struct cryo_pm_scan_arg)
#define PM_SCAN_WP_MATCHING   (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#define PAGE_IS_WRITTEN	      (1 << 1)
#define PAGE_IS_FILE	      (1 << 2)
#define PAGE_IS_PRESENT	      (1 << 3)
#define PAGE_IS_SWAPPED	      (1 << 4)
#define PAGE_IS_GUARD	      (1 << 8) /* Linux 6.15 */

/* struct clone_args up to set_tid_size (CLONE_ARGS_SIZE_VER1) */
struct cryo_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
};

#endif
