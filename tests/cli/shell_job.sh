#!/usr/bin/env bash
# -j/--shell-job: a job of a terminal session (not a session leader, fds on
# a pty) is dumped with -j, refused on restore without -j, and restored
# with -j onto the terminal cryo runs on (a second pty): it goes on
# writing there, in cryo's session.
. "$(dirname "$0")/common.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }

python3 - "$CRYO" "$T" <<'PY' || fail "see above"
import os, pty, select, subprocess, sys, time, termios, fcntl

cryo, work = sys.argv[1], sys.argv[2]

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

def read_until(fd, word, timeout=10.0):
    end, got = time.time() + timeout, b""
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                got += os.read(fd, 4096)
            except OSError:
                break
            if word in got:
                return got
    fail("no %r on the terminal within %ss (got %r)" % (word, timeout, got[-200:]))

# A session on pty 1: a leader that holds the terminal, and a job in its
# own process group writing ticks to the terminal.
m1, s1 = pty.openpty()
leader = os.fork()
if leader == 0:
    os.setsid()
    fcntl.ioctl(s1, termios.TIOCSCTTY, 0)
    job = os.fork()
    if job == 0:
        os.setpgid(0, 0)
        for fd in range(3):
            os.dup2(s1, fd)
        os.closerange(3, 1024)
        os.execvp("python3", ["python3", "-c",
            "import os, time\n"
            "n = 0\n"
            "while True:\n"
            "    n += 1\n"
            "    os.write(1, b'tick %d pgid %d sid %d\\n' % (n, os.getpgid(0), os.getsid(0)))\n"
            "    time.sleep(0.05)\n"])
    open(work + "/job", "w").write(str(job))
    os.waitpid(job, 0)
    os._exit(0)
os.close(s1)
while not os.path.exists(work + "/job") or not open(work + "/job").read():
    time.sleep(0.01)
job = int(open(work + "/job").read())
import re
def ticks(data):
    return [int(x) for x in re.findall(rb"tick (\d+)", data)]
before = ticks(read_until(m1, b"tick 3"))

r = subprocess.run([cryo, "dump", "-t", str(job), "-D", work + "/img", "-j"],
                   capture_output=True, text=True)
if r.returncode:
    fail("dump -j: " + r.stderr)
# The job is gone; its session leader reaps it.
os.waitpid(leader, 0)

r = subprocess.run([cryo, "restore", "-D", work + "/img", "-d"],
                   stdin=subprocess.DEVNULL, capture_output=True, text=True)
if r.returncode == 0 or "-j/--shell-job" not in r.stderr or r.stderr.count("\n") != 1:
    fail("restore without -j: exit %d, %r" % (r.returncode, r.stderr))

# cryo runs on pty 2, in a session of its own: the job comes back there.
m2, s2 = pty.openpty()
def cryo_session():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
r = subprocess.run([cryo, "restore", "-D", work + "/img", "-d", "-j",
                    "--pidfile", work + "/rpid"], stdin=s2, stdout=s2,
                   stderr=subprocess.PIPE, text=True, preexec_fn=cryo_session)
if r.returncode:
    fail("restore -j: " + r.stderr)
rpid = int(open(work + "/rpid").read())
if rpid != job:
    fail("restored as %d, was %d" % (rpid, job))
os.close(s2)
got = read_until(m2, b"tick", 10)
got += read_until(m2, b"\n", 10)
after = ticks(got)
if not after or after[0] <= max(before):
    fail("ticks after restore %s do not continue %s" % (after[:3], before[-3:]))
for fd in range(3):
    t = os.readlink("/proc/%d/fd/%d" % (job, fd))
    if not t.startswith("/dev/pts/"):
        fail("fd %d is %s after restore -j, not a terminal" % (fd, t))
if os.getsid(job) == os.getsid(0):
    fail("the restored job is in the test's session, not cryo's")
os.kill(job, 9)
print("ok: ticks %d.. before the dump, %d.. after restore -j" % (before[0], after[0]))
PY
echo "PASS"
