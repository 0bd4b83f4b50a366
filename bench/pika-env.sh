# Sourced by the benches with a pika baseline: PY is a Python that has pika 1.4.4, the
# machine's own if it has pika, else target/bench-venv, made and filled on first use.
PY=python3
if ! $PY -c 'import pika' 2>/dev/null; then
  [ -x target/bench-venv/bin/python ] || $PY -m venv target/bench-venv
  target/bench-venv/bin/python -c 'import pika' 2>/dev/null || target/bench-venv/bin/pip install -q pika==1.4.4
  PY=target/bench-venv/bin/python
fi
