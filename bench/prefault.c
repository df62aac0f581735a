/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * prefault: touches MIB MiB of fresh anonymous memory and frees it, right
 * before a timed run. This machine is a VM whose freed memory goes back to
 * the host (virtio-balloon free page reporting, about 2 s after the free);
 * the first write to such a page costs a host fault, which made a 1 GiB dd
 * 1.2 s instead of 0.2 s. After prefault the free lists start with pages
 * the host backs, so every tool (dd, cryo, CRIU) meets the same warm state.
 *
 * usage: prefault MIB
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	size_t len, i;
	char *p;

	if (argc != 2) {
		fprintf(stderr, "usage: prefault MIB\n");
		return 2;
	}
	len = strtoul(argv[1], NULL, 10) << 20;
	if (!len)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		perror("prefault: mmap");
		return 1;
	}
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	return munmap(p, len) ? 1 : 0;
}
