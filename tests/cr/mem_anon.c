// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mem_anon: private anonymous memory, its page population and its VMA
 * attributes survive C/R exactly.
 *
 * State (each area its own mmap, filled with its own pattern):
 *   pattern   2 MiB read-write
 *   sparse    64 pages of which only pages 0, 10 and 20 were ever touched
 *   guard     PROT_NONE, never touched
 *   hidden    written, then made PROT_NONE (its data must come back)
 *   readonly  written, then made PROT_READ
 *   growsdown MAP_GROWSDOWN ("gd")
 *   dontfork, dontdump, wipeonfork, hugepage, nohugepage: madvise flags
 *             (VmFlags dc, dd, wf, hg, nh)
 *   locked    mlock-ed ("lo")
 * Verified: /proc/self/maps is identical line by line (addresses, perms,
 * offset, device, inode, name) to the one saved at the end of the setup;
 * every area's data; every area's full VmFlags from /proc/self/smaps (and
 * that each carries the flag it was given); the untouched pages of sparse
 * are still not populated (pagemap: neither present nor swapped) while the
 * touched ones are; and, in a child forked after the check, wipeonfork
 * reads as zeroes and dontfork is not mapped.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crtest.h"

#define MAPS_MAX (256 << 10)
#define NR_AREAS 13

struct area {
	const char *name;
	size_t pages;
	int prot;	  /* while filling */
	int final_prot;	  /* after filling */
	int flags;	  /* extra mmap flags */
	int advice;	  /* -1: none */
	const char *flag; /* the VmFlags entry it must carry, or NULL */
	bool fill;	  /* every page patterned */
	bool lock;
	unsigned char *addr;
	char vmflags[256];
};

static size_t psz;

static struct area areas[NR_AREAS] = {
	{"pattern", 512, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, 0, -1,
	 NULL, true},
	{"sparse", 64, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, 0, -1,
	 NULL, false},
	{"guard", 4, PROT_NONE, PROT_NONE, 0, -1, NULL, false},
	{"hidden", 4, PROT_READ | PROT_WRITE, PROT_NONE, 0, -1, NULL, true},
	{"readonly", 8, PROT_READ | PROT_WRITE, PROT_READ, 0, -1, NULL, true},
	{"growsdown", 16, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
	 MAP_GROWSDOWN, -1, "gd", true},
	{"dontfork", 4, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, 0,
	 MADV_DONTFORK, "dc", true},
	{"dontdump", 4, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, 0,
	 MADV_DONTDUMP, "dd", true},
	{"wipeonfork", 4, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, 0,
	 MADV_WIPEONFORK, "wf", true},
	{"hugepage", 4, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, 0,
	 MADV_HUGEPAGE, "hg", true},
	{"nohugepage", 4, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, 0,
	 MADV_NOHUGEPAGE, "nh", true},
	{"locked", 4, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, 0, -1,
	 "lo", true, true},
	{"readonly2", 2, PROT_READ, PROT_READ, 0, -1, NULL, false},
};

static const unsigned int sparse_touched[] = {0, 10, 20};

static char maps_before[MAPS_MAX], maps_after[MAPS_MAX];

static struct area *find(const char *name)
{
	for (int i = 0; i < NR_AREAS; i++)
		if (!strcmp(areas[i].name, name))
			return &areas[i];
	cr_fatal("no area %s", name);
}

static uint64_t seed_of(const struct area *a)
{
	return 0xa2ea0000 + (uint64_t)(a - areas);
}

static bool sparse_is_touched(size_t page)
{
	for (size_t i = 0; i < sizeof(sparse_touched) / sizeof(*sparse_touched);
	     i++)
		if (sparse_touched[i] == page)
			return true;
	return false;
}

static void setup_area(struct area *a)
{
	size_t len = a->pages * psz;

	a->addr = mmap(NULL, len, a->prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | a->flags, -1, 0);
	if (a->addr == MAP_FAILED)
		cr_fatal("mmap %s: %m", a->name);
	if (a->fill)
		cr_fill_pattern(a->addr, len, seed_of(a));
	if (!strcmp(a->name, "sparse"))
		for (size_t i = 0; i < a->pages; i++)
			if (sparse_is_touched(i))
				cr_fill_pattern(a->addr + i * psz, psz,
						seed_of(a) + i);
	if (a->advice >= 0 && madvise(a->addr, len, a->advice)) {
		if (errno == EINVAL)
			cr_skip("madvise %s: not supported by this kernel",
				a->name);
		cr_fatal("madvise %s: %m", a->name);
	}
	/* the system call: AddressSanitizer turns mlock() into a no-op */
	if (a->lock && syscall(SYS_mlock, a->addr, len)) {
		if (errno == EPERM || errno == ENOMEM)
			cr_skip("mlock %zu bytes: %m", len);
		cr_fatal("mlock: %m");
	}
	if (a->final_prot != a->prot && mprotect(a->addr, len, a->final_prot))
		cr_fatal("mprotect %s: %m", a->name);
}

/* A hard stack use now, so that the check does not grow [stack] later. */
static __attribute__((noinline)) void grow_stack(void)
{
	volatile char buf[128 << 10];

	memset((char *)buf, 1, sizeof(buf));
}

static void read_maps(char *buf)
{
	ssize_t n = cr_read_file("/proc/self/maps", buf, MAPS_MAX);

	if (n < 0)
		cr_fatal("read /proc/self/maps: %s", strerror((int)-n));
}

/* Line by line: every line that differs, and lines only in one of them. */
static void compare_maps(char *before, char *after)
{
	char *sb, *sa;
	char *lb = strtok_r(before, "\n", &sb);
	char *la = strtok_r(after, "\n", &sa);

	while (lb || la) {
		if (!la)
			cr_fail("maps: area gone: %s", lb);
		else if (!lb)
			cr_fail("maps: new area: %s", la);
		else if (strcmp(la, lb))
			cr_fail("maps: '%s', was '%s'", la, lb);
		if (lb)
			lb = strtok_r(NULL, "\n", &sb);
		if (la)
			la = strtok_r(NULL, "\n", &sa);
	}
}

static void check_data(struct area *a)
{
	size_t len = a->pages * psz, bad, first;

	if (!strcmp(a->name, "sparse")) {
		for (size_t i = 0; i < a->pages; i++) {
			if (!sparse_is_touched(i))
				continue;
			first = cr_check_pattern(a->addr + i * psz, psz,
						 seed_of(a) + i, &bad);
			if (first != (size_t)-1)
				cr_fail("sparse page %zu: %zu bytes differ", i,
					bad);
		}
		return;
	}
	if (!a->fill)
		return;
	if (a->final_prot == PROT_NONE && mprotect(a->addr, len, PROT_READ)) {
		cr_fail("%s: mprotect to read it: %m", a->name);
		return;
	}
	first = cr_check_pattern(a->addr, len, seed_of(a), &bad);
	if (first != (size_t)-1)
		cr_fail("%s: %zu of %zu bytes differ, the first at %#zx",
			a->name, bad, len, first);
	if (a->final_prot == PROT_NONE)
		mprotect(a->addr, len, PROT_NONE);
}

/* The population of sparse, before any of its untouched pages is read. */
static void check_sparse_population(struct area *a)
{
	for (size_t i = 0; i < a->pages; i++) {
		uint64_t pm;
		int ret = cr_pagemap(a->addr + i * psz, &pm);
		bool populated = pm & (CR_PM_PRESENT | CR_PM_SWAP);

		if (ret) {
			cr_fail("pagemap: %s", strerror(-ret));
			return;
		}
		if (sparse_is_touched(i) && !populated)
			cr_fail("sparse page %zu (touched) is not present (pagemap %#llx)",
				i, (unsigned long long)pm);
		else if (!sparse_is_touched(i) && populated)
			cr_fail("sparse page %zu was never touched but is populated now (pagemap %#llx)",
				i, (unsigned long long)pm);
	}
}

static void check_vmflags(struct area *a, bool setup)
{
	char now[256];
	int ret = cr_vma_flags(a->addr, now, sizeof(now));

	if (ret) {
		cr_fail("%s: VmFlags: %s", a->name, strerror(-ret));
		return;
	}
	if (setup) {
		snprintf(a->vmflags, sizeof(a->vmflags), "%s", now);
		cr_msg("%s: %p, %zu pages, VmFlags%s", a->name, a->addr,
		       a->pages, now);
	} else if (strcmp(now, a->vmflags)) {
		cr_fail("%s: VmFlags '%s', were '%s'", a->name, now,
			a->vmflags);
	}
	if (a->flag && !cr_vmflag_has(now, a->flag))
		cr_fail("%s: VmFlags '%s' lack '%s'", a->name, now, a->flag);
}

/* A child sees wipeonfork as zeroes and no dontfork. */
static void check_fork(void)
{
	struct area *wf = find("wipeonfork"), *dc = find("dontfork");
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		cr_fail("fork: %m");
		return;
	}
	if (pid == 0) {
		char perms[5];

		for (size_t i = 0; i < wf->pages * psz; i++)
			if (wf->addr[i])
				_exit(10);
		if (cr_vma_perms(dc->addr, dc->pages * psz, perms) != -ENOENT)
			_exit(11);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid) {
		cr_fail("waitpid: %m");
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
		cr_fail("wipeonfork: not wiped in a child forked after the check");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 11)
		cr_fail("dontfork: still mapped in a child forked after the check");
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		cr_fail("fork check: child status %#x", status);
}

int main(int argc, char **argv)
{
	cr_init(argc, argv);
	psz = (size_t)sysconf(_SC_PAGESIZE);

	for (int i = 0; i < NR_AREAS; i++)
		setup_area(&areas[i]);
	for (int i = 0; i < NR_AREAS; i++)
		check_vmflags(&areas[i], true);
	check_sparse_population(find("sparse"));
	grow_stack();

	cr_daemon();
	read_maps(maps_before);
	cr_wait_check();

	/* first, before anything could map or grow something */
	read_maps(maps_after);
	compare_maps(maps_before, maps_after);
	check_sparse_population(find("sparse"));
	for (int i = 0; i < NR_AREAS; i++)
		check_vmflags(&areas[i], false);
	for (int i = 0; i < NR_AREAS; i++)
		check_data(&areas[i]);
	check_fork();
	cr_pass();
}
