/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Minimal unit-test helpers, header-only. Every tests/unit/NAME.c is one
 * test executable: exit 0 = pass, 77 = skip, anything else = fail. Detail
 * lines start with "# "; the last line summarises ("ok: 57 checks").
 *
 *	CHECK(cond)		counts a check, reports file:line if false
 *	CHECK_EQ(a, b)		integers, both values shown on failure
 *	CHECK_MEM(a, b, n)	byte-wise equality, first difference shown
 *	CHECK_STR(a, b)		C strings
 *	CHECK_CONTAINS(s, sub)	substring
 *	CHECK_KNOWN_BUG(cond, id)
 *				a check that fails because of a known bug
 *				(reported, fix pending): reported once per id
 *				and counted, but not a failure; once it passes
 *				a note asks to turn it into a CHECK
 *
 * Each returns true when the check passed, so a test can bail out early:
 *	if (!CHECK(r != NULL)) return;
 */
#ifndef CRYO_TESTS_UNIT_H
#define CRYO_TESTS_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Failures beyond this many are counted but not printed one by one. */
#define UNIT_MAX_REPORTS 40

struct unit_state {
	unsigned long checks;
	unsigned long fails;
	unsigned long known_bugs; /* CHECK_KNOWN_BUG checks that failed */
	const char *ctx; /* what the current loop iteration is testing */
	const char *bug_seen[8];  /* known-bug ids already reported */
	const char *bug_fixed[8]; /* known-bug ids seen passing */
};

static struct unit_state unit;

static inline void unit_note(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void unit_note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* Sets a label printed with every failure until cleared with NULL. */
static inline void unit_context(const char *ctx)
{
	unit.ctx = ctx;
}

static inline bool unit_fail_report(void)
{
	unit.fails++;
	return unit.fails <= UNIT_MAX_REPORTS;
}

static inline void unit_where(const char *file, int line)
{
	printf("# FAIL %s:%d: ", file, line);
	if (unit.ctx)
		printf("[%s] ", unit.ctx);
}

static inline bool unit_check(bool ok, const char *file, int line,
			      const char *expr)
{
	unit.checks++;
	if (ok)
		return true;
	if (unit_fail_report()) {
		unit_where(file, line);
		printf("%s\n", expr);
	}
	return false;
}

static inline bool unit_check_eq(unsigned long long a, unsigned long long b,
				 const char *file, int line, const char *ea,
				 const char *eb)
{
	unit.checks++;
	if (a == b)
		return true;
	if (unit_fail_report()) {
		unit_where(file, line);
		printf("%s == %s: %lld (0x%llx) != %lld (0x%llx)\n", ea, eb,
		       (long long)a, a, (long long)b, b);
	}
	return false;
}

static inline bool unit_check_mem(const void *a, const void *b, size_t n,
				  const char *file, int line, const char *ea,
				  const char *eb)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	unit.checks++;
	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			break;
	if (i == n)
		return true;
	if (unit_fail_report()) {
		unit_where(file, line);
		printf("%s and %s differ at byte %zu of %zu: 0x%02x != 0x%02x\n",
		       ea, eb, i, n, x[i], y[i]);
	}
	return false;
}

static inline bool unit_check_str(const char *a, const char *b,
				  const char *file, int line, const char *ea,
				  const char *eb)
{
	unit.checks++;
	if (a && b && !strcmp(a, b))
		return true;
	if (unit_fail_report()) {
		unit_where(file, line);
		printf("%s == %s: \"%s\" != \"%s\"\n", ea, eb, a ? a : "(null)",
		       b ? b : "(null)");
	}
	return false;
}

static inline bool unit_check_contains(const char *s, const char *sub,
				       const char *file, int line,
				       const char *es)
{
	unit.checks++;
	if (s && sub && strstr(s, sub))
		return true;
	if (unit_fail_report()) {
		unit_where(file, line);
		printf("%s does not contain \"%s\": \"%s\"\n", es, sub,
		       s ? s : "(null)");
	}
	return false;
}

/* Has id been noted in list already? Notes it if not. */
static inline bool unit_seen(const char **list, const char *id)
{
	for (int i = 0; i < 8; i++) {
		if (list[i] && !strcmp(list[i], id))
			return true;
		if (!list[i]) {
			list[i] = id;
			return false;
		}
	}
	return true;
}

static inline bool unit_check_known_bug(bool ok, const char *file, int line,
					const char *expr, const char *id)
{
	unit.checks++;
	if (ok) {
		if (!unit_seen(unit.bug_fixed, id))
			printf("# known bug \"%s\" did not occur at %s:%d: "
			       "if it is fixed, make this a CHECK\n",
			       id, file, line);
		return true;
	}
	unit.known_bugs++;
	if (!unit_seen(unit.bug_seen, id))
		printf("# KNOWN BUG %s:%d: %s: %s (not counted as a failure "
		       "until the library fix lands)\n",
		       file, line, id, expr);
	return false;
}

#define CHECK(cond) unit_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ(a, b)                                                         \
	unit_check_eq((unsigned long long)(a), (unsigned long long)(b),        \
		      __FILE__, __LINE__, #a, #b)
#define CHECK_MEM(a, b, n)                                                     \
	unit_check_mem((a), (b), (n), __FILE__, __LINE__, #a, #b)
#define CHECK_STR(a, b) unit_check_str((a), (b), __FILE__, __LINE__, #a, #b)
#define CHECK_CONTAINS(s, sub)                                                 \
	unit_check_contains((s), (sub), __FILE__, __LINE__, #s)
#define CHECK_KNOWN_BUG(cond, id)                                              \
	unit_check_known_bug(!!(cond), __FILE__, __LINE__, #cond, (id))

/* Ends the test: prints the summary line, returns the exit status. */
static inline int unit_done(void)
{
	if (unit.fails > UNIT_MAX_REPORTS)
		printf("# ... %lu more failures not shown\n",
		       unit.fails - UNIT_MAX_REPORTS);
	if (unit.fails) {
		printf("FAIL: %lu of %lu checks failed\n", unit.fails,
		       unit.checks);
		return 1;
	}
	if (unit.known_bugs)
		printf("ok: %lu checks (%lu hit a known bug, see above)\n",
		       unit.checks, unit.known_bugs);
	else
		printf("ok: %lu checks\n", unit.checks);
	return 0;
}

/* Skips the whole test (exit 77) with a reason. */
static inline void unit_skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(77);
}

/* Deterministic PRNG (xorshift64*): the seed is printed, so runs repeat. */
static uint64_t unit_rng_state = 0x9e3779b97f4a7c15ull;

static inline void unit_rng_seed(uint64_t seed)
{
	const char *env = getenv("CRYO_TEST_SEED");

	if (env && *env)
		seed = strtoull(env, NULL, 0);
	unit_rng_state = seed ? seed : 1;
	unit_note("random seed 0x%llx (set CRYO_TEST_SEED to repeat)",
		  (unsigned long long)unit_rng_state);
}

static inline uint64_t unit_rand(void)
{
	uint64_t x = unit_rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	unit_rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Uniform-ish value in [0, n). */
static inline uint64_t unit_rand_below(uint64_t n)
{
	return n ? unit_rand() % n : 0;
}

static inline void unit_rand_fill(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		uint64_t v = unit_rand();
		size_t k = len < 8 ? len : 8;

		memcpy(p, &v, k);
		p += k;
		len -= k;
	}
}

#endif /* CRYO_TESTS_UNIT_H */
