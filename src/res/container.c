// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The container configuration section (after Linux-CR's): which LSMs are
 * active and which of them labels tasks, the root task's namespaces, its
 * hostname and domain name, and its cgroups. Restore compares this with
 * the host it runs on: keep the labels or fail clearly.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../dump.h"
#include "../log.h"
#include "../restore.h"

#ifndef __NR_lsm_list_modules
#define __NR_lsm_list_modules 461
#endif

/* LSM ids of include/uapi/linux/lsm.h. */
static const char *lsm_name(uint64_t id)
{
	static const char *const names[] = {
		"capability", "selinux", "smack",     "tomoyo",	  "apparmor",
		"yama",	      "loadpin", "safesetid", "lockdown", "bpf",
		"landlock",   "ima",	 "evm",	      "ipe",
	};

	if (id >= 100 && id - 100 < sizeof(names) / sizeof(names[0]))
		return names[id - 100];
	return "unknown";
}

/* LSMs that put a label on every task (what restore must keep). */
static bool lsm_labels_tasks(const char *name)
{
	return !strcmp(name, "selinux") || !strcmp(name, "smack") ||
	       !strcmp(name, "apparmor");
}

/* Appends one LSM to the list, noting the first that labels tasks. */
static void add_lsm(struct cryo_img_container *c, const char *name)
{
	size_t len = strlen(c->lsms);

	snprintf(c->lsms + len, sizeof(c->lsms) - len, "%s%s", len ? "," : "",
		 name);
	if (!c->label_lsm[0] && lsm_labels_tasks(name))
		snprintf(c->label_lsm, sizeof(c->label_lsm), "%s", name);
}

/* Active LSMs: lsm_list_modules(2) (6.8+), else securityfs if mounted. */
void container_host_lsms(struct cryo_img_container *c)
{
	uint64_t ids[32];
	uint32_t sz = sizeof(ids);
	long n = syscall(__NR_lsm_list_modules, ids, &sz, 0);
	char *list, *name, *save;

	if (n >= 0) {
		for (long i = 0; i < n; i++)
			add_lsm(c, lsm_name(ids[i]));
		return;
	}
	if (slurp_file("/sys/kernel/security/lsm", &list, NULL))
		return; /* unknown: an empty list says so */
	for (name = strtok_r(list, ",\n", &save); name;
	     name = strtok_r(NULL, ",\n", &save))
		add_lsm(c, name);
	c->flags |= CRYO_CONTF_LSM_FROM_SECURITYFS;
	free(list);
}

/* Hostname and domain name of pid's uts namespace. */
static int read_uts(pid_t pid, struct cryo_img_container *c, bool own_ns)
{
	struct utsname u;
	int pfd[2], status, nsfd;
	char path[64];
	pid_t child;

	if (own_ns) {
		uname(&u);
		goto out_copy;
	}
	/* setns in a child: cryo itself stays in its own namespace. */
	snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || pipe2(pfd, O_CLOEXEC)) {
		pr_perr("open uts namespace", pid, "%s", strerror(errno));
		if (nsfd >= 0)
			close(nsfd);
		return -errno;
	}
	child = fork();
	if (child == 0) {
		close(pfd[0]);
		if (setns(nsfd, CLONE_NEWUTS) || uname(&u))
			_exit(1);
		_exit(write(pfd[1], &u, sizeof(u)) == sizeof(u) ? 0 : 1);
	}
	close(pfd[1]);
	close(nsfd);
	memset(&u, 0, sizeof(u));
	if (child > 0 && read(pfd[0], &u, sizeof(u)) != sizeof(u))
		child = -1;
	close(pfd[0]);
	if (child > 0)
		waitpid(child, &status, 0);
	if (child < 0) {
		pr_perr("read uts namespace", pid, "helper failed");
		return -EIO;
	}
out_copy:
	snprintf(c->hostname, sizeof(c->hostname), "%s", u.nodename);
	snprintf(c->domainname, sizeof(c->domainname), "%s", u.domainname);
	return 0;
}

/*
 * Namespaces other than cryo's own come in later steps: a task in another
 * pid, mount, net, ipc, uts, user, cgroup or time namespace is refused,
 * naming it (its PIDs, paths or sockets would not mean the same thing
 * when restored in cryo's).
 */
static int check_namespaces(pid_t pid)
{
	static const char *const ns[] = {"pid", "mnt",	"net",	  "ipc",
					 "uts", "user", "cgroup", "time"};
	char path[64], mine[64], theirs[64];

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		ssize_t a, b;

		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		a = readlink(path, mine, sizeof(mine) - 1);
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns[i]);
		b = readlink(path, theirs, sizeof(theirs) - 1);
		if (a < 0 || b < 0)
			continue; /* a kernel without this namespace */
		mine[a] = theirs[b] = 0;
		if (strcmp(mine, theirs)) {
			pr_perr("dump", pid,
				"it lives in another %s namespace (%s, cryo's is %s): namespaces are not supported yet",
				ns[i], theirs, mine);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

int container_check_tree(const struct pstree *t)
{
	for (int i = 0; i < t->nr; i++) {
		int ret = check_namespaces(t->tasks[i].pid);

		if (ret)
			return ret;
	}
	return 0;
}

int container_dump(struct dump_ctx *dc, pid_t root)
{
	static const char *const ns[CRYO_NS_MAX] = {
		"user", "pid", "net", "mnt", "uts", "ipc", "cgroup", "time",
	};
	struct cryo_img_container c = {.size = sizeof(c)};
	struct stat st, self_uts;
	char path[64], *cg = NULL;
	size_t cg_len = 0;
	int ret;

	container_host_lsms(&c);
	for (int i = 0; i < CRYO_NS_MAX; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)root,
			 ns[i]);
		if (!stat(path, &st))
			c.ns_ino[i] = st.st_ino;
	}
	if (stat("/proc/self/ns/uts", &self_uts))
		self_uts.st_ino = 0;
	ret = read_uts(root, &c, self_uts.st_ino == c.ns_ino[CRYO_NS_UTS]);
	if (ret)
		return ret;
	ret = proc_slurp(root, "cgroup", &cg, &cg_len);
	if (ret) {
		pr_perr("read cgroups", root, "%s", strerror(-ret));
		return ret;
	}
	ret = cryo_img_write_rec(dc->w, CRYO_REC_CONTAINER, &c, sizeof(c), cg,
				 cg_len + 1);
	free(cg);
	return ret;
}

/* ---- restore ---- */

/*
 * Before anything is created. By default the restored process gets the
 * label the host's policy gives it (cryo's own, inherited). --keep-lsm
 * keeps the image's: the host must run the same LSMs, or the restore
 * fails here, naming both lists, and each process gets its saved label
 * back (res/lsm.c). --lsm-profile TYPE:NAME names a labelling LSM that
 * must be active here.
 */
int container_restore_check(struct rst_ctx *rc)
{
	const struct cryo_opts *o = &rc->c->opts;
	struct cryo_img_container host = {.size = sizeof(host)};

	container_host_lsms(&host);
	if (o->keep_lsm) {
		if (!rc->has_container) {
			pr_err("restore", "--keep-lsm",
			       "the image has no container section");
			return -EINVAL;
		}
		if (strcmp(host.lsms, rc->container.lsms)) {
			pr_err("restore", "--keep-lsm",
			       "the image was taken under LSMs '%s', this host runs '%s'",
			       rc->container.lsms, host.lsms);
			return -EPERM;
		}
	}
	if (o->lsm_profile) {
		size_t n = strcspn(o->lsm_profile, ":");
		char type[32];

		snprintf(type, sizeof(type), "%.*s", (int)n, o->lsm_profile);
		if (!lsm_labels_tasks(type) || !strstr(host.lsms, type)) {
			pr_err("restore", "--lsm-profile",
			       "'%s' is not a labelling LSM active on this host (LSMs '%s')",
			       type, host.lsms);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * In the new process: the label asked for with --lsm-profile, through the
 * LSM's own attr file (AppArmor takes a "changeprofile" command; SELinux
 * and Smack take the label). Only reached when container_restore_check
 * found the LSM active.
 */
int container_restore_child(struct rst_ctx *rc, struct rtask *t)
{
	const char *prof = rc->c->opts.lsm_profile, *name;
	char path[64], buf[512];
	int fd, n, ret = 0;

	if (!prof)
		return 0;
	name = strchr(prof, ':') + 1;
	if (!strncmp(prof, "apparmor:", 9))
		n = snprintf(buf, sizeof(buf), "changeprofile %s", name);
	else
		n = snprintf(buf, sizeof(buf), "%s", name);
	snprintf(path, sizeof(path), "/proc/self/attr/%.*s/current",
		 (int)(name - prof - 1), prof);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/proc/self/attr/current", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		ret = -errno;
		pr_perr("restore", t->pid, "--lsm-profile %s: %s", prof,
			strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return ret;
}
