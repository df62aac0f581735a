// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mem_shared_anon: a MAP_SHARED|MAP_ANONYMOUS area survives C/R with its
 * data and stays shared.
 *
 * State: a 1 MiB shared anonymous area full of a pattern (one process; the
 * mapping is shared with no one yet), and a 64 KiB one of which only the
 * first page was touched.
 * Verified: the maps lines keep address, permissions ("rw-s") and name
 * ("/dev/zero (deleted)"; the inode may change); the data; every touched
 * page is present and a shared-memory page (pagemap bit 61, which a private
 * anonymous page never has); and the area is really shared: a child forked
 * after the check writes into it and the parent sees the write, then the
 * parent writes and the child sees it (a private copy would hide both).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crtest.h"

#define BIG_SIZE   (1 << 20)
#define SMALL_SIZE (64 << 10)
#define SEED	   0x54a4ed

static unsigned char *big, *small;
static size_t psz;

/* "start-end perms offset dev inode name" minus the inode */
static void maps_entry(const void *addr, char *perms, char *name, size_t size)
{
	static char maps[256 << 10];
	char key[32], *p;
	ssize_t n = cr_read_file("/proc/self/maps", maps, sizeof(maps));

	perms[0] = name[0] = '\0';
	if (n < 0)
		return;
	snprintf(key, sizeof(key), "%lx-", (unsigned long)addr);
	for (p = maps; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char pm[8], off[20], dev[16];
		unsigned long ino;
		int used = 0;

		if (strncmp(p, key, strlen(key)))
			continue;
		if (sscanf(p, "%*s %7s %19s %15s %lu %n", pm, off, dev, &ino,
			   &used) < 4)
			return;
		snprintf(perms, 8, "%s", pm);
		snprintf(name, size, "%.*s", (int)strcspn(p + used, "\n"),
			 p + used);
		return;
	}
}

static void check_maps(const char *what, const void *addr)
{
	char perms[8], name[256];

	maps_entry(addr, perms, name, sizeof(name));
	if (!perms[0])
		cr_fail("%s: no area starts at %p any more", what, addr);
	else if (strcmp(perms, "rw-s"))
		cr_fail("%s: permissions %s, expected rw-s", what, perms);
	else if (strncmp(name, "/dev/zero", 9))
		cr_fail("%s: named '%s', expected /dev/zero (deleted)", what,
			name);
}

static void check_shmem_page(const char *what, const void *addr)
{
	uint64_t pm;

	if (cr_pagemap(addr, &pm))
		cr_fail("pagemap: %m");
	else if (!(pm & CR_PM_PRESENT))
		cr_fail("%s: page %p not present", what, addr);
	else if (!(pm & CR_PM_FILE))
		cr_fail("%s: page %p is private anonymous memory now (pagemap %#llx)",
			what, addr, (unsigned long long)pm);
}

/* Both directions of sharing with a child forked now. */
static void check_sharing(void)
{
	volatile unsigned char *flag = big + BIG_SIZE - 64;
	unsigned char saved[64];
	int64_t end;
	int status;
	pid_t pid;

	memcpy(saved, (void *)flag, sizeof(saved));
	flag[0] = 0;
	pid = fork();
	if (pid < 0) {
		cr_fail("fork: %m");
		return;
	}
	if (pid == 0) {
		/* tell the parent, then wait for its answer */
		end = cr_now_ns(CLOCK_MONOTONIC) + 5000000000LL;
		__atomic_store_n(&flag[0], 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&flag[0], __ATOMIC_SEQ_CST) != 2)
			if (cr_now_ns(CLOCK_MONOTONIC) > end)
				_exit(3);
		_exit(0);
	}
	end = cr_now_ns(CLOCK_MONOTONIC) + 5000000000LL;
	while (__atomic_load_n(&flag[0], __ATOMIC_SEQ_CST) != 1 &&
	       cr_now_ns(CLOCK_MONOTONIC) < end)
		;
	if (__atomic_load_n(&flag[0], __ATOMIC_SEQ_CST) != 1)
		cr_fail("a child's write to the shared area is not seen by the parent: the area is private now");
	else
		__atomic_store_n(&flag[0], 2, __ATOMIC_SEQ_CST);
	if (waitpid(pid, &status, 0) != pid)
		cr_fail("waitpid: %m");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		cr_fail("the parent's write to the shared area is not seen by the child");
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		cr_fail("child status %#x", status);
	memcpy((void *)flag, saved, sizeof(saved));
}

int main(int argc, char **argv)
{
	size_t bad;

	cr_init(argc, argv);
	psz = (size_t)sysconf(_SC_PAGESIZE);
	big = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	small = mmap(NULL, SMALL_SIZE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED || small == MAP_FAILED)
		cr_fatal("mmap shared anonymous: %m");
	cr_fill_pattern(big, BIG_SIZE, SEED);
	cr_fill_pattern(small, psz, SEED + 1);
	check_maps("big", big);
	check_maps("small", small);
	for (size_t off = 0; off < BIG_SIZE; off += psz)
		check_shmem_page("big", big + off);
	check_shmem_page("small", small);

	cr_daemon();
	cr_wait_check();

	check_maps("big", big);
	check_maps("small", small);
	for (size_t off = 0; off < BIG_SIZE; off += psz)
		check_shmem_page("big", big + off);
	check_shmem_page("small", small);
	if (cr_check_pattern(big, BIG_SIZE, SEED, &bad) != (size_t)-1)
		cr_fail("big: %zu of %d bytes differ", bad, BIG_SIZE);
	if (cr_check_pattern(small, psz, SEED + 1, &bad) != (size_t)-1)
		cr_fail("small: %zu bytes of the touched page differ", bad);
	for (size_t i = psz; i < SMALL_SIZE; i++)
		if (small[i]) {
			cr_fail("small: byte %#zx of an untouched page is %#x",
				i, small[i]);
			break;
		}
	check_sharing();
	/* the sharing check restored what it used */
	if (cr_check_pattern(big, BIG_SIZE, SEED, &bad) != (size_t)-1)
		cr_fail("big: %zu bytes differ after the sharing check", bad);
	cr_pass();
}
