// SPDX-License-Identifier: GPL-2.0-or-later
/* `cryo show --summary`: the image as tables for people. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cryo/img.h"

#define NR_VMA_KINDS (CRYO_VMA_SPECIAL + 1)
#define NR_FD_KINDS  (CRYO_FD_OTHER + 1)

struct sum_proc {
	struct cryo_img_pstree tree;
	char comm[17];
	char exe[64];
	uint32_t uid;
	uint64_t vma_bytes[NR_VMA_KINDS];
	uint32_t nr_vmas;
	uint64_t pages;
	uint32_t fds[NR_FD_KINDS];
};

struct summary {
	struct sum_proc *procs;
	int nr;
	struct cryo_img_container cont;
	uint64_t nr_threads;
};

static struct sum_proc *find_proc(struct summary *s, uint32_t pid)
{
	for (int i = 0; i < s->nr; i++)
		if (s->procs[i].tree.pid == pid)
			return &s->procs[i];
	return NULL;
}

/* Folds one record into the summary. */
static int add_rec(struct summary *s, const struct cryo_img_rec *rec,
		   const void *p)
{
	union {
		struct cryo_img_pstree tree;
		struct cryo_img_task task;
		struct cryo_img_creds creds;
		struct cryo_img_vma vma;
		struct cryo_img_pagemap pm;
		struct cryo_img_fd fd;
		struct cryo_img_container cont;
	} u;
	struct sum_proc *sp;
	const void *tail;
	uint64_t tail_len;

	if (cryo_img_fixed(rec->desc, p, rec->len, &u, sizeof(u), &tail,
			   &tail_len))
		return -EBADMSG;
	if (rec->type == CRYO_REC_CONTAINER) {
		s->cont = u.cont;
		return 0;
	}
	if (rec->type == CRYO_REC_PSTREE) {
		sp = realloc(s->procs, sizeof(*sp) * (size_t)(s->nr + 1));
		if (!sp)
			return -ENOMEM;
		s->procs = sp;
		sp = &sp[s->nr++];
		memset(sp, 0, sizeof(*sp));
		sp->tree = u.tree;
		s->nr_threads += u.tree.nr_threads;
		return 0;
	}
	/* Every other struct record starts with size, pid. */
	sp = find_proc(s, u.tree.pid);
	if (!sp)
		return 0;
	switch (rec->type) {
	case CRYO_REC_TASK:
		memcpy(sp->comm, u.task.comm, sizeof(u.task.comm));
		snprintf(sp->exe, sizeof(sp->exe), "%.*s", (int)tail_len,
			 (const char *)tail);
		break;
	case CRYO_REC_CREDS:
		sp->uid = u.creds.uid[1];
		break;
	case CRYO_REC_VMA:
		if (u.vma.kind < NR_VMA_KINDS)
			sp->vma_bytes[u.vma.kind] += u.vma.end - u.vma.start;
		sp->nr_vmas++;
		break;
	case CRYO_REC_PAGEMAP:
		sp->pages += u.pm.nr_pages;
		break;
	case CRYO_REC_FD:
		sp->fds[u.fd.kind < NR_FD_KINDS ? u.fd.kind : CRYO_FD_OTHER]++;
		break;
	}
	return 0;
}

static void print_summary(const struct summary *s,
			  const struct cryo_img_header *h,
			  const struct cryo_img_trailer *t, FILE *f)
{
	static const char *const vk[NR_VMA_KINDS] = {
		"anon", "file",	       "heap",	   "stack",  "vdso",
		"vvar", "vvar_vclock", "vsyscall", "special"};
	static const char *const fk[NR_FD_KINDS] = {
		"reg", "dir", "chr", "blk", "fifo", "sock", "anon", "other"};
	time_t ct = (time_t)h->ctime_sec;
	char when[64];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&ct));
	fprintf(f, "image: format %u, %s, cryo %s, kernel %s\n",
		h->format_version, h->arch == CRYO_ARCH_X86_64 ? "x86_64" : "?",
		h->cryo_version, h->kernel_release);
	fprintf(f,
		"       %" PRIu64 " records, %" PRIu64
		" bytes, xfeatures 0x%" PRIx64 " (%u-byte xsave)\n",
		t->nr_records + 1, t->stream_len + 24 + sizeof(*t),
		h->xfeatures, h->xsave_size);
	fprintf(f, "host:  %s, LSMs %s%s%s\n", s->cont.hostname,
		s->cont.lsms[0] ? s->cont.lsms : "(unknown)",
		s->cont.label_lsm[0] ? ", labels by " : "", s->cont.label_lsm);
	fprintf(f, "tree:  %d processes, %" PRIu64 " threads, root %u\n\n",
		s->nr, s->nr_threads, h->root_pid);
	fprintf(f, "%7s %7s %7s %7s %4s %5s  %-16s %s\n", "PID", "PPID", "PGID",
		"SID", "THR", "UID", "COMM", "EXE");
	for (int i = 0; i < s->nr; i++) {
		const struct sum_proc *p = &s->procs[i];

		fprintf(f, "%7u %7u %7u %7u %4u %5u  %-16s %s\n", p->tree.pid,
			p->tree.ppid, p->tree.pgid, p->tree.sid,
			p->tree.nr_threads, p->uid, p->comm, p->exe);
	}
	fprintf(f, "\nmemory (KiB of address space by kind; saved pages):\n");
	fprintf(f, "%7s %6s", "PID", "AREAS");
	for (int k = 0; k < NR_VMA_KINDS; k++)
		fprintf(f, " %9s", vk[k]);
	fprintf(f, " %10s\n", "saved KiB");
	for (int i = 0; i < s->nr; i++) {
		const struct sum_proc *p = &s->procs[i];

		fprintf(f, "%7u %6u", p->tree.pid, p->nr_vmas);
		for (int k = 0; k < NR_VMA_KINDS; k++)
			fprintf(f, " %9" PRIu64, p->vma_bytes[k] >> 10);
		fprintf(f, " %10" PRIu64 "\n", p->pages * 4);
	}
	fprintf(f, "\nfile descriptors by kind:\n%7s", "PID");
	for (int k = 0; k < NR_FD_KINDS; k++)
		fprintf(f, " %5s", fk[k]);
	fputc('\n', f);
	for (int i = 0; i < s->nr; i++) {
		fprintf(f, "%7u", s->procs[i].tree.pid);
		for (int k = 0; k < NR_FD_KINDS; k++)
			fprintf(f, " %5u", s->procs[i].fds[k]);
		fputc('\n', f);
	}
}

int show_summary(struct cryo_img_reader *r, FILE *f)
{
	struct summary s = {0};
	struct cryo_img_rec rec;
	int ret;

	while ((ret = cryo_img_next(r, &rec)) > 0) {
		const void *p;

		if (rec.desc->bulk)
			continue;
		ret = cryo_img_payload(r, &p);
		if (!ret)
			ret = add_rec(&s, &rec, p);
		if (ret)
			break;
	}
	if (!ret)
		print_summary(&s, cryo_img_reader_header(r),
			      cryo_img_reader_trailer(r), f);
	free(s.procs);
	return ret;
}
