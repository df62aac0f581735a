// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-process identity and credentials: TASK and CREDS records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/syscall.h>

#include "../dump.h"
#include "../log.h"
#include "res.h"

/* Parses up to n numbers (base 10 or 16) after a status key. */
static int status_nums(const char *status, const char *key, int base,
		       uint64_t *out, int n)
{
	const char *p = proc_field(status, key);
	int i;

	if (!p)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		char *end;

		out[i] = strtoull(p, &end, base);
		if (end == p)
			break;
		p = end;
	}
	return i;
}

static int dump_creds(struct dump_ctx *dc, struct dtask *task,
		      const char *status)
{
	struct cryo_img_creds c = {.size = sizeof(c),
				   .pid = (uint32_t)task->pid};
	uint64_t v[4], caps[1];
	uint32_t *groups = NULL;
	const char *g;
	long sb;
	int ret = -EINVAL;

	if (status_nums(status, "Uid", 10, v, 4) != 4)
		goto out_bad;
	for (int i = 0; i < 4; i++)
		c.uid[i] = (uint32_t)v[i];
	if (status_nums(status, "Gid", 10, v, 4) != 4)
		goto out_bad;
	for (int i = 0; i < 4; i++)
		c.gid[i] = (uint32_t)v[i];
	static const char *const capkeys[] = {"CapInh", "CapPrm", "CapEff",
					      "CapBnd", "CapAmb"};
	uint64_t *capf[] = {&c.cap_inh, &c.cap_prm, &c.cap_eff, &c.cap_bnd,
			    &c.cap_amb};
	for (int i = 0; i < 5; i++) {
		if (status_nums(status, capkeys[i], 16, caps, 1) != 1)
			goto out_bad;
		*capf[i] = caps[0];
	}
	/* securebits are not in /proc: ask the task */
	ret = dump_syscall_ok(task, 0, "get securebits", SYS_prctl,
			      PR_GET_SECUREBITS, 0, 0, 0, &sb);
	if (ret)
		return ret;
	c.securebits = (uint32_t)sb;
	ret = -EINVAL;
	g = proc_field(status, "Groups");
	if (!g)
		g = "";
	while (*g && *g != '\n') {
		char *end;
		unsigned long gid = strtoul(g, &end, 10);
		uint32_t *n;

		if (end == g)
			break;
		n = realloc(groups, sizeof(*n) * (c.nr_groups + 1));
		if (!n) {
			ret = -ENOMEM;
			goto out_free;
		}
		groups = n;
		groups[c.nr_groups++] = (uint32_t)gid;
		g = end;
		while (*g == ' ')
			g++;
	}
	ret = cryo_img_write_rec(dc->w, CRYO_REC_CREDS, &c, sizeof(c), groups,
				 sizeof(*groups) * c.nr_groups);
	goto out_free;
out_bad:
	pr_perr("read credentials", task->pid,
		"unexpected /proc status format");
out_free:
	free(groups);
	return ret;
}

static int dump_task(struct dump_ctx *dc, struct dtask *task)
{
	struct cryo_img_task t = {.size = sizeof(t),
				  .pid = (uint32_t)task->pid};
	char *status = NULL, *pers = NULL, exe[4096], link[64];
	uint64_t v;
	ssize_t n;
	int ret;

	ret = proc_slurp(task->pid, "status", &status, NULL);
	if (ret) {
		pr_perr("read status", task->pid, "%s", strerror(-ret));
		return ret;
	}
	memcpy(t.comm, task->st.comm, sizeof(t.comm));
	t.state = (uint32_t)(task->state ? task->state : task->st.state);
	t.exit_signal = (uint32_t)task->st.exit_signal;
	t.flags = task->st.flags;
	t.nice = (int32_t)task->st.nice;
	if (status_nums(status, "Umask", 8, &v, 1) == 1)
		t.umask = (uint32_t)v;
	if (status_nums(status, "Seccomp", 10, &v, 1) == 1)
		t.seccomp_mode = (uint32_t)v;
	if (status_nums(status, "NoNewPrivs", 10, &v, 1) == 1)
		t.no_new_privs = (uint32_t)v;
	if (!proc_slurp(task->pid, "personality", &pers, NULL))
		t.personality = (uint32_t)strtoul(pers, NULL, 16);
	free(pers);
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)task->pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = 0;
	ret = cryo_img_write_rec(dc->w, CRYO_REC_TASK, &t, sizeof(t), exe,
				 strlen(exe) + 1);
	if (!ret)
		ret = dump_creds(dc, task, status);
	free(status);
	return ret;
}

const struct res_ops res_task_ops = {
	.name = "task",
	.dump_task = dump_task,
};
