// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Damaged images: every kind of corruption is refused.
 *
 * For each class below, reading the image must end in a negative errno
 * from cryo_img_reader_new() or cryo_img_next() (never a crash, never the
 * 0 that means "complete and verified"), and cryo_img_reader_error() must
 * name the record type (or say "magic" / "truncated") and the offset:
 *
 *  (a) truncation at every byte position, from a file and from a pipe;
 *  (b) a flipped bit at every bit position of a small image, and of every
 *      non-page byte (a sample of page bits) of a bigger one;
 *  (c) wrong magic;
 *  (d) a newer (or zero) format version, all checksums valid;
 *  (e) an unknown required record type, all checksums valid;
 *  (f) a length past the end of the stream, file and pipe;
 *  (g) records out of section order;
 *  (h) PAGEMAP without its PAGES, PAGES of the wrong length, bad runs;
 *  (i) data after the trailer;
 *  (j) a missing, duplicated or reordered record (sequence numbers);
 *  (k) a huge length (2^63 and others) with a valid header checksum must
 *      neither allocate it nor crash;
 *  (l) a trailer whose count, length or chain checksum is wrong;
 *  (m) malformed struct payloads (size below the minimum, broken tails);
 *  (n) PAGES payload not at a 4096 boundary, an empty payload with a
 *      non-zero checksum, a tail after the HEADER's or TRAILER's fixed part.
 *
 * Edited images are re-sealed (every checksum recomputed, see img-test.h)
 * so that only the intended defect remains; a re-sealed pristine image is
 * checked to be byte-identical to the original first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cryo/img.h"
#include "img-internal.h"
#include "img-test.h"
#include "unit.h"

#define PAGE   CRYO_IMG_ALIGN
#define MAXREC 64

/* How the reader gets the bytes. */
enum transport { T_FILE, T_PIPE, T_NR };
static const char *const tname[] = {"file", "pipe"};

static int memfd = -1; /* reused for every image read as a file */
static size_t cur_len; /* length of the image being read */

/* Reads the image in b from a file or a pipe; the result in res. */
static void read_img(const struct img_buf *b, enum transport t,
		     uint64_t max_payload, enum img_read_mode mode,
		     struct img_read_result *res)
{
	pid_t child = 0;
	int fd;

	memset(res, 0, sizeof(*res));
	res->ret = -EIO;
	cur_len = b->len;
	if (t == T_FILE) {
		if (ftruncate(memfd, 0) ||
		    pwrite(memfd, b->p, b->len, 0) != (ssize_t)b->len ||
		    lseek(memfd, 0, SEEK_SET)) {
			CHECK(!"cannot fill the memfd");
			return;
		}
		img_read_all(memfd, max_payload, mode, res);
		return;
	}
	fd = img_pipe_from(b->p, b->len, &child);
	if (!CHECK(fd >= 0))
		return;
	img_read_all(fd, max_payload, mode, res);
	close(fd);
	CHECK_EQ(img_pipe_reap(child), 0);
}

/* Does msg name a record type, the magic, or a truncation? */
static bool names_what(const char *msg)
{
	size_t nr;
	const struct cryo_img_desc *tab = cryo_img_desc_table(&nr);
	char want[64];

	if (strstr(msg, "magic") || strstr(msg, "truncated") ||
	    strstr(msg, "record type 0x"))
		return true;
	for (size_t i = 0; i < nr; i++) {
		snprintf(want, sizeof(want), "record %s at offset",
			 tab[i].name);
		if (strstr(msg, want))
			return true;
	}
	return false;
}

/*
 * The read failed properly: a negative errno (want_err, if not 0), and a
 * message naming what and where (and containing want_sub, if not NULL).
 * A stream that ends inside a correct magic prefix is "truncated image: N
 * bytes": N is where it ends (docs/image-format.md section 10).
 */
static bool check_failed(const struct img_read_result *res, int want_err,
			 const char *want_sub)
{
	bool ok = CHECK(res->ret < 0);
	char magic_msg[64];

	if (want_err)
		ok &= CHECK_EQ(res->ret, want_err);
	ok &= CHECK(names_what(res->msg));
	snprintf(magic_msg, sizeof(magic_msg), "truncated image: %zu bytes",
		 cur_len);
	if (cur_len < CRYO_IMG_MAGIC_LEN && strstr(res->msg, "truncated"))
		ok &= CHECK_STR(res->msg, magic_msg);
	else
		ok &= CHECK_CONTAINS(res->msg, "offset");
	if (want_sub)
		ok &= CHECK_CONTAINS(res->msg, want_sub);
	if (!ok)
		unit_note("ret %d, message: %s", res->ret, res->msg);
	return ok;
}

/* Reads b every way (file, pipe; several payload modes); all must fail. */
static void expect_fail(const struct img_buf *b, int want_err,
			const char *want_sub, const char *what)
{
	static const enum img_read_mode modes[] = {IMG_READ_NEXT,
						   IMG_READ_MIXED};
	struct img_read_result res;

	unit_context(what);
	for (int t = 0; t < T_NR; t++) {
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			read_img(b, (enum transport)t, 0, modes[m], &res);
			if (!check_failed(&res, want_err, want_sub))
				unit_note("%s, %s, mode %d", what, tname[t],
					  (int)modes[m]);
		}
	}
	unit_context(NULL);
}

static void expect_ok(const struct img_buf *b, const char *what)
{
	struct img_read_result res;

	unit_context(what);
	for (int t = 0; t < T_NR; t++) {
		for (int m = IMG_READ_NEXT; m <= IMG_READ_MIXED; m++) {
			read_img(b, (enum transport)t, 0, (enum img_read_mode)m,
				 &res);
			if (!CHECK_EQ(res.ret, 0))
				unit_note("%s, %s: %s", what, tname[t],
					  res.msg);
		}
	}
	unit_context(NULL);
}

/* ---- building images ---- */

static void put(struct cryo_img_writer *w, uint16_t type, const void *fixed,
		size_t fixed_len, const void *tail, size_t tail_len)
{
	if (cryo_img_write_rec(w, type, fixed, fixed_len, tail, tail_len))
		abort();
}

static void header(struct cryo_img_writer *w)
{
	struct cryo_img_header h = {
		.size = sizeof(h),
		.format_version = CRYO_IMG_VERSION,
		.arch = CRYO_ARCH_X86_64,
		.page_size = PAGE,
		.xfeatures = 0x2e7,
		.xsave_size = 2696,
		.ctime_sec = 1700000000,
		.root_pid = 100,
	};

	strcpy(h.kernel_release, "6.1.0-test");
	strcpy(h.cryo_version, "cryo-test");
	put(w, CRYO_REC_HEADER, &h, sizeof(h), NULL, 0);
}

/* HEADER, PSTREE, TASK, NOTE, TRAILER: a few hundred bytes. */
static void write_small(struct cryo_img_writer *w)
{
	struct cryo_img_pstree ps = {.size = sizeof(ps),
				     .pid = 100,
				     .ppid = 1,
				     .pgid = 100,
				     .sid = 100,
				     .nr_threads = 2};
	static const uint32_t tids[] = {100, 101};
	struct cryo_img_task tk = {.size = sizeof(tk),
				   .pid = 100,
				   .comm = "sleeper",
				   .state = 'S',
				   .exit_signal = 17,
				   .umask = 022};
	static const char exe[] = "/usr/bin/sleep";

	header(w);
	put(w, CRYO_REC_PSTREE, &ps, sizeof(ps), tids, sizeof(tids));
	put(w, CRYO_REC_TASK, &tk, sizeof(tk), exe, sizeof(exe));
	if (cryo_img_write(w, CRYO_REC_NOTE, 0, "cryo dump -t 100", 16))
		abort();
}

/*
 * A realistic image of one process with every section: HEADER, NOTE,
 * CONTAINER, PSTREE, TASK, CREDS, MM, 2 VMA, THREAD, FD, PAGEMAP (2 runs,
 * 2 pages), PAD, PAGES, NOTE, TRAILER; about 12 KiB.
 */
static void write_realistic(struct cryo_img_writer *w)
{
	struct cryo_img_container ct = {.size = sizeof(ct),
					.lsms = "lockdown,capability",
					.hostname = "box"};
	static const char cg[] = "0::/user.slice/test";
	struct cryo_img_pstree ps = {
		.size = sizeof(ps), .pid = 100, .ppid = 1, .nr_threads = 1};
	static const uint32_t tids[] = {100};
	struct cryo_img_task tk = {
		.size = sizeof(tk), .pid = 100, .comm = "app", .state = 'S'};
	struct cryo_img_creds cr = {.size = sizeof(cr),
				    .pid = 100,
				    .cap_bnd = 0x1ffffffffffull,
				    .nr_groups = 2};
	static const uint32_t groups[] = {4, 27};
	struct cryo_img_mm mm = {.size = sizeof(mm),
				 .pid = 100,
				 .start_code = 0x400000,
				 .nr_vmas = 2};
	static const uint64_t auxv[] = {6, 4096, 0, 0};
	struct cryo_img_vma v1 = {.size = sizeof(v1),
				  .pid = 100,
				  .start = 0x400000,
				  .end = 0x401000,
				  .prot = 5,
				  .flags = 2,
				  .kind = CRYO_VMA_FILE};
	struct cryo_img_vma v2 = {.size = sizeof(v2),
				  .pid = 100,
				  .start = 0x7ffd0000,
				  .end = 0x7ffd2000,
				  .prot = 3,
				  .flags = 2,
				  .kind = CRYO_VMA_STACK};
	struct cryo_img_thread th = {
		.size = sizeof(th), .pid = 100, .tid = 100, .xsave_size = 64};
	unsigned char xsave[64];
	struct cryo_img_fd fd = {
		.size = sizeof(fd), .pid = 100, .fd = 1, .kind = CRYO_FD_CHR};
	struct cryo_img_pagemap pm = {
		.size = sizeof(pm), .pid = 100, .nr_runs = 2, .nr_pages = 2};
	static const struct cryo_img_page_run runs[] = {
		{0x400000, 1},
		{0x7ffd1000, 1},
	};
	static unsigned char pages[2 * PAGE];
	struct iovec iov = {pages, sizeof(pages)};

	for (size_t i = 0; i < sizeof(xsave); i++)
		xsave[i] = (unsigned char)i;
	for (size_t i = 0; i < sizeof(pages); i++)
		pages[i] = (unsigned char)(i * 7 + i / PAGE);
	for (int i = 0; i < 27; i++)
		th.regs[i] = 0x1000 + (uint64_t)i;
	header(w);
	if (cryo_img_write(w, CRYO_REC_NOTE, 0, "cryo dump -t 100", 16))
		abort();
	put(w, CRYO_REC_CONTAINER, &ct, sizeof(ct), cg, sizeof(cg));
	put(w, CRYO_REC_PSTREE, &ps, sizeof(ps), tids, sizeof(tids));
	put(w, CRYO_REC_TASK, &tk, sizeof(tk), "/app", 5);
	put(w, CRYO_REC_CREDS, &cr, sizeof(cr), groups, sizeof(groups));
	put(w, CRYO_REC_MM, &mm, sizeof(mm), auxv, sizeof(auxv));
	put(w, CRYO_REC_VMA, &v1, sizeof(v1), "/app", 5);
	put(w, CRYO_REC_VMA, &v2, sizeof(v2), "[stack]", 8);
	put(w, CRYO_REC_THREAD, &th, sizeof(th), xsave, sizeof(xsave));
	put(w, CRYO_REC_FD, &fd, sizeof(fd), "/dev/null", 10);
	put(w, CRYO_REC_PAGEMAP, &pm, sizeof(pm), runs, sizeof(runs));
	if (cryo_img_write_pages(w, &iov, 1))
		abort();
	if (cryo_img_write(w, CRYO_REC_NOTE, 0, "end", 3))
		abort();
}

/* Runs fn with a writer on a memfd and returns the image bytes. */
static void build(void (*fn)(struct cryo_img_writer *w), struct img_buf *b)
{
	struct cryo_img_wopts o = {.sz = sizeof(o)};
	struct cryo_img_writer *w;

	o.fd = img_memfd();
	if (o.fd < 0 || cryo_img_writer_new(&o, &w))
		abort();
	fn(w);
	if (cryo_img_writer_finish(w))
		abort();
	cryo_img_writer_free(w);
	if (img_fd_slurp(o.fd, b))
		abort();
	close(o.fd);
}

/* The records of an image, to edit it. */
struct model {
	struct img_raw_rec r[MAXREC];
	int n;
};

static void model_of(const struct img_buf *b, struct model *m)
{
	m->n = img_walk(b->p, b->len, m->r, MAXREC);
}

/* Index of the nth record of a type in m; aborts if there is none. */
static int rec_of(const struct model *m, uint16_t type, int nth)
{
	int i = img_find(m->r, m->n, type, nth);

	if (i < 0)
		abort();
	return i;
}

/* out = magic + the records idx[0..n) of src, in that order. */
static void compose(const struct img_buf *src, const struct model *m,
		    const int *idx, int n, struct img_buf *out)
{
	out->len = 0;
	if (img_buf_put(out, src->p, CRYO_IMG_MAGIC_LEN))
		abort();
	for (int i = 0; i < n; i++)
		if (img_buf_put(out, src->p + m->r[idx[i]].off,
				m->r[idx[i]].size))
			abort();
}

/* compose() of all records but `skip` (-1: none), then re-seal. */
static void without(const struct img_buf *src, int skip, unsigned int flags,
		    struct img_buf *out)
{
	struct model m;
	int idx[MAXREC] = {0}, n = 0;

	model_of(src, &m);
	for (int i = 0; i < m.n; i++)
		if (i != skip)
			idx[n++] = i;
	compose(src, &m, idx, n, out);
	img_reseal(out->p, out->len, flags);
}

static void copy(const struct img_buf *src, struct img_buf *out)
{
	out->len = 0;
	if (img_buf_put(out, src->p, src->len))
		abort();
}

/* Sets a record's len and recomputes only its header checksum. */
static void set_len(struct img_buf *b, const struct img_raw_rec *r,
		    uint64_t len)
{
	struct cryo_img_rec_hdr h;

	img_hdr_get(b->p, r->off, &h);
	h.len = len;
	h.hdr_crc = cryo_img_hdr_crc(&h);
	img_hdr_put(b->p, r->off, &h);
}

/* Writes v at byte off of record r's payload. */
static void poke(struct img_buf *b, const struct img_raw_rec *r, size_t off,
		 const void *v, size_t len)
{
	memcpy(b->p + r->off + IMG_HSZ + off, v, len);
}

static void poke_u32(struct img_buf *b, const struct img_raw_rec *r, size_t off,
		     uint32_t v)
{
	poke(b, r, off, &v, sizeof(v));
}

static void poke_u64(struct img_buf *b, const struct img_raw_rec *r, size_t off,
		     uint64_t v)
{
	poke(b, r, off, &v, sizeof(v));
}

/* The record containing byte off, for messages. */
static const char *where(const struct model *m, size_t off)
{
	if (off < CRYO_IMG_MAGIC_LEN)
		return "magic";
	for (int i = 0; i < m->n; i++)
		if (off < m->r[i].off + m->r[i].size)
			return cryo_img_type_name(m->r[i].h.type);
	return "past the end";
}

static struct img_buf small, real;

/* The images are sound and re-sealing them changes nothing. */
static void test_pristine(void)
{
	struct img_buf b = {0};
	struct model m;

	expect_ok(&small, "pristine small image");
	expect_ok(&real, "pristine realistic image");
	model_of(&real, &m);
	CHECK_EQ(m.n, 16);
	CHECK_EQ(m.r[m.n - 1].off + m.r[m.n - 1].size, real.len);
	CHECK_EQ(m.r[rec_of(&m, CRYO_REC_PAGES, 0)].off % PAGE, PAGE - IMG_HSZ);
	copy(&real, &b);
	CHECK_EQ(img_reseal(b.p, b.len, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER),
		 16);
	CHECK(b.len == real.len && !memcmp(b.p, real.p, b.len));
	copy(&small, &b);
	img_reseal(b.p, b.len, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER);
	CHECK(b.len == small.len && !memcmp(b.p, small.p, b.len));
	img_buf_free(&b);
	unit_note("small image %zu bytes, realistic image %zu bytes", small.len,
		  real.len);
}

/*
 * (a) The stream cut at every byte position 0..len-1, from a file (whose
 * size the reader knows) and from a pipe (where it does not).
 */
static void test_truncation(const struct img_buf *img, const char *name)
{
	struct img_buf b = {0};
	struct img_read_result res;
	struct model m;
	char what[96];
	unsigned long fails = unit.fails;

	model_of(img, &m);
	for (size_t cut = 0; cut < img->len; cut++) {
		b.len = 0;
		img_buf_put(&b, img->p, cut);
		for (int t = 0; t < T_NR; t++) {
			snprintf(what, sizeof(what),
				 "%s cut at %zu (in %s), %s", name, cut,
				 where(&m, cut), tname[t]);
			unit_context(what);
			read_img(&b, (enum transport)t, 0,
				 cut % 2 ? IMG_READ_MIXED : IMG_READ_NEXT,
				 &res);
			if (!check_failed(&res, -EBADMSG, NULL))
				unit_note("%s", what);
		}
	}
	unit_context(NULL);
	unit_note("(a) %s: truncated at all %zu positions x 2 transports%s",
		  name, img->len, unit.fails == fails ? ": all refused" : "");
	img_buf_free(&b);
}

/* Flips bit `bit` of b (a copy of img) and checks the read fails. */
static void flip_one(const struct img_buf *img, struct img_buf *b,
		     const struct model *m, size_t bit, enum transport t,
		     const char *name)
{
	struct img_read_result res;
	char what[96];

	memcpy(b->p, img->p, img->len);
	b->len = img->len;
	b->p[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	snprintf(what, sizeof(what), "%s bit %zu (byte %zu, in %s), %s", name,
		 bit, bit / 8, where(m, bit / 8), tname[t]);
	unit_context(what);
	read_img(b, t, 0, bit % 3 ? IMG_READ_NEXT : IMG_READ_MIXED, &res);
	if (!check_failed(&res, -EBADMSG, NULL))
		unit_note("%s", what);
}

/*
 * (b) One flipped bit anywhere: every bit of the small image; every bit
 * outside page data of the realistic one, plus 2048 random page bits.
 * File and pipe alternate.
 */
static void test_bitflips(void)
{
	struct img_buf b = {0};
	struct model m;
	size_t bits = 0, pg_start, pg_end;
	int pi;

	img_buf_put(&b, real.p, real.len);
	model_of(&small, &m);
	for (size_t bit = 0; bit < small.len * 8; bit++, bits++)
		flip_one(&small, &b, &m, bit, (enum transport)(bit % 2),
			 "small");
	unit_note("(b) small image: all %zu bits flipped one at a time",
		  small.len * 8);

	model_of(&real, &m);
	pi = rec_of(&m, CRYO_REC_PAGES, 0);
	pg_start = m.r[pi].off + IMG_HSZ;
	pg_end = m.r[pi].off + m.r[pi].size;
	bits = 0;
	for (size_t bit = 0; bit < real.len * 8; bit++) {
		if (bit / 8 >= pg_start && bit / 8 < pg_end)
			continue;
		flip_one(&real, &b, &m, bit, (enum transport)(bit % 2),
			 "realistic");
		bits++;
	}
	for (int i = 0; i < 2048; i++) {
		size_t bit = pg_start * 8 +
			     (size_t)unit_rand_below((pg_end - pg_start) * 8);

		flip_one(&real, &b, &m, bit, (enum transport)(i % 2),
			 "realistic");
		bits++;
	}
	unit_context(NULL);
	unit_note(
		"(b) realistic image: %zu bits flipped (all outside page data, 2048 in it)",
		bits);
	img_buf_free(&b);
}

/* (c) Not an image: the magic is wrong, or the stream too short for it. */
static void test_magic(void)
{
	static const char *const bad[] = {
		"CRYOIMG\r",
		"cryoimg\n",
		"CRYOIMG\0",
		"\x7f"
		"ELF\2\1\1\0",
		"CRIU\0\0\0\0",
		"\0\0\0\0\0\0\0\0",
	};
	struct img_buf b = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		copy(&small, &b);
		memcpy(b.p, bad[i], CRYO_IMG_MAGIC_LEN);
		expect_fail(&b, -EBADMSG, "magic", "wrong magic");
	}
	/* a prefix of another file */
	b.len = 0;
	img_buf_put(&b, "XRYO", 4);
	expect_fail(&b, -EBADMSG, "magic", "short wrong magic");
	/* the magic alone, a prefix of it, nothing */
	for (size_t len = 0; len <= CRYO_IMG_MAGIC_LEN; len++) {
		b.len = 0;
		img_buf_put(&b, small.p, len);
		expect_fail(&b, -EBADMSG, "truncated", "short stream");
	}
	/* a text file */
	b.len = 0;
	img_buf_put(&b, "hello, world\nthis is not an image\n", 34);
	expect_fail(&b, -EBADMSG, "magic", "text file");
	img_buf_free(&b);
}

/*
 * (d) A HEADER from another format version, every checksum valid: only
 * the version differs, and the reader says so by name.
 */
static void test_version(void)
{
	static const uint32_t versions[] = {CRYO_IMG_VERSION + 1, 0, 77,
					    0xffffffff};
	struct img_buf b = {0};
	struct model m;
	char want[64];

	model_of(&real, &m);
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		copy(&real, &b);
		poke_u32(&b, &m.r[0],
			 offsetof(struct cryo_img_header, format_version),
			 versions[i]);
		img_reseal(b.p, b.len, 0);
		snprintf(want, sizeof(want), "version %u", versions[i]);
		expect_fail(&b, -EPROTONOSUPPORT, want, "format version");
		expect_fail(&b, -EPROTONOSUPPORT, "HEADER", "format version");
	}
	/* the same edit back to version 1 reads: the reseal is exact */
	copy(&real, &b);
	poke_u32(&b, &m.r[0], offsetof(struct cryo_img_header, format_version),
		 CRYO_IMG_VERSION);
	img_reseal(b.p, b.len, 0);
	expect_ok(&b, "version 1 rewritten");
	img_buf_free(&b);
}

/*
 * (e) An unknown record type with CRYO_REC_F_REQUIRED: written by a newer
 * writer (valid checksums) or made by editing; the same record without
 * the flag is skipped instead.
 */
static void test_unknown_required(void)
{
	struct img_buf b = {0};
	struct model m;
	struct cryo_img_rec_hdr h;
	int ni;

	model_of(&real, &m);
	ni = rec_of(&m, CRYO_REC_NOTE, 0);
	for (int flags = 0; flags < 2; flags++) {
		copy(&real, &b);
		img_hdr_get(b.p, m.r[ni].off, &h);
		h.type = 0x7123;
		h.flags = flags ? CRYO_REC_F_REQUIRED : 0x0100;
		img_hdr_put(b.p, m.r[ni].off, &h);
		img_reseal(b.p, b.len, 0);
		if (flags)
			expect_fail(&b, -EOPNOTSUPP, "type 0x7123",
				    "unknown required");
		else
			expect_ok(&b, "unknown optional");
	}
	/* a required record of type 0xfffe in the pages section */
	copy(&real, &b);
	ni = rec_of(&m, CRYO_REC_NOTE, 1);
	img_hdr_get(b.p, m.r[ni].off, &h);
	h.type = 0xfffe;
	h.flags = CRYO_REC_F_REQUIRED | 0x8000;
	img_hdr_put(b.p, m.r[ni].off, &h);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EOPNOTSUPP, "type 0xfffe", "unknown required");
	img_buf_free(&b);
}

static void write_newer(struct cryo_img_writer *w)
{
	write_small(w);
	if (cryo_img_write(w, 0x4000, CRYO_REC_F_REQUIRED, "new", 3))
		abort();
}

/* (e) as a newer writer would produce it: through the writer itself. */
static void test_unknown_required_written(void)
{
	struct img_buf b = {0};

	build(write_newer, &b);
	expect_fail(&b, -EOPNOTSUPP, "record type 0x4000 at offset",
		    "unknown required (written)");
	img_buf_free(&b);
}

/*
 * (f) A record whose length (header checksum valid) runs past the end of
 * the stream, for each record: 1 byte too far, 4 GiB too far. From a file
 * the reader sees it at once; from a pipe it finds the stream truncated
 * (or refuses the size before reading).
 */
static void test_len_past_end(void)
{
	struct img_buf b = {0};
	struct model m;
	char what[64];

	model_of(&real, &m);
	for (int i = 0; i < m.n; i++) {
		const struct img_raw_rec *r = &m.r[i];
		uint64_t to_end = real.len - r->off - IMG_HSZ;
		const uint64_t lens[] = {to_end + 1, to_end + (1ull << 32)};

		for (int k = 0; k < 2; k++) {
			struct img_read_result res;

			copy(&real, &b);
			set_len(&b, r, lens[k]);
			snprintf(what, sizeof(what), "%s len past the end",
				 cryo_img_type_name(r->h.type));
			unit_context(what);
			read_img(&b, T_FILE, 0, IMG_READ_NEXT, &res);
			check_failed(&res, -EBADMSG, "past the end");
			CHECK_CONTAINS(res.msg, cryo_img_type_name(r->h.type));
			read_img(&b, T_PIPE, 0, IMG_READ_MIXED, &res);
			check_failed(&res, 0, NULL);
		}
	}
	unit_context(NULL);
	img_buf_free(&b);
}

/*
 * (k) A length of 2^63 (and other huge values) with a valid header
 * checksum, in every record, from file and pipe, with the default and a
 * small max_payload: refused without allocating it (ASan would abort on
 * such an allocation) and without crashing.
 */
static void test_huge_len(void)
{
	static const uint64_t lens[] = {1ull << 63, ~0ull, (1ull << 32) + 1,
					(64ull << 20) + 1, 1ull << 40};
	struct img_buf b = {0};
	struct model m;
	char what[64];

	model_of(&real, &m);
	for (int i = 0; i < m.n; i++) {
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			struct img_read_result res;

			copy(&real, &b);
			set_len(&b, &m.r[i], lens[k]);
			snprintf(what, sizeof(what), "%s len 0x%llx",
				 cryo_img_type_name(m.r[i].h.type),
				 (unsigned long long)lens[k]);
			unit_context(what);
			for (int t = 0; t < T_NR; t++) {
				read_img(&b, (enum transport)t, 0,
					 IMG_READ_PAYLOAD, &res);
				check_failed(&res, 0, NULL);
				read_img(&b, (enum transport)t, 1 << 20,
					 IMG_READ_MIXED, &res);
				check_failed(&res, 0, NULL);
			}
		}
	}
	unit_context(NULL);
	img_buf_free(&b);
}

/*
 * (k) With max_payload = UINT64_MAX (a caller's "no limit"), a length of
 * 2^64-1 from a pipe, followed by 4 KiB of data: the read must fail
 * cleanly. Run in a child process, as a regression would corrupt the heap.
 */
static void test_unlimited_payload(void)
{
	struct img_buf b = {0};
	static unsigned char junk[PAGE];
	struct model m;
	int st = 0, ni;
	pid_t pid;

	model_of(&small, &m);
	ni = rec_of(&m, CRYO_REC_NOTE, 0);
	b.len = 0;
	img_buf_put(&b, small.p, m.r[ni].off + IMG_HSZ);
	memset(junk, 'j', sizeof(junk));
	img_buf_put(&b, junk, sizeof(junk));
	set_len(&b, &m.r[ni], ~0ull);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct img_read_result res;
		pid_t child;
		int fd = img_pipe_from(b.p, b.len, &child);
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 2); /* a sanitizer report would land here */
		img_read_all(fd, ~0ull, IMG_READ_PAYLOAD, &res);
		_exit(res.ret == -EFBIG ? 42 : res.ret < 0 ? 43 : 44);
	}
	if (!CHECK(pid > 0) || !CHECK(waitpid(pid, &st, 0) == pid))
		goto out;
	/* 42: -EFBIG, as it must; 43: another error; 44: "complete" */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 44)
		CHECK(!"a 2^64-1 byte payload read as complete");
	else
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);
out:
	img_buf_free(&b);
}

/*
 * (g) Records out of section order, re-sealed so that nothing else is
 * wrong: the message names the out-of-place record.
 */
static void test_order(void)
{
	struct img_buf b = {0};
	struct model m;
	int idx[MAXREC] = {0}, n;
	int ct, ps, tk, pm, fd, hd = 0;

	model_of(&real, &m);
	ct = rec_of(&m, CRYO_REC_CONTAINER, 0);
	ps = rec_of(&m, CRYO_REC_PSTREE, 0);
	tk = rec_of(&m, CRYO_REC_TASK, 0);
	fd = rec_of(&m, CRYO_REC_FD, 0);
	pm = rec_of(&m, CRYO_REC_PAGEMAP, 0);

	/* swap records i and j: the first record out of place is named */
	struct {
		int i, j;
		const char *name;
	} swaps[] = {
		{ps, tk, "PSTREE"}, {ct, ps, "CONTAINER"}, {ct, fd, "PSTREE"},
		{tk, pm, "CREDS"},  {hd, ct, "CONTAINER"},
	};
	for (size_t s = 0; s < sizeof(swaps) / sizeof(swaps[0]); s++) {
		char what[64];

		for (n = 0; n < m.n; n++)
			idx[n] = n;
		idx[swaps[s].i] = swaps[s].j;
		idx[swaps[s].j] = swaps[s].i;
		compose(&real, &m, idx, n, &b);
		img_reseal(b.p, b.len, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER);
		snprintf(what, sizeof(what), "swapped, %s out of order",
			 swaps[s].name);
		if (swaps[s].i == hd)
			expect_fail(&b, -EBADMSG, NULL, what);
		else
			expect_fail(&b, -EBADMSG, "out of order", what);
		expect_fail(&b, -EBADMSG, swaps[s].name, what);
	}

	/* a second HEADER in the middle */
	n = 0;
	for (int i = 0; i < m.n; i++) {
		idx[n++] = i;
		if (i == tk)
			idx[n++] = hd;
	}
	compose(&real, &m, idx, n, &b);
	img_reseal(b.p, b.len, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER);
	expect_fail(&b, -EBADMSG, "record HEADER", "second HEADER");

	/* the TRAILER first (after HEADER) */
	n = 0;
	idx[n++] = hd;
	idx[n++] = m.n - 1;
	for (int i = 1; i < m.n - 1; i++)
		idx[n++] = i;
	compose(&real, &m, idx, n, &b);
	img_reseal(b.p, b.len, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER);
	expect_fail(&b, -EBADMSG, NULL, "trailer early");
	img_buf_free(&b);
}

/* Writers that break the section order (the writer does not check it). */
static void write_disorder(struct cryo_img_writer *w)
{
	struct cryo_img_pstree ps = {.size = sizeof(ps), .pid = 1};
	struct cryo_img_task tk = {.size = sizeof(tk), .pid = 1};

	header(w);
	put(w, CRYO_REC_TASK, &tk, sizeof(tk), NULL, 0);
	put(w, CRYO_REC_PSTREE, &ps, sizeof(ps), NULL, 0);
}

static void write_pages_first(struct cryo_img_writer *w)
{
	struct cryo_img_pagemap pm = {
		.size = sizeof(pm), .pid = 1, .nr_runs = 1, .nr_pages = 1};
	struct cryo_img_page_run run = {0x1000, 1};
	struct cryo_img_task tk = {.size = sizeof(tk), .pid = 1};
	static unsigned char page[PAGE];
	struct iovec iov = {page, sizeof(page)};

	header(w);
	put(w, CRYO_REC_PAGEMAP, &pm, sizeof(pm), &run, sizeof(run));
	if (cryo_img_write_pages(w, &iov, 1))
		abort();
	put(w, CRYO_REC_TASK, &tk, sizeof(tk), NULL, 0);
}

/* (g) as a buggy writer would produce it (PAGES aligned as it should). */
static void test_order_written(void)
{
	struct img_buf b = {0};

	build(write_disorder, &b);
	expect_fail(&b, -EBADMSG, "record PSTREE", "PSTREE after TASK");
	expect_fail(&b, -EBADMSG, "tree section after state", "order");
	build(write_pages_first, &b);
	expect_fail(&b, -EBADMSG, "record TASK", "pages before state");
	expect_fail(&b, -EBADMSG, "state section after pages", "order");
	img_buf_free(&b);
}

/*
 * (h) Pages that do not match their map: PAGEMAP without PAGES (at the
 * trailer, before a NOTE, before another PAGEMAP), PAGES without a
 * PAGEMAP, a PAGES length other than announced, and PAGEMAPs whose runs
 * do not add up.
 */
static void test_pages_mismatch(void)
{
	struct img_buf b = {0};
	struct model m;
	int idx[MAXREC] = {0}, n, pm, pg, pd, note2;
	size_t runs_off = sizeof(struct cryo_img_pagemap);

	model_of(&real, &m);
	pm = rec_of(&m, CRYO_REC_PAGEMAP, 0);
	pd = rec_of(&m, CRYO_REC_PAD, 0);
	pg = rec_of(&m, CRYO_REC_PAGES, 0);
	note2 = rec_of(&m, CRYO_REC_NOTE, 1);
	CHECK(pm + 1 == pd && pd + 1 == pg && pg + 1 == note2);

	/* PAD and PAGES removed: the next record (NOTE) finds pages due */
	n = 0;
	for (int i = 0; i < m.n; i++)
		if (i != pd && i != pg)
			idx[n++] = i;
	compose(&real, &m, idx, n, &b);
	img_reseal(b.p, b.len, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER);
	expect_fail(&b, -EBADMSG, "not followed by its PAGES", "no PAGES");
	expect_fail(&b, -EBADMSG, "record NOTE", "no PAGES");

	/* ... and the NOTE too: the TRAILER finds them */
	n = 0;
	for (int i = 0; i < m.n; i++)
		if (i != pd && i != pg && i != note2)
			idx[n++] = i;
	compose(&real, &m, idx, n, &b);
	img_reseal(b.p, b.len, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER);
	expect_fail(&b, -EBADMSG, "PAGEMAP at offset", "no PAGES at end");

	/* PAGEMAP, PAGEMAP, PAD, PAGES */
	n = 0;
	for (int i = 0; i < m.n; i++) {
		idx[n++] = i;
		if (i == pm)
			idx[n++] = pm;
	}
	compose(&real, &m, idx, n, &b);
	img_reseal(b.p, b.len, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER);
	expect_fail(&b, -EBADMSG, "record PAGEMAP", "PAGEMAP twice");

	/* a NOTE between PAGEMAP and PAGES */
	n = 0;
	for (int i = 0; i < m.n; i++) {
		if (i == note2)
			continue;
		idx[n++] = i;
		if (i == pm)
			idx[n++] = note2;
	}
	compose(&real, &m, idx, n, &b);
	img_reseal(b.p, b.len, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER);
	expect_fail(&b, -EBADMSG, "not followed by its PAGES", "NOTE inside");

	/* PAGES without a PAGEMAP */
	without(&real, pm, IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER, &b);
	expect_fail(&b, -EBADMSG, "record PAGES", "no PAGEMAP");

	/* PAGEMAP announces 3 pages, PAGES has 2 */
	copy(&real, &b);
	poke_u64(&b, &m.r[pm], offsetof(struct cryo_img_pagemap, nr_pages), 3);
	poke_u64(&b, &m.r[pm],
		 runs_off + offsetof(struct cryo_img_page_run, nr_pages), 2);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record PAGES", "3 pages announced");
	expect_fail(&b, -EBADMSG, "announced 12288", "3 pages announced");

	/* PAGEMAP announces 1 page, PAGES has 2 */
	copy(&real, &b);
	poke_u64(&b, &m.r[pm], offsetof(struct cryo_img_pagemap, nr_pages), 1);
	poke_u64(&b, &m.r[pm],
		 runs_off + offsetof(struct cryo_img_page_run, nr_pages), 0);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record PAGES", "1 page announced");

	/* runs that do not add up to nr_pages */
	copy(&real, &b);
	poke_u64(&b, &m.r[pm], offsetof(struct cryo_img_pagemap, nr_pages), 5);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record PAGEMAP", "runs != nr_pages");

	/* nr_runs that does not match the tail */
	copy(&real, &b);
	poke_u32(&b, &m.r[pm], offsetof(struct cryo_img_pagemap, nr_runs), 3);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record PAGEMAP", "nr_runs");
	copy(&real, &b);
	poke_u32(&b, &m.r[pm], offsetof(struct cryo_img_pagemap, nr_runs),
		 0x80000001u);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record PAGEMAP", "nr_runs huge");

	/* a run of 2^63 pages, whose product with 4096 would overflow */
	copy(&real, &b);
	poke_u64(&b, &m.r[pm], offsetof(struct cryo_img_pagemap, nr_pages),
		 (1ull << 63) + 1);
	poke_u64(&b, &m.r[pm],
		 runs_off + offsetof(struct cryo_img_page_run, nr_pages),
		 1ull << 63);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record PAGEMAP", "huge run");

	/* two runs whose sum wraps around to the right total */
	copy(&real, &b);
	poke_u64(&b, &m.r[pm],
		 runs_off + offsetof(struct cryo_img_page_run, nr_pages),
		 ~0ull);
	poke_u64(&b, &m.r[pm],
		 runs_off + sizeof(struct cryo_img_page_run) +
			 offsetof(struct cryo_img_page_run, nr_pages),
		 3);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record PAGEMAP", "wrapping runs");
	img_buf_free(&b);
}

/* (i) Bytes after the trailer: one, a whole record, a page of zeros. */
static void test_after_trailer(void)
{
	struct img_buf b = {0};
	struct model m;
	static const unsigned char zeros[PAGE];

	model_of(&small, &m);
	copy(&small, &b);
	img_buf_put(&b, "x", 1);
	expect_fail(&b, -EBADMSG, "after the trailer", "1 byte after");
	expect_fail(&b, -EBADMSG, "record TRAILER", "1 byte after");

	copy(&small, &b);
	img_buf_put(&b, small.p + m.r[3].off, m.r[3].size);
	expect_fail(&b, -EBADMSG, "after the trailer", "record after");

	copy(&small, &b);
	img_buf_put(&b, zeros, sizeof(zeros));
	expect_fail(&b, -EBADMSG, "after the trailer", "page after");

	copy(&small, &b); /* a second image appended */
	img_buf_put(&b, small.p, small.len);
	expect_fail(&b, -EBADMSG, "after the trailer", "image after");
	img_buf_free(&b);
}

/*
 * (j) A record missing (each one in turn; the trailer re-sealed to the
 * shorter stream but the sequence numbers left alone), duplicated, or
 * two swapped: the sequence check names the record that comes out of
 * turn. Without the trailer the stream is truncated.
 */
static void test_missing(void)
{
	struct img_buf b = {0};
	struct model m;
	int idx[MAXREC] = {0}, n;
	char what[64];

	model_of(&real, &m);
	for (int i = 1; i < m.n - 1; i++) {
		without(&real, i, IMG_RESEAL_TRAILER, &b);
		snprintf(what, sizeof(what), "%s missing",
			 cryo_img_type_name(m.r[i].h.type));
		expect_fail(&b, -EBADMSG, "sequence number", what);
		expect_fail(&b, -EBADMSG, cryo_img_type_name(m.r[i + 1].h.type),
			    what);
	}
	/* no TRAILER at all */
	without(&real, m.n - 1, 0, &b);
	expect_fail(&b, -EBADMSG, "truncated", "TRAILER missing");

	/* a record twice */
	for (int d = 1; d < m.n - 1; d++) {
		n = 0;
		for (int i = 0; i < m.n; i++) {
			idx[n++] = i;
			if (i == d)
				idx[n++] = i;
		}
		compose(&real, &m, idx, n, &b);
		img_reseal(b.p, b.len, IMG_RESEAL_TRAILER);
		snprintf(what, sizeof(what), "%s twice",
			 cryo_img_type_name(m.r[d].h.type));
		expect_fail(&b, -EBADMSG, "sequence number", what);
	}

	/* two VMAs swapped */
	for (n = 0; n < m.n; n++)
		idx[n] = n;
	idx[rec_of(&m, CRYO_REC_VMA, 0)] = rec_of(&m, CRYO_REC_VMA, 1);
	idx[rec_of(&m, CRYO_REC_VMA, 1)] = rec_of(&m, CRYO_REC_VMA, 0);
	compose(&real, &m, idx, n, &b);
	img_reseal(b.p, b.len, IMG_RESEAL_TRAILER);
	expect_fail(&b, -EBADMSG, "record VMA", "VMAs swapped");
	img_buf_free(&b);
}

/*
 * Renumbers the records and fixes their header checksums, leaving every
 * payload, including the trailer's, as it is.
 */
static void renumber(struct img_buf *b)
{
	struct img_raw_rec recs[MAXREC];
	int n = img_walk(b->p, b->len, recs, MAXREC);

	for (int i = 0; i < n; i++) {
		recs[i].h.seq = (uint32_t)i;
		recs[i].h.hdr_crc = cryo_img_hdr_crc(&recs[i].h);
		img_hdr_put(b->p, recs[i].off, &recs[i].h);
	}
}

/*
 * A defect only the trailer's chain CRC can catch: the read must fail at
 * the TRAILER with "chain checksum".
 */
static void expect_chain_fail(const struct img_buf *b, const char *what)
{
	struct img_read_result res;

	unit_context(what);
	for (int t = 0; t < T_NR; t++) {
		read_img(b, (enum transport)t, 0, IMG_READ_MIXED, &res);
		if (!CHECK(res.ret != 0))
			continue;
		check_failed(&res, -EBADMSG, "chain checksum");
		CHECK_CONTAINS(res.msg, "record TRAILER");
	}
	unit_context(NULL);
}

/*
 * (l) The trailer's claims checked: a wrong record count, stream length
 * or chain checksum (its own checksums valid); and the defects only the
 * chain CRC can catch: a header flag bit edited, two records swapped and
 * renumbered, a record replaced by another valid one.
 */
static void test_trailer(void)
{
	struct img_buf b = {0};
	struct model m;
	struct cryo_img_trailer t;
	struct cryo_img_rec_hdr h;
	const struct img_raw_rec *tr;

	model_of(&real, &m);
	tr = &m.r[m.n - 1];
	for (int k = 0; k < 3; k++) {
		copy(&real, &b);
		memcpy(&t, b.p + tr->off + IMG_HSZ, sizeof(t));
		if (k == 0)
			t.nr_records++;
		else if (k == 1)
			t.stream_len--;
		else
			t.chain_crc ^= 0x100;
		memcpy(b.p + tr->off + IMG_HSZ, &t, sizeof(t));
		img_hdr_get(b.p, tr->off, &h);
		h.payload_crc = cryo_crc32c(0, &t, sizeof(t));
		h.hdr_crc = cryo_img_hdr_crc(&h);
		img_hdr_put(b.p, tr->off, &h);
		expect_fail(&b, -EBADMSG, "record TRAILER", "trailer claims");
	}
	/*
	 * Only the chain CRC can catch these: the trailer as written, every
	 * record header and payload checksum valid, the count unchanged.
	 */
	/* a flag bit changed in a record header */
	copy(&real, &b);
	img_hdr_get(b.p, m.r[3].off, &h);
	h.flags ^= 0x4000;
	h.hdr_crc = cryo_img_hdr_crc(&h);
	img_hdr_put(b.p, m.r[3].off, &h);
	expect_chain_fail(&b, "flag bit changed");

	/* two VMAs swapped, then renumbered */
	{
		int idx[MAXREC] = {0}, n, v0, v1;

		for (n = 0; n < m.n; n++)
			idx[n] = n;
		v0 = rec_of(&m, CRYO_REC_VMA, 0);
		v1 = rec_of(&m, CRYO_REC_VMA, 1);
		idx[v0] = v1;
		idx[v1] = v0;
		compose(&real, &m, idx, n, &b);
		renumber(&b);
		expect_chain_fail(&b, "VMAs swapped and renumbered");
	}

	/* a record replaced by another valid one of the same length */
	copy(&real, &b);
	{
		int fi = rec_of(&m, CRYO_REC_FD, 0);

		poke_u32(&b, &m.r[fi], offsetof(struct cryo_img_fd, fd), 7);
		img_hdr_get(b.p, m.r[fi].off, &h);
		h.payload_crc = cryo_crc32c(0, b.p + m.r[fi].off + IMG_HSZ,
					    (size_t)h.len);
		h.hdr_crc = cryo_img_hdr_crc(&h);
		img_hdr_put(b.p, m.r[fi].off, &h);
	}
	expect_chain_fail(&b, "FD replaced");

	/* a trailer with a short fixed part */
	copy(&real, &b);
	poke_u32(&b, tr, 0, 16);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record TRAILER", "short trailer");
	img_buf_free(&b);
}

/*
 * (m) Struct payloads that do not parse: a size below the minimum or
 * beyond the payload, a payload shorter than 4 bytes, u32 and u64-pair
 * tails that are not whole entries, a HEADER too short.
 */
static void test_bad_structs(void)
{
	struct img_buf b = {0};
	struct model m;
	struct cryo_img_rec_hdr h;
	int ps, mm, tk;

	model_of(&real, &m);
	ps = rec_of(&m, CRYO_REC_PSTREE, 0);
	mm = rec_of(&m, CRYO_REC_MM, 0);
	tk = rec_of(&m, CRYO_REC_TASK, 0);

	copy(&real, &b);
	poke_u32(&b, &m.r[tk], 0, 20);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record TASK", "size below min");

	copy(&real, &b);
	poke_u32(&b, &m.r[tk], 0, (uint32_t)m.r[tk].h.len + 1);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record TASK", "size beyond payload");

	copy(&real, &b);
	poke_u32(&b, &m.r[0], 0, 100);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record HEADER", "short header");

	/* PSTREE size 25: its tids tail is 3 bytes */
	copy(&real, &b);
	poke_u32(&b, &m.r[ps], 0, 25);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record PSTREE", "u32 tail");

	/* MM size 112: its auxv tail is 24 bytes, not whole pairs */
	copy(&real, &b);
	poke_u32(&b, &m.r[mm], 0, 112);
	img_reseal(b.p, b.len, 0);
	expect_fail(&b, -EBADMSG, "record MM", "pair tail");

	/* a TASK record of 2 bytes */
	copy(&real, &b);
	img_hdr_get(b.p, m.r[tk].off, &h);
	{
		struct img_buf c = {0};
		int idx[MAXREC] = {0}, n = 0;

		for (int i = 0; i < m.n; i++)
			idx[n++] = i;
		compose(&real, &m, idx, tk, &c);
		h.len = 2;
		img_buf_put(&c, &h, sizeof(h));
		img_buf_put(&c, "ab", 2);
		for (int i = tk + 1; i < m.n; i++)
			img_buf_put(&c, real.p + m.r[i].off, m.r[i].size);
		img_reseal(c.p, c.len, IMG_RESEAL_TRAILER);
		expect_fail(&c, -EBADMSG, "record TASK", "2-byte TASK");
		img_buf_free(&c);
	}
	img_buf_free(&b);
}

/*
 * out = src with n zero bytes appended to the payload of record idx (its
 * size field untouched: the bytes form a tail), then re-sealed.
 */
static void grow(const struct img_buf *src, int idx, size_t n,
		 struct img_buf *out)
{
	static const unsigned char zeros[64];
	struct model m;
	struct cryo_img_rec_hdr h;

	model_of(src, &m);
	out->len = 0;
	img_buf_put(out, src->p, CRYO_IMG_MAGIC_LEN);
	for (int i = 0; i < m.n; i++) {
		h = m.r[i].h;
		if (i == idx)
			h.len += n;
		img_buf_put(out, &h, sizeof(h));
		img_buf_put(out, src->p + m.r[i].off + IMG_HSZ,
			    m.r[i].size - IMG_HSZ);
		if (i == idx)
			img_buf_put(out, zeros, n);
	}
	img_reseal(out->p, out->len, IMG_RESEAL_TRAILER);
}

static void write_empty_pad(struct cryo_img_writer *w)
{
	write_small(w);
	if (cryo_img_write(w, CRYO_REC_PAD, 0, NULL, 0))
		abort();
}

/*
 * (n) What the stricter version-1 reader also refuses (docs/image-format.md
 * section 10): page data off the 4096 boundary (its PAD removed, the rest
 * renumbered and re-sealed), an empty payload whose checksum is not 0, and
 * bytes after the fixed part of HEADER or TRAILER, whose tail kind is none.
 */
static void test_strict(void)
{
	struct img_buf b = {0}, c = {0};
	struct cryo_img_rec_hdr h;
	struct model m;

	model_of(&real, &m);
	without(&real, rec_of(&m, CRYO_REC_PAD, 0),
		IMG_RESEAL_SEQ | IMG_RESEAL_TRAILER, &b);
	expect_fail(&b, -EBADMSG, "record PAGES", "PAGES not aligned");
	expect_fail(&b, -EBADMSG, "not aligned to 4096", "PAGES not aligned");

	build(write_empty_pad, &b);
	expect_ok(&b, "empty PAD");
	model_of(&b, &m);
	img_hdr_get(b.p, m.r[m.n - 2].off, &h);
	if (CHECK_EQ(h.len, 0) && CHECK_EQ(h.type, CRYO_REC_PAD)) {
		h.payload_crc = 1;
		h.hdr_crc = cryo_img_hdr_crc(&h);
		img_hdr_put(b.p, m.r[m.n - 2].off, &h);
		expect_fail(&b, -EBADMSG, "record PAD", "empty payload");
		expect_fail(&b, -EBADMSG,
			    "empty payload with checksum 0x00000001",
			    "empty payload");
	}

	model_of(&small, &m);
	grow(&small, 0, 8, &c);
	expect_fail(&c, -EBADMSG, "record HEADER", "HEADER with a tail");
	grow(&small, m.n - 1, 8, &c);
	expect_fail(&c, -EBADMSG, "record TRAILER", "TRAILER with a tail");
	grow(&small, 2, 5, &c); /* a TASK exe tail may grow */
	expect_ok(&c, "TASK with a longer tail");
	img_buf_free(&b);
	img_buf_free(&c);
}

int main(void)
{
	unit_rng_seed(0xc0ffee);
	memfd = img_memfd();
	if (memfd < 0)
		unit_skip("memfd_create failed");
	build(write_small, &small);
	build(write_realistic, &real);

	test_pristine();
	test_truncation(&small, "small");
	test_truncation(&real, "realistic");
	test_bitflips();
	test_magic();
	test_version();
	test_unknown_required();
	test_unknown_required_written();
	test_len_past_end();
	test_order();
	test_order_written();
	test_pages_mismatch();
	test_after_trailer();
	test_missing();
	test_huge_len();
	test_unlimited_payload();
	test_trailer();
	test_bad_structs();
	test_strict();

	img_buf_free(&small);
	img_buf_free(&real);
	close(memfd);
	return unit_done();
}
