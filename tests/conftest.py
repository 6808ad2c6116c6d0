"""Test configuration: a deterministic hypothesis profile (JIT compilation breaks deadlines)."""
from hypothesis import HealthCheck, settings

settings.register_profile(
    "theorytools",
    derandomize=True,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("theorytools")
