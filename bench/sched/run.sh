#!/bin/sh
# bench/sched/run.sh: scheduler overhead of `jobctl run` on a 10,000-task
# DAG (100 layers x 100 tasks, each depending on 3 tasks of the previous
# layer, every task `true`) against `make -j2` on the equivalent Makefile,
# same machine, same run. Usage: bench/sched/run.sh [BIN_DIR] [LAYERS] [WIDTH]
exec /usr/bin/python3 "$(dirname "$0")/sched.py" "$@"
