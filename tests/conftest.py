"""Hypothesis profiles: a quick default, and a thorough ``ci`` profile.

Choose with the environment variable ``HYPOTHESIS_PROFILE`` (``.ci/run`` sets ``ci``).

Also :func:`capped_address_space`, the memory guard of the hostile-input tests and of the
resource bombs' worker process.
"""

import contextlib
import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", max_examples=80, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@contextlib.contextmanager
def capped_address_space(headroom):
    """Cap this process's address space at what it maps now plus ``headroom`` bytes, and
    restore the limit afterwards.

    An op that allocates gigabytes for an answer of a few cells then fails at once with a
    MemoryError (which the tests report), instead of taking the shared machine's memory.
    Linux only (it reads /proc/self/statm); elsewhere the block runs without a cap.
    """
    try:
        import resource
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = mapped + headroom if hard == resource.RLIM_INFINITY else min(mapped + headroom, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
