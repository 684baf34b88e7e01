#!/usr/bin/env bash
# A real local Apache Spark for `make test-spark`: a Spark Connect server from
# the pyspark package (master local[N], loopback only), its metastore and
# warehouse under one folder.
#   scripts/spark_local.sh start DIR [PORT]   start, wait until it listens, print SPARK_REMOTE
#   scripts/spark_local.sh stop DIR [PORT]    stop it (and only it; the same PORT as start)
# SPARK_CORES, SPARK_DRIVER_MEMORY, SPARK_JAVA_OPTIONS and SPARK_CONNECT_OPTIONS (extra --conf ...) tune it.
# Tuned for many small queries on little data (the test build: ~670 queries, a few MB),
# measured on 2 cores (server CPU-seconds for the build, docs/engines.md): Spark
# evaluates expressions interpreted instead of compiling Java for each query
# (codegen.wholeStage=false, codegen.factoryMode=NO_CODEGEN: 568 -> 466 s), and the
# JVM collects with the serial GC (466 -> 416 s). Results are the same either way:
# the compare step checks them. A cluster with real data wants Spark's defaults.
set -euo pipefail
cmd=${1:?start or stop}
dir=$(mkdir -p "${2:?folder}" && cd "$2" && pwd)
port=${3:-15002}
python=${PYTHON_BIN:-.venv/bin/python}
SPARK_HOME=$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME SPARK_LOG_DIR="$dir/logs" SPARK_PID_DIR="$dir/pid" SPARK_IDENT_STRING="port$port"
export SPARK_LOCAL_IP=127.0.0.1
case "$cmd" in
start)
	command -v java >/dev/null || { echo "Spark needs Java 17: apt-get install -y default-jre-headless" >&2; exit 1; }
	cd "$dir"
	bash "$SPARK_HOME/sbin/start-connect-server.sh" \
		--master "local[${SPARK_CORES:-2}]" \
		--driver-memory "${SPARK_DRIVER_MEMORY:-2g}" \
		--conf spark.connect.grpc.binding.address=127.0.0.1 \
		--conf spark.connect.grpc.binding.port="$port" \
		--conf spark.sql.warehouse.dir="$dir/warehouse" \
		--conf spark.driver.extraJavaOptions="-Dderby.system.home=$dir -XX:+UseSerialGC ${SPARK_JAVA_OPTIONS:-}" \
		--conf spark.sql.session.timeZone=UTC \
		--conf spark.sql.shuffle.partitions=2 \
		--conf spark.sql.codegen.wholeStage=false \
		--conf spark.sql.codegen.factoryMode=NO_CODEGEN \
		--conf spark.ui.enabled=false ${SPARK_CONNECT_OPTIONS:-} >/dev/null
	for _ in $(seq 1 120); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "sc://127.0.0.1:$port"
			exit 0
		fi
		sleep 1
	done
	echo "Spark Connect did not start on port $port; see $dir/logs" >&2
	exit 1
	;;
stop)
	bash "$SPARK_HOME/sbin/stop-connect-server.sh" >/dev/null || true
	;;
*)
	echo "usage: $0 start|stop DIR [PORT]" >&2
	exit 2
	;;
esac
