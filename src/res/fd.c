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
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../dump.h"
#include "../log.h"
#include "../restore.h"

#define KCMP_FILE_ 0 /* kcmp(2) type: same struct file */

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

/*
 * 1 + the lowest fd before fds[i] that is the same open file description
 * (dup, dup2, fork: one offset, one set of status flags), or 0. Only fds
 * on the same inode are asked of kcmp.
 */
static uint32_t find_dup(pid_t pid, const int *fds, const uint64_t *inos, int i)
{
	for (int k = 0; k < i; k++)
		if (inos[k] == inos[i] &&
		    syscall(SYS_kcmp, pid, pid, KCMP_FILE_, fds[k], fds[i]) ==
			    0)
			return (uint32_t)fds[k] + 1;
	return 0;
}

static int dump_one_fd(struct dump_ctx *dc, pid_t pid, const int *fds,
		       uint64_t *inos, int i)
{
	int fd = fds[i];
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
		inos[i] = st.st_ino;
		f.dup_of = find_dup(pid, fds, inos, i);
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
	uint64_t *inos;
	int *fds, nr, ret = 0;

	nr = proc_list_ids(task->pid, "fd", &fds);
	if (nr < 0) {
		pr_perr("list fds", task->pid, "%s", strerror(-nr));
		return nr;
	}
	inos = calloc((size_t)nr + 1, sizeof(*inos));
	if (!inos) {
		free(fds);
		return -ENOMEM;
	}
	for (int i = 0; !ret && i < nr; i++)
		ret = dump_one_fd(dc, task->pid, fds, inos, i);
	free(inos);
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
		int fd;

		/* The same open file description as a lower fd: share it. */
		if (f->f.dup_of && f->f.dup_of - 1 < f->f.fd) {
			if (dup3((int)f->f.dup_of - 1, (int)f->f.fd,
				 (f->f.flags & O_CLOEXEC) ? O_CLOEXEC : 0) <
			    0) {
				int err = errno;

				pr_perr("restore", t->pid,
					"fd %u: dup of %u: %s", f->f.fd,
					f->f.dup_of - 1, strerror(err));
				return -err;
			}
			continue;
		}
		fd = reopen(rc, t, f);

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
