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
 *
 * For a thread with Syscall User Dispatch on, the part of its exempt
 * region [offset, offset + len) that is mapped executable is searched for
 * a "syscall; ret" (0f 05 c3) and a restorer: syscalls made from there are
 * never dispatched, so injecting through them needs no SUD switch-off.
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

/*
 * First match of pat in [buf, buf + len) (at address start) whose syscall
 * is exempt: the kernel tests the address after the syscall instruction
 * (rip at entry) against [offset, offset + len), so the whole pattern and
 * the byte after its final "syscall" must lie in the region, i.e. the
 * pattern must end before region_end (syscall_at: offset of the syscall
 * in the pattern).
 */
static unsigned long find_exempt(const unsigned char *buf, size_t len,
				 unsigned long start, unsigned long region_end,
				 const unsigned char *pat, size_t plen,
				 size_t syscall_at)
{
	size_t off = 0;

	while (off < len) {
		const unsigned char *p =
			memmem(buf + off, len - off, pat, plen);
		unsigned long at;

		if (!p)
			return 0;
		at = start + (p - buf);
		if (at + syscall_at + 2 < region_end)
			return at;
		off = p - buf + 1;
	}
	return 0;
}

void cryo_find_sud_gadgets(struct cryo_victim *v, struct cryo_thread *t)
{
	unsigned long start, end, rs, re, gadget = 0, restorer = 0;
	char path[64], line[512], perms[8];
	unsigned char *buf;
	FILE *f;

	if (t->sud_scanned)
		return;
	t->sud_scanned = true;
	if (t->sud.mode == PR_SYS_DISPATCH_OFF || !t->sud.len ||
	    t->sud.offset + t->sud.len < t->sud.offset)
		return;
	rs = t->sud.offset;
	re = t->sud.offset + t->sud.len;
	snprintf(path, sizeof(path), "/proc/%d/maps", v->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && !(gadget && restorer)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) < 3)
			continue;
		if (perms[0] != 'r' || perms[2] != 'x')
			continue;
		if (start < rs)
			start = rs;
		if (end > re)
			end = re;
		if (end <= start || end - start > SCAN_MAX_BYTES)
			continue;
		buf = malloc(end - start);
		if (!buf)
			break;
		if (cryo_mem_read(v, start, buf, end - start) ==
		    (ssize_t)(end - start)) {
			if (!gadget)
				gadget = find_exempt(buf, end - start, start,
						     re, pat_gadget1,
						     sizeof(pat_gadget1), 0);
			if (!restorer)
				restorer = find_exempt(buf, end - start, start,
						       re, pat_rest1,
						       sizeof(pat_rest1), 7);
			if (!restorer)
				restorer = find_exempt(buf, end - start, start,
						       re, pat_rest2,
						       sizeof(pat_rest2), 5);
		}
		free(buf);
	}
	fclose(f);
	if (gadget && restorer) {
		t->sud_gadget = gadget;
		t->sud_restorer = restorer;
		pr_debug(
			v,
			"pid %d: SUD exempt gadget 0x%lx, restorer 0x%lx: SUD stays on",
			t->pub.tid, gadget, restorer);
	} else {
		pr_debug(
			v,
			"pid %d: no syscall;ret gadget and restorer in the SUD exempt region: SUD is switched off around each injection",
			t->pub.tid);
	}
}
