/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging. Levels as CRIU's -v: 0 silent, 1 errors, 2 warnings (default),
 * 3 info, 4 debug. An error is one line on stderr,
 *   cryo: error: <what> (<object>): <reason>
 * and every message at or below the verbosity goes to the log file (-o),
 * with a timestamp and, for errors, the source location. Without a log
 * file, warnings and up go to stderr.
 *
 * Messages carry no trailing newline; the logger adds it.
 *
 * The log is process-wide state (like the kernel's printk), the one place
 * cryo keeps state outside its context structs.
 */
#ifndef CRYO_LOG_H
#define CRYO_LOG_H

#include <stdio.h>

enum { LOG_ERROR = 1, LOG_WARN = 2, LOG_INFO = 3, LOG_DEBUG = 4 };

/* Opens the log file (NULL: none) at dirfd; returns 0 or -errno. */
int log_init(int verbosity, int dirfd, const char *path);
void log_fini(void);
int log_level(void);

__attribute__((format(printf, 5, 6))) void log_error(const char *file, int line,
						     const char *what,
						     const char *obj,
						     const char *fmt, ...);
/* An error already worded "<what> (<object>): <reason>" (library messages). */
void log_error_msg(const char *file, int line, const char *msg);
__attribute__((format(printf, 2, 3))) void log_msg(int level, const char *fmt,
						   ...);

/*
 * A restore child sends its messages to the parent through fd instead
 * ("<level><message>\n" lines); the parent hands each line to
 * log_relay_line().
 */
void log_relay_to(int fd);
void log_relay_line(const char *line);
/* The injection engine's log callback: its errors as cryo's error line. */
void log_engine(int level, const char *msg, void *arg);

/* pr_err("open image", path, "%s", strerror(e)): the object is a string */
#define pr_err(what, obj, ...)                                                 \
	log_error(__FILE__, __LINE__, what, obj, __VA_ARGS__)
/* pr_perr("seize", pid, "%s", strerror(e)): the object is "pid N" */
#define pr_perr(what, pid, ...)                                                \
	do {                                                                   \
		char obj_[24];                                                 \
		snprintf(obj_, sizeof(obj_), "pid %d", (int)(pid));            \
		log_error(__FILE__, __LINE__, what, obj_, __VA_ARGS__);        \
	} while (0)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
