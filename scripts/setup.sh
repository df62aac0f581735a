#!/usr/bin/env bash
# Installs what cryo's build and tests need beyond a fresh machine, from
# Debian packages. Idempotent: does nothing (and says so) when all is there.
# Runs as root (apt-get); as another user it only reports what is missing.
set -euo pipefail

# package : what needs it
PACKAGES=(
	"gcc:build"
	"make:build"
	"clang:fuzzer (make fuzz)"
	"libclang-rt-14-dev:libFuzzer and sanitizer runtimes"
	"clang-format:make lint"
	"cppcheck:make lint"
	"python3:tests (JSON checks, python acceptance test)"
	"procps:tests (pgrep, ps)"
)

missing=()
for entry in "${PACKAGES[@]}"; do
	pkg=${entry%%:*}
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all build and test dependencies present"
	exit 0
fi

echo "setup: installing Debian packages: ${missing[*]}"
for entry in "${PACKAGES[@]}"; do
	for m in "${missing[@]}"; do
		[ "${entry%%:*}" = "$m" ] && echo "  $m: ${entry#*:}"
	done
done
if [ "$(id -u)" != 0 ]; then
	echo "setup: not root: install them with apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
