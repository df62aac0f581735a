// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the image reader (make fuzz).
 *
 * Whatever the bytes, reading them must end in a clean error or a verified
 * image: no crash, no undefined behaviour, no leak, no unbounded
 * allocation. Each input is read three ways:
 *
 *  1. as it is, from a memfd (a regular file: the reader knows its size);
 *  2. as it is, from a pipe (no size: lengths are only bounded by EOF);
 *  3. re-sealed (record checksums recomputed, see tests/unit/img-test.h)
 *     from a memfd, so that mutations get past the CRCs to the structural
 *     checks behind them. The input's last byte chooses what else the
 *     re-seal repairs: bit 0 renumbers the records, bit 1 rewrites the
 *     trailer's count and length, bit 2 leaves its chain CRC as it is (so
 *     those checks are fuzzed too). For a valid image, whose last byte is
 *     0, the re-seal changes nothing.
 *
 * Payloads are consumed alternately whole (cryo_img_payload, then split
 * with cryo_img_fixed and the tail read) and in small chunks
 * (cryo_img_read), sometimes partly (the reader drains the rest).
 * max_payload is 1 MiB so that huge lengths cannot exhaust memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cryo/img.h"
#include "../unit/img-test.h"

#define MAX_PAYLOAD (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned long sink; /* keeps reads from being optimised out */

/* Touches every byte of a buffer, so ASan checks its bounds. */
static void touch(const void *p, uint64_t len)
{
	const unsigned char *c = p;
	unsigned long s = 0;

	for (uint64_t i = 0; i < len; i++)
		s += c[i];
	sink += s;
}

/* One record's payload, consumed according to the record's index. */
static int consume(struct cryo_img_reader *r, const struct cryo_img_rec *rec,
		   unsigned int i)
{
	unsigned char chunk[61];
	const void *p, *tail;
	uint64_t tail_len;
	unsigned char fixed[512];
	ssize_t n;
	int ret;

	if (i % 2 == 0) {
		ret = cryo_img_payload(r, &p);
		if (ret)
			return ret;
		touch(p, rec->len + 1); /* the library adds a NUL */
		if (rec->desc && !rec->desc->bulk &&
		    !cryo_img_fixed(rec->desc, p, rec->len, fixed,
				    sizeof(fixed), &tail, &tail_len)) {
			touch(fixed, sizeof(fixed));
			touch(tail, tail_len);
		}
		return 0;
	}
	for (unsigned int k = 0;; k++) {
		size_t want = 1 + (i * 7 + k) % sizeof(chunk);

		if (i % 3 == 0 && k == 1)
			return 0; /* partly read: next drains the rest */
		n = cryo_img_read(r, chunk, want);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		if ((size_t)n > want)
			abort();
		touch(chunk, (uint64_t)n);
	}
}

/* Reads a whole stream from fd; always frees the reader. */
static void read_stream(int fd)
{
	struct cryo_img_ropts o = {
		.sz = sizeof(o), .fd = fd, .max_payload = MAX_PAYLOAD};
	struct cryo_img_reader *r = NULL;
	const struct cryo_img_trailer *t;
	struct cryo_img_rec rec;
	unsigned int i = 0;
	int ret;

	ret = cryo_img_reader_new(&o, &r);
	if (!ret) {
		const struct cryo_img_header *h = cryo_img_reader_header(r);

		touch(h, sizeof(*h));
		sink += strlen(h->kernel_release) + strlen(h->cryo_version);
	}
	while (!ret) {
		ret = cryo_img_next(r, &rec);
		if (ret <= 0)
			break;
		sink += strlen(cryo_img_type_name(rec.type));
		ret = consume(r, &rec, i++);
	}
	if (r) {
		/* a complete stream has a trailer, a failed one a message */
		t = cryo_img_reader_trailer(r);
		if (ret == 0 && !t)
			abort();
		if (ret < 0 && t)
			abort();
		if (ret < 0 && !strcmp(cryo_img_reader_error(r), "no error"))
			abort();
		if (t)
			touch(t, sizeof(*t));
		sink += strlen(cryo_img_reader_error(r));
		cryo_img_reader_free(r);
	}
}

static int memfd = -1;

static void read_memfd(const uint8_t *data, size_t size)
{
	if (memfd < 0)
		memfd = memfd_create("cryo-fuzz", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 0) ||
	    (size && pwrite(memfd, data, size, 0) != (ssize_t)size) ||
	    lseek(memfd, 0, SEEK_SET))
		return;
	read_stream(memfd);
}

/* Only when the whole input fits in the pipe buffer (no writer process). */
static void read_pipe(const uint8_t *data, size_t size)
{
	int pfd[2], cap;

	if (pipe2(pfd, O_CLOEXEC))
		return;
	cap = fcntl(pfd[1], F_GETPIPE_SZ);
	if (cap >= 0 && (size_t)cap < size && size <= (1u << 20))
		cap = fcntl(pfd[1], F_SETPIPE_SZ, (int)size);
	if (cap >= 0 && (size_t)cap >= size &&
	    !img_write_all(pfd[1], data, size)) {
		close(pfd[1]);
		pfd[1] = -1;
		read_stream(pfd[0]);
	}
	if (pfd[1] >= 0)
		close(pfd[1]);
	close(pfd[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;

	read_memfd(data, size);
	read_pipe(data, size);
	if (size < CRYO_IMG_MAGIC_LEN + IMG_HSZ)
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	img_reseal(copy, size,
		   (data[size - 1] & 1 ? IMG_RESEAL_SEQ : 0) |
			   (data[size - 1] & 2 ? IMG_RESEAL_TRAILER : 0) |
			   (data[size - 1] & 4 ? IMG_RESEAL_KEEP_CHAIN : 0));
	read_memfd(copy, size);
	free(copy);
	return 0;
}
