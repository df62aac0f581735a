// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Victim: the sud victim, with a "syscall; ret" thunk and an rt_sigreturn
 * restorer in its own executable, i.e. inside its SUD exempt region (as a
 * program using SUD keeps its own syscall thunks there). The engine must
 * inject through them and leave SUD on: killing the spy at any step must
 * leave dispatch armed and the handler uncalled.
 */
#define SUD_EXEMPT_GADGETS
#include "sud.c"
