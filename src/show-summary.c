// SPDX-License-Identifier: GPL-2.0-or-later
/* `cryo show --summary`: the image as tables for people. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cryo/img.h"
#include "show-bpf.h"

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
	/* seccomp chains, filters and SUD configs, as text, in image order */
	FILE *sec;
	char *sec_buf;
	size_t sec_len;
};

/* The seccomp and SUD lines: one per chain or config, a listing per filter. */
static int add_sec(struct summary *s, const struct cryo_img_rec *rec,
		   const void *fixed, const void *tail, uint64_t tail_len)
{
	char line[96];

	if (!s->sec) {
		s->sec = open_memstream(&s->sec_buf, &s->sec_len);
		if (!s->sec)
			return -ENOMEM;
	}
	if (rec->type == CRYO_REC_SECCOMP_CHAIN) {
		const struct cryo_img_seccomp_chain *c = fixed;
		uint32_t id;

		fprintf(s->sec, "%7u %7u  %s", c->pid, c->tid,
			c->mode == 1 ? "strict" : "filters");
		for (uint64_t i = 0; i + 4 <= tail_len; i += 4) {
			memcpy(&id, (const char *)tail + i, 4);
			fprintf(s->sec, " #%u", id);
		}
		fputs(c->mode == 2 ? " (oldest first)\n" : "\n", s->sec);
	} else if (rec->type == CRYO_REC_SUD) {
		const struct cryo_img_sud *d = fixed;

		fprintf(s->sec,
			"%7u %7u  SUD mode %" PRIu64 ", selector 0x%" PRIx64
			", never dispatched 0x%" PRIx64 "+%" PRIu64 "\n",
			d->pid, d->tid, d->mode, d->selector, d->offset,
			d->len);
	} else {
		const struct cryo_img_seccomp_filter *sf = fixed;
		size_t n = (size_t)(tail_len / sizeof(struct bpf_insn_img));
		struct bpf_insn_img *prog = malloc(n ? tail_len : 1);

		if (!prog)
			return -ENOMEM;
		memcpy(prog, tail, n * sizeof(*prog));
		fprintf(s->sec,
			"%7u          filter #%u: %u insns, flags 0x%x%s, hash %016" PRIx64
			"\n",
			sf->pid, sf->id, sf->nr_insns, sf->flags,
			sf->flags & 2 ? " (LOG)" : "", sf->hash);
		for (size_t i = 0; i < n; i++) {
			bpf_decode(prog, n, i, line, sizeof(line));
			fprintf(s->sec, "                   %s\n", line);
		}
		free(prog);
	}
	return 0;
}

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
		struct cryo_img_seccomp_filter sf;
		struct cryo_img_seccomp_chain sc;
		struct cryo_img_sud sud;
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
	if (rec->type == CRYO_REC_SECCOMP_FILTER ||
	    rec->type == CRYO_REC_SECCOMP_CHAIN || rec->type == CRYO_REC_SUD)
		return add_sec(s, rec, &u, tail, tail_len);
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
	if (s->sec_len) {
		fprintf(f,
			"\nseccomp and syscall user dispatch, per thread:\n");
		fprintf(f, "%7s %7s  %s\n", "PID", "TID", "STATE");
		fwrite(s->sec_buf, 1, s->sec_len, f);
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
	if (s.sec)
		fclose(s.sec); /* sets sec_buf and sec_len */
	if (!ret)
		print_summary(&s, cryo_img_reader_header(r),
			      cryo_img_reader_trailer(r), f);
	free(s.sec_buf);
	free(s.procs);
	return ret;
}
