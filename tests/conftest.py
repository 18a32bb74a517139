"""Hypothesis profiles: a quick default, and a thorough ``ci`` profile.

Choose with the environment variable ``HYPOTHESIS_PROFILE`` (``.ci/run`` sets ``ci``).
The guards against hangs and runaway memory are in :mod:`tests.guards`.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", max_examples=60, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

