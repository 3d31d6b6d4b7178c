"""The deterministic synthetic data generator (samples and benchmarks)."""
