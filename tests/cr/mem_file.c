// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mem_file: file mappings, the heap and a thread's stack survive C/R.
 *
 * State:
 *   private   a 16-page patterned file in $TMPDIR mapped MAP_PRIVATE, every
 *             page read, pages 3, 7 and 12 then written (copied on write)
 *   shared    another 8-page file mapped MAP_SHARED and written through the
 *             mapping
 *   heap      64 KiB got with sbrk() and patterned
 *   thread    a pthread with a default stack (and its PROT_NONE guard
 *             below), a patterned buffer on that stack
 * Verified:
 *   private   the contents (written pages as written, the others as the
 *             file); unwritten pages are still the file's page cache
 *             (pagemap "file-page" bit 61 once touched) and written ones
 *             are anonymous (bit 61 clear); the file itself is unchanged;
 *             the mapping's maps line (offset, device, inode, name)
 *   shared    the file and the mapping agree; a write through the mapping
 *             after the check reaches the file, and a pwrite() to the file
 *             shows in the mapping
 *   heap      sbrk(0) and the [heap] line unchanged, the data intact, and
 *             the heap can still grow (and shrink) with sbrk
 *   thread    the stack and guard areas keep their addresses and
 *             permissions, the buffer on the stack is intact (checked by
 *             the thread itself) and the thread still runs
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "crtest.h"

#define PRIV_PAGES   16
#define SHARED_PAGES 8
#define HEAP_SIZE    (64 << 10)
#define STACK_BUF    (16 << 10)

enum {
	SEED_FILE = 0xf11e,
	SEED_COW = 0xc0c0,
	SEED_SHARED = 0x5a5e,
	SEED_HEAP = 0x4ea9,
	SEED_STACK = 0x57ac
};

static const unsigned int cow_pages[] = {3, 7, 12};

static size_t psz;
static char priv_path[PATH_MAX], shared_path[PATH_MAX];
static unsigned char *priv, *shared, *heap;
static void *brk_end;
static char priv_line[512], heap_line[512];

static struct {
	pthread_t thread;
	pid_t tid;
	void *stack; /* pthread_attr_getstack */
	size_t stack_size, guard_size;
	char stack_perms[5], guard_perms[5];
	atomic_int ready, check, done;
	atomic_ulong ticks;
	int bad; /* bytes of its stack buffer that differ */
} th;

static void cleanup(void)
{
	if (priv_path[0])
		unlink(priv_path);
	if (shared_path[0])
		unlink(shared_path);
}

static bool is_cow(size_t page)
{
	for (size_t i = 0; i < sizeof(cow_pages) / sizeof(*cow_pages); i++)
		if (cow_pages[i] == page)
			return true;
	return false;
}

static int make_file(char *path, const char *name, size_t len, uint64_t seed)
{
	const char *tmp = getenv("TMPDIR");
	unsigned char *buf;
	int fd;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(path, PATH_MAX, "%s/%s.XXXXXX", tmp, name);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		cr_fatal("mkostemp %s: %m", path);
	buf = malloc(len);
	if (!buf)
		cr_fatal("malloc: %m");
	cr_fill_pattern(buf, len, seed);
	if (write(fd, buf, len) != (ssize_t)len)
		cr_fatal("write %s: %m", path);
	free(buf);
	return fd;
}

/* The line of /proc/self/maps that starts at addr. */
static void maps_line(const void *addr, char *out, size_t size)
{
	static char maps[256 << 10];
	char key[32], *p;
	ssize_t n = cr_read_file("/proc/self/maps", maps, sizeof(maps));

	out[0] = '\0';
	if (n < 0)
		cr_fatal("read /proc/self/maps: %s", strerror((int)-n));
	snprintf(key, sizeof(key), "%lx-", (unsigned long)addr);
	for (p = maps; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, strlen(key))) {
			snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
			return;
		}
	}
}

static void *thread_fn(void *arg)
{
	unsigned char buf[STACK_BUF];
	pthread_attr_t attr;
	size_t bad;

	cr_fill_pattern(buf, sizeof(buf), SEED_STACK);
	th.tid = cr_gettid();
	if (pthread_getattr_np(pthread_self(), &attr) ||
	    pthread_attr_getstack(&attr, &th.stack, &th.stack_size) ||
	    pthread_attr_getguardsize(&attr, &th.guard_size))
		cr_fatal("pthread_getattr_np failed");
	pthread_attr_destroy(&attr);
	atomic_store(&th.ready, 1);
	while (!atomic_load(&th.check)) {
		atomic_fetch_add(&th.ticks, 1);
		cr_msleep(2);
	}
	cr_check_pattern(buf, sizeof(buf), SEED_STACK, &bad);
	th.bad = (int)bad;
	atomic_store(&th.done, 1);
	return NULL;
}

static void setup_private(void)
{
	int fd = make_file(priv_path, "cr-mem-private", PRIV_PAGES * psz,
			   SEED_FILE);
	volatile unsigned char sink = 0;

	priv = mmap(NULL, PRIV_PAGES * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		    fd, 0);
	if (priv == MAP_FAILED)
		cr_fatal("mmap private: %m");
	close(fd);
	for (size_t i = 0; i < PRIV_PAGES; i++)
		sink += priv[i * psz];
	(void)sink;
	for (size_t i = 0; i < PRIV_PAGES; i++)
		if (is_cow(i))
			cr_fill_pattern(priv + i * psz, psz, SEED_COW + i);
	maps_line(priv, priv_line, sizeof(priv_line));
	cr_msg("private: %s", priv_line);
}

static void setup_shared(void)
{
	int fd = make_file(shared_path, "cr-mem-shared", SHARED_PAGES * psz, 0);

	shared = mmap(NULL, SHARED_PAGES * psz, PROT_READ | PROT_WRITE,
		      MAP_SHARED, fd, 0);
	if (shared == MAP_FAILED)
		cr_fatal("mmap shared: %m");
	close(fd);
	cr_fill_pattern(shared, SHARED_PAGES * psz, SEED_SHARED);
}

static void check_private(void)
{
	unsigned char *buf = malloc(psz), *want = malloc(PRIV_PAGES * psz);
	char line[512];
	size_t bad;
	int fd;

	if (!buf || !want)
		cr_fatal("malloc: %m");
	/* the file's bytes */
	cr_fill_pattern(want, PRIV_PAGES * psz, SEED_FILE);

	maps_line(priv, line, sizeof(line));
	if (strcmp(line, priv_line))
		cr_fail("private: maps line '%s', was '%s'", line, priv_line);
	for (size_t i = 0; i < PRIV_PAGES; i++) {
		unsigned char *pg = priv + i * psz;
		volatile unsigned char sink;
		uint64_t pm;

		if (is_cow(i)) {
			if (cr_check_pattern(pg, psz, SEED_COW + i, &bad) !=
			    (size_t)-1)
				cr_fail("private page %zu (written): %zu bytes differ",
					i, bad);
		} else if (memcmp(pg, want + i * psz, psz)) {
			cr_fail("private page %zu (not written) differs from the file",
				i);
		}
		sink = pg[0]; /* present now, whatever it was */
		(void)sink;
		if (cr_pagemap(pg, &pm)) {
			cr_fail("pagemap: %m");
			continue;
		}
		if (!(pm & CR_PM_PRESENT))
			cr_fail("private page %zu: not present after a read",
				i);
		else if (is_cow(i) && (pm & CR_PM_FILE))
			cr_fail("private page %zu was written but is a file page again (pagemap %#llx)",
				i, (unsigned long long)pm);
		else if (!is_cow(i) && !(pm & CR_PM_FILE))
			cr_fail("private page %zu was never written but is anonymous now, no longer the file's (pagemap %#llx)",
				i, (unsigned long long)pm);
	}
	/* the file never saw the private writes */
	fd = open(priv_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cr_fail("open %s: %m", priv_path);
	} else {
		for (size_t i = 0; i < PRIV_PAGES; i++)
			if (pread(fd, buf, psz, (off_t)(i * psz)) !=
				    (ssize_t)psz ||
			    memcmp(buf, want + i * psz, psz))
				cr_fail("%s: page %zu changed", priv_path, i);
		close(fd);
	}
	free(want);
	free(buf);
}

static void check_shared(void)
{
	size_t len = SHARED_PAGES * psz, bad;
	unsigned char *buf = malloc(len);
	int fd = open(shared_path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || !buf) {
		cr_fail("open %s: %m", shared_path);
		free(buf);
		return;
	}
	if (cr_check_pattern(shared, len, SEED_SHARED, &bad) != (size_t)-1)
		cr_fail("shared mapping: %zu bytes differ", bad);
	if (pread(fd, buf, len, 0) != (ssize_t)len)
		cr_fail("pread %s: %m", shared_path);
	else if (memcmp(buf, shared, len))
		cr_fail("shared: the file and the mapping differ");
	/* through the mapping to the file */
	memcpy(shared + 5 * psz + 100, "after-restore", 13);
	if (msync(shared, len, MS_SYNC))
		cr_fail("msync: %m");
	if (pread(fd, buf, 13, (off_t)(5 * psz + 100)) != 13 ||
	    memcmp(buf, "after-restore", 13))
		cr_fail("shared: a write through the mapping does not reach the file");
	/* through the file to the mapping */
	if (pwrite(fd, "via-the-file", 12, (off_t)(2 * psz + 7)) != 12)
		cr_fail("pwrite %s: %m", shared_path);
	else if (memcmp(shared + 2 * psz + 7, "via-the-file", 12))
		cr_fail("shared: a write to the file does not show in the mapping");
	close(fd);
	free(buf);
}

static void check_heap(void *end_now)
{
	char line[512];
	size_t bad;
	void *p;

	if (end_now != brk_end)
		cr_fail("heap: sbrk(0) is %p, was %p", end_now, brk_end);
	maps_line((void *)((uintptr_t)heap_line[0]
				   ? strtoul(heap_line, NULL, 16)
				   : 0),
		  line, sizeof(line));
	if (strcmp(line, heap_line))
		cr_fail("heap: maps line '%s', was '%s'", line, heap_line);
	if (cr_check_pattern(heap, HEAP_SIZE, SEED_HEAP, &bad) != (size_t)-1)
		cr_fail("heap: %zu of %d bytes differ", bad, HEAP_SIZE);
	p = sbrk((intptr_t)(16 * psz));
	if (p == (void *)-1) {
		cr_fail("heap: sbrk cannot grow it any more: %m");
		return;
	}
	memset(p, 0x5c, 16 * psz);
	if (sbrk(-(intptr_t)(16 * psz)) == (void *)-1)
		cr_fail("heap: sbrk cannot shrink it: %m");
}

static void check_thread(void)
{
	char perms[5];
	unsigned long start = atomic_load(&th.ticks);
	int64_t end = cr_now_ns(CLOCK_MONOTONIC) + 5000000000LL;
	int ret;

	ret = cr_vma_perms(th.stack, th.stack_size, perms);
	if (ret || strcmp(perms, th.stack_perms))
		cr_fail("thread stack %p+%#zx: %s %s, was %s", th.stack,
			th.stack_size, ret ? strerror(-ret) : "perms", perms,
			th.stack_perms);
	ret = cr_vma_perms((char *)th.stack - th.guard_size, th.guard_size,
			   perms);
	if (ret || strcmp(perms, th.guard_perms))
		cr_fail("thread stack guard %p+%#zx: %s %s, was %s",
			(char *)th.stack - th.guard_size, th.guard_size,
			ret ? strerror(-ret) : "perms", perms, th.guard_perms);
	while (atomic_load(&th.ticks) == start &&
	       cr_now_ns(CLOCK_MONOTONIC) < end)
		cr_msleep(1);
	if (atomic_load(&th.ticks) == start)
		cr_fail("thread %d does not run (ticks stuck at %lu)", th.tid,
			start);
	atomic_store(&th.check, 1);
	if (pthread_join(th.thread, NULL))
		cr_fail("join thread: %m");
	else if (th.bad)
		cr_fail("thread: %d bytes of the buffer on its stack differ",
			th.bad);
}

int main(int argc, char **argv)
{
	void *end_now;
	int err;

	cr_init(argc, argv);
	psz = (size_t)sysconf(_SC_PAGESIZE);
	atexit(cleanup);

	setup_private();
	setup_shared();

	err = pthread_create(&th.thread, NULL, thread_fn, NULL);
	if (err)
		cr_fatal("pthread_create: %s", strerror(err));
	while (!atomic_load(&th.ready))
		cr_msleep(1);
	if (th.guard_size == 0)
		cr_skip("the thread stack has no guard page (glibc default changed?)");
	if (cr_vma_perms(th.stack, th.stack_size, th.stack_perms) ||
	    cr_vma_perms((char *)th.stack - th.guard_size, th.guard_size,
			 th.guard_perms) ||
	    strcmp(th.guard_perms, "---p") || strcmp(th.stack_perms, "rw-p"))
		cr_fatal(
			"thread stack %p+%#zx (%s), guard %#zx (%s): not the expected layout",
			th.stack, th.stack_size, th.stack_perms, th.guard_size,
			th.guard_perms);
	cr_msg("thread %d: stack %p+%#zx, guard %#zx", th.tid, th.stack,
	       th.stack_size, th.guard_size);

	/* the heap last: nothing may malloc between here and the check */
	heap = sbrk(HEAP_SIZE);
	if (heap == (void *)-1)
		cr_fatal("sbrk: %m");
	cr_fill_pattern(heap, HEAP_SIZE, SEED_HEAP);
	brk_end = sbrk(0);
	{
		static char maps[256 << 10];
		ssize_t n = cr_read_file("/proc/self/maps", maps, sizeof(maps));
		char *p = n > 0 ? strstr(maps, "[heap]") : NULL;

		if (!p)
			cr_fatal("no [heap] in /proc/self/maps");
		while (p > maps && p[-1] != '\n')
			p--;
		snprintf(heap_line, sizeof(heap_line), "%.*s",
			 (int)strcspn(p, "\n"), p);
	}
	cr_msg("heap: %s, sbrk(0) %p", heap_line, brk_end);

	cr_daemon();
	cr_wait_check();

	end_now = sbrk(0); /* before anything can malloc */
	check_heap(end_now);
	check_private();
	check_shared();
	check_thread();
	cr_pass();
}
