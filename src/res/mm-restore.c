// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Restore of the address space, driven from cryo through the injection
 * engine (docs/architecture.md, "Restore"):
 *
 *   1. the new process is a fork of cryo; it maps the trampoline itself
 *      (restore.c) in a hole of both layouts;
 *   2. the vDSO areas are parked next to the trampoline, everything else
 *      of cryo's is unmapped, the vDSO areas move to their image addresses
 *      (same kernel: same sizes, the kernel follows a moved vDSO);
 *   3. every image area is mapped again at its address with its
 *      protection, file, offset and grows-down flag;
 *   4. page data streams from the image into the target: process_vm_writev
 *      for writable areas, /proc/PID/mem (which writes through read-only
 *      protections) for the others; a PROT_NONE area that has data is
 *      opened for the copy and closed again after;
 *   5. madvise state, mlock, area names, and the mm's layout fields
 *      (PR_SET_MM_MAP: code, data, brk, stack, args, env, auxv, exe).
 * Pages never touched at dump time are not in the image and stay
 * unpopulated.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../log.h"
#include "../proc.h"
#include "../restore.h"

#define PAGE_SZ		      4096ul
#define TASK_TOP	      0x7ffffffff000ul /* 47-bit user address space */
#define HOLE_FLOOR	      0x10000000ul /* keep the trampoline off page 0 */
#define COPY_CHUNK	      (4ul << 20)
#define MAP_GD		      0x0100  /* MAP_GROWSDOWN */
#define MREMAP_FIX	      (1 | 2) /* MREMAP_MAYMOVE | MREMAP_FIXED */
#define PR_SET_VMA_	      0x53564d41
#define PR_SET_VMA_ANON_NAME_ 0

struct prctl_mm_map_ {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv;
	uint32_t auxv_size;
	uint32_t exe_fd;
};

_Static_assert(sizeof(struct prctl_mm_map_) == 104, "prctl_mm_map");

static bool is_kernel_area(const struct rvma *m)
{
	switch (m->v.kind) {
	case CRYO_VMA_VDSO:
	case CRYO_VMA_VVAR:
	case CRYO_VMA_VVAR_VCLOCK:
	case CRYO_VMA_VSYSCALL:
		return true;
	}
	return false;
}

static bool is_anon_name(const char *path)
{
	return !strncmp(path, "[anon:", 6) ||
	       !strncmp(path, "[anon_shmem:", 12);
}

/* Shared anonymous memory shows as a deleted /dev/zero. */
static bool is_shared_anon(const struct rvma *m)
{
	return m->v.flags == MAP_SHARED &&
	       (!strcmp(m->path, "/dev/zero (deleted)") ||
		!strncmp(m->path, "[anon_shmem:", 12) ||
		(m->v.kind == CRYO_VMA_ANON && !m->v.ino));
}

/*
 * Before anything is created: every area is of a kind this step restores
 * and every mapped file is still the one that was mapped.
 */
int rst_mm_check(struct rst_ctx *rc, struct rtask *t)
{
	for (int i = 0; i < t->nr_vmas; i++) {
		struct rvma *m = &t->vmas[i];
		struct stat st;

		if (is_kernel_area(m) || is_shared_anon(m))
			continue;
		if (m->v.kind == CRYO_VMA_SPECIAL && !is_anon_name(m->path)) {
			pr_perr("restore", t->pid,
				"area %" PRIx64 "-%" PRIx64
				" %s: not supported yet",
				m->v.start, m->v.end, m->path);
			return -EOPNOTSUPP;
		}
		if (m->v.kind != CRYO_VMA_FILE)
			continue;
		if (strstr(m->path, " (deleted)") ||
		    !strncmp(m->path, "/SYSV", 5) ||
		    !strncmp(m->path, "/memfd:", 7)) {
			pr_perr("restore", t->pid,
				"area %" PRIx64 "-%" PRIx64
				" maps %s: deleted files, memfds and SysV shared memory are not supported yet",
				m->v.start, m->v.end, m->path);
			return -EOPNOTSUPP;
		}
		if (stat(m->path, &st)) {
			pr_perr("restore", t->pid, "mapped file %s: %s",
				m->path, strerror(errno));
			return -ENOENT;
		}
		if (st.st_ino != m->v.ino ||
		    (uint32_t)makedev(major(st.st_dev), minor(st.st_dev)) !=
			    m->v.dev) {
			pr_perr("restore", t->pid,
				"mapped file %s changed since the dump (inode %llu, was %" PRIu64
				")",
				m->path, (unsigned long long)st.st_ino,
				m->v.ino);
			return -ESTALE;
		}
	}
	return 0;
}

struct span {
	unsigned long start, end;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The trampoline's place: the lowest hole above HOLE_FLOOR, with a guard
 * page on each side, that neither the image's areas nor cryo's own (which
 * the new process starts as a copy of) use.
 */
int rst_mm_pick_tramp(struct rst_ctx *rc, struct rtask *t)
{
	size_t need = RST_TRAMP_LEN + 2 * PAGE_SZ;
	struct span *sp = NULL;
	char *maps = NULL, *line;
	unsigned long at = HOLE_FLOOR;
	int n = 0, ret;

	ret = proc_slurp(0, "maps", &maps, NULL);
	if (ret)
		return ret;
	sp = calloc((size_t)t->nr_vmas + 4096, sizeof(*sp));
	if (!sp) {
		free(maps);
		return -ENOMEM;
	}
	for (int i = 0; i < t->nr_vmas; i++)
		sp[n++] = (struct span){t->vmas[i].v.start, t->vmas[i].v.end};
	for (line = maps; line && *line && n < t->nr_vmas + 4096;) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2)
			sp[n++] = (struct span){s, e};
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	free(maps);
	qsort(sp, (size_t)n, sizeof(*sp), span_cmp);
	for (int i = 0; i < n; i++) {
		if (sp[i].end <= at)
			continue;
		if (sp[i].start >= at + need)
			break;
		at = sp[i].end;
	}
	free(sp);
	if (at + need > TASK_TOP) {
		pr_perr("restore", t->pid,
			"no hole of %zu bytes for the trampoline", need);
		return -ENOMEM;
	}
	t->tramp = at + PAGE_SZ;
	t->tramp_len = RST_TRAMP_LEN;
	t->scratch = t->tramp + RST_TRAMP_CODE;
	t->scratch_size = RST_TRAMP_SCRATCH;
	return 0;
}

/* The three vDSO areas of the new process, as found in its maps. */
struct vdso_areas {
	struct span cur[3];  /* vvar, vvar_vclock, vdso where they are */
	struct span want[3]; /* where the image had them (0: absent) */
};

static const char *const vdso_names[3] = {"[vvar]", "[vvar_vclock]", "[vdso]"};

static int find_vdso(struct rtask *t, struct vdso_areas *va)
{
	static const uint32_t kinds[3] = {CRYO_VMA_VVAR, CRYO_VMA_VVAR_VCLOCK,
					  CRYO_VMA_VDSO};
	char *maps, *line;
	int ret;

	memset(va, 0, sizeof(*va));
	ret = proc_slurp(t->pid, "maps", &maps, NULL);
	if (ret) {
		pr_perr("read maps", t->pid, "%s", strerror(-ret));
		return ret;
	}
	for (line = maps; line && *line;) {
		unsigned long s, e;
		char name[64] = "";

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %63s", &s, &e,
			   name) >= 2)
			for (int k = 0; k < 3; k++)
				if (!strcmp(name, vdso_names[k]))
					va->cur[k] = (struct span){s, e};
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	free(maps);
	for (int i = 0; i < t->nr_vmas; i++)
		for (int k = 0; k < 3; k++)
			if (t->vmas[i].v.kind == kinds[k])
				va->want[k] = (struct span){t->vmas[i].v.start,
							    t->vmas[i].v.end};
	for (int k = 0; k < 3; k++) {
		size_t have = va->cur[k].end - va->cur[k].start;
		size_t want = va->want[k].end - va->want[k].start;

		if (want && have != want) {
			pr_perr("restore", t->pid,
				"%s is %zu bytes on this kernel, %zu in the image: restore needs the kernel the image was taken on",
				vdso_names[k], have, want);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int rmunmap(struct rtask *t, unsigned long start, unsigned long end)
{
	if (end <= start)
		return 0;
	return rst_syscall_ok(t, 0, "unmap the old address space", SYS_munmap,
			      start, end - start, 0, 0, 0, 0, NULL);
}

static int rmremap(struct rtask *t, struct span from, unsigned long to)
{
	if (from.start == to)
		return 0;
	return rst_syscall_ok(t, 0, "move the vDSO", SYS_mremap, from.start,
			      from.end - from.start, from.end - from.start,
			      MREMAP_FIX, to, 0, NULL);
}

/* Steps 2: only the trampoline and the vDSO (at its image place) stay. */
static int clear_address_space(struct rtask *t)
{
	struct vdso_areas va;
	unsigned long park = t->tramp + RST_TRAMP_CODE + RST_TRAMP_SCRATCH;
	int ret;

	ret = find_vdso(t, &va);
	if (ret)
		return ret;
	for (int k = 0; k < 3 && !ret; k++) {
		if (!va.cur[k].start)
			continue;
		ret = rmremap(t, va.cur[k], park);
		va.cur[k].end = park + (va.cur[k].end - va.cur[k].start);
		va.cur[k].start = park;
		park = va.cur[k].end;
	}
	if (!ret)
		ret = rmunmap(t, 0, t->tramp);
	if (!ret)
		ret = rmunmap(t, park, TASK_TOP);
	for (int k = 0; k < 3 && !ret; k++) {
		if (!va.cur[k].start)
			continue;
		if (va.want[k].start)
			ret = rmremap(t, va.cur[k], va.want[k].start);
		else
			ret = rmunmap(t, va.cur[k].start, va.cur[k].end);
	}
	/* The parking room itself is free again (moved or unmapped). */
	return ret;
}

/* Opens path in the target (O_RDONLY or O_RDWR); returns the target fd. */
static int ropen(struct rtask *t, const char *path, int flags, long *fd)
{
	unsigned long a = rst_scratch_put(t, 0, path, strlen(path) + 1);

	if (!a)
		return -ENAMETOOLONG;
	return rst_syscall_ok(t, 0, path, SYS_openat, (unsigned long)AT_FDCWD,
			      a, (unsigned long)(flags | O_CLOEXEC), 0, 0, 0,
			      fd);
}

static bool private_anon(const struct rvma *m)
{
	return m->v.flags == MAP_PRIVATE &&
	       (m->v.kind == CRYO_VMA_ANON || m->v.kind == CRYO_VMA_HEAP ||
		m->v.kind == CRYO_VMA_STACK ||
		(m->v.kind == CRYO_VMA_SPECIAL && is_anon_name(m->path)));
}

/*
 * Two adjacent private anonymous areas with the same protection and flags
 * were two areas at dump time because each had its own anon_vma (its own
 * history of faults); mapped again one after the other the kernel would
 * merge them into one, and /proc/PID/maps would differ.
 */
static bool would_merge(const struct rvma *prev, const struct rvma *m)
{
	return prev && prev->v.end == m->v.start && private_anon(prev) &&
	       private_anon(m) && prev->v.prot == m->v.prot &&
	       prev->v.vmflags == m->v.vmflags && !strcmp(prev->path, m->path);
}

static int rmprotect(struct rtask *t, const struct rvma *m, unsigned long prot)
{
	char what[96];

	snprintf(what, sizeof(what), "protect area %" PRIx64 "-%" PRIx64,
		 m->v.start, m->v.end);
	return rst_syscall_ok(t, 0, what, SYS_mprotect, m->v.start,
			      m->v.end - m->v.start, prot, 0, 0, 0, NULL);
}

/*
 * Gives area m, mapped at addr, an anon_vma by faulting its first page in
 * (a forced write through /proc/PID/mem). The page is dropped again at
 * the end unless the image has data for it (rst_mm_finish).
 */
static int prime(struct rtask *t, struct rvma *m, unsigned long addr)
{
	static const char zero;
	bool closed = !(m->v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
	char what[96];
	int ret = 0;

	snprintf(what, sizeof(what), "prime area %" PRIx64 "-%" PRIx64,
		 m->v.start, m->v.end);
	if (closed)
		ret = rst_syscall_ok(t, 0, what, SYS_mprotect, addr, PAGE_SZ,
				     PROT_READ, 0, 0, 0, NULL);
	if (!ret && pwrite(t->mem_fd, &zero, 1, (off_t)addr) != 1) {
		ret = -errno;
		pr_perr("write memory", t->pid, "at 0x%lx: %s", addr,
			strerror(errno));
	}
	if (!ret && closed)
		ret = rst_syscall_ok(t, 0, what, SYS_mprotect, addr, PAGE_SZ,
				     PROT_NONE, 0, 0, 0, NULL);
	m->primed = !ret;
	return ret;
}

/*
 * Maps a private anonymous area that must stay apart from the one before
 * it: elsewhere first, where it gets an anon_vma (a faulted page) and so
 * keeps its page offset when moved, then moved into place. With offsets
 * that do not follow each other the kernel neither merges the two areas
 * nor lets them share an anon_vma.
 */
static int map_apart(struct rtask *t, struct rvma *m, unsigned long prot,
		     unsigned long flags)
{
	unsigned long len = m->v.end - m->v.start;
	char what[96];
	long tmp;
	int ret;

	snprintf(what, sizeof(what), "map area %" PRIx64 "-%" PRIx64,
		 m->v.start, m->v.end);
	ret = rst_syscall_ok(t, 0, what, SYS_mmap, 0, len, prot,
			     flags & ~(unsigned long)MAP_FIXED,
			     (unsigned long)-1, 0, &tmp);
	if (!ret)
		ret = prime(t, m, (unsigned long)tmp);
	if (!ret)
		ret = rst_syscall_ok(t, 0, what, SYS_mremap, (unsigned long)tmp,
				     len, len, MREMAP_FIX, m->v.start, 0, NULL);
	return ret;
}

static int map_area(struct rtask *t, struct rvma *m, struct rvma *prev,
		    long *fd_cache, const char **fd_path)
{
	unsigned long len = m->v.end - m->v.start;
	unsigned long flags = MAP_FIXED;
	unsigned long prot = m->v.prot, map_prot;
	bool apart = would_merge(prev, m);
	long fd = -1;
	char what[96];
	int ret;

	/*
	 * A private area that was writable once is charged ("ac") even
	 * after it lost write access: map it writable, then take write away
	 * (which keeps the charge).
	 */
	map_prot = prot;
	if (m->v.flags == MAP_PRIVATE && (m->v.vmflags & CRYO_VMF_ACCOUNT))
		map_prot |= PROT_WRITE;

	if (m->v.vmflags & CRYO_VMF_GROWSDOWN)
		flags |= MAP_GD;
	if (m->v.vmflags & CRYO_VMF_NORESERVE)
		flags |= MAP_NORESERVE;
	if (is_shared_anon(m)) {
		flags |= MAP_SHARED | MAP_ANONYMOUS;
	} else if (m->v.kind == CRYO_VMA_FILE) {
		int oflags = (m->v.flags == MAP_SHARED && (prot & PROT_WRITE))
				     ? O_RDWR
				     : O_RDONLY;

		flags |= m->v.flags == MAP_SHARED ? MAP_SHARED : MAP_PRIVATE;
		/* Consecutive areas of one file (a library) share the fd. */
		if (*fd_cache < 0 || !*fd_path || strcmp(*fd_path, m->path) ||
		    oflags == O_RDWR) {
			if (*fd_cache >= 0) {
				ret = rst_syscall(t, 0, SYS_close,
						  (unsigned long)*fd_cache, 0,
						  0, 0, 0, 0, NULL);
				*fd_cache = -1;
				if (ret)
					return ret;
			}
			ret = ropen(t, m->path, oflags, fd_cache);
			if (ret)
				return ret;
			*fd_path = oflags == O_RDWR ? NULL : m->path;
		}
		fd = *fd_cache;
	} else {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
	}
	snprintf(what, sizeof(what), "map area %" PRIx64 "-%" PRIx64,
		 m->v.start, m->v.end);
	if (apart)
		ret = map_apart(t, m, map_prot, flags);
	else
		ret = rst_syscall_ok(t, 0, what, SYS_mmap, m->v.start, len,
				     map_prot, flags, (unsigned long)fd,
				     fd >= 0 ? m->v.pgoff : 0, NULL);
	/* Without an anon_vma, taking write away would drop the charge. */
	if (!ret && map_prot != prot && private_anon(m) && !m->primed)
		ret = prime(t, m, m->v.start);
	if (!ret && map_prot != prot)
		ret = rmprotect(t, m, prot);
	return ret;
}

/* Steps 2 and 3. */
int rst_mm_layout(struct rst_ctx *rc, struct rtask *t)
{
	const char *fd_path = NULL;
	long fd = -1;
	int ret;

	ret = clear_address_space(t);
	for (int i = 0; !ret && i < t->nr_vmas; i++)
		if (!is_kernel_area(&t->vmas[i]))
			ret = map_area(t, &t->vmas[i],
				       i ? &t->vmas[i - 1] : NULL, &fd,
				       &fd_path);
	if (fd >= 0) {
		int r2 = rst_syscall(t, 0, SYS_close, (unsigned long)fd, 0, 0,
				     0, 0, 0, NULL);

		if (!ret)
			ret = r2;
	}
	if (!ret)
		pr_info("pid %d: %d areas mapped", t->pid, t->nr_vmas);
	return ret;
}

static struct rvma *find_vma(struct rtask *t, uint64_t addr)
{
	int lo = 0, hi = t->nr_vmas - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		struct rvma *m = &t->vmas[mid];

		if (addr < m->v.start)
			hi = mid - 1;
		else if (addr >= m->v.end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

/* Copies len bytes at vaddr into the target, all inside area m. */
static int put_bytes(struct rtask *t, struct rvma *m, uint64_t vaddr,
		     const void *buf, size_t len)
{
	struct iovec l = {(void *)buf, len}, r = {(void *)vaddr, len};
	ssize_t n;

	if (!(m->v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) &&
	    !m->prot_raised) {
		char what[96];
		int ret;

		snprintf(what, sizeof(what),
			 "open area %" PRIx64 "-%" PRIx64 " for its pages",
			 m->v.start, m->v.end);
		ret = rst_syscall_ok(t, 0, what, SYS_mprotect, m->v.start,
				     m->v.end - m->v.start,
				     PROT_READ | PROT_WRITE, 0, 0, 0, NULL);
		if (ret)
			return ret;
		m->prot_raised = true;
	}
	if ((m->v.prot & PROT_WRITE) || m->prot_raised)
		n = process_vm_writev(t->pid, &l, 1, &r, 1, 0);
	else
		n = pwrite(t->mem_fd, buf, len, (off_t)vaddr);
	if (n != (ssize_t)len) {
		int err = n < 0 ? errno : EIO;

		pr_perr("write memory", t->pid, "at 0x%" PRIx64 ": %s", vaddr,
			strerror(err));
		return -err;
	}
	return 0;
}

/* One run of pages from the PAGES payload being read. */
static int put_run(struct rtask *t, struct cryo_img_reader *r, uint64_t vaddr,
		   uint64_t bytes, unsigned char *buf)
{
	while (bytes) {
		size_t n = bytes < COPY_CHUNK ? bytes : COPY_CHUNK;
		ssize_t got = cryo_img_read(r, buf, n);
		size_t done = 0;

		if (got != (ssize_t)n) {
			pr_err("read image", "PAGES", "%s",
			       cryo_img_reader_error(r));
			return got < 0 ? (int)got : -EIO;
		}
		while (done < n) {
			struct rvma *m = find_vma(t, vaddr + done);
			size_t k = n - done;
			int ret;

			if (!m) {
				pr_perr("restore", t->pid,
					"image has a page at 0x%" PRIx64
					" outside every area",
					vaddr + done);
				return -EBADMSG;
			}
			if (vaddr + done + k > m->v.end)
				k = m->v.end - (vaddr + done);
			if (m->primed && vaddr + done == m->v.start)
				m->primed_used = true;
			ret = put_bytes(t, m, vaddr + done, buf + done, k);
			if (ret)
				return ret;
			done += k;
		}
		vaddr += n;
		bytes -= n;
	}
	return 0;
}

/* Step 4: a PAGEMAP record and the PAGES record after it. */
int rst_mm_pages(struct rst_ctx *rc, struct cryo_img_reader *r,
		 const void *payload, size_t len)
{
	const struct cryo_img_desc *d = cryo_img_desc_get(CRYO_REC_PAGEMAP);
	struct cryo_img_pagemap pm;
	struct cryo_img_page_run *runs;
	struct cryo_img_rec rec;
	const void *tail;
	uint64_t tail_len, total = 0;
	unsigned char *buf;
	struct rtask *t;
	int ret;

	ret = cryo_img_fixed(d, payload, len, &pm, sizeof(pm), &tail,
			     &tail_len);
	if (ret) {
		pr_err("read image", "PAGEMAP", "malformed record");
		return ret;
	}
	t = rst_find_task(rc, (pid_t)pm.pid);
	if (!t || tail_len < (uint64_t)pm.nr_runs * sizeof(*runs)) {
		pr_err("read image", "PAGEMAP", "pid %u or runs do not match",
		       pm.pid);
		return -EBADMSG;
	}
	/* The payload is only valid until the next record: copy the runs. */
	runs = malloc(pm.nr_runs * sizeof(*runs) + 1);
	buf = malloc(COPY_CHUNK);
	if (!runs || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(runs, tail, pm.nr_runs * sizeof(*runs));
	do /* PAD records align the page data */
		ret = cryo_img_next(r, &rec);
	while (ret == 1 &&
	       (rec.type == CRYO_REC_PAD || rec.type == CRYO_REC_NOTE));
	if (ret != 1 || rec.type != CRYO_REC_PAGES) {
		pr_err("read image", "PAGEMAP", "%s",
		       ret < 0 ? cryo_img_reader_error(r)
			       : "not followed by its PAGES record");
		ret = ret < 0 ? ret : -EBADMSG;
		goto out;
	}
	ret = 0;
	for (uint32_t i = 0; i < pm.nr_runs; i++)
		total += runs[i].nr_pages * PAGE_SZ;
	if (total != rec.len) {
		pr_err("read image", "PAGES",
		       "%" PRIu64 " bytes, its PAGEMAP says %" PRIu64, rec.len,
		       total);
		ret = -EBADMSG;
		goto out;
	}
	for (uint32_t i = 0; !ret && i < pm.nr_runs; i++)
		ret = put_run(t, r, runs[i].vaddr, runs[i].nr_pages * PAGE_SZ,
			      buf);
out:
	free(runs);
	free(buf);
	return ret;
}

static int madvise_area(struct rtask *t, struct rvma *m)
{
	static const struct {
		uint32_t bit;
		int advice;
	} adv[] = {
		{CRYO_VMF_DONTCOPY, MADV_DONTFORK},
		{CRYO_VMF_DONTDUMP, MADV_DONTDUMP},
		{CRYO_VMF_WIPEONFORK, MADV_WIPEONFORK},
		{CRYO_VMF_HUGEPAGE, MADV_HUGEPAGE},
		{CRYO_VMF_NOHUGEPAGE, MADV_NOHUGEPAGE},
		{CRYO_VMF_MERGEABLE, MADV_MERGEABLE},
	};
	unsigned long len = m->v.end - m->v.start;
	char what[96];
	int ret = 0;

	snprintf(what, sizeof(what), "set up area %" PRIx64 "-%" PRIx64,
		 m->v.start, m->v.end);
	for (size_t i = 0; !ret && i < sizeof(adv) / sizeof(adv[0]); i++)
		if (m->v.vmflags & adv[i].bit)
			ret = rst_syscall_ok(
				t, 0, what, SYS_madvise, m->v.start, len,
				(unsigned long)adv[i].advice, 0, 0, 0, NULL);
	if (!ret && (m->v.vmflags & (CRYO_VMF_LOCKED | CRYO_VMF_LOCKONFAULT)))
		ret = rst_syscall_ok(t, 0, what, SYS_mlock2, m->v.start, len,
				     (m->v.vmflags & CRYO_VMF_LOCKONFAULT) ? 1
									   : 0,
				     0, 0, 0, NULL);
	if (!ret && is_anon_name(m->path)) {
		const char *name = strchr(m->path, ':') + 1;
		size_t n = strlen(name);
		char tmp[256];
		unsigned long a;

		if (n && name[n - 1] == ']' && n < sizeof(tmp)) {
			memcpy(tmp, name, n - 1);
			tmp[n - 1] = 0;
			a = rst_scratch_put(t, 0, tmp, n);
			ret = a ? rst_syscall_ok(t, 0, what, SYS_prctl,
						 PR_SET_VMA_,
						 PR_SET_VMA_ANON_NAME_,
						 m->v.start, len, a, 0, NULL)
				: -ENAMETOOLONG;
		}
	}
	return ret;
}

/* PR_SET_MM_MAP: the mm's layout fields, the auxv and the exe link. */
static int set_mm_map(struct rtask *t)
{
	struct prctl_mm_map_ mm = {
		.start_code = t->mm.start_code,
		.end_code = t->mm.end_code,
		.start_data = t->mm.start_data,
		.end_data = t->mm.end_data,
		.start_brk = t->mm.start_brk,
		.brk = t->mm.brk,
		.start_stack = t->mm.start_stack,
		.arg_start = t->mm.arg_start,
		.arg_end = t->mm.arg_end,
		.env_start = t->mm.env_start,
		.env_end = t->mm.env_end,
		.exe_fd = (uint32_t)-1,
	};
	unsigned long a_auxv = 0, a_mm;
	long exe = -1;
	int ret = 0;

	if (t->exe && t->exe[0] == '/') {
		ret = ropen(t, t->exe, O_RDONLY, &exe);
		if (ret)
			return ret;
		mm.exe_fd = (uint32_t)exe;
	}
	if (t->auxv_len) {
		a_auxv = rst_scratch_put(t, 512, t->auxv, t->auxv_len);
		if (!a_auxv)
			ret = -E2BIG;
		mm.auxv = a_auxv;
		mm.auxv_size = (uint32_t)t->auxv_len;
	}
	a_mm = ret ? 0 : rst_scratch_put(t, 0, &mm, sizeof(mm));
	if (!ret && !a_mm)
		ret = -E2BIG;
	if (!ret)
		ret = rst_syscall_ok(t, 0,
				     "set the memory layout (PR_SET_MM_MAP)",
				     SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, a_mm,
				     sizeof(mm), 0, 0, NULL);
	if (exe >= 0) {
		int r2 = rst_syscall(t, 0, SYS_close, (unsigned long)exe, 0, 0,
				     0, 0, 0, NULL);

		if (!ret)
			ret = r2;
	}
	return ret;
}

/* Step 5, once every page is in. */
int rst_mm_finish(struct rst_ctx *rc, struct rtask *t)
{
	int ret = 0;

	for (int i = 0; !ret && i < t->nr_vmas; i++) {
		struct rvma *m = &t->vmas[i];

		if (is_kernel_area(m))
			continue;
		if (m->prot_raised) {
			ret = rmprotect(t, m, m->v.prot);
			m->prot_raised = false;
		}
		/* A page faulted in only to keep the area apart goes. */
		if (!ret && m->primed && !m->primed_used)
			ret = rst_syscall_ok(t, 0, "drop a priming page",
					     SYS_madvise, m->v.start, PAGE_SZ,
					     MADV_DONTNEED, 0, 0, 0, NULL);
		if (!ret)
			ret = madvise_area(t, m);
	}
	if (!ret)
		ret = set_mm_map(t);
	return ret;
}

/* The last injected syscall: the trampoline goes. */
int rst_mm_drop_tramp(struct rst_ctx *rc, struct rtask *t)
{
	return rst_syscall_ok(t, 0, "unmap the trampoline", SYS_munmap,
			      t->tramp, RST_TRAMP_CODE + RST_TRAMP_SCRATCH, 0,
			      0, 0, 0, NULL);
}
