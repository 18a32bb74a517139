"""Resource bombs: a question about a few cells costs the time and memory of a few cells.

A huge stride, kernel, padding or dilation that the answer never touches must cost nothing
(npconv.api: work and memory follow the size of the answer); an empty batch allocates no
workspace; an answer that cannot fit is refused before anything is allocated, with a
``ValueError`` naming the parameters and the bytes (``npconv.shapes.MAX_ARRAY_BYTES``).

Each call runs, forward and backward and with both methods, in a worker process that this
module starts and can abandon:

- liveness: a call still running after :data:`tests.guards.LIVENESS_SECONDS` (ten seconds,
  for a problem of a few cells) is a hang; the worker is killed and the test fails instead of
  blocking the suite;
- memory: the worker measures the call's peak with tracemalloc (NumPy reports its arrays to
  it), which must stay below ``CEILING_MULTIPLE`` times the answer's bytes plus
  ``CEILING_SLACK``; the worker's address space is also capped a few GiB above its start,
  so that an op that allocates gigabytes fails with a MemoryError instead of exhausting
  the machine.

The expected answers come from the reference ops of :mod:`tests.oracles`, which visit only
the cells a window really reads, so they stay cheap for a stride of 10**9.  A call that must
be refused is refused by the argument checks, before a method picks a variant, so it runs
with the default method only; a call that answers runs with both.
"""

import importlib
import os
import pickle
import re
import select
import struct
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from tests import oracles
from tests.guards import LIVENESS_SECONDS, answer_bytes, capped_address_space

STARTUP_SECONDS = 120
"""How long the worker may take to import numpy and npconv (generous: the machine is shared)."""

CEILING_MULTIPLE = 4
CEILING_SLACK = 12 * 2**20
"""A call's tracemalloc peak must stay below ``CEILING_MULTIPLE * answer bytes +
CEILING_SLACK``: room for a few temporaries of the answer's size and for the im2col
workspace of one small image (8 MiB by default)."""

ADDRESS_SPACE_HEADROOM = 4 * 2**30
"""The worker may map this much beyond what it holds after importing npconv."""

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------
# The worker: a process that runs one call at a time and reports its result and peak memory
# --------------------------------------------------------------------------------------------

class Zeros(NamedTuple):
    """An array the worker builds before measuring (so a large one is not sent through the
    pipe, and does not count as the call's memory)."""

    shape: tuple
    dtype: str = "float64"

    def build(self):
        return np.zeros(self.shape, dtype=self.dtype)


def build(value):
    """``value`` with every :class:`Zeros` recipe replaced by its array."""
    return value.build() if isinstance(value, Zeros) else value


def serve():
    """The worker's main loop: read a request, run it, write the reply, until stdin closes.

    A request is ``(function name, keyword arguments)``; the reply says whether the call
    returned (with its result) or raised (with the exception's type and message), and the
    tracemalloc peak of the call.
    """
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)                        # a stray print goes to stderr, not into the replies
    with capped_address_space(ADDRESS_SPACE_HEADROOM):
        send(replies, "ready")
        while True:
            header = sys.stdin.buffer.read(8)
            if len(header) < 8:
                return
            (length,) = struct.unpack("<Q", header)
            function_name, kwargs = pickle.loads(sys.stdin.buffer.read(length))
            send(replies, run_measured(function_name, kwargs))


def run_measured(function_name, kwargs):
    """Call ``function_name`` (e.g. "npconv.max_pool") under tracemalloc."""
    module_name, _, attribute = function_name.rpartition(".")
    function = getattr(importlib.import_module(module_name), attribute)
    kwargs = {name: build(value) for name, value in kwargs.items()}
    tracemalloc.start()
    try:
        result = function(**kwargs)
    except BaseException as error:      # MemoryError and OverflowError are findings too
        reply = {"outcome": "raised", "type": type(error).__name__, "message": str(error),
                 "clear": isinstance(error, (ValueError, TypeError))}
    else:
        reply = {"outcome": "returned",
                 "result": tuple(result) if isinstance(result, tuple) else result}
    reply["peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return reply


def send(stream, message):
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def read_exactly(fd, count, deadline):
    """``count`` bytes from ``fd``, or ``None`` if they have not all come by ``deadline``."""
    data = b""
    while len(data) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, count - len(data))
        if not chunk:
            raise EOFError("the worker process died")
        data += chunk
    return data


def receive(fd, seconds):
    """The next message, or ``None`` if it has not started to come within ``seconds``."""
    header = read_exactly(fd, 8, time.monotonic() + seconds)
    if header is None:
        return None
    (length,) = struct.unpack("<Q", header)
    return pickle.loads(read_exactly(fd, length, time.monotonic() + STARTUP_SECONDS))


class Worker:
    """The parent's side: start the worker, send it calls, kill it if a call hangs."""

    def __init__(self):
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tests.test_resource_bombs import serve; serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
        if receive(self.process.stdout.fileno(), STARTUP_SECONDS) != "ready":
            self.stop()
            pytest.fail(f"the worker did not start within {STARTUP_SECONDS} s")

    def call(self, function_name, kwargs):
        """Run ``function_name(**kwargs)`` in the worker; fail the test if it hangs."""
        if self.process is None:
            self.start()
        send(self.process.stdin, (function_name, kwargs))
        try:
            reply = receive(self.process.stdout.fileno(), LIVENESS_SECONDS)
        except EOFError:
            self.stop()
            pytest.fail(f"{function_name} killed the worker process")
        if reply is None:
            self.stop()
            pytest.fail(f"{function_name} on a problem of a few cells was still running "
                        f"after {LIVENESS_SECONDS} s: a hang")
        return reply

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture(scope="module")
def worker():
    running = Worker()
    yield running
    running.stop()


# --------------------------------------------------------------------------------------------
# The bombs
# --------------------------------------------------------------------------------------------

class Bomb(NamedTuple):
    """One call: the op's name and its keyword arguments (arrays or :class:`Zeros`).

    ``refused`` is empty for a call that must return its answer, or the parameter names of
    which the refusal's message must name one (with the bytes, for ``needs_bytes``: an
    output that cannot fit).
    """

    name: str
    op: str
    kwargs: dict
    refused: tuple = ()
    needs_bytes: bool = False


FIVE = np.array([[[3., 1., 4., 1., 5.]]])
THREE = np.array([[[1., 2., 3.]]])
ONE = np.array([[[2.5]]])
GRID = np.arange(25.).reshape(1, 1, 5, 5)
EMPTY_BATCH = Zeros((0, 512, 512, 512), "float32")
WIDE_WEIGHT = Zeros((512, 512, 3, 3), "float32")
HUGE = 10**9

POOL_BOMBS = [
    ("huge stride", {"input": FIVE, "kernel_size": 2, "stride": HUGE}),
    ("huge stride 2-D ceil_mode", {"input": GRID, "kernel_size": 2, "stride": HUGE,
                                   "ceil_mode": True}),
    ("kernel and padding 10**6", {"input": ONE, "kernel_size": 10**6, "padding": 5 * 10**5}),
    ("kernel and padding 10**9", {"input": ONE, "kernel_size": HUGE, "padding": HUGE // 2}),
    ("kernel 10**6 six windows", {"input": FIVE, "kernel_size": 10**6, "stride": 1,
                                  "padding": 5 * 10**5}),
    ("empty batch of 512 channels", {"input": EMPTY_BATCH, "kernel_size": 3, "stride": 2,
                                     "padding": 1}),
]

BOMBS = [
    *[Bomb(f"max_pool {name}", "max_pool", kwargs) for name, kwargs in POOL_BOMBS],
    *[Bomb(f"avg_pool {name}", "avg_pool", kwargs) for name, kwargs in POOL_BOMBS],
    Bomb("avg_pool kernel 10**9 without padding in the divisor", "avg_pool",
         {"input": ONE, "kernel_size": HUGE, "padding": HUGE // 2, "count_include_pad": False}),
    Bomb("max_pool huge dilation of a one-tap kernel", "max_pool",
         {"input": FIVE, "kernel_size": 1, "stride": 2, "dilation": HUGE}),
    Bomb("max_pool huge dilation that no window fits", "max_pool",
         {"input": FIVE, "kernel_size": 2, "dilation": HUGE}, refused=("dilation",)),

    Bomb("conv huge dilation and matching padding", "conv",
         {"input": THREE, "weight": np.array([[[4., 5.]]]), "dilation": HUGE,
          "padding": HUGE // 2}),
    Bomb("conv huge dilation and padding after", "conv",
         {"input": THREE, "weight": np.array([[[4., 5.]]]), "dilation": HUGE,
          "padding": ((0, HUGE - 1),)}),
    Bomb("conv huge stride", "conv",
         {"input": FIVE, "weight": np.array([[[1., -1.]]]), "bias": np.array([0.5]),
          "stride": HUGE}),
    Bomb("conv huge stride and padding", "conv",
         {"input": THREE, "weight": np.array([[[2.]]]), "stride": HUGE, "padding": HUGE}),
    Bomb("conv 2-D huge dilation and matching padding", "conv",
         {"input": np.ones((1, 1, 3, 3)), "weight": np.ones((1, 1, 2, 2)), "dilation": HUGE,
          "padding": HUGE // 2}),
    Bomb("conv empty batch of 512 channels", "conv",
         {"input": EMPTY_BATCH, "weight": WIDE_WEIGHT, "padding": 1}),

    Bomb("conv_transpose huge stride and cropping padding", "conv_transpose",
         {"input": np.ones((1, 1, 2)), "weight": np.ones((1, 1, 1)), "stride": HUGE,
          "padding": HUGE // 2 - 1}),
    Bomb("conv_transpose huge stride and padding after", "conv_transpose",
         {"input": np.array([[[1., 2.]]]), "weight": np.array([[[3.]]]), "stride": HUGE,
          "padding": ((0, HUGE - 1),)}),
    Bomb("conv_transpose huge dilation and padding after", "conv_transpose",
         {"input": np.array([[[1., 2.]]]), "weight": np.array([[[3., 4.]]]), "dilation": HUGE,
          "padding": ((0, HUGE),)}),
    Bomb("conv_transpose 2-D huge stride and cropping padding", "conv_transpose",
         {"input": np.ones((1, 1, 2, 2)), "weight": np.ones((1, 1, 1, 1)), "stride": HUGE,
          "padding": HUGE // 2 - 1}),
    Bomb("conv_transpose empty batch of 512 channels", "conv_transpose",
         {"input": EMPTY_BATCH, "weight": WIDE_WEIGHT, "stride": 2, "padding": 1,
          "output_padding": 1}),

    Bomb("conv_transpose output that cannot fit", "conv_transpose",
         {"input": np.ones((1, 1, 2)), "weight": np.ones((1, 1, 1)), "stride": 10**12},
         refused=("stride",), needs_bytes=True),
    Bomb("conv output that cannot fit", "conv",
         {"input": np.ones((1, 1, 1, 1)), "weight": np.ones((1, 1, 1, 1)), "padding": 10**6},
         refused=("padding",), needs_bytes=True),
]

FORWARD_ONLY = ("bias", "return_indices")
METHODS = ("loops", "im2col")


def forward_kwargs(bomb):
    return {name: build(value) for name, value in bomb.kwargs.items()}


def forward_answer(bomb):
    """The forward's expected output (max pooling's without its indices)."""
    out = getattr(oracles, bomb.op)(**forward_kwargs(bomb))
    return out[0] if isinstance(out, tuple) else out


def grad_output_like(out):
    """A gradient of distinct values 1, 2, 3, ... so that a misrouted one shows."""
    return np.arange(1, out.size + 1, dtype=out.dtype).reshape(out.shape)


def backward_call(bomb):
    """The backward's keyword arguments and its expected gradients (or None if refused)."""
    kwargs = {name: value for name, value in bomb.kwargs.items() if name not in FORWARD_ONLY}
    if bomb.refused:
        x = build(bomb.kwargs["input"])
        return {**kwargs, "grad_output": np.ones(x.shape[:2] + (1,) * (x.ndim - 2))}, None
    grad_output = grad_output_like(forward_answer(bomb))
    expected = getattr(oracles, bomb.op + "_backward")(
        grad_output, **{name: build(value) for name, value in kwargs.items()})
    return {**kwargs, "grad_output": grad_output}, expected


def check(bomb, reply, expected, names, needs_bytes):
    """The reply is the expected answer (or a clear refusal naming one of ``names``, and the
    bytes if ``needs_bytes``) and its peak memory is under the ceiling."""
    if bomb.refused:
        assert reply["outcome"] == "raised", "an impossible call returned"
        assert reply["clear"], f"{reply['type']}: {reply['message']}"
        assert any(re.search(rf"\b{name}\b", reply["message"]) for name in names), (
            f"the message names none of {names}: {reply['message']}")
        if needs_bytes:
            assert re.search(r"\d\s*bytes\b", reply["message"]), (
                f"the message does not say how many bytes: {reply['message']}")
        answer = 0
    else:
        assert reply["outcome"] == "returned", f"{reply['type']}: {reply['message']}"
        oracles.assert_close(reply["result"], expected)
        answer = answer_bytes(reply["result"])
    ceiling = CEILING_MULTIPLE * answer + CEILING_SLACK
    assert reply["peak"] <= ceiling, (
        f"peak memory {reply['peak'] / 2**20:.1f} MiB for an answer of {answer} bytes "
        f"(ceiling {ceiling / 2**20:.1f} MiB)")


def each_bomb(test):
    """Parametrize over the bombs: those that answer with both methods, those refused by the
    argument checks with the default one (``{}``: no method given)."""
    cases = [(bomb, {"method": method} if not bomb.refused else {})
             for bomb in BOMBS for method in (METHODS if not bomb.refused else (None,))]
    ids = [f"{bomb.name}-{choice.get('method', 'checks')}" for bomb, choice in cases]
    return pytest.mark.parametrize("bomb, method_keyword", cases, ids=ids)(test)


@each_bomb
def test_forward_costs_what_the_answer_costs(worker, bomb, method_keyword):
    """The forward answers (or refuses) in time and within the memory ceiling."""
    expected = None if bomb.refused else forward_answer(bomb)
    reply = worker.call(f"npconv.{bomb.op}", {**bomb.kwargs, **method_keyword})
    check(bomb, reply, expected, bomb.refused, bomb.needs_bytes)


@each_bomb
def test_backward_costs_what_the_answer_costs(worker, bomb, method_keyword):
    """The backward answers (or refuses) in time and within the memory ceiling.  A refusal
    names the parameter (with the bytes, where the output cannot fit), or it names the
    grad_output, which cannot have the shape of an impossible output."""
    kwargs, expected = backward_call(bomb)
    reply = worker.call(f"npconv.{bomb.op}_backward", {**kwargs, **method_keyword})
    names_grad_output = reply["outcome"] == "raised" and "grad_output" in reply["message"]
    check(bomb, reply, expected, (*bomb.refused, "grad_output"),
          bomb.needs_bytes and not names_grad_output)
