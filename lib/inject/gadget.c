// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Finds, without patching anything, the instructions injection needs in
 * the target's executable mappings:
 *   - a "syscall" (0f 05): the vDSO always has one; the fallback site;
 *   - a "syscall; ret" gadget (0f 05 c3, or glibc's syscall-template tail
 *     "syscall; cmp $-4095,%rax; jae 1f; ret") for crash-safe injection;
 *   - an rt_sigreturn restorer "mov $15,%rax; syscall" (glibc's
 *     __restore_rt, 48 c7 c0 0f 00 00 00 0f 05, or b8 0f 00 00 00 0f 05).
 * The vDSO is scanned first, then the other executable file mappings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject-internal.h"

#define SCAN_MAX_BYTES (256UL << 20) /* give up after this much text */

struct pattern {
	const unsigned char *bytes;
	size_t len;
};

static const unsigned char pat_syscall[] = {0x0f, 0x05};
static const unsigned char pat_gadget1[] = {0x0f, 0x05, 0xc3};
static const unsigned char pat_gadget2[] = {0x0f, 0x05, 0x48, 0x3d, 0x01, 0xf0,
					    0xff, 0xff, 0x73, 0x01, 0xc3};
static const unsigned char pat_rest1[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
					  0x00, 0x00, 0x0f, 0x05};
static const unsigned char pat_rest2[] = {0xb8, 0x0f, 0x00, 0x00,
					  0x00, 0x0f, 0x05};

static unsigned long find(const unsigned char *buf, size_t len,
			  unsigned long start, const unsigned char *pat,
			  size_t plen)
{
	const unsigned char *p = memmem(buf, len, pat, plen);

	return p ? start + (p - buf) : 0;
}

static void scan_area(struct cryo_victim *v, const unsigned char *buf,
		      size_t len, unsigned long start)
{
	if (!v->vdso_syscall)
		v->vdso_syscall =
			find(buf, len, start, pat_syscall, sizeof(pat_syscall));
	if (!v->gadget)
		v->gadget =
			find(buf, len, start, pat_gadget1, sizeof(pat_gadget1));
	if (!v->gadget)
		v->gadget =
			find(buf, len, start, pat_gadget2, sizeof(pat_gadget2));
	if (!v->restorer)
		v->restorer =
			find(buf, len, start, pat_rest1, sizeof(pat_rest1));
	if (!v->restorer)
		v->restorer =
			find(buf, len, start, pat_rest2, sizeof(pat_rest2));
}

static int scan_maps(struct cryo_victim *v, bool vdso_only)
{
	unsigned long start, end, total = 0;
	char path[64], line[512], perms[8], name[256];
	unsigned char *buf;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", v->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		name[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &start, &end,
			   perms, name) < 3)
			continue;
		if (perms[2] != 'x' || end <= start)
			continue;
		if (vdso_only != !strcmp(name, "[vdso]"))
			continue;
		if (total + (end - start) > SCAN_MAX_BYTES)
			break;
		total += end - start;
		buf = malloc(end - start);
		if (!buf)
			break;
		if (cryo_mem_read(v, start, buf, end - start) ==
		    (ssize_t)(end - start))
			scan_area(v, buf, end - start, start);
		free(buf);
		if (v->vdso_syscall && v->gadget && v->restorer)
			break;
	}
	fclose(f);
	return 0;
}

int cryo_find_gadgets(struct cryo_victim *v)
{
	int err;

	if (v->gadgets_scanned)
		return v->vdso_syscall ? 0 : -ENOENT;
	v->gadgets_scanned = true;
	err = scan_maps(v, true);
	if (!err && !(v->vdso_syscall && v->gadget && v->restorer))
		err = scan_maps(v, false);
	if (err) {
		pr_err(v, "cannot read the memory map (pid %d): %s", v->pid,
		       strerror(-err));
		return err;
	}
	if (!v->vdso_syscall && v->gadget)
		v->vdso_syscall = v->gadget;
	if (!v->vdso_syscall) {
		pr_err(v,
		       "no syscall instruction in the target (pid %d): no vDSO?",
		       v->pid);
		return -ENOENT;
	}
	if (!v->gadget || !v->restorer)
		pr_warn(v,
			"no syscall;ret gadget or rt_sigreturn restorer in pid %d: injection is not crash-safe",
			v->pid);
	pr_debug(v, "pid %d: syscall at 0x%lx, gadget 0x%lx, restorer 0x%lx",
		 v->pid, v->vdso_syscall, v->gadget, v->restorer);
	return 0;
}
