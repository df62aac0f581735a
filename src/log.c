// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging to stderr and to the -o log file; see log.h for the rules. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cryo/inject.h"
#include "log.h"

static struct {
	int level;
	FILE *file;
	struct timespec start;
	int relay_fd; /* -1, or where a restore child sends its messages */
} lg = {.level = LOG_WARN, .relay_fd = -1};

void log_relay_to(int fd)
{
	if (lg.file)
		fclose(lg.file);
	lg.file = NULL;
	lg.relay_fd = fd;
}

void log_relay_line(const char *line)
{
	int level = line[0] - '0';

	if (level == LOG_ERROR)
		log_error_msg("restore child", 0, line + 1);
	else if (level > LOG_ERROR && level <= LOG_DEBUG)
		log_msg(level, "%s", line + 1);
}

void log_engine(int level, const char *msg, void *arg)
{
	(void)arg;
	if (level == CRYO_INJECT_LOG_ERROR)
		log_error_msg("lib/inject", 0, msg);
	else
		log_msg(level, "inject: %s", msg);
}

int log_init(int verbosity, int dirfd, const char *path)
{
	int fd;

	lg.level = verbosity;
	clock_gettime(CLOCK_MONOTONIC, &lg.start);
	if (!path)
		return 0;
	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return -errno;
	lg.file = fdopen(fd, "w");
	if (!lg.file) {
		close(fd);
		return -ENOMEM;
	}
	setvbuf(lg.file, NULL, _IOLBF, 0);
	return 0;
}

void log_fini(void)
{
	if (lg.file)
		fclose(lg.file);
	lg.file = NULL;
}

int log_level(void)
{
	return lg.level;
}

static void stamp(FILE *f)
{
	struct timespec now;
	long long us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (now.tv_sec - lg.start.tv_sec) * 1000000LL +
	     (now.tv_nsec - lg.start.tv_nsec) / 1000;
	fprintf(f, "(%02lld.%06lld) %5d: ", us / 1000000, us % 1000000,
		(int)getpid());
}

void log_error_msg(const char *file, int line, const char *msg)
{
	if (lg.relay_fd >= 0) {
		dprintf(lg.relay_fd, "%d%s\n", LOG_ERROR, msg);
		return;
	}
	if (lg.level >= LOG_ERROR)
		fprintf(stderr, "cryo: error: %s\n", msg);
	if (lg.file) {
		stamp(lg.file);
		fprintf(lg.file, "Error (%s:%d): %s\n", file, line, msg);
	}
}

void log_error(const char *file, int line, const char *what, const char *obj,
	       const char *fmt, ...)
{
	char msg[768], reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (obj && *obj)
		snprintf(msg, sizeof(msg), "%s (%s): %s", what, obj, reason);
	else
		snprintf(msg, sizeof(msg), "%s: %s", what, reason);
	log_error_msg(file, line, msg);
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const pfx[] = {"", "Error", "Warn", "Info", "Debug"};
	va_list ap;

	if (level > lg.level)
		return;
	va_start(ap, fmt);
	if (lg.relay_fd >= 0) {
		char msg[768];

		vsnprintf(msg, sizeof(msg), fmt, ap);
		dprintf(lg.relay_fd, "%d%s\n", level, msg);
	} else if (lg.file) {
		stamp(lg.file);
		fprintf(lg.file, "%s: ", pfx[level]);
		vfprintf(lg.file, fmt, ap);
		fputc('\n', lg.file);
	} else {
		fprintf(stderr, "cryo: %s: ",
			level == LOG_WARN ? "warning" : pfx[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
