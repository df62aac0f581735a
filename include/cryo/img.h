/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcryo-img: the cryo image format.
 *
 * An image is one stream of typed, checksummed records, written and read
 * strictly sequentially so that it can travel through a pipe or a socket.
 * docs/image-format.md specifies every byte; this header is the API.
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure. Readers keep a one-line description of the last failure that
 * names the record type and its stream offset (cryo_img_reader_error()).
 */
#ifndef CRYO_IMG_H
#define CRYO_IMG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __must_check
#define __must_check __attribute__((warn_unused_result))
#endif

/* The first 8 bytes of every image stream. */
#define CRYO_IMG_MAGIC	   "CRYOIMG\n"
#define CRYO_IMG_MAGIC_LEN 8

/* Incompatible layout changes bump this; additions do not. */
#define CRYO_IMG_VERSION 1

/* Page data is aligned to this boundary in the stream. */
#define CRYO_IMG_ALIGN 4096u

/* Record header: 24 bytes, little-endian, before every payload. */
struct cryo_img_rec_hdr {
	uint16_t type;
	uint16_t flags;	      /* CRYO_REC_F_* */
	uint32_t payload_crc; /* CRC32C of the payload */
	uint64_t len;	      /* payload length in bytes */
	uint32_t seq;	      /* record index, 0 for the header record */
	uint32_t hdr_crc;     /* CRC32C of the 20 bytes above */
};

#define CRYO_REC_F_REQUIRED 0x0001 /* a reader that does not know it fails */
#define CRYO_REC_F_KNOWN    0x0001 /* mask of flags this version defines */

/* Record types. Numbers are stable: never reuse one. */
enum cryo_rec_type {
	CRYO_REC_HEADER = 1,
	CRYO_REC_CONTAINER = 2,
	CRYO_REC_PSTREE = 3,
	CRYO_REC_TASK = 4,
	CRYO_REC_CREDS = 5,
	CRYO_REC_MM = 6,
	CRYO_REC_VMA = 7,
	CRYO_REC_THREAD = 8,
	CRYO_REC_FD = 9,
	CRYO_REC_PAGEMAP = 10,
	CRYO_REC_PAGES = 11,
	CRYO_REC_PAD = 12,
	CRYO_REC_NOTE = 13,
	CRYO_REC_SIGACTION = 14,
	CRYO_REC_SIGINFO = 15,
	CRYO_REC_ITIMER = 16,
	CRYO_REC_POSIX_TIMER = 17,
	CRYO_REC_RLIMITS = 18,
	CRYO_REC_PROC_MISC = 19,
	CRYO_REC_THREAD_MISC = 20,
	CRYO_REC_SECCOMP_FILTER = 21,
	CRYO_REC_SECCOMP_CHAIN = 22,
	CRYO_REC_SUD = 23,
	CRYO_REC_LSM_LABEL = 24,
	CRYO_REC_TRAILER = 0xffff,
};

/* Sections, in stream order; a record never follows one of a later section. */
enum cryo_img_section {
	CRYO_SEC_ANY = 0, /* may appear anywhere (PAD, NOTE) */
	CRYO_SEC_HEADER,
	CRYO_SEC_CONTAINER,
	CRYO_SEC_TREE,
	CRYO_SEC_STATE,
	CRYO_SEC_PAGES,
	CRYO_SEC_TRAILER,
};

/*
 * Payloads. Each starts with `size`, the length of its fixed part; a
 * variable tail (a path, an array) may follow the fixed part. Fixed parts
 * only grow at the end: a reader takes min(size, sizeof) bytes and zeroes
 * the rest, so older, shorter payloads stay readable.
 */

#define CRYO_ARCH_X86_64 62 /* EM_X86_64 */

struct cryo_img_header {
	uint32_t size;
	uint32_t format_version;
	uint32_t arch;
	uint32_t page_size;
	uint64_t xfeatures; /* XSAVE components the saved state uses */
	uint32_t xsave_size;
	uint32_t flags; /* CRYO_IMGF_* */
	uint64_t ctime_sec;
	uint32_t ctime_nsec;
	uint32_t root_pid;
	char kernel_release[72];
	char cryo_version[32];
};

#define CRYO_IMGF_LEAVE_RUNNING 0x1 /* the tree was left running */

/* Container configuration (the Linux-CR section): security and namespaces. */
enum cryo_ns_idx {
	CRYO_NS_USER,
	CRYO_NS_PID,
	CRYO_NS_NET,
	CRYO_NS_MNT,
	CRYO_NS_UTS,
	CRYO_NS_IPC,
	CRYO_NS_CGROUP,
	CRYO_NS_TIME,
	CRYO_NS_MAX
};

struct cryo_img_container {
	uint32_t size;
	uint32_t flags;	    /* CRYO_CONTF_* */
	char lsms[128];	    /* active LSMs, comma separated, in kernel order */
	char label_lsm[32]; /* the LSM whose labels tasks carry ("" if none) */
	char hostname[72];  /* uts namespace of the root task */
	char domainname[72];
	uint64_t ns_ino[CRYO_NS_MAX]; /* root task's namespace inodes, 0 if absent */
	/* tail: the root task's /proc/PID/cgroup text, one line per hierarchy
	 * ("ID:CONTROLLERS:PATH\n"), NUL-terminated */
};

#define CRYO_CONTF_LSM_FROM_SECURITYFS 0x1 /* lsms read from securityfs */

struct cryo_img_pstree {
	uint32_t size;
	uint32_t pid;
	uint32_t ppid;
	uint32_t pgid;
	uint32_t sid;
	uint32_t nr_threads;
	/* tail: uint32_t tids[nr_threads], the thread group leader first */
};

struct cryo_img_task {
	uint32_t size;
	uint32_t pid;
	char comm[16];
	uint32_t state; /* the letter of /proc/PID/stat at dump time */
	uint32_t exit_signal;
	uint32_t personality;
	uint32_t flags; /* PF_* word of /proc/PID/stat */
	int32_t nice;
	uint32_t umask;
	uint32_t seccomp_mode;
	uint32_t no_new_privs;
	/* tail: the executable's path, NUL-terminated */
};

struct cryo_img_creds {
	uint32_t size;
	uint32_t pid;
	uint32_t uid[4]; /* real, effective, saved, fs */
	uint32_t gid[4];
	uint64_t cap_inh;
	uint64_t cap_prm;
	uint64_t cap_eff;
	uint64_t cap_bnd;
	uint64_t cap_amb;
	uint32_t nr_groups;
	uint32_t pad;
	/* added after v1 (a v1 reader sees 0): */
	uint32_t securebits; /* PR_GET_SECUREBITS */
	uint32_t pad2;
	/* tail: uint32_t groups[nr_groups] */
};

struct cryo_img_mm {
	uint32_t size;
	uint32_t pid;
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint32_t nr_vmas;
	uint32_t pad;
	/* tail: the auxv, (uint64_t type, uint64_t value) pairs */
};

enum cryo_vma_kind {
	CRYO_VMA_ANON,
	CRYO_VMA_FILE,
	CRYO_VMA_HEAP,
	CRYO_VMA_STACK,
	CRYO_VMA_VDSO,
	CRYO_VMA_VVAR,
	CRYO_VMA_VVAR_VCLOCK,
	CRYO_VMA_VSYSCALL,
	CRYO_VMA_SPECIAL, /* other [name] areas */
};

struct cryo_img_vma {
	uint32_t size;
	uint32_t pid;
	uint64_t start;
	uint64_t end;
	uint64_t pgoff;
	uint64_t ino;
	uint32_t dev;	  /* makedev() of the backing file */
	uint32_t prot;	  /* PROT_* */
	uint32_t flags;	  /* MAP_SHARED or MAP_PRIVATE */
	uint32_t kind;	  /* enum cryo_vma_kind */
	uint32_t vmflags; /* CRYO_VMF_*, from VmFlags in /proc/PID/smaps */
	uint32_t pad;
	/* tail: the path or [name] from /proc/PID/maps, NUL-terminated */
};

/* VMA.vmflags: the VmFlags letters restore has to set again. */
#define CRYO_VMF_GROWSDOWN   0x001	/* gd */
#define CRYO_VMF_DONTCOPY    0x002	/* dc: MADV_DONTFORK */
#define CRYO_VMF_DONTDUMP    0x004	/* dd: MADV_DONTDUMP */
#define CRYO_VMF_WIPEONFORK  0x008	/* wf: MADV_WIPEONFORK */
#define CRYO_VMF_HUGEPAGE    0x010	/* hg: MADV_HUGEPAGE */
#define CRYO_VMF_NOHUGEPAGE  0x020	/* nh: MADV_NOHUGEPAGE */
#define CRYO_VMF_LOCKED	     0x040	/* lo: mlock */
#define CRYO_VMF_LOCKONFAULT 0x080	/* lf: mlock2(MLOCK_ONFAULT) */
#define CRYO_VMF_MERGEABLE   0x100	/* mg: MADV_MERGEABLE */
#define CRYO_VMF_DONTEXPAND  0x200	/* de: kernel special mapping */
#define CRYO_VMF_NORESERVE   0x400	/* nr: MAP_NORESERVE */
#define CRYO_VMF_ACCOUNT     0x800	/* ac: charged to the commit limit */
#define CRYO_VMF_VALID	     0x80000000 /* the field was filled */

struct cryo_img_thread {
	uint32_t size;
	uint32_t pid;
	uint32_t tid;
	uint32_t xsave_size;
	uint64_t sigmask;
	uint64_t regs[27]; /* struct user_regs_struct, x86-64 order */
			   /* tail: the XSAVE area, xsave_size bytes */
};

enum cryo_fd_kind {
	CRYO_FD_REG,
	CRYO_FD_DIR,
	CRYO_FD_CHR,
	CRYO_FD_BLK,
	CRYO_FD_FIFO,
	CRYO_FD_SOCK,
	CRYO_FD_ANON, /* anon_inode: eventfd, epoll, ... */
	CRYO_FD_OTHER,
};

struct cryo_img_fd {
	uint32_t size;
	uint32_t pid;
	uint32_t fd;
	uint32_t kind;	/* enum cryo_fd_kind */
	uint32_t flags; /* open flags from fdinfo */
	uint32_t mnt_id;
	uint64_t pos;
	uint64_t ino;
	/* 1 + a lower fd that is the same open file description; 0: none
	 * (so that images from before this field read as "none") */
	uint32_t dup_of;
	uint32_t pad;
	/* tail: the target of /proc/PID/fd/N, NUL-terminated */
};

/* One signal's disposition (rt_sigaction), if not SIG_DFL with no flags. */
struct cryo_img_sigaction {
	uint32_t size;
	uint32_t pid;
	uint32_t sig;
	uint32_t pad;
	uint64_t handler; /* SIG_DFL 0, SIG_IGN 1, or an address */
	uint64_t flags;	  /* SA_* */
	uint64_t restorer;
	uint64_t mask; /* sa_mask, bit sig-1 for signal sig */
};

/* One queued signal, in queue order; tail: its 128-byte siginfo. */
struct cryo_img_siginfo {
	uint32_t size;
	uint32_t pid;
	uint32_t tid; /* 0: the process-wide (shared) queue */
	uint32_t signo;
	int32_t code; /* si_code */
	uint32_t pad;
	/* tail: the kernel's siginfo_t, 128 bytes */
};

/* One armed interval timer (setitimer). */
struct cryo_img_itimer {
	uint32_t size;
	uint32_t pid;
	uint32_t which; /* ITIMER_REAL 0, ITIMER_VIRTUAL 1, ITIMER_PROF 2 */
	uint32_t pad;
	uint64_t interval_sec;
	uint64_t interval_usec;
	uint64_t value_sec; /* time left until the next expiry */
	uint64_t value_usec;
};

/* One POSIX timer (timer_create), with the id the process knows it by. */
struct cryo_img_posix_timer {
	uint32_t size;
	uint32_t pid;
	uint32_t id;
	int32_t clock;	 /* clockid_t, CPU clocks included */
	uint32_t notify; /* sigev_notify: SIGEV_SIGNAL, _NONE, _THREAD_ID|.. */
	uint32_t signo;
	uint64_t value;	     /* sigev_value */
	uint32_t notify_tid; /* SIGEV_THREAD_ID: the thread; else 0 */
	uint32_t overrun;    /* timer_getoverrun at dump (not restorable) */
	uint64_t interval_sec;
	uint64_t interval_nsec;
	uint64_t value_sec; /* time left until the next expiry, 0: disarmed */
	uint64_t value_nsec;
};

/* Resource limits; tail: (cur, max) pairs, index = RLIMIT_* number. */
struct cryo_img_rlimits {
	uint32_t size;
	uint32_t pid;
	uint32_t nr; /* pairs in the tail */
	uint32_t pad;
	/* tail: struct { uint64_t cur, max; } lim[nr], ~0 = RLIM_INFINITY */
};

/* Per-process settings of prctl and procfs. */
struct cryo_img_proc_misc {
	uint32_t size;
	uint32_t pid;
	uint32_t dumpable;     /* PR_GET_DUMPABLE */
	uint32_t pdeathsig;    /* PR_GET_PDEATHSIG (of the leader) */
	uint32_t subreaper;    /* PR_GET_CHILD_SUBREAPER */
	uint32_t thp_disable;  /* PR_GET_THP_DISABLE */
	int32_t oom_score_adj; /* /proc/PID/oom_score_adj */
	uint32_t pad;
	/* tail: cwd, NUL, root, NUL (readlink of /proc/PID/cwd and root) */
};

/* Per-thread kernel state besides registers and signal mask. */
struct cryo_img_thread_misc {
	uint32_t size;
	uint32_t pid;
	uint32_t tid;
	uint32_t sas_flags; /* sigaltstack ss_flags (SS_DISABLE 2, ...) */
	char comm[16];
	uint64_t sas_sp;
	uint64_t sas_size;
	uint64_t clear_child_tid; /* PR_GET_TID_ADDRESS */
	uint64_t robust_head;	  /* get_robust_list */
	uint64_t robust_len;
	uint64_t rseq_abi; /* PTRACE_GET_RSEQ_CONFIGURATION; 0: none */
	uint32_t rseq_len;
	uint32_t rseq_flags;
	uint32_t rseq_sig;
	uint32_t sched_policy; /* sched_getattr */
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint64_t timer_slack; /* PR_GET_TIMERSLACK, ns */
	uint32_t nr_cpus;     /* bits in the affinity tail */
	uint32_t pad;
	/* tail: the CPU affinity mask, u32 words, CPU n = bit n%32 of word n/32 */
};

/*
 * One distinct seccomp filter of a process: every thread's chain refers to
 * it by id, so a filter shared by many threads is stored once. Written
 * before the SECCOMP_CHAIN records that use it.
 */
struct cryo_img_seccomp_filter {
	uint32_t size;
	uint32_t pid;
	uint32_t id;	   /* 1, 2, ... within the process */
	uint32_t flags;	   /* SECCOMP_FILTER_FLAG_LOG as reported by ptrace */
	uint64_t hash;	   /* FNV-1a 64 over flags and the program */
	uint32_t nr_insns; /* struct sock_filter entries in the tail */
	uint32_t pad;
	/* tail: struct sock_filter insns[nr_insns] (u16 code, u8 jt, u8 jf,
	 * u32 k), the classic BPF program as installed */
};

/* A thread's seccomp state; no record: SECCOMP_MODE_DISABLED. */
struct cryo_img_seccomp_chain {
	uint32_t size;
	uint32_t pid;
	uint32_t tid;
	uint32_t mode; /* SECCOMP_MODE_STRICT 1 or SECCOMP_MODE_FILTER 2 */
	uint32_t nr_filters;
	uint32_t pad;
	/* tail: uint32_t ids[nr_filters] of SECCOMP_FILTER records, the
	 * oldest filter first (the order they were installed in) */
};

/* A thread's Syscall User Dispatch config; no record: SUD off. */
struct cryo_img_sud {
	uint32_t size;
	uint32_t pid;
	uint32_t tid;
	uint32_t pad;
	uint64_t mode;	   /* PR_SYS_DISPATCH_ON 1 (the kernel's numbering) */
	uint64_t selector; /* address of the selector byte, or 0 */
	uint64_t offset;   /* start of the region that is never dispatched */
	uint64_t len;
};

/* A task's label from a labelling LSM (SELinux, AppArmor, Smack). */
struct cryo_img_lsm_label {
	uint32_t size;
	uint32_t pid;
	/* the LSM, as in CONTAINER.lsms */
	char lsm[32];
	/* tail: the label as /proc/PID/attr/LSM/current shows it,
	 * NUL-terminated */
};

/* A run of saved pages; a PAGEMAP lists runs, the next PAGES holds them. */
struct cryo_img_page_run {
	uint64_t vaddr;
	uint64_t nr_pages;
};

struct cryo_img_pagemap {
	uint32_t size;
	uint32_t pid;
	uint32_t nr_runs;
	uint32_t pad;
	uint64_t nr_pages; /* sum over the runs: the next PAGES record's pages */
			   /* tail: struct cryo_img_page_run runs[nr_runs] */
};

/* CRYO_REC_PAGES: raw page data, its payload aligned to CRYO_IMG_ALIGN. */
/* CRYO_REC_PAD: zero bytes that align the next payload; optional. */
/* CRYO_REC_NOTE: free text for people (the dump's command line); optional. */

struct cryo_img_trailer {
	uint32_t size;
	uint32_t pad;
	uint64_t nr_records; /* records before the trailer, header included */
	uint64_t stream_len; /* stream offset of the trailer's record header:
			     * the length of everything before it */
	uint32_t chain_crc;  /* CRC32C over the magic and every record header */
	uint32_t pad2;
};

/* ---- record descriptors: names, sections, field layout ---- */

enum cryo_field_kind {
	CRYO_FT_U32,
	CRYO_FT_S32,
	CRYO_FT_U64,
	CRYO_FT_X32, /* shown in hex */
	CRYO_FT_X64,
	CRYO_FT_STR, /* fixed char array */
	CRYO_FT_X64_ARRAY,
	CRYO_FT_U32_ARRAY,
	CRYO_FT_CHAR, /* one letter stored in a u32 */
};

struct cryo_img_field {
	const char *name;
	uint16_t offset;
	uint16_t len; /* bytes */
	uint8_t kind; /* enum cryo_field_kind */
};

enum cryo_tail_kind {
	CRYO_TAIL_NONE,
	CRYO_TAIL_STR,	     /* one NUL-terminated string */
	CRYO_TAIL_STRS,	     /* NUL-separated strings */
	CRYO_TAIL_U32,	     /* array of u32 */
	CRYO_TAIL_U64_PAIRS, /* array of (u64, u64) */
	CRYO_TAIL_BYTES,     /* opaque bytes */
};

struct cryo_img_desc {
	uint16_t type;
	uint8_t section;  /* enum cryo_img_section */
	uint8_t tail;	  /* enum cryo_tail_kind */
	const char *name; /* "PSTREE" */
	const char *tail_name;
	uint32_t min_size; /* smallest fixed part this reader accepts */
	uint32_t cur_size; /* fixed part this version writes */
	uint16_t default_flags;
	uint8_t bulk; /* payload is data, not a struct (PAGES, PAD, NOTE) */
	const struct cryo_img_field *fields;
	unsigned int nr_fields;
};

/* Descriptor of a type, or NULL if this version does not know it. */
const struct cryo_img_desc *cryo_img_desc_get(uint16_t type);
/* Name of a type ("PAGES"), or "UNKNOWN" */
const char *cryo_img_type_name(uint16_t type);
/* All known descriptors (for tests and tools). */
const struct cryo_img_desc *cryo_img_desc_table(size_t *nr);

/* ---- checksums ---- */

/* CRC32C (Castagnoli), hardware-accelerated where SSE4.2 exists. */
uint32_t cryo_crc32c(uint32_t crc, const void *buf, size_t len);
/*
 * The CRC32C of A followed by B, from crc1 = CRC32C of A, crc2 = CRC32C of
 * B (both started from 0) and len2 = the length of B: checksums of pieces
 * computed apart (in threads) joined in order.
 */
uint32_t cryo_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);

/* ---- writer ---- */

struct cryo_img_writer;

struct cryo_img_wopts {
	size_t sz; /* sizeof(struct cryo_img_wopts) */
	int fd;	   /* where the stream goes; not closed by the writer */
};

int __must_check cryo_img_writer_new(const struct cryo_img_wopts *opts,
				     struct cryo_img_writer **out);
/* One record; the payload is the concatenation of iov. */
int __must_check cryo_img_writev(struct cryo_img_writer *w, uint16_t type,
				 uint16_t flags, const struct iovec *iov,
				 int iovcnt);
int __must_check cryo_img_write(struct cryo_img_writer *w, uint16_t type,
				uint16_t flags, const void *buf, size_t len);
/* A fixed part and a tail, with the type's default flags. */
int __must_check cryo_img_write_rec(struct cryo_img_writer *w, uint16_t type,
				    const void *fixed, size_t fixed_len,
				    const void *tail, size_t tail_len);
/* A PAGES record whose payload lands at a CRYO_IMG_ALIGN boundary. */
int __must_check cryo_img_write_pages(struct cryo_img_writer *w,
				      const struct iovec *iov, int iovcnt);
/*
 * The same with the payload's CRC32C computed by the caller: crc is
 * cryo_crc32c(0, ...) over the concatenation of iov. For a caller that
 * checksums page data in another thread than the one writing; the writer
 * trusts crc (a wrong one gives an image the reader rejects).
 */
int __must_check cryo_img_write_pages_crc(struct cryo_img_writer *w,
					  const struct iovec *iov, int iovcnt,
					  uint32_t crc);
/* Writes the trailer and flushes; the stream is complete after this. */
int __must_check cryo_img_writer_finish(struct cryo_img_writer *w);
uint64_t cryo_img_writer_offset(const struct cryo_img_writer *w);
/* The first write error (sticky), or 0. */
int cryo_img_writer_error(const struct cryo_img_writer *w);
void cryo_img_writer_free(struct cryo_img_writer *w);

/* ---- reader ---- */

struct cryo_img_reader;

struct cryo_img_ropts {
	size_t sz;	      /* sizeof(struct cryo_img_ropts) */
	int fd;		      /* not closed by the reader */
	uint64_t max_payload; /* largest in-memory payload; 0: 64 MiB */
};

struct cryo_img_rec {
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint64_t len;
	uint64_t offset; /* stream offset of the record header */
	const struct cryo_img_desc *desc; /* NULL for an unknown type */
};

/*
 * Opens the stream and reads and checks the magic and the header record.
 * On failure *out may still hold a reader: read its error, then free it.
 */
int __must_check cryo_img_reader_new(const struct cryo_img_ropts *opts,
				     struct cryo_img_reader **out);
const struct cryo_img_header *
cryo_img_reader_header(const struct cryo_img_reader *r);
/* The HEADER record's own header (offset, length, flags). */
const struct cryo_img_rec *
cryo_img_reader_header_rec(const struct cryo_img_reader *r);
/*
 * The next record after the header: 1 with *rec filled, 0 once the trailer
 * has been read and the whole stream verified, or a negative errno.
 * Unknown optional records are skipped; unknown required ones fail.
 * Payload bytes not read by the caller are read and verified here.
 */
int __must_check cryo_img_next(struct cryo_img_reader *r,
			       struct cryo_img_rec *rec);
/* The whole payload of the current record, verified; valid until next. */
int __must_check cryo_img_payload(struct cryo_img_reader *r, const void **p);
/* Reads up to n payload bytes; the checksum is verified with the last one. */
ssize_t __must_check cryo_img_read(struct cryo_img_reader *r, void *buf,
				   size_t n);
/*
 * Deferred checking, for a caller that reads a bulk payload (PAGES) from
 * the image file itself, in several threads, and checksums it there:
 *
 * cryo_img_defer() moves the reader past the unread rest of the current
 * payload without reading it, and fills *d with where those bytes are in
 * the file (from the start of the file, not of the stream), how many, and
 * what their checksum must give. -ESPIPE when the stream is not a regular
 * file (a pipe: use cryo_img_read() then).
 *
 * cryo_img_check_deferred() then takes the CRC32C of those bytes as the
 * caller read them (cryo_crc32c() from 0; pieces joined in order with
 * cryo_crc32c_combine()) and compares: a mismatch fails the reader like any
 * other corruption (-EBADMSG, the error line names the record; sticky).
 * Until then the caller must treat the bytes as unverified, and every
 * deferred payload must be checked: cryo_img_pending() counts those that
 * are not (cryo_img_next() reports the stream verified at the trailer
 * apart from them).
 */
struct cryo_img_deferred {
	uint64_t file_off;   /* the first unread payload byte in the file */
	uint64_t len;	     /* payload bytes from there to its end */
	uint64_t rec_offset; /* stream offset of the record, for messages */
	uint32_t crc_before; /* CRC32C of the payload bytes before them */
	uint32_t want_crc;   /* of the whole payload */
	uint16_t type;
};

int __must_check cryo_img_defer(struct cryo_img_reader *r,
				struct cryo_img_deferred *d);
int __must_check cryo_img_check_deferred(struct cryo_img_reader *r,
					 const struct cryo_img_deferred *d,
					 uint32_t crc);
uint64_t cryo_img_pending(const struct cryo_img_reader *r);
/* The last failure as one line: "record PAGES at offset 8192: ...". */
const char *cryo_img_reader_error(const struct cryo_img_reader *r);
const struct cryo_img_trailer *
cryo_img_reader_trailer(const struct cryo_img_reader *r);
void cryo_img_reader_free(struct cryo_img_reader *r);

/*
 * Splits a payload of a struct record: copies min(size, out_len) bytes of
 * the fixed part into out (zero-filling the rest) and points *tail past it.
 * Fails with -EBADMSG when size is below the type's minimum or past len.
 */
int __must_check cryo_img_fixed(const struct cryo_img_desc *d, const void *p,
				uint64_t len, void *out, size_t out_len,
				const void **tail, uint64_t *tail_len);

#ifdef __cplusplus
}
#endif
#endif /* CRYO_IMG_H */
