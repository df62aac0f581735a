// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CRC32C (Castagnoli, reflected polynomial 0x82f63b78), as used for every
 * record of an image. The SSE4.2 crc32 instruction does 8 bytes a step
 * (three streams at once for long buffers); a table-driven fallback serves
 * CPUs without it. Both give the same result.
 */
#include <cpuid.h>
#include <stdbool.h>
#include <string.h>

#include "cryo/img.h"

#define CRC32C_POLY 0x82f63b78u

static uint32_t crc_table[8][256];

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
}

/* Slicing-by-8 over the raw (non-inverted) register. */
static uint32_t crc32c_sw(uint32_t c, const unsigned char *p, size_t len)
{
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

/*
 * Arithmetic modulo the polynomial, in the reflected bit order of the CRC
 * register (bit 31 is the coefficient of x^0): what it takes to join the
 * checksums of pieces computed separately (three streams in crc32c_hw(),
 * several threads in a caller, cryo_crc32c_combine()).
 */
static uint32_t gf2_mul(uint32_t a, uint32_t b)
{
	uint32_t prod = 0;

	/* For each coefficient of a from x^0 up, add b * x^i. */
	for (uint32_t bit = 1u << 31; bit && a; bit >>= 1) {
		if (a & bit) {
			prod ^= b;
			a ^= bit;
		}
		b = (b & 1) ? (b >> 1) ^ CRC32C_POLY : b >> 1;
	}
	return prod;
}

/* x^(8 * len) modulo the polynomial: appending len zero bytes. */
static uint32_t x8n(uint64_t len)
{
	uint32_t r = 1u << 31, sq = 1u << 23; /* 1 and x^8 */

	for (; len; len >>= 1) {
		if (len & 1)
			r = gf2_mul(r, sq);
		sq = gf2_mul(sq, sq);
	}
	return r;
}

uint32_t cryo_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	/*
	 * The register is linear in its input: the checksum of A then B is
	 * that of A moved past |B| zero bytes plus that of B (the pre- and
	 * post-inversions cancel out in this form).
	 */
	return gf2_mul(crc1, x8n(len2)) ^ crc2;
}

/*
 * The crc32 instruction takes 3 cycles but can start one every cycle: one
 * dependency chain uses a third of it. Blocks of 3 * STRIDE bytes are done
 * as three independent streams, joined with precomputed shifts.
 */
#define STRIDE 4096u

/*
 * Multiplying by a constant is linear: by byte-wise tables, 4 lookups.
 * shift_tab[0] multiplies by x^(8 * STRIDE), shift_tab[1] by twice that.
 */
static uint32_t shift_tab[2][4][256];

static void shift_tab_init(uint32_t (*tab)[256], uint32_t k)
{
	for (unsigned int j = 0; j < 4; j++)
		for (uint32_t v = 0; v < 256; v++)
			tab[j][v] = gf2_mul(v << (8 * j), k);
}

static inline uint32_t shift_by(uint32_t (*tab)[256], uint32_t c)
{
	return tab[0][c & 0xff] ^ tab[1][(c >> 8) & 0xff] ^
	       tab[2][(c >> 16) & 0xff] ^ tab[3][c >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t c, const unsigned char *p, size_t len)
{
	uint64_t c64 = c;

	while (len >= 3 * STRIDE) {
		uint64_t a = c64, b = 0, d = 0;

		for (size_t i = 0; i < STRIDE; i += 8) {
			uint64_t va, vb, vd;

			memcpy(&va, p + i, 8);
			memcpy(&vb, p + STRIDE + i, 8);
			memcpy(&vd, p + 2 * STRIDE + i, 8);
			a = __builtin_ia32_crc32di(a, va);
			b = __builtin_ia32_crc32di(b, vb);
			d = __builtin_ia32_crc32di(d, vd);
		}
		c64 = shift_by(shift_tab[1], (uint32_t)a) ^
		      shift_by(shift_tab[0], (uint32_t)b) ^ (uint32_t)d;
		p += 3 * STRIDE;
		len -= 3 * STRIDE;
	}
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

static bool have_sse42;

/*
 * Tables, shifts and the CPU check are set up before main(), so that
 * threads may checksum concurrently from the start.
 */
__attribute__((constructor)) static void crc32c_init(void)
{
	unsigned int a, b, cx, d;

	crc_table_init();
	shift_tab_init(shift_tab[0], x8n(STRIDE));
	shift_tab_init(shift_tab[1], x8n(2 * STRIDE));
	have_sse42 = __get_cpuid(1, &a, &b, &cx, &d) && (cx & bit_SSE4_2);
}

uint32_t cryo_crc32c(uint32_t crc, const void *buf, size_t len)
{
	uint32_t c = ~crc;

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
