// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel feature probes of cryo check, part 2: memory tracking
 * (userfaultfd, PAGEMAP_SCAN, soft-dirty), TCP repair, namespaces and
 * timers. Same rules as check-probes.c: each tries its feature for real
 * in a child where it changes state, and cleans up on every path.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "check.h"

/* ---- memory tracking ------------------------------------------------- */

/*
 * A userfaultfd: the syscall first, /dev/userfaultfd (root or group
 * access, no CAP_SYS_PTRACE needed) if that is refused. Returns the fd
 * or -errno.
 */
static int uffd_open(char *why, size_t len)
{
	int fd, dev;

	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 || errno != EPERM)
		return fd >= 0 ? fd : probe_fail_errno(why, len, "userfaultfd");
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return probe_fail_errno(why, len,
					"userfaultfd and /dev/userfaultfd");
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		fd = probe_fail_errno(why, len, "USERFAULTFD_IOC_NEW");
	close(dev);
	return fd;
}

/* UFFDIO_API asking for asynchronous write-protection. */
static int uffd_api(int fd, uint64_t *features, char *why, size_t len)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	};

	if (ioctl(fd, UFFDIO_API, &api))
		return probe_fail_errno(why, len,
					"UFFDIO_API WP_ASYNC|WP_UNPOPULATED");
	if (features)
		*features = api.features;
	return 0;
}

/* The features cryo's dirty tracking needs are accepted. */
int check_userfaultfd(char *why, size_t len)
{
	uint64_t features = 0;
	int fd, ret;

	fd = uffd_open(why, len);
	if (fd < 0)
		return fd;
	ret = uffd_api(fd, &features, why, len);
	if (!ret)
		snprintf(why, len, "features %#" PRIx64, features);
	close(fd);
	return ret;
}

/*
 * Arms async write-protection over @size bytes at @area, as pre-dump does
 * to track writes. Returns the userfaultfd, which must stay open for the
 * registration to last, or -errno. Only ever called in a child: a kernel
 * that ignored WP_ASYNC would block a write there, not in cryo.
 */
static int uffd_wp_arm(void *area, size_t size, char *why, size_t len)
{
	struct uffdio_register reg = {
		.range = {.start = (uintptr_t)area, .len = size},
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct uffdio_writeprotect wp = {
		.range = {.start = (uintptr_t)area, .len = size},
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	int fd, ret;

	fd = uffd_open(why, len);
	if (fd < 0)
		return fd;
	ret = uffd_api(fd, NULL, why, len);
	if (ret)
		goto out_close;
	if (ioctl(fd, UFFDIO_REGISTER, &reg)) {
		ret = probe_fail_errno(why, len, "UFFDIO_REGISTER MODE_WP");
		goto out_close;
	}
	if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp)) {
		ret = probe_fail_errno(why, len, "UFFDIO_WRITEPROTECT");
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return ret;
}

/*
 * In a child: two present pages are write-protected (pagemap bit 57 set);
 * a write to one goes through at once (WP_ASYNC) and clears its bit only.
 */
static int child_uffd_wp(void *arg, char *why, size_t len)
{
	size_t psz = probe_page_size();
	uint64_t e0, e1, d0, d1;
	int uffd, pm, ret;
	char *area;

	area = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return probe_fail_errno(why, len, "mmap");
	memset(area, 1, 2 * psz);
	uffd = uffd_wp_arm(area, 2 * psz, why, len);
	if (uffd < 0)
		return uffd;
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return probe_fail_errno(why, len, "open /proc/self/pagemap");
	ret = probe_pagemap_entry(pm, area, &e0);
	if (!ret)
		ret = probe_pagemap_entry(pm, area + psz, &e1);
	area[psz] = 2;
	if (!ret)
		ret = probe_pagemap_entry(pm, area, &d0);
	if (!ret)
		ret = probe_pagemap_entry(pm, area + psz, &d1);
	if (ret)
		return probe_fail(why, len, -ret, "reading /proc/self/pagemap");
	if (!(e0 & e1 & d0 & PM_UFFD_WP) || (d1 & PM_UFFD_WP)) {
		snprintf(why, len,
			 "uffd-wp bits %d%d, %d%d after writing page 1",
			 !!(e0 & PM_UFFD_WP), !!(e1 & PM_UFFD_WP),
			 !!(d0 & PM_UFFD_WP), !!(d1 & PM_UFFD_WP));
		return -EPROTO;
	}
	return 0;
}

int check_uffd_wp(char *why, size_t len)
{
	return probe_run_in_child(child_uffd_wp, NULL, why, len);
}

/*
 * In the child, on the probe's 4-page area: pages 0-1 present, 2-3 not;
 * arm write-protection, then write pages 1 and 3.
 */
static int child_scan_area(void *arg, char *why, size_t len)
{
	size_t psz = probe_page_size();
	char *area = arg;
	int uffd;

	memset(area, 1, 2 * psz);
	uffd = uffd_wp_arm(area, 4 * psz, why, len);
	if (uffd < 0)
		return uffd;
	area[psz] = 2;
	area[3 * psz] = 2;
	return 0; /* the uffd stays open: closing it would unregister */
}

/* One PAGEMAP_SCAN for written pages that write-protects them again. */
static long pagemap_scan(int pm, char *area, size_t size,
			 struct cryo_page_region *vec, size_t nr)
{
	struct cryo_pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.start = (uintptr_t)area,
		.end = (uintptr_t)area + size,
		.vec = (uintptr_t)vec,
		.vec_len = nr,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};

	return ioctl(pm, CRYO_PAGEMAP_SCAN, &arg);
}

/*
 * Scans the child's pagemap from here, as pre-dump does: exactly pages 1
 * and 3 are reported written, and a second scan finds nothing, because
 * the first one protected them again.
 */
int check_pagemap_scan(char *why, size_t len)
{
	size_t psz = probe_page_size(), size = 4 * psz;
	struct cryo_page_region vec[4];
	char path[64], *area;
	long n1, n2;
	int pm, ret;
	pid_t pid;

	area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return probe_fail_errno(why, len, "mmap");
	ret = probe_child_run(&pid, child_scan_area, area, true, why, len);
	if (ret)
		goto out_unmap;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	if (pm < 0) {
		ret = probe_fail_errno(why, len, "open /proc/PID/pagemap");
		goto out_kill;
	}
	n1 = pagemap_scan(pm, area, size, vec, 4);
	if (n1 < 0) {
		ret = probe_fail_errno(why, len, "PAGEMAP_SCAN");
		goto out_close;
	}
	if (n1 != 2 || vec[0].start != (uintptr_t)area + psz ||
	    vec[0].end != (uintptr_t)area + 2 * psz ||
	    vec[1].start != (uintptr_t)area + 3 * psz ||
	    vec[1].end != (uintptr_t)area + 4 * psz) {
		snprintf(why, len,
			 "written pages 1 and 3, scan found %ld regions", n1);
		ret = -EPROTO;
		goto out_close;
	}
	n2 = pagemap_scan(pm, area, size, vec, 4);
	if (n2 != 0) {
		snprintf(why, len, "a second scan found %ld regions, not 0",
			 n2);
		ret = -EPROTO;
	}
out_close:
	close(pm);
out_kill:
	probe_child_kill(pid);
out_unmap:
	munmap(area, size);
	return ret;
}

/*
 * In a child: clear soft-dirty bits, write a page, look for bit 55. A
 * kernel without CONFIG_MEM_SOFT_DIRTY never sets it.
 */
static int child_soft_dirty(void *arg, char *why, size_t len)
{
	size_t psz = probe_page_size();
	uint64_t ent;
	int fd, ret;
	char *page;

	page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return probe_fail_errno(why, len, "mmap");
	page[0] = 1;
	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return probe_fail_errno(why, len, "open /proc/self/clear_refs");
	if (write(fd, "4", 1) != 1)
		return probe_fail_errno(why, len, "clear_refs 4");
	close(fd);
	page[0] = 2;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return probe_fail_errno(why, len, "open /proc/self/pagemap");
	ret = probe_pagemap_entry(fd, page, &ent);
	if (ret)
		return probe_fail(why, len, -ret, "reading /proc/self/pagemap");
	if (!(ent & PM_SOFT_DIRTY)) {
		snprintf(why, len,
			 "pagemap bit 55 never set after a write "
			 "(CONFIG_MEM_SOFT_DIRTY off)");
		return -EOPNOTSUPP;
	}
	return 0;
}

int check_soft_dirty(char *why, size_t len)
{
	return probe_run_in_child(child_soft_dirty, NULL, why, len);
}

/* ---- network --------------------------------------------------------- */

/*
 * A loopback connection: enter repair mode, read the send queue's
 * sequence number and the window, leave repair mode.
 */
int check_tcp_repair(char *why, size_t len)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	int lsk, csk, ask, ret = 0, on = 1, off = TCP_REPAIR_OFF;
	int q = TCP_SEND_QUEUE;
	socklen_t alen = sizeof(addr);
	struct tcp_repair_window win;
	socklen_t wlen = sizeof(win);
	uint32_t seq;
	socklen_t slen = sizeof(seq);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsk < 0)
		return probe_fail_errno(why, len, "socket");
	if (bind(lsk, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lsk, 1) ||
	    getsockname(lsk, (struct sockaddr *)&addr, &alen)) {
		ret = probe_fail_errno(why, len, "listen on 127.0.0.1");
		goto out_close_lsk;
	}
	csk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (csk < 0) {
		ret = probe_fail_errno(why, len, "socket");
		goto out_close_lsk;
	}
	if (connect(csk, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = probe_fail_errno(why, len, "connect to 127.0.0.1");
		goto out_close_csk;
	}
	ask = accept4(lsk, NULL, NULL, SOCK_CLOEXEC);
	if (ask < 0) {
		ret = probe_fail_errno(why, len, "accept");
		goto out_close_csk;
	}
	if (setsockopt(csk, SOL_TCP, TCP_REPAIR, &on, sizeof(on))) {
		ret = probe_fail_errno(why, len, "TCP_REPAIR on");
		goto out_close_ask;
	}
	if (setsockopt(csk, SOL_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)))
		ret = probe_fail_errno(why, len, "TCP_REPAIR_QUEUE");
	else if (getsockopt(csk, SOL_TCP, TCP_QUEUE_SEQ, &seq, &slen))
		ret = probe_fail_errno(why, len, "TCP_QUEUE_SEQ");
	else if (getsockopt(csk, SOL_TCP, TCP_REPAIR_WINDOW, &win, &wlen))
		ret = probe_fail_errno(why, len, "TCP_REPAIR_WINDOW");
	if (setsockopt(csk, SOL_TCP, TCP_REPAIR, &off, sizeof(off)) && !ret)
		ret = probe_fail_errno(why, len, "TCP_REPAIR off");
out_close_ask:
	close(ask);
out_close_csk:
	close(csk);
out_close_lsk:
	close(lsk);
	return ret;
}

/* ---- namespaces and timers ------------------------------------------- */

/*
 * In a child: unshares each namespace kind on its own, the user namespace
 * last (after it the child has no privilege left outside it), and lists
 * the ones refused.
 */
static int child_namespaces(void *arg, char *why, size_t len)
{
	static const struct {
		int flag;
		const char *name;
	} kinds[] = {
		{CLONE_NEWPID, "pid"},	 {CLONE_NEWNS, "mnt"},
		{CLONE_NEWNET, "net"},	 {CLONE_NEWUTS, "uts"},
		{CLONE_NEWIPC, "ipc"},	 {CLONE_NEWCGROUP, "cgroup"},
		{CLONE_NEWTIME, "time"}, {CLONE_NEWUSER, "user"},
	};
	size_t i, used = 0;
	int ret = 0;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *err;

		if (!unshare(kinds[i].flag))
			continue;
		ret = -errno;
		err = strerrorname_np(errno);
		if (used < len)
			used += (size_t)snprintf(
				why + used, len - used, "%s%s (%s)",
				used ? ", " : "unshare refused: ",
				kinds[i].name, err ? err : "?");
	}
	return ret;
}

int check_namespaces(char *why, size_t len)
{
	return probe_run_in_child(child_namespaces, NULL, why, len);
}

/*
 * In a child: a new time namespace takes a monotonic offset of 100 s
 * before any task enters it; a grandchild (the first task in it) sees the
 * clock 100 s ahead.
 */
static int child_time_ns(void *arg, char *why, size_t len)
{
	static const char offs[] = "monotonic 100 0\n";
	struct timespec t0, t1;
	int fd, status;
	pid_t pid;

	if (unshare(CLONE_NEWTIME))
		return probe_fail_errno(why, len, "unshare CLONE_NEWTIME");
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return probe_fail_errno(why, len,
					"open /proc/self/timens_offsets");
	if (write(fd, offs, sizeof(offs) - 1) != sizeof(offs) - 1)
		return probe_fail_errno(why, len, "write timens_offsets");
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return probe_fail_errno(why, len, "fork");
	if (pid == 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		_exit(t1.tv_sec - t0.tv_sec >= 99 && t1.tv_sec - t0.tv_sec < 110
			      ? 0
			      : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return probe_fail_errno(why, len, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, len,
			 "the offset did not show inside the namespace");
		return -EPROTO;
	}
	return 0;
}

int check_time_ns(char *why, size_t len)
{
	return probe_run_in_child(child_time_ns, NULL, why, len);
}

#define TIMER_ID_WANTED 42

/* In a child: with restore ids on, timer_create takes the id asked for. */
static int child_timer_ids(void *arg, char *why, size_t len)
{
	struct sigevent sev = {.sigev_notify = SIGEV_NONE};
	int id = TIMER_ID_WANTED; /* the kernel reads the wanted id from here */
	int ret = 0;

	if (prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_ON,
		  0, 0, 0))
		return probe_fail_errno(why, len,
					"PR_TIMER_CREATE_RESTORE_IDS on");
	/* the raw syscall: glibc's timer_create passes its own id variable */
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id))
		return probe_fail_errno(why, len, "timer_create");
	if (id != TIMER_ID_WANTED) {
		snprintf(why, len, "asked for timer id %d, got %d",
			 TIMER_ID_WANTED, id);
		ret = -EPROTO;
	}
	syscall(SYS_timer_delete, id);
	if (prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_OFF,
		  0, 0, 0) &&
	    !ret)
		ret = probe_fail_errno(why, len,
				       "PR_TIMER_CREATE_RESTORE_IDS off");
	return ret;
}

int check_timer_ids(char *why, size_t len)
{
	return probe_run_in_child(child_timer_ids, NULL, why, len);
}
