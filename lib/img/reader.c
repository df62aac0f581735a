// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Image reader: checks everything it reads before handing it out. Each
 * record header carries its own checksum (so a flipped length is caught
 * before it is used), a sequence number (so a lost record is caught), and
 * a payload checksum; sections must come in order; the trailer's count and
 * chain checksum prove that the stream is complete. Every failure leaves a
 * one-line message naming the record type and its stream offset.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cryo/img.h"
#include "img-internal.h"

#define RBUF_SIZE	    (256u << 10)
#define DEFAULT_MAX_PAYLOAD (64ull << 20)

struct cryo_img_reader {
	int fd;
	uint64_t max_payload;
	uint64_t file_size; /* 0 when not a regular file */
	uint64_t base;	    /* file offset of stream offset 0 */
	uint64_t pending;   /* deferred payloads not checked yet */
	uint64_t off;	    /* stream offset of the next unread byte */
	uint32_t seq;	    /* expected sequence number of the next record */
	uint32_t chain_crc;
	uint32_t chain_before; /* chain_crc before the current record */
	int section;
	bool done;
	int error; /* sticky */

	/* the current record */
	struct cryo_img_rec cur;
	uint64_t left; /* payload bytes not yet consumed */
	uint32_t want_crc, crc;
	unsigned char *pbuf;
	uint64_t pcap;
	uint64_t ppos; /* cryo_img_read() position in a loaded payload */
	bool loaded;
	uint64_t pages_due; /* PAGES bytes announced by the last PAGEMAP */
	bool pagemap_open;  /* a PAGEMAP waits for its PAGES */
	uint64_t pagemap_off;

	struct cryo_img_header hdr;
	struct cryo_img_rec hdr_rec; /* the HEADER record as read */
	struct cryo_img_trailer trl;
	char errbuf[256];

	size_t rpos, rfill;
	unsigned char rbuf[RBUF_SIZE];
};

__attribute__((format(printf, 4, 5))) static int
fail(struct cryo_img_reader *r, int err, const struct cryo_img_rec *rec,
     const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (rec && rec->desc)
		n = snprintf(r->errbuf, sizeof(r->errbuf),
			     "record %s at offset %llu: ", rec->desc->name,
			     (unsigned long long)rec->offset);
	else if (rec)
		n = snprintf(r->errbuf, sizeof(r->errbuf),
			     "record type 0x%x at offset %llu: ", rec->type,
			     (unsigned long long)rec->offset);
	va_start(ap, fmt);
	vsnprintf(r->errbuf + n, sizeof(r->errbuf) - (size_t)n, fmt, ap);
	va_end(ap);
	r->error = err;
	return err;
}

/* Reads up to len bytes; returns the count (short only at end of stream). */
static ssize_t rget(struct cryo_img_reader *r, void *p, size_t len)
{
	unsigned char *c = p;
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (r->rpos < r->rfill) {
			size_t k = r->rfill - r->rpos;

			if (k > len - got)
				k = len - got;
			memcpy(c + got, r->rbuf + r->rpos, k);
			r->rpos += k;
			got += k;
			continue;
		}
		if (len - got >= RBUF_SIZE)
			n = read(r->fd, c + got, len - got);
		else
			n = read(r->fd, r->rbuf, RBUF_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		if (len - got >= RBUF_SIZE) {
			got += (size_t)n;
		} else {
			r->rpos = 0;
			r->rfill = (size_t)n;
		}
	}
	r->off += got;
	return (ssize_t)got;
}

/* Consumes payload bytes of the current record, checking the checksum. */
static ssize_t payload_get(struct cryo_img_reader *r, void *buf, size_t n)
{
	ssize_t got;

	if (n > r->left)
		n = r->left;
	if (!n)
		return 0;
	got = rget(r, buf, n);
	if (got < 0)
		return fail(r, (int)got, &r->cur, "read error: %s",
			    strerror((int)-got));
	if ((size_t)got < n)
		return fail(
			r, -EBADMSG, &r->cur,
			"truncated: payload of %llu bytes ends at offset %llu",
			(unsigned long long)r->cur.len,
			(unsigned long long)r->off);
	r->crc = cryo_crc32c(r->crc, buf, n);
	r->left -= n;
	if (!r->left && r->crc != r->want_crc)
		return fail(
			r, -EBADMSG, &r->cur,
			"payload checksum mismatch (0x%08x, expected 0x%08x)",
			r->crc, r->want_crc);
	return got;
}

static int drain(struct cryo_img_reader *r)
{
	unsigned char tmp[4096];

	while (r->left) {
		ssize_t n = payload_get(r, tmp, sizeof(tmp));

		if (n < 0)
			return (int)n;
	}
	return 0;
}

int cryo_img_payload(struct cryo_img_reader *r, const void **p)
{
	ssize_t n;

	if (r->error)
		return r->error;
	if (r->loaded) {
		*p = r->pbuf;
		return 0;
	}
	if (r->left != r->cur.len)
		return fail(r, -EINVAL, &r->cur, "payload already partly read");
	if (r->cur.len > r->max_payload || r->cur.len >= SIZE_MAX)
		return fail(r, -EFBIG, &r->cur,
			    "payload of %llu bytes exceeds the %llu-byte limit",
			    (unsigned long long)r->cur.len,
			    (unsigned long long)r->max_payload);
	if (r->cur.len + 1 > r->pcap) {
		unsigned char *nb = realloc(r->pbuf, r->cur.len + 1);

		if (!nb)
			return fail(r, -ENOMEM, &r->cur, "out of memory");
		r->pbuf = nb;
		r->pcap = r->cur.len + 1;
	}
	n = payload_get(r, r->pbuf, r->cur.len);
	if (n < 0)
		return (int)n;
	r->pbuf[r->cur.len] = 0; /* tails may be read as strings */
	r->loaded = true;
	r->ppos = 0;
	*p = r->pbuf;
	return 0;
}

ssize_t cryo_img_read(struct cryo_img_reader *r, void *buf, size_t n)
{
	if (r->error)
		return r->error;
	if (r->loaded) {
		uint64_t rest = r->cur.len - r->ppos;
		size_t k = n < rest ? n : (size_t)rest;

		memcpy(buf, r->pbuf + r->ppos, k);
		r->ppos += k;
		return (ssize_t)k;
	}
	return payload_get(r, buf, n);
}

int cryo_img_defer(struct cryo_img_reader *r, struct cryo_img_deferred *d)
{
	size_t buffered = r->rfill - r->rpos;
	uint64_t n = r->left;

	if (r->error)
		return r->error;
	if (!r->file_size)
		return -ESPIPE;
	if (r->loaded)
		return fail(r, -EINVAL, &r->cur, "payload already loaded");
	*d = (struct cryo_img_deferred){.file_off = r->base + r->off,
					.len = n,
					.rec_offset = r->cur.offset,
					.crc_before = r->crc,
					.want_crc = r->want_crc,
					.type = r->cur.type};
	/* Bytes the reader had read ahead are dropped, the rest skipped. */
	if (n <= buffered) {
		r->rpos += n;
	} else {
		off_t to = (off_t)(r->base + r->off + n);

		if (lseek(r->fd, to, SEEK_SET) != to)
			return fail(r, errno ? -errno : -EIO, &r->cur,
				    "seek to offset %llu: %s",
				    (unsigned long long)(r->off + n),
				    strerror(errno));
		r->rpos = r->rfill = 0;
	}
	r->off += n;
	r->left = 0;
	r->pending++;
	return 0;
}

int cryo_img_check_deferred(struct cryo_img_reader *r,
			    const struct cryo_img_deferred *d, uint32_t crc)
{
	struct cryo_img_rec rec = {.type = d->type,
				   .offset = d->rec_offset,
				   .desc = cryo_img_desc_get(d->type)};
	uint32_t got = cryo_crc32c_combine(d->crc_before, crc, d->len);

	if (r->pending)
		r->pending--;
	if (got != d->want_crc)
		return fail(
			r, -EBADMSG, &rec,
			"payload checksum mismatch (0x%08x, expected 0x%08x)",
			got, d->want_crc);
	return 0;
}

uint64_t cryo_img_pending(const struct cryo_img_reader *r)
{
	return r->pending;
}

int cryo_img_fixed(const struct cryo_img_desc *d, const void *p, uint64_t len,
		   void *out, size_t out_len, const void **tail,
		   uint64_t *tail_len)
{
	uint32_t size;

	if (len < sizeof(size))
		return -EBADMSG;
	memcpy(&size, p, sizeof(size));
	if (size < d->min_size || size > len)
		return -EBADMSG;
	memset(out, 0, out_len);
	memcpy(out, p, size < out_len ? size : out_len);
	if (tail)
		*tail = (const unsigned char *)p + size;
	if (tail_len)
		*tail_len = len - size;
	return 0;
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

/* Structural checks of a struct record: sizes, tails, PAGEMAP sums. */
static int check_struct(struct cryo_img_reader *r)
{
	const struct cryo_img_desc *d = r->cur.desc;
	const void *p, *tail;
	uint64_t tail_len, size;
	union {
		unsigned char bytes[512];
		uint64_t align;
	} fixed;
	int ret;

	ret = cryo_img_payload(r, &p);
	if (ret)
		return ret;
	if (cryo_img_fixed(d, p, r->cur.len, fixed.bytes, sizeof(fixed), &tail,
			   &tail_len))
		return fail(
			r, -EBADMSG, &r->cur,
			"fixed part size out of range (min %u, payload %llu)",
			d->min_size, (unsigned long long)r->cur.len);
	size = r->cur.len - tail_len;
	if (d->tail == CRYO_TAIL_NONE && tail_len)
		return fail(r, -EBADMSG, &r->cur,
			    "%llu bytes past a %llu-byte fixed part",
			    (unsigned long long)tail_len,
			    (unsigned long long)size);
	if (tail_len % tail_unit(d))
		return fail(
			r, -EBADMSG, &r->cur,
			"%s tail of %llu bytes is not a whole number of entries",
			d->tail_name, (unsigned long long)tail_len);
	if (d->type == CRYO_REC_PAGEMAP) {
		const struct cryo_img_pagemap *pm = (const void *)fixed.bytes;
		const struct cryo_img_page_run *run = tail;
		uint64_t sum = 0;

		if ((uint64_t)pm->nr_runs * sizeof(*run) != tail_len)
			return fail(
				r, -EBADMSG, &r->cur,
				"nr_runs %u does not match a %llu-byte tail",
				pm->nr_runs, (unsigned long long)tail_len);
		for (uint32_t i = 0; i < pm->nr_runs; i++) {
			struct cryo_img_page_run ru;

			memcpy(&ru, &run[i], sizeof(ru));
			if (ru.nr_pages > (1ull << 40) ||
			    sum + ru.nr_pages < sum)
				return fail(r, -EBADMSG, &r->cur,
					    "run %u has %llu pages", i,
					    (unsigned long long)ru.nr_pages);
			sum += ru.nr_pages;
		}
		if (sum != pm->nr_pages || sum > (1ull << 40))
			return fail(
				r, -EBADMSG, &r->cur,
				"runs add up to %llu pages, nr_pages says %llu",
				(unsigned long long)sum,
				(unsigned long long)pm->nr_pages);
		r->pages_due = pm->nr_pages * CRYO_IMG_ALIGN;
		r->pagemap_open = true;
		r->pagemap_off = r->cur.offset;
	}
	return 0;
}

static int check_trailer(struct cryo_img_reader *r)
{
	const void *p;
	unsigned char extra;
	ssize_t n;
	int ret;

	ret = check_struct(r);
	if (!ret)
		ret = cryo_img_payload(r, &p);
	if (ret)
		return ret;
	if (cryo_img_fixed(r->cur.desc, p, r->cur.len, &r->trl, sizeof(r->trl),
			   NULL, NULL))
		return fail(r, -EBADMSG, &r->cur, "bad size");
	if (r->trl.nr_records != r->cur.seq ||
	    r->trl.stream_len != r->cur.offset)
		return fail(
			r, -EBADMSG, &r->cur,
			"says %llu records and %llu bytes, stream has %u and %llu",
			(unsigned long long)r->trl.nr_records,
			(unsigned long long)r->trl.stream_len, r->cur.seq,
			(unsigned long long)r->cur.offset);
	/* The chain covers the records before the trailer. */
	if (r->trl.chain_crc != r->chain_before)
		return fail(r, -EBADMSG, &r->cur,
			    "chain checksum mismatch (0x%08x, expected 0x%08x)",
			    r->chain_before, r->trl.chain_crc);
	n = rget(r, &extra, 1);
	if (n != 0)
		return fail(r, -EBADMSG, &r->cur,
			    "data after the trailer at offset %llu",
			    (unsigned long long)(r->off - 1));
	return 0;
}

/* Reads and checks one record header; the payload is left unread. */
static int read_rec_hdr(struct cryo_img_reader *r)
{
	struct cryo_img_rec_hdr h;
	struct cryo_img_rec *c = &r->cur;
	uint64_t at = r->off;
	ssize_t n;

	memset(c, 0, sizeof(*c));
	c->offset = at;
	n = rget(r, &h, sizeof(h));
	if (n < 0)
		return fail(r, (int)n, NULL, "read error at offset %llu: %s",
			    (unsigned long long)at, strerror((int)-n));
	if (n == 0)
		return fail(
			r, -EBADMSG, NULL,
			"truncated image: stream ends at offset %llu before the trailer",
			(unsigned long long)at);
	if ((size_t)n < sizeof(h))
		return fail(
			r, -EBADMSG, NULL,
			"truncated image: record header at offset %llu has %zd of 24 bytes",
			(unsigned long long)at, n);
	c->type = h.type;
	c->desc = cryo_img_desc_get(h.type);
	if (h.hdr_crc != cryo_img_hdr_crc(&h)) {
		c->desc = NULL; /* the type itself may be the flipped bit */
		return fail(r, -EBADMSG, c, "record header checksum mismatch");
	}
	c->flags = h.flags;
	c->seq = h.seq;
	c->len = h.len;
	if (h.seq != r->seq)
		return fail(
			r, -EBADMSG, c,
			"sequence number %u, expected %u (record lost or reordered)",
			h.seq, r->seq);
	if (r->file_size &&
	    (h.len > r->file_size || at + sizeof(h) + h.len > r->file_size))
		return fail(
			r, -EBADMSG, c,
			"length %llu points past the end of the image (%llu bytes)",
			(unsigned long long)h.len,
			(unsigned long long)r->file_size);
	if (!h.len && h.payload_crc)
		return fail(r, -EBADMSG, c,
			    "empty payload with checksum 0x%08x",
			    h.payload_crc);
	r->left = h.len;
	r->want_crc = h.payload_crc;
	r->crc = 0;
	r->loaded = false;
	r->chain_before = r->chain_crc;
	r->chain_crc = cryo_crc32c(r->chain_crc, &h,
				   offsetof(struct cryo_img_rec_hdr, hdr_crc));
	r->seq++;
	return 0;
}

static const char *section_name(int s)
{
	static const char *const names[] = {"any",    "header", "container",
					    "tree",   "state",	"pages",
					    "trailer"};

	return s >= 0 && s <= CRYO_SEC_TRAILER ? names[s] : "?";
}

int cryo_img_next(struct cryo_img_reader *r, struct cryo_img_rec *rec)
{
	const struct cryo_img_desc *d;
	int ret;

	for (;;) {
		if (r->error)
			return r->error;
		if (r->done)
			return 0;
		ret = drain(r);
		if (ret)
			return ret;
		ret = read_rec_hdr(r);
		if (ret)
			return ret;
		d = r->cur.desc;
		if (!d) {
			if (r->cur.flags & CRYO_REC_F_REQUIRED)
				return fail(
					r, -EOPNOTSUPP, &r->cur,
					"unknown required record (written by a newer cryo?)");
			continue; /* optional: skipped by the drain above */
		}
		if (d->section != CRYO_SEC_ANY) {
			if (d->section < r->section ||
			    d->type == CRYO_REC_HEADER)
				return fail(r, -EBADMSG, &r->cur,
					    "out of order: %s section after %s",
					    section_name(d->section),
					    section_name(r->section));
			r->section = d->section;
		}
		if (r->pagemap_open && d->type != CRYO_REC_PAD &&
		    d->type != CRYO_REC_PAGES)
			return fail(
				r, -EBADMSG, &r->cur,
				"PAGEMAP at offset %llu is not followed by its PAGES",
				(unsigned long long)r->pagemap_off);
		if (d->type == CRYO_REC_PAGES) {
			if (!r->pagemap_open)
				return fail(
					r, -EBADMSG, &r->cur,
					"page data without a PAGEMAP before it");
			if ((r->cur.offset + sizeof(struct cryo_img_rec_hdr)) %
			    CRYO_IMG_ALIGN)
				return fail(r, -EBADMSG, &r->cur,
					    "page data not aligned to %u bytes",
					    CRYO_IMG_ALIGN);
			if (r->cur.len != r->pages_due)
				return fail(
					r, -EBADMSG, &r->cur,
					"%llu bytes, the PAGEMAP before announced %llu",
					(unsigned long long)r->cur.len,
					(unsigned long long)r->pages_due);
			r->pages_due = 0;
			r->pagemap_open = false;
		}
		if (d->type == CRYO_REC_TRAILER) {
			ret = check_trailer(r);
			if (ret)
				return ret;
			r->done = true;
			return 0;
		}
		if (!d->bulk) {
			ret = check_struct(r);
			if (ret)
				return ret;
		}
		*rec = r->cur;
		return 1;
	}
}

int cryo_img_reader_new(const struct cryo_img_ropts *opts,
			struct cryo_img_reader **out)
{
	struct cryo_img_reader *r;
	char magic[CRYO_IMG_MAGIC_LEN];
	struct stat st;
	const void *p;
	ssize_t n;
	int ret;

	if (!opts ||
	    opts->sz < offsetof(struct cryo_img_ropts, fd) + sizeof(int))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*out = r;
	r->fd = opts->fd;
	r->max_payload = DEFAULT_MAX_PAYLOAD;
	if (opts->sz >= offsetof(struct cryo_img_ropts, max_payload) +
				sizeof(opts->max_payload) &&
	    opts->max_payload)
		r->max_payload = opts->max_payload;
	if (!fstat(r->fd, &st) && S_ISREG(st.st_mode)) {
		off_t pos = lseek(r->fd, 0, SEEK_CUR);

		r->file_size = (uint64_t)(st.st_size - (pos > 0 ? pos : 0));
		r->base = pos > 0 ? (uint64_t)pos : 0;
	}
	n = rget(r, magic, sizeof(magic));
	if (n < 0)
		return fail(r, (int)n, NULL, "read error: %s",
			    strerror((int)-n));
	if (n < (ssize_t)sizeof(magic) &&
	    memcmp(magic, CRYO_IMG_MAGIC, (size_t)n))
		return fail(r, -EBADMSG, NULL,
			    "not a cryo image: wrong magic at offset 0");
	if (n < (ssize_t)sizeof(magic))
		return fail(r, -EBADMSG, NULL, "truncated image: %zd bytes", n);
	if (memcmp(magic, CRYO_IMG_MAGIC, sizeof(magic)))
		return fail(r, -EBADMSG, NULL,
			    "not a cryo image: wrong magic at offset 0");
	r->chain_crc = cryo_crc32c(0, magic, sizeof(magic));
	ret = read_rec_hdr(r);
	if (ret)
		return ret;
	if (r->cur.type != CRYO_REC_HEADER)
		return fail(r, -EBADMSG, &r->cur,
			    "the image must begin with a HEADER record");
	r->section = CRYO_SEC_HEADER;
	r->cur.desc = cryo_img_desc_get(CRYO_REC_HEADER);
	r->hdr_rec = r->cur;
	ret = check_struct(r);
	if (!ret)
		ret = cryo_img_payload(r, &p);
	if (ret)
		return ret;
	if (cryo_img_fixed(r->cur.desc, p, r->cur.len, &r->hdr, sizeof(r->hdr),
			   NULL, NULL))
		return fail(r, -EBADMSG, &r->cur, "bad size");
	if (r->hdr.format_version > CRYO_IMG_VERSION || !r->hdr.format_version)
		return fail(
			r, -EPROTONOSUPPORT, &r->cur,
			"format version %u is not one this cryo reads (1 to %u)",
			r->hdr.format_version, CRYO_IMG_VERSION);
	r->hdr.kernel_release[sizeof(r->hdr.kernel_release) - 1] = 0;
	r->hdr.cryo_version[sizeof(r->hdr.cryo_version) - 1] = 0;
	return 0;
}

const struct cryo_img_header *
cryo_img_reader_header(const struct cryo_img_reader *r)
{
	return &r->hdr;
}

const struct cryo_img_rec *
cryo_img_reader_header_rec(const struct cryo_img_reader *r)
{
	return &r->hdr_rec;
}

const struct cryo_img_trailer *
cryo_img_reader_trailer(const struct cryo_img_reader *r)
{
	return r->done ? &r->trl : NULL;
}

const char *cryo_img_reader_error(const struct cryo_img_reader *r)
{
	return r->errbuf[0] ? r->errbuf : "no error";
}

void cryo_img_reader_free(struct cryo_img_reader *r)
{
	if (!r)
		return;
	free(r->pbuf);
	free(r);
}
