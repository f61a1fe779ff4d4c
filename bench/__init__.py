"""Benchmarks against the limits (issue 5): intake, start-up, queue at scale, rural sync, ingest.

Each benchmark measures its baseline in the same run and reports ratios, because the
build machine is small and shared (DESIGN.md, "Measuring"). ``python -m bench`` runs
them and appends a dated section to ``bench/RESULTS.md``; they never fail on speed.
"""
