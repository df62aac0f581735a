// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cryo check: probes every kernel feature cryo uses by trying it for real,
 * prints one line per feature and says whether cryo can work here. The
 * features are a table of data; the probes live in check-probes.c.
 *
 * Exit status: 0 when every required feature is present (with --all,
 * every feature), 1 otherwise; with --feature NAME, 0 when that one is
 * present. Usage errors (an unknown NAME) exit 2.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cryo.h"
#include "log.h"

#define WHY_LEN	   256
#define NAME_WIDTH 20

/*
 * One feature: its name on the command line, what it is, whether cryo
 * needs it (an optional one is listed but decides nothing, unless --all),
 * and the probe that tries it.
 */
struct probe {
	const char *name;
	const char *desc;
	bool required;
	int (*fn)(char *why, size_t len);
};

static const struct probe probes[] = {
	{"seize-interrupt", "PTRACE_SEIZE and PTRACE_INTERRUPT", true,
	 check_seize},
	{"xstate", "PTRACE_GETREGSET NT_X86_XSTATE", true, check_xstate},
	{"seccomp-filter", "PTRACE_SECCOMP_GET_FILTER", true,
	 check_seccomp_filter},
	{"seccomp-metadata", "PTRACE_SECCOMP_GET_METADATA", true,
	 check_seccomp_metadata},
	{"seccomp-suspend", "PTRACE_O_SUSPEND_SECCOMP", true,
	 check_seccomp_suspend},
	{"sud", "syscall user dispatch config over ptrace", true, check_sud},
	{"clone3-set-tid", "clone3 with set_tid", true, check_clone3_set_tid},
	{"ns-last-pid", "writable /proc/sys/kernel/ns_last_pid", true,
	 check_ns_last_pid},
	{"pidfd", "pidfd_open, pidfd_send_signal, pidfd_getfd", true,
	 check_pidfd},
	{"process-vm", "process_vm_readv and process_vm_writev", true,
	 check_process_vm},
	{"proc-mem", "forced writes through /proc/PID/mem", true,
	 check_proc_mem},
	{"kcmp", "kcmp KCMP_FILE", true, check_kcmp},
	{"prctl-mm-map", "prctl PR_SET_MM_MAP", true, check_prctl_mm_map},
	{"userfaultfd", "userfaultfd with WP_ASYNC and WP_UNPOPULATED", true,
	 check_userfaultfd},
	{"uffd-wp", "asynchronous userfaultfd write-protection", true,
	 check_uffd_wp},
	{"pagemap-scan", "PAGEMAP_SCAN ioctl on /proc/PID/pagemap", true,
	 check_pagemap_scan},
	{"tcp-repair", "TCP_REPAIR mode", true, check_tcp_repair},
	{"namespaces", "unshare of every namespace kind", true,
	 check_namespaces},
	{"time-ns", "time namespace offsets", true, check_time_ns},
	{"rseq-config", "PTRACE_GET_RSEQ_CONFIGURATION", true, check_rseq},
	{"sigmask", "PTRACE_GETSIGMASK and PTRACE_SETSIGMASK", true,
	 check_sigmask},
	{"peeksiginfo", "PTRACE_PEEKSIGINFO", true, check_peeksiginfo},
	{"timer-restore-ids", "PR_TIMER_CREATE_RESTORE_IDS", true,
	 check_timer_ids},
	{"map-files", "/proc/PID/map_files", true, check_map_files},
	{"memfd", "memfd_create and seals", true, check_memfd},
	{"soft-dirty", "soft-dirty bits in /proc/PID/pagemap", false,
	 check_soft_dirty},
};

#define NR_PROBES (sizeof(probes) / sizeof(probes[0]))

static const struct probe *find_probe(const char *name)
{
	for (size_t i = 0; i < NR_PROBES; i++)
		if (!strcmp(probes[i].name, name))
			return &probes[i];
	return NULL;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Runs one probe and prints its line; returns the probe's result. */
static int run_probe(const struct probe *p)
{
	char why[WHY_LEN] = "";
	long long start = now_us();
	const char *opt = p->required ? "" : " (optional)";
	int ret;

	fflush(stdout); /* nothing buffered may be duplicated by a fork */
	ret = p->fn(why, sizeof(why));
	pr_debug("check: %s: %d (%s) in %lld us", p->name, ret, why,
		 now_us() - start);
	if (!ret && why[0])
		printf("%-*s ok%s: %s\n", NAME_WIDTH, p->name, opt, why);
	else if (!ret)
		printf("%-*s ok%s\n", NAME_WIDTH, p->name, opt);
	else
		printf("%-*s missing%s: %s\n", NAME_WIDTH, p->name, opt,
		       why[0] ? why : strerror(-ret));
	fflush(stdout);
	return ret;
}

static void list_features(FILE *f)
{
	for (size_t i = 0; i < NR_PROBES; i++)
		fprintf(f, "  %-*s %s%s\n", NAME_WIDTH, probes[i].name,
			probes[i].desc,
			probes[i].required ? "" : " (optional)");
}

/*
 * cryo check [--feature NAME] [--all]: one line per feature on stdout and
 * a summary line; exit status as said at the top.
 */
int cmd_check(struct cryo_ctx *ctx)
{
	const struct cryo_opts *o = &ctx->opts;
	char missing[512] = "";
	size_t used = 0, i;
	int nr_req = 0, nr_missing = 0;
	const struct probe *p;

	if (o->nr_args) {
		fprintf(stderr, "cryo: check takes no arguments ('%s')\n",
			o->args[0]);
		return 2;
	}
	if (o->feature) {
		p = find_probe(o->feature);
		if (!p) {
			fprintf(stderr,
				"cryo: unknown feature '%s'; valid features:\n",
				o->feature);
			list_features(stderr);
			return 2;
		}
		return run_probe(p) ? 1 : 0;
	}
	for (i = 0; i < NR_PROBES; i++) {
		bool counts = probes[i].required || o->all;

		p = &probes[i];
		nr_req += counts;
		if (!run_probe(p) || !counts)
			continue;
		nr_missing++;
		if (used < sizeof(missing))
			used += (size_t)snprintf(missing + used,
						 sizeof(missing) - used, "%s%s",
						 used ? ", " : "", p->name);
	}
	if (nr_missing)
		printf("cryo check: %d %sfeature%s missing: %s\n", nr_missing,
		       o->all ? "" : "required ", nr_missing > 1 ? "s" : "",
		       missing);
	else
		printf("cryo check: %d of %d %sfeatures present\n", nr_req,
		       nr_req, o->all ? "" : "required ");
	return nr_missing ? 1 : 0;
}
