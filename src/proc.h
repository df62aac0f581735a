/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Readers of /proc/PID files: the facts a dump takes from procfs. */
#ifndef CRYO_PROC_H
#define CRYO_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Fields of /proc/PID/stat that cryo uses (see proc(5) for numbers). */
struct proc_stat {
	pid_t pid;
	char comm[16];
	char state;
	pid_t ppid, pgid, sid;
	unsigned int flags;
	long nice;
	int exit_signal;
	uint64_t start_code, end_code, start_stack;
	uint64_t start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
};

/*
 * Reads /proc/PID/NAME (pid 0: /proc/self) into a malloc'd NUL-terminated
 * buffer; returns 0 or -errno. *len may be NULL.
 */
int proc_slurp(pid_t pid, const char *name, char **out, size_t *len);
/* The same for any file (procfs and sysfs files have no size). */
int slurp_file(const char *path, char **out, size_t *len);
int proc_parse_stat(pid_t pid, struct proc_stat *st);
/* The value after "Key:" in a status-like text, or NULL. */
const char *proc_field(const char *text, const char *key);
/* Lists the numeric entries of /proc/PID/DIR, sorted; returns the count. */
int proc_list_ids(pid_t pid, const char *dir, int **out);

#endif
