"""Benchmarks and the answer-faithfulness checker (issue 8).

`python -m benchmarks.run` (what `make bench` calls) measures ingest throughput, question latency,
scale, retrieval quality and answer faithfulness, and rewrites docs/benchmarks.md. Heavy work
runs in child processes (`benchmarks.worker`) so that every figure comes from a fresh process
and resident memory is measured per task. These are not tests: `make test` never runs them.
"""
