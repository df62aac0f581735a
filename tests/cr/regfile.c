// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * regfile: open regular files survive C/R with their fd numbers, access
 * modes, status flags, close-on-exec flags and offsets.
 *
 * State: a 4 KiB patterned file opened O_RDWR|O_APPEND at offset 1234, the
 * same file O_RDONLY at offset 77 as fd 100 with FD_CLOEXEC, and a second file
 * (with a space in its name) O_WRONLY|O_NONBLOCK at offset 10000, past its
 * end. Verified: the set of open fds, and for each fd the file (device,
 * inode, /proc/self/fd link), F_GETFL, F_GETFD and the offset; the contents;
 * and that a write through the O_APPEND fd still goes to the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crtest.h"

#define FILE_SIZE 4096
#define SEED	  42
#define MAX_FDS	  64

struct fd_state {
	const char *name;
	int fd;
	int fl, fdfl;
	off_t pos;
	dev_t dev;
	ino_t ino;
	char link[PATH_MAX];
};

static struct fd_state fds[3];
static char path_a[PATH_MAX], path_c[PATH_MAX];

static void cleanup(void)
{
	unlink(path_a);
	unlink(path_c);
}

static int fd_link(int fd, char *buf, size_t size)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void record(struct fd_state *s, const char *name, int fd)
{
	struct stat st;

	s->name = name;
	s->fd = fd;
	s->fl = fcntl(fd, F_GETFL);
	s->fdfl = fcntl(fd, F_GETFD);
	s->pos = lseek(fd, 0, SEEK_CUR);
	if (s->fl < 0 || s->fdfl < 0 || s->pos < 0 || fstat(fd, &st))
		cr_fatal("%s (fd %d): %m", name, fd);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (fd_link(fd, s->link, sizeof(s->link)))
		cr_fatal("%s: readlink: %m", name);
	cr_msg("%s: fd %d flags %#o fdflags %#x pos %lld -> %s", name, fd,
	       s->fl, s->fdfl, (long long)s->pos, s->link);
}

static void check(const struct fd_state *s)
{
	char link[PATH_MAX];
	struct stat st;
	off_t pos;
	int fl, ret;

	if (fstat(s->fd, &st)) {
		cr_fail("%s: fd %d is not open (%m)", s->name, s->fd);
		return;
	}
	if (st.st_dev != s->dev || st.st_ino != s->ino)
		cr_fail("%s: fd %d is inode %lu on %#lx, was %lu on %#lx",
			s->name, s->fd, (unsigned long)st.st_ino,
			(unsigned long)st.st_dev, (unsigned long)s->ino,
			(unsigned long)s->dev);
	ret = fd_link(s->fd, link, sizeof(link));
	if (ret)
		cr_fail("%s: readlink fd %d: %s", s->name, s->fd,
			strerror(-ret));
	else if (strcmp(link, s->link))
		cr_fail("%s: fd %d links to '%s', was '%s'", s->name, s->fd,
			link, s->link);
	fl = fcntl(s->fd, F_GETFL);
	if (fl != s->fl)
		cr_fail("%s: fd %d F_GETFL %#o, was %#o", s->name, s->fd, fl,
			s->fl);
	fl = fcntl(s->fd, F_GETFD);
	if (fl != s->fdfl)
		cr_fail("%s: fd %d F_GETFD %#x, was %#x", s->name, s->fd, fl,
			s->fdfl);
	pos = lseek(s->fd, 0, SEEK_CUR);
	if (pos != s->pos)
		cr_fail("%s: fd %d offset %lld, was %lld", s->name, s->fd,
			(long long)pos, (long long)s->pos);
}

/* The open fds, as a bitmap of the first MAX_FDS numbers (+1: more). */
static unsigned long long fd_set_bits(int *more)
{
	unsigned long long bits = 0;
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	*more = 0;
	if (!d)
		cr_fatal("opendir /proc/self/fd: %m");
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		if (fd == 100)
			bits |= 1ULL << 63; /* stands for fd 100 */
		else if (fd < 63)
			bits |= 1ULL << fd;
		else
			(*more)++;
	}
	closedir(d);
	return bits;
}

static int open_tmp(char *path, const char *name, int flags)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(path, PATH_MAX, "%s/%s.XXXXXX", tmp, name);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		cr_fatal("mkostemp %s: %m", path);
	close(fd);
	fd = open(path, flags);
	if (fd < 0)
		cr_fatal("open %s: %m", path);
	return fd;
}

int main(int argc, char **argv)
{
	unsigned char buf[FILE_SIZE];
	unsigned long long fdbits, fdbits_now;
	int fd_a, fd_b, fd_c, more, more_now;
	size_t bad, first;
	struct stat st;

	cr_init(argc, argv);

	fd_a = open_tmp(path_a, "cr-regfile", O_RDWR | O_APPEND);
	atexit(cleanup);
	cr_fill_pattern(buf, sizeof(buf), SEED);
	if (write(fd_a, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		cr_fatal("write %s: %m", path_a);
	if (lseek(fd_a, 1234, SEEK_SET) != 1234)
		cr_fatal("lseek: %m");

	fd_b = open(path_a, O_RDONLY | O_CLOEXEC);
	if (fd_b < 0)
		cr_fatal("open %s: %m", path_a);
	if (dup3(fd_b, 100, O_CLOEXEC) != 100)
		cr_fatal("dup3 to 100: %m");
	close(fd_b);
	fd_b = 100;
	if (lseek(fd_b, 77, SEEK_SET) != 77)
		cr_fatal("lseek: %m");

	fd_c = open_tmp(path_c, "cr regfile 2", O_WRONLY | O_NONBLOCK);
	if (lseek(fd_c, 10000, SEEK_SET) != 10000)
		cr_fatal("lseek: %m");

	record(&fds[0], "rdwr-append", fd_a);
	record(&fds[1], "rdonly-cloexec", fd_b);
	record(&fds[2], "wronly-nonblock", fd_c);

	cr_daemon();
	/* after cr_daemon(): it closes the launcher's pipe */
	fdbits = fd_set_bits(&more);
	cr_wait_check();

	fdbits_now = fd_set_bits(&more_now);
	if (fdbits_now != fdbits || more_now != more)
		cr_fail("open fds differ: bitmap %#llx (+%d above 62), was %#llx (+%d) (bit 63 = fd 100)",
			fdbits_now, more_now, fdbits, more);
	for (int i = 0; i < 3; i++)
		check(&fds[i]);

	/* the contents, without moving any offset */
	memset(buf, 0, sizeof(buf));
	if (pread(fd_b, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
		cr_fail("pread %s: short or failed (%m)", path_a);
	} else {
		first = cr_check_pattern(buf, sizeof(buf), SEED, &bad);
		if (first != (size_t)-1)
			cr_fail("%s: %zu bytes differ, the first at %zu",
				path_a, bad, first);
	}
	if (stat(path_c, &st))
		cr_fail("stat %s: %m", path_c);
	else if (st.st_size != 0)
		cr_fail("%s: size %lld, expected 0", path_c,
			(long long)st.st_size);

	/* O_APPEND must still append, whatever the offset says */
	if (write(fd_a, "X", 1) != 1)
		cr_fail("write to the O_APPEND fd: %m");
	else if (lseek(fd_a, 0, SEEK_CUR) != FILE_SIZE + 1)
		cr_fail("a write through the O_APPEND fd left the offset at %lld, expected %d",
			(long long)lseek(fd_a, 0, SEEK_CUR), FILE_SIZE + 1);
	cr_pass();
}
