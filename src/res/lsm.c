// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LSM labels (the Linux-CR "keep the labels or fail clearly" rule). The
 * dump saves each process's label from the labelling LSM the host runs
 * (SELinux, AppArmor or Smack; the CONTAINER record names it), read from
 * /proc/PID/attr/LSM/current or, on older kernels, /proc/PID/attr/current.
 * A host without a labelling LSM (this project's machines) has no labels
 * and writes no record.
 *
 * Restore: by default the process keeps the label it gets from cryo (the
 * host's policy decides). With --keep-lsm (restore.c has already checked
 * that this host runs the image's LSMs) the saved label is set in the new
 * process itself, before it is seized; --lsm-profile wins over it
 * (container.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dump.h"
#include "../log.h"
#include "../restore.h"
#include "res.h"

struct lsm_label {
	struct cryo_img_lsm_label l;
	char *label;
};

static int read_label(pid_t pid, const char *lsm, char *buf, size_t len)
{
	char path[96];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/attr/%s/current", (int)pid, lsm);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/attr/current", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n <= 0)
		return -ENOENT; /* EINVAL: no labelling LSM answers */
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = 0;
	return n ? 0 : -ENOENT;
}

static int dump_label(struct dump_ctx *dc, struct dtask *task)
{
	struct cryo_img_container host = {.size = sizeof(host)};
	struct cryo_img_lsm_label l = {.size = sizeof(l),
				       .pid = (uint32_t)task->pid};
	char label[4096];

	container_host_lsms(&host);
	if (!host.label_lsm[0] ||
	    read_label(task->pid, host.label_lsm, label, sizeof(label)))
		return 0;
	snprintf(l.lsm, sizeof(l.lsm), "%s", host.label_lsm);
	return cryo_img_write_rec(dc->w, CRYO_REC_LSM_LABEL, &l, sizeof(l),
				  label, strlen(label) + 1);
}

static int load_label(struct rst_ctx *rc, struct rtask *t, uint16_t type,
		      const void *payload, size_t len)
{
	const struct cryo_img_desc *d = cryo_img_desc_get(type);
	struct lsm_label *ll;
	const void *tail;
	uint64_t tl;
	int ret;

	if (res_priv(t, &res_lsm_ops)) {
		pr_perr("read image", t->pid, "two LSM_LABEL records");
		return -EBADMSG;
	}
	ll = calloc(1, sizeof(*ll));
	if (!ll)
		return -ENOMEM;
	ret = cryo_img_fixed(d, payload, len, &ll->l, sizeof(ll->l), &tail,
			     &tl);
	if (!ret) {
		ll->label = strndup(tail, tl);
		if (!ll->label)
			ret = -ENOMEM;
	}
	if (ret) {
		free(ll);
		return ret;
	}
	ll->l.lsm[sizeof(ll->l.lsm) - 1] = 0;
	ret = res_set_priv(t, &res_lsm_ops, ll);
	if (ret) {
		free(ll->label);
		free(ll);
	}
	return ret;
}

static int restore_label(struct rst_ctx *rc, struct rtask *t)
{
	struct lsm_label *ll = res_priv(t, &res_lsm_ops);
	char path[96], buf[4200];
	int fd, n, ret = 0;

	if (!ll || !rc->c->opts.keep_lsm || rc->c->opts.lsm_profile)
		return 0;
	if (!strcmp(ll->l.lsm, "apparmor")) {
		/* "name (mode)" as read; changeprofile wants the name */
		n = snprintf(buf, sizeof(buf), "changeprofile %.*s",
			     (int)strcspn(ll->label, " "), ll->label);
	} else {
		n = snprintf(buf, sizeof(buf), "%s", ll->label);
	}
	snprintf(path, sizeof(path), "/proc/self/attr/%s/current", ll->l.lsm);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/proc/self/attr/current", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		ret = -errno;
		pr_perr("restore", t->pid, "--keep-lsm: %s label '%s': %s",
			ll->l.lsm, ll->label, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

static void free_label(struct rtask *t)
{
	struct lsm_label *ll = res_priv(t, &res_lsm_ops);

	if (ll)
		free(ll->label);
	free(ll);
	res_set_priv(t, &res_lsm_ops, NULL);
}

const struct res_ops res_lsm_ops = {
	.name = "lsm",
	.dump_task = dump_label,
	.rec_types = {CRYO_REC_LSM_LABEL},
	.load = load_label,
	.restore_child = restore_label,
	.free = free_label,
};
