"""``npconv.tools.show``'s frames: every drawn window, weighted by the kernel, gives the output cell.

The expectation is the multiply-and-sum (or max, or sum over the divisor) of the drawn window
done here, compared with the ops' own output: the picture must show the cells the op really
reads.  The average's divisor is counted here from the cell kinds the frame draws: input
cells, plus padding cells when ``count_include_pad``, never the ``ceil_mode`` overhang; the
caption lists exactly the cells it counts.
"""

import numpy as np
from hypothesis import given

from npconv.tools.show import INPUT, PADDING, frames, render
from npconv.testing.strategies import picture_configs


@given(picture_configs())
def test_every_window_reproduces_its_output_cell(config):
    movie = frames(**config)
    op, kernel = config["op"], config["kernel_size"]
    for frame in movie:
        rows = np.flatnonzero(frame.window.any(axis=1))
        cols = np.flatnonzero(frame.window.any(axis=0))
        taps = frame.grid[np.ix_(rows, cols)]
        kinds = frame.kinds[np.ix_(rows, cols)]
        real = kinds == INPUT
        cell = frame.out_index if len(frame.out_index) == 2 else (0, frame.out_index[0])
        name = "out[" + ", ".join(map(str, frame.out_index)) + "]"
        value = frame.output[cell]
        assert taps.size == np.prod(kernel)
        if op in ("conv", "conv_transpose"):
            assert np.isclose(np.sum(taps * frame.kernel), value)
            assert frame.caption.startswith(f"{name} = ")
            assert frame.caption.endswith(f"= {value:g}")
        elif op == "max_pool":
            assert np.max(taps[real]) == value
            listed = ", ".join(f"{v:g}" for v in taps[real])
            assert frame.caption == f"{name} = max({listed}) = {value:g}"
        else:
            counted = real | ((kinds == PADDING) & config["count_include_pad"])
            divisor = np.count_nonzero(counted)
            total = np.sum(taps[real])
            assert np.isclose(value, total / divisor)
            # the padding's zeros are written out when they count, so that the number of
            # terms is the divisor
            terms = " + ".join(f"{v:g}" if is_real else "0"
                               for v, is_real in zip(taps[counted], real[counted]))
            head, shown = frame.caption.rsplit(" = ", 1)
            assert head == f"{name} = ({terms}) / {divisor}"
            assert abs(float(shown) - total / divisor) <= 0.005       # two decimals shown
        assert "[" in render(frame)
