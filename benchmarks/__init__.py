"""Benchmarks: ``python3 -m benchmarks.<name>`` prints the figures; timed tests are not used."""
