#!/usr/bin/env bash
# A real Neo4j 5.x community server for the tests, without Docker: Maven
# fetches Neo4j from Maven Central (pom.xml beside this script; cached in
# ~/.m2), javac compiles NeoLauncher.java, and java runs it on a free
# loopback port with auth enabled and a random password.
#
#   run.sh start DIR   start in the background; wait until Bolt answers; write
#                      DIR/env (export DFSOPT_TEST_NEO4J_URI/_USER/_PASSWORD),
#                      DIR/pid and DIR/neo4j.log
#   run.sh stop DIR    stop the server started in DIR and delete its data
#   run.sh run         run in the foreground until Ctrl-C (make neo4j)
#   run.sh build       only fetch and compile
#
# Needs java (17+) with javac, and mvn. The first fetch downloads about
# 150 MB of jars into ~/.m2.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
target="$here/target"
start_timeout="${NEO4J_START_TIMEOUT:-240}"

log() { printf 'neo4j: %s\n' "$*" >&2; }

# build resolves the class path with Maven (skipped while pom.xml is older
# than the cached one and every jar is there) and compiles the launcher.
build() {
	mkdir -p "$target/classes"
	local cp="$target/classpath.txt"
	if [[ ! -s $cp || $here/pom.xml -nt $cp ]] || ! all_jars_present "$cp"; then
		log "resolving Neo4j with Maven (first time: downloads ~150 MB into ~/.m2)"
		local t0=$SECONDS
		(cd "$here" && mvn -q -B dependency:build-classpath -Dmdep.outputFile="$cp.tmp" >"$target/mvn.log" 2>&1) || {
			tail -n 30 "$target/mvn.log" >&2
			log "Maven could not resolve Neo4j (see $target/mvn.log)"
			return 1
		}
		mv "$cp.tmp" "$cp"
		log "resolved in $((SECONDS - t0)) s"
	fi
	if [[ ! -f $target/classes/NeoLauncher.class || $here/NeoLauncher.java -nt $target/classes/NeoLauncher.class ]]; then
		javac -nowarn -cp "$(cat "$cp")" -d "$target/classes" "$here/NeoLauncher.java"
	fi
}

all_jars_present() {
	local jar
	IFS=: read -r -a jars <"$1"
	for jar in "${jars[@]}"; do
		[[ -f $jar ]] || return 1
	done
}

# java_cmd prints the command line running the launcher with data in $1.
java_cmd() {
	# Serial GC and a capped heap: the machine is small and shared.
	printf '%s\n' java -Xms128m -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-cp "$target/classes:$(cat "$target/classpath.txt")" NeoLauncher "$1" 0 "$2"
}

password() { head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

start() {
	local dir="${1:?usage: run.sh start DIR}"
	mkdir -p "$dir"
	build
	local pw
	pw="$(password)"
	local try pid t0
	for try in 1 2 3; do
		rm -rf "$dir/data" "$dir/bolt-uri"
		mkdir -p "$dir/data"
		t0=$SECONDS
		mapfile -t cmd < <(java_cmd "$dir/data" "$pw")
		"${cmd[@]}" >"$dir/neo4j.log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/pid"
		while ! grep -q '^NEO4J READY' "$dir/neo4j.log"; do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if ((SECONDS - t0 > start_timeout)); then
				tail -n 40 "$dir/neo4j.log" >&2
				stop "$dir"
				log "not ready after ${start_timeout} s"
				return 1
			fi
			sleep 1
		done
		if grep -q '^NEO4J READY' "$dir/neo4j.log"; then
			local uri
			uri="$(cat "$dir/data/bolt-uri")"
			umask 077
			printf 'export DFSOPT_TEST_NEO4J_URI=%s\nexport DFSOPT_TEST_NEO4J_USER=neo4j\nexport DFSOPT_TEST_NEO4J_PASSWORD=%s\n' \
				"$uri" "$pw" >"$dir/env"
			log "ready at $uri in $((SECONDS - t0)) s (pid $pid; log $dir/neo4j.log)"
			return 0
		fi
		# The free port can be taken between probing and binding: retry.
		log "server exited before it was ready (try $try):"
		tail -n 20 "$dir/neo4j.log" >&2
	done
	return 1
}

stop() {
	local dir="${1:?usage: run.sh stop DIR}"
	[[ -f $dir/pid ]] || return 0
	local pid i
	pid="$(cat "$dir/pid")"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 60); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "pid $pid did not stop in 30 s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
		log "stopped (pid $pid)"
	fi
	rm -rf "$dir/data" "$dir/pid"
}

run() {
	local dir
	dir="$(mktemp -d "${TMPDIR:-/tmp}/dfsopt-neo4j.XXXXXX")"
	trap 'stop "$dir"; rm -rf "$dir"' EXIT
	trap 'exit 130' INT TERM
	start "$dir"
	echo "# Neo4j is running; in another shell:"
	cat "$dir/env"
	echo "# Ctrl-C stops it."
	local pid
	pid="$(cat "$dir/pid")"
	while kill -0 "$pid" 2>/dev/null; do sleep 1; done
}

case "${1:-}" in
start) start "${2:-}" ;;
stop) stop "${2:-}" ;;
run) run ;;
build) build ;;
*)
	echo "usage: $0 start DIR | stop DIR | run | build" >&2
	exit 2
	;;
esac
