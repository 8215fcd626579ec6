#!/usr/bin/env bash
# make test-slurm: runs Configs/slurm-grid.json (8 runs on the mmgcn-toy data)
# through `bench slurm --submit` on a single-node Slurm started here, as job
# arrays at most 2 wide, and checks that the merged store and its table are
# those of one `bench run` process.
#
# The Slurm is this host with `nproc` CPUs: munged, slurmctld and slurmd, run
# from a temporary folder that holds their config, keys, sockets, state, pid
# files and logs. Only the daemons started here are stopped, by their pid
# files, also when the test fails. A failure prints the daemons' and the jobs'
# log tails; nothing is skipped. Needs root (apt-get, munged --force, slurmd).
#
# Usage: Tests/Slurm/test-slurm.sh BENCH   (BENCH: a release build of bench)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
CONFIG="$ROOT/Configs/slurm-grid.json"
NAME=slurm-grid
TIMEOUT=${SLURM_TEST_TIMEOUT:-600}   # seconds to wait for the jobs
CTLD_PORT=${SLURM_TEST_PORT:-16817}

say() { echo "test-slurm: $*"; }

# --- dependencies ------------------------------------------------------------
missing=""
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "installing:$missing"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing > /dev/null
fi

# --- a temporary single-node cluster -----------------------------------------
TMP=$(mktemp -d /tmp/bench-slurm.XXXXXX)
chmod 700 "$TMP"
mkdir -p "$TMP/munge" "$TMP/state" "$TMP/spool" "$TMP/results" "$TMP/single"
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
export SLURM_CONF="$TMP/slurm.conf"
status=1

logtails() {
  for f in "$TMP"/munged.log "$TMP"/slurmctld.log "$TMP"/slurmd.log "$TMP"/results/$NAME/slurm/*.out; do
    [ -f "$f" ] || continue
    echo "----- last lines of $f"
    tail -n 30 "$f"
  done
}

stop_daemons() {
  # Jobs first, then the daemons this script started, by their pid files.
  if [ -n "${JOBS:-}" ]; then scancel $JOBS 2> /dev/null || true; fi
  for d in slurmd slurmctld munged; do
    pidfile="$TMP/$d.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill "$pid" 2> /dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2> /dev/null || true
    fi
  done
}

finish() {
  if [ "$status" != 0 ]; then
    say "FAILED; log tails follow"
    logtails
  fi
  stop_daemons
  rm -rf "$TMP"
}
trap 'finish' EXIT
trap 'exit 130' INT TERM

fail() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root: munged, slurmctld and slurmd run as root here, and slurmd starts the jobs"

head -c 1024 /dev/urandom > "$TMP/munge/munge.key"
chmod 400 "$TMP/munge/munge.key"
# --force: munged runs as root here, in a folder it does not own by default.
munged --force --key-file="$TMP/munge/munge.key" --socket="$TMP/munge/munge.socket" \
  --pid-file="$TMP/munged.pid" --log-file="$TMP/munged.log" --seed-file="$TMP/munge/munge.seed" \
  || fail "munged did not start"

cat > "$SLURM_CONF" << EOF
ClusterName=benchtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$((CTLD_PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$TMP/munge/munge.socket
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/slurmctld.pid
SlurmdPidFile=$TMP/slurmd.pid
SlurmctldLogFile=$TMP/slurmctld.log
SlurmdLogFile=$TMP/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=main Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -f "$SLURM_CONF" -i || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 60); do
  state=$(sinfo -h -n "$HOST" -o %t 2> /dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
[ "$state" = idle ] || fail "the node is not idle after 60 s (state: '${state:-none}')"
say "single-node Slurm up: $HOST, $CPUS CPUs, $(sinfo --version)"

# --- the grid as Slurm job arrays --------------------------------------------
cd "$ROOT"
SLURM_DIR="$TMP/results/$NAME/slurm"
JOBS=""

# submit [EXTRA bench slurm OPTIONS]: sets the job ids (tuning, final, tables, check).
submit() {
  local out
  out=$("$BENCH" slurm "$CONFIG" --results "$TMP/results" --shards 2 --cpus-per-task 1 --mem 1G --time 0:10:00 \
    --submit "$@") || fail "bench slurm --submit failed: $out"
  echo "$out"
  ids=$(echo "$out" | sed -n 's/^submitted: //p' | grep -o '[0-9]\+' | tr '\n' ' ')
  read -r tuning final tables check <<< "$ids"
  [ -n "${check:-}" ] || fail "expected four job ids (tuning, final, tables, check), got '$ids'"
  JOBS="$JOBS $ids"
}

# wait_jobs: prints squeue every second until the last submitted jobs leave it.
wait_jobs() {
  local deadline=$(( $(date +%s) + TIMEOUT )) queue
  while :; do
    queue=$(squeue -h -j "$tuning,$final,$tables,$check" -o "%.10i %.24j %.9T %.6M %R" 2> /dev/null || true)
    [ -z "$queue" ] && break
    echo "[$(date +%T)]"
    echo "$queue"
    [ "$(date +%s)" -lt "$deadline" ] || fail "the jobs did not finish within $TIMEOUT s"
    sleep 1
  done
}

job_state() { scontrol show job "$1" 2> /dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | cut -d= -f2 | tr '\n' ' '; }
report_states() {
  for id in $tuning $final $tables $check; do
    say "job $id $(scontrol show job "$id" | grep -o 'JobName=[^ ]*' | head -1): $(job_state "$id")"
  done
}

echo "== bench plan"
"$BENCH" plan "$CONFIG" --results "$TMP/results" --shard-count 2

echo "== 1. the whole grid: tuning array, final array (afterok), tables (afterok), check (afterany)"
start=$(date +%s%N)
submit --max-parallel 2
echo "== generated tuning.sbatch"
cat "$SLURM_DIR/tuning.sbatch"
echo "== squeue while the jobs run"
wait_jobs
slurm_ms=$(( ($(date +%s%N) - start) / 1000000 ))
report_states
for id in $tuning $final $tables $check; do
  [ "$(job_state "$id")" = "COMPLETED " ] || fail "job $id did not complete"
done
echo "== check job log"
cat "$SLURM_DIR/check.out"
grep -q "every run is stored" "$SLURM_DIR/check.out" || fail "the check job did not find every run"
echo "== tables job log (head)"
head -n 3 "$SLURM_DIR/tables.out"

# --- the same config in one process, then compare ----------------------------
echo "== one process"
single_start=$(date +%s%N)
"$BENCH" run "$CONFIG" --results "$TMP/single" --quiet > "$TMP/single.out"
single_ms=$(( ($(date +%s%N) - single_start) / 1000000 ))

echo "== bench merge of the one-process store into the Slurm store"
merge=$("$BENCH" merge "$TMP/single/$NAME" --into "$TMP/results/$NAME") || { echo "$merge"; fail "bench merge reported conflicts"; }
echo "$merge"
runs=$(ls "$TMP/single/$NAME/runs" | wc -l)
[ "$merge" = "merged into $TMP/results/$NAME/runs: copied 0, identical $runs, conflicts 0" ] \
  || fail "expected all $runs runs identical and none copied"

# The tables: every row of numbers and every chosen point, the same.
table_rows() { grep -E '^\| |^- [A-Za-z]+: ' "$1"; }
if ! diff <(table_rows "$TMP/single/$NAME/$NAME.md") <(table_rows "$TMP/results/$NAME/$NAME.md"); then
  fail "the tables differ"
fi
table_rows "$TMP/results/$NAME/$NAME.md"
say "$runs runs: the Slurm arrays' merged table equals one process's"

echo "== 2. a preempted shard: task 1 of the tuning array is cancelled before it starts"
rm -rf "$TMP/results/$NAME"
submit --max-parallel 1
scancel "${tuning}_1"
wait_jobs
report_states
[ "$(job_state "$check")" = "FAILED " ] || fail "the check job should fail when a shard is cancelled"
[ "$(job_state "$tables")" != "COMPLETED " ] || fail "the tables job should not run after a failed shard"
echo "== check job log"
cat "$SLURM_DIR/check.out"
grep -q "^shards with runs missing: 1$" "$SLURM_DIR/check.out" || fail "the check job did not name shard 1"
echo "== resubmitted: only the missing runs run"
submit --max-parallel 2
wait_jobs
report_states
[ "$(job_state "$tables")" = "COMPLETED " ] || fail "the resubmitted tables job did not complete"
cat "$SLURM_DIR"/tuning-0.out
grep -q "shard 0/2: trained 0, reused 3" "$SLURM_DIR"/tuning-0.out || fail "shard 0 should have reused its 3 runs"
merge=$("$BENCH" merge "$TMP/single/$NAME" --into "$TMP/results/$NAME") || { echo "$merge"; fail "bench merge reported conflicts"; }
echo "$merge"
[ "$merge" = "merged into $TMP/results/$NAME/runs: copied 0, identical $runs, conflicts 0" ] \
  || fail "after the resubmission, expected all $runs runs identical to one process's"
say "wall time, submission to the end of the last job: $((slurm_ms / 1000)).$((slurm_ms % 1000 / 100)) s (2-wide arrays); one process: $((single_ms / 1000)).$((single_ms % 1000 / 100)) s"
status=0
