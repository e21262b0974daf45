"""Hypothesis budgets for every property test: "ci" (the default, a few seconds for the whole
suite) and "slow" (a deeper search, for a release or after touching the engine or the loaders):
``pytest --slow`` (or HYPOTHESIS_PROFILE=slow).

The profiles are registered here, not loaded globally, so importing this module changes no other
test's budget; a test picks its budget with ``@budget(ci=N, slow=M)`` (or ``@fuzz_settings()``
for the profile's own numbers), so that no test keeps a fixed count outside the profiles.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile("ci", max_examples=25, deadline=None, suppress_health_check=_CHECKS)
settings.register_profile("slow", max_examples=300, deadline=None, suppress_health_check=_CHECKS)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "slow"):
    PROFILE = "ci"  # a profile of another test run (e.g. hypothesis' own "default"): keep CI's budget
SLOW = PROFILE == "slow"


def budget(ci: int | None = None, slow: int | None = None, **extra: Any) -> settings:
    """The chosen profile's settings as a decorator, with this test's number of examples under
    each profile (None: the profile's own) and any further settings (e.g. health checks)."""
    profile = settings.get_profile(PROFILE)
    examples = slow if SLOW else ci
    return settings(profile, max_examples=profile.max_examples if examples is None else examples, **extra)


def fuzz_settings() -> settings:
    """The settings of the chosen profile, as a decorator."""
    return budget()
