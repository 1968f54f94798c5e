#!/usr/bin/env bash
# bench-compare: the same load-generator scenarios against Parley,
# ejabberd and Prosody in one run, then the comparison table with the
# ratios Parley/peer (docs/performance.md). Run as root (`make
# bench-compare`): installs the Debian ejabberd and prosody packages if
# missing, starts each server from bench/peers/ with its own data under
# a temp dir and its own port, pins the server to CPU 0 and the
# generator to CPU 1, and stops everything it started on exit.
#
# Knobs (environment): USERS (chat, presence, login storm; 5000),
# IDLE_USERS (peers' idle run; 10000), PARLEY_IDLE_USERS (19000),
# STEP (duration of a paced step; 10s), CHAT_RATES, PRESENCE_RATES
# (broadcasts/s; each reaches 10 contacts), MUC_RUNS (room shapes and
# their groupchat message rates, "ROOMSxOCCUPANTS:RATE,RATE,..."
# separated by spaces), SCENARIOS (idle chat presence muc), SERVERS
# (parley parley-nomam ejabberd prosody), CONCURRENCY (logins in
# flight; 100), OUT (results directory; /var/tmp/parley-bench-compare/<date>).
#
# Columns: "parley" is Parley with its defaults, message archive on (the
# main column, compared to the others); "parley-nomam" is the same with
# PARLEY_MAM_ENABLED=false. ejabberd and Prosody archive too (mod_mam,
# ejabberd's on SQLite, Prosody's in its internal store: bench/peers/),
# so the archive comparison is like for like.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-5000}
IDLE_USERS=${IDLE_USERS:-10000}
PARLEY_IDLE_USERS=${PARLEY_IDLE_USERS:-19000}
STEP=${STEP:-10s}
CHAT_RATES=${CHAT_RATES:-10000,20000,30000,45000,60000}
PRESENCE_RATES=${PRESENCE_RATES:-1000,2000,4000,6000}
MUC_RUNS=${MUC_RUNS:-10x20:250,500,1000,2000,3000,5000,10000,20000,30000 2x200:25,50,100,150,250,500,1000,2000,3000}
SCENARIOS=${SCENARIOS:-idle chat presence muc}
SERVERS=${SERVERS:-parley parley-nomam ejabberd prosody}
OUT=${OUT:-/var/tmp/parley-bench-compare/$(date -u +%Y%m%dT%H%M%SZ)}
PARLEY_PORT=35222 EJABBERD_PORT=35223 PROSODY_PORT=35224
EJ_NODE=parley-bench-ejabberd@localhost
BIN=bin/parley
GEN="taskset -c 1 $BIN bench"
CONCURRENCY=${CONCURRENCY:-100}
COMMON="--domain localhost --user-prefix bench --password bench --concurrency $CONCURRENCY --sources 4 --json"

[ "$(id -u)" = 0 ] || { echo "bench-compare: run as root (package install, server users)"; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "bench-compare: needs 2 CPUs (server on 0, generator on 1)"; exit 1; }

need_install=()
command -v prosody >/dev/null || need_install+=(prosody)
command -v ejabberdctl >/dev/null || need_install+=(ejabberd)
# ejabberd's message archive is on SQLite (its SQLite driver).
dpkg -s erlang-p1-sqlite3 >/dev/null 2>&1 || need_install+=(erlang-p1-sqlite3)
if [ ${#need_install[@]} -gt 0 ]; then
	echo "== installing ${need_install[*]}"
	# Keep the package scripts from starting system instances; stop any
	# that started anyway (only the services the install created).
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.bench && chmod +x /usr/sbin/policy-rc.d.bench
	[ -e /usr/sbin/policy-rc.d ] || ln -s /usr/sbin/policy-rc.d.bench /usr/sbin/policy-rc.d
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_install[@]}" >/dev/null
	[ -L /usr/sbin/policy-rc.d ] && rm -f /usr/sbin/policy-rc.d
	rm -f /usr/sbin/policy-rc.d.bench
	for s in prosody ejabberd; do service "$s" stop >/dev/null 2>&1 || true; done
fi

go build -o "$BIN" ./cmd/parley
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"
DIR=$(mktemp -d /tmp/parley-bench-compare.XXXXXX)
chmod 755 "$DIR"
SERVER_PID=
ej() { su ejabberd -s /bin/sh -c "cd $DIR/ejabberd && ejabberdctl --ctl-config $DIR/ejabberd/ejabberdctl.cfg --spool $DIR/ejabberd/spool --logs $DIR/ejabberd --node $EJ_NODE $*"; }

stop_server() {
	case "${CURRENT:-}" in
	ejabberd) ej stop >/dev/null 2>&1 || true ;;
	esac
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID= CURRENT=
}
cleanup() {
	stop_server
	if [ -n "${KEEP:-}" ]; then echo "kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { # port
	for _ in $(seq 150); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.2
	done
	echo "server did not listen on $1"; return 1
}

echo "== provisioning users (chat/presence: $USERS with 10 contacts; idle: up to $PARLEY_IDLE_USERS)"
mkdir -p "$DIR/parley" "$DIR/ejabberd/spool" "$DIR/ejabberd/modules.d" "$DIR/prosody/data"
$BIN bench provision --users "$PARLEY_IDLE_USERS" --roster-users "$USERS" --contacts 10 --data-dir "$DIR/parley" &
PROV=$!
$BIN bench provision --users "$IDLE_USERS" --roster-users "$USERS" --contacts 10 \
	--prosody-dir "$DIR/prosody/data" --piefxis "$DIR/ejabberd/users.xml"
wait $PROV
for f in ejabberd.yml ejabberdctl.cfg; do sed "s#@DIR@#$DIR/ejabberd#g; s#@PORT@#$EJABBERD_PORT#g" "bench/peers/$f" > "$DIR/ejabberd/$f"; done
sed "s#@DIR@#$DIR/prosody#g; s#@PORT@#$PROSODY_PORT#g" bench/peers/prosody.cfg.lua > "$DIR/prosody/prosody.cfg.lua"
# ejabberd's archive database: 23.01 does not create its SQL schema
# itself (lite.sql). The file is put in WAL mode first (a property of the
# file, kept by every connection): the usual SQLite tuning, one sync per
# commit instead of a rollback journal's several; ejabberd's own
# synchronous setting stays (FULL).
python3 - "$DIR/ejabberd/ejabberd.db" /usr/share/ejabberd/sql/lite.sql <<'PY'
import sqlite3, sys
ej = sqlite3.connect(sys.argv[1])
ej.executescript(open(sys.argv[2]).read())
ej.execute("PRAGMA journal_mode=WAL")
ej.close()
PY
chown -R ejabberd:ejabberd "$DIR/ejabberd"
chown -R prosody:prosody "$DIR/prosody"

start_server() { # name
	CURRENT=$1
	case $1 in
	parley | parley-nomam)
		# Defaults (archive on) but the limits the peers do not have;
		# parley-nomam turns the archive off. Each starts on its own
		# copy of the provisioned store.
		local mam=true
		[ "$1" = parley-nomam ] && mam=false
		rm -rf "$DIR/$1.data" && cp -a "$DIR/parley" "$DIR/$1.data"
		PARLEY_LIMITS_MAX_CONNECTIONS=0 PARLEY_LIMITS_MAX_CONNECTIONS_PER_IP=0 PARLEY_LIMITS_STANZAS_PER_SECOND=0 PARLEY_LIMITS_AUTH_FAILURES_PER_MINUTE=0 \
			PARLEY_LIMITS_MAX_PRELOGIN_CONNECTIONS=0 PARLEY_LIMITS_MAX_PRELOGIN_CONNECTIONS_PER_IP=0 \
			PARLEY_MUC_MESSAGES_PER_SECOND=0 PARLEY_MUC_MAX_OCCUPANTS=0 PARLEY_MUC_MAX_ROOMS_PER_USER=0 \
			PARLEY_MAM_ENABLED=$mam \
			taskset -c 0 $BIN serve --data-dir "$DIR/$1.data" --allow-plaintext --log-level warn \
			--c2s-listen 127.0.0.1:$PARLEY_PORT --c2s-tls-listen '' --http-listen '' --http-tls-listen '' --s2s-listen '' --s2s-tls-listen '' 2>>"$OUT/$1.log" &
		SERVER_PID=$!
		PORT=$PARLEY_PORT ;;
	ejabberd)
		taskset -c 0 su ejabberd -s /bin/sh -c "ulimit -n $(ulimit -Hn); cd $DIR/ejabberd && ejabberdctl --ctl-config $DIR/ejabberd/ejabberdctl.cfg --spool $DIR/ejabberd/spool --logs $DIR/ejabberd --node $EJ_NODE start"
		for _ in $(seq 100); do ej status >/dev/null 2>&1 && break; sleep 0.3; done
		SERVER_PID=$(pgrep -u ejabberd -f "sname $EJ_NODE" | head -1)
		PORT=$EJABBERD_PORT ;;
	prosody)
		(cd "$DIR/prosody" && ulimit -n "$(ulimit -Hn)" && exec taskset -c 0 setpriv --reuid=prosody --regid=prosody --init-groups \
			prosody --config "$DIR/prosody/prosody.cfg.lua" >"$DIR/prosody/stdout.log" 2>&1) &
		SERVER_PID=$!
		PORT=$PROSODY_PORT ;;
	esac
	wait_port $PORT
	ADDR=127.0.0.1:$PORT
}

# gen LABEL SCENARIO ARGS...: one generator run, its JSON lines kept.
gen() {
	local label=$1 scenario=$2; shift 2
	echo "-- $label $scenario $*"
	timeout 300 $GEN "$scenario" --label "$label" --addr "$ADDR" --server-pid "$SERVER_PID" $COMMON "$@" \
		| tee -a "$OUT/$label.txt" | grep '^{' >> "$RESULTS" || echo "   ($label $scenario failed, see $OUT/$label.txt)"
}

want() { case " $SCENARIOS " in *" $1 "*) return 0 ;; esac; return 1; }

for s in $SERVERS; do
	echo "== $s (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
	start_server "$s"
	if [ "$s" = ejabberd ]; then
		t0=$(date +%s.%N)
		ej import_piefxis "$DIR/ejabberd/users.xml" >/dev/null
		echo "   ejabberd imported $IDLE_USERS users in $(echo "$(date +%s.%N) - $t0" | bc) s"
	fi
	# Idle memory first, on a fresh server (Parley: 19,000 over 4 processes).
	if want idle; then
		if [ "${s%-nomam}" = parley ]; then
			gen "$s" idle --users "$PARLEY_IDLE_USERS" --procs 4 --duration 5s
		else
			gen "$s" idle --users "$IDLE_USERS" --procs 2 --duration 5s
		fi
	fi
	# Login storm + chat steps up to saturation, over the same connections.
	want chat && gen "$s" chat --users "$USERS" --rates "$CHAT_RATES" --duration "$STEP"
	want presence && gen "$s" presence --users "$USERS" --contacts 10 --rates "$PRESENCE_RATES" --duration "$STEP"
	# Rooms on conference.localhost (new rooms every run), groupchat steps.
	if want muc; then
		for run in $MUC_RUNS; do
			shape=${run%%:*}
			gen "$s" muc --rooms "${shape%x*}" --occupants "${shape#*x}" --rates "${run#*:}" --duration "$STEP"
		done
	fi
	stop_server
done

{
	echo "bench-compare $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "versions: parley $(git rev-parse --short HEAD), $(dpkg-query -W -f '${Package} ${Version}' ejabberd), $(dpkg-query -W -f '${Package} ${Version}' prosody)"
	echo
	$BIN bench table --servers "$(echo $SERVERS | tr ' ' ,)" "$RESULTS"
} | tee "$OUT/table.md"
echo "results: $RESULTS, table: $OUT/table.md"
