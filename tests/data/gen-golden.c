// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gen-golden: writes the golden image of format version 1, a small image
 * with every record type and fixed, recognisable values, with the image
 * library as it is. tests/unit/img_golden.c checks that every later
 * version of the library still reads it to exactly these values.
 *
 * Not a test and not built by the Makefile; see tests/data/README.md:
 *
 *   make
 *   cc -std=gnu11 -D_GNU_SOURCE -Iinclude tests/data/gen-golden.c \
 *	build/libcryo-img.a -o /tmp/gen-golden
 *   /tmp/gen-golden tests/data/golden-v1.img
 *
 * A golden image is never regenerated once committed: this program refuses
 * to overwrite an existing file. Its output is deterministic.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cryo/img.h"

#define PID  4242
#define TID2 4243
#define PAGE CRYO_IMG_ALIGN

static struct cryo_img_writer *w;

static void check(int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "gen-golden: %s: %s\n", what, strerror(-ret));
		exit(1);
	}
}

static void rec(uint16_t type, const void *fixed, size_t fixed_len,
		const void *tail, size_t tail_len)
{
	check(cryo_img_write_rec(w, type, fixed, fixed_len, tail, tail_len),
	      cryo_img_type_name(type));
}

/*
 * Page k of the image (0..3), at vaddr: a text line naming it, then the
 * bytes (k * 31 + i * 7) mod 256 up to the end of the page.
 */
static void fill_page(unsigned char *p, unsigned int k, uint64_t vaddr)
{
	int n = snprintf((char *)p, PAGE, "cryo golden page %u at 0x%llx\n", k,
			 (unsigned long long)vaddr);

	for (size_t i = (size_t)n; i < PAGE; i++)
		p[i] = (unsigned char)(k * 31 + i * 7);
}

static void header(void)
{
	struct cryo_img_header h = {
		.size = sizeof(h),
		.format_version = 1,
		.arch = CRYO_ARCH_X86_64,
		.page_size = PAGE,
		.xfeatures = 0x2e7,
		.xsave_size = 64,
		.flags = CRYO_IMGF_LEAVE_RUNNING,
		.ctime_sec = 1700000000,
		.ctime_nsec = 123456789,
		.root_pid = PID,
	};

	strcpy(h.kernel_release, "6.1.0-golden");
	strcpy(h.cryo_version, "0.1.0-golden");
	rec(CRYO_REC_HEADER, &h, sizeof(h), NULL, 0);
}

static void container(void)
{
	struct cryo_img_container c = {
		.size = sizeof(c),
		.flags = CRYO_CONTF_LSM_FROM_SECURITYFS,
		.lsms = "lockdown,capability,landlock,yama,apparmor",
		.label_lsm = "apparmor",
		.hostname = "golden-host",
		.domainname = "(none)",
	};
	static const char cgroups[] = "0::/golden.slice/app.scope\0"
				      "1:name=systemd:/golden";

	for (int i = 0; i < CRYO_NS_MAX; i++)
		c.ns_ino[i] = 4026531835ull + (uint64_t)i;
	c.ns_ino[CRYO_NS_TIME] = 0; /* absent */
	rec(CRYO_REC_CONTAINER, &c, sizeof(c), cgroups, sizeof(cgroups));
}

static void tree(void)
{
	struct cryo_img_pstree p = {.size = sizeof(p),
				    .pid = PID,
				    .ppid = 1,
				    .pgid = PID,
				    .sid = 4000,
				    .nr_threads = 2};
	static const uint32_t tids[] = {PID, TID2};

	rec(CRYO_REC_PSTREE, &p, sizeof(p), tids, sizeof(tids));
}

static void state(void)
{
	struct cryo_img_task t = {
		.size = sizeof(t),
		.pid = PID,
		.comm = "golden",
		.state = 'S',
		.exit_signal = 17,
		.personality = 0,
		.flags = 0x400100,
		.nice = -5,
		.umask = 022,
		.seccomp_mode = 2,
		.no_new_privs = 1,
	};
	static const char exe[] = "/usr/bin/golden";
	struct cryo_img_creds c = {
		.size = sizeof(c),
		.pid = PID,
		.uid = {1000, 1001, 1002, 1003},
		.gid = {2000, 2001, 2002, 2003},
		.cap_inh = 0x1,
		.cap_prm = 0x1ffffffffffull,
		.cap_eff = 0x3000,
		.cap_bnd = 0x1ffffffffffull,
		.cap_amb = 0x1000,
		.nr_groups = 3,
	};
	static const uint32_t groups[] = {4, 24, 1000};
	struct cryo_img_mm m = {
		.size = sizeof(m),
		.pid = PID,
		.start_code = 0x400000,
		.end_code = 0x401000,
		.start_data = 0x402000,
		.end_data = 0x403000,
		.start_brk = 0x404000,
		.brk = 0x425000,
		.start_stack = 0x7ffd00010f00ull,
		.arg_start = 0x7ffd00010f80ull,
		.arg_end = 0x7ffd00010fa0ull,
		.env_start = 0x7ffd00010fa0ull,
		.env_end = 0x7ffd00010ff0ull,
		.nr_vmas = 3,
	};
	static const uint64_t auxv[] = {6, PAGE, 25, 0x7ffd00010e00ull, 0, 0};
	struct cryo_img_vma v[3] = {
		{.size = sizeof(v[0]),
		 .pid = PID,
		 .start = 0x400000,
		 .end = 0x403000,
		 .pgoff = 0,
		 .ino = 131,
		 .dev = makedev(8, 1),
		 .prot = PROT_READ | PROT_EXEC,
		 .flags = MAP_PRIVATE,
		 .kind = CRYO_VMA_FILE},
		{.size = sizeof(v[1]),
		 .pid = PID,
		 .start = 0x404000,
		 .end = 0x425000,
		 .prot = PROT_READ | PROT_WRITE,
		 .flags = MAP_PRIVATE,
		 .kind = CRYO_VMA_HEAP},
		{.size = sizeof(v[2]),
		 .pid = PID,
		 .start = 0x7ffd0000f000ull,
		 .end = 0x7ffd00011000ull,
		 .prot = PROT_READ | PROT_WRITE,
		 .flags = MAP_PRIVATE,
		 .kind = CRYO_VMA_STACK},
	};
	static const char *const vpath[3] = {"/usr/bin/golden", "[heap]",
					     "[stack]"};
	unsigned char xsave[64];
	struct cryo_img_fd f[3] = {
		{.size = sizeof(f[0]),
		 .pid = PID,
		 .fd = 0,
		 .kind = CRYO_FD_CHR,
		 .flags = O_RDWR,
		 .mnt_id = 25,
		 .pos = 0,
		 .ino = 5},
		{.size = sizeof(f[1]),
		 .pid = PID,
		 .fd = 1,
		 .kind = CRYO_FD_REG,
		 .flags = O_WRONLY | O_APPEND,
		 .mnt_id = 29,
		 .pos = 1234,
		 .ino = 98765},
		{.size = sizeof(f[2]),
		 .pid = PID,
		 .fd = 2,
		 .kind = CRYO_FD_FIFO,
		 .flags = O_WRONLY,
		 .mnt_id = 14,
		 .pos = 0,
		 .ino = 54321},
	};
	static const char *const fpath[3] = {"/dev/null", "/tmp/golden.log",
					     "pipe:[54321]"};

	rec(CRYO_REC_TASK, &t, sizeof(t), exe, sizeof(exe));
	rec(CRYO_REC_CREDS, &c, sizeof(c), groups, sizeof(groups));
	rec(CRYO_REC_MM, &m, sizeof(m), auxv, sizeof(auxv));
	for (int i = 0; i < 3; i++)
		rec(CRYO_REC_VMA, &v[i], sizeof(v[i]), vpath[i],
		    strlen(vpath[i]) + 1);
	for (size_t i = 0; i < sizeof(xsave); i++)
		xsave[i] = (unsigned char)(i ^ 0x5a);
	for (uint32_t tid = PID; tid <= TID2; tid++) {
		struct cryo_img_thread th = {
			.size = sizeof(th),
			.pid = PID,
			.tid = tid,
			.xsave_size = sizeof(xsave),
			.sigmask = 0x10000ull << (tid - PID),
		};

		/* regs[i]: 0x1000 * tid + i */
		for (int i = 0; i < 27; i++)
			th.regs[i] = 0x1000ull * tid + (uint64_t)i;
		rec(CRYO_REC_THREAD, &th, sizeof(th), xsave, sizeof(xsave));
	}
	for (int i = 0; i < 3; i++)
		rec(CRYO_REC_FD, &f[i], sizeof(f[i]), fpath[i],
		    strlen(fpath[i]) + 1);
}

/* Two batches: 3 pages in runs of 1 and 2, then 1 page. */
static void pages(void)
{
	static const struct cryo_img_page_run runs1[] = {
		{0x404000, 1},
		{0x7ffd0000f000ull, 2},
	};
	static const struct cryo_img_page_run runs2[] = {
		{0x402000, 1},
	};
	static unsigned char data[4][PAGE];
	struct cryo_img_pagemap pm = {.size = sizeof(pm), .pid = PID};
	struct iovec iov[3];

	fill_page(data[0], 0, 0x404000);
	fill_page(data[1], 1, 0x7ffd0000f000ull);
	fill_page(data[2], 2, 0x7ffd00010000ull);
	fill_page(data[3], 3, 0x402000);

	pm.nr_runs = 2;
	pm.nr_pages = 3;
	rec(CRYO_REC_PAGEMAP, &pm, sizeof(pm), runs1, sizeof(runs1));
	for (int i = 0; i < 3; i++) {
		iov[i].iov_base = data[i];
		iov[i].iov_len = PAGE;
	}
	check(cryo_img_write_pages(w, iov, 3), "PAGES");

	pm.nr_runs = 1;
	pm.nr_pages = 1;
	rec(CRYO_REC_PAGEMAP, &pm, sizeof(pm), runs2, sizeof(runs2));
	iov[0].iov_base = data[3];
	check(cryo_img_write_pages(w, iov, 1), "PAGES");
}

int main(int argc, char **argv)
{
	static const char note1[] = "cryo dump -t 4242 -R (golden image v1)";
	static const char note2[] = "end of the golden image";
	struct cryo_img_wopts o = {.sz = sizeof(o)};

	if (argc != 2) {
		fprintf(stderr, "usage: gen-golden OUTPUT.img\n");
		return 2;
	}
	o.fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (o.fd < 0) {
		fprintf(stderr,
			"gen-golden: %s: %s (golden images are never regenerated)\n",
			argv[1], strerror(errno));
		return 1;
	}
	check(cryo_img_writer_new(&o, &w), "writer");
	header();
	check(cryo_img_write(w, CRYO_REC_NOTE, 0, note1, strlen(note1)),
	      "NOTE");
	container();
	tree();
	state();
	pages();
	check(cryo_img_write(w, CRYO_REC_PAD, 0, "\0\0\0\0\0\0\0", 7), "PAD");
	check(cryo_img_write(w, CRYO_REC_NOTE, 0, note2, strlen(note2)),
	      "NOTE");
	check(cryo_img_writer_finish(w), "trailer");
	cryo_img_writer_free(w);
	if (close(o.fd)) {
		perror("gen-golden: close");
		return 1;
	}
	return 0;
}
