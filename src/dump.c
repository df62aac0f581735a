// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `cryo dump`: freeze the tree, write the image, then kill the tree (or
 * leave it running with -R). The image is written to DIR/cryo.img.part and
 * renamed to DIR/cryo.img only once complete, so a failed dump never
 * leaves something that looks like an image; on any failure the tree is
 * detached and runs on untouched.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"
#include "log.h"

#define IMG_PART CRYO_IMG_NAME ".part"

/*
 * The XSAVE components the saved state needs: the union over every thread
 * (a process that asked for AMX has more than one that did not), and the
 * largest XSAVE area, from the software-reserved bytes the kernel fills.
 */
static void probe_xstate(const struct pstree *t, uint64_t *mask, uint32_t *size)
{
	static unsigned char buf[64 << 10];

	for (int i = 0; i < t->nr; i++) {
		for (int k = 0; k < t->tasks[i].nr_threads; k++) {
			struct iovec iov = {.iov_base = buf,
					    .iov_len = sizeof(buf)};
			uint64_t xcr0;

			if (ptrace(PTRACE_GETREGSET, t->tasks[i].threads[k].tid,
				   NT_X86_XSTATE, &iov) ||
			    iov.iov_len < 472)
				continue;
			memcpy(&xcr0, buf + 464, sizeof(xcr0));
			*mask |= xcr0;
			if (iov.iov_len > *size)
				*size = (uint32_t)iov.iov_len;
		}
	}
}

static int write_header(struct dump_ctx *dc)
{
	struct cryo_img_header h = {
		.size = sizeof(h),
		.format_version = CRYO_IMG_VERSION,
		.arch = CRYO_ARCH_X86_64,
		.page_size = (uint32_t)sysconf(_SC_PAGESIZE),
		.root_pid = (uint32_t)dc->tree.tasks[0].pid,
		.flags =
			dc->c->opts.leave_running ? CRYO_IMGF_LEAVE_RUNNING : 0,
	};
	struct timespec now;
	struct utsname u;

	probe_xstate(&dc->tree, &h.xfeatures, &h.xsave_size);
	clock_gettime(CLOCK_REALTIME, &now);
	h.ctime_sec = (uint64_t)now.tv_sec;
	h.ctime_nsec = (uint32_t)now.tv_nsec;
	uname(&u);
	snprintf(h.kernel_release, sizeof(h.kernel_release), "%s", u.release);
	snprintf(h.cryo_version, sizeof(h.cryo_version), "%s", CRYO_VERSION);
	return cryo_img_write(dc->w, CRYO_REC_HEADER, CRYO_REC_F_REQUIRED, &h,
			      sizeof(h));
}

static int write_pstree(struct dump_ctx *dc)
{
	for (int i = 0; i < dc->tree.nr; i++) {
		struct dtask *t = &dc->tree.tasks[i];
		struct cryo_img_pstree p = {
			.size = sizeof(p),
			.pid = (uint32_t)t->pid,
			.ppid = (uint32_t)t->ppid,
			.pgid = (uint32_t)t->st.pgid,
			.sid = (uint32_t)t->st.sid,
		};
		uint32_t *tids = calloc((size_t)t->nr_threads, sizeof(*tids));
		int ret;

		if (!tids)
			return -ENOMEM;
		for (int k = 0; k < t->nr_threads; k++)
			if (t->threads[k].seized)
				tids[p.nr_threads++] =
					(uint32_t)t->threads[k].tid;
		ret = cryo_img_write_rec(dc->w, CRYO_REC_PSTREE, &p, sizeof(p),
					 tids, sizeof(*tids) * p.nr_threads);
		free(tids);
		if (ret)
			return ret;
	}
	return 0;
}

/* Everything between the header and the trailer, in section order. */
static int write_image(struct dump_ctx *dc)
{
	const struct cryo_opts *o = &dc->c->opts;
	char note[128];
	int ret;

	ret = container_check_tree(&dc->tree);
	if (!ret)
		ret = write_header(dc);
	if (!ret)
		ret = container_dump(dc, dc->tree.tasks[0].pid);
	if (ret)
		return ret;
	snprintf(note, sizeof(note), "cryo %s dump -t %d%s", CRYO_VERSION,
		 (int)o->tree, o->leave_running ? " -R" : "");
	ret = cryo_img_write(dc->w, CRYO_REC_NOTE, 0, note, strlen(note));
	if (!ret)
		ret = write_pstree(dc);
	for (int i = 0; !ret && i < dc->tree.nr; i++)
		for (size_t r = 0; !ret && r < res_table_nr; r++)
			if (res_table[r]->dump_task)
				ret = res_table[r]->dump_task(
					dc, &dc->tree.tasks[i]);
	for (int i = 0; !ret && i < dc->tree.nr; i++)
		for (size_t r = 0; !ret && r < res_table_nr; r++)
			if (res_table[r]->dump_pages)
				ret = res_table[r]->dump_pages(
					dc, &dc->tree.tasks[i]);
	if (!ret)
		ret = cryo_img_writer_finish(dc->w);
	return ret;
}

static int open_output(struct cryo_ctx *c)
{
	int fd;

	if (c->opts.stream) {
		if (isatty(STDOUT_FILENO)) {
			pr_err("dump", "--stream",
			       "refusing to write an image to a terminal");
			return -ENOTTY;
		}
		return STDOUT_FILENO;
	}
	/* A stale image must not survive a failed dump. */
	unlinkat(c->imgdir_fd, CRYO_IMG_NAME, 0);
	fd = openat(c->imgdir_fd, IMG_PART,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		pr_err("create image", c->opts.images_dir, "%s",
		       strerror(errno));
		return -errno;
	}
	return fd;
}

int cmd_dump(struct cryo_ctx *ctx)
{
	const struct cryo_opts *o = &ctx->opts;
	struct dump_ctx dc = {.c = ctx};
	struct cryo_img_wopts wo = {.sz = sizeof(wo)};
	int fd, ret;

	if (!o->tree) {
		pr_err("dump", NULL, "no tree given: use -t PID");
		return 1;
	}
	if (!o->images_dir && !o->stream) {
		pr_err("dump", NULL,
		       "no image destination: use -D DIR or --stream");
		return 1;
	}
	fd = open_output(ctx);
	if (fd < 0)
		return 1;
	ret = pstree_freeze(&dc.tree, o->tree);
	if (ret)
		goto out_close;
	wo.fd = fd;
	ret = cryo_img_writer_new(&wo, &dc.w);
	if (!ret)
		ret = write_image(&dc);
	if (ret && dc.w && cryo_img_writer_error(dc.w))
		pr_err("write image", o->stream ? "stdout" : o->images_dir,
		       "%s", strerror(-cryo_img_writer_error(dc.w)));
	else if (ret == -ENOMEM)
		pr_perr("dump", o->tree, "out of memory");
	if (!ret && !o->stream &&
	    renameat(ctx->imgdir_fd, IMG_PART, ctx->imgdir_fd, CRYO_IMG_NAME)) {
		ret = -errno;
		pr_err("rename image", o->images_dir, "%s", strerror(errno));
	}
	if (!ret)
		pr_info("dumped %d processes, %llu areas, %llu pages, %llu bytes",
			dc.tree.nr, (unsigned long long)dc.nr_vmas,
			(unsigned long long)dc.nr_pages,
			(unsigned long long)cryo_img_writer_offset(dc.w));
	/* Success kills the tree unless -R; failure always lets it run. */
	pstree_release(&dc.tree, !ret && !o->leave_running);
	cryo_img_writer_free(dc.w);
out_close:
	if (!o->stream) {
		close(fd);
		if (ret)
			unlinkat(ctx->imgdir_fd, IMG_PART, 0);
	}
	return ret ? 1 : 0;
}
