#!/usr/bin/env bash
# The container section at restore: `cryo show` lists the LSMs the image
# was taken under; --keep-lsm refuses, before creating anything, an image
# from a host with other LSMs; by default the process takes this host's
# labels; --lsm-profile wants a labelling LSM active here; an image whose
# registers need XSAVE features this CPU lacks is refused, naming them.
. "$(dirname "$0")/common.sh"
EDIT=$(resolve_build)/tests/tools/img_edit
[ -x "$EDIT" ] || fail "no $EDIT (make tests)"

start_target setsid -w sleep 1001
for _ in $(seq 300); do
	p=$(pgrep -f '^sleep 1001$' | head -n 1)
	[ -n "$p" ] && [ "$(awk '{print $6}' "/proc/$p/stat")" = "$p" ] && break
	p=
	sleep 0.01
done
[ -n "$p" ] || fail "sleep did not start as a session leader"
TARGET=$p
PIDS+=("$p")
run 0 "$CRYO" dump -t "$TARGET" -D "$T/img"
for _ in $(seq 500); do kill -0 "$TARGET" 2>/dev/null || break; sleep 0.01; done
lsms=$("$CRYO" show "$T/img" | python3 -c 'import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["type"] == "CONTAINER":
        print(r["lsms"])')
[ -n "$lsms" ] || fail "show lists no LSMs"

"$EDIT" "$T/img/cryo.img" "$T/other.img" lsms=selinux,capability || fail "img_edit"
mkdir "$T/other" && mv "$T/other.img" "$T/other/cryo.img"
run 1 "$CRYO" restore -D "$T/other" -d --keep-lsm
one_error_line "^cryo: error: restore \\(--keep-lsm\\): the image was taken under LSMs 'selinux,capability', this host runs '$lsms'"
! kill -0 "$TARGET" 2>/dev/null || fail "a process $TARGET exists after the refused restore"

run 1 "$CRYO" restore -D "$T/img" -d --lsm-profile apparmor:unconfined
one_error_line "^cryo: error: restore \\(--lsm-profile\\): 'apparmor' is not a labelling LSM active on this host"

"$EDIT" "$T/img/cryo.img" "$T/xf.img" xfeatures=0x60000e7 || fail "img_edit xfeatures"
mkdir "$T/xf" && mv "$T/xf.img" "$T/xf/cryo.img"
run 1 "$CRYO" restore -D "$T/xf" -d
one_error_line "^cryo: error: restore: the image uses XSAVE features 0x[0-9a-f]+ that this CPU lacks"

# The other-LSM image restores by default (the host's labels), and the
# real one with --keep-lsm.
CRYO_PID_WAIT_MS=5000 run 0 "$CRYO" restore -D "$T/other" -d
kill -0 "$TARGET" 2>/dev/null || fail "restore of the other-LSM image did not bring $TARGET back"
kill -9 "$TARGET"
for _ in $(seq 500); do kill -0 "$TARGET" 2>/dev/null || break; sleep 0.01; done
CRYO_PID_WAIT_MS=5000 run 0 "$CRYO" restore -D "$T/img" -d --keep-lsm
kill -0 "$TARGET" 2>/dev/null || fail "restore --keep-lsm did not bring $TARGET back"
echo "PASS"
