// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Golden images: images written by earlier versions of cryo still read,
 * to exactly the values they were written with.
 *
 * tests/data/golden-vN.img is the image tests/data/gen-golden.c wrote
 * with format version N; it is never regenerated (tests/data/README.md).
 * For each golden file this test knows the expected content, hard-coded
 * below independently of the generator: the file's size and CRC32C (so an
 * accidental regeneration or edit is caught), every record's type, flags,
 * sequence number, offset and length, every decoded field and tail, the
 * page data, the trailer. It reads each file from a file and from a pipe.
 * A golden file without expectations here fails the test.
 *
 * The files are found in $CRYO_SRCDIR/tests/data, ./tests/data (the test
 * runner runs from the repository root) or relative to this executable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cryo/img.h"
#include "img-test.h"
#include "unit.h"

#define PAGE CRYO_IMG_ALIGN

/* ---- helpers ---- */

/*
 * The fixed part of the current record into out, and its tail; out must
 * hold exactly the payload's first min(size, out_len) bytes, then zeros.
 */
static bool fixed(struct cryo_img_reader *r, const struct cryo_img_rec *rec,
		  void *out, size_t out_len, const void **tail,
		  uint64_t *tail_len)
{
	const unsigned char *o = out;
	const void *p;
	uint32_t size;
	size_t i;

	memset(out, 0xa5, out_len);
	if (!CHECK_EQ(cryo_img_payload(r, &p), 0) ||
	    !CHECK_EQ(cryo_img_fixed(rec->desc, p, rec->len, out, out_len, tail,
				     tail_len),
		      0))
		return false;
	memcpy(&size, p, sizeof(size));
	if (size > out_len)
		size = (uint32_t)out_len;
	CHECK_MEM(out, p, size);
	for (i = size; i < out_len && !o[i]; i++)
		;
	CHECK_EQ(i, out_len);
	CHECK(*tail == (const unsigned char *)p + size);
	return true;
}

/* The tail is exactly len bytes equal to want. */
static void check_tail(const void *tail, uint64_t tail_len, const void *want,
		       size_t len)
{
	if (CHECK_EQ(tail_len, len))
		CHECK_MEM(tail, want, len);
}

static void check_note(struct cryo_img_reader *r,
		       const struct cryo_img_rec *rec, const char *text)
{
	const void *p;

	if (CHECK_EQ(rec->len, strlen(text)) &&
	    CHECK_EQ(cryo_img_payload(r, &p), 0))
		CHECK_MEM(p, text, strlen(text));
}

/* ---- format version 1 ---- */

/* Records of golden-v1.img after the HEADER, in order. */
static const struct v1_rec {
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint64_t offset;
	uint64_t len;
	uint32_t payload_crc; /* CRC32C of the payload */
} v1_recs[] = {
	{CRYO_REC_NOTE, 0x0, 1, 184, 38, 0x2b9642c6},
	{CRYO_REC_CONTAINER, 0x1, 2, 246, 426, 0x020b0f4e},
	{CRYO_REC_PSTREE, 0x1, 3, 696, 32, 0x075ffd23},
	{CRYO_REC_TASK, 0x1, 4, 752, 72, 0x8b4214b6},
	{CRYO_REC_CREDS, 0x1, 5, 848, 100, 0x8136ede1},
	{CRYO_REC_MM, 0x1, 6, 972, 152, 0x2c7cff20},
	{CRYO_REC_VMA, 0x1, 7, 1148, 72, 0x355824ad},
	{CRYO_REC_VMA, 0x1, 8, 1244, 63, 0x8eeddd44},
	{CRYO_REC_VMA, 0x1, 9, 1331, 64, 0x503a4773},
	{CRYO_REC_THREAD, 0x1, 10, 1419, 304, 0x30a4dd91},
	{CRYO_REC_THREAD, 0x1, 11, 1747, 304, 0x631b3374},
	{CRYO_REC_FD, 0x1, 12, 2075, 50, 0x45d00460},
	{CRYO_REC_FD, 0x1, 13, 2149, 56, 0x01658f88},
	{CRYO_REC_FD, 0x1, 14, 2229, 53, 0x59aabc34},
	{CRYO_REC_PAGEMAP, 0x1, 15, 2306, 56, 0xe5eda035},
	{CRYO_REC_PAD, 0x0, 16, 2386, 1662, 0x6a2a4bab},
	{CRYO_REC_PAGES, 0x1, 17, 4072, 12288, 0x461ba7eb},
	{CRYO_REC_PAGEMAP, 0x1, 18, 16384, 40, 0xd05cf815},
	{CRYO_REC_PAD, 0x0, 19, 16448, 3984, 0xe2d25982},
	{CRYO_REC_PAGES, 0x1, 20, 20456, 4096, 0x37e693cf},
	{CRYO_REC_PAD, 0x0, 21, 24576, 7, 0xbb3e6a6d},
	{CRYO_REC_NOTE, 0x0, 22, 24607, 23, 0x94cb3782},
};

#define V1_SIZE	       24710
#define V1_TRAILER_OFF 24654
#define V1_NR_RECORDS  23
/*
 * These two depend on the chain CRC's definition: the whole file's CRC32C
 * and the trailer's chain_crc.
 */
#define V1_FILE_CRC  0xacbda623u
#define V1_CHAIN_CRC 0xd0b096a0u

/* CRC32C of each page of golden-v1.img, in stream order. */
static const uint32_t v1_page_crc[4] = {0x9562bccb, 0x01e9c05b, 0xdaf442d2,
					0x37e693cf};
static const uint64_t v1_page_vaddr[4] = {0x404000, 0x7ffd0000f000ull,
					  0x7ffd00010000ull, 0x402000};

/* Page k of golden-v1.img: a line of text, then (k*31 + i*7) mod 256. */
static void v1_page(unsigned char *p, unsigned int k)
{
	char line[64];
	size_t n = (size_t)snprintf(line, sizeof(line),
				    "cryo golden page %u at 0x%llx\n", k,
				    (unsigned long long)v1_page_vaddr[k]);

	memset(p, 0, PAGE);
	memcpy(p, line, n);
	for (size_t i = n; i < PAGE; i++)
		p[i] = (unsigned char)((k * 31 + i * 7) & 0xff);
}

static void v1_header(const struct cryo_img_header *h)
{
	CHECK_EQ(h->size, 152);
	CHECK_EQ(h->format_version, 1);
	CHECK_EQ(h->arch, 62);
	CHECK_EQ(h->page_size, 4096);
	CHECK_EQ(h->xfeatures, 0x2e7);
	CHECK_EQ(h->xsave_size, 64);
	CHECK_EQ(h->flags, 0x1);
	CHECK_EQ(h->ctime_sec, 1700000000);
	CHECK_EQ(h->ctime_nsec, 123456789);
	CHECK_EQ(h->root_pid, 4242);
	CHECK_STR(h->kernel_release, "6.1.0-golden");
	CHECK_STR(h->cryo_version, "0.1.0-golden");
}

static void v1_container(struct cryo_img_reader *r,
			 const struct cryo_img_rec *rec)
{
	static const char cg[] = "0::/golden.slice/app.scope\0"
				 "1:name=systemd:/golden";
	static const uint64_t ns[CRYO_NS_MAX] = {
		4026531835, 4026531836, 4026531837, 4026531838,
		4026531839, 4026531840, 4026531841, 0,
	};
	struct cryo_img_container c;
	const void *tail;
	uint64_t tl;

	if (!fixed(r, rec, &c, sizeof(c), &tail, &tl))
		return;
	CHECK_EQ(c.size, 376);
	CHECK_EQ(c.flags, 0x1);
	CHECK_STR(c.lsms, "lockdown,capability,landlock,yama,apparmor");
	CHECK_STR(c.label_lsm, "apparmor");
	CHECK_STR(c.hostname, "golden-host");
	CHECK_STR(c.domainname, "(none)");
	CHECK_MEM(c.ns_ino, ns, sizeof(ns));
	check_tail(tail, tl, cg, sizeof(cg));
}

static void v1_pstree(struct cryo_img_reader *r, const struct cryo_img_rec *rec)
{
	static const uint32_t tids[] = {4242, 4243};
	struct cryo_img_pstree p;
	const void *tail;
	uint64_t tl;

	if (!fixed(r, rec, &p, sizeof(p), &tail, &tl))
		return;
	CHECK_EQ(p.size, 24);
	CHECK_EQ(p.pid, 4242);
	CHECK_EQ(p.ppid, 1);
	CHECK_EQ(p.pgid, 4242);
	CHECK_EQ(p.sid, 4000);
	CHECK_EQ(p.nr_threads, 2);
	check_tail(tail, tl, tids, sizeof(tids));
}

static void v1_task(struct cryo_img_reader *r, const struct cryo_img_rec *rec)
{
	struct cryo_img_task t;
	const void *tail;
	uint64_t tl;

	if (!fixed(r, rec, &t, sizeof(t), &tail, &tl))
		return;
	CHECK_EQ(t.size, 56);
	CHECK_EQ(t.pid, 4242);
	CHECK_STR(t.comm, "golden");
	CHECK_EQ(t.state, 'S');
	CHECK_EQ(t.exit_signal, 17);
	CHECK_EQ(t.personality, 0);
	CHECK_EQ(t.flags, 0x400100);
	CHECK_EQ(t.nice, -5);
	CHECK(t.nice == -5);
	CHECK_EQ(t.umask, 022);
	CHECK_EQ(t.seccomp_mode, 2);
	CHECK_EQ(t.no_new_privs, 1);
	check_tail(tail, tl, "/usr/bin/golden", 16);
}

static void v1_creds(struct cryo_img_reader *r, const struct cryo_img_rec *rec)
{
	static const uint32_t uid[] = {1000, 1001, 1002, 1003};
	static const uint32_t gid[] = {2000, 2001, 2002, 2003};
	static const uint32_t groups[] = {4, 24, 1000};
	struct cryo_img_creds c;
	const void *tail;
	uint64_t tl;

	if (!fixed(r, rec, &c, sizeof(c), &tail, &tl))
		return;
	CHECK_EQ(c.size, 88);
	CHECK_EQ(c.pid, 4242);
	CHECK_MEM(c.uid, uid, sizeof(uid));
	CHECK_MEM(c.gid, gid, sizeof(gid));
	CHECK_EQ(c.cap_inh, 0x1);
	CHECK_EQ(c.cap_prm, 0x1ffffffffffull);
	CHECK_EQ(c.cap_eff, 0x3000);
	CHECK_EQ(c.cap_bnd, 0x1ffffffffffull);
	CHECK_EQ(c.cap_amb, 0x1000);
	CHECK_EQ(c.nr_groups, 3);
	CHECK_EQ(c.pad, 0);
	check_tail(tail, tl, groups, sizeof(groups));
}

static void v1_mm(struct cryo_img_reader *r, const struct cryo_img_rec *rec)
{
	static const uint64_t auxv[] = {6, 4096, 25, 0x7ffd00010e00ull, 0, 0};
	struct cryo_img_mm m;
	const void *tail;
	uint64_t tl;

	if (!fixed(r, rec, &m, sizeof(m), &tail, &tl))
		return;
	CHECK_EQ(m.size, 104);
	CHECK_EQ(m.pid, 4242);
	CHECK_EQ(m.start_code, 0x400000);
	CHECK_EQ(m.end_code, 0x401000);
	CHECK_EQ(m.start_data, 0x402000);
	CHECK_EQ(m.end_data, 0x403000);
	CHECK_EQ(m.start_brk, 0x404000);
	CHECK_EQ(m.brk, 0x425000);
	CHECK_EQ(m.start_stack, 0x7ffd00010f00ull);
	CHECK_EQ(m.arg_start, 0x7ffd00010f80ull);
	CHECK_EQ(m.arg_end, 0x7ffd00010fa0ull);
	CHECK_EQ(m.env_start, 0x7ffd00010fa0ull);
	CHECK_EQ(m.env_end, 0x7ffd00010ff0ull);
	CHECK_EQ(m.nr_vmas, 3);
	CHECK_EQ(m.pad, 0);
	check_tail(tail, tl, auxv, sizeof(auxv));
}

static void v1_vma(struct cryo_img_reader *r, const struct cryo_img_rec *rec,
		   int nth)
{
	static const struct {
		uint64_t start, end, ino;
		uint32_t dev, prot, kind;
		const char *path;
	} want[3] = {
		{0x400000, 0x403000, 131, 0x801, 5, 1, "/usr/bin/golden"},
		{0x404000, 0x425000, 0, 0, 3, 2, "[heap]"},
		{0x7ffd0000f000ull, 0x7ffd00011000ull, 0, 0, 3, 3, "[stack]"},
	};
	struct cryo_img_vma v;
	const void *tail;
	uint64_t tl;

	if (!fixed(r, rec, &v, sizeof(v), &tail, &tl))
		return;
	CHECK_EQ(v.size, 56);
	CHECK_EQ(v.pid, 4242);
	CHECK_EQ(v.start, want[nth].start);
	CHECK_EQ(v.end, want[nth].end);
	CHECK_EQ(v.pgoff, 0);
	CHECK_EQ(v.ino, want[nth].ino);
	CHECK_EQ(v.dev, want[nth].dev);
	CHECK_EQ(v.prot, want[nth].prot);
	CHECK_EQ(v.flags, 0x2); /* MAP_PRIVATE */
	CHECK_EQ(v.kind, want[nth].kind);
	check_tail(tail, tl, want[nth].path, strlen(want[nth].path) + 1);
}

static void v1_thread(struct cryo_img_reader *r, const struct cryo_img_rec *rec,
		      int nth)
{
	struct cryo_img_thread t;
	unsigned char xsave[64];
	const void *tail;
	uint64_t tl;
	uint32_t tid = 4242 + (uint32_t)nth;

	if (!fixed(r, rec, &t, sizeof(t), &tail, &tl))
		return;
	CHECK_EQ(t.size, 240);
	CHECK_EQ(t.pid, 4242);
	CHECK_EQ(t.tid, tid);
	CHECK_EQ(t.xsave_size, 64);
	CHECK_EQ(t.sigmask, nth ? 0x20000 : 0x10000);
	for (int i = 0; i < 27; i++)
		CHECK_EQ(t.regs[i], 0x1000ull * tid + (uint64_t)i);
	CHECK_EQ(t.regs[16], nth ? 0x1093010 : 0x1092010); /* rip */
	for (size_t i = 0; i < sizeof(xsave); i++)
		xsave[i] = (unsigned char)(i ^ 0x5a);
	check_tail(tail, tl, xsave, sizeof(xsave));
}

static void v1_fd(struct cryo_img_reader *r, const struct cryo_img_rec *rec,
		  int nth)
{
	static const struct {
		uint32_t kind, flags, mnt_id;
		uint64_t pos, ino;
		const char *path;
	} want[3] = {
		{2, 02, 25, 0, 5, "/dev/null"},
		{0, 02001, 29, 1234, 98765, "/tmp/golden.log"},
		{4, 01, 14, 0, 54321, "pipe:[54321]"},
	};
	struct cryo_img_fd f;
	const void *tail;
	uint64_t tl;

	if (!fixed(r, rec, &f, sizeof(f), &tail, &tl))
		return;
	CHECK_EQ(f.size, 40);
	CHECK_EQ(f.pid, 4242);
	CHECK_EQ(f.fd, nth);
	CHECK_EQ(f.kind, want[nth].kind);
	CHECK_EQ(f.flags, want[nth].flags);
	CHECK_EQ(f.mnt_id, want[nth].mnt_id);
	CHECK_EQ(f.pos, want[nth].pos);
	CHECK_EQ(f.ino, want[nth].ino);
	check_tail(tail, tl, want[nth].path, strlen(want[nth].path) + 1);
}

static void v1_pagemap(struct cryo_img_reader *r,
		       const struct cryo_img_rec *rec, int nth)
{
	static const struct cryo_img_page_run runs0[] = {
		{0x404000, 1},
		{0x7ffd0000f000ull, 2},
	};
	static const struct cryo_img_page_run runs1[] = {{0x402000, 1}};
	struct cryo_img_pagemap pm;
	const void *tail;
	uint64_t tl;

	if (!fixed(r, rec, &pm, sizeof(pm), &tail, &tl))
		return;
	CHECK_EQ(pm.size, 24);
	CHECK_EQ(pm.pid, 4242);
	CHECK_EQ(pm.nr_runs, nth ? 1 : 2);
	CHECK_EQ(pm.pad, 0);
	CHECK_EQ(pm.nr_pages, nth ? 1 : 3);
	if (nth)
		check_tail(tail, tl, runs1, sizeof(runs1));
	else
		check_tail(tail, tl, runs0, sizeof(runs0));
}

/*
 * The pages of a PAGES record, from the first page index first: the first
 * record in chunks of 1000 bytes, the second as one payload.
 */
static void v1_pages(struct cryo_img_reader *r, const struct cryo_img_rec *rec,
		     unsigned int first, uint32_t payload_crc)
{
	static unsigned char got[3 * PAGE], want[PAGE];
	unsigned int nr = (unsigned int)(rec->len / PAGE);
	const void *p;
	size_t n = 0;
	ssize_t k;

	if (!CHECK(nr >= 1 && nr <= 3 && rec->len == nr * PAGE))
		return;
	CHECK_EQ((rec->offset + IMG_HSZ) % PAGE, 0);
	if (first == 0) {
		while ((k = cryo_img_read(r, got + n, 1000)) > 0)
			n += (size_t)k;
		CHECK_EQ(k, 0);
		CHECK_EQ(n, rec->len);
		p = got;
	} else if (!CHECK_EQ(cryo_img_payload(r, &p), 0)) {
		return;
	}
	CHECK_EQ(cryo_crc32c(0, p, rec->len), payload_crc);
	for (unsigned int i = 0; i < nr; i++) {
		const unsigned char *pg = (const unsigned char *)p + i * PAGE;

		v1_page(want, first + i);
		CHECK_MEM(pg, want, PAGE);
		CHECK_EQ(cryo_crc32c(0, pg, PAGE), v1_page_crc[first + i]);
	}
}

static void v1_pad(struct cryo_img_reader *r, const struct cryo_img_rec *rec)
{
	static const unsigned char zero[PAGE];
	const void *p;

	if (CHECK_EQ(cryo_img_payload(r, &p), 0))
		CHECK_MEM(p, zero, rec->len);
}

static void check_v1(struct cryo_img_reader *r)
{
	const struct cryo_img_trailer *t;
	struct cryo_img_rec rec;
	int vma = 0, thread = 0, fd = 0, pagemap = 0, note = 0;
	unsigned int page = 0;

	v1_header(cryo_img_reader_header(r));
	for (size_t i = 0; i < sizeof(v1_recs) / sizeof(v1_recs[0]); i++) {
		const struct v1_rec *e = &v1_recs[i];

		if (!CHECK_EQ(cryo_img_next(r, &rec), 1)) {
			unit_note("record %zu: %s", i,
				  cryo_img_reader_error(r));
			return;
		}
		CHECK_EQ(rec.type, e->type);
		CHECK_EQ(rec.flags, e->flags);
		CHECK_EQ(rec.seq, e->seq);
		CHECK_EQ(rec.offset, e->offset);
		if (!CHECK_EQ(rec.len, e->len) || rec.type != e->type)
			return;
		if (rec.type != CRYO_REC_PAGES) {
			const void *p;

			if (CHECK_EQ(cryo_img_payload(r, &p), 0))
				CHECK_EQ(cryo_crc32c(0, p, rec.len),
					 e->payload_crc);
		}
		switch (rec.type) {
		case CRYO_REC_NOTE:
			check_note(
				r, &rec,
				note++ ? "end of the golden image"
				       : "cryo dump -t 4242 -R (golden image v1)");
			break;
		case CRYO_REC_CONTAINER:
			v1_container(r, &rec);
			break;
		case CRYO_REC_PSTREE:
			v1_pstree(r, &rec);
			break;
		case CRYO_REC_TASK:
			v1_task(r, &rec);
			break;
		case CRYO_REC_CREDS:
			v1_creds(r, &rec);
			break;
		case CRYO_REC_MM:
			v1_mm(r, &rec);
			break;
		case CRYO_REC_VMA:
			v1_vma(r, &rec, vma++);
			break;
		case CRYO_REC_THREAD:
			v1_thread(r, &rec, thread++);
			break;
		case CRYO_REC_FD:
			v1_fd(r, &rec, fd++);
			break;
		case CRYO_REC_PAGEMAP:
			v1_pagemap(r, &rec, pagemap++);
			break;
		case CRYO_REC_PAGES:
			v1_pages(r, &rec, page, e->payload_crc);
			page += (unsigned int)(rec.len / PAGE);
			break;
		case CRYO_REC_PAD:
			v1_pad(r, &rec);
			break;
		default:
			CHECK(!"unexpected record type");
		}
	}
	if (!CHECK_EQ(cryo_img_next(r, &rec), 0))
		unit_note("at the end: %s", cryo_img_reader_error(r));
	CHECK_EQ(page, 4);
	t = cryo_img_reader_trailer(r);
	if (!t) {
		CHECK(!"no trailer: the image did not verify");
		return;
	}
	CHECK_EQ(t->size, 32);
	CHECK_EQ(t->nr_records, V1_NR_RECORDS);
	CHECK_EQ(t->stream_len, V1_TRAILER_OFF);
	CHECK_EQ(t->chain_crc, V1_CHAIN_CRC);
}

/* ---- the golden files ---- */

struct golden {
	unsigned int version;
	size_t size;
	uint32_t crc;
	void (*check)(struct cryo_img_reader *r);
};

/* One entry per committed golden-vN.img; add one with each new version. */
static const struct golden goldens[] = {
	{1, V1_SIZE, V1_FILE_CRC, check_v1},
};

static const struct golden *golden_of(unsigned int version)
{
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++)
		if (goldens[i].version == version)
			return &goldens[i];
	return NULL;
}

/* Reads the golden image in b from a file or a pipe and checks it. */
static void check_golden(const struct golden *g, const struct img_buf *b,
			 bool pipe)
{
	struct cryo_img_ropts o = {.sz = sizeof(o)};
	struct cryo_img_reader *r = NULL;
	pid_t child = 0;
	int ret;

	o.fd = pipe ? img_pipe_from(b->p, b->len, &child)
		    : img_memfd_from(b->p, b->len);
	if (!CHECK(o.fd >= 0))
		return;
	ret = cryo_img_reader_new(&o, &r);
	if (CHECK_EQ(ret, 0))
		g->check(r);
	else
		unit_note("%s", r ? cryo_img_reader_error(r) : "no reader");
	cryo_img_reader_free(r);
	close(o.fd);
	CHECK_EQ(img_pipe_reap(child), 0);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* tests/data of the source tree, or NULL. */
static const char *data_dir(void)
{
	static char path[PATH_MAX + 16];
	const char *src = getenv("CRYO_SRCDIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (src && *src) {
		snprintf(path, sizeof(path), "%s/tests/data", src);
		return is_dir(path) ? path : NULL;
	}
	if (is_dir("tests/data"))
		return "tests/data";
	/* BUILD/tests/unit/img_golden -> BUILD/../tests/data */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = 0;
		for (int up = 0; up < 4; up++) {
			slash = strrchr(exe, '/');
			if (!slash)
				return NULL;
			*slash = 0;
			snprintf(path, sizeof(path), "%s/tests/data", exe);
			if (is_dir(path))
				return path;
		}
	}
	return NULL;
}

int main(void)
{
	const char *dir = data_dir();
	struct dirent *de;
	bool have_v1 = false;
	int files = 0;
	DIR *d;

	if (!dir) {
		printf("FAIL: tests/data not found: run from the source tree or set CRYO_SRCDIR\n");
		return 1;
	}
	d = opendir(dir);
	if (!d) {
		CHECK(!"cannot open tests/data");
		return unit_done();
	}
	while ((de = readdir(d))) {
		const struct golden *g;
		struct img_buf b = {0};
		char path[PATH_MAX + 300], what[320];
		unsigned int version;
		int fd, end = 0;

		if (sscanf(de->d_name, "golden-v%u.img%n", &version, &end) !=
			    1 ||
		    (size_t)end != strlen(de->d_name))
			continue;
		snprintf(what, sizeof(what), "%s", de->d_name);
		unit_context(what);
		files++;
		g = golden_of(version);
		if (!CHECK(g != NULL)) {
			unit_note(
				"%s has no expected values in tests/unit/img_golden.c: add them",
				de->d_name);
			continue;
		}
		have_v1 |= version == 1;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (!CHECK(fd >= 0) || !CHECK_EQ(img_fd_slurp(fd, &b), 0)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		/* never regenerated, never edited */
		CHECK_EQ(b.len, g->size);
		CHECK_EQ(cryo_crc32c(0, b.p, b.len), g->crc);
		check_golden(g, &b, false);
		check_golden(g, &b, true);
		img_buf_free(&b);
		unit_note("%s: read and checked (file and pipe)", de->d_name);
	}
	closedir(d);
	unit_context(NULL);
	CHECK(have_v1); /* golden-v1.img must always be there */
	CHECK_EQ(files, sizeof(goldens) / sizeof(goldens[0]));
	return unit_done();
}
