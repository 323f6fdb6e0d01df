#!/usr/bin/env bash
# A throwaway single-node Ceph (one mon, one memstore osd, one radosgw) on 127.0.0.1 under a directory of the
# caller's choice, for tests, CI and a local summit-like object store. No systemd, no containers, no mgr.
#
#   scripts/ceph-local.sh start  DIR [--json] [--rgw-port N] [--mon-port N]   install if needed, start, print env
#   scripts/ceph-local.sh stop   DIR [rgw]                                     stop all daemons (or only radosgw)
#   scripts/ceph-local.sh status DIR [--json]                                  exit 0 if S3 answers
#   scripts/ceph-local.sh env    DIR [--json]                                  print the endpoint and credentials
#
# `start` is idempotent: on a running cluster it only prints the environment; if only radosgw died it restarts just
# radosgw (the objects live in the osd's memory, so they survive); if the mon or osd died the directory's cluster is
# rebuilt from scratch. stdout carries only `export` lines (or JSON with --json), so `eval "$(… start DIR)"` works;
# progress goes to stderr. Facts and timings: docs/ceph.md.
set -euo pipefail

APT_PACKAGES=(ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl)
ACCESS_KEY="${CEPH_LOCAL_ACCESS_KEY:-DAQSIMACCESSKEY}"
SECRET_KEY="${CEPH_LOCAL_SECRET_KEY:-daqsimSECRETkey0123456789}"
RGW_USER="${CEPH_LOCAL_USER:-daqsim}"
MEMSTORE_BYTES="${CEPH_LOCAL_MEMSTORE_BYTES:-4294967296}"
# Must match region-less SigV4 as the SDKs send it; RGW accepts any region name for its default zonegroup.
REGION="us-east-1"

log() { echo "ceph-local: $*" >&2; }
T0="$(date +%s.%N)"
debug() { if [ -n "${CEPH_LOCAL_DEBUG:-}" ]; then echo "ceph-local: [$(since "$T0") s] $*" >&2; fi; }
die() { echo "ceph-local: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 2 ] || usage
CMD="$1"; shift
DIR="$1"; shift
JSON=0; ONLY=""; RGW_PORT=""; MON_PORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --json) JSON=1 ;;
    --rgw-port) RGW_PORT="$2"; shift ;;
    --mon-port) MON_PORT="$2"; shift ;;
    rgw) ONLY=rgw ;;
    *) usage ;;
  esac
  shift
done
mkdir -p "$DIR"
B="$(cd "$DIR" && pwd)"
CONF="$B/ceph.conf"
export CEPH_CONF="$CONF"

# One caller at a time per directory (parallel test workers may race to start the same cluster). The daemons are
# started with fd 9 closed so they do not hold the lock after we exit.
exec 9>"$B/.lock"
flock -w 120 9 || die "another ceph-local.sh holds $B/.lock"

# The pid of a daemon of this directory, or nothing. The cmdline must name our conf: never signal a recycled pid.
pid_of() {
  local f="$B/pid.$1" p
  [ -s "$f" ] || return 0
  p="$(cat "$f")"
  if [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$CONF"; then echo "$p"; fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p="$1"
  while port_busy "$p"; do p=$((p + 1)); done
  echo "$p"
}

s3_answers() { curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$RGW_PORT/" 2>/dev/null; }

print_env() {
  local ep="http://127.0.0.1:$RGW_PORT"
  if [ "$JSON" = 1 ]; then
    local pids="" d p
    for d in mon osd rgw; do p="$(pid_of "$d")"; pids="$pids\"$d\":${p:-null},"; done
    printf '{"endpoint":"%s","accessKeyId":"%s","secretAccessKey":"%s","region":"%s","dir":"%s","conf":"%s","pids":{%s}}\n' \
      "$ep" "$ACCESS_KEY" "$SECRET_KEY" "$REGION" "$B" "$CONF" "${pids%,}"
  else
    cat <<EOF
export AWS_ENDPOINT_URL=$ep
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=$REGION
export CEPH_CONF=$CONF
EOF
  fi
}

read_ports() {
  [ -s "$B/ports" ] || return 1
  # shellcheck disable=SC1091
  . "$B/ports"
}

install_packages() {
  local missing=() p installed
  installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null | awk '/install ok installed/ { print $1 }')"
  for p in "${APT_PACKAGES[@]}"; do
    grep -qx -- "$p" <<<"$installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null || ! sudo -n true 2>/dev/null; then die "Debian packages missing (${missing[*]}) and not root"; fi
    sudo="sudo -n"
  fi
  local t; t="$(now)"
  log "installing ${missing[*]} (about 40 s)"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "installed in $(since "$t") s"
}

write_conf() {
  local fsid="$1"
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
# Without it the osd binds its cluster ports on 0.0.0.0.
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
# A nearly full CI disk must not make the mon shut itself down (default: below 5 % free).
mon data avail crit = 0
run dir = $B/run
admin socket = $B/run/\$name.asok
log file = $B/log/\$name.log
mon cluster log file = $B/log/cluster.log
[mon]
mon data = $B/mon.\$id
# Default 1 s per paxos round makes radosgw's pool creation take ~13 s instead of ~1 s.
paxos propose interval = 0.05
paxos min wait = 0.01
[osd]
osd data = $B/osd.\$id
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
# A radosgw that died without unwatching (SIGKILL, crash) leaves watches that stall every bucket-metadata change
# (CreateBucket, notification setup) by 10 s per retry until the osd drops them: 30 s by default.
osd client watch timeout = 10
[client]
# radosgw and radosgw-admin default to cephx + secure mode, impossible with auth none: without this radosgw
# retries "get_initial_auth_request returned -13" for 300 s and exits.
ms mon client mode = crc
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
# A notification endpoint that accepts but never answers would hold each PUT for 300 s.
rgw curl low speed time = 5
EOF
}

# SigV4-signed request with curl (the warm-up needs no SDK).
# curl 7.88 does not send x-amz-content-sha256 itself, and RGW rejects a SigV4 request without it.
s3curl() {
  curl -fsS -m 30 --aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

# The first bucket, PUT and multipart upload each make radosgw create a pool (~0.3-2 s each): pay that here, not in
# the first test or the first image of a night.
warm_up() {
  local ep="http://127.0.0.1:$RGW_PORT" b="daqsim-warmup" up
  s3curl -o /dev/null -X PUT "$ep/$b" 2>/dev/null || true
  printf 'warm' | s3curl -o /dev/null -X PUT --data-binary @- "$ep/$b/warm" >/dev/null
  up="$(s3curl -X POST "$ep/$b/mp?uploads=" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')"
  [ -n "$up" ] || die "warm-up multipart upload not started"
  local etag
  etag="$(printf 'part' | s3curl -D - -o /dev/null -X PUT --data-binary @- "$ep/$b/mp?partNumber=1&uploadId=$up" |
    tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p')"
  s3curl -o /dev/null -X POST -H 'Content-Type: application/xml' \
    --data-binary "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>$etag</ETag></Part></CompleteMultipartUpload>" \
    "$ep/$b/mp?uploadId=$up"
}

start_rgw() {
  radosgw -c "$CONF" -n client.rgw.a -f >>"$B/log/rgw.out" 2>&1 9>&- &
  echo $! >"$B/pid.rgw"
}

wait_s3() {
  local i
  for i in $(seq 1 240); do
    s3_answers && return 0
    [ -n "$(pid_of rgw)" ] || die "radosgw exited; see $B/log/client.rgw.a.log and $B/log/rgw.out"
    sleep 0.25
  done
  die "radosgw did not answer on 127.0.0.1:$RGW_PORT within 60 s; see $B/log/client.rgw.a.log"
}

ensure_user() {
  radosgw-admin -c "$CONF" user info --uid="$RGW_USER" >/dev/null 2>&1 ||
    radosgw-admin -c "$CONF" user create --uid="$RGW_USER" --display-name="$RGW_USER" \
      --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
}

stop_pid() {
  local name="$1" p
  p="$(pid_of "$name")"
  if [ -n "$p" ]; then kill -TERM "$p" 2>/dev/null || true; fi
  rm -f "$B/pid.$name"
  echo "$p"
}

# A pid that exists and is not a zombie (an exited daemon may wait for a reaper that never comes).
alive() { [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat" 2>/dev/null; }

# SIGTERM was sent; SIGKILL after 3 s: the data is in memory and thrown away anyway.
wait_gone() {
  local p i
  for p in "$@"; do
    [ -n "$p" ] || continue
    i=0
    while alive "$p" && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
    i=0
    while alive "$p" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  done
}

# Daemons started with this directory's conf whose pid file is gone (a start that was killed half-way). The conf
# path is unique to the directory, so this never matches another cluster.
orphans() {
  local f p
  # cmdline is NUL-separated: -z makes each argument a line, -x matches the `-c CONF` argument exactly.
  grep -lzxF -- "$CONF" /proc/[0-9]*/cmdline 2>/dev/null | while read -r f; do
    p="${f#/proc/}"; p="${p%/cmdline}"
    case "$(head -zn1 "$f" 2>/dev/null | tr -d '\0')" in ceph-mon | ceph-osd | radosgw) echo "$p" ;; esac
  done
  # grep finds nothing most of the time: not an error (pipefail + set -e would end the script).
  return 0
}

cmd_stop() {
  if [ "$ONLY" = rgw ]; then
    wait_gone "$(stop_pid rgw)"
    log "radosgw stopped"
    return
  fi
  # One at a time, clients first: each exits in ~0.2 s, while radosgw whose osd or mon is already gone lingers
  # until SIGKILL.
  wait_gone "$(stop_pid rgw)"
  wait_gone "$(stop_pid osd)"
  wait_gone "$(stop_pid mon)"
  local left; left="$(orphans)"
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null || true
    # shellcheck disable=SC2086
    wait_gone $left
  fi
  log "stopped"
}

cmd_start() {
  local t0; t0="$(now)"
  if [ -n "$(pid_of mon)" ] && [ -n "$(pid_of osd)" ] && read_ports; then
    if [ -n "$(pid_of rgw)" ] && s3_answers; then
      log "already running at http://127.0.0.1:$RGW_PORT"
      print_env
      return
    fi
    wait_gone "$(stop_pid rgw)"
    port_busy "$RGW_PORT" && die "port $RGW_PORT is taken by another process"
    log "restarting radosgw"
    start_rgw
    wait_s3
    log "radosgw up in $(since "$t0") s"
    print_env
    return
  fi

  install_packages
  for b in ceph-mon ceph-osd radosgw monmaptool radosgw-admin ceph uuidgen curl flock; do
    command -v "$b" >/dev/null || die "$b not found after installing ${APT_PACKAGES[*]}"
  done
  t0="$(now)"
  # Half-dead cluster or leftovers from an earlier run: memstore lost the objects with the osd, so start afresh.
  ONLY="" cmd_stop 2>/dev/null
  # A start that fails half-way leaves no daemon behind (the logs stay for the diagnosis).
  trap 'if [ "${STARTED:-}" != 1 ]; then log "start failed: stopping what was started"; ONLY="" cmd_stop; fi' EXIT
  rm -rf "$B/mon.a" "$B/osd.0" "$B/run" "$B/monmap" "$B/ports"
  mkdir -p "$B/run" "$B/log" "$B/mon.a" "$B/osd.0"

  MON_PORT="$(free_port "${MON_PORT:-3300}")"
  RGW_PORT="$(free_port "${RGW_PORT:-7480}")"
  printf 'MON_PORT=%s\nRGW_PORT=%s\n' "$MON_PORT" "$RGW_PORT" >"$B/ports"
  local fsid; fsid="$(uuidgen)"
  write_conf "$fsid"

  debug "mon mkfs"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$B/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$B/monmap" >>"$B/log/mkfs.out" 2>&1
  ceph-mon -c "$CONF" -i a -f >>"$B/log/mon.out" 2>&1 9>&- &
  echo $! >"$B/pid.mon"

  # `osd new` waits for the mon's quorum itself; with auth none no keyrings are needed anywhere.
  local uuid id
  debug "mon started"
  uuid="$(uuidgen)"
  id="$(ceph -c "$CONF" --connect-timeout 30 osd new "$uuid")" || die "mon did not come up; see $B/log/mon.a.log"
  [ "$id" = 0 ] || die "unexpected osd id $id"
  debug "osd mkfs"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" >>"$B/log/mkfs.out" 2>&1 || die "osd mkfs failed; see $B/log/mkfs.out"
  ceph-osd -c "$CONF" -i 0 -f >>"$B/log/osd.out" 2>&1 9>&- &
  echo $! >"$B/pid.osd"

  # radosgw waits for the osd by itself: starting it now overlaps its start with the osd's boot.
  debug "radosgw starting"
  start_rgw
  wait_s3
  debug "s3 answers"
  # After radosgw is up, not alongside: both would initialise the default zone at once.
  ensure_user || die "radosgw-admin user create failed; see $B/log/client.admin.log"
  local t1; t1="$(since "$t0")"
  debug "user ready, warming up"
  warm_up
  STARTED=1
  log "S3 answers at http://127.0.0.1:$RGW_PORT after $t1 s, warmed up after $(since "$t0") s (dir $B)"
  print_env
}

cmd_status() {
  read_ports || { log "no cluster in $B"; exit 1; }
  local d
  for d in mon osd rgw; do log "$d: $(p="$(pid_of "$d")"; [ -n "$p" ] && echo "running (pid $p)" || echo "not running")"; done
  if s3_answers; then log "S3 answers at http://127.0.0.1:$RGW_PORT"; print_env; else log "S3 does not answer"; exit 1; fi
}

case "$CMD" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) read_ports || die "no cluster in $B"; print_env ;;
  *) usage ;;
esac
