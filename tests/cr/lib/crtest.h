/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crtest: the harness side of cryo's checkpoint/restore test programs, in the
 * shape of CRIU's zdtm tests:
 *
 *	cr_init(argc, argv);	parse options, block SIGTERM, go to background
 *	...set up the state under test...
 *	cr_daemon();		write the pidfile, tell the launcher "ready"
 *	cr_wait_check();	sleep until SIGTERM (the runner dumps, restores)
 *	...verify the state, cr_fail() for every difference...
 *	cr_pass();		PASS if nothing failed, else FAIL
 *
 * Options: --pidfile FILE (the pid of the test process, written atomically by
 * cr_daemon) and --outfile FILE (log messages and the verdict line). With a
 * pidfile the program forks: the launcher exits 0 when the test is ready,
 * 77 if it skipped during setup and 1 if setup failed. Without one it stays in
 * the foreground and logs to stderr (for running a test by hand:
 * `./threads & sleep 1; kill -TERM %1`).
 *
 * The test process is a session and process group leader (setsid), so its
 * tree is self-contained: a restore does not need to join a foreign session.
 *
 * The verdict is one line appended to the outfile: "PASS", "FAIL: what" or
 * "SKIP: why"; the exit status is 0, 1 or 77 (strace's convention).
 *
 * SIGTERM (CR_CHECK_SIGNAL) stays blocked in every thread for the whole life
 * of the test: cr_init blocks it before anything else, threads inherit the
 * mask, and a test that sets its own masks must keep it blocked (see
 * cr_check_sigset()).
 */
#ifndef CRTEST_H
#define CRTEST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define CR_CHECK_SIGNAL SIGTERM

/*
 * With --pidfile, the pipe that tells the launcher "ready" is the test's one
 * fd besides 0-2 until cr_daemon() closes it; it is kept at this number or
 * above, out of the way of the fds a test opens itself. The launcher exits
 * only once it is closed, so a test must not fork before cr_daemon() (the
 * child would hold it).
 */
#define CR_READY_FD 512

#define CR_EXIT_PASS 0
#define CR_EXIT_FAIL 1
#define CR_EXIT_SKIP 77

#define __cr_printf(a, b) __attribute__((format(printf, a, b)))
#define __cr_noreturn	  __attribute__((noreturn))

/* Parses the options, blocks SIGTERM and, with --pidfile, daemonizes. */
void cr_init(int argc, char **argv);

/* The state is set up: write the pidfile, release the launcher. */
void cr_daemon(void);

/* Waits (without losing it) for the check request: SIGTERM. */
void cr_wait_check(void);

/* A log line in the outfile: "<test>[pid]: message". Thread-safe. */
void cr_msg(const char *fmt, ...) __cr_printf(1, 2);

/*
 * Records one difference and carries on, so a run reports everything that
 * differs. Before cr_daemon() it ends the test at once (setup failed).
 */
void cr_fail(const char *fmt, ...) __cr_printf(1, 2);

/* Number of cr_fail() calls so far. */
unsigned int cr_failures(void);

/* Ends the test: "PASS" and 0, or "FAIL: <first difference>" and 1. */
void cr_pass(void) __cr_noreturn;

/* Ends the test at once with "FAIL: message" (an unexpected error). */
void cr_fatal(const char *fmt, ...) __cr_printf(1, 2) __cr_noreturn;

/* Ends the test with "SKIP: reason" and 77. */
void cr_skip(const char *fmt, ...) __cr_printf(1, 2) __cr_noreturn;

/* The signal set cr_init blocked: { CR_CHECK_SIGNAL }. */
void cr_check_sigset(sigset_t *set);

/* The test's name: the basename of argv[0]. */
const char *cr_name(void);

/* gettid() without needing a recent glibc. */
pid_t cr_gettid(void);

/*
 * Helpers for verifying state.
 */

/* A deterministic pseudo-random byte pattern (xorshift64*) and its check. */
void cr_fill_pattern(void *buf, size_t len, uint64_t seed);
/* Returns the offset of the first byte that differs, or (size_t)-1. */
size_t cr_check_pattern(const void *buf, size_t len, uint64_t seed,
			size_t *nr_bad);

/* FNV-1a 64 over a buffer. */
uint64_t cr_hash(const void *buf, size_t len);

/*
 * The permissions ("rwxp" form, as in /proc/self/maps) of [addr, addr+len):
 * 0 if the range is entirely mapped by VMAs that all have the same
 * permissions (written to perms[5]), -ENOENT if a part is unmapped,
 * -EINVAL if the VMAs differ (perms then has the first one's), or another
 * negative errno if /proc/self/maps cannot be read.
 */
int cr_vma_perms(const void *addr, size_t len, char perms[5]);

/*
 * Reads "Field:" of /proc/self/task/TID/status (tid 0: /proc/self/status)
 * into buf, without the name and leading blanks. 0 or a negative errno.
 */
int cr_proc_status(pid_t tid, const char *field, char *buf, size_t size);

/* A signal set as the kernel's hex mask ("0000000000010000"). */
void cr_sigset_hex(const sigset_t *set, char buf[17]);

/* Sleeps for ms milliseconds, restarting after signals. */
void cr_msleep(unsigned int ms);

/*
 * Reads a whole (small) file into buf with plain open/read, no stdio and no
 * malloc, so that reading /proc/self/maps does not change the heap. The
 * content is NUL-terminated; returns its length, -ENOSPC if it does not fit,
 * or another negative errno.
 */
ssize_t cr_read_file(const char *path, char *buf, size_t size);

/*
 * The "VmFlags:" value (" rd wr mr ...") of the VMA that contains addr, from
 * /proc/self/smaps. 0, -ENOENT if no VMA contains addr, or a negative errno.
 */
int cr_vma_flags(const void *addr, char *buf, size_t size);

/* Whether a VmFlags value holds the two-letter flag ("lo", "dd"...). */
bool cr_vmflag_has(const char *flags, const char *flag);

/* The /proc/self/pagemap entry of the page at addr (bits as in pagemap.rst). */
#define CR_PM_PRESENT	(1ULL << 63)
#define CR_PM_SWAP	(1ULL << 62)
#define CR_PM_FILE	(1ULL << 61) /* file page or shared anonymous */
#define CR_PM_EXCLUSIVE (1ULL << 56)
int cr_pagemap(const void *addr, uint64_t *entry);

/*
 * The system call thread tid (of this process) is blocked in, from
 * /proc/self/task/TID/syscall: 0 and *nr, -EBUSY if it runs in user space,
 * or a negative errno.
 */
int cr_thread_syscall(pid_t tid, long *nr);

/* clock_gettime(clock) in nanoseconds. */
int64_t cr_now_ns(clockid_t clock);

#endif /* CRTEST_H */
