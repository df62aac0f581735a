// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: 32 threads, eight each of: a user-space busy loop, read() on a
 * pipe of its own, nanosleep(1 s) and futex wait; the main thread waits in
 * read() of the check pipe. After the check byte the main thread ends the
 * spins, writes each pipe and wakes each futex (each wake must find its
 * waiter still waiting); every thread verifies its registers and result.
 */
#include <fcntl.h>
#include <pthread.h>
#include <linux/futex.h>
#include "victim.h"

#define NT 32

struct th {
	pthread_t t;
	int kind, i, pipe[2];
	volatile pid_t tid;
	volatile int futex;
	char buf[64];
	struct vspin spin;
};

static struct th th[NT];
static volatile int go;

static void *run(void *arg)
{
	struct timespec ts = {1, 0};
	struct th *t = arg;
	struct vsys s;
	double t0, dt;
	long r;

	t->tid = gettid();
	__atomic_add_fetch(&vic_shm->nready, 1, __ATOMIC_SEQ_CST);
	switch (t->kind) {
	case 0:
		t->spin.go = &go;
		vspin(&t->spin);
		vspin_verify(&t->spin);
		break;
	case 1:
		r = vsys(&s, SYS_read, t->pipe[0], (unsigned long)t->buf,
			 sizeof(t->buf) - 1, 0);
		vsys_verify(&s, "thread read");
		if (r != (long)strlen(VDATA) || strcmp(t->buf, VDATA))
			vic_fail("thread %d: read returned %ld \"%s\"", t->i, r,
				 t->buf);
		break;
	case 2:
		t0 = vic_now();
		r = vsys(&s, SYS_nanosleep, (unsigned long)&ts, 0, 0, 0);
		dt = vic_now() - t0;
		vsys_verify(&s, "thread nanosleep");
		if (r || dt < 1.0 || dt > 1.25)
			vic_fail("thread %d: nanosleep(1 s) returned %ld "
				 "after %.3f s",
				 t->i, r, dt);
		break;
	case 3:
		r = vsys(&s, SYS_futex, (unsigned long)&t->futex,
			 FUTEX_WAIT_PRIVATE, 0, 0);
		vsys_verify(&s, "thread futex");
		if (r || !t->futex)
			vic_fail("thread %d: futex wait returned %ld, word %d",
				 t->i, r, t->futex);
		break;
	}
	return NULL;
}

/*
 * A thread interrupted in futex wait restarts it when the spy lets go; a
 * wake before it is back would find nobody. Wait (bounded) until it sits
 * in futex again.
 */
static int in_futex(pid_t tid)
{
	char path[64], buf[64];
	double end = vic_now() + 2;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	while (vic_now() < end) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0 && (buf[n] = 0, atoi(buf) == SYS_futex))
			return 1;
		usleep(1000);
	}
	return 0;
}

int main(void)
{
	long w;
	int i;

	vic_init();
	for (i = 0; i < NT; i++) {
		th[i].i = i;
		th[i].kind = i % 4;
		if (th[i].kind == 1 && pipe(th[i].pipe)) {
			vic_fail("pipe: %s", strerror(errno));
			return 1;
		}
		if (pthread_create(&th[i].t, NULL, run, &th[i])) {
			vic_fail("pthread_create failed");
			return 1;
		}
	}
	while (vic_shm->nready < NT)
		sched_yield();
	vic_ready(); /* the spy waits until every thread is in place */
	vic_wait_check();
	go = 1;
	for (i = 0; i < NT; i++) {
		if (th[i].kind == 1 &&
		    write(th[i].pipe[1], VDATA, strlen(VDATA)) < 0)
			vic_fail("write: %s", strerror(errno));
		if (th[i].kind != 3)
			continue;
		if (!in_futex(th[i].tid))
			vic_fail("thread %d: not back in futex wait after 2 s",
				 i);
		th[i].futex = 1;
		w = syscall(SYS_futex, &th[i].futex, FUTEX_WAKE_PRIVATE, 1,
			    NULL, NULL, 0);
		if (w != 1)
			vic_fail("thread %d: FUTEX_WAKE woke %ld, want 1 (it "
				 "no longer waited)",
				 i, w);
	}
	for (i = 0; i < NT; i++)
		pthread_join(th[i].t, NULL);
	vic_check_signals();
	return vic_exit();
}
