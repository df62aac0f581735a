// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fds_basic: the fd table of regular files and simple character devices
 * survives C/R: numbers (with gaps, up to 200), files, access modes, status
 * flags, close-on-exec flags, offsets and shared open file descriptions.
 *
 * State (besides fds 0-2 from the harness):
 *   3   file A, O_RDONLY, offset 100
 *   4   file A, O_RDWR, offset 2000
 *   5   file B (a name with a space), O_WRONLY|O_APPEND, at its end
 *   7   file A, O_RDONLY|O_CLOEXEC, offset 5
 *   9   /dev/null, O_WRONLY
 *   10  dup of 4 (one open file description, offset shared)
 *   12  /dev/zero, O_RDONLY
 *   14  /dev/urandom, O_RDONLY|O_NONBLOCK
 *   100 /dev/null, O_RDWR|O_CLOEXEC
 *   200 /dev/zero, O_RDWR
 * Verified: exactly the same fds are open; for each: the /proc/self/fd link,
 * device and inode (and rdev), F_GETFL, F_GETFD and the offset (but for the
 * harness's log on fds 1 and 2); kcmp says 4
 * and 10 are one file description and 3 and 4 are two; moving 4's offset
 * moves 10's; the files' contents; reading fd 3 at its offset gives file
 * A's bytes there; /dev/zero reads zeroes, /dev/urandom reads something
 * that is not all zeroes, /dev/null takes writes; a write through fd 5
 * still appends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crtest.h"

#define MAX_FDS	  32
#define FILE_SIZE 8192
#define SEED	  0xfd5

struct fd_state {
	int fd;
	int fl, fdfl;
	off_t pos;
	dev_t dev, rdev;
	ino_t ino;
	char link[PATH_MAX];
};

static struct fd_state before[MAX_FDS];
static int nr_before;
static char path_a[PATH_MAX], path_b[PATH_MAX];

static void cleanup(void)
{
	unlink(path_a);
	unlink(path_b);
}

static int record_one(int fd, struct fd_state *s)
{
	char proc[64];
	struct stat st;
	ssize_t n;

	s->fd = fd;
	s->fl = fcntl(fd, F_GETFL);
	s->fdfl = fcntl(fd, F_GETFD);
	s->pos = lseek(fd, 0, SEEK_CUR);
	if (s->pos < 0)
		s->pos = -errno;
	if (s->fl < 0 || s->fdfl < 0 || fstat(fd, &st))
		return -errno;
	s->dev = st.st_dev;
	s->rdev = st.st_rdev;
	s->ino = st.st_ino;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, s->link, sizeof(s->link) - 1);
	if (n < 0)
		return -errno;
	s->link[n] = '\0';
	return 0;
}

/* Every open fd but the directory stream's own, sorted. */
static int record_all(struct fd_state *out)
{
	int fds[MAX_FDS], n = 0;
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		cr_fatal("opendir /proc/self/fd: %m");
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		if (n == MAX_FDS)
			cr_fatal("more than %d fds open", MAX_FDS);
		fds[n++] = fd;
	}
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int t = fds[j];

			fds[j] = fds[j - 1];
			fds[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		int ret = record_one(fds[i], &out[i]);

		if (ret)
			cr_fatal("fd %d: %s", fds[i], strerror(-ret));
	}
	return n;
}

static void compare(const struct fd_state *a, const struct fd_state *b)
{
	if (strcmp(a->link, b->link))
		cr_fail("fd %d: links to '%s', was '%s'", a->fd, a->link,
			b->link);
	if (a->dev != b->dev || a->ino != b->ino || a->rdev != b->rdev)
		cr_fail("fd %d: dev %#lx ino %lu rdev %#lx, was %#lx %lu %#lx",
			a->fd, (unsigned long)a->dev, (unsigned long)a->ino,
			(unsigned long)a->rdev, (unsigned long)b->dev,
			(unsigned long)b->ino, (unsigned long)b->rdev);
	if (a->fl != b->fl)
		cr_fail("fd %d (%s): F_GETFL %#o, was %#o", a->fd, a->link,
			a->fl, b->fl);
	if (a->fdfl != b->fdfl)
		cr_fail("fd %d (%s): F_GETFD %#x, was %#x", a->fd, a->link,
			a->fdfl, b->fdfl);
	/* fds 1 and 2 are the log, which grows as the test logs */
	if (a->fd > 2 && a->pos != b->pos)
		cr_fail("fd %d (%s): offset %lld, was %lld", a->fd, a->link,
			(long long)a->pos, (long long)b->pos);
}

static void place(int fd, int want, off_t pos)
{
	if (fd < 0)
		cr_fatal("open for fd %d: %m", want);
	if (fd != want) {
		if (dup3(fd, want,
			 fcntl(fd, F_GETFD) & FD_CLOEXEC ? O_CLOEXEC : 0) !=
		    want)
			cr_fatal("dup3 to %d: %m", want);
		close(fd);
	}
	if (pos >= 0 && lseek(want, pos, SEEK_SET) != pos)
		cr_fatal("lseek fd %d: %m", want);
}

static void make_file(char *path, const char *name, uint64_t seed)
{
	const char *tmp = getenv("TMPDIR");
	unsigned char buf[FILE_SIZE];
	int fd;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(path, PATH_MAX, "%s/%s.XXXXXX", tmp, name);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		cr_fatal("mkostemp %s: %m", path);
	cr_fill_pattern(buf, sizeof(buf), seed);
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		cr_fatal("write %s: %m", path);
	close(fd);
}

static long kcmp_file(int a, int b)
{
	pid_t p = getpid();

	return syscall(SYS_kcmp, p, p, KCMP_FILE, a, b);
}

static void check_io(void)
{
	unsigned char buf[FILE_SIZE], want[FILE_SIZE];
	struct stat st;
	bool zero = true;

	cr_fill_pattern(want, sizeof(want), SEED);
	if (pread(4, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
	    memcmp(buf, want, sizeof(buf)))
		cr_fail("file A: contents differ or cannot be read (%m)");
	if (read(3, buf, 50) != 50 || memcmp(buf, want + 100, 50))
		cr_fail("fd 3: reading at offset 100 gives other bytes (%m)");
	/* 4 and 10 share one offset */
	if (lseek(4, 3000, SEEK_SET) != 3000 || lseek(10, 0, SEEK_CUR) != 3000)
		cr_fail("fds 4 and 10: moving 4's offset to 3000 leaves 10's at %lld",
			(long long)lseek(10, 0, SEEK_CUR));
	if (read(12, buf, 4096) != 4096)
		cr_fail("/dev/zero (fd 12): read: %m");
	for (int i = 0; i < 4096; i++)
		if (buf[i]) {
			cr_fail("/dev/zero (fd 12): read a nonzero byte");
			break;
		}
	if (read(200, buf, 16) != 16 || buf[0] || buf[15])
		cr_fail("/dev/zero (fd 200): read %m or nonzero bytes");
	memset(buf, 0, 32);
	if (read(14, buf, 32) != 32)
		cr_fail("/dev/urandom (fd 14): read: %m");
	for (int i = 0; i < 32; i++)
		zero = zero && !buf[i];
	if (zero)
		cr_fail("/dev/urandom (fd 14): 32 zero bytes");
	if (write(9, "x", 1) != 1 || write(100, "x", 1) != 1)
		cr_fail("/dev/null: write: %m");
	if (write(5, "appended", 8) != 8)
		cr_fail("fd 5: write: %m");
	else if (stat(path_b, &st) || st.st_size != FILE_SIZE + 8)
		cr_fail("fd 5: a write did not append (size %lld)",
			(long long)st.st_size);
}

int main(int argc, char **argv)
{
	struct fd_state after[MAX_FDS];
	int nr_after;

	cr_init(argc, argv);
	make_file(path_a, "cr-fds-a", SEED);
	make_file(path_b, "cr fds b", SEED + 1);
	atexit(cleanup);

	place(open(path_a, O_RDONLY), 3, 100);
	place(open(path_a, O_RDWR), 4, 2000);
	place(open(path_b, O_WRONLY | O_APPEND), 5, -1);
	if (lseek(5, 0, SEEK_END) != FILE_SIZE)
		cr_fatal("lseek fd 5: %m");
	place(open(path_a, O_RDONLY | O_CLOEXEC), 7, 5);
	place(open("/dev/null", O_WRONLY), 9, -1);
	place(dup(4), 10, -1);
	place(open("/dev/zero", O_RDONLY), 12, -1);
	place(open("/dev/urandom", O_RDONLY | O_NONBLOCK), 14, -1);
	place(open("/dev/null", O_RDWR | O_CLOEXEC), 100, -1);
	place(open("/dev/zero", O_RDWR), 200, -1);

	cr_daemon();
	/* after cr_daemon(): it closes the launcher's pipe */
	nr_before = record_all(before);
	for (int i = 0; i < nr_before; i++)
		cr_msg("fd %d: %s flags %#o fdflags %#x pos %lld", before[i].fd,
		       before[i].link, before[i].fl, before[i].fdfl,
		       (long long)before[i].pos);
	if (kcmp_file(4, 10) != 0 || kcmp_file(3, 4) == 0)
		cr_fatal("kcmp does not tell the file descriptions apart: %m");
	cr_wait_check();

	nr_after = record_all(after);
	for (int i = 0, j = 0; i < nr_before || j < nr_after;) {
		if (j >= nr_after ||
		    (i < nr_before && before[i].fd < after[j].fd)) {
			cr_fail("fd %d (%s) is not open any more", before[i].fd,
				before[i].link);
			i++;
		} else if (i >= nr_before || after[j].fd < before[i].fd) {
			cr_fail("fd %d (%s) is open, it was not", after[j].fd,
				after[j].link);
			j++;
		} else {
			compare(&after[j++], &before[i++]);
		}
	}
	if (kcmp_file(4, 10) != 0)
		cr_fail("fds 4 and 10 are not one open file description any more");
	if (kcmp_file(3, 4) == 0)
		cr_fail("fds 3 and 4 are one open file description now");
	check_io();
	cr_pass();
}
