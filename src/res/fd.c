// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fd table: one FD record per open descriptor with its kind, open
 * flags, offset and what it points at. Step 1 records them; restoring each
 * kind is the business of later steps.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../dump.h"
#include "../log.h"
#include "../restore.h"

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

/* ---- restore ---- */

/* Character devices any process may hold, reopened by path. */
static bool plain_device(const char *path)
{
	static const char *const ok[] = {"/dev/null", "/dev/zero", "/dev/full",
					 "/dev/random", "/dev/urandom"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(path, ok[i]))
			return true;
	return false;
}

static bool terminal(const char *path)
{
	return !strncmp(path, "/dev/pts/", 9) ||
	       !strncmp(path, "/dev/tty", 8) || !strcmp(path, "/dev/console");
}

/* Opens what fd f pointed at; returns a new fd or -errno (logged). */
static int reopen(struct rst_ctx *rc, struct rtask *t, const struct rfd *f)
{
	int flags = (int)f->f.flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	struct stat st;
	int fd;

	if (f->f.kind == CRYO_FD_CHR && terminal(f->path)) {
		if (rc->tty_fd < 0) {
			pr_perr("restore", t->pid,
				"fd %u: terminal %s needs -j/--shell-job and a terminal on cryo's stdin",
				f->f.fd, f->path);
			return -ENOTTY;
		}
		fd = dup(rc->tty_fd);
		if (fd >= 0 && fcntl(fd, F_SETFL, flags) < 0)
			pr_warn("pid %d: fd %u: cannot set flags 0%o", t->pid,
				f->f.fd, flags);
	} else if ((f->f.kind == CRYO_FD_CHR && plain_device(f->path)) ||
		   (f->f.kind == CRYO_FD_REG && f->path[0] == '/' &&
		    !strstr(f->path, " (deleted)") &&
		    strncmp(f->path, "/memfd:", 7))) {
		fd = open(f->path, flags);
	} else {
		pr_perr("restore", t->pid, "fd %u: %s not supported yet",
			f->f.fd, f->path);
		return -EOPNOTSUPP;
	}
	if (fd < 0) {
		int err = errno;

		pr_perr("restore", t->pid, "fd %u: open %s: %s", f->f.fd,
			f->path, strerror(err));
		return -err;
	}
	if (f->f.kind == CRYO_FD_REG &&
	    (fstat(fd, &st) || st.st_ino != f->f.ino)) {
		pr_perr("restore", t->pid,
			"fd %u: %s is not the file that was open (inode %llu, was %llu)",
			f->f.fd, f->path, (unsigned long long)st.st_ino,
			(unsigned long long)f->f.ino);
		close(fd);
		return -ESTALE;
	}
	if (f->f.kind == CRYO_FD_REG && !(flags & O_APPEND) &&
	    lseek(fd, (off_t)f->f.pos, SEEK_SET) != (off_t)f->f.pos) {
		int err = errno;

		pr_perr("restore", t->pid, "fd %u: seek %s to %llu: %s",
			f->f.fd, f->path, (unsigned long long)f->f.pos,
			strerror(err));
		close(fd);
		return -err;
	}
	if (f->f.kind == CRYO_FD_REG && (flags & O_APPEND))
		lseek(fd, (off_t)f->f.pos, SEEK_SET); /* only reads see it */
	return fd;
}

/*
 * In the new process: every fd at its number. The process's own helper
 * fds sit above every image fd (restore.c), so nothing is overwritten.
 */
static int restore_fds(struct rst_ctx *rc, struct rtask *t)
{
	for (int i = 0; i < t->nr_fds; i++) {
		const struct rfd *f = &t->fds[i];
		int fd = reopen(rc, t, f);

		if (fd < 0)
			return fd;
		if (fd != (int)f->f.fd) {
			if (dup3(fd, (int)f->f.fd,
				 (f->f.flags & O_CLOEXEC) ? O_CLOEXEC : 0) <
			    0) {
				int err = errno;

				pr_perr("restore", t->pid, "fd %u: dup: %s",
					f->f.fd, strerror(err));
				close(fd);
				return -err;
			}
			close(fd);
		} else if (!(f->f.flags & O_CLOEXEC)) {
			fcntl(fd, F_SETFD, 0);
		}
	}
	return 0;
}

const struct res_ops res_fd_ops = {
	.name = "fd",
	.dump_task = dump_fds,
	.restore_child = restore_fds,
};
