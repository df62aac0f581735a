// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * syscalls_fd: threads blocked in system calls on descriptors stay blocked
 * across C/R and get exactly what arrives after it.
 *
 * State: three pipes and an epoll instance; one thread blocked in read() on
 * pipe A, one in epoll_wait() on an epoll fd watching pipe B (EPOLLIN, with
 * a cookie in its data), one in poll() on pipe C; each seen blocked in its
 * call before the test declares itself ready.
 * Verified: at the check each is still blocked (or in restart_syscall);
 * then the main thread writes 100 patterned bytes into A and one byte into
 * B and C: the reader gets exactly those 100 bytes, epoll_wait returns one
 * event, EPOLLIN with the cookie, and poll returns 1 with POLLIN; nothing
 * returned before the writes.
 *
 * epoll_wait is the one call here that the kernel never restarts: any stop
 * of the thread (SIGSTOP, a ptrace interrupt, the cgroup freezer: all
 * measured) makes it return EINTR (signal(7) says so), so a dump, which
 * must stop the thread, makes it return EINTR whatever cryo does. The
 * waiter calls it again on EINTR, as programs must, and the test logs how
 * often; the event must still arrive and only after the write.
 *
 * Pipes and epoll are refused by the dump until step 6 (tests/cr/known-
 * failures lists this test until then); syscalls covers the fd-less calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crtest.h"

#define MSG_LEN 100
#define COOKIE	0xc00c1e5eedULL
#define SEED	0x9e7e

enum { R_READ, R_EPOLL, R_POLL, NR_WAITERS };

struct waiter {
	const char *name;
	long nr;
	pthread_t thread;
	pid_t tid;
	long ret;
	int err;
	atomic_int done;
	atomic_int sent; /* main wrote what it waits for */
	int early;
	int eintr; /* epoll_wait's EINTRs */
	unsigned char buf[MSG_LEN * 2];
	struct epoll_event ev;
	short revents;
};

static struct waiter w[NR_WAITERS] = {
	[R_READ] = {"read", SYS_read},
	[R_EPOLL] = {"epoll_wait", SYS_epoll_wait},
	[R_POLL] = {"poll", SYS_poll},
};
static int pipe_a[2], pipe_b[2], pipe_c[2], epfd;

static void *waiter_fn(void *arg)
{
	struct waiter *me = arg;
	struct pollfd pfd = {.fd = pipe_c[0], .events = POLLIN};

	me->tid = cr_gettid();
	switch (me - w) {
	case R_READ:
		me->ret =
			syscall(SYS_read, pipe_a[0], me->buf, sizeof(me->buf));
		break;
	case R_EPOLL:
		/* EINTR on any stop: see the top of the file */
		do {
			me->ret = syscall(SYS_epoll_wait, epfd, &me->ev, 1, -1);
		} while (me->ret < 0 && errno == EINTR && ++me->eintr);
		break;
	case R_POLL:
		me->ret = syscall(SYS_poll, &pfd, 1, -1);
		me->revents = pfd.revents;
		break;
	}
	me->err = errno;
	if (!atomic_load(&me->sent))
		me->early = 1;
	atomic_store(&me->done, 1);
	return NULL;
}

static bool is_blocked(struct waiter *me, long *nr)
{
	return !cr_thread_syscall(me->tid, nr) &&
	       (*nr == me->nr || *nr == SYS_restart_syscall);
}

static bool wait_done(struct waiter *me)
{
	int64_t end = cr_now_ns(CLOCK_MONOTONIC) + 5000000000LL;

	while (!atomic_load(&me->done)) {
		if (cr_now_ns(CLOCK_MONOTONIC) > end)
			return false;
		cr_msleep(1);
	}
	return true;
}

static void send(struct waiter *me, int fd, const void *buf, size_t len)
{
	atomic_store(&me->sent, 1);
	if (write(fd, buf, len) != (ssize_t)len)
		cr_fail("%s: write to its pipe: %m", me->name);
	if (!wait_done(me))
		cr_fail("%s: still blocked 5 s after the write", me->name);
	else if (me->early)
		cr_fail("%s: returned %ld (%s) before the write", me->name,
			me->ret, strerror(me->err));
}

int main(int argc, char **argv)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = COOKIE};
	unsigned char msg[MSG_LEN];
	int64_t deadline;
	size_t bad;
	long nr;
	int err;

	cr_init(argc, argv);
	if (pipe2(pipe_a, O_CLOEXEC) || pipe2(pipe_b, O_CLOEXEC) ||
	    pipe2(pipe_c, O_CLOEXEC))
		cr_fatal("pipe: %m");
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, pipe_b[0], &ev))
		cr_fatal("epoll: %m");
	for (int i = 0; i < NR_WAITERS; i++) {
		err = pthread_create(&w[i].thread, NULL, waiter_fn, &w[i]);
		if (err)
			cr_fatal("pthread_create: %s", strerror(err));
	}
	deadline = cr_now_ns(CLOCK_MONOTONIC) + 2000000000LL;
	for (int i = 0; i < NR_WAITERS; i++)
		while (!w[i].tid || !is_blocked(&w[i], &nr)) {
			if (atomic_load(&w[i].done) ||
			    cr_now_ns(CLOCK_MONOTONIC) > deadline)
				cr_fatal(
					"%s: not blocked in system call %ld within 2 s",
					w[i].name, w[i].nr);
			cr_msleep(1);
		}

	cr_daemon();
	cr_wait_check();

	for (int i = 0; i < NR_WAITERS; i++) {
		if (atomic_load(&w[i].done))
			cr_fail("%s: returned %ld (%s) before the check",
				w[i].name, w[i].ret, strerror(w[i].err));
		else if (!is_blocked(&w[i], &nr))
			cr_fail("%s (tid %d): not blocked in system call %ld any more",
				w[i].name, w[i].tid, w[i].nr);
	}
	cr_fill_pattern(msg, sizeof(msg), SEED);
	send(&w[R_READ], pipe_a[1], msg, sizeof(msg));
	if (w[R_READ].ret != MSG_LEN)
		cr_fail("read: returned %ld (%s), expected %d bytes",
			w[R_READ].ret, strerror(w[R_READ].err), MSG_LEN);
	else if (cr_check_pattern(w[R_READ].buf, MSG_LEN, SEED, &bad) !=
		 (size_t)-1)
		cr_fail("read: %zu of the %d bytes differ", bad, MSG_LEN);

	send(&w[R_EPOLL], pipe_b[1], "b", 1);
	cr_msg("epoll_wait: returned EINTR %d times (a stop does that)",
	       w[R_EPOLL].eintr);
	if (w[R_EPOLL].ret != 1)
		cr_fail("epoll_wait: returned %ld (%s), expected 1 event",
			w[R_EPOLL].ret, strerror(w[R_EPOLL].err));
	else if (w[R_EPOLL].ev.events != EPOLLIN ||
		 w[R_EPOLL].ev.data.u64 != COOKIE)
		cr_fail("epoll_wait: event %#x data %#llx, expected EPOLLIN and %#llx",
			w[R_EPOLL].ev.events,
			(unsigned long long)w[R_EPOLL].ev.data.u64, COOKIE);

	send(&w[R_POLL], pipe_c[1], "c", 1);
	if (w[R_POLL].ret != 1 || w[R_POLL].revents != POLLIN)
		cr_fail("poll: returned %ld (%s) revents %#x, expected 1 and POLLIN",
			w[R_POLL].ret, strerror(w[R_POLL].err),
			w[R_POLL].revents);
	cr_pass();
}
