// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Memory: the MM record (layout of the address space and the auxv), one
 * VMA record per area of /proc/PID/maps, and the page data. Pages are
 * saved when present or swapped and not just a copy of the file behind
 * them: for a private file mapping only the pages written since (the
 * anonymous copies, pagemap bit 61 clear) are saved; a shared mapping of
 * a file that still exists is the file's business. Kernel-provided areas
 * ([vdso], [vvar], [vvar_vclock], [vsyscall]) are never saved: restore on
 * the same kernel finds them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../dump.h"
#include "../log.h"

#define PAGE_SIZE     4096ull
#define PM_PRESENT    (1ull << 63)
#define PM_SWAP	      (1ull << 62)
#define PM_FILE	      (1ull << 61) /* file page or shared anonymous */
#define BATCH_PAGES   1024u	   /* 4 MiB of page data per PAGES record */
#define PAGEMAP_CHUNK 4096u	   /* pagemap entries read at a time */

struct vma {
	struct cryo_img_vma v;
	char path[512];
};

static enum cryo_vma_kind vma_kind(const char *path, bool is_file)
{
	static const struct {
		const char *name;
		enum cryo_vma_kind kind;
	} special[] = {
		{"[heap]", CRYO_VMA_HEAP},
		{"[stack]", CRYO_VMA_STACK},
		{"[vdso]", CRYO_VMA_VDSO},
		{"[vvar]", CRYO_VMA_VVAR},
		{"[vvar_vclock]", CRYO_VMA_VVAR_VCLOCK},
		{"[vsyscall]", CRYO_VMA_VSYSCALL},
	};

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(path, special[i].name))
			return special[i].kind;
	if (path[0] == '[')
		return CRYO_VMA_SPECIAL;
	return is_file ? CRYO_VMA_FILE : CRYO_VMA_ANON;
}

/* Parses /proc/PID/maps into an array of areas. */
static int parse_maps(pid_t pid, struct vma **out, int *nr_out)
{
	char *maps, *line, *next;
	struct vma *vmas = NULL;
	int nr = 0, ret;

	ret = proc_slurp(pid, "maps", &maps, NULL);
	if (ret) {
		pr_perr("read maps", pid, "%s", strerror(-ret));
		return ret;
	}
	for (line = maps; line && *line; line = next) {
		unsigned long long start, end, pgoff, ino;
		unsigned int maj, mnr;
		char perms[8];
		int pos = 0;
		struct vma *n, *v;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start,
			   &end, perms, &pgoff, &maj, &mnr, &ino, &pos) < 7) {
			pr_perr("parse maps", pid, "bad line '%s'", line);
			ret = -EINVAL;
			goto out_free;
		}
		n = realloc(vmas, sizeof(*n) * (size_t)(nr + 1));
		if (!n) {
			ret = -ENOMEM;
			goto out_free;
		}
		vmas = n;
		v = &vmas[nr++];
		memset(v, 0, sizeof(*v));
		v->v.size = sizeof(v->v);
		v->v.pid = (uint32_t)pid;
		v->v.start = start;
		v->v.end = end;
		v->v.pgoff = pgoff;
		v->v.ino = ino;
		v->v.dev = (uint32_t)makedev(maj, mnr);
		v->v.prot = (perms[0] == 'r' ? PROT_READ : 0) |
			    (perms[1] == 'w' ? PROT_WRITE : 0) |
			    (perms[2] == 'x' ? PROT_EXEC : 0);
		v->v.flags = perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE;
		snprintf(v->path, sizeof(v->path), "%s", line + pos);
		v->v.kind = (uint32_t)vma_kind(v->path, ino != 0);
	}
	*out = vmas;
	*nr_out = nr;
	free(maps);
	return 0;
out_free:
	free(vmas);
	free(maps);
	return ret;
}

static uint32_t vmflag_bits(const char *letters)
{
	static const struct {
		char name[3];
		uint32_t bit;
	} map[] = {
		{"gd", CRYO_VMF_GROWSDOWN}, {"dc", CRYO_VMF_DONTCOPY},
		{"dd", CRYO_VMF_DONTDUMP},  {"wf", CRYO_VMF_WIPEONFORK},
		{"hg", CRYO_VMF_HUGEPAGE},  {"nh", CRYO_VMF_NOHUGEPAGE},
		{"lo", CRYO_VMF_LOCKED},    {"lf", CRYO_VMF_LOCKONFAULT},
		{"mg", CRYO_VMF_MERGEABLE}, {"de", CRYO_VMF_DONTEXPAND},
		{"nr", CRYO_VMF_NORESERVE}, {"ac", CRYO_VMF_ACCOUNT},
	};
	uint32_t bits = CRYO_VMF_VALID;

	for (const char *p = letters; *p && *p != '\n';) {
		while (*p == ' ')
			p++;
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (p[0] == map[i].name[0] && p[1] == map[i].name[1])
				bits |= map[i].bit;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	return bits;
}

/*
 * The VmFlags of each area (madvise state, mlock, grows-down), which
 * /proc/PID/maps does not show: one pass over /proc/PID/smaps, matched to
 * the areas by start address (both lists are in address order).
 */
static int read_vmflags(pid_t pid, struct vma *vmas, int nr)
{
	char *smaps, *line, *next;
	int i = 0, cur = -1, ret;

	ret = proc_slurp(pid, "smaps", &smaps, NULL);
	if (ret) {
		pr_perr("read smaps", pid, "%s", strerror(-ret));
		return ret;
	}
	for (line = smaps; line && *line; line = next) {
		unsigned long long start;

		next = strchr(line, '\n');
		if (next)
			next++;
		if (!strncmp(line, "VmFlags:", 8)) {
			if (cur >= 0)
				vmas[cur].v.vmflags = vmflag_bits(line + 8);
			continue;
		}
		if (sscanf(line, "%llx-", &start) != 1 || !strchr(line, '-') ||
		    strchr(line, ':') < strchr(line, '-'))
			continue;
		cur = -1;
		while (i < nr && vmas[i].v.start < start)
			i++;
		if (i < nr && vmas[i].v.start == start)
			cur = i;
	}
	free(smaps);
	return 0;
}

static int dump_mm(struct dump_ctx *dc, struct dtask *task)
{
	const struct proc_stat *st = &task->st;
	struct cryo_img_mm mm = {
		.size = sizeof(mm),
		.pid = (uint32_t)task->pid,
		.start_code = st->start_code,
		.end_code = st->end_code,
		.start_data = st->start_data,
		.end_data = st->end_data,
		.start_brk = st->start_brk,
		.start_stack = st->start_stack,
		.arg_start = st->arg_start,
		.arg_end = st->arg_end,
		.env_start = st->env_start,
		.env_end = st->env_end,
	};
	char *auxv = NULL;
	size_t auxv_len = 0;
	struct vma *vmas;
	int nr, ret;

	ret = parse_maps(task->pid, &vmas, &nr);
	if (ret)
		return ret;
	ret = read_vmflags(task->pid, vmas, nr);
	if (ret)
		goto out;
	mm.nr_vmas = (uint32_t)nr;
	/* The current brk is the end of [heap] (stat has only its start). */
	mm.brk = st->start_brk;
	for (int i = 0; i < nr; i++)
		if (vmas[i].v.kind == CRYO_VMA_HEAP)
			mm.brk = vmas[i].v.end;
	ret = proc_slurp(task->pid, "auxv", &auxv, &auxv_len);
	if (ret) {
		pr_perr("read auxv", task->pid, "%s", strerror(-ret));
		goto out;
	}
	auxv_len -= auxv_len % 16;
	ret = cryo_img_write_rec(dc->w, CRYO_REC_MM, &mm, sizeof(mm), auxv,
				 auxv_len);
	for (int i = 0; !ret && i < nr; i++)
		ret = cryo_img_write_rec(dc->w, CRYO_REC_VMA, &vmas[i].v,
					 sizeof(vmas[i].v), vmas[i].path,
					 strlen(vmas[i].path) + 1);
	dc->nr_vmas += (uint64_t)nr;
out:
	free(auxv);
	free(vmas);
	return ret;
}

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

const struct res_ops res_mm_ops = {
	.name = "mm",
	.dump_task = dump_mm,
	.dump_pages = dump_pages,
};
