// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * x86-64 register handling: the syscall calling convention, the syscall
 * restart rules, and the crash-safety frame (an rt_sigframe on the
 * target's own stack that rt_sigreturn turns back into the seized state if
 * the tracer dies while an injected syscall is set up).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../inject-internal.h"

#define NR_RESTART_SYSCALL 219
#define RED_ZONE	   128

/* The kernel's struct sigcontext / ucontext / rt_sigframe for x86-64. */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct k_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct k_stack uc_stack;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct k_rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	uint8_t info[128];
};

#define UC_FP_XSTATE	     0x1
#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FP_XSTATE_MAGIC1     0x46505853U
#define FP_XSTATE_MAGIC2     0x46505845U
#define FX_SW_OFFSET	     464 /* sw_reserved in the legacy area */

struct k_fx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};

void arch_setup_syscall(struct user_regs_struct *r, long nr,
			const unsigned long args[6], unsigned long ip,
			unsigned long sp)
{
	r->rax = nr;
	r->orig_rax = -1; /* not in a syscall: no restart on resume */
	r->rdi = args[0];
	r->rsi = args[1];
	r->rdx = args[2];
	r->r10 = args[3];
	r->r8 = args[4];
	r->r9 = args[5];
	r->rip = ip;
	r->rsp = sp;
}

/*
 * At a syscall-entry stop: make the kernel run nr instead of the syscall
 * entered (it reads the number from orig_rax after the stop; rax holds
 * -ENOSYS at entry), and return with rsp at the frame's pretcode. r holds
 * what was set before the entry: rip must now point past the 2-byte
 * syscall instruction, as the kernel's own saved rip does, or the thread
 * would run the syscall again if we died at the exit stop.
 */
void arch_set_entry_nr(struct user_regs_struct *r, long nr, unsigned long sp)
{
	r->orig_rax = nr;
	r->rax = -ENOSYS;
	r->rsp = sp;
	r->rip += 2;
}

long arch_syscall_result(const struct user_regs_struct *r)
{
	return (long)r->rax;
}

/* The syscall a thread was stopped in and will restart, or -1. */
long arch_interrupted_syscall(const struct user_regs_struct *r)
{
	if ((long)r->orig_rax < 0)
		return -1;
	switch (-(long)r->rax) {
	case CRYO_ERESTARTSYS:
	case CRYO_ERESTARTNOINTR:
	case CRYO_ERESTARTNOHAND:
	case CRYO_ERESTART_RESTARTBLOCK:
		return (long)r->orig_rax;
	}
	return -1;
}

/*
 * What the kernel's signal path does for an interrupted syscall when no
 * handler runs (arch_do_signal_or_restart): back up over the 2-byte
 * syscall instruction and run it again, or restart_syscall for a syscall
 * that keeps its remaining work in the thread's restart block.
 */
void arch_emulate_restart(struct user_regs_struct *r)
{
	if (arch_interrupted_syscall(r) < 0)
		return;
	if (-(long)r->rax == CRYO_ERESTART_RESTARTBLOCK)
		r->rax = NR_RESTART_SYSCALL;
	else
		r->rax = r->orig_rax;
	r->rip -= 2;
	r->orig_rax = -1;
}

static void fill_sigcontext(struct k_sigcontext *sc,
			    const struct user_regs_struct *r)
{
	sc->r8 = r->r8;
	sc->r9 = r->r9;
	sc->r10 = r->r10;
	sc->r11 = r->r11;
	sc->r12 = r->r12;
	sc->r13 = r->r13;
	sc->r14 = r->r14;
	sc->r15 = r->r15;
	sc->rdi = r->rdi;
	sc->rsi = r->rsi;
	sc->rbp = r->rbp;
	sc->rbx = r->rbx;
	sc->rdx = r->rdx;
	sc->rax = r->rax;
	sc->rcx = r->rcx;
	sc->rsp = r->rsp;
	sc->rip = r->rip;
	sc->eflags = r->eflags;
	sc->cs = r->cs;
	sc->ss = r->ss;
}

/*
 * Writes the crash-safety frame below the thread's red zone: an
 * rt_sigframe whose pretcode is the target's rt_sigreturn restorer, whose
 * ucontext holds the seized registers (with the syscall restart already
 * applied), signal mask and XSAVE area. The injected syscall then runs
 * from a "syscall; ret" gadget with rsp at the frame: if the tracer dies,
 * the thread finishes the syscall, returns into the restorer, and
 * rt_sigreturn puts back everything we changed. The bytes overwritten are
 * saved and put back at release.
 */
int arch_build_frame(struct cryo_victim *v, struct cryo_thread *t)
{
	struct user_regs_struct r = t->regs;
	unsigned long top, fp, sf;
	struct k_rt_sigframe *f;
	struct k_fx_sw_bytes *sw;
	size_t len, fplen;
	uint8_t *buf;
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	uint64_t xcr0;
	int err = 0;
	/* A thread with SUD exempt gadgets returns through its own restorer. */
	unsigned long restorer = t->sud_gadget ? t->sud_restorer : v->restorer;

	if (!(v->gadget || t->sud_gadget) || !restorer || !t->xsave ||
	    t->xsave_len < FX_SW_OFFSET + sizeof(*sw))
		return -ENOENT;
	/*
	 * rt_sigreturn resets the restart block, so restart_syscall would
	 * return -EINTR: on this path only, a RESTARTBLOCK syscall starts
	 * over with its original arguments (still in the registers).
	 */
	if (-(long)r.rax == CRYO_ERESTART_RESTARTBLOCK &&
	    arch_interrupted_syscall(&r) >= 0)
		r.rax = (unsigned long)-CRYO_ERESTARTSYS;
	arch_emulate_restart(&r);

	fplen = t->xsave_len + sizeof(magic2);
	top = t->regs.rsp - RED_ZONE;
	fp = (top - fplen) & ~63UL;
	sf = (fp - sizeof(*f)) & ~63UL;
	len = top - sf;

	buf = calloc(1, len);
	t->stack_save = malloc(len);
	if (!buf || !t->stack_save) {
		err = -ENOMEM;
		goto out_free;
	}
	if (cryo_mem_read(v, sf, t->stack_save, len) != (ssize_t)len) {
		err = -EFAULT;
		goto out_free;
	}
	f = (struct k_rt_sigframe *)buf;
	f->pretcode = restorer;
	f->uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	/* An invalid ss_flags makes restore_altstack fail quietly (EINVAL,
	 * ignored by rt_sigreturn): the thread's sigaltstack stays as is. */
	f->uc.uc_stack.ss_flags = 0x7fff0000;
	fill_sigcontext(&f->uc.uc_mcontext, &r);
	f->uc.uc_mcontext.fpstate = fp;
	f->uc.uc_sigmask = t->pub.sigmask;

	memcpy(buf + (fp - sf), t->xsave, t->xsave_len);
	/* ptrace's sw_reserved starts with XCR0; a signal frame's holds the
	 * fx_sw_bytes that tell rt_sigreturn an XSAVE area follows. */
	sw = (struct k_fx_sw_bytes *)(buf + (fp - sf) + FX_SW_OFFSET);
	memcpy(&xcr0, sw, sizeof(xcr0));
	memset(sw, 0, sizeof(*sw));
	sw->magic1 = FP_XSTATE_MAGIC1;
	sw->extended_size = fplen;
	sw->xfeatures = xcr0;
	sw->xstate_size = t->xsave_len;
	memcpy(buf + (fp - sf) + t->xsave_len, &magic2, sizeof(magic2));

	if (cryo_mem_write(v, sf, buf, len) != (ssize_t)len) {
		err = -EFAULT;
		goto out_free;
	}
	t->frame = sf;
	t->stack_save_len = len;
	free(buf);
	return 0;

out_free:
	free(buf);
	free(t->stack_save);
	t->stack_save = NULL;
	return err;
}
