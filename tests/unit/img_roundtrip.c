// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Image round trips: what the writer writes, the reader gives back,
 * byte for byte.
 *
 *  - every type of the descriptor table, alone in an image with random
 *    field values and a random tail, comes back with the same type, flags,
 *    sequence number, fixed part and tail (through a file and a pipe);
 *  - a full image with every type in section order, several PAGEMAP+PAGES
 *    pairs (each PAGES payload at a 4096 boundary), unknown optional
 *    records in the middle, page data read whole, in small chunks and
 *    partly, streamed through a pipe by a writer in another process;
 *  - fixed parts of other sizes: the oldest accepted (min_size), a newer
 *    writer's longer one (extra bytes ignored), below min_size (rejected);
 *    cryo_img_fixed() zero-fills what a payload does not have;
 *  - the trailer's values, the header's string termination, the API's
 *    argument checks and the writer's sticky errors.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cryo/img.h"
#include "img-internal.h"
#include "img-test.h"
#include "unit.h"

#define PAGE	    CRYO_IMG_ALIGN
#define MAX_PLAN    96
#define UNKNOWN_OPT 0x7000

/* One record to write. */
struct prec {
	uint16_t type;
	uint16_t flags;
	bool pages;	  /* written with cryo_img_write_pages() */
	unsigned char *p; /* payload: fixed part then tail */
	size_t len;
	size_t fixed_len; /* fixed part of a struct record, 0 for bulk */
};

/* What to write: a header (possibly a longer, newer one) and records. */
struct plan {
	struct cryo_img_header hdr;
	unsigned char hdr_extra[64]; /* a newer writer's extra header bytes */
	size_t hdr_extra_len;
	struct prec recs[MAX_PLAN];
	int n;
};

/* One record the reader must return. */
struct erec {
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	const unsigned char *p;
	size_t len;
	size_t fixed_len;
};

/*
 * What the reader must return for a plan: its known records plus the PADs
 * the writer inserted before PAGES, in order, with their sequence numbers
 * (unknown optional records are skipped by the reader but use a number).
 */
struct expect {
	struct cryo_img_header hdr;
	struct erec recs[2 * MAX_PLAN];
	int n;
	uint64_t nr_written;  /* records before the trailer */
	uint64_t trailer_off; /* stream offset of the trailer */
};

static const unsigned char zero_page[PAGE];

static void plan_free(struct plan *pl)
{
	for (int i = 0; i < pl->n; i++)
		free(pl->recs[i].p);
	pl->n = 0;
}

static struct prec *plan_push(struct plan *pl, uint16_t type, size_t len)
{
	struct prec *r;

	if (pl->n >= MAX_PLAN)
		abort();
	r = &pl->recs[pl->n++];
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->len = len;
	r->p = calloc(1, len ? len : 1);
	if (!r->p)
		abort();
	return r;
}

/* A random printable string of len bytes, the NUL included. */
static void rand_str(char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		s[i] = (char)('!' + unit_rand_below(94));
	if (len)
		s[len - 1] = 0;
}

static void rand_header(struct cryo_img_header *h)
{
	unit_rand_fill(h, sizeof(*h));
	h->size = sizeof(*h);
	h->format_version = CRYO_IMG_VERSION;
	rand_str(h->kernel_release, sizeof(h->kernel_release));
	rand_str(h->cryo_version, sizeof(h->cryo_version));
}

static size_t tail_unit(const struct cryo_img_desc *d)
{
	switch (d->tail) {
	case CRYO_TAIL_U32:
		return 4;
	case CRYO_TAIL_U64_PAIRS:
		return 16;
	default:
		return 1;
	}
}

static void put_u32(unsigned char *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

/*
 * A struct record of type d with random field values: its fixed part is
 * fixed_len bytes (d->cur_size, or other sizes to test compatibility) and
 * its `size` says so; a tail of 0..max_entries entries of d's tail kind
 * follows. Counts that describe the tail are kept true to it.
 */
static struct prec *plan_struct(struct plan *pl, const struct cryo_img_desc *d,
				size_t fixed_len, size_t max_entries)
{
	size_t nent = d->tail == CRYO_TAIL_NONE
			      ? 0
			      : (size_t)unit_rand_below(max_entries + 1);
	size_t tail_len = nent * tail_unit(d);
	struct prec *r = plan_push(pl, d->type, fixed_len + tail_len);
	unsigned char *tail = r->p + fixed_len;

	r->flags = d->default_flags;
	r->fixed_len = fixed_len;
	unit_rand_fill(r->p, fixed_len);
	put_u32(r->p, 0, (uint32_t)fixed_len);
	switch (d->tail) {
	case CRYO_TAIL_STR:
		rand_str((char *)tail, tail_len);
		break;
	case CRYO_TAIL_STRS:
		for (size_t i = 0; i < tail_len; i++)
			tail[i] = unit_rand_below(8)
					  ? (unsigned char)('a' + i % 26)
					  : 0;
		if (tail_len)
			tail[tail_len - 1] = 0;
		break;
	default:
		unit_rand_fill(tail, tail_len);
		break;
	}
	if (fixed_len >= d->cur_size) {
		switch (d->type) {
		case CRYO_REC_PSTREE:
			put_u32(r->p,
				offsetof(struct cryo_img_pstree, nr_threads),
				(uint32_t)nent);
			break;
		case CRYO_REC_CREDS:
			put_u32(r->p,
				offsetof(struct cryo_img_creds, nr_groups),
				(uint32_t)nent);
			break;
		case CRYO_REC_THREAD:
			put_u32(r->p,
				offsetof(struct cryo_img_thread, xsave_size),
				(uint32_t)nent);
			break;
		default:
			break;
		}
	}
	return r;
}

/*
 * A PAGEMAP whose fixed part is sizeof + extra bytes, with nr_runs runs
 * adding up to nr_pages, then its PAGES with random data (each page starts
 * with its index, to be recognisable).
 */
static void plan_pages(struct plan *pl, uint32_t pid, uint32_t nr_runs,
		       uint64_t nr_pages, size_t extra)
{
	struct cryo_img_pagemap pm = {
		.pid = pid,
		.nr_runs = nr_runs,
		.nr_pages = nr_pages,
	};
	size_t fixed_len = sizeof(pm) + extra;
	size_t run_sz = sizeof(struct cryo_img_page_run);
	struct prec *r =
		plan_push(pl, CRYO_REC_PAGEMAP, fixed_len + nr_runs * run_sz);
	uint64_t left = nr_pages;
	uint64_t vaddr = 0x400000ull + unit_rand_below(64) * PAGE;

	r->flags = CRYO_REC_F_REQUIRED;
	r->fixed_len = fixed_len;
	pm.size = (uint32_t)fixed_len;
	pm.pad = (uint32_t)unit_rand();
	unit_rand_fill(r->p, fixed_len);
	memcpy(r->p, &pm, sizeof(pm));
	for (uint32_t i = 0; i < nr_runs; i++) {
		struct cryo_img_page_run run = {.vaddr = vaddr};

		run.nr_pages =
			i + 1 == nr_runs ? left : unit_rand_below(left + 1);
		left -= run.nr_pages;
		vaddr += (run.nr_pages + 1 + unit_rand_below(16)) * PAGE;
		memcpy(r->p + fixed_len + i * run_sz, &run, run_sz);
	}
	r = plan_push(pl, CRYO_REC_PAGES, nr_pages * PAGE);
	r->pages = true;
	r->flags = CRYO_REC_F_REQUIRED;
	unit_rand_fill(r->p, r->len);
	for (uint64_t i = 0; i < nr_pages; i++)
		memcpy(r->p + i * PAGE, &i, sizeof(i));
}

/* A bulk or unknown record: NOTE gets text, PAD zeros, others random. */
static struct prec *plan_bulk(struct plan *pl, uint16_t type, uint16_t flags,
			      size_t len)
{
	struct prec *r = plan_push(pl, type, len);

	r->flags = flags;
	if (type == CRYO_REC_NOTE)
		rand_str((char *)r->p, len);
	else if (type != CRYO_REC_PAD)
		unit_rand_fill(r->p, len);
	return r;
}

/* cryo_img_write_pages() with one iovec per page (at most 128). */
static int write_pages(struct cryo_img_writer *w, const struct prec *r)
{
	struct iovec iov[128];
	size_t nr = r->len / PAGE;

	if (nr == 0 || nr > 128) {
		iov[0].iov_base = r->p;
		iov[0].iov_len = r->len;
		return cryo_img_write_pages(w, iov, 1);
	}
	for (size_t i = 0; i < nr; i++) {
		iov[i].iov_base = r->p + i * PAGE;
		iov[i].iov_len = PAGE;
	}
	return cryo_img_write_pages(w, iov, (int)nr);
}

static void expect_add(struct expect *ex, uint16_t type, uint16_t flags,
		       uint32_t seq, const unsigned char *p, size_t len,
		       size_t fixed_len)
{
	struct erec *e;

	if (ex->n >= 2 * MAX_PLAN)
		abort();
	e = &ex->recs[ex->n++];
	e->type = type;
	e->flags = flags;
	e->seq = seq;
	e->p = p;
	e->len = len;
	e->fixed_len = fixed_len;
}

/*
 * Writes the plan to fd with the library's writer; if ex is not NULL,
 * fills it with what a reader must return. 0 or a negative errno.
 */
static int write_plan(int fd, const struct plan *pl, struct expect *ex)
{
	struct cryo_img_wopts o = {.sz = sizeof(o), .fd = fd};
	struct cryo_img_writer *w;
	struct iovec hiov[2] = {
		{(void *)&pl->hdr, sizeof(pl->hdr)},
		{(void *)pl->hdr_extra, pl->hdr_extra_len},
	};
	uint32_t seq = 1;
	int ret;

	if (ex) {
		memset(ex, 0, sizeof(*ex));
		ex->hdr = pl->hdr;
	}
	ret = cryo_img_writer_new(&o, &w);
	if (ret)
		return ret;
	ret = cryo_img_writev(w, CRYO_REC_HEADER, CRYO_REC_F_REQUIRED, hiov,
			      pl->hdr_extra_len ? 2 : 1);
	for (int i = 0; !ret && i < pl->n; i++) {
		const struct prec *r = &pl->recs[i];
		const struct cryo_img_desc *d = cryo_img_desc_get(r->type);
		uint64_t before = cryo_img_writer_offset(w);

		if (r->pages) {
			ret = write_pages(w, r);
			if (!ret && cryo_img_writer_offset(w) - before !=
					    IMG_HSZ + r->len) {
				/* the writer put a PAD first */
				uint64_t pad = cryo_img_writer_offset(w) -
					       before - 2 * IMG_HSZ - r->len;

				if (ex)
					expect_add(ex, CRYO_REC_PAD, 0, seq,
						   zero_page, pad, 0);
				seq++;
			}
		} else if (r->fixed_len && d && r->flags == d->default_flags) {
			ret = cryo_img_write_rec(w, r->type, r->p, r->fixed_len,
						 r->p + r->fixed_len,
						 r->len - r->fixed_len);
		} else {
			ret = cryo_img_write(w, r->type, r->flags, r->p,
					     r->len);
		}
		if (ex && d)
			expect_add(ex, r->type, r->flags, seq, r->p, r->len,
				   r->fixed_len);
		seq++;
	}
	if (ex)
		ex->trailer_off = cryo_img_writer_offset(w);
	if (!ret)
		ret = cryo_img_writer_finish(w);
	cryo_img_writer_free(w);
	if (ex)
		ex->nr_written = seq;
	return ret;
}

/* How verify() consumes each record's payload. */
enum how {
	HOW_PAYLOAD, /* cryo_img_payload */
	HOW_SMALL,   /* cryo_img_read, random chunks of 1..97 bytes */
	HOW_BIG,     /* cryo_img_read, chunks of 5000 bytes */
	HOW_PARTIAL, /* read half, leave the rest to cryo_img_next */
	HOW_NR,
};

/* Reads a record's payload the chosen way into buf; the bytes read. */
static ssize_t consume(struct cryo_img_reader *r,
		       const struct cryo_img_rec *rec, enum how how,
		       unsigned char *buf)
{
	const void *p = NULL, *again = NULL;
	size_t got = 0;
	int ret;

	if (how == HOW_PAYLOAD) {
		ret = cryo_img_payload(r, &p);
		if (ret)
			return ret;
		memcpy(buf, p, rec->len);
		/* a second call hands out the same, already loaded buffer */
		CHECK_EQ(cryo_img_payload(r, &again), 0);
		CHECK(again == p);
		return (ssize_t)rec->len;
	}
	for (;;) {
		size_t want = how == HOW_BIG ? 5000 : 1 + unit_rand_below(97);
		ssize_t n;

		if (how == HOW_PARTIAL && got >= rec->len / 2)
			break;
		n = cryo_img_read(r, buf + got, want);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		CHECK((size_t)n <= want);
		got += (size_t)n;
	}
	if (rec->len && rec->desc && !rec->desc->bulk && !CHECK(got > 0)) {
		/* go on with the bytes from cryo_img_payload() */
		ret = cryo_img_payload(r, &p);
		if (ret)
			return ret;
		memcpy(buf, p, rec->len);
		return (ssize_t)rec->len;
	}
	if (how != HOW_PARTIAL)
		CHECK_EQ(cryo_img_read(r, buf, 1), 0); /* at the end */
	return (ssize_t)got;
}

/*
 * Reads an image from fd and compares it with what was written: the
 * header, every record's type, flags, seq, length and payload (for struct
 * records also the fixed part and tail as cryo_img_fixed splits them),
 * PAGES alignment, the trailer, and that the stream verifies completely.
 * pass rotates the ways payloads are consumed.
 */
static void verify(int fd, const struct expect *ex, int pass, const char *what)
{
	struct cryo_img_ropts o = {.sz = sizeof(o), .fd = fd};
	struct cryo_img_reader *r = NULL;
	const struct cryo_img_trailer *t;
	struct cryo_img_rec rec;
	unsigned char *buf;
	size_t maxlen = 1;
	int i, ret;

	unit_context(what);
	for (i = 0; i < ex->n; i++)
		if (ex->recs[i].len > maxlen)
			maxlen = ex->recs[i].len;
	buf = malloc(maxlen);
	if (!buf) {
		CHECK(!"out of memory");
		return;
	}

	ret = cryo_img_reader_new(&o, &r);
	if (!CHECK_EQ(ret, 0)) {
		unit_note("%s: %s", what, r ? cryo_img_reader_error(r) : "-");
		goto out;
	}
	CHECK_MEM(cryo_img_reader_header(r), &ex->hdr, sizeof(ex->hdr));
	CHECK(cryo_img_reader_trailer(r) == NULL); /* not verified yet */

	for (i = 0; i < ex->n; i++) {
		const struct erec *e = &ex->recs[i];
		enum how how = (enum how)((i + pass) % HOW_NR);
		ssize_t n;

		ret = cryo_img_next(r, &rec);
		if (!CHECK_EQ(ret, 1)) {
			unit_note("%s: record %d: %s", what, i,
				  cryo_img_reader_error(r));
			goto out;
		}
		if (!CHECK_EQ(rec.type, e->type))
			goto out;
		CHECK_EQ(rec.flags, e->flags);
		CHECK_EQ(rec.seq, e->seq);
		CHECK_EQ(rec.len, e->len);
		CHECK(rec.desc == cryo_img_desc_get(e->type));
		if (e->type == CRYO_REC_PAGES)
			CHECK_EQ((rec.offset + IMG_HSZ) % PAGE, 0);
		n = consume(r, &rec, how, buf);
		if (!CHECK(n >= 0)) {
			unit_note("%s: %s", what, cryo_img_reader_error(r));
			goto out;
		}
		if (how == HOW_PARTIAL)
			CHECK((size_t)n >= e->len / 2);
		else
			CHECK_EQ(n, e->len);
		CHECK_MEM(buf, e->p, (size_t)n);
		if (e->fixed_len && how != HOW_PARTIAL) {
			unsigned char fixed[512];
			const void *tail = NULL;
			uint64_t tail_len = 0;
			size_t cur = rec.desc->cur_size;

			ret = cryo_img_fixed(rec.desc, buf, rec.len, fixed, cur,
					     &tail, &tail_len);
			CHECK_EQ(ret, 0);
			CHECK_MEM(fixed, e->p,
				  cur < e->fixed_len ? cur : e->fixed_len);
			CHECK(tail == buf + e->fixed_len);
			CHECK_EQ(tail_len, e->len - e->fixed_len);
		}
	}
	ret = cryo_img_next(r, &rec);
	if (!CHECK_EQ(ret, 0))
		unit_note("%s: at the end: %s", what, cryo_img_reader_error(r));
	CHECK_EQ(cryo_img_next(r, &rec), 0); /* and stays complete */
	t = cryo_img_reader_trailer(r);
	if (CHECK(t != NULL)) {
		CHECK_EQ(t->size, sizeof(*t));
		CHECK_EQ(t->nr_records, ex->nr_written);
		CHECK_EQ(t->stream_len, ex->trailer_off);
	}
	CHECK_STR(cryo_img_reader_error(r), "no error");
out:
	cryo_img_reader_free(r);
	free(buf);
	unit_context(NULL);
}

/* The trailer, checked against the raw bytes: chain CRC, count, offset. */
static void check_raw(const struct img_buf *img, const struct expect *ex)
{
	struct img_raw_rec recs[2 * MAX_PLAN + 2];
	int n = img_walk(img->p, img->len, recs, 2 * MAX_PLAN + 2);
	uint32_t chain = cryo_crc32c(0, img->p, CRYO_IMG_MAGIC_LEN);
	struct cryo_img_trailer t;

	CHECK_MEM(img->p, CRYO_IMG_MAGIC, CRYO_IMG_MAGIC_LEN);
	if (!CHECK(n >= 2) || !CHECK_EQ(recs[n - 1].h.type, CRYO_REC_TRAILER))
		return;
	for (int i = 0; i < n - 1; i++) {
		CHECK_EQ(recs[i].h.seq, i);
		CHECK_EQ(recs[i].h.hdr_crc, cryo_img_hdr_crc(&recs[i].h));
		CHECK_EQ(recs[i].h.payload_crc,
			 cryo_crc32c(0, img->p + recs[i].off + IMG_HSZ,
				     recs[i].size - IMG_HSZ));
		chain = cryo_crc32c(chain, img->p + recs[i].off,
				    img_chain_hdr_len());
	}
	CHECK_EQ(recs[n - 1].h.len, sizeof(t));
	memcpy(&t, img->p + recs[n - 1].off + IMG_HSZ, sizeof(t));
	CHECK_EQ(t.chain_crc, chain);
	CHECK_EQ(t.nr_records, n - 1);
	CHECK_EQ(t.nr_records, ex->nr_written);
	CHECK_EQ(t.stream_len, recs[n - 1].off);
	CHECK_EQ(t.stream_len, ex->trailer_off);
	CHECK_EQ(recs[n - 1].off + recs[n - 1].size, img->len);
}

/*
 * Writes the plan to a memfd, checks the raw bytes, reads it back from
 * the file. The expectation is returned for roundtrip_pipe().
 */
static void roundtrip_file(const struct plan *pl, struct expect *ex, int pass,
			   const char *what)
{
	struct img_buf bytes = {0};
	int fd = img_memfd();
	int ret;

	if (!CHECK(fd >= 0))
		return;
	ret = write_plan(fd, pl, ex);
	if (!CHECK_EQ(ret, 0)) {
		unit_note("%s: writing failed: %s", what, strerror(-ret));
		close(fd);
		return;
	}
	CHECK_EQ(img_fd_slurp(fd, &bytes), 0);
	CHECK_EQ(bytes.len,
		 ex->trailer_off + IMG_HSZ + sizeof(struct cryo_img_trailer));
	check_raw(&bytes, ex);
	img_buf_free(&bytes);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	verify(fd, ex, pass, what);
	close(fd);
}

/*
 * Streams the plan through a pipe: a forked child runs the writer into
 * the write end while this process reads the other end, so neither side
 * ever seeks nor holds more than its buffer.
 */
static void roundtrip_pipe(const struct plan *pl, const struct expect *ex,
			   int pass, const char *what)
{
	int pfd[2];
	pid_t pid;
	int st = 0;

	if (!CHECK_EQ(pipe(pfd), 0))
		return;
	fflush(NULL);
	pid = fork();
	if (!CHECK(pid >= 0)) {
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		_exit(write_plan(pfd[1], pl, NULL) ? 1 : 0);
	}
	close(pfd[1]);
	verify(pfd[0], ex, pass, what);
	close(pfd[0]);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void roundtrip(const struct plan *pl, int pass, const char *name)
{
	struct expect *ex = calloc(1, sizeof(*ex));
	char what[96];

	if (!ex) {
		CHECK(!"out of memory");
		return;
	}
	snprintf(what, sizeof(what), "%s, file", name);
	roundtrip_file(pl, ex, pass, what);
	snprintf(what, sizeof(what), "%s, pipe", name);
	roundtrip_pipe(pl, ex, pass + 1, what);
	free(ex);
}

/*
 * Every descriptor-table type alone in an image with random values:
 * HEADER (the random header itself), struct records with tails of random
 * length (empty ones too), PAGEMAP and PAGES (as a pair), PAD, NOTE, and
 * TRAILER (through the trailer checks). Eight rounds per type.
 */
static void test_each_type(void)
{
	size_t nr;
	const struct cryo_img_desc *tab = cryo_img_desc_table(&nr);
	char name[64];

	for (int round = 0; round < 8; round++) {
		for (size_t i = 0; i < nr; i++) {
			const struct cryo_img_desc *d = &tab[i];
			static struct plan pl;

			memset(&pl, 0, sizeof(pl));
			rand_header(&pl.hdr);
			switch (d->type) {
			case CRYO_REC_HEADER:
			case CRYO_REC_TRAILER:
				break; /* in every image */
			case CRYO_REC_PAGEMAP:
			case CRYO_REC_PAGES:
				plan_pages(&pl, 42,
					   1 + (uint32_t)unit_rand_below(4),
					   1 + unit_rand_below(4), 0);
				break;
			default:
				if (d->bulk)
					plan_bulk(
						&pl, d->type, d->default_flags,
						(size_t)unit_rand_below(6000));
				else
					plan_struct(&pl, d, d->cur_size, 40);
				break;
			}
			snprintf(name, sizeof(name), "%s round %d", d->name,
				 round);
			roundtrip(&pl, round, name);
			plan_free(&pl);
		}
	}
	unit_note("each of the %zu descriptor types round-tripped", nr);
}

/*
 * A realistic image: every type in section order for two processes, PAD
 * and NOTE records in between, unknown optional records (one bigger than
 * the reader's buffer) that the reader skips, and PAGEMAP+PAGES pairs of
 * 1, 3, 80 and 5 pages (80 pages exceed the writer's and the reader's
 * buffers). Through a file and a pipe, each record read four ways.
 */
static void test_full_image(void)
{
	static const uint16_t state[] = {
		CRYO_REC_TASK, CRYO_REC_CREDS, CRYO_REC_MM,	CRYO_REC_VMA,
		CRYO_REC_VMA,  CRYO_REC_VMA,   CRYO_REC_THREAD, CRYO_REC_THREAD,
		CRYO_REC_FD,   CRYO_REC_FD,    CRYO_REC_FD,
	};
	static struct plan pl;
	const struct cryo_img_desc *d;
	char name[64];

	memset(&pl, 0, sizeof(pl));
	rand_header(&pl.hdr);
	plan_bulk(&pl, CRYO_REC_NOTE, 0, 40);
	plan_struct(&pl, cryo_img_desc_get(CRYO_REC_CONTAINER),
		    sizeof(struct cryo_img_container), 200);
	plan_bulk(&pl, UNKNOWN_OPT, 0, 100);
	for (int p = 0; p < 2; p++)
		plan_struct(&pl, cryo_img_desc_get(CRYO_REC_PSTREE),
			    sizeof(struct cryo_img_pstree), 8);
	for (int p = 0; p < 2; p++) {
		for (size_t i = 0; i < sizeof(state) / sizeof(state[0]); i++) {
			d = cryo_img_desc_get(state[i]);
			plan_struct(&pl, d, d->cur_size, 64);
		}
		plan_bulk(&pl, CRYO_REC_PAD, 0, 3);
	}
	plan_bulk(&pl, UNKNOWN_OPT + 0xabc, 0, 300 << 10);
	plan_pages(&pl, 1, 1, 1, 0);
	plan_pages(&pl, 1, 2, 3, 0);
	plan_bulk(&pl, CRYO_REC_NOTE, 0, 100);
	plan_pages(&pl, 2, 7, 80, 0);
	plan_bulk(&pl, CRYO_REC_PAD, 0, PAGE);
	plan_pages(&pl, 2, 2, 5, 0);
	plan_bulk(&pl, UNKNOWN_OPT, 0, 0);
	plan_bulk(&pl, CRYO_REC_NOTE, 0, 1);

	for (int pass = 0; pass < HOW_NR; pass++) {
		snprintf(name, sizeof(name), "full image, pass %d", pass);
		roundtrip(&pl, pass, name);
	}
	plan_free(&pl);
}

/*
 * Fixed parts of other sizes than this version's. The oldest accepted
 * size (min_size) reads, the missing fields zero-filled; a newer writer's
 * longer fixed part reads, its extra bytes skipped and the tail found
 * after them; a HEADER from a newer writer too. (In format version 1
 * min_size == cur_size for every type; the test is written for when they
 * differ.)
 */
static void test_fixed_sizes(void)
{
	size_t nr;
	const struct cryo_img_desc *tab = cryo_img_desc_table(&nr);
	static const size_t extras[] = {0, 1, 13, 24};
	char name[64];

	for (size_t i = 0; i < nr; i++) {
		const struct cryo_img_desc *d = &tab[i];

		if (d->bulk || d->type == CRYO_REC_HEADER ||
		    d->type == CRYO_REC_TRAILER)
			continue;
		for (size_t k = 0; k < sizeof(extras) / sizeof(extras[0]);
		     k++) {
			static struct plan pl;

			memset(&pl, 0, sizeof(pl));
			rand_header(&pl.hdr);
			if (d->type == CRYO_REC_PAGEMAP)
				plan_pages(&pl, 7, 2, 3, extras[k]);
			else
				plan_struct(&pl, d, d->cur_size + extras[k],
					    10);
			/* the oldest layout, where it differs */
			if (d->min_size < d->cur_size &&
			    d->type != CRYO_REC_PAGEMAP)
				plan_struct(&pl, d, d->min_size, 10);
			snprintf(name, sizeof(name), "%s fixed part +%zu",
				 d->name, extras[k]);
			roundtrip(&pl, (int)k, name);
			plan_free(&pl);
		}
	}

	/* a HEADER with 24 more bytes than this version knows */
	{
		static struct plan pl;

		memset(&pl, 0, sizeof(pl));
		rand_header(&pl.hdr);
		pl.hdr_extra_len = 24;
		unit_rand_fill(pl.hdr_extra, pl.hdr_extra_len);
		pl.hdr.size = (uint32_t)(sizeof(pl.hdr) + pl.hdr_extra_len);
		plan_bulk(&pl, CRYO_REC_NOTE, 0, 10);
		roundtrip(&pl, 0, "newer HEADER");
		plan_free(&pl);
	}
}

/*
 * cryo_img_fixed() itself: copies min(size, out_len) bytes, zero-fills
 * the rest of out and never writes past out_len; finds the tail at
 * `size`; rejects a payload shorter than its size field, a size below the
 * type's minimum and a payload too short to hold a size.
 */
static void test_fixed_fn(void)
{
	size_t nr;
	const struct cryo_img_desc *tab = cryo_img_desc_table(&nr);

	for (size_t i = 0; i < nr; i++) {
		const struct cryo_img_desc *d = &tab[i];
		unsigned char payload[1024], out[1024];
		const void *tail = NULL;
		uint64_t tail_len = 0;
		uint32_t size;
		size_t j;

		if (d->bulk)
			continue;
		unit_context(d->name);
		CHECK(d->min_size >= 4 && d->min_size <= d->cur_size);
		CHECK(d->cur_size + 64 + 64 <= sizeof(out));
		unit_rand_fill(payload, sizeof(payload));

		/* older payload: zero-fill after min_size */
		size = d->min_size;
		memcpy(payload, &size, 4);
		memset(out, 0xaa, sizeof(out));
		CHECK_EQ(cryo_img_fixed(d, payload, size + 8, out,
					d->cur_size + 64, &tail, &tail_len),
			 0);
		CHECK_MEM(out, payload, size);
		for (j = size; j < d->cur_size + 64; j++)
			if (out[j])
				break;
		CHECK_EQ(j, d->cur_size + 64);
		CHECK_EQ(out[d->cur_size + 64],
			 0xaa); /* nothing past out_len */
		CHECK(tail == payload + size);
		CHECK_EQ(tail_len, 8);

		/* newer payload: only out_len bytes copied, tail after size */
		size = d->cur_size + 32;
		memcpy(payload, &size, 4);
		memset(out, 0xaa, sizeof(out));
		CHECK_EQ(cryo_img_fixed(d, payload, size, out, d->cur_size,
					&tail, &tail_len),
			 0);
		CHECK_MEM(out, payload, d->cur_size);
		CHECK_EQ(out[d->cur_size], 0xaa);
		CHECK(tail == payload + size);
		CHECK_EQ(tail_len, 0);
		/* tail pointers are optional */
		CHECK_EQ(cryo_img_fixed(d, payload, size, out, d->cur_size,
					NULL, NULL),
			 0);

		/* invalid sizes */
		size = d->min_size - 1;
		memcpy(payload, &size, 4);
		CHECK_EQ(cryo_img_fixed(d, payload, d->cur_size, out,
					d->cur_size, NULL, NULL),
			 -EBADMSG);
		size = 0;
		memcpy(payload, &size, 4);
		CHECK_EQ(cryo_img_fixed(d, payload, d->cur_size, out,
					d->cur_size, NULL, NULL),
			 -EBADMSG);
		size = d->cur_size + 1;
		memcpy(payload, &size, 4);
		CHECK_EQ(cryo_img_fixed(d, payload, d->cur_size, out,
					d->cur_size, NULL, NULL),
			 -EBADMSG);
		size = 0xffffffff;
		memcpy(payload, &size, 4);
		CHECK_EQ(cryo_img_fixed(d, payload, sizeof(payload), out,
					d->cur_size, NULL, NULL),
			 -EBADMSG);
		CHECK_EQ(cryo_img_fixed(d, payload, 3, out, d->cur_size, NULL,
					NULL),
			 -EBADMSG);
		CHECK_EQ(cryo_img_fixed(d, payload, 0, out, d->cur_size, NULL,
					NULL),
			 -EBADMSG);
	}
	unit_context(NULL);
}

/*
 * A record whose fixed part is below the type's minimum (or whose size
 * field exceeds the payload) fails the read with -EBADMSG and a message
 * naming the type; for HEADER already in cryo_img_reader_new().
 */
static void test_short_fixed(void)
{
	size_t nr;
	const struct cryo_img_desc *tab = cryo_img_desc_table(&nr);

	for (size_t i = 0; i < nr; i++) {
		const struct cryo_img_desc *d = &tab[i];
		static const int64_t deltas[] = {-1, -4, 1};

		if (d->bulk || d->type == CRYO_REC_TRAILER)
			continue;
		for (size_t k = 0; k < 3; k++) {
			static struct plan pl;
			struct expect *ex = calloc(1, sizeof(*ex));
			struct img_read_result res;
			struct prec *r;
			uint32_t size;
			int fd;

			if (!ex) {
				CHECK(!"out of memory");
				return;
			}
			memset(&pl, 0, sizeof(pl));
			rand_header(&pl.hdr);
			size = (uint32_t)(deltas[k] < 0
						  ? d->min_size + deltas[k]
						  : d->cur_size + 1);
			if (d->type == CRYO_REC_HEADER) {
				pl.hdr.size = size;
			} else {
				r = plan_struct(&pl, d, d->cur_size, 0);
				put_u32(r->p, 0, size);
			}
			unit_context(d->name);
			fd = img_memfd();
			CHECK_EQ(write_plan(fd, &pl, ex), 0);
			CHECK(lseek(fd, 0, SEEK_SET) == 0);
			img_read_all(fd, 0, IMG_READ_NEXT, &res);
			CHECK_EQ(res.ret, -EBADMSG);
			CHECK_CONTAINS(res.msg, d->name);
			CHECK_CONTAINS(res.msg, "size");
			close(fd);
			plan_free(&pl);
			free(ex);
		}
	}
	unit_context(NULL);
}

/* Writes a plan to a new memfd (rewound); the fd or -1. */
static int plan_to_memfd(const struct plan *pl)
{
	int fd = img_memfd();

	if (fd < 0)
		return -1;
	if (write_plan(fd, pl, NULL) || lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Unknown optional records (flags without CRYO_REC_F_REQUIRED) in the
 * middle of an image are skipped, whatever their size, even when their
 * payload is partly read by nobody; the record after them is returned.
 */
static void test_unknown_optional(void)
{
	static struct plan pl;
	struct cryo_img_reader *r = NULL;
	struct cryo_img_ropts o = {.sz = sizeof(o)};
	struct cryo_img_rec rec;
	int fd;

	memset(&pl, 0, sizeof(pl));
	rand_header(&pl.hdr);
	plan_bulk(&pl, UNKNOWN_OPT, 0, 100);
	plan_struct(&pl, cryo_img_desc_get(CRYO_REC_PSTREE), 24, 3);
	plan_bulk(&pl, UNKNOWN_OPT + 1, 0x8000, 0); /* unknown flag bit */
	plan_bulk(&pl, 0xfffe, 0, 70000);
	plan_struct(&pl, cryo_img_desc_get(CRYO_REC_TASK), 56, 20);
	plan_bulk(&pl, UNKNOWN_OPT, 0, 5);
	fd = plan_to_memfd(&pl);
	if (!CHECK(fd >= 0))
		return;
	o.fd = fd;
	CHECK_EQ(cryo_img_reader_new(&o, &r), 0);
	CHECK_STR(cryo_img_type_name(UNKNOWN_OPT), "UNKNOWN");
	CHECK(cryo_img_desc_get(UNKNOWN_OPT) == NULL);
	CHECK_EQ(cryo_img_next(r, &rec), 1);
	CHECK_EQ(rec.type, CRYO_REC_PSTREE);
	CHECK_EQ(rec.seq, 2);
	CHECK_EQ(cryo_img_next(r, &rec), 1);
	CHECK_EQ(rec.type, CRYO_REC_TASK);
	CHECK_EQ(rec.seq, 5);
	CHECK_EQ(cryo_img_next(r, &rec), 0);
	if (CHECK(cryo_img_reader_trailer(r) != NULL))
		CHECK_EQ(cryo_img_reader_trailer(r)->nr_records, 7);
	cryo_img_reader_free(r);
	close(fd);
	plan_free(&pl);
}

/*
 * The HEADER's strings are NUL-terminated by the reader even when the
 * image's are not, so callers can print them.
 */
static void test_header_strings(void)
{
	static struct plan pl;
	struct cryo_img_reader *r = NULL;
	struct cryo_img_ropts o = {.sz = sizeof(o)};
	const struct cryo_img_header *h;
	int fd;

	memset(&pl, 0, sizeof(pl));
	rand_header(&pl.hdr);
	memset(pl.hdr.kernel_release, 'K', sizeof(pl.hdr.kernel_release));
	memset(pl.hdr.cryo_version, 'V', sizeof(pl.hdr.cryo_version));
	fd = plan_to_memfd(&pl);
	if (!CHECK(fd >= 0))
		return;
	o.fd = fd;
	CHECK_EQ(cryo_img_reader_new(&o, &r), 0);
	h = cryo_img_reader_header(r);
	CHECK_EQ(strlen(h->kernel_release), sizeof(h->kernel_release) - 1);
	CHECK_EQ(strlen(h->cryo_version), sizeof(h->cryo_version) - 1);
	CHECK_EQ(h->ctime_sec, pl.hdr.ctime_sec);
	CHECK_EQ(h->root_pid, pl.hdr.root_pid);
	cryo_img_reader_free(r);
	close(fd);
}

/*
 * cryo_img_read() serves a payload that is already in memory: a struct
 * record (loaded by cryo_img_next to be checked) and a bulk record after
 * cryo_img_payload(), both from the start, in chunks, then end-of-payload.
 */
static void test_read_loaded(void)
{
	static struct plan pl;
	struct cryo_img_reader *r = NULL;
	struct cryo_img_ropts o = {.sz = sizeof(o)};
	struct cryo_img_rec rec;
	unsigned char buf[4096];
	const struct prec *task, *note;
	const void *p;
	size_t got;
	ssize_t n;
	int fd;

	memset(&pl, 0, sizeof(pl));
	rand_header(&pl.hdr);
	plan_bulk(&pl, CRYO_REC_NOTE, 0, 300);
	plan_struct(&pl, cryo_img_desc_get(CRYO_REC_TASK), 56, 0);
	pl.recs[1].len += 40; /* a tail of 40 bytes */
	pl.recs[1].p = realloc(pl.recs[1].p, pl.recs[1].len);
	if (!CHECK(pl.recs[1].p != NULL))
		return;
	rand_str((char *)pl.recs[1].p + 56, 40);
	note = &pl.recs[0];
	task = &pl.recs[1];
	fd = plan_to_memfd(&pl);
	if (!CHECK(fd >= 0))
		return;
	o.fd = fd;
	CHECK_EQ(cryo_img_reader_new(&o, &r), 0);

	CHECK_EQ(cryo_img_next(r, &rec), 1);
	CHECK_EQ(cryo_img_payload(r, &p), 0);
	got = 0;
	while ((n = cryo_img_read(r, buf + got, 70)) > 0)
		got += (size_t)n;
	CHECK_EQ(n, 0);
	if (CHECK(got == note->len))
		CHECK_MEM(buf, note->p, note->len);

	CHECK_EQ(cryo_img_next(r, &rec), 1);
	CHECK_EQ(rec.type, CRYO_REC_TASK);
	got = 0;
	while ((n = cryo_img_read(r, buf + got, 10)) > 0)
		got += (size_t)n;
	CHECK_EQ(n, 0);
	if (CHECK(got == task->len))
		CHECK_MEM(buf, task->p, task->len);
	CHECK_EQ(cryo_img_payload(r, &p), 0);
	CHECK_MEM(p, task->p, task->len);
	CHECK_EQ(cryo_img_next(r, &rec), 0);
	cryo_img_reader_free(r);
	close(fd);
	plan_free(&pl);
}

/* The descriptor table is consistent: unique types, fields in bounds. */
static void test_desc_table(void)
{
	size_t nr;
	const struct cryo_img_desc *tab = cryo_img_desc_table(&nr);
	int prev_section = 0;

	CHECK(nr >= 14);
	for (size_t i = 0; i < nr; i++) {
		const struct cryo_img_desc *d = &tab[i];

		unit_context(d->name);
		CHECK(d->name != NULL);
		CHECK(cryo_img_desc_get(d->type) == d);
		CHECK_STR(cryo_img_type_name(d->type), d->name);
		for (size_t j = 0; j < i; j++)
			CHECK(tab[j].type != d->type);
		CHECK(d->section <= CRYO_SEC_TRAILER);
		if (d->section != CRYO_SEC_ANY) {
			CHECK(d->section >= prev_section);
			prev_section = d->section;
		}
		if (d->bulk) {
			CHECK_EQ(d->nr_fields, 0);
			continue;
		}
		CHECK(d->min_size >= 4 && d->min_size <= d->cur_size);
		CHECK(d->cur_size <= 512); /* the reader's scratch buffer */
		CHECK((d->tail == CRYO_TAIL_NONE) == (d->tail_name == NULL));
		/* fields appended after v1 lie past min_size (a v1 payload
		 * reads them as 0), never past what this version writes */
		for (unsigned int f = 0; f < d->nr_fields; f++) {
			CHECK(d->fields[f].offset >= 4);
			CHECK(d->fields[f].offset + d->fields[f].len <=
			      d->cur_size);
		}
	}
	CHECK_EQ(cryo_img_desc_get(CRYO_REC_HEADER)->section, CRYO_SEC_HEADER);
	CHECK_EQ(cryo_img_desc_get(CRYO_REC_TRAILER)->section,
		 CRYO_SEC_TRAILER);
	CHECK(cryo_img_desc_get(0) == NULL);
	CHECK_STR(cryo_img_type_name(0x1234), "UNKNOWN");
	unit_context(NULL);
}

/* A minimal valid image in a memfd: HEADER, one NOTE of note_len, TRAILER. */
static int small_image(size_t note_len)
{
	static struct plan pl;
	int fd;

	memset(&pl, 0, sizeof(pl));
	rand_header(&pl.hdr);
	plan_bulk(&pl, CRYO_REC_NOTE, 0, note_len);
	fd = plan_to_memfd(&pl);
	plan_free(&pl);
	return fd;
}

/*
 * The reader's API contract: argument checks, an older caller's shorter
 * options struct, max_payload limiting only in-memory payloads (not
 * streaming with cryo_img_read), cryo_img_payload after a partial read,
 * and an image that starts at the current offset of a file.
 */
static void test_reader_api(void)
{
	struct cryo_img_ropts o = {.sz = sizeof(o)};
	struct cryo_img_reader *r = NULL;
	struct cryo_img_rec rec;
	unsigned char buf[3000];
	struct img_buf bytes = {0};
	const void *p;
	size_t got = 0;
	ssize_t n;
	int fd;

	CHECK_EQ(cryo_img_reader_new(NULL, &r), -EINVAL);
	o.sz = 4;
	CHECK_EQ(cryo_img_reader_new(&o, &r), -EINVAL);

	/* an options struct from before max_payload existed */
	fd = small_image(100);
	o.sz = offsetof(struct cryo_img_ropts, max_payload);
	o.fd = fd;
	o.max_payload = 1; /* beyond sz: must be ignored */
	r = NULL;
	CHECK_EQ(cryo_img_reader_new(&o, &r), 0);
	CHECK_EQ(cryo_img_next(r, &rec), 1);
	CHECK_EQ(cryo_img_payload(r, &p), 0);
	CHECK_EQ(cryo_img_next(r, &rec), 0);
	cryo_img_reader_free(r);
	close(fd);

	/* max_payload: payload() refuses, read() streams */
	fd = small_image(2000);
	o.sz = sizeof(o);
	o.fd = fd;
	o.max_payload = 1000;
	CHECK_EQ(cryo_img_reader_new(&o, &r), 0);
	CHECK_EQ(cryo_img_next(r, &rec), 1);
	CHECK_EQ(cryo_img_payload(r, &p), -EFBIG);
	CHECK_CONTAINS(cryo_img_reader_error(r), "NOTE");
	CHECK_CONTAINS(cryo_img_reader_error(r), "limit");
	cryo_img_reader_free(r);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK_EQ(cryo_img_reader_new(&o, &r), 0);
	CHECK_EQ(cryo_img_next(r, &rec), 1);
	while ((n = cryo_img_read(r, buf + got, 333)) > 0)
		got += (size_t)n;
	CHECK_EQ(n, 0);
	CHECK_EQ(got, 2000);
	CHECK_EQ(cryo_img_read(r, buf, 0), 0);
	CHECK_EQ(cryo_img_next(r, &rec), 0);
	cryo_img_reader_free(r);

	/* payload() after a partial read() is refused */
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	o.max_payload = 0;
	CHECK_EQ(cryo_img_reader_new(&o, &r), 0);
	CHECK_EQ(cryo_img_next(r, &rec), 1);
	CHECK_EQ(cryo_img_read(r, buf, 10), 10);
	CHECK_EQ(cryo_img_payload(r, &p), -EINVAL);
	cryo_img_reader_free(r);

	/* an image embedded at offset 1000 of a file, read from there */
	CHECK_EQ(img_fd_slurp(fd, &bytes), 0);
	close(fd);
	fd = img_memfd();
	memset(buf, 'x', 1000);
	CHECK_EQ(img_write_all(fd, buf, 1000), 0);
	CHECK_EQ(img_write_all(fd, bytes.p, bytes.len), 0);
	CHECK(lseek(fd, 1000, SEEK_SET) == 1000);
	o.fd = fd;
	CHECK_EQ(cryo_img_reader_new(&o, &r), 0);
	CHECK_EQ(cryo_img_next(r, &rec), 1);
	CHECK_EQ(rec.offset, 8 + IMG_HSZ + sizeof(struct cryo_img_header));
	CHECK_EQ(cryo_img_next(r, &rec), 0);
	cryo_img_reader_free(r);
	close(fd);
	img_buf_free(&bytes);
}

/*
 * The writer's API contract: argument checks, stream offsets, unknown
 * types refused by write_rec, nothing written after finish, and a failed
 * write (a pipe nobody reads) is reported and stays reported.
 */
static void test_writer_api(void)
{
	struct cryo_img_wopts o = {.sz = sizeof(o)};
	struct cryo_img_writer *w = NULL;
	struct cryo_img_header h;
	unsigned char *big;
	int pfd[2], fd;

	CHECK_EQ(cryo_img_writer_new(NULL, &w), -EINVAL);
	o.sz = 2;
	CHECK_EQ(cryo_img_writer_new(&o, &w), -EINVAL);

	rand_header(&h);
	fd = img_memfd();
	o.sz = sizeof(o);
	o.fd = fd;
	CHECK_EQ(cryo_img_writer_new(&o, &w), 0);
	CHECK_EQ(cryo_img_writer_offset(w), CRYO_IMG_MAGIC_LEN);
	CHECK_EQ(cryo_img_write_rec(w, CRYO_REC_HEADER, &h, sizeof(h), NULL, 0),
		 0);
	CHECK_EQ(cryo_img_writer_offset(w), 8 + 24 + sizeof(h));
	CHECK_EQ(cryo_img_write_rec(w, UNKNOWN_OPT, &h, sizeof(h), NULL, 0),
		 -EINVAL);
	CHECK_EQ(cryo_img_write(w, CRYO_REC_NOTE, 0, "hi", 2), 0);
	CHECK_EQ(cryo_img_writer_offset(w), 8 + 24 + sizeof(h) + 24 + 2);
	CHECK_EQ(cryo_img_write(w, CRYO_REC_NOTE, 0, NULL, 0), 0);
	CHECK_EQ(cryo_img_writer_finish(w), 0);
	CHECK_EQ(cryo_img_write(w, CRYO_REC_NOTE, 0, "x", 1), -EINVAL);
	CHECK_EQ(cryo_img_writer_finish(w), -EINVAL);
	cryo_img_writer_free(w);
	CHECK(lseek(fd, 0, SEEK_END) ==
	      (off_t)(8 + 24 + sizeof(h) + 24 + 2 + 24 + 24 + 32));
	close(fd);

	/* nobody reads: the error surfaces and sticks */
	big = calloc(1, 300 << 10);
	if (!big) {
		CHECK(!"out of memory");
		return;
	}
	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(pipe(pfd), 0);
	close(pfd[0]);
	o.fd = pfd[1];
	CHECK_EQ(cryo_img_writer_new(&o, &w), 0); /* buffered */
	CHECK_EQ(cryo_img_write_rec(w, CRYO_REC_HEADER, &h, sizeof(h), NULL, 0),
		 0);
	CHECK_EQ(cryo_img_write(w, CRYO_REC_NOTE, 0, big, 300 << 10),
		 -EPIPE); /* bigger than the buffer: written through */
	CHECK_EQ(cryo_img_write(w, CRYO_REC_NOTE, 0, "x", 1), -EPIPE);
	CHECK_EQ(cryo_img_writer_finish(w), -EPIPE);
	cryo_img_writer_free(w);
	close(pfd[1]);

	/* the error at the final flush */
	CHECK_EQ(pipe(pfd), 0);
	close(pfd[0]);
	o.fd = pfd[1];
	CHECK_EQ(cryo_img_writer_new(&o, &w), 0);
	CHECK_EQ(cryo_img_write_rec(w, CRYO_REC_HEADER, &h, sizeof(h), NULL, 0),
		 0);
	CHECK_EQ(cryo_img_writer_finish(w), -EPIPE);
	cryo_img_writer_free(w);
	close(pfd[1]);
	signal(SIGPIPE, SIG_DFL);
	free(big);
}

int main(void)
{
	unit_rng_seed(0x1317);
	test_desc_table();
	test_each_type();
	test_full_image();
	test_fixed_sizes();
	test_fixed_fn();
	test_short_fixed();
	test_unknown_optional();
	test_header_strings();
	test_read_loaded();
	test_reader_api();
	test_writer_api();
	return unit_done();
}
