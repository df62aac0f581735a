// SPDX-License-Identifier: GPL-2.0-or-later
/* /proc readers shared by the dump modules. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

static void proc_path(char *buf, size_t len, pid_t pid, const char *name)
{
	if (pid)
		snprintf(buf, len, "/proc/%d/%s", (int)pid, name);
	else
		snprintf(buf, len, "/proc/self/%s", name);
}

int proc_slurp(pid_t pid, const char *name, char **out, size_t *len)
{
	char path[128];

	proc_path(path, sizeof(path), pid, name);
	return slurp_file(path, out, len);
}

int slurp_file(const char *path, char **out, size_t *len)
{
	size_t cap = 4096, fill = 0;
	char *buf;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		ssize_t n;

		if (fill + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				ret = -ENOMEM;
				goto out_free;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + fill, cap - fill - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out_free;
		}
		if (!n)
			break;
		fill += (size_t)n;
	}
	buf[fill] = 0;
	*out = buf;
	if (len)
		*len = fill;
	goto out_close;
out_free:
	free(buf);
out_close:
	close(fd);
	return ret;
}

int proc_parse_stat(pid_t pid, struct proc_stat *st)
{
	unsigned long long v[52];
	char *buf, *open_paren, *close_paren, *p;
	size_t clen;
	int ret, i;

	ret = proc_slurp(pid, "stat", &buf, NULL);
	if (ret)
		return ret;
	/* comm may hold spaces and parens: it ends at the last ')'. */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    close_paren[1] != ' ') {
		ret = -EINVAL;
		goto out;
	}
	memset(st, 0, sizeof(*st));
	st->pid = (pid_t)strtol(buf, NULL, 10);
	clen = (size_t)(close_paren - open_paren - 1);
	if (clen >= sizeof(st->comm))
		clen = sizeof(st->comm) - 1;
	memcpy(st->comm, open_paren + 1, clen);
	st->state = close_paren[2];
	/* v[n] is field n of proc(5); fields 4.. follow the state. */
	p = close_paren + 3;
	for (i = 4; i < 52 && *p; i++) {
		char *end;

		v[i] = strtoull(p, &end, 10);
		if (end == p)
			break;
		if (i == 19) /* nice is signed */
			v[i] = (unsigned long long)strtoll(p, NULL, 10);
		p = *end ? end + 1 : end;
	}
	if (i < 52) {
		ret = -EINVAL;
		goto out;
	}
	st->ppid = (pid_t)v[4];
	st->pgid = (pid_t)v[5];
	st->sid = (pid_t)v[6];
	st->flags = (unsigned int)v[9];
	st->nice = (long)v[19];
	st->start_code = v[26];
	st->end_code = v[27];
	st->start_stack = v[28];
	st->exit_signal = (int)v[38];
	st->start_data = v[45];
	st->end_data = v[46];
	st->start_brk = v[47];
	st->arg_start = v[48];
	st->arg_end = v[49];
	st->env_start = v[50];
	st->env_end = v[51];
out:
	free(buf);
	return ret;
}

const char *proc_field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int proc_list_ids(pid_t pid, const char *dir, int **out)
{
	int *ids = NULL, nr = 0, cap = 0;
	struct dirent *de;
	char path[64];
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, dir);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name)
			continue;
		if (nr == cap) {
			int *n = realloc(ids,
					 sizeof(int) *
						 (size_t)(cap ? cap * 2 : 16));

			if (!n) {
				free(ids);
				closedir(d);
				return -ENOMEM;
			}
			ids = n;
			cap = cap ? cap * 2 : 16;
		}
		ids[nr++] = (int)v;
	}
	closedir(d);
	if (nr)
		qsort(ids, (size_t)nr, sizeof(int), cmp_int);
	*out = ids;
	return nr;
}
