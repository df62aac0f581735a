// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fd table: one FD record per open descriptor with its kind, open
 * flags, offset and what it points at. Step 1 records them; restoring each
 * kind is the business of later steps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../dump.h"
#include "../log.h"

static uint32_t fd_kind(mode_t mode, const char *target)
{
	if (S_ISREG(mode))
		return CRYO_FD_REG;
	if (S_ISDIR(mode))
		return CRYO_FD_DIR;
	if (S_ISCHR(mode))
		return CRYO_FD_CHR;
	if (S_ISBLK(mode))
		return CRYO_FD_BLK;
	if (S_ISFIFO(mode))
		return CRYO_FD_FIFO;
	if (S_ISSOCK(mode))
		return CRYO_FD_SOCK;
	if (!strncmp(target, "anon_inode:", 11))
		return CRYO_FD_ANON;
	return CRYO_FD_OTHER;
}

static int dump_one_fd(struct dump_ctx *dc, pid_t pid, int fd)
{
	struct cryo_img_fd f = {
		.size = sizeof(f), .pid = (uint32_t)pid, .fd = (uint32_t)fd};
	char path[64], target[4096], *info;
	const char *v;
	struct stat st;
	ssize_t n;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno; /* closed meanwhile */
	target[n] = 0;
	if (stat(path, &st) == 0) {
		f.ino = st.st_ino;
		f.kind = fd_kind(st.st_mode, target);
	} else {
		f.kind = fd_kind(0, target);
	}
	snprintf(path, sizeof(path), "fdinfo/%d", fd);
	ret = proc_slurp(pid, path, &info, NULL);
	if (ret) {
		pr_perr("read fdinfo", pid, "fd %d: %s", fd, strerror(-ret));
		return ret;
	}
	v = proc_field(info, "pos");
	f.pos = v ? strtoull(v, NULL, 10) : 0;
	v = proc_field(info, "flags");
	f.flags = v ? (uint32_t)strtoul(v, NULL, 8) : 0;
	v = proc_field(info, "mnt_id");
	f.mnt_id = v ? (uint32_t)strtoul(v, NULL, 10) : 0;
	free(info);
	return cryo_img_write_rec(dc->w, CRYO_REC_FD, &f, sizeof(f), target,
				  strlen(target) + 1);
}

static int dump_fds(struct dump_ctx *dc, struct dtask *task)
{
	int *fds, nr, ret = 0;

	nr = proc_list_ids(task->pid, "fd", &fds);
	if (nr < 0) {
		pr_perr("list fds", task->pid, "%s", strerror(-nr));
		return nr;
	}
	for (int i = 0; !ret && i < nr; i++)
		ret = dump_one_fd(dc, task->pid, fds[i]);
	free(fds);
	return ret;
}

const struct res_ops res_fd_ops = {
	.name = "fd",
	.dump_task = dump_fds,
};
