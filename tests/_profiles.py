"""Hypothesis budgets for the fuzz tests: "ci" (the default, a few seconds) and "slow" (a deeper
search, for a release or after touching the loaders): HYPOTHESIS_PROFILE=slow pytest tests/test_fuzz_cli.py.

The profiles are registered here, not loaded globally, so importing this module changes no other
test's budget; a test picks its budget with ``@fuzz_settings()``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile("ci", max_examples=25, deadline=None, suppress_health_check=_CHECKS)
settings.register_profile("slow", max_examples=300, deadline=None, suppress_health_check=_CHECKS)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "slow"):
    PROFILE = "ci"  # a profile of another test run (e.g. hypothesis' own "default"): keep CI's budget


def fuzz_settings() -> settings:
    """The settings of the chosen profile, as a decorator."""
    return settings(settings.get_profile(PROFILE))
