/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the image reader and writer; not part of the API. */
#ifndef CRYO_IMG_INTERNAL_H
#define CRYO_IMG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cryo/img.h"

/* CRC32C of the first 20 bytes of a record header (hdr_crc excluded). */
static inline uint32_t cryo_img_hdr_crc(const struct cryo_img_rec_hdr *h)
{
	return cryo_crc32c(0, h, offsetof(struct cryo_img_rec_hdr, hdr_crc));
}

#endif
