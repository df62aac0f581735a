// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Spy: a victim already traced by someone else is refused. The spy seizes
 * a blocked victim; a second tracer (a child of the spy) must get -EBUSY
 * from cryo_inject_seize and leave it alone; then the spy injects, and
 * the victim verifies itself as usual.
 */
#include "spy.h"

int main(void)
{
	struct cryo_victim *v2 = NULL;
	struct spy s;
	int st = 0, r;
	pid_t c;

	if (spy_start(&s, "pipe_read") || spy_wait_ready(&s, 5000) ||
	    spy_wait_blocked(&s, SYS_read, SYS_read, 1, 5000) < 0 ||
	    spy_seize(&s))
		return spy_abort(&s);
	fflush(NULL);
	c = fork();
	if (c == 0) {
		r = cryo_inject_seize(s.pid, NULL, &v2);
		if (r == 0)
			cryo_inject_release(v2);
		_exit(r == -EBUSY ? 0 : 1);
	}
	if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		spy_fail(&s, "a second tracer was not refused with -EBUSY");
	spy_inject_all(&s, getpid());
	spy_release(&s);
	if (spy_wait_blocked(&s, SYS_read, SYS_read, 1, 2000) > 0 &&
	    write(s.data_wr, VDATA, strlen(VDATA)) < 0)
		spy_fail(&s, "write: %s", strerror(errno));
	return spy_finish(&s, 10000);
}
