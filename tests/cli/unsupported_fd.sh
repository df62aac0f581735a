#!/usr/bin/env bash
# A target holding an fd of a kind step 3 cannot restore is refused at dump:
# exit 1, one error line naming the fd and its kind, no image, and the
# target runs on untraced. A terminal is refused without -j and taken with
# it; regular files and /dev/null, zero, urandom are taken.
. "$(dirname "$0")/common.sh"

# The target: python3 holding one object of KIND at fd 9 (and, for a pty,
# the slave at fd 10), then sleeping.
TARGET_PY='import ctypes, os, select, socket, sys, time
kind, ready = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
if kind == "eventfd":
    fd = os.eventfd(0)
elif kind == "signalfd":
    mask = (ctypes.c_uint64 * 16)(1 << 9)  # SIGUSR1
    fd = libc.signalfd(-1, mask, 0)
elif kind == "inotify":
    fd = libc.inotify_init()
elif kind == "epoll":
    ep = select.epoll()
    fd = os.dup(ep.fileno())
    ep.close()
elif kind == "pipe":
    fd, w = os.pipe()
    os.close(w)
elif kind == "socket":
    sk = socket.socket(socket.AF_UNIX)
    fd = os.dup(sk.fileno())
    sk.close()
elif kind == "memfd":
    fd = os.memfd_create("cryo-test")
elif kind == "directory":
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
elif kind == "terminal":
    fd, slave = os.openpty()
    os.dup2(slave, 10)
    os.close(slave)
elif kind == "supported":
    fd = os.open(sys.argv[3], os.O_RDWR | os.O_CREAT, 0o600)
    for i, dev in enumerate(["/dev/null", "/dev/zero", "/dev/urandom"]):
        d = os.open(dev, os.O_RDONLY)
        os.dup2(d, 11 + i)
        os.close(d)
if fd < 0:
    sys.exit("cannot create a %s: errno %d" % (kind, ctypes.get_errno()))
os.dup2(fd, 9)
os.close(fd)  # fd 9 is the only one of its kind
open(ready, "w").close()
time.sleep(1000)'

stop_target() {
	kill -9 "$TARGET"
	wait "$TARGET" 2>/dev/null
}

# start KIND: the target holding KIND
start() {
	rm -f "$T/ready"
	start_target python3 -c "$TARGET_PY" "$1" "$T/ready" "$T/file"
	wait_file "$T/ready"
}

# refused KIND REGEX [DUMP OPTIONS...]
refused() {
	local kind=$1 re=$2
	shift 2
	start "$kind"
	run 1 "$CRYO" dump -t "$TARGET" -D "$T/$kind" "$@"
	one_error_line "^cryo: error: dump \\(pid $TARGET\\): fd 9: $re\$"
	[ ! -e "$T/$kind/cryo.img" ] || fail "$kind: an image was left behind"
	[ ! -e "$T/$kind/cryo.img.part" ] || fail "$kind: a partial image was left behind"
	target_unharmed
	stop_target
}

for kind in eventfd signalfd inotify epoll pipe socket memfd; do
	mkdir -p "$T/$kind"
	refused "$kind" "$kind not supported yet"
done
mkdir -p "$T/directory"
refused directory "directory / not supported yet"

# A terminal: refused without -j, dumped with it.
mkdir -p "$T/terminal" "$T/terminal-j"
refused terminal "terminal /dev/ptmx needs -j/--shell-job"
start terminal
run 0 "$CRYO" dump -t "$TARGET" -D "$T/terminal-j" -R -j
[ -s "$T/terminal-j/cryo.img" ] || fail "no image with -j"
target_unharmed
stop_target

# What step 3 restores is taken.
mkdir -p "$T/supported"
start supported
run 0 "$CRYO" dump -t "$TARGET" -D "$T/supported" -R
[ -s "$T/supported/cryo.img" ] || fail "no image for regular files and /dev/null, zero, urandom"
target_unharmed
echo "ok"
