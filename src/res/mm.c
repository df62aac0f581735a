// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Memory: the MM record (layout of the address space and the auxv) and one
 * VMA record per area of /proc/PID/maps. The page data is pages.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../dump.h"
#include "../log.h"
#include "mm.h"

static enum cryo_vma_kind vma_kind(const char *path, bool is_file)
{
	static const struct {
		const char *name;
		enum cryo_vma_kind kind;
	} special[] = {
		{"[heap]", CRYO_VMA_HEAP},
		{"[stack]", CRYO_VMA_STACK},
		{"[vdso]", CRYO_VMA_VDSO},
		{"[vvar]", CRYO_VMA_VVAR},
		{"[vvar_vclock]", CRYO_VMA_VVAR_VCLOCK},
		{"[vsyscall]", CRYO_VMA_VSYSCALL},
	};

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(path, special[i].name))
			return special[i].kind;
	if (path[0] == '[')
		return CRYO_VMA_SPECIAL;
	return is_file ? CRYO_VMA_FILE : CRYO_VMA_ANON;
}

int parse_maps(pid_t pid, struct vma **out, int *nr_out)
{
	char *maps, *line, *next;
	struct vma *vmas = NULL;
	int nr = 0, ret;

	ret = proc_slurp(pid, "maps", &maps, NULL);
	if (ret) {
		pr_perr("read maps", pid, "%s", strerror(-ret));
		return ret;
	}
	for (line = maps; line && *line; line = next) {
		unsigned long long start, end, pgoff, ino;
		unsigned int maj, mnr;
		char perms[8];
		int pos = 0;
		struct vma *n, *v;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start,
			   &end, perms, &pgoff, &maj, &mnr, &ino, &pos) < 7) {
			pr_perr("parse maps", pid, "bad line '%s'", line);
			ret = -EINVAL;
			goto out_free;
		}
		n = realloc(vmas, sizeof(*n) * (size_t)(nr + 1));
		if (!n) {
			ret = -ENOMEM;
			goto out_free;
		}
		vmas = n;
		v = &vmas[nr++];
		memset(v, 0, sizeof(*v));
		v->v.size = sizeof(v->v);
		v->v.pid = (uint32_t)pid;
		v->v.start = start;
		v->v.end = end;
		v->v.pgoff = pgoff;
		v->v.ino = ino;
		v->v.dev = (uint32_t)makedev(maj, mnr);
		v->v.prot = (perms[0] == 'r' ? PROT_READ : 0) |
			    (perms[1] == 'w' ? PROT_WRITE : 0) |
			    (perms[2] == 'x' ? PROT_EXEC : 0);
		v->v.flags = perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE;
		snprintf(v->path, sizeof(v->path), "%s", line + pos);
		v->v.kind = (uint32_t)vma_kind(v->path, ino != 0);
	}
	*out = vmas;
	*nr_out = nr;
	free(maps);
	return 0;
out_free:
	free(vmas);
	free(maps);
	return ret;
}

static uint32_t vmflag_bits(const char *letters)
{
	static const struct {
		char name[3];
		uint32_t bit;
	} map[] = {
		{"gd", CRYO_VMF_GROWSDOWN}, {"dc", CRYO_VMF_DONTCOPY},
		{"dd", CRYO_VMF_DONTDUMP},  {"wf", CRYO_VMF_WIPEONFORK},
		{"hg", CRYO_VMF_HUGEPAGE},  {"nh", CRYO_VMF_NOHUGEPAGE},
		{"lo", CRYO_VMF_LOCKED},    {"lf", CRYO_VMF_LOCKONFAULT},
		{"mg", CRYO_VMF_MERGEABLE}, {"de", CRYO_VMF_DONTEXPAND},
		{"nr", CRYO_VMF_NORESERVE}, {"ac", CRYO_VMF_ACCOUNT},
	};
	uint32_t bits = CRYO_VMF_VALID;

	for (const char *p = letters; *p && *p != '\n';) {
		while (*p == ' ')
			p++;
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (p[0] == map[i].name[0] && p[1] == map[i].name[1])
				bits |= map[i].bit;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	return bits;
}

/*
 * The VmFlags of each area (madvise state, mlock, grows-down), which
 * /proc/PID/maps does not show: one pass over /proc/PID/smaps, matched to
 * the areas by start address (both lists are in address order).
 */
static int read_vmflags(pid_t pid, struct vma *vmas, int nr)
{
	char *smaps, *line, *next;
	int i = 0, cur = -1, ret;

	ret = proc_slurp(pid, "smaps", &smaps, NULL);
	if (ret) {
		pr_perr("read smaps", pid, "%s", strerror(-ret));
		return ret;
	}
	for (line = smaps; line && *line; line = next) {
		unsigned long long start;

		next = strchr(line, '\n');
		if (next)
			next++;
		if (!strncmp(line, "VmFlags:", 8)) {
			if (cur >= 0)
				vmas[cur].v.vmflags = vmflag_bits(line + 8);
			continue;
		}
		if (sscanf(line, "%llx-", &start) != 1 || !strchr(line, '-') ||
		    strchr(line, ':') < strchr(line, '-'))
			continue;
		cur = -1;
		while (i < nr && vmas[i].v.start < start)
			i++;
		if (i < nr && vmas[i].v.start == start)
			cur = i;
	}
	free(smaps);
	return 0;
}

static int dump_mm(struct dump_ctx *dc, struct dtask *task)
{
	const struct proc_stat *st = &task->st;
	struct cryo_img_mm mm = {
		.size = sizeof(mm),
		.pid = (uint32_t)task->pid,
		.start_code = st->start_code,
		.end_code = st->end_code,
		.start_data = st->start_data,
		.end_data = st->end_data,
		.start_brk = st->start_brk,
		.start_stack = st->start_stack,
		.arg_start = st->arg_start,
		.arg_end = st->arg_end,
		.env_start = st->env_start,
		.env_end = st->env_end,
	};
	char *auxv = NULL;
	size_t auxv_len = 0;
	struct vma *vmas;
	int nr, ret;

	ret = parse_maps(task->pid, &vmas, &nr);
	if (ret)
		return ret;
	ret = read_vmflags(task->pid, vmas, nr);
	if (ret)
		goto out;
	mm.nr_vmas = (uint32_t)nr;
	/* The current brk is the end of [heap] (stat has only its start). */
	mm.brk = st->start_brk;
	for (int i = 0; i < nr; i++)
		if (vmas[i].v.kind == CRYO_VMA_HEAP)
			mm.brk = vmas[i].v.end;
	ret = proc_slurp(task->pid, "auxv", &auxv, &auxv_len);
	if (ret) {
		pr_perr("read auxv", task->pid, "%s", strerror(-ret));
		goto out;
	}
	auxv_len -= auxv_len % 16;
	ret = cryo_img_write_rec(dc->w, CRYO_REC_MM, &mm, sizeof(mm), auxv,
				 auxv_len);
	for (int i = 0; !ret && i < nr; i++)
		ret = cryo_img_write_rec(dc->w, CRYO_REC_VMA, &vmas[i].v,
					 sizeof(vmas[i].v), vmas[i].path,
					 strlen(vmas[i].path) + 1);
	dc->nr_vmas += (uint64_t)nr;
out:
	free(auxv);
	free(vmas);
	return ret;
}

const struct res_ops res_mm_ops = {
	.name = "mm",
	.dump_task = dump_mm,
};
