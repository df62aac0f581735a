// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cryo's command line: argument parsing and dispatch only. Option names and
 * meanings follow CRIU's wherever cryo has the same feature, so scripts
 * written for CRIU keep working. Exit status: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cryo.h"
#include "../log.h"

#define EXIT_USAGE 2

struct command {
	const char *name;
	int (*fn)(struct cryo_ctx *ctx);
	const char *summary;
	const char *usage;
	const char *step; /* for commands still to come: when */
};

static const struct command commands[] = {
	{"dump", cmd_dump, "checkpoint a process tree into an image",
	 "dump -t PID [-D DIR | --stream] [-R] [-j] [-W DIR] [-o FILE] [-v[N]]\n"
	 "  -t, --tree PID          the root of the tree to dump\n"
	 "  -D, --images-dir DIR    where the image goes (DIR/" CRYO_IMG_NAME
	 ")\n"
	 "      --stream            write the image to stdout instead\n"
	 "  -R, --leave-running     leave the tree running after the dump\n"
	 "  -j, --shell-job         the tree is a shell job (has a terminal)\n"},
	{"restore", cmd_restore, "rebuild a process from an image",
	 "restore -D DIR | --stream [-d] [-j] [--pidfile FILE] [-o FILE] [-v[N]]\n"
	 "  -D, --images-dir DIR    the image to restore (DIR/" CRYO_IMG_NAME
	 ")\n"
	 "      --stream            read the image from stdin instead\n"
	 "  -d, --restore-detached  exit once the process runs (else wait\n"
	 "                          for it and exit with its status)\n"
	 "  -j, --shell-job         restore terminal fds onto cryo's terminal\n"
	 "      --pidfile FILE      write the restored PID to FILE\n"
	 "      --keep-lsm          keep the image's LSM labels: fail unless\n"
	 "                          this host runs the same LSMs\n"
	 "      --lsm-profile TYPE:NAME  give the process this LSM label\n"},
	{"show", cmd_show, "decode an image to JSON or a summary",
	 "show [DIR|FILE|-] [--summary] [--pages]\n"
	 "  DIR|FILE|-              an images dir, an image file, or stdin\n"
	 "                          (default: -D DIR)\n"
	 "      --summary           a human-readable table instead of JSON\n"
	 "      --pages             list every page run, not a summary\n"},
	{"check", cmd_check, "probe the kernel features cryo uses",
	 "check [--feature NAME] [--all]\n"
	 "  --feature NAME          probe one feature only\n"
	 "  --all                   optional features count for the exit status too\n"},
	{"pre-dump", NULL, "dump memory and keep tracking writes",
	 "pre-dump -t PID -D DIR\n", "step 9"},
	{"page-server", NULL, "receive page data over TCP",
	 "page-server -D DIR --port PORT\n", "step 9"},
	{"lazy-pages", NULL, "serve page faults of a lazy restore",
	 "lazy-pages -D DIR\n", "step 9"},
	{"migrate", NULL, "move a running tree to another host",
	 "migrate -t PID --address HOST\n", "step 9"},
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

enum {
	OPT_PIDFILE = 256,
	OPT_STREAM,
	OPT_SUMMARY,
	OPT_PAGES,
	OPT_FEATURE,
	OPT_ALL,
	OPT_KEEP_LSM,
	OPT_LSM_PROFILE,
};

static const struct option long_opts[] = {
	{"tree", required_argument, NULL, 't'},
	{"images-dir", required_argument, NULL, 'D'},
	{"work-dir", required_argument, NULL, 'W'},
	{"log-file", required_argument, NULL, 'o'},
	{"verbosity", optional_argument, NULL, 'v'},
	{"shell-job", no_argument, NULL, 'j'},
	{"leave-running", no_argument, NULL, 'R'},
	{"restore-detached", no_argument, NULL, 'd'},
	{"pidfile", required_argument, NULL, OPT_PIDFILE},
	{"stream", no_argument, NULL, OPT_STREAM},
	{"summary", no_argument, NULL, OPT_SUMMARY},
	{"pages", no_argument, NULL, OPT_PAGES},
	{"feature", required_argument, NULL, OPT_FEATURE},
	{"all", no_argument, NULL, OPT_ALL},
	{"keep-lsm", no_argument, NULL, OPT_KEEP_LSM},
	{"lsm-profile", required_argument, NULL, OPT_LSM_PROFILE},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: cryo <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-12s %s%s%s%s\n", commands[i].name,
			commands[i].summary,
			commands[i].step ? " (not yet: " : "",
			commands[i].step ? commands[i].step : "",
			commands[i].step ? ")" : "");
	fprintf(f,
		"\ncommon options:\n"
		"  -W, --work-dir DIR      where the log goes (default: -D DIR)\n"
		"  -o, --log-file FILE     full log, relative to the work dir\n"
		"  -v[N], --verbosity[=N]  0 silent .. 4 debug (default 2; -v is 4)\n"
		"  -h, --help              this help; cryo help COMMAND for one\n"
		"  -V, --version           print the version\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int help(const char *name)
{
	const struct command *c;

	if (!name) {
		usage(stdout);
		return 0;
	}
	c = find_command(name);
	if (!c) {
		fprintf(stderr, "cryo: unknown command '%s'\n", name);
		return EXIT_USAGE;
	}
	printf("cryo %s: %s%s%s%s\n\nusage: cryo %s", c->name, c->summary,
	       c->step ? " (not implemented yet: " : "", c->step ? c->step : "",
	       c->step ? ")" : "", c->usage);
	return 0;
}

static int parse_verbosity(const char *arg, int *out)
{
	char *end;
	long v;

	if (!arg) {
		*out = LOG_DEBUG;
		return 0;
	}
	/* CRIU accepts -vvvv as well as -v4. */
	if (arg[0] == 'v') {
		*out = LOG_WARN + 1 + (int)strspn(arg, "v");
		if (*out > LOG_DEBUG)
			*out = LOG_DEBUG;
		return arg[strspn(arg, "v")] ? -1 : 0;
	}
	v = strtol(arg, &end, 10);
	if (*end || v < 0 || v > 4)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct cryo_opts *o)
{
	int c;

	opterr = 0;
	optind = 2; /* argv[1] is the command */
	while ((c = getopt_long(argc, argv, ":t:D:W:o:v::jRdhV", long_opts,
				NULL)) != -1) {
		char *end;

		switch (c) {
		case 't':
			o->tree = (pid_t)strtol(optarg, &end, 10);
			if (*end || o->tree <= 0) {
				fprintf(stderr,
					"cryo: invalid PID '%s' for --tree\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'D':
			o->images_dir = optarg;
			break;
		case 'W':
			o->work_dir = optarg;
			break;
		case 'o':
			o->log_file = optarg;
			break;
		case 'v':
			if (parse_verbosity(optarg, &o->verbosity)) {
				fprintf(stderr,
					"cryo: invalid verbosity '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			o->shell_job = true;
			break;
		case 'R':
			o->leave_running = true;
			break;
		case 'd':
			o->restore_detached = true;
			break;
		case OPT_PIDFILE:
			o->pidfile = optarg;
			break;
		case OPT_STREAM:
			o->stream = true;
			break;
		case OPT_SUMMARY:
			o->summary = true;
			break;
		case OPT_PAGES:
			o->pages = true;
			break;
		case OPT_FEATURE:
			o->feature = optarg;
			break;
		case OPT_ALL:
			o->all = true;
			break;
		case OPT_KEEP_LSM:
			o->keep_lsm = true;
			break;
		case OPT_LSM_PROFILE:
			if (!strchr(optarg, ':') || optarg[0] == ':' ||
			    !strchr(optarg, ':')[1]) {
				fprintf(stderr,
					"cryo: --lsm-profile wants TYPE:NAME, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			o->lsm_profile = optarg;
			break;
		case 'h':
			exit(help(o->cmd));
		case 'V':
			printf("cryo %s\n", CRYO_VERSION);
			exit(0);
		case ':':
			fprintf(stderr, "cryo: option '%s' needs an argument\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "cryo: unknown option '%s' for '%s'\n",
				argv[optind - 1], o->cmd);
			return EXIT_USAGE;
		}
	}
	o->args = argv + optind;
	o->nr_args = argc - optind;
	return 0;
}

/* Opens -D and -W, then the log file relative to the work dir. */
static int setup_dirs(struct cryo_ctx *ctx)
{
	struct cryo_opts *o = &ctx->opts;
	int ret;

	ctx->imgdir_fd = -1;
	ctx->workdir_fd = AT_FDCWD;
	if (o->images_dir) {
		ctx->imgdir_fd =
			open(o->images_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ctx->imgdir_fd < 0 && errno == ENOENT &&
		    !strcmp(o->cmd, "dump") && !mkdir(o->images_dir, 0700))
			ctx->imgdir_fd = open(o->images_dir,
					      O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ctx->imgdir_fd < 0) {
			ret = -errno;
			fprintf(stderr,
				"cryo: error: open images dir (%s): %s\n",
				o->images_dir, strerror(-ret));
			return ret;
		}
		ctx->workdir_fd = ctx->imgdir_fd;
	}
	if (o->work_dir) {
		ctx->workdir_fd =
			open(o->work_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ctx->workdir_fd < 0) {
			ret = -errno;
			fprintf(stderr, "cryo: error: open work dir (%s): %s\n",
				o->work_dir, strerror(-ret));
			return ret;
		}
	}
	ret = log_init(o->verbosity, ctx->workdir_fd, o->log_file);
	if (ret) {
		fprintf(stderr, "cryo: error: open log file (%s): %s\n",
			o->log_file, strerror(-ret));
		return ret;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cryo_ctx ctx = {.opts = {.verbosity = LOG_WARN}};
	const struct command *cmd;
	int ret;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("cryo %s\n", CRYO_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h"))
		return help(argc > 2 ? argv[2] : NULL);
	if (argv[1][0] == '-') {
		fprintf(stderr,
			"cryo: unknown option '%s' (the command comes first)\n",
			argv[1]);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "cryo: unknown command '%s' (see cryo help)\n",
			argv[1]);
		return EXIT_USAGE;
	}
	ctx.opts.cmd = cmd->name;
	/* Before option parsing: their options do not exist yet either. */
	if (!cmd->fn) {
		fprintf(stderr, "cryo: error: %s: not implemented yet (%s)\n",
			cmd->name, cmd->step);
		return 1;
	}
	ret = parse_args(argc, argv, &ctx.opts);
	if (ret)
		return ret;
	if (setup_dirs(&ctx))
		return 1;
	ret = cmd->fn(&ctx);
	log_fini();
	return ret;
}
