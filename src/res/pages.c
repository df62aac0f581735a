// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page data: the PAGEMAP and PAGES records of a task. Pages are saved when
 * present or swapped and not just a copy of the file behind them: for a
 * private file mapping only the pages written since (the anonymous copies,
 * pagemap bit 61 clear) are saved; a shared mapping of a file that still
 * exists is the file's business. Kernel-provided areas ([vdso], [vvar],
 * [vvar_vclock], [vsyscall]) are never saved: restore on the same kernel
 * finds them again.
 *
 * The pages to save are found with PAGEMAP_SCAN (the kernel lists the
 * runs), or from the pagemap entries (one word per page) where that ioctl
 * is missing or CRYO_PAGES_NO_SCAN is set in the environment (for tests).
 *
 * The copy is a two-stage pipeline over a ring of NR_SLOTS buffers of
 * SLOT_PAGES pages each: 8 MiB whatever the dump's size, small enough to
 * stay in the L3 cache between the copy in and the copy out:
 *
 *   this thread (reader)                     writer thread
 *   pagemap -> runs of a slot
 *   process_vm_readv the runs into the slot
 *   CRC32C of the slot           ---slot--->  PAGEMAP, [PAD], PAGES (with
 *   next free slot               <--free---   that CRC) into the image
 *
 * so that reading the target and writing the image overlap on two CPUs.
 * process_vm_readv copies once (/proc/PID/mem copies twice) but cannot
 * read what the target itself could not (PROT_NONE, write-only areas):
 * whatever it leaves unread is read through /proc/PID/mem, which can.
 * The writer thread is the only user of the image writer while it runs;
 * every exit path stops and joins it before returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../dump.h"
#include "../log.h"
#include "../uapi.h"
#include "mm.h"

#define PAGE_SIZE     4096ull
#define PM_PRESENT    (1ull << 63)
#define PM_SWAP	      (1ull << 62)
#define PM_FILE	      (1ull << 61) /* file page or shared anonymous */
#define PM_GUARD      (1ull << 58) /* MADV_GUARD_INSTALL marker: no data */
#define SLOT_PAGES    256u	   /* 1 MiB of page data per PAGES record */
#define NR_SLOTS      8u	   /* buffers in the ring: 8 MiB, in the L3 */
#define PAGEMAP_CHUNK 4096u	   /* pagemap entries read at a time */
#define SCAN_REGIONS  512u	   /* PAGEMAP_SCAN regions at a time */
#define RING_BYTES    (NR_SLOTS * SLOT_PAGES * PAGE_SIZE)

/* The pages of one PAGEMAP + PAGES pair. */
struct slot {
	struct cryo_img_page_run runs[SLOT_PAGES];
	uint32_t nr_runs;
	uint32_t nr_pages;
	uint32_t crc; /* of data[0 .. nr_pages * PAGE_SIZE) */
	unsigned char *data;
};

/* Where the time went (ns), for the debug log. */
struct pages_stats {
	uint64_t read_ns;   /* reader: process_vm_readv and /proc/PID/mem */
	uint64_t crc_ns;    /* reader: CRC32C */
	uint64_t rwait_ns;  /* reader: waiting for a free slot */
	uint64_t write_ns;  /* writer: writing the records */
	uint64_t wwait_ns;  /* writer: waiting for a full slot */
	uint64_t mem_pages; /* pages read through /proc/PID/mem */
	uint64_t slots;
};

struct pages_ctx {
	struct dump_ctx *dc;
	pid_t pid;
	int memfd;
	int pmfd;
	struct slot *slots;  /* NR_SLOTS of them */
	unsigned char *ring; /* their data, page-aligned */
	struct slot *cur;    /* the one the reader fills */
	struct iovec riov[SLOT_PAGES];
	bool no_scan; /* PAGEMAP_SCAN unusable: read the pagemap */
	uint64_t pm[PAGEMAP_CHUNK];
	struct cryo_page_region regions[SCAN_REGIONS];

	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;
	uint64_t filled;  /* slots handed to the writer */
	uint64_t written; /* slots the writer is done with */
	bool done;	  /* the reader hands over no more slots */
	bool stop;	  /* the reader failed: write nothing more */
	int werr;	  /* the writer's failure */
	struct pages_stats st;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int slot_write(struct pages_ctx *pc, const struct slot *s)
{
	struct cryo_img_pagemap pm = {
		.size = sizeof(pm),
		.pid = (uint32_t)pc->pid,
		.nr_runs = s->nr_runs,
		.nr_pages = s->nr_pages,
	};
	struct iovec iov = {.iov_base = s->data,
			    .iov_len = s->nr_pages * PAGE_SIZE};
	int ret;

	ret = cryo_img_write_rec(pc->dc->w, CRYO_REC_PAGEMAP, &pm, sizeof(pm),
				 s->runs, sizeof(s->runs[0]) * s->nr_runs);
	if (!ret)
		ret = cryo_img_write_pages_crc(pc->dc->w, &iov, 1, s->crc);
	return ret;
}

/* The writer thread: writes the slots in order until told there are no more. */
static void *writer_main(void *arg)
{
	struct pages_ctx *pc = arg;

	pthread_mutex_lock(&pc->lock);
	for (;;) {
		const struct slot *s;
		uint64_t t0 = now_ns(), t1;
		int ret;

		while (pc->written == pc->filled && !pc->done && !pc->stop)
			pthread_cond_wait(&pc->cond, &pc->lock);
		if (pc->stop || pc->written == pc->filled)
			break;
		s = &pc->slots[pc->written % NR_SLOTS];
		pthread_mutex_unlock(&pc->lock);
		t1 = now_ns();
		ret = slot_write(pc, s);
		pc->st.wwait_ns += t1 - t0;
		pc->st.write_ns += now_ns() - t1;
		pthread_mutex_lock(&pc->lock);
		if (ret) {
			pc->werr = ret;
			pthread_cond_signal(&pc->cond);
			break;
		}
		pc->written++;
		pthread_cond_signal(&pc->cond);
	}
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

/*
 * Reads what process_vm_readv left of the run r (its bytes from off on)
 * into dst, through /proc/PID/mem, which reads PROT_NONE and write-only
 * pages too.
 */
static int read_rest(struct pages_ctx *pc, const struct iovec *r,
		     unsigned char *dst, size_t off)
{
	uint64_t addr = (uint64_t)(uintptr_t)r->iov_base + off;
	size_t len = r->iov_len - off;
	ssize_t got;

	got = pread(pc->memfd, dst + off, len, (off_t)addr);
	if (got != (ssize_t)len) {
		int ret = got < 0 ? -errno : -EIO;

		if (got >= 0)
			addr += (uint64_t)got;
		pr_perr("read memory", pc->pid, "at 0x%" PRIx64 ": %s", addr,
			strerror(-ret));
		return ret;
	}
	pc->st.mem_pages += len / PAGE_SIZE;
	return 0;
}

/* Copies the target's pages of slot s into s->data. */
static int slot_read(struct pages_ctx *pc, struct slot *s)
{
	unsigned char *dst = s->data;
	uint64_t t0 = now_ns(), t1;
	uint32_t i = 0;

	for (uint32_t k = 0; k < s->nr_runs; k++)
		pc->riov[k] = (struct iovec){
			.iov_base = (void *)(uintptr_t)s->runs[k].vaddr,
			.iov_len = s->runs[k].nr_pages * PAGE_SIZE};
	while (i < s->nr_runs) {
		struct iovec local = {.iov_base = dst,
				      .iov_len = s->data +
						 s->nr_pages * PAGE_SIZE - dst};
		ssize_t got = process_vm_readv(pc->pid, &local, 1, &pc->riov[i],
					       s->nr_runs - i, 0);
		size_t done = got > 0 ? (size_t)got : 0;
		int ret;

		while (i < s->nr_runs && done >= pc->riov[i].iov_len) {
			done -= pc->riov[i].iov_len;
			dst += pc->riov[i++].iov_len;
		}
		if (i == s->nr_runs)
			break;
		/* Stopped inside run i (a page it may not read): the rest of
		 * the run the other way, then on with the next runs. */
		ret = read_rest(pc, &pc->riov[i], dst, done);
		if (ret)
			return ret;
		dst += pc->riov[i++].iov_len;
	}
	t1 = now_ns();
	s->crc = cryo_crc32c(0, s->data, s->nr_pages * PAGE_SIZE);
	pc->st.read_ns += t1 - t0;
	pc->st.crc_ns += now_ns() - t1;
	return 0;
}

/* Waits for the writer to free the next slot; fails if the writer did. */
static int next_slot(struct pages_ctx *pc)
{
	uint64_t t0 = now_ns();
	int ret;

	pthread_mutex_lock(&pc->lock);
	while (pc->filled - pc->written == NR_SLOTS && !pc->werr)
		pthread_cond_wait(&pc->cond, &pc->lock);
	ret = pc->werr;
	pthread_mutex_unlock(&pc->lock);
	pc->st.rwait_ns += now_ns() - t0;
	if (ret)
		return ret;
	pc->cur = &pc->slots[pc->filled % NR_SLOTS];
	pc->cur->nr_runs = 0;
	pc->cur->nr_pages = 0;
	return 0;
}

/* Reads the current slot's pages and hands it to the writer. */
static int slot_flush(struct pages_ctx *pc)
{
	struct slot *s = pc->cur;
	int ret;

	if (!s->nr_pages)
		return 0;
	ret = slot_read(pc, s);
	if (ret)
		return ret;
	pc->dc->nr_pages += s->nr_pages;
	pc->st.slots++;
	pthread_mutex_lock(&pc->lock);
	pc->filled++;
	pthread_cond_signal(&pc->cond);
	pthread_mutex_unlock(&pc->lock);
	return next_slot(pc);
}

/* Adds n pages at vaddr to the current slot, flushing it when full. */
static int slot_add(struct pages_ctx *pc, uint64_t vaddr, uint64_t n)
{
	while (n) {
		struct slot *s = pc->cur;
		struct cryo_img_page_run *last =
			s->nr_runs ? &s->runs[s->nr_runs - 1] : NULL;
		uint64_t k = SLOT_PAGES - s->nr_pages;
		int ret;

		if (k > n)
			k = n;
		if (last && last->vaddr + last->nr_pages * PAGE_SIZE == vaddr)
			last->nr_pages += k;
		else
			s->runs[s->nr_runs++] = (struct cryo_img_page_run){
				.vaddr = vaddr, .nr_pages = k};
		s->nr_pages += (uint32_t)k;
		vaddr += k * PAGE_SIZE;
		n -= k;
		if (s->nr_pages == SLOT_PAGES || s->nr_runs == SLOT_PAGES) {
			ret = slot_flush(pc);
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

/*
 * Whether pagemap entry e is a page to save. A guard marker reads as
 * swapped but has no data (reading it faults): it is not a page.
 */
static bool pm_wanted(uint64_t e, bool anon_only)
{
	return (e & (PM_PRESENT | PM_SWAP)) && !(e & PM_GUARD) &&
	       !(anon_only && (e & PM_FILE));
}

/*
 * The pages to save of an area, found by the kernel (PAGEMAP_SCAN, Linux
 * 6.7; guard pages 6.15): it skips what was never touched without a word
 * per page (an ASan process reserves terabytes). -EOPNOTSUPP, before
 * adding anything, if the kernel cannot select them this way.
 */
static int scan_vma_pages(struct pages_ctx *pc, const struct vma *v,
			  bool anon_only)
{
	uint64_t excl = PAGE_IS_GUARD | (anon_only ? PAGE_IS_FILE : 0);
	struct cryo_pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = v->v.start,
		.end = v->v.end,
		.vec = (uint64_t)(uintptr_t)pc->regions,
		.vec_len = SCAN_REGIONS,
		.category_inverted = excl,
		.category_mask = excl,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};

	while (arg.start < arg.end) {
		long n = ioctl(pc->pmfd, CRYO_PAGEMAP_SCAN, &arg);

		if (n < 0 && (errno == EINVAL || errno == ENOTTY) &&
		    arg.start == v->v.start)
			return -EOPNOTSUPP; /* nothing of v added yet */
		if (n < 0 || arg.walk_end <= arg.start) {
			int ret = n < 0 ? -errno : -EIO;

			pr_perr("scan pagemap", pc->pid, "at 0x%" PRIx64 ": %s",
				(uint64_t)arg.start, strerror(-ret));
			return ret;
		}
		for (long i = 0; i < n; i++) {
			const struct cryo_page_region *r = &pc->regions[i];
			int ret = slot_add(pc, r->start,
					   (r->end - r->start) / PAGE_SIZE);

			if (ret)
				return ret;
		}
		arg.start = arg.walk_end;
	}
	return 0;
}

/* The same from the pagemap entries, one per page. */
static int read_vma_pages(struct pages_ctx *pc, const struct vma *v,
			  bool anon_only)
{
	for (uint64_t addr = v->v.start; addr < v->v.end;) {
		uint64_t n = (v->v.end - addr) / PAGE_SIZE;
		ssize_t got;

		if (n > PAGEMAP_CHUNK)
			n = PAGEMAP_CHUNK;
		got = pread(pc->pmfd, pc->pm, n * 8,
			    (off_t)(addr / PAGE_SIZE * 8));
		if (got != (ssize_t)(n * 8)) {
			pr_perr("read pagemap", pc->pid, "at 0x%" PRIx64 ": %s",
				addr, got < 0 ? strerror(errno) : "short read");
			return got < 0 ? -errno : -EIO;
		}
		for (uint64_t i = 0; i < n;) {
			uint64_t j = i;

			while (j < n && pm_wanted(pc->pm[j], anon_only))
				j++;
			if (j > i) {
				int ret = slot_add(pc, addr + i * PAGE_SIZE,
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

static int dump_vma_pages(struct pages_ctx *pc, const struct vma *v)
{
	bool anon_only = false;
	int ret;

	if (!vma_wants_pages(v, &anon_only))
		return 0;
	if (!pc->no_scan) {
		ret = scan_vma_pages(pc, v, anon_only);
		if (ret != -EOPNOTSUPP)
			return ret;
		pr_debug("pid %d: no PAGEMAP_SCAN, reading the pagemap",
			 (int)pc->pid);
		pc->no_scan = true;
	}
	return read_vma_pages(pc, v, anon_only);
}

static void pages_log_stats(const struct pages_ctx *pc)
{
	const struct pages_stats *st = &pc->st;

	pr_debug("pid %d: %" PRIu64 " PAGES records, %" PRIu64
		 " pages through /proc/PID/mem; reader: read %" PRIu64
		 " ms, crc %" PRIu64 " ms, waited %" PRIu64
		 " ms; writer: wrote %" PRIu64 " ms, waited %" PRIu64 " ms",
		 (int)pc->pid, st->slots, st->mem_pages, st->read_ns / 1000000,
		 st->crc_ns / 1000000, st->rwait_ns / 1000000,
		 st->write_ns / 1000000, st->wwait_ns / 1000000);
}

/* Runs the reader side over every area, then lets the writer finish. */
static int pages_run(struct pages_ctx *pc, const struct vma *vmas, int nr)
{
	pthread_t writer;
	int ret;

	ret = pthread_create(&writer, NULL, writer_main, pc);
	if (ret) {
		pr_perr("dump pages", pc->pid, "cannot start a thread: %s",
			strerror(ret));
		return -ret;
	}
	ret = next_slot(pc);
	for (int i = 0; !ret && i < nr; i++)
		ret = dump_vma_pages(pc, &vmas[i]);
	if (!ret)
		ret = slot_flush(pc);
	pthread_mutex_lock(&pc->lock);
	pc->done = true;
	pc->stop = ret != 0;
	pthread_cond_signal(&pc->cond);
	pthread_mutex_unlock(&pc->lock);
	pthread_join(writer, NULL);
	pages_log_stats(pc);
	return ret ? ret : pc->werr;
}

static int open_proc(pid_t pid, const char *name, int *fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		pr_perr("open memory", pid, "%s: %s", name, strerror(errno));
		return -errno;
	}
	return 0;
}

static void pages_free(struct pages_ctx *pc)
{
	if (pc->memfd >= 0)
		close(pc->memfd);
	if (pc->pmfd >= 0)
		close(pc->pmfd);
	if (pc->ring)
		munmap(pc->ring, RING_BYTES);
	free(pc->slots);
	pthread_cond_destroy(&pc->cond);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

/*
 * The slots' data: page-aligned, as the kernel copies a page-aligned
 * destination twice as fast (process_vm_readv into a malloc()ed buffer,
 * 16 bytes off, ran at 5 GB/s instead of 9 here).
 */
static int alloc_ring(struct pages_ctx *pc)
{
	pc->ring = mmap(NULL, RING_BYTES, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pc->ring == MAP_FAILED) {
		pc->ring = NULL;
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < NR_SLOTS; i++)
		pc->slots[i].data = pc->ring + i * SLOT_PAGES * PAGE_SIZE;
	return 0;
}

static int pages_new(struct dump_ctx *dc, pid_t pid, struct pages_ctx **out)
{
	struct pages_ctx *pc = calloc(1, sizeof(*pc));
	int ret;

	if (!pc)
		return -ENOMEM;
	pc->dc = dc;
	pc->pid = pid;
	pc->no_scan = getenv("CRYO_PAGES_NO_SCAN") != NULL; /* tests */
	pc->memfd = pc->pmfd = -1;
	pthread_mutex_init(&pc->lock, NULL);
	pthread_cond_init(&pc->cond, NULL);
	pc->slots = calloc(NR_SLOTS, sizeof(*pc->slots));
	ret = pc->slots ? alloc_ring(pc) : -ENOMEM;
	if (!ret)
		ret = open_proc(pid, "mem", &pc->memfd);
	if (!ret)
		ret = open_proc(pid, "pagemap", &pc->pmfd);
	if (ret) {
		pages_free(pc);
		return ret;
	}
	*out = pc;
	return 0;
}

static int dump_pages(struct dump_ctx *dc, struct dtask *task)
{
	struct pages_ctx *pc;
	struct vma *vmas;
	int nr, ret;

	ret = parse_maps(task->pid, &vmas, &nr);
	if (ret)
		return ret;
	ret = pages_new(dc, task->pid, &pc);
	if (!ret) {
		ret = pages_run(pc, vmas, nr);
		pages_free(pc);
	}
	free(vmas);
	return ret;
}

const struct res_ops res_pages_ops = {
	.name = "pages",
	.dump_pages = dump_pages,
};
