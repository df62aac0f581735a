// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Logging through the caller's callback, and the fault-injection knob.
 * Without a callback, errors go to stderr as one line each:
 *   cryo-inject: error: <what> (pid N): <reason>
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "inject-internal.h"

static const char *const level_names[] = {
	[CRYO_INJECT_LOG_ERROR] = "error",
	[CRYO_INJECT_LOG_WARN] = "warning",
	[CRYO_INJECT_LOG_INFO] = "info",
	[CRYO_INJECT_LOG_DEBUG] = "debug",
};

static void vlog(const struct cryo_inject_opts *o, int level, const char *fmt,
		 va_list ap)
{
	int max = o && o->log_level ? o->log_level : CRYO_INJECT_LOG_ERROR;
	char msg[512];

	if (level > max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (o && o->log) {
		o->log(level, msg, o->log_arg);
		return;
	}
	if (level < CRYO_INJECT_LOG_ERROR || level > CRYO_INJECT_LOG_DEBUG)
		level = CRYO_INJECT_LOG_ERROR;
	fprintf(stderr, "cryo-inject: %s: %s\n", level_names[level], msg);
}

void cryo_log_opts(const struct cryo_inject_opts *o, int level, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(o, level, fmt, ap);
	va_end(ap);
}

void cryo_log(const struct cryo_victim *v, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(v ? &v->opts : NULL, level, fmt, ap);
	va_end(ap);
}

/*
 * CRYO_INJECT_FAULT=STEP: die by SIGKILL on reaching STEP, so that tests
 * can show the target survives the tracer's death there. The variable is
 * read once at seize (v->fault).
 */
void cryo_fault(const struct cryo_victim *v, const char *step)
{
	if (!v->fault[0] || strcmp(v->fault, step))
		return;
	cryo_log(v, CRYO_INJECT_LOG_INFO, "fault injection: dying at %s", step);
	kill(getpid(), SIGKILL);
	pause();
}
