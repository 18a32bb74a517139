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


def test_a_size_that_is_not_an_int_or_a_tuple_is_refused_naming_it():
    import pytest
    # a float was read with tuple(), which said only "'float' object is not iterable"
    for size, kernel_size, name in ((3.5, 3, "size"), (None, 3, "size"),
                                    ((4, 4), 2.0, "kernel_size"), ((4, 4), (2, True),
                                                                   "kernel_size")):
        with pytest.raises(TypeError, match=rf"^{name}=.* must be one positive int"):
            frames("conv", size, kernel_size=kernel_size)


def test_a_size_with_many_entries_is_refused_before_they_are_read():
    import pytest
    from collections.abc import Sequence

    class Entries(Sequence):
        """A sequence of a million entries that fails the test if one is read."""

        def __len__(self):
            return 10 ** 6

        def __getitem__(self, index):
            raise AssertionError("an entry was read")

    with pytest.raises(ValueError, match="pictures are drawn for 1-D and 2-D inputs, got "
                                         "1000000 dimensions"):
        frames("conv", Entries())
