#!/bin/sh
# Installs the Debian 12 packages Proxilion needs to build, test and benchmark.
# Idempotent: packages already present are left alone, and apt is not touched
# at all when nothing is missing, so `make run` stays fast after the first time.
set -eu

PKGS="build-essential pkg-config
libh2o-evloop-dev libssl-dev
libhyperscan-dev
libcjson-dev
libyaml-dev
libhiredis-dev
libhttp-parser-dev
libcriterion-dev
redis-server
nginx
wrk
clang libclang-rt-14-dev
valgrind
python3"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-deps: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Packaged daemons (redis-server, nginx) must not start system-wide services
# on install: tests and benchmarks start their own instances on loopback.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    created_policy=1
fi
cleanup() { [ "$created_policy" -eq 1 ] && $SUDO rm -f "$policy"; }
trap cleanup EXIT
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "install-deps: done"
