// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers shared by the resource modules; see res/res.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../log.h"
#include "res.h"

int dump_syscall(struct dtask *t, pid_t tid, long nr, unsigned long a0,
		 unsigned long a1, unsigned long a2, unsigned long a3,
		 long *res)
{
	const unsigned long args[6] = {a0, a1, a2, a3, 0, 0};
	int ret;

	ret = cryo_inject_syscall(t->victim, tid, nr, args, res);
	if (ret)
		pr_perr("inject syscall", tid ? tid : t->pid,
			"syscall %ld could not run: %s", nr, strerror(-ret));
	return ret;
}

int dump_syscall_ok(struct dtask *t, pid_t tid, const char *what, long nr,
		    unsigned long a0, unsigned long a1, unsigned long a2,
		    unsigned long a3, long *res)
{
	int ret = dump_syscall(t, tid, nr, a0, a1, a2, a3, res);

	if (ret)
		return ret;
	if (*res < 0 && *res > -4096) {
		pr_perr(what, tid ? tid : t->pid, "%s", strerror((int)-*res));
		return (int)*res;
	}
	return 0;
}

int dump_scratch(struct dtask *t, size_t len, unsigned long *addr)
{
	long res;
	int ret;

	/* shared anonymous: never merges with a neighbour of the image */
	ret = dump_syscall_ok(t, 0, "map scratch area", SYS_mmap, 0, len,
			      PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, &res);
	if (!ret)
		*addr = (unsigned long)res;
	return ret;
}

int dump_scratch_free(struct dtask *t, unsigned long addr, size_t len)
{
	long res;

	return dump_syscall_ok(t, 0, "unmap scratch area", SYS_munmap, addr,
			       len, 0, 0, &res);
}

int dump_read(struct dtask *t, unsigned long addr, void *buf, size_t len)
{
	ssize_t n = cryo_inject_read(t->victim, addr, buf, len);

	if (n == (ssize_t)len)
		return 0;
	pr_perr("read scratch area", t->pid, "%s",
		n < 0 ? strerror((int)-n) : "short read");
	return n < 0 ? (int)n : -EIO;
}

int res_index(const struct res_ops *ops)
{
	for (size_t i = 0; i < res_table_nr && i < RST_MAX_MODULES; i++)
		if (res_table[i] == ops)
			return (int)i;
	return -1;
}

void *res_priv(struct rtask *t, const struct res_ops *ops)
{
	int i = res_index(ops);

	return i < 0 ? NULL : t->priv[i];
}

int res_set_priv(struct rtask *t, const struct res_ops *ops, void *p)
{
	int i = res_index(ops);

	if (i < 0)
		return -ENOENT;
	t->priv[i] = p;
	return 0;
}

int proc_write_str(pid_t pid, pid_t tid, const char *name, const char *what,
		   const char *val)
{
	size_t len = strlen(val);
	char path[96];
	ssize_t n;
	int fd, ret = 0;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid,
			 (int)tid, name);
	else
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	n = write(fd, val, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
out:
	if (ret)
		pr_perr(what, tid ? tid : pid, "write %s: %s", path,
			strerror(-ret));
	return ret;
}
