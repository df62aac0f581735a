// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CRC32C: the checksum that guards every record of an image.
 *
 * Proves that cryo_crc32c() computes CRC-32C (Castagnoli) exactly: known
 * vectors (RFC 3720 B.4 and the usual "123456789" check value), that a
 * checksum fed in pieces equals the one-shot checksum, and that the SSE4.2
 * path and the portable slicing-by-8 path agree for every length, buffer
 * alignment and starting value, so an image written on one CPU verifies on
 * any other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cryo/img.h"
#include "unit.h"

/* The portable path, exported by lib/img/crc32c.c for this test only. */
extern uint32_t cryo_crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* Bit-at-a-time reference, straight from the definition. */
static uint32_t crc32c_ref(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t c = ~crc;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

struct vector {
	const char *name;
	unsigned char data[64];
	size_t len;
	uint32_t crc;
};

/* Known answers, both implementations and the reference must give them. */
static void test_vectors(void)
{
	static struct vector v[] = {
		{"empty", {0}, 0, 0x00000000},
		{"\"a\"", {'a'}, 1, 0xc1d04330},
		{"\"123456789\"", "123456789", 9, 0xe3069283},
		{"32 x 0x00", {0}, 32, 0x8a9136aa},
		{"32 x 0xff", {0}, 32, 0x62a8ab43},
		{"0..31", {0}, 32, 0x46dd794e},
		{"31..0", {0}, 32, 0x113fdb5c},
		{"quick brown fox",
		 "The quick brown fox jumps over the lazy dog", 43, 0x22620404},
	};

	memset(v[4].data, 0xff, 32);
	for (int i = 0; i < 32; i++) {
		v[5].data[i] = (unsigned char)i;
		v[6].data[i] = (unsigned char)(31 - i);
	}
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unit_context(v[i].name);
		CHECK_EQ(cryo_crc32c(0, v[i].data, v[i].len), v[i].crc);
		CHECK_EQ(cryo_crc32c_sw(0, v[i].data, v[i].len), v[i].crc);
		CHECK_EQ(crc32c_ref(0, v[i].data, v[i].len), v[i].crc);
	}
	unit_context(NULL);
}

/* crc(a ++ b) == crc(crc(a), b) for every split point, in any step size. */
static void test_incremental(void)
{
	static unsigned char buf[1000];
	uint32_t whole, c;

	unit_rand_fill(buf, sizeof(buf));
	whole = cryo_crc32c(0, buf, sizeof(buf));
	CHECK_EQ(whole, crc32c_ref(0, buf, sizeof(buf)));

	for (size_t cut = 0; cut <= sizeof(buf); cut++) {
		c = cryo_crc32c(0, buf, cut);
		c = cryo_crc32c(c, buf + cut, sizeof(buf) - cut);
		if (!CHECK_EQ(c, whole))
			break;
	}
	for (size_t step = 1; step <= 67; step++) {
		c = 0;
		for (size_t at = 0; at < sizeof(buf); at += step) {
			size_t k = sizeof(buf) - at < step ? sizeof(buf) - at
							   : step;

			c = cryo_crc32c(c, buf + at, k);
		}
		CHECK_EQ(c, whole);
	}
	/* The portable path composes the same way. */
	c = cryo_crc32c_sw(0, buf, 333);
	CHECK_EQ(cryo_crc32c_sw(c, buf + 333, sizeof(buf) - 333), whole);
	/* "123456789" in two pieces. */
	c = cryo_crc32c(0, "1234", 4);
	CHECK_EQ(cryo_crc32c(c, "56789", 5), 0xe3069283);
	/* A zero-length update changes nothing. */
	CHECK_EQ(cryo_crc32c(whole, buf, 0), whole);
	CHECK_EQ(cryo_crc32c_sw(whole, buf, 0), whole);
}

/*
 * The hardware path (when the CPU has SSE4.2; otherwise both calls take
 * the portable path and this still checks it against the reference) and
 * the portable path over random data: every length 0..600, every start
 * alignment 0..15, random start values, and some large buffers.
 */
static void test_hw_vs_sw(void)
{
	static unsigned char buf[(1 << 17) + 64];
	unsigned long mismatches = 0, cases = 0;

	unit_rand_fill(buf, sizeof(buf));
	for (size_t len = 0; len <= 600; len++) {
		for (size_t align = 0; align < 16; align++) {
			uint32_t seed = (uint32_t)unit_rand();
			uint32_t hw = cryo_crc32c(seed, buf + align, len);
			uint32_t sw = cryo_crc32c_sw(seed, buf + align, len);

			cases++;
			if (hw != sw && mismatches++ < 5)
				unit_note(
					"hw 0x%08x != sw 0x%08x, len %zu align %zu",
					hw, sw, len, align);
			/* the slow reference on a subset */
			if (align == len % 16 &&
			    !CHECK_EQ(sw, crc32c_ref(seed, buf + align, len)))
				break;
		}
	}
	for (int i = 0; i < 200; i++) {
		size_t align = (size_t)unit_rand_below(64);
		size_t len = (size_t)unit_rand_below(sizeof(buf) - align);
		uint32_t seed = (uint32_t)unit_rand();

		cases++;
		if (cryo_crc32c(seed, buf + align, len) !=
			    cryo_crc32c_sw(seed, buf + align, len) &&
		    mismatches++ < 5)
			unit_note("hw != sw for len %zu align %zu", len, align);
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(cryo_crc32c(0, buf, sizeof(buf)),
		 crc32c_ref(0, buf, sizeof(buf)));
	unit_note("hardware vs portable CRC32C: %lu cases compared", cases);
}

/*
 * Large buffers take three interleaved streams whose CRCs are combined
 * (lib/img/crc32c.c, from 12 KiB on): every length around that threshold
 * and around the stream boundaries, and a whole 4 MiB batch of page data,
 * against the portable path.
 */
static void test_three_streams(void)
{
	const size_t big = (4u << 20) + 13;
	unsigned char *buf = malloc(big + 8);
	unsigned long mismatches = 0;

	if (!buf) {
		CHECK(buf != NULL);
		return;
	}
	unit_rand_fill(buf, big + 8);
	for (size_t len = 3 * 4096 - 40; len <= 3 * 4096 + 100; len++) {
		uint32_t seed = (uint32_t)unit_rand();
		size_t align = len % 8;

		if (cryo_crc32c(seed, buf + align, len) !=
			    cryo_crc32c_sw(seed, buf + align, len) &&
		    mismatches++ < 5)
			unit_note("three streams: wrong for len %zu", len);
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(cryo_crc32c(0, buf, big), cryo_crc32c_sw(0, buf, big));
	CHECK_EQ(cryo_crc32c(7, buf + 3, big), cryo_crc32c_sw(7, buf + 3, big));
	memset(buf, 0, big);
	CHECK_EQ(cryo_crc32c(0, buf, 4u << 20),
		 cryo_crc32c_sw(0, buf, 4u << 20));
	free(buf);
}

int main(void)
{
	unit_rng_seed(0xc4c32c);
	test_vectors();
	test_incremental();
	test_hw_vs_sw();
	test_three_streams();
	return unit_done();
}
