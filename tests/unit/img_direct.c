// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Page data taken by the caller straight from the image file (what a
 * parallel restore does): cryo_img_defer() must point at the right bytes
 * and move the reader past them, cryo_img_check_deferred() must check the
 * payload checksum from CRCs the caller computed in pieces (also when the
 * reader has read part of the payload before), and cryo_crc32c_combine()
 * must join such pieces exactly.
 *
 *  (a) combine == one-shot CRC for random splits, empty pieces and long
 *      (16 MiB) second pieces; the 3-stream hardware path at its block
 *      boundaries against the portable one;
 *  (b) a PAGES payload taken from the file in pieces (CRCs combined), also
 *      after part of it was read through cryo_img_read() (bytes the reader
 *      had buffered ahead), and at a non-zero start offset of the stream:
 *      the bytes match and the rest of the image still verifies;
 *  (c) one flipped byte of page data: the check fails with -EBADMSG and a
 *      "payload checksum mismatch" line naming the record, and the reader
 *      stays failed;
 *  (d) a pipe: -ESPIPE; cryo_img_pending() counts unchecked payloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cryo/img.h"
#include "img-test.h"
#include "unit.h"

#define PAGE	 CRYO_IMG_ALIGN
#define NR_PAGES 40

extern uint32_t cryo_crc32c_sw(uint32_t crc, const void *buf, size_t len);

static unsigned char pages[NR_PAGES * PAGE];

/* (a) */
static void test_combine(void)
{
	static unsigned char buf[100000];
	unsigned char *zeros;
	uint32_t whole, a, b;

	unit_rand_fill(buf, sizeof(buf));
	whole = cryo_crc32c(0, buf, sizeof(buf));
	for (int i = 0; i < 300; i++) {
		size_t cut = (size_t)unit_rand_below(sizeof(buf) + 1);

		if (i < 2)
			cut = i ? sizeof(buf) : 0; /* an empty piece */
		a = cryo_crc32c(0, buf, cut);
		b = cryo_crc32c(0, buf + cut, sizeof(buf) - cut);
		if (!CHECK_EQ(cryo_crc32c_combine(a, b, sizeof(buf) - cut),
			      whole))
			break;
	}
	/* Three pieces, joined left to right. */
	a = cryo_crc32c_combine(cryo_crc32c(0, buf, 1000),
				cryo_crc32c(0, buf + 1000, 5000), 5000);
	CHECK_EQ(cryo_crc32c_combine(a, cryo_crc32c(0, buf + 6000, 94000),
				     94000),
		 whole);
	/* A long second piece: the shift by 16 MiB of zeros. */
	zeros = calloc(1, 16u << 20);
	if (!CHECK(zeros))
		return;
	a = cryo_crc32c(0, "123456789", 9);
	b = cryo_crc32c(0, zeros, 16u << 20);
	CHECK_EQ(cryo_crc32c_combine(a, b, 16u << 20),
		 cryo_crc32c(a, zeros, 16u << 20));
	free(zeros);
	/* The 3-stream path (blocks of 3 x 4096) around its boundaries. */
	for (size_t len = 12280; len <= 24600; len += 7) {
		uint32_t seed = (uint32_t)unit_rand();

		if (!CHECK_EQ(cryo_crc32c(seed, buf + len % 13, len),
			      cryo_crc32c_sw(seed, buf + len % 13, len)))
			break;
		if (len == 12292)
			len = 24560;
	}
}

static void put(struct cryo_img_writer *w, uint16_t type, const void *fixed,
		size_t fixed_len, const void *tail, size_t tail_len)
{
	if (cryo_img_write_rec(w, type, fixed, fixed_len, tail, tail_len))
		abort();
}

/* HEADER, PAGEMAP (2 runs), PAGES, NOTE, TRAILER, after `lead` bytes. */
static void build(struct img_buf *b, size_t lead)
{
	struct cryo_img_header h = {.size = sizeof(h),
				    .format_version = CRYO_IMG_VERSION,
				    .arch = CRYO_ARCH_X86_64,
				    .page_size = PAGE,
				    .root_pid = 1};
	struct cryo_img_pagemap pm = {.size = sizeof(pm),
				      .pid = 1,
				      .nr_runs = 2,
				      .nr_pages = NR_PAGES};
	struct cryo_img_page_run runs[2] = {{0x10000, 10},
					    {0x40000, NR_PAGES - 10}};
	struct iovec iov = {pages, sizeof(pages)};
	struct cryo_img_wopts o = {.sz = sizeof(o)};
	struct cryo_img_writer *w;
	static const char junk[PAGE];

	o.fd = img_memfd();
	if (o.fd < 0 || img_write_all(o.fd, junk, lead) ||
	    cryo_img_writer_new(&o, &w))
		abort();
	put(w, CRYO_REC_HEADER, &h, sizeof(h), NULL, 0);
	put(w, CRYO_REC_PAGEMAP, &pm, sizeof(pm), runs, sizeof(runs));
	if (cryo_img_write_pages(w, &iov, 1))
		abort();
	if (cryo_img_write(w, CRYO_REC_NOTE, 0, "after", 5) ||
	    cryo_img_writer_finish(w))
		abort();
	cryo_img_writer_free(w);
	if (img_fd_slurp(o.fd, b))
		abort();
	close(o.fd);
}

/*
 * Reads the image in b from a file whose stream starts at lead: the first
 * `through` page bytes with cryo_img_read(), the rest from the file in
 * pieces of `piece` bytes. flip: a byte of page data to corrupt (or -1).
 */
static void take_direct(const struct img_buf *b, size_t lead, size_t through,
			size_t piece, long flip)
{
	struct cryo_img_ropts ro = {.sz = sizeof(ro)};
	struct cryo_img_reader *r = NULL;
	struct cryo_img_rec rec;
	static unsigned char got[sizeof(pages)];
	struct cryo_img_deferred d;
	uint64_t done;
	uint32_t crc = 0;
	int ret;

	ro.fd = img_memfd_from(b->p, b->len);
	if (!CHECK(ro.fd >= 0))
		goto out;
	if (!CHECK_EQ(lseek(ro.fd, (off_t)lead, SEEK_SET), (off_t)lead) ||
	    !CHECK_EQ(cryo_img_reader_new(&ro, &r), 0))
		goto out;
	do
		ret = cryo_img_next(r, &rec);
	while (ret == 1 && rec.type != CRYO_REC_PAGES);
	if (!CHECK_EQ(ret, 1))
		goto out;
	if (through &&
	    !CHECK_EQ(cryo_img_read(r, got, through), (ssize_t)through))
		goto out;
	if (!CHECK_EQ(cryo_img_defer(r, &d), 0) ||
	    !CHECK_EQ(d.len, sizeof(pages) - through) ||
	    !CHECK_EQ(d.file_off, lead + rec.offset + IMG_HSZ + through) ||
	    !CHECK_EQ(d.rec_offset, rec.offset) ||
	    !CHECK_EQ(cryo_img_pending(r), 1))
		goto out;
	if (flip >= 0) { /* corrupt the file itself, under the reader */
		unsigned char c = pages[flip] ^ 0x20;

		if (!CHECK_EQ(
			    pwrite(ro.fd, &c, 1,
				   (off_t)(lead + rec.offset + IMG_HSZ) + flip),
			    1))
			goto out;
	}
	/* The reader goes on while the payload is read "elsewhere". */
	CHECK_EQ(cryo_img_next(r, &rec), 1);
	CHECK_EQ(rec.type, CRYO_REC_NOTE);
	for (done = 0; done < d.len; done += piece) {
		size_t k = d.len - done < piece ? d.len - done : piece;

		if (!CHECK_EQ(pread(ro.fd, got + through + done, k,
				    (off_t)(d.file_off + done)),
			      (ssize_t)k))
			goto out;
		crc = cryo_crc32c_combine(
			crc, cryo_crc32c(0, got + through + done, k), k);
	}
	ret = cryo_img_check_deferred(r, &d, crc);
	CHECK_EQ(cryo_img_pending(r), 0);
	if (flip >= 0) {
		CHECK_EQ(ret, -EBADMSG);
		CHECK_CONTAINS(cryo_img_reader_error(r),
			       "payload checksum mismatch");
		CHECK_CONTAINS(cryo_img_reader_error(r), "record PAGES at");
		CHECK_EQ(cryo_img_next(r, &rec), -EBADMSG); /* sticky */
		goto out;
	}
	if (!CHECK_EQ(ret, 0))
		goto out;
	CHECK_MEM(got, pages, sizeof(pages));
	/* The rest of the stream: the verified trailer. */
	CHECK_EQ(cryo_img_next(r, &rec), 0);
	CHECK(cryo_img_reader_trailer(r) != NULL);
out:
	if (r && unit.fails)
		unit_note("reader: %s", cryo_img_reader_error(r));
	cryo_img_reader_free(r);
	if (ro.fd >= 0)
		close(ro.fd);
}

/* (b), (c) */
static void test_direct(void)
{
	static const size_t leads[] = {0, 4096, 100};
	struct img_buf b = {0};

	for (size_t i = 0; i < sizeof(leads) / sizeof(leads[0]); i++) {
		build(&b, leads[i]);
		unit_context("whole payload, one piece");
		take_direct(&b, leads[i], 0, sizeof(pages), -1);
		unit_context("pieces of 3 pages");
		take_direct(&b, leads[i], 0, 3 * PAGE, -1);
		unit_context("odd pieces after 1000 bytes read");
		take_direct(&b, leads[i], 1000, 7777, -1);
		unit_context("after 25 pages read (past the read-ahead)");
		take_direct(&b, leads[i], 25 * PAGE, PAGE, -1);
		unit_context("a flipped byte, one piece");
		take_direct(&b, leads[i], 0, sizeof(pages), 5 * PAGE + 17);
		unit_context("a flipped byte, pieces");
		take_direct(&b, leads[i], 0, 4 * PAGE, NR_PAGES * PAGE - 1);
		unit_context("a flipped byte past what was read");
		take_direct(&b, leads[i], 1000, 3 * PAGE, 2 * PAGE);
		unit_context(NULL);
		img_buf_free(&b);
	}
}

/* (d) */
static void test_misuse(void)
{
	struct cryo_img_ropts ro = {.sz = sizeof(ro)};
	struct cryo_img_reader *r = NULL;
	struct cryo_img_rec rec;
	struct img_buf b = {0};
	struct cryo_img_deferred d;
	pid_t child;
	int ret;

	build(&b, 0);
	ro.fd = img_pipe_from(b.p, b.len, &child);
	if (CHECK(ro.fd >= 0) && CHECK_EQ(cryo_img_reader_new(&ro, &r), 0)) {
		do
			ret = cryo_img_next(r, &rec);
		while (ret == 1 && rec.type != CRYO_REC_PAGES);
		CHECK_EQ(cryo_img_defer(r, &d), -ESPIPE);
		CHECK_EQ(cryo_img_pending(r), 0);
	}
	cryo_img_reader_free(r);
	r = NULL;
	if (ro.fd >= 0)
		close(ro.fd);
	CHECK_EQ(img_pipe_reap(child), 0);

	img_buf_free(&b);
}

int main(void)
{
	unit_rng_seed(0xd12ec7);
	unit_rand_fill(pages, sizeof(pages));
	test_combine();
	test_direct();
	test_misuse();
	return unit_done();
}
