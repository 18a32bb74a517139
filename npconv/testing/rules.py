"""Which rule of an op decides one cell of a result: the explanations ``assert_matches`` prints.

One function per op, ``explain(case, result, position)``: ``result`` is a result's name
(``"output"``, ``"output_indices"``, ``"grad_input"``, ...) and ``position`` the index of
the cell in it, or ``None`` when the shapes differ.  Each returns lines of text.

Every window, divisor, padding and output size here comes from npconv's own geometry
(:mod:`npconv.shapes`, :func:`npconv.padding.padded_source_at`): this module only says in
words what those functions compute.  The loops over output cells look at every window of a
small case, which is what a person reading a counterexample would do by hand.

Examples
--------
>>> import numpy as np
>>> from npconv.testing import Case
>>> case = Case("avg_pool", {"input": np.array([[[1., 2., 3., 4., 5.]]]), "kernel_size": 2,
...                          "ceil_mode": True})
>>> print("\\n".join(avg_pool(case, "output", (0, 0, 2))))
along spatial dimension 0, window 2 has taps at positions [4, 5]: 4 on the input, 5 past the padding (the ceil_mode overhang)
this output window overhangs the input and its padding by 1 cell(s) along spatial dimension 0: ceil_mode kept it because it starts inside
the divisor counts the window's input cells and the padding it covers (count_include_pad=True) but never the ceil_mode overhang: 1 = 1
"""

import itertools

import numpy as np

from .. import shapes
from ..padding import padded_source_at

__all__ = ["conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool", "adaptive_pool",
           "lp_pool", "unfold", "fold"]


# --------------------------------------------------------------------------------------------
# Pieces shared by the ops
# --------------------------------------------------------------------------------------------

def _batched(case):
    """The case's input with its batch axis (added for an unbatched case)."""
    x = np.asarray(case.arguments["input"])
    return x[np.newaxis] if case.unbatched else x


def _cell(case, position):
    """``(n, c, spatial)`` of a position in a batched-or-not result."""
    position = tuple(int(p) for p in position)
    if case.unbatched:
        position = (0, *position)
    return position[0], position[1], position[2:]


def _taps_text(taps, in_size, before, after):
    """Where the taps of one window fall: on the input, the padding, or past it."""
    places = []
    for p in taps:
        if p < 0:
            places.append(f"{p} on the left padding")
        elif p < in_size:
            places.append(f"{p} on the input")
        elif p < in_size + after:
            places.append(f"{p} on the right padding")
        else:
            places.append(f"{p} past the padding (the ceil_mode overhang)")
    return ", ".join(_merge(places))


def _merge(places):
    """Consecutive taps in the same place as one item: ``3-4 on the input``."""
    merged = []
    for place in places:
        number, _, where = place.partition(" ")
        if merged and merged[-1][2] == where:
            merged[-1][1] = number
        else:
            merged.append([number, number, where])
    return [f"{a} {where}" if a == b else f"{a}-{b} {where}" for a, b, where in merged]


def _window_lines(out_index, kernel_size, stride, padding, dilation, in_size):
    """One line per dimension: the window's taps and where they fall."""
    lines = []
    for dim, (i, k, s, (before, after), d, n) in enumerate(
            zip(out_index, kernel_size, stride, padding, dilation, in_size)):
        taps = shapes.window_taps(i, k, s, before, d)
        lines.append(f"along spatial dimension {dim}, window {i} has taps at positions "
                     f"{shapes.taps_text(taps)}: {_taps_text(taps, n, before, after)}")
    return lines


def _pool_shape_lines(in_size, kernel_size, stride, padding, dilation, ceil_mode):
    """The output size per dimension, and the ceil_mode window PyTorch drops."""
    lines = []
    for dim, (n, k, s, pair, d) in enumerate(zip(in_size, kernel_size, stride, padding,
                                                 dilation)):
        size = shapes.pool_output_size(n, k, s, pair, d, ceil_mode)
        rounding = "ceil" if ceil_mode else "floor"
        lines.append(f"spatial dimension {dim}: {rounding}(({n} + {pair[0]} + {pair[1]} - "
                     f"{d}*({k}-1) - 1) / {s}) + 1 windows, of which {size} kept")
        if ceil_mode:
            rounded_up, kept = shapes.ceil_mode_window_counts(n, k, s, pair, d)
            if kept < rounded_up:
                start = shapes.window_taps(kept, k, s, pair[0], d)[0]
                lines.append(f"  ceil_mode rounds up to {rounded_up} windows, but window "
                             f"{kept} would start at position {start}, past the input and its "
                             f"left padding: PyTorch drops it and keeps {kept}")
    return lines


def _pool_geometry(case, dilation=None):
    """The normalised geometry of a max or average pooling case."""
    x = _batched(case)
    a = case.arguments
    return shapes.pool_geometry(x.shape[2:], a["kernel_size"], a.get("stride"),
                                a.get("padding", 0), a.get("dilation", 1) if dilation is None
                                else dilation, a.get("ceil_mode", False))


def _ceil_lines(out_index, geometry, in_size, ceil_mode):
    """Say so when this window is the last kept under ceil_mode and overhangs."""
    lines = []
    for dim, (i, n, k, s, pair, d) in enumerate(zip(out_index, in_size, *geometry[:4])):
        end = shapes.window_taps(i, k, s, pair[0], d)[-1] + 1      # one past the last tap
        if ceil_mode and end > n + pair[1]:
            lines.append(f"this output window overhangs the input and its padding by "
                         f"{end - n - pair[1]} cell(s) along spatial dimension {dim}: "
                         f"ceil_mode kept it because it starts inside")
    return lines


def _number(value):
    """A cell's value as a person writes it: ``3.0``, ``nan``, ``-inf`` (no ``np.float64``)."""
    return repr(float(value))


def _bias_lines(case, position):
    """What decides one cell of a bias gradient: the sum of ``grad_output`` over that channel."""
    channel = int(position[0])
    grad_output = np.asarray(case.grad_output)
    channel_axis = 0 if case.unbatched else 1
    total = float(np.take(grad_output, channel, axis=channel_axis).sum())
    return [f"grad_bias[{channel}] is the sum of grad_output over the batch (N) and every "
            f"output position of output channel {channel}: here {total!r}; the input and the "
            f"weight play no part"]


def _winner_lines(window, flat_positions, what="window"):
    """How max pooling picks a window's cell: ties, NaN, all -inf (PyTorch's CPU rule)."""
    if window.size == 0:
        return [f"the {what} holds no input cell"]
    winner = int(shapes.window_argmax(window))
    where = [int(p) for p in flat_positions]
    if np.isnan(window).any():
        nans = [where[i] for i in np.flatnonzero(np.isnan(window))]
        return [f"the {what} holds NaN at flat positions {nans}: the output is NaN and the "
                f"index points at the last NaN, {where[winner]} (PyTorch's CPU rule)"]
    if np.all(window == -np.inf):
        return [f"every cell of the {what} is -inf (padding never wins): the output is -inf "
                f"and the index is its first input cell, {where[winner]}"]
    top = [where[i] for i in np.flatnonzero(window == window[winner])]
    if len(top) > 1:
        return [f"this {what}'s maximum {_number(window[winner])} is tied between flat positions "
                f"{top}: PyTorch takes the first in row-major order, {where[winner]}"]
    return [f"the {what}'s maximum {_number(window[winner])} is at flat position "
            f"{where[winner]}"]


def _window_values(x, n, c, cells):
    """A window's input cells, row-major, and their flat positions in the (n, c) plane."""
    plane = x[n, c]
    grids = np.meshgrid(*(np.arange(plane.shape[dim])[cell] for dim, cell in enumerate(cells)),
                        indexing="ij")
    flat = np.ravel_multi_index(tuple(g.ravel() for g in grids), plane.shape)
    return plane.ravel()[flat], flat


def _windows_of(out_size):
    return itertools.product(*(range(o) for o in out_size))


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

def max_pool(case, result, position):
    """Max pooling: the window's taps, the ceil_mode rule, and which cell wins."""
    geometry = _pool_geometry(case)
    x = _batched(case)
    in_size = x.shape[2:]
    ceil_mode = case.arguments.get("ceil_mode", False)
    if position is None:
        return _pool_shape_lines(in_size, *geometry[:4], ceil_mode)
    n, c, spatial = _cell(case, position)
    if result in ("output", "output_indices"):
        cells = shapes.clipped_window(spatial, *geometry[:4], in_size)
        window, flat = _window_values(x, n, c, cells)
        return (_window_lines(spatial, *geometry[:4], in_size)
                + _ceil_lines(spatial, geometry, in_size, ceil_mode)
                + _winner_lines(window, flat))
    target = int(np.ravel_multi_index(spatial, in_size))
    lines = []
    for out_index in _windows_of(geometry.out_size):
        cells = shapes.clipped_window(out_index, *geometry[:4], in_size)
        window, flat = _window_values(x, n, c, cells)
        if target not in flat:
            continue
        winner = int(flat[int(shapes.window_argmax(window))])
        verdict = ("wins it: the window's gradient comes here" if winner == target else
                   f"loses to flat position {winner}")
        if winner != target and window[list(flat).index(target)] == window[list(flat).index(
                winner)]:
            verdict += " (a tie: only the first maximum gets the gradient)"
        lines.append(f"input flat position {target} is in window {out_index} and {verdict}")
    return lines or [f"input flat position {target} is in no window: its gradient is 0"]


def avg_pool(case, result, position):
    """Average pooling: the window's taps, the ceil_mode rule, and the divisor."""
    geometry = _pool_geometry(case, dilation=1)
    x = _batched(case)
    in_size = x.shape[2:]
    a = case.arguments
    ceil_mode = a.get("ceil_mode", False)
    include = a.get("count_include_pad", True)
    override = a.get("divisor_override")
    if position is None:
        return _pool_shape_lines(in_size, *geometry[:4], ceil_mode)
    n, c, spatial = _cell(case, position)
    kernel_size, stride, padding, _, out_size = geometry
    if result == "output":
        return (_window_lines(spatial, *geometry[:4], in_size)
                + _ceil_lines(spatial, geometry, in_size, ceil_mode)
                + [_divisor_line(spatial, in_size, geometry, include, override)])
    lines = []
    target = spatial
    for out_index in _windows_of(out_size):
        cells = shapes.clipped_window(out_index, *geometry[:4], in_size)
        if cells is not None and all(cell.start <= t < cell.stop
                                     for cell, t in zip(cells, target)):
            divisor = shapes.avg_pool_divisors(in_size, kernel_size, stride, padding,
                                               out_size, include, override)[out_index]
            lines.append(f"input cell {target} is in window {out_index}, whose divisor is "
                         f"{int(divisor)}: it receives grad_output / {int(divisor)} from it")
    return lines or [f"input cell {target} is in no window: its gradient is 0"]


def _divisor_line(out_index, in_size, geometry, include, override):
    kernel_size, stride, padding, _, out_size = geometry
    if override is not None:
        return f"divisor_override={override} replaces the window's cell count"
    counts = []
    for i, n, k, s, pair, o in zip(out_index, in_size, kernel_size, stride, padding, out_size):
        with_padding, without_padding = shapes.pool_window_counts(n, k, s, pair, o)
        counts.append(int((with_padding if include else without_padding)[i]))
    divisor = int(shapes.avg_pool_divisors(in_size, kernel_size, stride, padding, out_size,
                                           include)[tuple(out_index)])
    rule = ("the window's input cells and the padding it covers (count_include_pad=True) but "
            "never the ceil_mode overhang" if include else
            "only the window's input cells (count_include_pad=False)")
    return f"the divisor counts {rule}: {' x '.join(map(str, counts))} = {divisor}"


def lp_pool(case, result, position):
    """Power-average pooling: the windows, PyTorch's rescaling of a cut-short window, signs."""
    x = _batched(case)
    in_size = x.shape[2:]
    a = case.arguments
    geometry = shapes.lp_pool_geometry(in_size, a["norm_type"], a["kernel_size"],
                                       a.get("stride"), a.get("ceil_mode", False))
    pool = geometry[1:]
    if position is None:
        return _pool_shape_lines(in_size, *pool[:4], a.get("ceil_mode", False))
    n, c, spatial = _cell(case, position)
    p = geometry.norm_type
    lines = []
    windows = ([spatial] if result == "output" else
               [o for o in _windows_of(geometry.out_size)
                if all(cell.start <= t < cell.stop for cell, t in zip(
                    shapes.clipped_window(o, *pool[:4], in_size), spatial))])
    for out_index in windows:
        cells = shapes.clipped_window(out_index, *pool[:4], in_size)
        window, _ = _window_values(x, n, c, cells)
        kernel_cells = int(np.prod(geometry.kernel_size))
        lines += _window_lines(out_index, *pool[:4], in_size)
        if window.size < kernel_cells:
            lines.append(f"window {out_index} holds {window.size} of the kernel's "
                         f"{kernel_cells} cells (ceil_mode cut it short): PyTorch computes "
                         f"(K * mean(x**p))**(1/p) with the full K = {kernel_cells}, so the "
                         f"sum of powers is scaled by {kernel_cells}/{window.size}")
        if np.isinf(p):
            lines.append(f"norm_type={p}: the window's {'largest' if p > 0 else 'smallest'} "
                         f"|x|, as max pooling of |x| picks it (the first of equal ones)")
        elif (window < 0).any():
            lines.append(f"window {out_index} holds negative cells and norm_type={p}: PyTorch "
                         f"raises x itself to the power, so a negative cell gives NaN unless "
                         f"p is a whole number, and a negative sum NaN unless 1/p is")
    return lines or [f"input cell {spatial} is in no window: its gradient is 0"]


def adaptive_pool(case, result, position):
    """Adaptive pooling: the window ``floor(i * in / out)`` to ``ceil((i + 1) * in / out)``."""
    x = _batched(case)
    in_size = x.shape[2:]
    out_size = shapes.adaptive_pool_geometry(in_size, case.arguments["output_size"]).out_size
    if position is None:
        return [f"output_size={case.arguments['output_size']!r} gives the spatial size "
                f"{out_size} (None keeps the input's size)"]
    n, c, spatial = _cell(case, position)
    is_max = case.op == "adaptive_max_pool"
    windows = ([spatial] if result != "grad_input" else
               [o for o in _windows_of(out_size)
                if all(cell.start <= t < cell.stop for cell, t in zip(
                    shapes.adaptive_pool_cells(o, in_size, out_size), spatial))])
    lines = []
    for out_index in windows:
        for dim, (i, size, out) in enumerate(zip(out_index, in_size, out_size)):
            start, end = shapes.adaptive_pool_window(i, size, out)
            shared = []
            if i > 0 and shapes.adaptive_pool_window(i - 1, size, out)[1] > start:
                shared.append("its left neighbour")
            if i + 1 < out and shapes.adaptive_pool_window(i + 1, size, out)[0] < end:
                shared.append("its right neighbour")
            overlap = f"; it shares cells with {' and '.join(shared)}" if shared else ""
            lines.append(f"along spatial dimension {dim}, window {i} covers cells {start} to "
                         f"{end - 1}: floor({i}*{size}/{out}) to ceil({i + 1}*{size}/{out}) - "
                         f"1{overlap}")
        if is_max:
            cells = shapes.adaptive_pool_cells(out_index, in_size, out_size)
            window, flat = _window_values(x, n, c, cells)
            lines += _winner_lines(window, flat, what=f"window {out_index}")
    return lines or [f"input cell {spatial} is in no window: its gradient is 0"]


def max_unpool(case, result, position):
    """Max unpooling: the output size's range, and which input cells carry an index."""
    x = _batched(case)
    a = case.arguments
    indices = np.asarray(a["indices"])
    indices = indices[np.newaxis] if case.unbatched else indices
    geometry = shapes.max_unpool_geometry(x.shape[2:], a["kernel_size"], a.get("stride"),
                                          a.get("padding", 0), a.get("output_size"),
                                          x.shape[:2])
    if position is None:
        return [f"spatial dimension {dim}: default size (in - 1)*stride - before - after + "
                f"kernel_size = {default}; output_size may be from {low} to {high} "
                f"(PyTorch's rule), here {out}"
                for dim, (default, out, (low, high)) in enumerate(zip(
                    geometry.default_size, geometry.out_size,
                    (shapes.max_unpool_size_range(n, k, s, pair) for n, k, s, pair in zip(
                        x.shape[2:], geometry.kernel_size, geometry.stride,
                        geometry.padding))))]
    n, c, spatial = _cell(case, position)
    plane = indices[n, c].ravel()
    if result == "grad_input":
        target = int(plane[int(np.ravel_multi_index(spatial, x.shape[2:]))])
        return [f"input cell {spatial} carries index {target}: its gradient is grad_output at "
                f"flat position {target} of its (n, c) plane, also when another cell with the "
                f"same index overwrote it in the forward"]
    target = int(np.ravel_multi_index(spatial, geometry.out_size))
    carriers = [int(i) for i in np.flatnonzero(plane == target)]
    if not carriers:
        return [f"no input cell carries index {target}: the output cell is 0"]
    if len(carriers) == 1:
        return [f"input flat position {carriers[0]} carries index {target}: its value goes "
                f"here"]
    return [f"input flat positions {carriers} all carry index {target}: the last in "
            f"row-major order stays (PyTorch's CPU result on one thread)"]


# --------------------------------------------------------------------------------------------
# Convolution and transposed convolution
# --------------------------------------------------------------------------------------------

def _conv_geometry(case):
    x = _batched(case)
    a = case.arguments
    weight = np.asarray(a["weight"])
    return x, weight, shapes.conv_geometry(x.shape[2:], weight.shape[2:], a.get("stride", 1),
                                           a.get("padding", 0), a.get("dilation", 1))


def conv(case, result, position):
    """Convolution: the window's taps, the padding they read, 'same', and the groups."""
    x, weight, geometry = _conv_geometry(case)
    a = case.arguments
    in_size, kernel_size = x.shape[2:], weight.shape[2:]
    mode = a.get("padding_mode", "zeros")
    groups = a.get("groups", 1)
    lines = []
    if a.get("padding") == "same":
        lines += [f"padding='same' along spatial dimension {dim} is (before, after) = {pair}: "
                  f"out = ceil(in / stride), and an odd total puts the extra cell after"
                  for dim, pair in enumerate(geometry.padding)]
    if position is None:
        return lines + [
            f"spatial dimension {dim}: floor(({n} + {b} + {e} - {d}*({k}-1) - 1) / {s}) + 1 = "
            f"{o}" for dim, (n, k, s, (b, e), d, o) in enumerate(zip(
                in_size, kernel_size, geometry.stride, geometry.padding, geometry.dilation,
                geometry.out_size))]
    if result == "grad_bias":
        return lines + _bias_lines(case, position)
    n, channel, spatial = _cell(case, position)
    if result == "grad_weight":
        added = "0" if mode == "zeros" else f"the input cells the {mode} padding copies"
        return lines + [f"{result} sums over the batch and every output position; taps on the "
                        f"padding add {added}"]
    C_out, C_in = weight.shape[0], x.shape[1]
    if groups > 1:
        if result == "output":
            group = channel // (C_out // groups)
            lines.append(f"groups={groups}: output channel {channel} reads input channels "
                         f"{group * (C_in // groups)} to {(group + 1) * (C_in // groups) - 1} "
                         f"only")
        else:
            group = channel // (C_in // groups)
            lines.append(f"groups={groups}: input channel {channel} feeds output channels "
                         f"{group * (C_out // groups)} to {(group + 1) * (C_out // groups) - 1}")
    if result == "output":
        lines += _window_lines(spatial, kernel_size, geometry.stride, geometry.padding,
                               geometry.dilation, in_size)
        if mode != "zeros":
            lines += _through_padding(spatial, kernel_size, geometry, in_size, mode)
        return lines
    readers = 0
    through = set()
    for out_index in _windows_of(geometry.out_size):
        for tap in itertools.product(*(range(k) for k in kernel_size)):
            positions = [shapes.window_taps(i, k, s, pair[0], d)[t]
                         for i, t, k, s, pair, d in zip(out_index, tap, kernel_size,
                                                        geometry.stride, geometry.padding,
                                                        geometry.dilation)]
            sources = [p if 0 <= p < size else (None if mode == "zeros" else int(
                padded_source_at(np.array([p]), size, mode)[0]))
                for p, size in zip(positions, in_size)]
            if tuple(sources) == tuple(spatial):
                readers += 1
                if positions != list(spatial):
                    through.add(tuple(positions))
    lines.append(f"input cell {spatial} is read by {readers} kernel tap(s) across the windows")
    if through:
        lines.append(f"{len(through)} of the positions that read it lie on the padding "
                     f"({sorted(through)[:4]}...): this cell of the input is reached through "
                     f"{mode} padding, so their gradient comes back here")
    return lines


def _through_padding(spatial, kernel_size, geometry, in_size, mode):
    lines = []
    for dim, (i, k, s, (before, _), d, n) in enumerate(zip(
            spatial, kernel_size, geometry.stride, geometry.padding, geometry.dilation,
            in_size)):
        taps = np.array(list(shapes.window_taps(i, k, s, before, d)))
        outside = taps[(taps < 0) | (taps >= n)]
        if outside.size:
            sources = padded_source_at(outside, n, mode)
            pairs = ", ".join(f"{p} -> {q}" for p, q in zip(outside, sources))
            lines.append(f"along spatial dimension {dim}, taps on the padding read input "
                         f"cells through {mode} padding: {pairs}")
    return lines


def conv_transpose(case, result, position):
    """Transposed convolution: which input cells and taps reach an output cell, and the
    output_padding an ``output_size`` chose."""
    x = _batched(case)
    a = case.arguments
    weight = np.asarray(a["weight"])
    in_size, kernel_size = x.shape[2:], weight.shape[2:]
    output_size = a.get("output_size")
    if case.unbatched and output_size is not None and len(output_size) == len(in_size) + 1:
        output_size = output_size[1:]            # unbatched: (C_out, *spatial), PyTorch's form
    C_out = weight.shape[1] * a.get("groups", 1)
    geometry = shapes.conv_transpose_geometry(in_size, kernel_size, a.get("stride", 1),
                                              a.get("padding", 0), a.get("output_padding", 0),
                                              a.get("dilation", 1), output_size,
                                              (x.shape[0], C_out))
    lines = []
    if output_size is not None:
        ranges = [shapes.conv_transpose_size_range(n, k, s, pair, d) for n, k, s, pair, d in zip(
            in_size, kernel_size, geometry.stride, geometry.padding, geometry.dilation)]
        lines.append(f"output_size={a['output_size']!r} asks for output_padding="
                     f"{geometry.output_padding}: PyTorch takes, per dimension, from the size "
                     f"with output_padding 0 up to stride - 1 more, whatever the dilation: "
                     f"{', '.join(f'{low} to {high}' for low, high in ranges)}")
    if position is None:
        return lines + [
            f"spatial dimension {dim}: ({n} - 1)*{s} - {b} - {e} + {d}*({k}-1) + {op} + 1 = {o} "
            f"(output_padding {op} must be below max(stride, dilation) = "
            f"{shapes.output_padding_limit(s, d)})"
            for dim, (n, k, s, (b, e), op, d, o) in enumerate(zip(
                in_size, kernel_size, *geometry))]
    if result == "grad_bias":
        return lines + _bias_lines(case, position)
    if result != "output":
        return lines + [f"{result} of a transposed convolution is a plain convolution of "
                        f"grad_output with the weight, over the same cells the forward "
                        f"scattered to"]
    n, channel, spatial = _cell(case, position)
    for dim, (o, size, k, s, (before, _), op, d) in enumerate(zip(
            spatial, in_size, kernel_size, geometry.stride, geometry.padding,
            geometry.output_padding, geometry.dilation)):
        uncropped = o + before
        reach = shapes.window_reach(size, k, s, d)
        # input cell i's kernel copy lands where a window with no padding has its taps
        hits = [(i, t) for i in range(size)
                for t, p in enumerate(shapes.window_taps(i, k, s, 0, d)) if p == uncropped]
        if uncropped >= reach:
            lines.append(f"along spatial dimension {dim}, output cell {o} is position "
                         f"{uncropped} before cropping, at or past the {reach} cells the kernel "
                         f"copies reach: it exists only because of output_padding={op}, and no "
                         f"input reaches it (it holds the bias alone)")
        else:
            lines.append(f"along spatial dimension {dim}, output cell {o} is position "
                         f"{uncropped} before cropping {before}; (input cell, tap) pairs "
                         f"reaching it: {hits}")
    return lines


# --------------------------------------------------------------------------------------------
# Unfold and fold
# --------------------------------------------------------------------------------------------

def _layout_lines(row, column, geometry):
    """Which channel, kernel tap and window a column cell ``(row, column)`` is."""
    channel, tap = divmod(row, geometry.taps)
    tap_index = tuple(int(t) for t in np.unravel_index(tap, geometry.kernel_size))
    window = tuple(int(i) for i in np.unravel_index(column, geometry.window_counts))
    return channel, tap_index, window, [
        f"row {row} = channel {channel} * K + tap {tap} with K = prod(kernel_size="
        f"{geometry.kernel_size}) = {geometry.taps}: the channel first, then kernel tap "
        f"{tap_index} (taps row-major)",
        f"column {column} = window {window} of {geometry.window_counts} (windows row-major; "
        f"L = {geometry.windows})"]


def _tap_lines(window, tap_index, geometry, sizes, verb, outside):
    """Per dimension, where a window's tap lands: on the array or on its padding
    (``outside`` says what happens there)."""
    lines = []
    for dim, (i, t, k, s, (before, _), d, n) in enumerate(zip(
            window, tap_index, geometry.kernel_size, geometry.stride, geometry.padding,
            geometry.dilation, sizes)):
        position = shapes.window_taps(i, k, s, before, d)[t]
        where = "inside" if 0 <= position < n else f"on the padding ({outside})"
        lines.append(f"along spatial dimension {dim}, tap {t} of window {i} {verb} position "
                     f"{i}*{s} - {before} + {t}*{d} = {position}: {where}")
    return lines


def _window_count_lines(sizes, geometry, what):
    return [f"spatial dimension {dim}: floor(({n} + {b} + {e} - {d}*({k}-1) - 1) / {s}) + 1 = "
            f"{count} window positions over the {what}"
            for dim, (n, k, s, (b, e), d, count) in enumerate(zip(
                sizes, geometry.kernel_size, geometry.stride, geometry.padding,
                geometry.dilation, geometry.window_counts))]


def _readers(target, geometry):
    """Every (window, tap) pair whose tap lands on ``target``, window and tap row-major."""
    found = []
    for window in itertools.product(*(range(count) for count in geometry.window_counts)):
        for tap in itertools.product(*(range(k) for k in geometry.kernel_size)):
            if all(shapes.window_taps(i, k, s, before, d)[t] == p
                   for i, t, k, s, (before, _), d, p in zip(
                       window, tap, geometry.kernel_size, geometry.stride, geometry.padding,
                       geometry.dilation, target)):
                found.append((window, tap))
    return found


def _column_cell(geometry, channel, window, tap):
    """``(row, column)`` of channel ``channel``'s tap ``tap`` in window ``window``."""
    row = channel * geometry.taps + int(np.ravel_multi_index(tap, geometry.kernel_size))
    return row, int(np.ravel_multi_index(window, geometry.window_counts))


def _unfold_geometry(case):
    x = _batched(case)
    a = case.arguments
    return x.shape[2:], shapes.unfold_geometry(x.shape[2:], a["kernel_size"],
                                               a.get("dilation", 1), a.get("padding", 0),
                                               a.get("stride", 1))


def unfold(case, result, position):
    """Unfold: which channel, tap and window a column cell holds, and where it reads."""
    in_size, geometry = _unfold_geometry(case)
    C = _batched(case).shape[1]
    if position is None:
        return _window_count_lines(in_size, geometry, "input") + [
            f"the output is (N, C * K, L) = (N, {C} * {geometry.taps}, {geometry.windows}): "
            f"rows channel-major, then the kernel taps; columns the window positions"]
    if result == "output":
        n, row, column = (0, *position) if case.unbatched else position
        _, tap_index, window, lines = _layout_lines(int(row), int(column), geometry)
        return lines + _tap_lines(window, tap_index, geometry, in_size, "reads",
                                  "the column holds 0 there")
    n, channel, spatial = _cell(case, position)
    readers = _readers(spatial, geometry)
    cells = [_column_cell(geometry, channel, window, tap) for window, tap in readers]
    return [f"input cell {spatial} of channel {channel} is copied into {len(cells)} column "
            f"cell(s) (row, column) {cells[:6]}{'...' if len(cells) > 6 else ''}: its "
            f"gradient is the sum of grad_output over them"]


def fold(case, result, position):
    """Fold: which column cells add up on an output cell (the overlaps), and which fall on
    the padding."""
    x = _batched(case)
    a = case.arguments
    out_size, geometry = shapes.fold_geometry(x.shape[1:], a["output_size"], a["kernel_size"],
                                              a.get("dilation", 1), a.get("padding", 0),
                                              a.get("stride", 1))
    if position is None:
        rows = x.shape[1]
        return _window_count_lines(out_size, geometry, f"output_size {out_size}") + [
            f"the input must be (N, C * K, L) with K = {geometry.taps} and L = "
            f"{geometry.windows}: here {rows} rows make C = {rows // geometry.taps}"]
    if result == "output":
        n, channel, spatial = _cell(case, position)
        readers = _readers(spatial, geometry)
        if not readers:
            return [f"no window has a tap on output cell {spatial}: fold leaves it 0"]
        cells = [_column_cell(geometry, channel, window, tap) for window, tap in readers]
        overlap = (" (windows overlap here: their values add up)" if len(cells) > 1 else "")
        return [f"output cell {spatial} of channel {channel} is the sum of {len(cells)} "
                f"column cell(s) (row, column) {cells[:6]}{'...' if len(cells) > 6 else ''}"
                f"{overlap}"]
    n, row, column = (0, *position) if case.unbatched else position
    _, tap_index, window, lines = _layout_lines(int(row), int(column), geometry)
    lines += _tap_lines(window, tap_index, geometry, out_size, "lands on",
                        "fold drops it")
    lines.append("a column cell that lands on the padding is dropped by the forward: its "
                 "gradient is 0; one that lands inside gets grad_output there")
    return lines
