// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fd table: one FD record per open descriptor with its kind, open
 * flags, offset and what it points at. Step 1 records them; restoring each
 * kind is the business of later steps.
 *
 * What step 3 restores is all the dump accepts: regular files (not memfds,
 * not deleted ones), /dev/null, /dev/zero, /dev/random, /dev/urandom, and a
 * terminal with -j/--shell-job. Anything else fails the dump with one line
 * naming the fd and its kind ("fd 5: eventfd not supported yet"), before a
 * single page is written, and the tree runs on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* The memory character devices step 3 restores: null, zero, random, urandom */
static bool mem_chrdev_ok(dev_t rdev)
{
	unsigned int mi = minor(rdev);

	return major(rdev) == 1 && (mi == 3 || mi == 5 || mi == 8 || mi == 9);
}

/* A terminal: tty*, console, /dev/tty, ptmx and the pty slaves (pts). */
static bool is_terminal(dev_t rdev)
{
	unsigned int ma = major(rdev);

	return ma == 4 || (ma == 5 && minor(rdev) <= 2) ||
	       (ma >= 136 && ma <= 143);
}

/*
 * Whether the dump can take fd (st: its stat, NULL if that failed; target:
 * its /proc link). 0, or -EOPNOTSUPP with the one error line logged.
 */
static int fd_supported(struct dump_ctx *dc, pid_t pid, int fd,
			const struct stat *st, const char *target)
{
	char kind[320];
	const char *what = kind;

	if (!strncmp(target, "pipe:", 5)) {
		what = "pipe";
	} else if (!strncmp(target, "socket:", 7)) {
		what = "socket";
	} else if (!strncmp(target, "anon_inode:", 11)) {
		/* "anon_inode:[eventfd]", "anon_inode:inotify" */
		snprintf(kind, sizeof(kind), "%.*s",
			 (int)strcspn(target + 11 + (target[11] == '['), "]"),
			 target + 11 + (target[11] == '['));
		if (!strcmp(kind, "eventpoll"))
			what = "epoll";
	} else if (!strncmp(target, "/memfd:", 7)) {
		what = "memfd";
	} else if (!st) {
		snprintf(kind, sizeof(kind), "file of unknown type (%.256s)",
			 target);
	} else if (S_ISREG(st->st_mode)) {
		if (st->st_nlink)
			return 0;
		snprintf(kind, sizeof(kind), "deleted file %.256s", target);
	} else if (S_ISCHR(st->st_mode)) {
		if (mem_chrdev_ok(st->st_rdev))
			return 0;
		if (is_terminal(st->st_rdev)) {
			if (dc->c->opts.shell_job)
				return 0;
			pr_perr("dump", pid,
				"fd %d: terminal %s needs -j/--shell-job", fd,
				target);
			return -EOPNOTSUPP;
		}
		snprintf(kind, sizeof(kind), "character device %.256s (%u:%u)",
			 target, major(st->st_rdev), minor(st->st_rdev));
	} else if (S_ISDIR(st->st_mode)) {
		snprintf(kind, sizeof(kind), "directory %.256s", target);
	} else if (S_ISBLK(st->st_mode)) {
		snprintf(kind, sizeof(kind), "block device %.256s", target);
	} else if (S_ISFIFO(st->st_mode)) {
		snprintf(kind, sizeof(kind), "fifo %.256s", target);
	} else if (S_ISSOCK(st->st_mode)) {
		what = "socket";
	} else {
		snprintf(kind, sizeof(kind), "file of unknown type (%.256s)",
			 target);
	}
	pr_perr("dump", pid, "fd %d: %s not supported yet", fd, what);
	return -EOPNOTSUPP;
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
		ret = fd_supported(dc, pid, fd, &st, target);
	} else {
		f.kind = fd_kind(0, target);
		ret = fd_supported(dc, pid, fd, NULL, target);
	}
	if (ret)
		return ret;
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
