// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `cryo show`: decode an image. JSON, one object per record and per line,
 * driven by the field tables of the image library, so every record type a
 * later step adds is shown without code here; or with --summary a table
 * for people. The JSON goes out only once the whole image has been read
 * and verified (except with --pages, which streams), so output is never
 * a silent prefix of a broken image: a broken one gives an error and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cryo.h"
#include "cryo/img.h"
#include "log.h"
#include "show-bpf.h"

int cryo_open_image_in(struct cryo_ctx *ctx, const char *path)
{
	struct stat st;
	int fd;

	if (!path && ctx->imgdir_fd >= 0)
		fd = openat(ctx->imgdir_fd, CRYO_IMG_NAME,
			    O_RDONLY | O_CLOEXEC);
	else if (!path || !strcmp(path, "-"))
		return dup(STDIN_FILENO);
	else if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		int dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

		fd = dfd < 0 ? -1
			     : openat(dfd, CRYO_IMG_NAME, O_RDONLY | O_CLOEXEC);
		if (dfd >= 0)
			close(dfd);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		int err = errno;

		pr_err("open image", path ? path : ctx->opts.images_dir, "%s",
		       strerror(err));
		return -err;
	}
	return fd;
}

static void json_str(FILE *f, const char *s, size_t max)
{
	fputc('"', f);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_field(FILE *f, const struct cryo_img_field *fl,
		       const unsigned char *base)
{
	const unsigned char *p = base + fl->offset;
	uint64_t u64;
	uint32_t u32;
	int32_t s32;

	fprintf(f, ",\"%s\":", fl->name);
	switch (fl->kind) {
	case CRYO_FT_U32:
		memcpy(&u32, p, 4);
		fprintf(f, "%u", u32);
		break;
	case CRYO_FT_S32:
		memcpy(&s32, p, 4);
		fprintf(f, "%d", s32);
		break;
	case CRYO_FT_X32:
		memcpy(&u32, p, 4);
		fprintf(f, "\"0x%x\"", u32);
		break;
	case CRYO_FT_U64:
		memcpy(&u64, p, 8);
		fprintf(f, "%" PRIu64, u64);
		break;
	case CRYO_FT_X64:
		memcpy(&u64, p, 8);
		fprintf(f, "\"0x%" PRIx64 "\"", u64);
		break;
	case CRYO_FT_CHAR:
		memcpy(&u32, p, 4);
		fprintf(f, "\"%c\"",
			u32 >= 0x20 && u32 < 0x7f ? (char)u32 : '?');
		break;
	case CRYO_FT_STR:
		json_str(f, (const char *)p, fl->len);
		break;
	case CRYO_FT_U32_ARRAY:
		for (unsigned int i = 0; i < fl->len / 4u; i++) {
			memcpy(&u32, p + 4 * i, 4);
			fprintf(f, "%s%u", i ? "," : "[", u32);
		}
		fputc(']', f);
		break;
	case CRYO_FT_X64_ARRAY:
		for (unsigned int i = 0; i < fl->len / 8u; i++) {
			memcpy(&u64, p + 8 * i, 8);
			fprintf(f, "%s\"0x%" PRIx64 "\"", i ? "," : "[", u64);
		}
		fputc(']', f);
		break;
	}
}

/* Tails: strings as strings, arrays as arrays, bytes as a length. */
static void json_tail(FILE *f, const struct cryo_img_desc *d,
		      const unsigned char *t, uint64_t len)
{
	uint64_t a, b;
	uint32_t u;

	if (d->tail == CRYO_TAIL_NONE)
		return;
	fprintf(f, ",\"%s\":", d->tail_name);
	switch (d->tail) {
	case CRYO_TAIL_STR:
		json_str(f, (const char *)t, len);
		break;
	case CRYO_TAIL_STRS:
		fputc('[', f);
		for (uint64_t i = 0, first = 1; i < len;) {
			uint64_t e = i;

			while (e < len && t[e] && t[e] != '\n')
				e++;
			if (e > i) {
				fputs(first ? "" : ",", f);
				json_str(f, (const char *)t + i, e - i);
				first = 0;
			}
			i = e + 1;
		}
		fputc(']', f);
		break;
	case CRYO_TAIL_U32:
		fputc('[', f);
		for (uint64_t i = 0; i + 4 <= len; i += 4) {
			memcpy(&u, t + i, 4);
			fprintf(f, "%s%u", i ? "," : "", u);
		}
		fputc(']', f);
		break;
	case CRYO_TAIL_U64_PAIRS:
		fputc('[', f);
		for (uint64_t i = 0; i + 16 <= len; i += 16) {
			memcpy(&a, t + i, 8);
			memcpy(&b, t + i + 8, 8);
			fprintf(f, "%s[\"0x%" PRIx64 "\",%" PRIu64 "]",
				i ? "," : "", a, b);
		}
		fputc(']', f);
		break;
	default:
		fprintf(f, "{\"bytes\":%" PRIu64 "}", len);
		break;
	}
}

static void json_fields(FILE *f, const struct cryo_img_desc *d, const void *p,
			uint64_t len)
{
	unsigned char fixed[512];
	const void *tail;
	uint64_t tail_len;

	/* The reader checked the sizes already. */
	if (cryo_img_fixed(d, p, len, fixed, sizeof(fixed), &tail, &tail_len))
		return;
	for (unsigned int i = 0; i < d->nr_fields; i++)
		if (d->fields[i].offset + d->fields[i].len <= sizeof(fixed))
			json_field(f, &d->fields[i], fixed);
	json_tail(f, d, tail, tail_len);
}

/* A seccomp filter's program, decoded: "bpf":["0000: ld arch", ...]. */
static void json_bpf(FILE *f, const struct cryo_img_desc *d, const void *p,
		     uint64_t len)
{
	struct cryo_img_seccomp_filter sf;
	struct bpf_insn_img *prog;
	const void *tail;
	uint64_t tl;
	char line[96];
	size_t n;

	if (cryo_img_fixed(d, p, len, &sf, sizeof(sf), &tail, &tl))
		return;
	n = (size_t)(tl / sizeof(*prog));
	prog = malloc(n ? tl : 1);
	if (!prog)
		return;
	memcpy(prog, tail, n * sizeof(*prog));
	fputs(",\"bpf\":[", f);
	for (size_t i = 0; i < n; i++) {
		bpf_decode(prog, n, i, line, sizeof(line));
		fputs(i ? "," : "", f);
		json_str(f, line, sizeof(line));
	}
	fputc(']', f);
	free(prog);
}

static void json_rec_head(FILE *f, const char *name, uint64_t off, uint32_t seq,
			  uint64_t len, uint16_t flags)
{
	fprintf(f,
		"{\"type\":\"%s\",\"offset\":%" PRIu64 ",\"seq\":%u,"
		"\"len\":%" PRIu64 ",\"required\":%s",
		name, off, seq, len,
		flags & CRYO_REC_F_REQUIRED ? "true" : "false");
}

/* PAGES with --pages: every page, as its address and hex contents. */
static int json_pages(FILE *f, struct cryo_img_reader *r, uint64_t len,
		      const uint64_t *vaddrs, uint64_t nr)
{
	unsigned char page[CRYO_IMG_ALIGN];

	fputs(",\"pages\":[", f);
	for (uint64_t i = 0; i < len / CRYO_IMG_ALIGN; i++) {
		ssize_t n = cryo_img_read(r, page, sizeof(page));

		if (n != (ssize_t)sizeof(page))
			return n < 0 ? (int)n : -EBADMSG;
		fprintf(f, "%s{\"vaddr\":\"0x%" PRIx64 "\",\"data\":\"",
			i ? "," : "", i < nr ? vaddrs[i] : 0);
		for (size_t k = 0; k < sizeof(page); k++)
			fprintf(f, "%02x", page[k]);
		fputs("\"}", f);
	}
	fputc(']', f);
	return 0;
}

/* Page addresses of the last PAGEMAP, for --pages. */
static int pagemap_vaddrs(const void *p, uint64_t len, uint64_t **out,
			  uint64_t *nr)
{
	const struct cryo_img_desc *d = cryo_img_desc_get(CRYO_REC_PAGEMAP);
	struct cryo_img_pagemap pm;
	struct cryo_img_page_run run;
	const unsigned char *tail;
	uint64_t tail_len, k = 0;
	uint64_t *v;

	if (cryo_img_fixed(d, p, len, &pm, sizeof(pm), (const void **)&tail,
			   &tail_len))
		return -EBADMSG;
	v = malloc(sizeof(*v) * (pm.nr_pages ? pm.nr_pages : 1));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < pm.nr_runs; i++) {
		memcpy(&run, tail + sizeof(run) * i, sizeof(run));
		for (uint64_t j = 0; j < run.nr_pages; j++)
			v[k++] = run.vaddr + j * CRYO_IMG_ALIGN;
	}
	free(*out);
	*out = v;
	*nr = k;
	return 0;
}

static int show_json(struct cryo_ctx *ctx, struct cryo_img_reader *r, FILE *f)
{
	const struct cryo_img_header *h = cryo_img_reader_header(r);
	const struct cryo_img_desc *hd = cryo_img_desc_get(CRYO_REC_HEADER);
	const struct cryo_img_trailer *t;
	uint64_t *vaddrs = NULL, nr_vaddrs = 0;
	struct cryo_img_rec rec;
	const struct cryo_img_rec *hr = cryo_img_reader_header_rec(r);
	int ret;

	json_rec_head(f, "HEADER", hr->offset, hr->seq, hr->len, hr->flags);
	json_fields(f, hd, h, sizeof(*h));
	fputs("}\n", f);
	while ((ret = cryo_img_next(r, &rec)) > 0) {
		const void *p = NULL;

		json_rec_head(f, rec.desc->name, rec.offset, rec.seq, rec.len,
			      rec.flags);
		if (rec.type == CRYO_REC_NOTE) {
			ret = cryo_img_payload(r, &p);
			if (ret)
				break;
			fputs(",\"text\":", f);
			json_str(f, p, rec.len);
		} else if (rec.type == CRYO_REC_PAGES && ctx->opts.pages) {
			ret = json_pages(f, r, rec.len, vaddrs, nr_vaddrs);
			if (ret)
				break;
		} else if (!rec.desc->bulk) {
			ret = cryo_img_payload(r, &p);
			if (ret)
				break;
			json_fields(f, rec.desc, p, rec.len);
			if (rec.type == CRYO_REC_SECCOMP_FILTER)
				json_bpf(f, rec.desc, p, rec.len);
			if (rec.type == CRYO_REC_PAGEMAP && ctx->opts.pages) {
				ret = pagemap_vaddrs(p, rec.len, &vaddrs,
						     &nr_vaddrs);
				if (ret)
					break;
			}
		}
		fputs("}\n", f);
	}
	free(vaddrs);
	if (ret)
		return ret;
	t = cryo_img_reader_trailer(r);
	json_rec_head(f, "TRAILER", t->stream_len, (uint32_t)t->nr_records,
		      sizeof(*t), CRYO_REC_F_REQUIRED);
	json_fields(f, cryo_img_desc_get(CRYO_REC_TRAILER), t, sizeof(*t));
	fputs("}\n", f);
	return 0;
}

int cmd_show(struct cryo_ctx *ctx)
{
	const struct cryo_opts *o = &ctx->opts;
	const char *path = o->nr_args ? o->args[0] : NULL;
	struct cryo_img_ropts ro = {.sz = sizeof(ro)};
	struct cryo_img_reader *r = NULL;
	char *buf = NULL;
	size_t buf_len = 0;
	FILE *out;
	int ret;

	if (o->nr_args > 1) {
		fprintf(stderr, "cryo: show takes one image, not %d\n",
			o->nr_args);
		return 2;
	}
	if (!path && ctx->imgdir_fd < 0 && isatty(STDIN_FILENO)) {
		pr_err("show", NULL, "no image given: cryo show DIR|FILE|-");
		return 1;
	}
	ro.fd = cryo_open_image_in(ctx, path);
	if (ro.fd < 0)
		return 1;
	/* Buffer the output so that a broken image prints nothing on stdout. */
	out = o->pages ? stdout : open_memstream(&buf, &buf_len);
	if (!out) {
		close(ro.fd);
		return 1;
	}
	ret = cryo_img_reader_new(&ro, &r);
	if (!ret)
		ret = o->summary ? show_summary(r, out)
				 : show_json(ctx, r, out);
	if (ret)
		pr_err("read image", path ? path : o->images_dir, "%s",
		       r ? cryo_img_reader_error(r) : strerror(-ret));
	if (out != stdout) {
		fclose(out);
		if (!ret)
			fwrite(buf, 1, buf_len, stdout);
		free(buf);
	}
	cryo_img_reader_free(r);
	close(ro.fd);
	return ret ? 1 : 0;
}
