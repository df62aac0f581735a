// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Image writer: records go out strictly in order through a bounded buffer,
 * so the same code writes to a file, a pipe or a socket. Large payloads
 * (page data) bypass the buffer. The writer keeps the record count and the
 * chain checksum over all record headers for the trailer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cryo/img.h"
#include "img-internal.h"

#define WBUF_SIZE (256u << 10)

struct cryo_img_writer {
	int fd;
	int error; /* sticky: once a write failed, nothing more goes out */
	bool finished;
	uint64_t off; /* stream offset of the next byte */
	uint32_t seq;
	uint32_t chain_crc;
	size_t fill;
	unsigned char buf[WBUF_SIZE];
};

static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = write(fd, c, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int wflush(struct cryo_img_writer *w)
{
	int ret;

	if (!w->fill)
		return 0;
	ret = write_all(w->fd, w->buf, w->fill);
	w->fill = 0;
	return ret;
}

/* Appends bytes to the stream; big chunks go straight to the fd. */
static int wput(struct cryo_img_writer *w, const void *p, size_t len)
{
	int ret;

	if (w->error)
		return w->error;
	if (len > WBUF_SIZE - w->fill) {
		ret = wflush(w);
		if (!ret && len >= WBUF_SIZE / 2)
			ret = write_all(w->fd, p, len);
		else if (!ret) {
			memcpy(w->buf, p, len);
			w->fill = len;
		}
	} else {
		memcpy(w->buf + w->fill, p, len);
		w->fill += len;
		ret = 0;
	}
	if (ret)
		w->error = ret;
	else
		w->off += len;
	return ret;
}

int cryo_img_writer_new(const struct cryo_img_wopts *opts,
			struct cryo_img_writer **out)
{
	struct cryo_img_writer *w;
	int ret;

	if (!opts ||
	    opts->sz < offsetof(struct cryo_img_wopts, fd) + sizeof(int))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = opts->fd;
	ret = wput(w, CRYO_IMG_MAGIC, CRYO_IMG_MAGIC_LEN);
	if (ret) {
		free(w);
		return ret;
	}
	w->chain_crc = cryo_crc32c(0, CRYO_IMG_MAGIC, CRYO_IMG_MAGIC_LEN);
	*out = w;
	return 0;
}

/* One record whose payload CRC32C is crc, computed by the caller. */
static int writev_crc(struct cryo_img_writer *w, uint16_t type, uint16_t flags,
		      const struct iovec *iov, int iovcnt, uint32_t crc)
{
	struct cryo_img_rec_hdr h = {
		.type = type, .flags = flags, .payload_crc = crc};
	int ret;

	if (w->finished)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++)
		h.len += iov[i].iov_len;
	h.seq = w->seq;
	h.hdr_crc = cryo_img_hdr_crc(&h);
	ret = wput(w, &h, sizeof(h));
	for (int i = 0; !ret && i < iovcnt; i++)
		ret = wput(w, iov[i].iov_base, iov[i].iov_len);
	if (ret)
		return ret;
	w->chain_crc = cryo_crc32c(w->chain_crc, &h,
				   offsetof(struct cryo_img_rec_hdr, hdr_crc));
	w->seq++;
	return 0;
}

int cryo_img_writev(struct cryo_img_writer *w, uint16_t type, uint16_t flags,
		    const struct iovec *iov, int iovcnt)
{
	uint32_t crc = 0;

	for (int i = 0; i < iovcnt; i++)
		crc = cryo_crc32c(crc, iov[i].iov_base, iov[i].iov_len);
	return writev_crc(w, type, flags, iov, iovcnt, crc);
}

int cryo_img_write(struct cryo_img_writer *w, uint16_t type, uint16_t flags,
		   const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return cryo_img_writev(w, type, flags, &iov, len ? 1 : 0);
}

int cryo_img_write_rec(struct cryo_img_writer *w, uint16_t type,
		       const void *fixed, size_t fixed_len, const void *tail,
		       size_t tail_len)
{
	const struct cryo_img_desc *d = cryo_img_desc_get(type);
	struct iovec iov[2] = {
		{.iov_base = (void *)fixed, .iov_len = fixed_len},
		{.iov_base = (void *)tail, .iov_len = tail_len},
	};

	if (!d)
		return -EINVAL;
	return cryo_img_writev(w, type, d->default_flags, iov,
			       tail_len ? 2 : 1);
}

int cryo_img_write_pages_crc(struct cryo_img_writer *w, const struct iovec *iov,
			     int iovcnt, uint32_t crc)
{
	static const unsigned char zero[CRYO_IMG_ALIGN];
	const uint64_t hsz = sizeof(struct cryo_img_rec_hdr);
	uint64_t mis = (w->off + hsz) % CRYO_IMG_ALIGN;

	if (mis) {
		/* A PAD record moves the PAGES payload to the boundary. */
		uint64_t pad =
			(2 * CRYO_IMG_ALIGN - mis - hsz) % CRYO_IMG_ALIGN;
		int ret = cryo_img_write(w, CRYO_REC_PAD, 0, zero, pad);

		if (ret)
			return ret;
	}
	return writev_crc(w, CRYO_REC_PAGES, CRYO_REC_F_REQUIRED, iov, iovcnt,
			  crc);
}

int cryo_img_write_pages(struct cryo_img_writer *w, const struct iovec *iov,
			 int iovcnt)
{
	uint32_t crc = 0;

	for (int i = 0; i < iovcnt; i++)
		crc = cryo_crc32c(crc, iov[i].iov_base, iov[i].iov_len);
	return cryo_img_write_pages_crc(w, iov, iovcnt, crc);
}

int cryo_img_writer_finish(struct cryo_img_writer *w)
{
	struct cryo_img_trailer t = {
		.size = sizeof(t),
		.nr_records = w->seq,
		.stream_len = w->off,
		.chain_crc = w->chain_crc,
	};
	int ret;

	ret = cryo_img_write(w, CRYO_REC_TRAILER, CRYO_REC_F_REQUIRED, &t,
			     sizeof(t));
	if (!ret)
		ret = wflush(w);
	if (ret)
		w->error = ret;
	w->finished = true;
	return ret;
}

uint64_t cryo_img_writer_offset(const struct cryo_img_writer *w)
{
	return w->off;
}

int cryo_img_writer_error(const struct cryo_img_writer *w)
{
	return w->error;
}

void cryo_img_writer_free(struct cryo_img_writer *w)
{
	free(w);
}
