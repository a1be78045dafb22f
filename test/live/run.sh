#!/usr/bin/env bash
# Live suite of issue 4 §6: the smbprobe CLI against real Samba hosts in network namespaces
# (fixtures/lab.sh), compared with nmap, nbtscan and nmblookup. Needs root, Samba, nmap, nbtscan,
# tcpdump and iproute2 (Debian: samba smbclient nmap nbtscan tcpdump iproute2).
#
#   test/live/run.sh [MOCHA ARGS...]    run the suite (the same command as `npm run test:live`)
#   test/live/run.sh --samples          regenerate test/live/samples/ (peers' output and the scan table)
#
# Environment: SMBP_NS_PREFIX (namespace prefix, default smbp), SMBP_LAB_DIR (reuse/keep a lab
# folder), SMBP_LAB_KEEP=1 (leave the lab up), CI=1 (missing prerequisites fail instead of skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

if [[ "${1:-}" != --samples ]]; then
  exec npx mocha --no-config -n import=tsx --timeout 300000 'test/live/**/*.test.ts' "$@"
fi

[[ $(id -u) == 0 ]] || { echo "run.sh: --samples needs root" >&2; exit 1; }
out="$root/test/live/samples"
prefix="${SMBP_NS_PREFIX:-smbp}"
if ip netns list | grep -q "^$prefix-"; then
  echo "run.sh: a lab with prefix $prefix is up; set SMBP_NS_PREFIX to another prefix" >&2; exit 1
fi
dir=$(mktemp -d /tmp/smbprobe-samples.XXXXXX)
trap 'SMBP_NS_PREFIX=$prefix fixtures/lab.sh down "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
SMBP_NS_PREFIX=$prefix fixtures/lab.sh up "$dir" >/dev/null
ns="$prefix-client"
for h in nt1:11 smb3:12 nonb:13; do
  name=${h%%:*}; a=192.0.2.${h##*:}
  ip netns exec "$ns" nmap -n -Pn -sS -sU -p U:137,T:139,445 --script nbstat,smb-protocols,smb2-security-mode \
    -oX - "$a" >"$out/nmap-$name.xml"
  ip netns exec "$ns" nbtscan -v -s : "$a" >"$out/nbtscan-s-$name.txt" || true
  ip netns exec "$ns" nmblookup -s "$dir/client/smb.conf" -A "$a" >"$out/nmblookup-$name.txt" || true
  [[ $name == nonb ]] || ip netns exec "$ns" nbtscan -v "$a" >"$out/nbtscan-v-$name.txt" || true
done
ip netns exec "$ns" node --import tsx src/cli/main.ts scan --no-progress 192.0.2.11 192.0.2.12 192.0.2.13 \
  >"$out/scan-table.txt"
echo "samples written to $out"
