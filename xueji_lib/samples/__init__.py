"""The deterministic synthetic data generator (samples and benchmarks), and where the sample files are."""

from .folder import sample_folder

__all__ = ["sample_folder"]
