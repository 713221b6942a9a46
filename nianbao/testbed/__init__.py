"""Test and demo infrastructure: the replica portal (``replica``), the synthetic
report generator with the blank template (``synthetic``, ``templates``) and the
sample archive (``sample``). The tests and benchmarks use it, and ``nianbao demo``
imports it when it runs; nothing in crawler/, archive/ or parsers/ does."""
