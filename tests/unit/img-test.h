/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the image-library tests, header-only: images in memory
 * (memfd), streams through pipes, a record walker over raw image bytes and
 * a re-sealer that recomputes every checksum after a deliberate edit.
 * Also used by tests/fuzz/img_reader.c.
 */
#ifndef CRYO_TESTS_IMG_TEST_H
#define CRYO_TESTS_IMG_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cryo/img.h"
#include "img-internal.h"

#define IMG_HSZ ((size_t)sizeof(struct cryo_img_rec_hdr))

/* A growable byte buffer. */
struct img_buf {
	unsigned char *p;
	size_t len;
	size_t cap;
};

static inline void img_buf_free(struct img_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static inline int img_buf_put(struct img_buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *np;

		while (cap < b->len + len)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

static inline int img_write_all(int fd, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A fresh, empty in-memory file (a regular file to the reader). */
static inline int img_memfd(void)
{
	return memfd_create("cryo-test-img", MFD_CLOEXEC);
}

/* A memfd holding len bytes of p, positioned at offset 0; -errno on error. */
static inline int img_memfd_from(const void *p, size_t len)
{
	int fd = img_memfd();
	int ret;

	if (fd < 0)
		return -errno;
	ret = img_write_all(fd, p, len);
	if (!ret && lseek(fd, 0, SEEK_SET) < 0)
		ret = -errno;
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Reads the whole content of fd (from offset 0) into b. */
static inline int img_fd_slurp(int fd, struct img_buf *b)
{
	unsigned char tmp[65536];

	b->len = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		ret = img_buf_put(b, tmp, (size_t)n);
		if (ret)
			return ret;
	}
}

/*
 * A pipe whose read end delivers len bytes of p and then end-of-file.
 * Small streams are written into the pipe buffer up front; bigger ones by
 * a forked child. Returns the read end (or -errno); *child is the writer's
 * pid or 0, to be reaped with img_pipe_reap() after the read end is closed.
 */
static inline int img_pipe_from(const void *p, size_t len, pid_t *child)
{
	int pfd[2];
	int cap;

	*child = 0;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	cap = fcntl(pfd[1], F_GETPIPE_SZ);
	if (cap >= 0 && (size_t)cap < len && len <= (1u << 20))
		cap = fcntl(pfd[1], F_SETPIPE_SZ, (int)len);
	if (cap >= 0 && (size_t)cap >= len) {
		int ret = img_write_all(pfd[1], p, len);

		close(pfd[1]);
		if (ret) {
			close(pfd[0]);
			return ret;
		}
		return pfd[0];
	}
	fflush(NULL);
	*child = fork();
	if (*child < 0) {
		int err = -errno;

		close(pfd[0]);
		close(pfd[1]);
		*child = 0;
		return err;
	}
	if (*child == 0) {
		close(pfd[0]);
		signal(SIGPIPE, SIG_DFL);
		/* The reader may stop early on a corrupt stream: EPIPE is ok. */
		_exit(img_write_all(pfd[1], p, len) && errno != EPIPE ? 1 : 0);
	}
	close(pfd[1]);
	return pfd[0];
}

/* Waits for the writer child of img_pipe_from(); its exit status or -1. */
static inline int img_pipe_reap(pid_t child)
{
	int st;

	if (!child)
		return 0;
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE)
		return 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- raw records ---- */

/* One record of a raw image: header (host copy) and where it sits. */
struct img_raw_rec {
	size_t off; /* offset of the record header */
	struct cryo_img_rec_hdr h;
	size_t size; /* header + payload bytes */
};

static inline void img_hdr_get(const unsigned char *img, size_t off,
			       struct cryo_img_rec_hdr *h)
{
	memcpy(h, img + off, sizeof(*h));
}

static inline void img_hdr_put(unsigned char *img, size_t off,
			       const struct cryo_img_rec_hdr *h)
{
	memcpy(img + off, h, sizeof(*h));
}

/*
 * Walks the records of an image without checking checksums: fills up to max
 * entries of recs and returns the number of complete records found (one
 * whose header or payload runs past len ends the walk).
 */
static inline int img_walk(const unsigned char *img, size_t len,
			   struct img_raw_rec *recs, int max)
{
	size_t off = CRYO_IMG_MAGIC_LEN;
	int n = 0;

	while (n < max && len >= IMG_HSZ && off <= len - IMG_HSZ) {
		struct cryo_img_rec_hdr h;

		img_hdr_get(img, off, &h);
		if (h.len > len - off - IMG_HSZ)
			break;
		recs[n].off = off;
		recs[n].h = h;
		recs[n].size = IMG_HSZ + (size_t)h.len;
		off += recs[n].size;
		n++;
	}
	return n;
}

/* Index of the first record of a type, or -1. */
static inline int img_find(const struct img_raw_rec *recs, int n, uint16_t type,
			   int nth)
{
	for (int i = 0; i < n; i++)
		if (recs[i].h.type == type && nth-- == 0)
			return i;
	return -1;
}

/*
 * How many bytes of each record header the trailer's chain CRC covers: the
 * first 20, up to hdr_crc (docs/image-format.md). Not all 24: a CRC over
 * data followed by its own CRC is a constant, so a chain over whole
 * headers would only count records.
 */
static inline size_t img_chain_hdr_len(void)
{
	return offsetof(struct cryo_img_rec_hdr, hdr_crc);
}

#define IMG_RESEAL_SEQ	      0x1 /* renumber the records 0, 1, 2, ... */
#define IMG_RESEAL_TRAILER    0x2 /* rewrite the trailer's count and length */
#define IMG_RESEAL_KEEP_CHAIN 0x4 /* leave the trailer's chain CRC alone */

/*
 * Makes an edited image self-consistent again: for every record that fits
 * in len, recomputes the payload checksum and the header checksum (and the
 * sequence number with IMG_RESEAL_SEQ); in a TRAILER payload, rewrites the
 * chain checksum (unless IMG_RESEAL_KEEP_CHAIN; and nr_records, stream_len
 * with IMG_RESEAL_TRAILER).
 * Whatever the edit broke beyond that is what the reader must catch.
 * Returns the number of records walked.
 */
static inline int img_reseal(unsigned char *img, size_t len, unsigned int flags)
{
	size_t off = CRYO_IMG_MAGIC_LEN;
	uint32_t chain;
	uint32_t seq = 0;
	int n = 0;

	if (len < CRYO_IMG_MAGIC_LEN)
		return 0;
	chain = cryo_crc32c(0, img, CRYO_IMG_MAGIC_LEN);
	while (len >= IMG_HSZ && off <= len - IMG_HSZ) {
		struct cryo_img_rec_hdr h;
		unsigned char *pl = img + off + IMG_HSZ;

		img_hdr_get(img, off, &h);
		if (h.len > len - off - IMG_HSZ)
			break;
		if (flags & IMG_RESEAL_SEQ)
			h.seq = seq;
		if (h.type == CRYO_REC_TRAILER &&
		    h.len >= sizeof(struct cryo_img_trailer)) {
			struct cryo_img_trailer t;

			memcpy(&t, pl, sizeof(t));
			if (!(flags & IMG_RESEAL_KEEP_CHAIN))
				t.chain_crc = chain;
			if (flags & IMG_RESEAL_TRAILER) {
				t.nr_records = h.seq;
				t.stream_len = off;
			}
			memcpy(pl, &t, sizeof(t));
		}
		h.payload_crc = cryo_crc32c(0, pl, (size_t)h.len);
		h.hdr_crc = cryo_img_hdr_crc(&h);
		img_hdr_put(img, off, &h);
		chain = cryo_crc32c(chain, &h, img_chain_hdr_len());
		off += IMG_HSZ + (size_t)h.len;
		seq++;
		n++;
	}
	return n;
}

/* ---- reading a whole image ---- */

/* How img_read_all() consumes payloads. */
enum img_read_mode {
	IMG_READ_NEXT,	  /* only cryo_img_next: the reader drains payloads */
	IMG_READ_PAYLOAD, /* cryo_img_payload on every record */
	IMG_READ_CHUNKS,  /* cryo_img_read in small chunks on every record */
	IMG_READ_MIXED,	  /* alternate the above, partial reads included */
};

struct img_read_result {
	int ret;	/* 0: complete and verified; else the -errno */
	int records;	/* records returned by cryo_img_next */
	uint64_t bytes; /* payload bytes the caller received */
	char msg[256];	/* cryo_img_reader_error() at the end */
	struct cryo_img_trailer trailer; /* when complete */
};

/*
 * Reads a whole stream from fd the way a restore would, never stopping
 * early on success: the result is the first error or 0 once the trailer
 * verified. max_payload 0 means the library's default.
 */
static inline void img_read_all(int fd, uint64_t max_payload,
				enum img_read_mode mode,
				struct img_read_result *res)
{
	struct cryo_img_ropts o = {
		.sz = sizeof(o), .fd = fd, .max_payload = max_payload};
	struct cryo_img_reader *r = NULL;
	struct cryo_img_rec rec;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = cryo_img_reader_new(&o, &r);
	while (!ret) {
		unsigned char chunk[61];
		const void *p;
		ssize_t got;
		int m = mode;

		ret = cryo_img_next(r, &rec);
		if (ret <= 0)
			break;
		res->records++;
		if (mode == IMG_READ_MIXED)
			m = res->records % 4;
		ret = 0;
		switch (m) {
		case IMG_READ_PAYLOAD:
			ret = cryo_img_payload(r, &p);
			if (!ret)
				res->bytes += rec.len;
			break;
		case IMG_READ_CHUNKS:
			while ((got = cryo_img_read(r, chunk, sizeof(chunk))) >
			       0)
				res->bytes += (uint64_t)got;
			ret = got < 0 ? (int)got : 0;
			break;
		case IMG_READ_MIXED:
			/* a partial read: the rest is drained by next */
			got = cryo_img_read(r, chunk, 7);
			ret = got < 0 ? (int)got : 0;
			break;
		default:
			break;
		}
	}
	res->ret = ret;
	if (r) {
		const struct cryo_img_trailer *t = cryo_img_reader_trailer(r);

		snprintf(res->msg, sizeof(res->msg), "%s",
			 cryo_img_reader_error(r));
		if (t)
			res->trailer = *t;
		cryo_img_reader_free(r);
	} else {
		snprintf(res->msg, sizeof(res->msg), "(no reader)");
	}
}

#endif /* CRYO_TESTS_IMG_TEST_H */
