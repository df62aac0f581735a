// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * img_edit IN OUT FIELD=VALUE: copies image IN to OUT record by record
 * with the image library, changing one field on the way (a test's way to
 * make an image "taken on another host"):
 *   lsms=LIST         the CONTAINER record's LSM list
 *   xfeatures=MASK    the HEADER's XSAVE feature mask (hex or decimal)
 * Everything else, page data included, is copied as it is. Exit 0, or 1
 * with a message.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cryo/img.h"

static int copy(struct cryo_img_reader *r, struct cryo_img_writer *w,
		const char *lsms, const char *xfeatures)
{
	struct cryo_img_header h = *cryo_img_reader_header(r);
	struct cryo_img_rec rec;
	const void *p;
	int ret;

	if (xfeatures)
		h.xfeatures = strtoull(xfeatures, NULL, 0);
	ret = cryo_img_write(w, CRYO_REC_HEADER,
			     cryo_img_reader_header_rec(r)->flags, &h,
			     sizeof(h));
	while (!ret && (ret = cryo_img_next(r, &rec)) == 1) {
		ret = 0;
		if (rec.type == CRYO_REC_PAD)
			continue; /* the writer aligns by itself */
		ret = cryo_img_payload(r, &p);
		if (ret)
			break;
		if (rec.type == CRYO_REC_CONTAINER && lsms) {
			char *copy = malloc(rec.len);
			struct cryo_img_container *c = (void *)copy;

			if (!copy || rec.len < sizeof(*c))
				return -1;
			memcpy(copy, p, rec.len);
			snprintf(c->lsms, sizeof(c->lsms), "%s", lsms);
			ret = cryo_img_write(w, rec.type, rec.flags, copy,
					     rec.len);
			free(copy);
		} else if (rec.type == CRYO_REC_PAGES) {
			struct iovec iov = {(void *)p, rec.len};

			ret = cryo_img_write_pages(w, &iov, 1);
		} else {
			ret = cryo_img_write(w, rec.type, rec.flags, p,
					     rec.len);
		}
	}
	if (ret < 0)
		return ret;
	return cryo_img_writer_finish(w);
}

int main(int argc, char **argv)
{
	struct cryo_img_ropts ro = {.sz = sizeof(ro),
				    .max_payload = 1ull << 30};
	struct cryo_img_wopts wo = {.sz = sizeof(wo)};
	struct cryo_img_reader *r = NULL;
	struct cryo_img_writer *w = NULL;
	int ret;

	const char *lsms = NULL, *xf = NULL;

	if (argc == 4 && !strncmp(argv[3], "lsms=", 5)) {
		lsms = argv[3] + 5;
	} else if (argc == 4 && !strncmp(argv[3], "xfeatures=", 10)) {
		xf = argv[3] + 10;
	} else {
		fprintf(stderr,
			"usage: img_edit IN OUT lsms=LIST|xfeatures=MASK\n");
		return 1;
	}
	ro.fd = open(argv[1], O_RDONLY);
	wo.fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (ro.fd < 0 || wo.fd < 0) {
		perror("open");
		return 1;
	}
	ret = cryo_img_reader_new(&ro, &r);
	if (!ret)
		ret = cryo_img_writer_new(&wo, &w);
	if (!ret)
		ret = copy(r, w, lsms, xf);
	if (ret)
		fprintf(stderr, "img_edit: %s\n",
			r ? cryo_img_reader_error(r) : "cannot start");
	cryo_img_writer_free(w);
	cryo_img_reader_free(r);
	return ret ? 1 : 0;
}
