// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CRC32C (Castagnoli, reflected polynomial 0x82f63b78), as used for every
 * record of an image. The SSE4.2 crc32 instruction does 8 bytes a step; a
 * table-driven fallback serves CPUs without it. Both give the same result.
 *
 * One crc32 instruction waits for the one before (3 cycles of latency, one
 * issued per cycle), so a large buffer is checksummed as three interleaved
 * streams whose CRCs are then combined: about 3x faster on page data.
 */
#include <cpuid.h>
#include <stdbool.h>
#include <string.h>

#include "cryo/img.h"

#define CRC32C_POLY 0x82f63b78u

static uint32_t crc_table[8][256];
static bool crc_table_ready;

static void crc_table_init(void)
{
	for (unsigned int i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_table[0][i] = c;
	}
	for (unsigned int i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] =
				(crc_table[t - 1][i] >> 8) ^
				crc_table[0][crc_table[t - 1][i] & 0xff];
	crc_table_ready = true;
}

/* Slicing-by-8 over the raw (non-inverted) register. */
static uint32_t crc32c_sw(uint32_t c, const unsigned char *p, size_t len)
{
	if (!crc_table_ready)
		crc_table_init();
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		v ^= c;
		c = crc_table[7][v & 0xff] ^ crc_table[6][(v >> 8) & 0xff] ^
		    crc_table[5][(v >> 16) & 0xff] ^
		    crc_table[4][(v >> 24) & 0xff] ^
		    crc_table[3][(v >> 32) & 0xff] ^
		    crc_table[2][(v >> 40) & 0xff] ^
		    crc_table[1][(v >> 48) & 0xff] ^ crc_table[0][v >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
	return c;
}

__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t c, const unsigned char *p, size_t len)
{
	uint64_t c64 = c;

	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c64 = __builtin_ia32_crc32di(c64, v);
		p += 8;
		len -= 8;
	}
	c = (uint32_t)c64;
	while (len--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}

/*
 * a * b modulo the polynomial, in the reflected bit order of the CRC
 * register (bit 31 is x^0, bit 0 is x^31).
 */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b)
{
	uint32_t p = 0;

	for (uint32_t bit = 0x80000000u; bit; bit >>= 1) {
		if (a & bit)
			p ^= b;
		b = (b & 1) ? (b >> 1) ^ CRC32C_POLY : b >> 1; /* b *= x */
	}
	return p;
}

/* x^(8 n) modulo the polynomial: what feeding n zero bytes multiplies by. */
static uint32_t x8n_mod(uint64_t n)
{
	uint32_t r = 0x80000000u;    /* 1 */
	uint32_t base = 0x00800000u; /* x^8 */

	for (; n; n >>= 1) {
		if (n & 1)
			r = gf2_mulmod(r, base);
		base = gf2_mulmod(base, base);
	}
	return r;
}

#define CRC3_MIN (3u * 4096u) /* below this, one stream is as fast */

/*
 * Three streams over the thirds a, b, c of the buffer (8-byte multiples,
 * the rest after c), combined as crc(a b) = crc(a) x^(8|b|) + crc(0, b).
 */
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw3(uint32_t c, const unsigned char *p, size_t len)
{
	size_t n = len / 24 * 8;
	const unsigned char *q = p + n, *r = p + 2 * n;
	uint64_t c0 = c, c1 = 0, c2 = 0;
	uint32_t shift;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v0, v1, v2;

		memcpy(&v0, p + i, 8);
		memcpy(&v1, q + i, 8);
		memcpy(&v2, r + i, 8);
		c0 = __builtin_ia32_crc32di(c0, v0);
		c1 = __builtin_ia32_crc32di(c1, v1);
		c2 = __builtin_ia32_crc32di(c2, v2);
	}
	shift = x8n_mod(n);
	c = gf2_mulmod((uint32_t)c0, shift) ^ (uint32_t)c1;
	c = gf2_mulmod(c, shift) ^ (uint32_t)c2;
	return crc32c_hw(c, p + 3 * n, len - 3 * n);
}

static int have_sse42 = -1;

uint32_t cryo_crc32c(uint32_t crc, const void *buf, size_t len)
{
	uint32_t c = ~crc;

	if (have_sse42 < 0) {
		unsigned int a, b, cx, d;

		have_sse42 =
			__get_cpuid(1, &a, &b, &cx, &d) && (cx & bit_SSE4_2);
	}
	if (have_sse42 && len >= CRC3_MIN)
		c = crc32c_hw3(c, buf, len);
	else if (have_sse42)
		c = crc32c_hw(c, buf, len);
	else
		c = crc32c_sw(c, buf, len);
	return ~c;
}

/* For tests: the portable path, so both can be compared. */
uint32_t cryo_crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t cryo_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	return ~crc32c_sw(~crc, buf, len);
}
