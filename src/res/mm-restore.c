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
 *   4. page data streams from the image into the target through a
 *      pipeline of writer threads (see "Step 4" below): UFFDIO_COPY for
 *      private anonymous areas, process_vm_writev for other writable
 *      areas, /proc/PID/mem (which writes through read-only protections)
 *      for the rest; a PROT_NONE area that has data is opened for the copy
 *      and closed again after;
 *   5. madvise state, mlock, area names, and the mm's layout fields
 *      (PR_SET_MM_MAP: code, data, brk, stack, args, env, auxv, exe).
 * Pages never touched at dump time are not in the image and stay
 * unpopulated.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
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
#define MAP_GD		      0x0100	   /* MAP_GROWSDOWN */
#define MREMAP_FIX	      (1 | 2)	   /* MREMAP_MAYMOVE | MREMAP_FIXED */
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

/* A PROT_NONE area that has pages is opened for the copy (step 4). */
static int open_for_pages(struct rtask *t, struct rvma *m)
{
	char what[96];
	int ret;

	if ((m->v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) ||
	    m->prot_raised)
		return 0;
	snprintf(what, sizeof(what),
		 "open area %" PRIx64 "-%" PRIx64 " for its pages", m->v.start,
		 m->v.end);
	ret = rst_syscall_ok(t, 0, what, SYS_mprotect, m->v.start,
			     m->v.end - m->v.start, PROT_READ | PROT_WRITE, 0,
			     0, 0, NULL);
	if (!ret)
		m->prot_raised = true;
	return ret;
}

/* process_vm_writev needs a writable area; /proc/PID/mem writes through. */
static bool vm_writable(const struct rvma *m)
{
	return (m->v.prot & PROT_WRITE) || m->prot_raised;
}

/*
 * Step 4, the page data, as a pipeline. cryo's main thread reads the image
 * records and cuts each PAGES payload into pieces of up to PG_CHUNK bytes
 * (the runs of its PAGEMAP split where areas end); writer threads, one per
 * CPU, take the pieces from a short queue. For an image in a file (the
 * usual case) a writer reads its piece itself, PG_BLOCK bytes at a time,
 * with pread: checksums the block and writes it into the target while it
 * is still in the CPU cache (the page data is read from memory once).
 * From a pipe the main thread reads the piece through the reader (which
 * checks the payload) into a buffer and the writer only writes it. Into
 * the target:
 *   - private anonymous areas (nearly all page data) with UFFDIO_COPY on a
 *     userfaultfd of the target's mm: the kernel allocates each page and
 *     copies into it, without the zeroing, fault and page-pinning work of a
 *     write into unpopulated memory (a third less CPU time per GiB here);
 *   - other writable areas with process_vm_writev, and areas the target
 *     cannot write through /proc/PID/mem.
 * The target is stopped and pieces go to disjoint addresses, so the work
 * runs on every CPU at once. At most PG_QUEUE pieces wait: cryo's RSS
 * stays a few buffers.
 *
 * Checksums: the payloads writers read are deferred in the reader
 * (cryo_img_defer); once all pieces of one are written, the main thread
 * joins their CRCs in order and has the reader check them. So page data is
 * in the target before its checksum is compared; a mismatch fails the
 * restore (rst_mm_pages_end at the latest, before anything else runs), and
 * the process, never released, is killed.
 */
#define PG_CHUNK       (4ul << 20)
#define PG_BLOCK       (256ul << 10)
#define PG_MAX_WRITERS 4
#define PG_QUEUE       4
#define PG_SPARE       (PG_QUEUE + PG_MAX_WRITERS + 1)

enum pg_how {
	PG_VM,	 /* process_vm_writev */
	PG_MEM,	 /* an area the target cannot write: /proc/PID/mem */
	PG_UFFD, /* UFFDIO_COPY */
};

struct pg_seg { /* pages going to one area */
	uint64_t vaddr;
	uint64_t len;
	enum pg_how how;
};

/* A payload the writers read from the file, checked once they are done. */
struct pg_payload {
	struct cryo_img_deferred d;
	uint32_t *crcs; /* per piece */
	size_t nr_pieces;
	size_t left;		 /* pieces not written yet */
	struct pg_payload *next; /* in image order */
};

struct pg_piece {
	struct rtask *t;
	int uffd; /* the target's userfaultfd, for PG_UFFD segments */
	uint64_t len;
	struct pg_seg *segs; /* where the len bytes go, in order */
	size_t nr_segs;
	/* from the file: */
	int fd;
	uint64_t file_off;
	struct pg_payload *pl;
	size_t idx; /* in pl */
	/* or from a pipe, already read and checked: */
	void *buf;
};

struct rst_pages {
	pthread_mutex_t lock;
	pthread_cond_t more; /* a piece was queued, or closing */
	pthread_cond_t room; /* a queue slot was freed, or a writer failed */
	struct pg_piece q[PG_QUEUE];
	size_t head, count;
	bool closing; /* no more pieces come */
	bool abort;   /* the restore failed elsewhere: drop the queue */
	int err;      /* the first failure of a writer (-errno), logged */
	int nr_writers;
	pthread_t th[PG_MAX_WRITERS];
	int *uffd; /* per task (index in rc->tasks): -1 none, -2 not tried */
	int nr_tasks;
	void *spare[PG_SPARE]; /* PG_CHUNK buffers for pipe pieces, reused */
	int nr_spare;
	struct pg_payload *first, *last; /* deferred payloads, oldest first */
};

/* What failed in a writer, for the one error line. */
struct pg_fail {
	const char *what;
	uint64_t at; /* target address, or image file offset */
	bool in_file;
};

static void *pg_buf_get(struct rst_pages *p)
{
	void *b = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nr_spare)
		b = p->spare[--p->nr_spare];
	pthread_mutex_unlock(&p->lock);
	return b ? b : malloc(PG_CHUNK);
}

static void pg_piece_free(struct rst_pages *p, struct pg_piece *pc)
{
	if (pc->buf) {
		pthread_mutex_lock(&p->lock);
		if (p->nr_spare < PG_SPARE) {
			p->spare[p->nr_spare++] = pc->buf;
			pc->buf = NULL;
		}
		pthread_mutex_unlock(&p->lock);
		free(pc->buf);
	}
	free(pc->segs);
	memset(pc, 0, sizeof(*pc));
}

/* UFFDIO_COPY of len bytes from src to dst in the target. */
static int pg_uffd_copy(int uffd, uint64_t dst, const unsigned char *src,
			uint64_t len, struct pg_fail *f)
{
	while (len) {
		struct uffdio_copy c = {.dst = dst,
					.src = (uintptr_t)src,
					.len = len,
					/* nothing waits on these pages */
					.mode = UFFDIO_COPY_MODE_DONTWAKE};

		if (!ioctl(uffd, UFFDIO_COPY, &c)) {
			c.copy = (int64_t)len;
		} else if (c.copy <= 0 && errno != EAGAIN && errno != EINTR) {
			f->at = dst;
			return -errno;
		}
		if (c.copy > 0) { /* partial: go on from there */
			dst += (uint64_t)c.copy;
			src += c.copy;
			len -= (uint64_t)c.copy;
		}
	}
	return 0;
}

/* len bytes of one segment, at va, the way its area takes them. */
static int pg_put(const struct pg_piece *pc, enum pg_how how, uint64_t va,
		  const unsigned char *src, uint64_t len, struct pg_fail *f)
{
	struct iovec l = {(void *)src, len}, r = {(void *)va, len};
	ssize_t n;

	if (how == PG_UFFD)
		return pg_uffd_copy(pc->uffd, va, src, len, f);
	if (how == PG_MEM)
		n = pwrite(pc->t->mem_fd, src, len, (off_t)va);
	else
		n = process_vm_writev(pc->t->pid, &l, 1, &r, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	f->at = va + (n > 0 ? (uint64_t)n : 0);
	return n < 0 ? -errno : -EFAULT;
}

/* Writes the next len bytes of a piece; *si, *so: where in its segments. */
static int pg_write(const struct pg_piece *pc, size_t *si, uint64_t *so,
		    const unsigned char *src, uint64_t len, struct pg_fail *f)
{
	while (len && *si < pc->nr_segs) {
		const struct pg_seg *s = &pc->segs[*si];
		uint64_t k = s->len - *so < len ? s->len - *so : len;
		int ret = pg_put(pc, s->how, s->vaddr + *so, src, k, f);

		if (ret)
			return ret;
		src += k;
		len -= k;
		*so += k;
		if (*so == s->len) {
			(*si)++;
			*so = 0;
		}
	}
	return 0;
}

/* A piece from the file: read, checksum, write, a block at a time. */
static int pg_from_file(const struct pg_piece *pc, unsigned char *blk,
			uint32_t *crc, struct pg_fail *f)
{
	uint64_t so = 0, done = 0;
	uint32_t c = 0;
	size_t si = 0;

	while (done < pc->len) {
		size_t n =
			pc->len - done < PG_BLOCK ? pc->len - done : PG_BLOCK;
		size_t got = 0;
		int ret;

		while (got < n) {
			ssize_t k = pread(pc->fd, blk + got, n - got,
					  (off_t)(pc->file_off + done + got));

			if (k <= 0 && !(k < 0 && errno == EINTR)) {
				f->what = "read image";
				f->in_file = true;
				f->at = pc->file_off + done + got;
				return k < 0 ? -errno : -EIO;
			}
			got += k > 0 ? (size_t)k : 0;
		}
		c = cryo_crc32c(c, blk, n);
		ret = pg_write(pc, &si, &so, blk, n, f);
		if (ret)
			return ret;
		done += n;
	}
	*crc = c;
	return 0;
}

/*
 * Writes a piece (unless skip) and frees it. The first failure is logged
 * and stops the pipeline; later ones, and any after an abort, are not.
 */
static void pg_do_piece(struct rst_pages *p, struct pg_piece *pc, bool skip,
			unsigned char *blk)
{
	struct pg_fail f = {.what = "write memory"};
	bool first = false;
	uint32_t crc = 0;
	size_t si = 0;
	uint64_t so = 0;
	int ret = 0;

	if (!skip && pc->buf)
		ret = pg_write(pc, &si, &so, pc->buf, pc->len, &f);
	else if (!skip)
		ret = pg_from_file(pc, blk, &crc, &f);
	pthread_mutex_lock(&p->lock);
	if (ret) {
		first = !p->err && !p->abort;
		if (!p->err)
			p->err = ret;
		pthread_cond_broadcast(&p->room);
	} else if (!skip && pc->pl) {
		pc->pl->crcs[pc->idx] = crc;
		pc->pl->left--;
	}
	pthread_mutex_unlock(&p->lock);
	if (first && f.in_file)
		pr_err(f.what, "PAGES", "at file offset %" PRIu64 ": %s", f.at,
		       ret == -EIO ? "unexpected end of file" : strerror(-ret));
	else if (first)
		pr_perr(f.what, pc->t->pid, "at 0x%" PRIx64 ": %s", f.at,
			strerror(-ret));
	pg_piece_free(p, pc);
}

static void *pg_writer(void *arg)
{
	unsigned char blk[PG_BLOCK]; /* a thread stack is 8 MiB */
	struct rst_pages *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct pg_piece pc;
		bool skip;

		while (!p->count && !p->closing)
			pthread_cond_wait(&p->more, &p->lock);
		if (!p->count)
			break;
		pc = p->q[p->head];
		p->head = (p->head + 1) % PG_QUEUE;
		p->count--;
		skip = p->abort || p->err;
		pthread_cond_signal(&p->room);
		pthread_mutex_unlock(&p->lock);
		pg_do_piece(p, &pc, skip, blk);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int nr_writers(void)
{
	cpu_set_t set;
	int n = 1;

	if (!sched_getaffinity(0, sizeof(set), &set))
		n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > PG_MAX_WRITERS ? PG_MAX_WRITERS : n;
}

static int pg_start(struct rst_ctx *rc)
{
	struct rst_pages *p = calloc(1, sizeof(*p));

	if (p)
		p->uffd = malloc((size_t)rc->nr * sizeof(*p->uffd));
	if (!p || !p->uffd) {
		free(p);
		return -ENOMEM;
	}
	p->nr_tasks = rc->nr;
	for (int i = 0; i < rc->nr; i++)
		p->uffd[i] = -2;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->room, NULL);
	/* Fewer writers than CPUs is slower, not wrong; none: main writes. */
	for (int want = nr_writers(); p->nr_writers < want; p->nr_writers++)
		if (pthread_create(&p->th[p->nr_writers], NULL, pg_writer, p))
			break;
	rc->pages = p;
	return 0;
}

/* Private anonymous memory: what UFFDIO_COPY can fill. */
static bool uffd_area(const struct rvma *m)
{
	/* A primed area has a page already: UFFDIO_COPY would say EEXIST. */
	return !is_kernel_area(m) && !is_shared_anon(m) &&
	       m->v.kind != CRYO_VMA_FILE && !m->primed &&
	       (m->v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
}

/*
 * A userfaultfd on the target's mm, registered over its private anonymous
 * areas: made in the target (an injected userfaultfd()), taken over with
 * pidfd_getfd and closed there, so that cryo holds the only reference and
 * closing it drops every registration (rst_mm_pages_end). It is created
 * with UFFD_USER_MODE_ONLY: a kernel access to a registered page that is
 * not there yet (none is expected: the target is stopped and every page of
 * those areas goes in with UFFDIO_COPY) fails instead of waiting for a
 * reader that never comes. *out is the fd, or -1 when the target has no
 * such area or the kernel refuses: its pages then go the other ways (so
 * that is logged at debug level only). Returns -errno only when the
 * injection engine failed (logged).
 */
static int uffd_open(struct rtask *t, int *out)
{
	struct uffdio_api api = {.api = UFFD_API};
	int pidfd, fd = -1, nr = 0, ret;
	long tfd = -1;

	*out = -1;
	for (int i = 0; i < t->nr_vmas; i++)
		nr += uffd_area(&t->vmas[i]);
	if (!nr)
		return 0;
	ret = rst_syscall(t, 0, SYS_userfaultfd,
			  O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY, 0, 0, 0,
			  0, 0, &tfd);
	if (ret)
		return ret;
	if (tfd < 0) {
		pr_debug("pid %d: no userfaultfd (%s): pages by writes", t->pid,
			 strerror((int)-tfd));
		return 0;
	}
	pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (pidfd >= 0) {
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)tfd, 0);
		close(pidfd);
	}
	ret = rst_syscall_ok(t, 0, "close the userfaultfd", SYS_close,
			     (unsigned long)tfd, 0, 0, 0, 0, 0, NULL);
	if (ret || fd < 0 || ioctl(fd, UFFDIO_API, &api)) {
		if (!ret)
			pr_debug(
				"pid %d: userfaultfd not usable (%s): pages by writes",
				t->pid, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	for (int i = 0; i < t->nr_vmas; i++) {
		struct rvma *m = &t->vmas[i];
		struct uffdio_register reg = {
			.range = {m->v.start, m->v.end - m->v.start},
			.mode = UFFDIO_REGISTER_MODE_MISSING};

		m->uffd = uffd_area(m) && !ioctl(fd, UFFDIO_REGISTER, &reg);
		if (uffd_area(m) && !m->uffd)
			pr_debug("pid %d: area %" PRIx64
				 " not registered (%s): pages by writes",
				 t->pid, m->v.start, strerror(errno));
	}
	*out = fd;
	return 0;
}

/*
 * Checks the deferred payloads whose pieces are all written, oldest first
 * (all == true: every one, after the writers stopped). Main thread only:
 * the reader is not shared.
 */
static int pg_check(struct rst_pages *p, struct cryo_img_reader *r, bool all)
{
	int ret = 0;

	for (;;) {
		struct pg_payload *pl;
		uint32_t crc = 0;

		pthread_mutex_lock(&p->lock);
		pl = p->first;
		if (pl && (pl->left == 0 || all)) {
			p->first = pl->next;
			if (!p->first)
				p->last = NULL;
		} else {
			pl = NULL;
		}
		pthread_mutex_unlock(&p->lock);
		if (!pl)
			return ret;
		if (!ret && pl->left) {
			pr_err("read image", "PAGES",
			       "record at offset %" PRIu64
			       ": %zu pieces not written",
			       pl->d.rec_offset, pl->left);
			ret = -EIO;
		}
		for (size_t i = 0; i < pl->nr_pieces; i++)
			crc = cryo_crc32c_combine(
				crc, pl->crcs[i],
				i + 1 < pl->nr_pieces
					? PG_CHUNK
					: pl->d.len - i * PG_CHUNK);
		if (!ret) {
			ret = cryo_img_check_deferred(r, &pl->d, crc);
			if (ret)
				pr_err("read image", "PAGES", "%s",
				       cryo_img_reader_error(r));
		}
		free(pl->crcs);
		free(pl);
	}
}

/* Queues a piece (taking it over); the first writer failure if any. */
static int pg_push(struct rst_pages *p, struct pg_piece *pc)
{
	int ret;

	if (!p->nr_writers) { /* no thread could be made: write it here */
		unsigned char *blk = malloc(PG_BLOCK);

		if (!blk) {
			pr_perr("restore", pc->t->pid, "%s", strerror(ENOMEM));
			pg_piece_free(p, pc);
			return -ENOMEM;
		}
		pg_do_piece(p, pc, p->err, blk);
		free(blk);
		return p->err;
	}
	pthread_mutex_lock(&p->lock);
	while (p->count == PG_QUEUE && !p->err)
		pthread_cond_wait(&p->room, &p->lock);
	ret = p->err;
	if (!ret) {
		p->q[(p->head + p->count) % PG_QUEUE] = *pc;
		p->count++;
		pthread_cond_signal(&p->more);
	}
	pthread_mutex_unlock(&p->lock);
	if (ret)
		pg_piece_free(p, pc);
	return ret;
}

int rst_mm_pages_end(struct rst_ctx *rc, struct cryo_img_reader *r, bool abort)
{
	struct rst_pages *p = rc->pages;
	int ret;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	p->closing = true;
	p->abort |= abort;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nr_writers; i++)
		pthread_join(p->th[i], NULL);
	ret = p->err;
	if (abort || ret)
		p->abort = true;
	/* Every payload checked (or, after a failure, dropped). */
	if (!p->abort)
		ret = pg_check(p, r, true);
	while (p->first) {
		struct pg_payload *pl = p->first;

		p->first = pl->next;
		free(pl->crcs);
		free(pl);
	}
	/* The last reference: the target's areas are plain memory again. */
	for (int i = 0; i < p->nr_tasks; i++) {
		if (p->uffd[i] >= 0)
			close(p->uffd[i]);
		for (int k = 0; k < rc->tasks[i].nr_vmas; k++)
			rc->tasks[i].vmas[k].uffd = false;
	}
	while (p->nr_spare)
		free(p->spare[--p->nr_spare]);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
	free(p->uffd);
	free(p);
	rc->pages = NULL;
	return abort ? 0 : ret;
}

/* Where the next payload bytes go: a cursor over a PAGEMAP's runs. */
struct pg_cursor {
	const struct cryo_img_page_run *runs;
	uint32_t nr_runs, run;
	uint64_t done; /* bytes of runs[run] already taken */
};

/*
 * The segments of the next len payload bytes: each stays inside one area.
 * PROT_NONE areas are opened here (an injected syscall: only the main
 * thread, the tracer, can do that).
 */
static int pg_plan(struct rtask *t, struct pg_cursor *cur, uint64_t len,
		   struct pg_piece *pc)
{
	pc->len = len;
	pc->segs = malloc((len / PAGE_SZ + 1) * sizeof(*pc->segs));
	if (!pc->segs) {
		pr_perr("restore", t->pid, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	while (len) {
		const struct cryo_img_page_run *ru = &cur->runs[cur->run];
		uint64_t va = ru->vaddr + cur->done;
		uint64_t k = ru->nr_pages * PAGE_SZ - cur->done;
		struct rvma *m = find_vma(t, va);
		int ret;

		if (!m) {
			pr_perr("restore", t->pid,
				"image has a page at 0x%" PRIx64
				" outside every area",
				va);
			return -EBADMSG;
		}
		if (k > m->v.end - va)
			k = m->v.end - va;
		if (k > len)
			k = len;
		if (m->primed && va <= m->v.start && m->v.start < va + k)
			m->primed_used = true;
		ret = m->uffd ? 0 : open_for_pages(t, m);
		if (ret)
			return ret;
		pc->segs[pc->nr_segs++] =
			(struct pg_seg){va, k,
					m->uffd		 ? PG_UFFD
					: vm_writable(m) ? PG_VM
							 : PG_MEM};
		len -= k;
		cur->done += k;
		if (cur->done == ru->nr_pages * PAGE_SZ) {
			cur->run++;
			cur->done = 0;
		}
	}
	return 0;
}

/* From a pipe: the piece's bytes through the reader, which checks them. */
static int pg_read(struct rst_pages *p, struct cryo_img_reader *r,
		   struct rtask *t, struct pg_piece *pc)
{
	ssize_t got;

	pc->buf = pg_buf_get(p);
	if (!pc->buf) {
		pr_perr("restore", t->pid, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	got = cryo_img_read(r, pc->buf, pc->len);
	if (got == (ssize_t)pc->len)
		return 0;
	pr_err("read image", "PAGES", "%s", cryo_img_reader_error(r));
	return got < 0 ? (int)got : -EIO;
}

/*
 * From a file: the payload is deferred in the reader and queued for the
 * writers to read (NULL when the stream is not a file).
 */
static int pg_defer(struct rst_pages *p, struct cryo_img_reader *r,
		    uint64_t total, struct pg_payload **out)
{
	struct pg_payload *pl = calloc(1, sizeof(*pl));
	int ret;

	*out = NULL;
	if (!pl)
		return -ENOMEM;
	ret = cryo_img_defer(r, &pl->d);
	if (ret == -ESPIPE) {
		free(pl);
		return 0;
	}
	if (!ret && pl->d.len != total) /* nothing was read before */
		ret = -EINVAL;
	pl->nr_pieces = (total + PG_CHUNK - 1) / PG_CHUNK;
	pl->left = pl->nr_pieces;
	pl->crcs = ret ? NULL : calloc(pl->nr_pieces + 1, sizeof(uint32_t));
	if (!ret && !pl->crcs)
		ret = -ENOMEM;
	if (ret) {
		pr_err("read image", "PAGES", "%s",
		       ret == -ENOMEM ? strerror(ENOMEM)
				      : cryo_img_reader_error(r));
		free(pl);
		return ret;
	}
	pthread_mutex_lock(&p->lock);
	if (p->last)
		p->last->next = pl;
	else
		p->first = pl;
	p->last = pl;
	pthread_mutex_unlock(&p->lock);
	*out = pl;
	return 0;
}

/* A PAGES payload of total bytes, for the runs of its PAGEMAP. */
static int pg_payload(struct rst_ctx *rc, struct rtask *t,
		      struct cryo_img_reader *r, struct pg_cursor *cur,
		      uint64_t total)
{
	struct pg_payload *pl = NULL;
	struct rst_pages *p;
	uint64_t off = 0;
	int ret = 0, *uffd;

	if (!rc->pages) {
		ret = pg_start(rc);
		if (ret) {
			pr_perr("restore", t->pid, "%s", strerror(-ret));
			return ret;
		}
	}
	p = rc->pages;
	uffd = &p->uffd[t - rc->tasks];
	if (*uffd == -2)
		ret = uffd_open(t, uffd);
	if (!ret && rc->img_fd >= 0 && total)
		ret = pg_defer(p, r, total, &pl);
	for (size_t i = 0; !ret && off < total; i++) {
		uint64_t len = total - off < PG_CHUNK ? total - off : PG_CHUNK;
		struct pg_piece pc = {.t = t, .uffd = *uffd, .fd = rc->img_fd};

		ret = pg_plan(t, cur, len, &pc);
		if (!ret && pl) {
			pc.pl = pl;
			pc.idx = i;
			pc.file_off = pl->d.file_off + off;
		} else if (!ret) {
			ret = pg_read(p, r, t, &pc);
		}
		if (ret)
			pg_piece_free(p, &pc);
		else
			ret = pg_push(p, &pc);
		off += len;
	}
	/* Payloads whose pieces are all written are checked as we go. */
	return ret ? ret : pg_check(p, r, false);
}

/* Step 4: a PAGEMAP record and the PAGES record after it. */
int rst_mm_pages(struct rst_ctx *rc, struct cryo_img_reader *r,
		 const void *payload, size_t len)
{
	const struct cryo_img_desc *d = cryo_img_desc_get(CRYO_REC_PAGEMAP);
	struct cryo_img_pagemap pm;
	struct cryo_img_page_run *runs;
	struct cryo_img_rec rec;
	struct pg_cursor cur;
	const void *tail;
	uint64_t tail_len, total = 0;
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
	if (!runs) {
		pr_perr("restore", t->pid, "%s", strerror(ENOMEM));
		return -ENOMEM;
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
	for (uint32_t i = 0; i < pm.nr_runs; i++)
		total += runs[i].nr_pages * PAGE_SZ;
	if (total != rec.len) {
		pr_err("read image", "PAGES",
		       "%" PRIu64 " bytes, its PAGEMAP says %" PRIu64, rec.len,
		       total);
		ret = -EBADMSG;
		goto out;
	}
	cur = (struct pg_cursor){.runs = runs, .nr_runs = pm.nr_runs};
	ret = pg_payload(rc, t, r, &cur, total);
out:
	free(runs);
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
