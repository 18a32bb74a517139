"""Guards for the tests that ask a few-cell question with a huge stride, kernel or padding:
a liveness guard against a hang, a ceiling on the memory a call may trace, and a cap on the
address space of the process.

None of them is a timing assertion: a call on a problem of a few cells that still runs after
:data:`LIVENESS_SECONDS` has hung, however slow the machine; speed is measured by the
benchmarks.  Memory is traced with :mod:`tracemalloc`, to which NumPy reports its arrays.

- :func:`liveness_guard` interrupts a block that runs too long with :class:`Hang`;
- :func:`run_bounded` runs a call under the guard and returns its peak traced memory, and
  :func:`assert_small` holds that peak to a multiple of the answer's bytes;
  :func:`run_small` does both, after a first call that may import and cache things;
- :func:`finishes_quickly` guards a block and bounds its peak memory (for argument checks,
  which must cost a few operations per dimension);
- :func:`capped_address_space` makes an op that allocates gigabytes fail at once with a
  MemoryError instead of taking the shared machine's memory.
"""

import contextlib
import os
import signal
import tracemalloc

import numpy as np

LIVENESS_SECONDS = 10
"""A call on a problem of a few cells that still runs after this long has hung."""

ALLOWANCE_BYTES = 256 * 1024
"""Python's own bookkeeping in one call (lists of taps, small index arrays, a chunk plan)."""


class Hang(BaseException):
    """Raised into a block that runs too long: a BaseException, so that no op's
    ``except Exception`` can swallow it and carry on."""


@contextlib.contextmanager
def liveness_guard(seconds=LIVENESS_SECONDS):
    """Interrupt the block with :class:`Hang` after ``seconds``.

    Needs SIGALRM (POSIX); elsewhere the block runs unguarded.  It interrupts Python code
    (a loop over 10**9 windows), not a single long NumPy call.
    """
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def interrupt(signum, frame):
        raise Hang(f"still running after {seconds} s on a problem of a few cells: a hang")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_bounded(call, seconds=LIVENESS_SECONDS):
    """``(call(), peak)``: the call's result and the peak bytes it traced, under the
    liveness guard."""
    tracemalloc.start()
    try:
        with liveness_guard(seconds):
            result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


def answer_bytes(result):
    """Bytes of the arrays an op returns (one array, or a tuple of them)."""
    arrays = result if isinstance(result, tuple) else (result,)
    return sum(np.asarray(array).nbytes for array in arrays)


def assert_small(result, peak, multiple, allowance=ALLOWANCE_BYTES):
    """The peak stays within ``multiple`` times the answer's bytes plus ``allowance``."""
    __tracebackhide__ = True
    limit = multiple * answer_bytes(result) + allowance
    assert peak <= limit, (f"peak {peak} bytes for an answer of {answer_bytes(result)} bytes "
                           f"(limit {limit})")


def run_small(call, multiple=16):
    """``call()``, checked to finish in time and to trace at most ``multiple`` times the
    bytes it returns plus :data:`ALLOWANCE_BYTES` (a padded copy of a 10**9-cell border
    would be gigabytes).  A first, unmeasured call may import and cache things."""
    with liveness_guard():
        call()
    result, peak = run_bounded(call)
    assert_small(result, peak, multiple)
    return result


@contextlib.contextmanager
def finishes_quickly(seconds=LIVENESS_SECONDS, peak_bytes=2 ** 20):
    """Fail if the block still runs after ``seconds`` (a hang, not a slow machine) or if it
    traced more than ``peak_bytes`` at its peak."""
    tracemalloc.start()
    try:
        with liveness_guard(seconds):
            yield
        peak = tracemalloc.get_traced_memory()[1]
        assert peak <= peak_bytes, f"peak {peak} bytes, more than {peak_bytes}"
    finally:
        tracemalloc.stop()


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
