// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CRC32C (Castagnoli, reflected polynomial 0x82f63b78), as used for every
 * record of an image. The SSE4.2 crc32 instruction does 8 bytes a step; a
 * table-driven fallback serves CPUs without it. Both give the same result.
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

static int have_sse42 = -1;

uint32_t cryo_crc32c(uint32_t crc, const void *buf, size_t len)
{
	uint32_t c = ~crc;

	if (have_sse42 < 0) {
		unsigned int a, b, cx, d;

		have_sse42 =
			__get_cpuid(1, &a, &b, &cx, &d) && (cx & bit_SSE4_2);
	}
	if (have_sse42)
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
