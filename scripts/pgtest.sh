#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests.
#
#   scripts/pgtest.sh run -- CMD [ARG...]
#       Start a cluster, run CMD with TANDEM_TEST_POSTGRES (a superuser URL
#       on 127.0.0.1, so tests may CREATE DATABASE) and
#       TANDEM_REQUIRE_POSTGRES=1 in its environment, then stop the cluster
#       and delete it, whatever happened. Exits with CMD's status.
#   eval "$(scripts/pgtest.sh start)"
#       Start a cluster and print the exports (TANDEM_TEST_POSTGRES,
#       TANDEM_REQUIRE_POSTGRES, TANDEM_PGTEST_DIR) for the shell to eval.
#   scripts/pgtest.sh stop DIR
#       Stop and delete the cluster that start made in DIR.
#
# When no initdb is found under /usr/lib/postgresql/*/bin, PostgreSQL is
# installed with apt-get (as root). The cluster lives in a mktemp directory,
# listens on a free port on 127.0.0.1 only (its socket stays in that
# directory), trusts local connections and runs without fsync: it holds
# nothing worth keeping. initdb refuses to run as root, so as root the
# cluster runs as the postgres user.
set -euo pipefail

log() { echo "pgtest: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# bindir prints the bin directory of the newest installed PostgreSQL major
# version that has initdb, or nothing.
bindir() {
	local initdb
	initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
	[ -z "$initdb" ] || dirname "$initdb"
}

ensure_postgres() {
	if [ -n "$(bindir)" ]; then
		return
	fi
	[ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and this is not root: apt-get install postgresql"
	log "installing PostgreSQL with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y postgresql >&2
	[ -n "$(bindir)" ] || die "apt-get installed postgresql but no initdb is under /usr/lib/postgresql/*/bin"
}

# as_owner runs a command as the cluster's owner: postgres when we are root.
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		if command -v runuser >/dev/null 2>&1; then
			runuser -u postgres -- "$@"
		else
			su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
		fi
	else
		"$@"
	fi
}

# port_free reports whether nothing accepts connections on 127.0.0.1:$1.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_cluster makes and starts a cluster, and sets DIR and URL.
start_cluster() {
	ensure_postgres
	local bin
	bin="$(bindir)"
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
	fi
	# As root the cluster's owner is postgres, who must reach the directory:
	# use /tmp, not a TMPDIR that may be private to root.
	local base="${TMPDIR:-/tmp}"
	[ "$(id -u)" != 0 ] || base=/tmp
	DIR="$(mktemp -d "$base/tandem-pgtest.XXXXXXXX")"
	touch "$DIR/.tandem-pgtest"
	chmod 700 "$DIR"
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres: "$DIR"
	fi
	as_owner "$bin/initdb" --pgdata="$DIR/data" --username=postgres --auth=trust \
		--encoding=UTF8 --no-locale --no-sync >"$DIR/initdb.log" 2>&1 ||
		{
			cat "$DIR/initdb.log" >&2
			return 1
		}
	local attempt port
	for attempt in $(seq 1 20); do
		port=$((20000 + RANDOM % 40000))
		port_free "$port" || continue
		if as_owner "$bin/pg_ctl" --pgdata="$DIR/data" --log="$DIR/server.log" --wait --timeout=60 \
			-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
			start >/dev/null 2>&1; then
			URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			echo "$port" >"$DIR/port"
			log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $DIR"
			return 0
		fi
		log "could not start on port $port (attempt $attempt), trying another"
		tail -n 3 "$DIR/server.log" >&2 2>/dev/null || true
	done
	return 1
}

# stop_cluster stops the cluster in $1 and deletes the directory. It only
# touches directories that start_cluster made.
stop_cluster() {
	local dir="$1"
	[ -n "$dir" ] && [ -f "$dir/.tandem-pgtest" ] || die "$dir is not a pgtest cluster directory"
	local bin
	bin="$(bindir)"
	if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bin/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
run)
	[ "${1:-}" = "--" ] && shift
	[ $# -gt 0 ] || die "usage: $0 run -- CMD [ARG...]"
	DIR=""
	cleanup() {
		if [ -n "$DIR" ]; then
			stop_cluster "$DIR"
		fi
	}
	child=""
	trap cleanup EXIT
	# On a signal, pass it on to CMD, wait for it, then clean up (EXIT).
	trap '[ -z "$child" ] || { kill -INT "$child" 2>/dev/null; wait "$child"; }; exit 130' INT
	trap '[ -z "$child" ] || { kill -TERM "$child" 2>/dev/null; wait "$child"; }; exit 143' TERM
	start_cluster || die "could not start PostgreSQL"
	export TANDEM_TEST_POSTGRES="$URL" TANDEM_REQUIRE_POSTGRES=1
	# CMD runs in the background (keeping stdin) so that the traps above
	# run as soon as a signal arrives, not when CMD happens to finish.
	"$@" <&0 &
	child=$!
	set +e
	wait "$child"
	status=$?
	set -e
	child=""
	exit "$status"
	;;
start)
	DIR=""
	if ! start_cluster; then
		[ -n "$DIR" ] && stop_cluster "$DIR"
		die "could not start PostgreSQL"
	fi
	printf 'export TANDEM_TEST_POSTGRES=%q TANDEM_REQUIRE_POSTGRES=1 TANDEM_PGTEST_DIR=%q\n' "$URL" "$DIR"
	;;
stop)
	[ $# -eq 1 ] || die "usage: $0 stop DIR"
	stop_cluster "$1"
	;;
*)
	die "usage: $0 run -- CMD [ARG...] | start | stop DIR"
	;;
esac
