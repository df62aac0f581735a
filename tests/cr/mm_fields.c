// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mm_fields: what the kernel keeps about an address space besides its
 * areas survives C/R: the exe link, the command line and environment as
 * /proc shows them, the auxiliary vector, the layout fields of
 * /proc/self/stat (code, data, brk, stack, args, env) and the brk itself.
 *
 * State: an extra environment variable and arguments are given at start
 * (the launcher's), the brk is moved up by 3 pages. Everything is read
 * from /proc before the check signal and compared byte for byte after.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crtest.h"

#define MAXF (64 << 10)

struct snap {
	char exe[PATH_MAX];
	char cmdline[MAXF], environ[MAXF], auxv[MAXF];
	size_t cmdline_len, environ_len, auxv_len;
	unsigned long long stat_fields[12];
	void *brk;
};

static struct snap before, after;

static size_t slurp(const char *path, char *buf, size_t max)
{
	size_t n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		cr_fail("open %s: %m", path);
		return 0;
	}
	while (n < max && (r = read(fd, buf + n, max - n)) > 0)
		n += (size_t)r;
	close(fd);
	return n;
}

/* stat fields 26-28 (start_code, end_code, start_stack) and 45-51. */
static void read_stat(unsigned long long *out)
{
	static const int want[10] = {26, 27, 28, 45, 46, 47, 48, 49, 50, 51};
	char buf[4096], *p, *tok, *save = NULL;
	size_t n = slurp("/proc/self/stat", buf, sizeof(buf) - 1);
	int field = 3, k = 0;

	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p) {
		cr_fail("bad /proc/self/stat");
		return;
	}
	for (tok = strtok_r(p + 2, " \n", &save); tok && k < 10;
	     tok = strtok_r(NULL, " \n", &save), field++)
		if (field == want[k])
			out[k++] = strtoull(tok, NULL, 10);
}

static void take(struct snap *s)
{
	ssize_t n = readlink("/proc/self/exe", s->exe, sizeof(s->exe) - 1);

	s->exe[n < 0 ? 0 : n] = 0;
	s->cmdline_len = slurp("/proc/self/cmdline", s->cmdline, MAXF);
	s->environ_len = slurp("/proc/self/environ", s->environ, MAXF);
	s->auxv_len = slurp("/proc/self/auxv", s->auxv, MAXF);
	read_stat(s->stat_fields);
	s->brk = sbrk(0);
}

static void compare_bytes(const char *what, const char *a, size_t alen,
			  const char *b, size_t blen)
{
	if (alen != blen || memcmp(a, b, alen))
		cr_fail("%s differs (%zu bytes, was %zu)", what, blen, alen);
}

int main(int argc, char **argv)
{
	static const char *const names[10] = {
		"start_code", "end_code",  "start_stack", "start_data",
		"end_data",   "start_brk", "arg_start",	  "arg_end",
		"env_start",  "env_end"};

	cr_init(argc, argv);
	if (sbrk(3 * 4096) == (void *)-1)
		cr_fatal("sbrk: %m");
	memset((char *)sbrk(0) - 3 * 4096, 0x5a, 3 * 4096);
	take(&before);
	if (!before.stat_fields[0] || !before.stat_fields[6] ||
	    before.stat_fields[7] <= before.stat_fields[6])
		cr_fatal(
			"cannot parse /proc/self/stat (start_code %#llx, args %#llx-%#llx)",
			before.stat_fields[0], before.stat_fields[6],
			before.stat_fields[7]);
	if (!before.exe[0] || !before.cmdline_len || !before.auxv_len)
		cr_fatal("cannot read /proc/self (exe '%s', %zu, %zu)",
			 before.exe, before.cmdline_len, before.auxv_len);
	cr_daemon();
	cr_wait_check();
	take(&after);
	if (strcmp(before.exe, after.exe))
		cr_fail("exe is '%s', was '%s'", after.exe, before.exe);
	compare_bytes("cmdline", before.cmdline, before.cmdline_len,
		      after.cmdline, after.cmdline_len);
	compare_bytes("environ", before.environ, before.environ_len,
		      after.environ, after.environ_len);
	compare_bytes("auxv", before.auxv, before.auxv_len, after.auxv,
		      after.auxv_len);
	for (int i = 0; i < 10; i++)
		if (before.stat_fields[i] != after.stat_fields[i])
			cr_fail("stat %s is %#llx, was %#llx", names[i],
				after.stat_fields[i], before.stat_fields[i]);
	if (before.brk != after.brk)
		cr_fail("brk is %p, was %p", after.brk, before.brk);
	/* The brk still moves, and the data under it is there. */
	for (int i = 0; i < 3 * 4096; i++)
		if (((unsigned char *)after.brk - 3 * 4096)[i] != 0x5a) {
			cr_fail("heap byte %d changed", i);
			break;
		}
	if (sbrk(4096) == (void *)-1 || sbrk(0) != (char *)after.brk + 4096)
		cr_fail("brk does not grow after restore: %m");
	cr_pass();
}
