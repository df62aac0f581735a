// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * static_mem: private memory and the memory map survive C/R exactly.
 *
 * State: 4 MiB of anonymous memory full of a pseudo-random pattern, a sparse
 * 2 MiB mapping with only every third page touched (the others must still
 * read as zeroes), a patterned mapping made PROT_READ, a PROT_NONE guard page
 * right after the big one, and patterned .data and .bss arrays. Verified:
 * every byte, every mapping's address, length and permissions.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "crtest.h"

#define BIG_SIZE    (4UL << 20)
#define SPARSE_SIZE (2UL << 20)
#define RO_SIZE	    (256UL << 10)

enum { SEED_BIG = 1, SEED_SPARSE, SEED_RO, SEED_DATA, SEED_BSS };

/* .data (initialised, then overwritten) and .bss */
static unsigned char data_arr[64 << 10] = {1, 2, 3};
static unsigned char bss_arr[128 << 10];

static size_t page_size;

struct region {
	const char *name;
	void *addr;
	size_t len;
	char perms[5];
};

static struct region regions[4];
static unsigned int nr_regions;

static void add_region(const char *name, void *addr, size_t len)
{
	struct region *r = &regions[nr_regions++];
	int ret;

	r->name = name;
	r->addr = addr;
	r->len = len;
	ret = cr_vma_perms(addr, len, r->perms);
	if (ret)
		cr_fail("%s %p+%#zx: no uniform mapping (%s)", name, addr, len,
			strerror(-ret));
	cr_msg("%s: %p-%p %s", name, addr, (char *)addr + len, r->perms);
}

static void check_regions(void)
{
	for (unsigned int i = 0; i < nr_regions; i++) {
		struct region *r = &regions[i];
		char perms[5];
		int ret = cr_vma_perms(r->addr, r->len, perms);

		if (ret == -ENOENT)
			cr_fail("%s %p+%#zx: not (entirely) mapped any more",
				r->name, r->addr, r->len);
		else if (ret == -EINVAL)
			cr_fail("%s %p+%#zx: split into VMAs with different permissions (first %s, was %s)",
				r->name, r->addr, r->len, perms, r->perms);
		else if (ret)
			cr_fail("%s: reading /proc/self/maps: %s", r->name,
				strerror(-ret));
		else if (strcmp(perms, r->perms))
			cr_fail("%s %p+%#zx: permissions %s, were %s", r->name,
				r->addr, r->len, perms, r->perms);
	}
}

static void check_pattern(const char *name, const void *buf, size_t len,
			  uint64_t seed)
{
	size_t bad, first = cr_check_pattern(buf, len, seed, &bad);

	if (first != (size_t)-1)
		cr_fail("%s: %zu of %zu bytes differ, the first at offset %#zx (%p)",
			name, bad, len, first, (const char *)buf + first);
}

static void *map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		cr_fatal("mmap %zu bytes: %m", len);
	return p;
}

int main(int argc, char **argv)
{
	unsigned char *big, *sparse, *ro, *guard;
	uint64_t sum_big, sum_ro, sum_data, sum_bss;

	cr_init(argc, argv);
	page_size = (size_t)sysconf(_SC_PAGESIZE);

	/* the big region and its guard page: one mapping, then split */
	big = map(BIG_SIZE + page_size, PROT_READ | PROT_WRITE);
	guard = big + BIG_SIZE;
	if (mprotect(guard, page_size, PROT_NONE))
		cr_fatal("mprotect guard: %m");
	cr_fill_pattern(big, BIG_SIZE, SEED_BIG);
	sum_big = cr_hash(big, BIG_SIZE);

	sparse = map(SPARSE_SIZE, PROT_READ | PROT_WRITE);
	for (size_t off = 0; off < SPARSE_SIZE; off += 3 * page_size)
		cr_fill_pattern(sparse + off, page_size, SEED_SPARSE + off);

	ro = map(RO_SIZE, PROT_READ | PROT_WRITE);
	cr_fill_pattern(ro, RO_SIZE, SEED_RO);
	if (mprotect(ro, RO_SIZE, PROT_READ))
		cr_fatal("mprotect read-only: %m");
	sum_ro = cr_hash(ro, RO_SIZE);

	cr_fill_pattern(data_arr, sizeof(data_arr), SEED_DATA);
	cr_fill_pattern(bss_arr, sizeof(bss_arr), SEED_BSS);
	sum_data = cr_hash(data_arr, sizeof(data_arr));
	sum_bss = cr_hash(bss_arr, sizeof(bss_arr));

	add_region("big", big, BIG_SIZE);
	add_region("guard", guard, page_size);
	add_region("sparse", sparse, SPARSE_SIZE);
	add_region("read-only", ro, RO_SIZE);
	if (strcmp(regions[0].perms, "rw-p") ||
	    strcmp(regions[1].perms, "---p") ||
	    strcmp(regions[3].perms, "r--p"))
		cr_fatal("unexpected permissions after setup: %s %s %s",
			 regions[0].perms, regions[1].perms, regions[3].perms);

	cr_daemon();
	cr_wait_check();

	check_regions();
	check_pattern("big", big, BIG_SIZE, SEED_BIG);
	if (cr_hash(big, BIG_SIZE) != sum_big)
		cr_fail("big: checksum differs");
	check_pattern("read-only", ro, RO_SIZE, SEED_RO);
	if (cr_hash(ro, RO_SIZE) != sum_ro)
		cr_fail("read-only: checksum differs");
	check_pattern(".data", data_arr, sizeof(data_arr), SEED_DATA);
	if (cr_hash(data_arr, sizeof(data_arr)) != sum_data)
		cr_fail(".data: checksum differs");
	check_pattern(".bss", bss_arr, sizeof(bss_arr), SEED_BSS);
	if (cr_hash(bss_arr, sizeof(bss_arr)) != sum_bss)
		cr_fail(".bss: checksum differs");

	for (size_t off = 0; off < SPARSE_SIZE; off += page_size) {
		const unsigned char *pg = sparse + off;
		char name[64];

		snprintf(name, sizeof(name), "sparse page at +%#zx", off);
		if (off % (3 * page_size) == 0) {
			check_pattern(name, pg, page_size, SEED_SPARSE + off);
			continue;
		}
		for (size_t i = 0; i < page_size; i++) {
			if (pg[i]) {
				cr_fail("%s: never written, but byte %#zx is %#x",
					name, i, pg[i]);
				break;
			}
		}
	}
	cr_pass();
}
