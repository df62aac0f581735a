// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vdso: the vDSO and its data pages come back where they were and work.
 *
 * State: nothing is set up; the process just has its [vvar], [vvar_vclock]
 * and [vdso] areas (and maybe [vsyscall]). At setup the test records their
 * maps lines and the vDSO's bytes, and finds __vdso_clock_gettime,
 * __vdso_gettimeofday and __vdso_time in the vDSO's own symbol table.
 * Verified: the special areas' maps lines are identical (address, size,
 * permissions); AT_SYSINFO_EHDR still points at [vdso]; the vDSO's bytes
 * are the same (same kernel); the vDSO functions, called directly, return
 * times between two clock_gettime system calls made around them (so the
 * data pages they read are the live ones), for CLOCK_MONOTONIC, REALTIME,
 * BOOTTIME and MONOTONIC_RAW; time went forward since the setup and keeps
 * going forward.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "crtest.h"

#define NR_SPECIAL 4

static const char *const special[NR_SPECIAL] = {"[vvar]", "[vvar_vclock]",
						"[vdso]", "[vsyscall]"};
static char lines[NR_SPECIAL][256];
static uintptr_t vdso_start, vdso_end;
static uint64_t vdso_hash;

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
static clock_gettime_fn vdso_clock_gettime;
static gettimeofday_fn vdso_gettimeofday;
static time_fn vdso_time;

static void read_special(char out[NR_SPECIAL][256])
{
	static char maps[256 << 10];
	ssize_t n = cr_read_file("/proc/self/maps", maps, sizeof(maps));
	char *save, *l;

	for (int i = 0; i < NR_SPECIAL; i++)
		out[i][0] = '\0';
	if (n < 0)
		cr_fatal("read /proc/self/maps: %s", strerror((int)-n));
	for (l = strtok_r(maps, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(l);

		for (int i = 0; i < NR_SPECIAL; i++) {
			size_t sl = strlen(special[i]);

			if (len >= sl && !strcmp(l + len - sl, special[i]))
				snprintf(out[i], 256, "%s", l);
		}
	}
}

/* A symbol of the vDSO (an ELF image mapped at base), or NULL. */
static void *vdso_sym(uintptr_t base, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	uintptr_t load = base;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			load = base + ph[i].p_offset - ph[i].p_vaddr;
			break;
		}
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *str;
		size_t nr;

		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		sym = (const Elf64_Sym *)(base + sh[i].sh_offset);
		str = (const char *)(base + sh[sh[i].sh_link].sh_offset);
		nr = sh[i].sh_size / sizeof(*sym);
		for (size_t k = 0; k < nr; k++)
			if (sym[k].st_shndx != SHN_UNDEF &&
			    !strcmp(str + sym[k].st_name, name))
				return (void *)(load + sym[k].st_value);
	}
	return NULL;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int64_t sys_clock(clockid_t clk)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, clk, &ts);
	return ts_ns(&ts);
}

/* The vDSO's clock lies between two system calls around it. */
static void check_clock(clockid_t clk, const char *name)
{
	struct timespec ts;
	int64_t a, v, b;

	a = sys_clock(clk);
	if (vdso_clock_gettime(clk, &ts)) {
		cr_fail("vdso clock_gettime(%s) failed", name);
		return;
	}
	b = sys_clock(clk);
	v = ts_ns(&ts);
	if (v < a || v > b)
		cr_fail("vdso clock_gettime(%s) = %lld, not between the system calls' %lld and %lld",
			name, (long long)v, (long long)a, (long long)b);
}

static void check_clocks(void)
{
	struct timeval tv;
	int64_t a, b, v;
	time_t t;

	check_clock(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
	check_clock(CLOCK_REALTIME, "CLOCK_REALTIME");
	check_clock(CLOCK_BOOTTIME, "CLOCK_BOOTTIME");
	check_clock(CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW");

	a = sys_clock(CLOCK_REALTIME) / 1000;
	if (vdso_gettimeofday(&tv, NULL))
		cr_fail("vdso gettimeofday failed");
	b = sys_clock(CLOCK_REALTIME) / 1000;
	v = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	if (v < a || v > b)
		cr_fail("vdso gettimeofday = %lld us, not between %lld and %lld",
			(long long)v, (long long)a, (long long)b);
	/* time() follows the tick-updated clock, which may lag CLOCK_REALTIME
	 * by up to a tick across a second boundary: compare with its own. */
	a = sys_clock(CLOCK_REALTIME_COARSE) / 1000000000;
	t = vdso_time(NULL);
	b = sys_clock(CLOCK_REALTIME_COARSE) / 1000000000;
	if (t < a || t > b)
		cr_fail("vdso time = %lld, not between %lld and %lld",
			(long long)t, (long long)a, (long long)b);
}

int main(int argc, char **argv)
{
	char now[NR_SPECIAL][256];
	struct timespec ts0, ts;
	int64_t t0, t1, end;

	cr_init(argc, argv);
	read_special(lines);
	if (!lines[2][0])
		cr_skip("no [vdso] in /proc/self/maps");
	if (!lines[0][0] || !lines[1][0])
		cr_skip("no [vvar] or [vvar_vclock] area: an older kernel layout");
	if (sscanf(lines[2], "%lx-%lx", &vdso_start, &vdso_end) != 2)
		cr_fatal("cannot parse '%s'", lines[2]);
	if (getauxval(AT_SYSINFO_EHDR) != vdso_start)
		cr_fatal("AT_SYSINFO_EHDR %#lx is not [vdso] %#lx",
			 getauxval(AT_SYSINFO_EHDR), (unsigned long)vdso_start);
	vdso_hash = cr_hash((void *)vdso_start, vdso_end - vdso_start);
	vdso_clock_gettime =
		(clock_gettime_fn)vdso_sym(vdso_start, "__vdso_clock_gettime");
	vdso_gettimeofday =
		(gettimeofday_fn)vdso_sym(vdso_start, "__vdso_gettimeofday");
	vdso_time = (time_fn)vdso_sym(vdso_start, "__vdso_time");
	if (!vdso_clock_gettime || !vdso_gettimeofday || !vdso_time)
		cr_skip("the vDSO lacks __vdso_clock_gettime/gettimeofday/time");
	for (int i = 0; i < NR_SPECIAL; i++)
		if (lines[i][0])
			cr_msg("%s", lines[i]);
	check_clocks();
	vdso_clock_gettime(CLOCK_MONOTONIC, &ts0);
	t0 = ts_ns(&ts0);

	cr_daemon();
	cr_wait_check();

	read_special(now);
	for (int i = 0; i < NR_SPECIAL; i++)
		if (strcmp(now[i], lines[i]))
			cr_fail("%s: '%s', was '%s'", special[i], now[i],
				lines[i]);
	if (getauxval(AT_SYSINFO_EHDR) != vdso_start)
		cr_fail("AT_SYSINFO_EHDR %#lx, was %#lx",
			getauxval(AT_SYSINFO_EHDR), (unsigned long)vdso_start);
	if (strcmp(now[2], lines[2])) {
		/* calling into it would crash: report what we have */
		cr_pass();
	}
	if (cr_hash((void *)vdso_start, vdso_end - vdso_start) != vdso_hash)
		cr_fail("[vdso]: the code differs from the setup's");
	check_clocks();
	vdso_clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = ts_ns(&ts);
	if (t1 <= t0)
		cr_fail("CLOCK_MONOTONIC went back or stood still: %lld, was %lld at setup",
			(long long)t1, (long long)t0);
	/* and it keeps moving */
	end = sys_clock(CLOCK_MONOTONIC) + 2000000000LL;
	do {
		vdso_clock_gettime(CLOCK_MONOTONIC, &ts);
	} while (ts_ns(&ts) == t1 && sys_clock(CLOCK_MONOTONIC) < end);
	if (ts_ns(&ts) <= t1)
		cr_fail("the vDSO's CLOCK_MONOTONIC does not advance (%lld)",
			(long long)ts_ns(&ts));
	cr_pass();
}
