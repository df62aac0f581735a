/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the memory modules share: an area of /proc/PID/maps as mm.c parses
 * it (mm.c writes the VMA records, pages.c the page data of the areas).
 */
#ifndef CRYO_RES_MM_H
#define CRYO_RES_MM_H

#include <sys/types.h>

#include "cryo/img.h"

struct vma {
	struct cryo_img_vma v;
	char path[512];
};

/* Parses /proc/PID/maps into a malloc'ed array of areas (logs failures). */
int parse_maps(pid_t pid, struct vma **out, int *nr_out);

#endif
