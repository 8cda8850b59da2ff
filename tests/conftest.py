"""Suite-wide settings. Hypothesis has no deadline and no "too slow" health check: these machines are
shared, and timing is noise, not a property of the code under test."""

from hypothesis import HealthCheck, settings

settings.register_profile("servicecore", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("servicecore")
