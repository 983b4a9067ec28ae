"""Benchmark instrument: load generator, ceiling relay and named workloads (issue 5)."""
