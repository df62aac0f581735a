// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `cryo restore`: rebuild a process from an image, with the same PID and
 * TIDs, and let it carry on (restore.h gives the order of the work,
 * docs/architecture.md the why).
 *
 * The image is read once, front to back, so that it can come from a pipe:
 * the STATE records are loaded, the process is built when the first page
 * record arrives, the pages stream into it, and it is released only after
 * the trailer verified the whole stream. Anything that fails kills what
 * was built (and the new process dies with cryo if cryo is killed: it has
 * PR_SET_PDEATHSIG until its own state is put back).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"
#include "log.h"
#include "restore.h"
#include "uapi.h"

/*
 * How long a restore waits for a PID to become free (PID 1 here reaps
 * orphaned zombies slowly); CRYO_PID_WAIT_MS in the environment changes it
 * (tests use it).
 */
#define PID_WAIT_MS 10000

struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size;
};

/* ---- helpers for the modules (restore.h) ---- */

struct rtask *rst_find_task(struct rst_ctx *rc, pid_t pid)
{
	for (int i = 0; i < rc->nr; i++)
		if (rc->tasks[i].pid == pid)
			return &rc->tasks[i];
	return NULL;
}

int rst_syscall(struct rtask *t, pid_t tid, long nr, unsigned long a0,
		unsigned long a1, unsigned long a2, unsigned long a3,
		unsigned long a4, unsigned long a5, long *res)
{
	unsigned long args[6] = {a0, a1, a2, a3, a4, a5};
	long r = 0;
	int ret;

	ret = cryo_inject_syscall(t->v, tid, nr, args, &r);
	if (ret)
		pr_perr("inject syscall", tid ? tid : t->pid, "%ld: %s", nr,
			strerror(-ret));
	else
		pr_debug("pid %d: syscall %ld(%#lx, %#lx, %#lx, %#lx) = %ld",
			 tid ? tid : t->pid, nr, a0, a1, a2, a3, r);
	if (res)
		*res = r;
	return ret;
}

int rst_syscall_ok(struct rtask *t, pid_t tid, const char *what, long nr,
		   unsigned long a0, unsigned long a1, unsigned long a2,
		   unsigned long a3, unsigned long a4, unsigned long a5,
		   long *res)
{
	long r;
	int ret = rst_syscall(t, tid, nr, a0, a1, a2, a3, a4, a5, &r);

	if (ret)
		return ret;
	if (r < 0 && r > -4096) {
		pr_perr(what, tid ? tid : t->pid, "%s", strerror((int)-r));
		return (int)r;
	}
	if (res)
		*res = r;
	return 0;
}

unsigned long rst_scratch_put(struct rtask *t, size_t off, const void *buf,
			      size_t len)
{
	if (off > t->scratch_size || len > t->scratch_size - off) {
		pr_perr("restore", t->pid,
			"%zu bytes do not fit in the scratch area", len);
		return 0;
	}
	if (cryo_inject_write(t->v, t->scratch + off, buf, len) !=
	    (ssize_t)len) {
		pr_perr("write scratch", t->pid, "at 0x%lx", t->scratch + off);
		return 0;
	}
	return t->scratch + off;
}

int rst_scratch_get(struct rtask *t, size_t off, void *buf, size_t len)
{
	if (off > t->scratch_size || len > t->scratch_size - off)
		return -E2BIG;
	if (cryo_inject_read(t->v, t->scratch + off, buf, len) != (ssize_t)len)
		return -EIO;
	return 0;
}

/* ---- loading the image ---- */

static char *dup_tail(const void *tail, uint64_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, tail, len);
		s[len] = 0;
	}
	return s;
}

static int add_task(struct rst_ctx *rc, const struct cryo_img_pstree *ps,
		    const uint32_t *tids, uint64_t tail_len)
{
	struct rtask *n, *t;

	if (tail_len < (uint64_t)ps->nr_threads * 4 || !ps->nr_threads ||
	    tids[0] != ps->pid || rst_find_task(rc, (pid_t)ps->pid)) {
		pr_err("read image", "PSTREE", "bad record for pid %u",
		       ps->pid);
		return -EBADMSG;
	}
	n = realloc(rc->tasks, sizeof(*n) * (size_t)(rc->nr + 1));
	if (!n)
		return -ENOMEM;
	rc->tasks = n;
	t = &n[rc->nr++];
	memset(t, 0, sizeof(*t));
	t->pid = (pid_t)ps->pid;
	t->ps = *ps;
	t->mem_fd = -1;
	t->threads = calloc(ps->nr_threads, sizeof(*t->threads));
	if (!t->threads)
		return -ENOMEM;
	t->nr_threads = (int)ps->nr_threads;
	for (uint32_t i = 0; i < ps->nr_threads; i++)
		t->threads[i].tid = (pid_t)tids[i];
	return 0;
}

static int load_thread(struct rtask *t, const struct cryo_img_thread *th,
		       const void *tail, uint64_t tail_len)
{
	for (int i = 0; i < t->nr_threads; i++) {
		struct rthread *r = &t->threads[i];

		if (r->tid != (pid_t)th->tid)
			continue;
		if (r->xsave || tail_len != th->xsave_size)
			break;
		r->th = *th;
		r->xsave = dup_tail(tail, tail_len);
		return r->xsave ? 0 : -ENOMEM;
	}
	pr_err("read image", "THREAD", "tid %u of pid %d is unknown or twice",
	       th->tid, t->pid);
	return -EBADMSG;
}

/* Core records into the task's fields. */
static int load_core(struct rtask *t, const struct cryo_img_rec *rec,
		     const void *p)
{
	const void *tail;
	uint64_t tl;
	union {
		struct cryo_img_task task;
		struct cryo_img_creds creds;
		struct cryo_img_mm mm;
		struct cryo_img_vma vma;
		struct cryo_img_thread th;
		struct cryo_img_fd fd;
	} u;
	int ret;

	ret = cryo_img_fixed(rec->desc, p, rec->len, &u, rec->desc->cur_size,
			     &tail, &tl);
	if (ret)
		return ret;
	switch (rec->type) {
	case CRYO_REC_TASK:
		t->task = u.task;
		t->exe = dup_tail(tail, tl);
		return t->exe ? 0 : -ENOMEM;
	case CRYO_REC_CREDS:
		t->creds = u.creds;
		t->groups = malloc(tl + 1);
		if (!t->groups)
			return -ENOMEM;
		memcpy(t->groups, tail, tl);
		return 0;
	case CRYO_REC_MM:
		t->mm = u.mm;
		t->auxv = malloc(tl + 1);
		if (!t->auxv)
			return -ENOMEM;
		memcpy(t->auxv, tail, tl);
		t->auxv_len = tl;
		return 0;
	case CRYO_REC_VMA: {
		struct rvma *n =
			realloc(t->vmas, sizeof(*n) * (t->nr_vmas + 1));

		if (!n)
			return -ENOMEM;
		t->vmas = n;
		memset(&n[t->nr_vmas], 0, sizeof(*n));
		n[t->nr_vmas].v = u.vma;
		n[t->nr_vmas].path = dup_tail(tail, tl);
		if (!n[t->nr_vmas++].path)
			return -ENOMEM;
		if (t->nr_vmas > 1 && n[t->nr_vmas - 2].v.end > u.vma.start) {
			pr_err("read image", "VMA",
			       "pid %d: areas out of order at 0x%" PRIx64,
			       t->pid, u.vma.start);
			return -EBADMSG;
		}
		return 0;
	}
	case CRYO_REC_THREAD:
		return load_thread(t, &u.th, tail, tl);
	case CRYO_REC_FD: {
		struct rfd *n = realloc(t->fds, sizeof(*n) * (t->nr_fds + 1));

		if (!n)
			return -ENOMEM;
		t->fds = n;
		n[t->nr_fds].f = u.fd;
		n[t->nr_fds].path = dup_tail(tail, tl);
		return n[t->nr_fds++].path ? 0 : -ENOMEM;
	}
	}
	return 0;
}

static bool is_core(uint16_t type)
{
	return type == CRYO_REC_TASK || type == CRYO_REC_CREDS ||
	       type == CRYO_REC_MM || type == CRYO_REC_VMA ||
	       type == CRYO_REC_THREAD || type == CRYO_REC_FD;
}

/* One record of the TREE or STATE section. */
static int load_rec(struct rst_ctx *rc, struct cryo_img_reader *r,
		    const struct cryo_img_rec *rec)
{
	const void *p, *tail;
	uint64_t tl;
	struct rtask *t;
	uint32_t pid;
	int ret;

	if (!rec->desc || rec->desc->bulk)
		return 0; /* NOTE, PAD */
	ret = cryo_img_payload(r, &p);
	if (ret) {
		pr_err("read image", rec->desc->name, "%s",
		       cryo_img_reader_error(r));
		return ret;
	}
	if (rec->type == CRYO_REC_CONTAINER) {
		rc->has_container = true;
		return cryo_img_fixed(rec->desc, p, rec->len, &rc->container,
				      sizeof(rc->container), &tail, &tl);
	}
	if (rec->type == CRYO_REC_PSTREE) {
		struct cryo_img_pstree ps;

		ret = cryo_img_fixed(rec->desc, p, rec->len, &ps, sizeof(ps),
				     &tail, &tl);
		return ret ? ret : add_task(rc, &ps, tail, tl);
	}
	/* Every STATE payload names its process right after its size. */
	if (rec->len < 8)
		return -EBADMSG;
	memcpy(&pid, (const char *)p + 4, sizeof(pid));
	t = rst_find_task(rc, (pid_t)pid);
	if (!t) {
		pr_err("read image", rec->desc->name,
		       "names pid %u, which is not in the tree", pid);
		return -EBADMSG;
	}
	if (is_core(rec->type)) {
		ret = load_core(t, rec, p);
		if (ret == -EBADMSG)
			pr_err("read image", rec->desc->name,
			       "pid %u: malformed record at offset %" PRIu64,
			       pid, rec->offset);
		if (ret)
			return ret;
	}
	for (size_t m = 0; m < res_table_nr; m++) {
		const struct res_ops *ops = res_table[m];

		for (int k = 0; ops->load && ops->rec_types[k]; k++)
			if (ops->rec_types[k] == rec->type) {
				ret = ops->load(rc, t, rec->type, p, rec->len);
				if (ret)
					return ret;
			}
	}
	return 0;
}

/* What restore needs before it creates anything. */
static int check_loaded(struct rst_ctx *rc)
{
	int ret = container_restore_check(rc);

	if (ret)
		return ret;
	if (rc->nr != 1) {
		pr_err("restore", NULL,
		       "the image holds %d processes: restoring process trees comes in step 5",
		       rc->nr);
		return -EOPNOTSUPP;
	}
	for (int i = 0; i < rc->nr; i++) {
		struct rtask *t = &rc->tasks[i];

		if (!t->task.size || !t->mm.size ||
		    t->nr_vmas != (int)t->mm.nr_vmas) {
			pr_perr("read image", t->pid,
				"incomplete: TASK, MM or VMA records missing");
			return -EBADMSG;
		}
		for (int k = 0; k < t->nr_threads; k++)
			if (!t->threads[k].th.size) {
				pr_perr("read image", t->pid,
					"no THREAD record for tid %d",
					t->threads[k].tid);
				return -EBADMSG;
			}
		if (t->ps.sid != (uint32_t)t->pid && !rc->c->opts.shell_job) {
			pr_perr("restore", t->pid,
				"its session %u is not in the image: restore with -j/--shell-job to make it part of cryo's session",
				t->ps.sid);
			return -EOPNOTSUPP;
		}
		if (t->task.state == 'Z') {
			pr_perr("restore", t->pid, "zombies come in step 5");
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/* The CPU must have every XSAVE feature the image's registers use. */
static int check_cpu(struct rst_ctx *rc)
{
	uint32_t lo, hi;
	uint64_t xcr0;

	if (rc->hdr.arch != CRYO_ARCH_X86_64 || rc->hdr.page_size != 4096) {
		pr_err("restore", NULL,
		       "the image is for arch %u with %u-byte pages",
		       rc->hdr.arch, rc->hdr.page_size);
		return -EOPNOTSUPP;
	}
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = ((uint64_t)hi << 32) | lo;
	if (rc->hdr.xfeatures & ~xcr0) {
		pr_err("restore", NULL,
		       "the image uses XSAVE features 0x%" PRIx64
		       " that this CPU lacks (XCR0 0x%" PRIx64 ")",
		       rc->hdr.xfeatures & ~xcr0, xcr0);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* ---- creating the process ---- */

/* Waits until no task has this id; names the holder if one stays. */
static int wait_id_free(pid_t pid, pid_t for_pid)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	const char *env = getenv("CRYO_PID_WAIT_MS");
	int limit = env ? atoi(env) : PID_WAIT_MS;
	struct proc_stat st;

	for (int waited = 0;; waited += 10) {
		if (kill(pid, 0) && errno == ESRCH)
			return 0;
		if (waited >= limit)
			break;
		nanosleep(&ts, NULL);
	}
	if (proc_parse_stat(pid, &st))
		memset(&st, 0, sizeof(st));
	pr_perr("restore", for_pid,
		"pid %d is still taken after %.1f s, by '%.16s' (state %c)",
		pid, limit / 1000.0, st.comm[0] ? st.comm : "?",
		st.state ? st.state : '?');
	return -EEXIST;
}

/* Puts fd (a number above at) at exactly number at. */
static int place_fd(int fd, int at)
{
	if (fd < 0 || dup2(fd, at) != at)
		return -1;
	close(fd);
	return at;
}

/*
 * The new process's own part (plain C, in the process that becomes the
 * restored one): helper fds above every image fd, the session, the
 * trampoline, every module's restore_child; then it says "ready" (a NUL
 * byte after any messages) and blocks until cryo has seized it. Never
 * returns.
 */
static void __attribute__((noreturn))
child_main(struct rst_ctx *rc, struct rtask *t, int msg_w, int hold_r,
	   pid_t parent)
{
	static const unsigned char code[] = {0x0f, 0x05,  /* syscall */
					     0xeb, 0xfe}; /* jmp . */
	int base = t->child_fd_base, tty = -1;
	sigset_t all;
	char c;

	/* Messages to cryo from now on; cryo's log file is closed first,
	 * before fds move around. */
	log_relay_to(msg_w);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/*
	 * Helpers at base, base + 1, base + 2: above every image fd. All
	 * go above base + 3 first, so that placing one never lands on
	 * another.
	 */
	msg_w = fcntl(msg_w, F_DUPFD, base + 3);
	hold_r = fcntl(hold_r, F_DUPFD, base + 3);
	if (rc->tty_fd >= 0)
		tty = fcntl(rc->tty_fd, F_DUPFD, base + 3);
	msg_w = place_fd(msg_w, base);
	hold_r = place_fd(hold_r, base + 1);
	if (tty >= 0)
		tty = place_fd(tty, base + 2);
	if (msg_w < 0 || hold_r < 0 || (rc->tty_fd >= 0 && tty < 0))
		_exit(1);
	log_relay_to(msg_w);
	rc->tty_fd = tty;
	/* Everything of cryo's goes but our helpers. */
	if (syscall(SYS_close_range, 0u, (unsigned)base - 1, 0) ||
	    syscall(SYS_close_range, (unsigned)base + 3, ~0u, 0))
		_exit(1);

	if (t->ps.sid == (uint32_t)t->pid) {
		if (setsid() < 0) {
			pr_perr("restore", t->pid, "setsid: %s",
				strerror(errno));
			_exit(1);
		}
	} else if (t->ps.pgid == (uint32_t)t->pid) {
		if (setpgid(0, 0)) {
			pr_perr("restore", t->pid, "setpgid: %s",
				strerror(errno));
			_exit(1);
		}
	}
	if (mmap((void *)t->tramp, RST_TRAMP_CODE + RST_TRAMP_SCRATCH,
		 PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		 0) != (void *)t->tramp) {
		pr_perr("map trampoline", t->pid, "at 0x%lx: %s", t->tramp,
			strerror(errno));
		_exit(1);
	}
	memcpy((void *)t->tramp, code, sizeof(code));
	if (container_restore_child(rc, t))
		_exit(1);
	for (size_t m = 0; m < res_table_nr; m++)
		if (res_table[m]->restore_child &&
		    res_table[m]->restore_child(rc, t))
			_exit(1);
	if (tty >= 0)
		close(tty);
	if (write(msg_w, "", 1) != 1)
		_exit(1);
	/* cryo seizes us here; nothing below runs in a good restore. */
	while (read(hold_r, &c, 1) < 0 && errno == EINTR)
		;
	_exit(1);
}

/*
 * Relays the child's messages until its "ready" byte; 0 when ready,
 * -ECHILD when it exited (its messages said why).
 */
static int wait_child_ready(struct rtask *t, int msg_r)
{
	char buf[4096];
	size_t have = 0;
	int ready = 0, errors = 0;

	for (;;) {
		ssize_t n = read(msg_r, buf + have, sizeof(buf) - 1 - have);
		char *line, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		for (line = buf; (nl = memchr(line, '\n', buf + have - line));
		     line = nl + 1) {
			*nl = 0;
			errors += line[0] == '0' + LOG_ERROR;
			log_relay_line(line);
		}
		if (line < buf + have && !*line && line + 1 == buf + have) {
			ready = 1;
			break;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0; /* an endless line: drop it */
	}
	if (ready)
		return 0;
	if (errors) /* it said why */
		pr_info("pid %d: the new process failed while setting up",
			t->pid);
	else
		pr_perr("restore", t->pid,
			"the new process failed while setting up");
	return -ECHILD;
}

static int create_process(struct rst_ctx *rc, struct rtask *t, int *hold_w)
{
	uint64_t want = (uint64_t)t->pid;
	struct clone_args_ ca = {
		.exit_signal = SIGCHLD,
		.set_tid = (uint64_t)(uintptr_t)&want,
		.set_tid_size = 1,
	};
	int msg[2], hold[2], ret;
	pid_t parent = getpid(), pid;

	/* The child's helper fds go right above every image fd. */
	t->child_fd_base = 3;
	for (int i = 0; i < t->nr_fds; i++)
		if ((int)t->fds[i].f.fd >= t->child_fd_base)
			t->child_fd_base = (int)t->fds[i].f.fd + 1;
	ret = wait_id_free(t->pid, t->pid);
	for (int i = 1; !ret && i < t->nr_threads; i++)
		ret = wait_id_free(t->threads[i].tid, t->pid);
	if (ret)
		return ret;
	ret = rst_mm_pick_tramp(rc, t);
	if (ret)
		return ret;
	if (pipe2(msg, O_CLOEXEC))
		return -errno;
	if (pipe2(hold, O_CLOEXEC)) {
		close(msg[0]);
		close(msg[1]);
		return -errno;
	}
	fflush(NULL);
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		close(msg[0]);
		close(hold[1]);
		child_main(rc, t, msg[1], hold[0], parent);
	}
	close(msg[1]);
	close(hold[0]);
	if (pid < 0) {
		ret = -errno;
		pr_perr("restore", t->pid, "clone3 with this pid: %s",
			strerror(-ret));
		close(msg[0]);
		close(hold[1]);
		return ret;
	}
	t->created = true;
	*hold_w = hold[1];
	ret = wait_child_ready(t, msg[0]);
	close(msg[0]);
	return ret;
}

static int seize_process(struct rst_ctx *rc, struct rtask *t)
{
	struct cryo_inject_opts o = {
		.sz = sizeof(o),
		.log = log_engine,
		.log_level = log_level(),
	};
	struct cryo_rseq_config rs;
	char path[64];
	int ret;

	ret = cryo_inject_seize(t->pid, &o, &t->v);
	if (!ret)
		ret = cryo_inject_set_syscall_site(t->v, t->tramp);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)t->pid);
	t->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (t->mem_fd < 0) {
		ret = -errno;
		pr_perr("open memory", t->pid, "%s", strerror(-ret));
		return ret;
	}
	/*
	 * The child inherited cryo's rseq registration, an area in memory
	 * that is about to go: the kernel would fault on every return to
	 * user space. Unregistered now; the image's comes back later.
	 */
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, t->pid, sizeof(rs), &rs) >
		    0 &&
	    rs.rseq_abi_pointer) {
		ret = rst_syscall_ok(t, 0, "unregister cryo's rseq", SYS_rseq,
				     rs.rseq_abi_pointer, rs.rseq_abi_size, 1,
				     rs.signature, 0, 0, NULL);
		if (ret)
			return ret;
	}
	/* The child's helper fds: only cryo's image fds remain. */
	return rst_syscall_ok(t, 0, "close helper fds", SYS_close_range,
			      (unsigned long)t->child_fd_base, ~0u, 0, 0, 0, 0,
			      NULL);
}

/* From the first page record on: the process exists and is ours. */
static int build(struct rst_ctx *rc, int *hold_w)
{
	for (int i = 0; i < rc->nr; i++) {
		struct rtask *t = &rc->tasks[i];
		int ret = rst_mm_check(rc, t);

		if (!ret)
			ret = create_process(rc, t, hold_w);
		if (!ret)
			ret = seize_process(rc, t);
		if (!ret)
			ret = rst_mm_layout(rc, t);
		if (ret)
			return ret;
	}
	return 0;
}

/* After the last page: state, threads, modules, registers; then go. */
static int finish(struct rst_ctx *rc)
{
	for (int i = 0; i < rc->nr; i++) {
		struct rtask *t = &rc->tasks[i];
		int ret = rst_mm_finish(rc, t);

		if (!ret)
			ret = rst_threads_create(rc, t);
		for (size_t m = 0; !ret && m < res_table_nr; m++)
			if (res_table[m]->restore_remote)
				ret = res_table[m]->restore_remote(rc, t);
		/* The last safety net goes last: see rtask.pdeath_sig. */
		if (!ret)
			ret = rst_syscall_ok(
				t, 0, "set the parent-death signal", SYS_prctl,
				PR_SET_PDEATHSIG, (unsigned long)t->pdeath_sig,
				0, 0, 0, 0, NULL);
		if (!ret)
			ret = rst_mm_drop_tramp(rc, t);
		if (!ret)
			ret = rst_threads_state(rc, t);
		if (ret)
			return ret;
	}
	return 0;
}

static void kill_built(struct rst_ctx *rc)
{
	for (int i = 0; i < rc->nr; i++) {
		struct rtask *t = &rc->tasks[i];

		if (!t->created)
			continue;
		kill(t->pid, SIGKILL);
		cryo_inject_release(t->v); /* detaches from the dying task */
		t->v = NULL;
		while (waitpid(t->pid, NULL, __WALL) < 0 && errno == EINTR)
			;
		t->created = false;
	}
}

static void free_ctx(struct rst_ctx *rc)
{
	for (int i = 0; i < rc->nr; i++) {
		struct rtask *t = &rc->tasks[i];

		for (size_t m = 0; m < res_table_nr; m++)
			if (res_table[m]->free)
				res_table[m]->free(t);
		for (int k = 0; k < t->nr_threads; k++)
			free(t->threads[k].xsave);
		for (int k = 0; k < t->nr_vmas; k++)
			free(t->vmas[k].path);
		for (int k = 0; k < t->nr_fds; k++)
			free(t->fds[k].path);
		if (t->mem_fd >= 0)
			close(t->mem_fd);
		free(t->threads);
		free(t->vmas);
		free(t->fds);
		free(t->exe);
		free(t->groups);
		free(t->auxv);
	}
	free(rc->tasks);
}

/* Reads the image and builds the process; 0 with it ready for release. */
static int restore_image(struct rst_ctx *rc, struct cryo_img_reader *r,
			 int *hold_w)
{
	struct cryo_img_rec rec;
	bool built = false;
	int ret, r2;

	rc->hdr = *cryo_img_reader_header(r);
	ret = check_cpu(rc);
	while (!ret) {
		ret = cryo_img_next(r, &rec);
		if (ret < 0) {
			pr_err("read image", rc->c->opts.images_dir, "%s",
			       cryo_img_reader_error(r));
			break;
		}
		if (ret == 0)
			break;
		ret = 0;
		if (rec.desc && rec.desc->section == CRYO_SEC_PAGES) {
			const void *p;

			if (!built) {
				ret = check_loaded(rc);
				if (!ret)
					ret = build(rc, hold_w);
				built = true;
			}
			if (!ret && rec.type == CRYO_REC_PAGEMAP) {
				ret = cryo_img_payload(r, &p);
				if (ret)
					pr_err("read image", "PAGEMAP", "%s",
					       cryo_img_reader_error(r));
				else
					ret = rst_mm_pages(rc, r, p, rec.len);
			}
			continue;
		}
		ret = built ? 0 : load_rec(rc, r, &rec);
	}
	/* Every page written (or, on failure, the writers stopped). */
	r2 = rst_mm_pages_end(rc, r, ret != 0);
	if (!ret)
		ret = r2;
	if (!ret && cryo_img_pending(r)) { /* cannot happen: a last net */
		pr_err("read image", rc->c->opts.images_dir,
		       "%" PRIu64 " page payloads were not verified",
		       cryo_img_pending(r));
		ret = -EBADMSG;
	}
	if (!ret && !built) {
		ret = check_loaded(rc);
		if (!ret)
			ret = build(rc, hold_w);
	}
	if (!ret)
		ret = finish(rc);
	return ret;
}

static int write_pidfile(struct cryo_ctx *c, pid_t pid)
{
	char buf[32];
	int fd, n;

	fd = openat(c->workdir_fd, c->opts.pidfile,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		pr_err("write pidfile", c->opts.pidfile, "%s", strerror(errno));
		return -errno;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (write(fd, buf, (size_t)n) != n) {
		pr_err("write pidfile", c->opts.pidfile, "%s", strerror(errno));
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* Without -d: cryo stays the parent and exits with the process's status. */
static int wait_restored(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int cmd_restore(struct cryo_ctx *ctx)
{
	struct rst_ctx rc = {.c = ctx, .tty_fd = -1, .img_fd = -1};
	struct cryo_img_ropts ro = {.sz = sizeof(ro)};
	struct cryo_img_reader *r = NULL;
	int hold_w = -1, ret;
	pid_t root;

	if (!ctx->opts.images_dir && !ctx->opts.stream) {
		pr_err("restore", NULL,
		       "no image: use -D DIR or --stream (image on stdin)");
		return 1;
	}
	if (res_table_nr > RST_MAX_MODULES)
		return 1;
	if (ctx->opts.shell_job && isatty(STDIN_FILENO))
		rc.tty_fd = STDIN_FILENO;
	ro.fd = cryo_open_image_in(ctx, ctx->opts.stream ? "-" : NULL);
	if (ro.fd < 0)
		return 1;
	rc.img_fd = ro.fd;
	ret = cryo_img_reader_new(&ro, &r);
	if (ret)
		pr_err("read image",
		       ctx->opts.stream ? "stdin" : ctx->opts.images_dir, "%s",
		       r ? cryo_img_reader_error(r) : strerror(-ret));
	if (!ret)
		ret = restore_image(&rc, r, &hold_w);
	if (ret) {
		kill_built(&rc);
	} else {
		struct rtask *t = &rc.tasks[0];

		ret = cryo_inject_release(t->v);
		t->v = NULL;
		if (ret) {
			pr_perr("restore", t->pid, "release failed: %s",
				strerror(-ret));
			kill_built(&rc);
		}
	}
	if (hold_w >= 0)
		close(hold_w);
	cryo_img_reader_free(r);
	close(ro.fd);
	if (ret) {
		free_ctx(&rc);
		return 1;
	}
	root = rc.tasks[0].pid;
	pr_info("restored pid %d (%d threads)", root, rc.tasks[0].nr_threads);
	free_ctx(&rc);
	if (ctx->opts.pidfile && write_pidfile(ctx, root)) {
		kill(root, SIGKILL);
		waitpid(root, NULL, 0);
		return 1;
	}
	if (ctx->opts.restore_detached)
		return 0;
	return wait_restored(root);
}
