"""Sample material for examples, tests and benchmarks (never used on real records)."""
