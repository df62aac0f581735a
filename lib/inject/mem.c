// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Target memory and fds: process_vm_readv/writev in bulk, /proc/PID/mem
 * for what they refuse (pages without the access rights: the kernel's
 * /proc/PID/mem forces), and pidfd_getfd for file descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "inject-internal.h"

static int mem_fd(struct cryo_victim *v)
{
	char path[64];

	if (v->mem_fd >= 0)
		return v->mem_fd;
	snprintf(path, sizeof(path), "/proc/%d/mem", v->pid);
	v->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->mem_fd < 0)
		return -errno;
	return v->mem_fd;
}

/* Moves len bytes, process_vm_* first, then /proc/PID/mem for the rest. */
static ssize_t mem_xfer(struct cryo_victim *v, unsigned long addr, void *buf,
			size_t len, bool write)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	while (done < len) {
		struct iovec local = {(char *)buf + done, len - done};
		struct iovec remote = {(void *)(addr + done), len - done};

		if (write)
			n = process_vm_writev(v->pid, &local, 1, &remote, 1, 0);
		else
			n = process_vm_readv(v->pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			break;
		done += n;
	}
	while (done < len) {
		fd = mem_fd(v);
		if (fd < 0)
			return done ? (ssize_t)done : fd;
		if (write)
			n = pwrite(fd, (char *)buf + done, len - done,
				   addr + done);
		else
			n = pread(fd, (char *)buf + done, len - done,
				  addr + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return done ? (ssize_t)done : (n ? -errno : -EFAULT);
		done += n;
	}
	return done;
}

ssize_t cryo_mem_read(struct cryo_victim *v, unsigned long addr, void *buf,
		      size_t len)
{
	return mem_xfer(v, addr, buf, len, false);
}

ssize_t cryo_mem_write(struct cryo_victim *v, unsigned long addr,
		       const void *buf, size_t len)
{
	return mem_xfer(v, addr, (void *)buf, len, true);
}

ssize_t cryo_inject_read(struct cryo_victim *v, unsigned long addr, void *buf,
			 size_t len)
{
	ssize_t n = cryo_mem_read(v, addr, buf, len);

	if (n < 0)
		pr_err(v, "cannot read %zu bytes at 0x%lx (pid %d): %s", len,
		       addr, v->pid, strerror(-n));
	return n;
}

ssize_t cryo_inject_write(struct cryo_victim *v, unsigned long addr,
			  const void *buf, size_t len)
{
	ssize_t n = cryo_mem_write(v, addr, buf, len);

	if (n < 0)
		pr_err(v, "cannot write %zu bytes at 0x%lx (pid %d): %s", len,
		       addr, v->pid, strerror(-n));
	return n;
}

int cryo_inject_getfd(struct cryo_victim *v, int target_fd)
{
	int fd;

	if (v->pidfd < 0) {
		v->pidfd = syscall(CRYO_NR_PIDFD_OPEN, v->pid, 0);
		if (v->pidfd < 0) {
			int err = -errno;

			pr_fail(v, err, "cannot open a pidfd (pid %d): %s",
				v->pid, strerror(-err));
			v->pidfd = -1;
			return err;
		}
	}
	fd = syscall(CRYO_NR_PIDFD_GETFD, v->pidfd, target_fd, 0);
	if (fd < 0) {
		int err = -errno;

		pr_fail(v, err, "cannot take fd %d (pid %d): %s", target_fd,
			v->pid, strerror(-err));
		return err;
	}
	return fd;
}
