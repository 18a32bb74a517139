"""``npconv.show``'s frames: every drawn window, weighted by the kernel, gives the output cell.

The expectation is the multiply-and-sum of the drawn window done here, compared with the
ops' own output: the picture must show the cells the op really reads.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from npconv.show import INPUT, frames, render


@st.composite
def configs(draw):
    op = draw(st.sampled_from(["conv", "max_pool", "avg_pool", "conv_transpose"]))
    ndim = draw(st.integers(1, 2))
    ints = st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim).map(tuple)
    kernel, stride = draw(ints), draw(ints)
    dilation = (1,) * ndim if op == "avg_pool" else draw(ints)
    if op in ("max_pool", "avg_pool"):
        padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    else:
        padding = tuple(draw(st.integers(0, 2)) for _ in kernel)
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if op == "conv_transpose":
        size = tuple(draw(st.integers(1, 4)) for _ in kernel)
        padding = tuple(min(p, ((n - 1) * s + sp - 1) // 2)
                        for p, n, s, sp in zip(padding, size, stride, span))
    else:
        size = tuple(max(1, sp - 2 * p) + draw(st.integers(0, 3))
                     for sp, p in zip(span, padding))
    extra = {}
    if op in ("max_pool", "avg_pool"):
        extra["ceil_mode"] = draw(st.booleans())
    return op, size, kernel, stride, padding, dilation, extra


@given(configs())
def test_every_window_reproduces_its_output_cell(config):
    op, size, kernel, stride, padding, dilation, extra = config
    try:
        movie = frames(op, size, kernel, stride, padding, dilation, **extra)
    except ValueError as error:           # a pooling window with no input cell
        assert "holds no input cell" in str(error)
        return
    for frame in movie:
        rows = np.flatnonzero(frame.window.any(axis=1))
        cols = np.flatnonzero(frame.window.any(axis=0))
        taps = frame.grid[np.ix_(rows, cols)]
        real = frame.kinds[np.ix_(rows, cols)] == INPUT
        cell = frame.out_index if len(frame.out_index) == 2 else (0, frame.out_index[0])
        value = frame.output[cell]
        assert taps.size == np.prod(kernel)
        if op in ("conv", "conv_transpose"):
            assert np.isclose(np.sum(taps * frame.kernel), value)
        elif op == "max_pool":
            assert np.max(taps[real]) == value
        else:
            # the divisor lies between the real cells and the whole window (zeros padded in)
            total = np.sum(taps[real])
            assert total / taps.size - 1e-12 <= value <= total / np.count_nonzero(real) + 1e-12
        assert frame.caption.endswith(f"= {value:g}") or op == "avg_pool"
        assert "[" in render(frame)
