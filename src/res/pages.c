// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page data: the PAGEMAP and PAGES records of a task. Pages are saved when
 * present or swapped and not just a copy of the file behind them: for a
 * private file mapping only the pages written since (the anonymous copies,
 * pagemap bit 61 clear) are saved; a shared mapping of a file that still
 * exists is the file's business. Kernel-provided areas ([vdso], [vvar],
 * [vvar_vclock], [vsyscall]) are never saved: restore on the same kernel
 * finds them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../dump.h"
#include "../log.h"
#include "mm.h"

#define PAGE_SIZE     4096ull
#define PM_PRESENT    (1ull << 63)
#define PM_SWAP	      (1ull << 62)
#define PM_FILE	      (1ull << 61) /* file page or shared anonymous */
#define BATCH_PAGES   1024u	   /* 4 MiB of page data per PAGES record */
#define PAGEMAP_CHUNK 4096u	   /* pagemap entries read at a time */

/* Pages collected for one PAGEMAP + PAGES pair. */
struct batch {
	struct dump_ctx *dc;
	pid_t pid;
	int memfd;
	struct cryo_img_page_run runs[BATCH_PAGES];
	uint32_t nr_runs;
	uint32_t nr_pages;
	unsigned char *data;
};

static int batch_flush(struct batch *b)
{
	struct cryo_img_pagemap pm = {
		.size = sizeof(pm),
		.pid = (uint32_t)b->pid,
		.nr_runs = b->nr_runs,
		.nr_pages = b->nr_pages,
	};
	struct iovec iov = {.iov_base = b->data,
			    .iov_len = b->nr_pages * PAGE_SIZE};
	int ret;

	if (!b->nr_pages)
		return 0;
	ret = cryo_img_write_rec(b->dc->w, CRYO_REC_PAGEMAP, &pm, sizeof(pm),
				 b->runs, sizeof(b->runs[0]) * b->nr_runs);
	if (!ret)
		ret = cryo_img_write_pages(b->dc->w, &iov, 1);
	b->dc->nr_pages += b->nr_pages;
	b->nr_runs = 0;
	b->nr_pages = 0;
	return ret;
}

/* Copies n pages at vaddr into the batch, flushing it when full. */
static int batch_add(struct batch *b, uint64_t vaddr, uint64_t n)
{
	while (n) {
		uint64_t k = BATCH_PAGES - b->nr_pages;
		ssize_t got;
		int ret;

		if (k > n)
			k = n;
		/* /proc/PID/mem reads PROT_NONE and read-only pages too. */
		got = pread(b->memfd, b->data + b->nr_pages * PAGE_SIZE,
			    k * PAGE_SIZE, (off_t)vaddr);
		if (got != (ssize_t)(k * PAGE_SIZE)) {
			ret = got < 0 ? -errno : -EIO;
			pr_perr("read memory", b->pid, "at 0x%" PRIx64 ": %s",
				vaddr, strerror(-ret));
			return ret;
		}
		if (b->nr_runs &&
		    b->runs[b->nr_runs - 1].vaddr +
				    b->runs[b->nr_runs - 1].nr_pages *
					    PAGE_SIZE ==
			    vaddr)
			b->runs[b->nr_runs - 1].nr_pages += k;
		else
			b->runs[b->nr_runs++] = (struct cryo_img_page_run){
				.vaddr = vaddr, .nr_pages = k};
		b->nr_pages += (uint32_t)k;
		vaddr += k * PAGE_SIZE;
		n -= k;
		if (b->nr_pages == BATCH_PAGES || b->nr_runs == BATCH_PAGES) {
			ret = batch_flush(b);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Whether an area's pages belong in the image, and which ones. */
static bool vma_wants_pages(const struct vma *v, bool *anon_only)
{
	bool file_gone;

	switch (v->v.kind) {
	case CRYO_VMA_VDSO:
	case CRYO_VMA_VVAR:
	case CRYO_VMA_VVAR_VCLOCK:
	case CRYO_VMA_VSYSCALL:
		return false;
	default:
		break;
	}
	file_gone =
		strstr(v->path, " (deleted)") || !strncmp(v->path, "/SYSV", 5);
	*anon_only = v->v.kind == CRYO_VMA_FILE && v->v.flags == MAP_PRIVATE;
	if (v->v.kind == CRYO_VMA_FILE && v->v.flags == MAP_SHARED &&
	    !file_gone)
		return false;
	return true;
}

static int dump_vma_pages(struct batch *b, int pmfd, const struct vma *v)
{
	uint64_t ents[PAGEMAP_CHUNK];
	bool anon_only = false;

	if (!vma_wants_pages(v, &anon_only))
		return 0;
	for (uint64_t addr = v->v.start; addr < v->v.end;) {
		uint64_t n = (v->v.end - addr) / PAGE_SIZE;
		ssize_t got;

		if (n > PAGEMAP_CHUNK)
			n = PAGEMAP_CHUNK;
		got = pread(pmfd, ents, n * 8, (off_t)(addr / PAGE_SIZE * 8));
		if (got != (ssize_t)(n * 8)) {
			pr_perr("read pagemap", b->pid, "at 0x%" PRIx64 ": %s",
				addr, got < 0 ? strerror(errno) : "short read");
			return got < 0 ? -errno : -EIO;
		}
		for (uint64_t i = 0; i < n;) {
			uint64_t j = i;

			while (j < n && (ents[j] & (PM_PRESENT | PM_SWAP)) &&
			       !(anon_only && (ents[j] & PM_FILE)))
				j++;
			if (j > i) {
				int ret = batch_add(b, addr + i * PAGE_SIZE,
						    j - i);

				if (ret)
					return ret;
				i = j;
			} else {
				i++;
			}
		}
		addr += n * PAGE_SIZE;
	}
	return 0;
}

static int dump_pages(struct dump_ctx *dc, struct dtask *task)
{
	struct batch *b;
	struct vma *vmas;
	char path[64];
	int nr, pmfd, ret;

	ret = parse_maps(task->pid, &vmas, &nr);
	if (ret)
		return ret;
	b = calloc(1, sizeof(*b));
	if (!b) {
		ret = -ENOMEM;
		goto out_vmas;
	}
	b->data = malloc(BATCH_PAGES * PAGE_SIZE);
	if (!b->data) {
		ret = -ENOMEM;
		goto out_batch;
	}
	b->dc = dc;
	b->pid = task->pid;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)task->pid);
	b->memfd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)task->pid);
	pmfd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->memfd < 0 || pmfd < 0) {
		ret = -errno;
		pr_perr("open memory", task->pid, "%s", strerror(-ret));
		goto out_fds;
	}
	for (int i = 0; !ret && i < nr; i++)
		ret = dump_vma_pages(b, pmfd, &vmas[i]);
	if (!ret)
		ret = batch_flush(b);
out_fds:
	if (b->memfd >= 0)
		close(b->memfd);
	if (pmfd >= 0)
		close(pmfd);
	free(b->data);
out_batch:
	free(b);
out_vmas:
	free(vmas);
	return ret;
}

const struct res_ops res_pages_ops = {
	.name = "pages",
	.dump_pages = dump_pages,
};
