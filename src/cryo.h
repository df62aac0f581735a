/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cryo's command context: the parsed options and what every command
 * shares. Passed to every command instead of globals.
 */
#ifndef CRYO_CRYO_H
#define CRYO_CRYO_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define CRYO_VERSION  "0.1.0"
#define CRYO_IMG_NAME "cryo.img" /* the image inside an images dir */

struct cryo_opts {
	const char *cmd;
	pid_t tree;		 /* -t/--tree */
	const char *images_dir;	 /* -D/--images-dir */
	const char *work_dir;	 /* -W/--work-dir */
	const char *log_file;	 /* -o/--log-file, relative to the work dir */
	const char *pidfile;	 /* --pidfile */
	const char *feature;	 /* check --feature */
	int verbosity;		 /* -v[N], 0..4 */
	bool shell_job;		 /* -j */
	bool leave_running;	 /* -R */
	bool restore_detached;	 /* -d */
	bool stream;		 /* --stream: image on stdout/stdin */
	bool summary;		 /* show --summary */
	bool pages;		 /* show --pages */
	bool all;		 /* check --all: optional features too */
	bool keep_lsm;		 /* restore --keep-lsm */
	const char *lsm_profile; /* restore --lsm-profile TYPE:NAME */
	char **args;		 /* positional arguments after the command */
	int nr_args;
};

struct cryo_ctx {
	struct cryo_opts opts;
	int imgdir_fd; /* -1 when no images dir */
	int workdir_fd;
};

/* Commands: return a process exit status (0 ok, 1 failure). */
int cmd_dump(struct cryo_ctx *ctx);
int cmd_show(struct cryo_ctx *ctx);
int cmd_restore(struct cryo_ctx *ctx);
int cmd_check(struct cryo_ctx *ctx);

/*
 * Opens the image for reading: an images dir's image, a file, or "-" for
 * stdin. Returns an fd or a negative errno (already logged).
 */
int cryo_open_image_in(struct cryo_ctx *ctx, const char *path);

/* show --summary over an open reader (show-summary.c). */
struct cryo_img_reader;
int show_summary(struct cryo_img_reader *r, FILE *f);

#endif
