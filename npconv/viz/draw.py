"""Drawing: turn a story of :mod:`npconv.viz.stories` into frames, a GIF or a PNG.

With :mod:`npconv.viz.training` (the pictures of a training run), this is the only module of
npconv that imports matplotlib (and Pillow, which matplotlib requires).  It draws with
matplotlib's object interface on the Agg canvas, never through ``pyplot``, so it neither
needs a display nor changes any global backend.

Every frame of one picture has the same size.  A frame is one matplotlib Axes measured in
grid cells: the grids sit side by side (input, kernel, output), a title above them, the
current step and the output-size formula with this configuration's numbers below.
"""

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.collections import PolyCollection
from matplotlib.patches import Rectangle
from PIL import Image

from .stories import (CROPPED, EXTRA, INPUT, INSERTED, OVERHANG, PADDING, AdaptivePoolStory,
                      PoolStory, ScatterStory, UnpoolStory, arithmetic, unpool_arithmetic)

__all__ = ["render_frames", "save", "frame_count", "NUMBERS_UP_TO"]

CELL_INCHES = 0.42          # side of one grid cell
DPI = 72
NUMBERS_UP_TO = 14          # grids wider or taller than this are drawn without numbers
GAP = 1.6                   # cells between two grids
MIN_WIDTH = 19              # cells: room for the formula lines
LABEL_ROOM = 1.0            # cells above a row that names the way it is drawn
SUM_TERMS_UP_TO = 16        # a window with more taps gets its sum summarised, not written out

COLOURS = {
    "input": "#9ecae1",
    "padding": "#e6e6e6",
    "inserted": "#fdd49e",
    "overhang": "#ffffff",
    "kernel": "#a1d99b",
    "output": "#cbb7e3",
    "pending": "#ffffff",
    "cropped": "#e6e6e6",
    "extra": "#fff1a8",
    "window": "#e6550d",
    "pool window": "#fdbe85",
    "winner": "#b2182b",
    "shared": "#6baed6",
    "indices": "#ffffb2",
    "zero": "#f2f2f2",
}
KIND_STYLE = {                # kind -> (colour, hatch, legend label)
    INPUT: ("input", None, "input"),
    PADDING: ("padding", "//", "padding"),
    INSERTED: ("inserted", None, "inserted zero"),
    OVERHANG: ("overhang", "xx", "ceil_mode overhang"),
}


def _fmt(value):
    """A cell's number, short: integers without a point, others with two decimals."""
    if value is None or np.isnan(value):
        return ""
    if np.isinf(value):
        return "−∞" if value < 0 else "∞"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _size_text(shape, spatial_dims):
    return "×".join(str(n) for n in shape[2 - spatial_dims:])


def _geometry_text(values, neutral, spatial_dims):
    """A per-dimension hyperparameter as one number when all agree, else a tuple."""
    values = values[2 - spatial_dims:]
    if len(set(values)) == 1:
        value = values[0]
        return str(value if not isinstance(value, tuple) or value[0] != value[1] else value[0])
    return str(tuple(values))


# --------------------------------------------------------------------------------------------
# Panels: one grid each
# --------------------------------------------------------------------------------------------

class _Panel:
    """A grid to draw: values, the colour of every cell, and what to highlight."""

    def __init__(self, title, values, colours, hatches=None, numbers=True):
        self.title = title
        self.values = values
        self.colours = colours
        self.hatches = hatches if hatches is not None else np.full(values.shape, None)
        self.numbers = numbers
        self.window = []          # cells with the window's orange overlay
        self.outline = None       # (row0, col0, rows, cols): the window's dashed bounding box
        self.winner = None        # one cell with a dark red edge
        self.winners = []         # more such cells (max unpooling: every winner so far)

    @property
    def shape(self):
        return self.values.shape


def _grid_panel(title, grid, kinds, numbers):
    colours = np.empty(grid.shape, dtype=object)
    hatches = np.full(grid.shape, None, dtype=object)
    for kind, (colour, hatch, _) in KIND_STYLE.items():
        colours[kinds == kind] = COLOURS[colour]
        hatches[kinds == kind] = hatch
    return _Panel(title, grid, colours, hatches, numbers)


def _draw_panel(ax, panel, x0, top):
    rows, cols = panel.shape
    ax.text(x0 + cols / 2, top + 0.35, panel.title, ha="center", va="bottom", fontsize=10,
            fontweight="bold")
    # One collection of squares per hatch, their corners computed as arrays: matplotlib
    # draws a collection far quicker than a patch per cell, and builds no object per cell.
    for hatch in set(panel.hatches.ravel()):
        r, c = np.nonzero(panel.hatches == hatch)
        left, bottom = x0 + c, top - r - 1
        corners = np.stack([np.stack([left, bottom], axis=-1),
                            np.stack([left + 1, bottom], axis=-1),
                            np.stack([left + 1, bottom + 1], axis=-1),
                            np.stack([left, bottom + 1], axis=-1)], axis=1)  # (cells, 4, 2)
        ax.add_collection(PolyCollection(
            corners, facecolors=list(panel.colours[r, c]), hatch=hatch,
            edgecolors="#555555", linewidths=0.8))
    if panel.numbers:
        for r in range(rows):
            for c in range(cols):
                ax.text(x0 + c + 0.5, top - r - 0.5, _fmt(panel.values[r, c]), ha="center",
                        va="center", fontsize=8.5)
    for r, c in panel.window:
        ax.add_patch(Rectangle((x0 + c, top - r - 1), 1, 1, facecolor=COLOURS["window"],
                               alpha=0.45, edgecolor=COLOURS["window"], linewidth=2))
    if panel.outline is not None:
        r0, c0, height, width = panel.outline
        ax.add_patch(Rectangle((x0 + c0, top - r0 - height), width, height, fill=False,
                               edgecolor=COLOURS["window"], linewidth=1.5, linestyle="--"))
    for r, c in panel.winners + ([panel.winner] if panel.winner is not None else []):
        ax.add_patch(Rectangle((x0 + c + 0.06, top - r - 0.94), 0.88, 0.88, fill=False,
                               edgecolor=COLOURS["winner"], linewidth=2.5))


def _set_window(panel, step):
    panel.window = [(r, c) for r in step.rows for c in step.cols]
    panel.outline = (step.rows[0], step.cols[0], step.rows[-1] - step.rows[0] + 1,
                     step.cols[-1] - step.cols[0] + 1)


# --------------------------------------------------------------------------------------------
# One row of panels per story
# --------------------------------------------------------------------------------------------

def _conv_row(story, step_number, numbers):
    """The panels and the step's sentence for a ConvStory or PoolStory after a step."""
    step = story.steps[step_number]
    show = numbers if numbers is not None else max(story.grid.shape) <= NUMBERS_UP_TO
    pooling = isinstance(story, PoolStory)
    transposed = story.op.startswith("conv_transpose")
    grid_title = ("zero-inserted, padded input" if transposed
                  else "input + padding" if np.any(story.kinds != INPUT) else "input")
    grid = _grid_panel(grid_title, story.grid, story.kinds, show)
    _set_window(grid, step)
    adaptive = isinstance(story, AdaptivePoolStory)
    if adaptive:                              # the cells that neighbouring windows share
        grid.colours[story.in_windows > 1] = COLOURS["shared"]
        grid.hatches[story.in_windows > 1] = ".."

    if adaptive:
        kernel = None                         # its windows differ in size: none to draw
    elif pooling:
        kernel = _Panel("window", np.full(story.kernel.shape, np.nan),
                        np.full(story.kernel.shape, COLOURS["pool window"], dtype=object),
                        numbers=False)
    else:
        kernel = _Panel("flipped kernel" if transposed else "kernel", story.kernel,
                        np.full(story.kernel.shape, COLOURS["kernel"], dtype=object),
                        numbers=show)

    partial = story.output_after(step_number)
    out_colours = np.where(np.isnan(partial), COLOURS["pending"], COLOURS["output"])
    output = _Panel("output", partial, out_colours.astype(object), numbers=show)
    output.window = [step.index]

    if story.op.endswith("max_pool"):
        grid.winner = step.winner
    panels = [grid, output] if kernel is None else [grid, kernel, output]
    return panels, _conv_sentence(story, step)


def _conv_sentence(story, step):
    """The step's arithmetic, products and all (the same text as ``npconv show``'s)."""
    sentence = arithmetic(story, step, times="×", max_terms=SUM_TERMS_UP_TO)
    if step.ceil_only:
        sentence += "   (a window that only ceil_mode keeps)"
    return sentence


def _unpool_row(story, step_number, numbers):
    """Max pooling, then unpooling: the input with this window and every winner so far, the
    pooled values and their indices so far, and the unpooled grid, zeros but for the winners
    put back."""
    step = story.steps[step_number]
    pool = story.pool
    show = numbers if numbers is not None else max(pool.grid.shape) <= NUMBERS_UP_TO
    grid = _grid_panel("input + padding" if np.any(pool.kinds != INPUT) else "input",
                       pool.grid, pool.kinds, show)
    _set_window(grid, step)
    grid.winners = [done.winner for done in story.steps[:step_number + 1]]

    def so_far(title, values, colour):
        partial = pool.output_after(step_number) if values is None else np.where(
            np.isnan(pool.output_after(step_number)), np.nan, values)
        colours = np.where(np.isnan(partial), COLOURS["pending"], COLOURS[colour])
        panel = _Panel(title, partial, colours.astype(object), numbers=show)
        panel.window = [step.index]
        return panel

    pooled = so_far("max_pool", None, "output")
    indices = so_far("indices", story.indices.astype(np.float64), "indices")
    unpooled = story.output_after(step_number)
    placed = story.landings[:step_number + 1]
    colours = np.full(unpooled.shape, COLOURS["zero"], dtype=object)
    for cell in placed:
        colours[cell] = COLOURS["output"]
    output = _Panel("max_unpool", unpooled, colours, numbers=show)
    output.window = [story.landings[step_number]]
    output.winners = list(placed)
    return [grid, pooled, indices, output], _sentence(story, step_number)


def _sentence(story, step_number):
    """The text under a row at ``step_number``."""
    if isinstance(story, UnpoolStory):
        return unpool_arithmetic(story, step_number, times="×", max_terms=SUM_TERMS_UP_TO)
    return _conv_sentence(story, story.steps[step_number])


def _scatter_row(story, step_number, numbers):
    step = story.steps[step_number]
    full = story.output_after(step_number)
    show = numbers if numbers is not None else max(full.shape) <= NUMBERS_UP_TO
    source = _Panel("input", story.input,
                    np.full(story.input.shape, COLOURS["input"], dtype=object), numbers=show)
    source.window = [step.index]
    kernel = _Panel("kernel", story.kernel,
                    np.full(story.kernel.shape, COLOURS["kernel"], dtype=object), numbers=show)
    colours = np.full(full.shape, COLOURS["output"], dtype=object)
    hatches = np.full(full.shape, None, dtype=object)
    colours[story.kinds == EXTRA] = COLOURS["extra"]
    colours[story.kinds == CROPPED] = COLOURS["cropped"]
    hatches[story.kinds == CROPPED] = "\\\\"
    has_border = np.any(story.kinds != INPUT)
    output = _Panel("output before cropping" if has_border else "output", full, colours,
                    hatches, numbers=show)
    _set_window(output, step)
    at = "x[" + ", ".join(str(i) for i in step.index[2 - story.spatial_dims:]) + "]"
    sentence = f"{at} = {_fmt(step.value)} adds {_fmt(step.value)} × kernel to the output"
    return [source, kernel, output], sentence


def _legend(stories):
    """Legend entries (colour, hatch, label) for the cell kinds the stories use."""
    entries = []
    for story in stories:
        if isinstance(story, UnpoolStory):
            for kind, (colour, hatch, label) in KIND_STYLE.items():
                if np.any(story.pool.kinds == kind):
                    entries.append((colour, hatch, label))
            entries += [("output", None, "pooled, and put back"), ("indices", None, "index"),
                        ("zero", None, "zero")]
            continue
        if isinstance(story, ScatterStory):
            entries += [("input", None, "input"), ("kernel", None, "kernel"),
                        ("output", None, "output")]
            if np.any(story.kinds == CROPPED):
                entries.append(("cropped", "\\\\", "cropped by padding"))
            if np.any(story.kinds == EXTRA):
                entries.append(("extra", None, "output_padding"))
            continue
        for kind, (colour, hatch, label) in KIND_STYLE.items():
            if np.any(story.kinds == kind):
                entries.append((colour, hatch, label))
        if isinstance(story, AdaptivePoolStory) and np.any(story.in_windows > 1):
            entries.append(("shared", "..", "in two windows or more"))
        if not isinstance(story, PoolStory):
            entries.append(("kernel", None, "kernel"))
        entries.append(("output", None, "output"))
    entries.append(("window", None, "current window"))
    if any(story.op.endswith("max_pool") or isinstance(story, UnpoolStory)
           for story in stories):
        entries.append(("winner", None, "max"))
    unique = []
    for entry in entries:
        if entry not in unique:
            unique.append(entry)
    return unique


def _title(story):
    dims = story.spatial_dims
    if isinstance(story, UnpoolStory):
        pool = story.pool
        return (f"max_pool, then max_unpool: input {_size_text(pool.in_size, dims)}, window "
                f"{_size_text(pool.kernel.shape, dims)}, stride "
                f"{_geometry_text(pool.stride, 1, dims)}, padding "
                f"{_geometry_text(pool.padding, (0, 0), dims)} → pooled "
                f"{_size_text(story.pooled.shape, dims)} → unpooled "
                f"{_size_text(story.output.shape, dims)}")
    if isinstance(story, AdaptivePoolStory):
        cells = sorted({len(step.rows) * len(step.cols) for step in story.steps})
        sizes = f"{cells[0]}" if len(cells) == 1 else f"{cells[0]} to {cells[-1]}"
        return (f"{story.op}: input {_size_text(story.in_size, dims)} → output "
                f"{_size_text(story.output.shape, dims)}, windows of {sizes} cells")
    if isinstance(story, ScatterStory):
        parts = [f"input {_size_text(story.input.shape, dims)}",
                 f"kernel {_size_text(story.kernel.shape, dims)}",
                 f"stride {_geometry_text(story.stride, 1, dims)}",
                 f"padding {_geometry_text(story.padding, (0, 0), dims)}"]
        if any(story.output_padding):
            parts.append(f"output_padding {_geometry_text(story.output_padding, 0, dims)}")
        if any(d != 1 for d in story.dilation):
            parts.append(f"dilation {_geometry_text(story.dilation, 1, dims)}")
        return (f"conv_transpose: {', '.join(parts)} → output "
                f"{_size_text(story.output.shape, dims)}")
    parts = [f"input {_size_text(story.in_size, dims)}",
             f"{'window' if isinstance(story, PoolStory) else 'kernel'} "
             f"{_size_text(story.kernel.shape, dims)}",
             f"stride {_geometry_text(story.stride, 1, dims)}",
             f"padding {_geometry_text(story.padding, (0, 0), dims)}"]
    if any(d != 1 for d in story.dilation):
        parts.append(f"dilation {_geometry_text(story.dilation, 1, dims)}")
    if isinstance(story, PoolStory) and story.floor_size != story.output.shape:
        parts.append("ceil_mode")
    return f"{story.op}: {', '.join(parts)} → output {_size_text(story.output.shape, dims)}"


# --------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------

def frame_count(stories):
    """How many frames the picture of ``stories`` (drawn as rows) has: the longest row's."""
    return max(len(story.steps) for story in stories)


def _rows_at(stories, frame, numbers):
    """Each story's panels and sentence at ``frame``; shorter stories move proportionally."""
    total = frame_count(stories)
    rows = []
    for story in stories:
        step_number = frame * len(story.steps) // total
        if isinstance(story, ScatterStory):
            rows.append(_scatter_row(story, step_number, numbers))
        elif isinstance(story, UnpoolStory):
            rows.append(_unpool_row(story, step_number, numbers))
        else:
            rows.append(_conv_row(story, step_number, numbers))
    return rows


def _layout(stories, numbers):
    """Width and height in cells, the same for every frame of the picture."""
    rows = _rows_at(stories, 0, numbers)
    width = max(sum(p.shape[1] for p in panels) + GAP * (len(panels) - 1)
                for panels, _ in rows)
    heights = [max(p.shape[0] for p in panels) for panels, _ in rows]
    formula = [line for story in stories for line in story.formula]
    sentences = [_sentence(story, number) for story in stories
                 if not isinstance(story, ScatterStory) for number in range(len(story.steps))]
    labels = LABEL_ROOM * len(stories) if len(stories) > 1 else 0
    height = 1.6 + sum(h + 3.0 for h in heights) + labels + 0.7 * len(formula) + 1.4
    text_width = max([0.26 * len(_title(stories[0])) + 4]
                     + [0.18 * len(line) + 1 for line in formula]
                     + [0.2 * len(line) + 1 for line in sentences])
    return max(width + 2, MIN_WIDTH, text_width), height, heights


def _render(stories, frame, numbers, layout):
    width, height, heights = layout
    figure = Figure(figsize=(width * CELL_INCHES, height * CELL_INCHES), dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()

    top = height - 0.4
    title = _title(stories[0]) + ("   (two ways)" if len(stories) > 1 else "")
    ax.text(width / 2, top, title, ha="center", va="top", fontsize=10.5, fontweight="bold")
    top -= 1.6
    for story, (panels, sentence), rows_high in zip(stories, _rows_at(stories, frame, numbers),
                                                    heights):
        if len(stories) > 1:
            way = ("each input cell scatters a scaled kernel" if isinstance(story, ScatterStory)
                   else "= zero insertion + padding + conv with the flipped kernel")
            ax.text(0.3, top + 0.3, way, ha="left", va="center", fontsize=9.5,
                    style="italic")
            top -= LABEL_ROOM
        used = sum(p.shape[1] for p in panels) + GAP * (len(panels) - 1)
        x0 = (width - used) / 2
        for panel in panels:
            _draw_panel(ax, panel, x0, top - (rows_high - panel.shape[0]) / 2)
            x0 += panel.shape[1] + GAP
        top -= rows_high + 0.8
        ax.text(width / 2, top, sentence, ha="center", va="center", fontsize=9.5)
        top -= 2.2
    for story in stories:
        for line in story.formula:
            ax.text(width / 2, top + 1.1, line, ha="center", va="center", fontsize=8.5,
                    family="DejaVu Sans Mono")
            top -= 0.7
    _draw_legend(ax, _legend(stories), width)

    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    image = Image.fromarray(rgba[..., :3].copy())
    return image


def _draw_legend(ax, entries, width):
    x = 0.4
    for colour, hatch, label in entries:
        if colour == "winner":
            ax.add_patch(Rectangle((x, 0.35), 0.6, 0.6, fill=False,
                                   edgecolor=COLOURS["winner"], linewidth=2.5))
        else:
            ax.add_patch(Rectangle((x, 0.35), 0.6, 0.6, facecolor=COLOURS[colour], hatch=hatch,
                                   edgecolor="#555555", linewidth=0.8,
                                   alpha=0.6 if colour == "window" else 1))
        ax.text(x + 0.8, 0.65, label, ha="left", va="center", fontsize=8.5)
        x += 1.2 + 0.2 * len(label)
        if x > width - 2:
            break


def render_frames(stories, numbers=None, frames=None):
    """Draw the stories (one row each) as a list of PIL images, all the same size.

    Parameters
    ----------
    stories : list of ConvStory, PoolStory or ScatterStory
    numbers : bool, optional
        Write the values in the cells; by default only when every grid is at most
        ``NUMBERS_UP_TO`` cells wide and tall.
    frames : iterable of int, optional
        Which frames to draw (default all, ``0 .. frame_count(stories) - 1``).
    """
    layout = _layout(stories, numbers)
    if frames is None:
        frames = range(frame_count(stories))
    return [_render(stories, frame, numbers, layout) for frame in frames]


def _contact_sheet(images):
    """Tile images in a near-square grid, left to right, top to bottom."""
    columns = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    width, height = images[0].size
    sheet = Image.new("RGB", (columns * width, rows * height), "white")
    for number, image in enumerate(images):
        sheet.paste(image, ((number % columns) * width, (number // columns) * height))
    return sheet


def spread_frames(total, count):
    """``count`` frame numbers from ``0 .. total - 1``, evenly spread, first and last included.

    >>> spread_frames(10, 4), spread_frames(3, 16)
    ([0, 3, 6, 9], [0, 1, 2])
    """
    count = min(total, count)
    return sorted({round(i * (total - 1) / max(count - 1, 1)) for i in range(count)})


def save(stories, path, frame=None, grid=False, numbers=None, fps=1.5, max_grid_frames=16,
         max_frames=100):
    """Write the stories' picture: an animated GIF, or a PNG still.

    Parameters
    ----------
    stories : list of stories, drawn one above the other
    path : str or Path
        ``.gif`` for an animation (every frame); ``.png`` for a still.
    frame : int, optional
        For a PNG: which frame (negative counts from the end; default the last).
    grid : bool
        For a PNG: tile up to ``max_grid_frames`` frames, evenly spread, instead of one.
    numbers : bool, optional
        See :func:`render_frames`.
    fps : float
        Frames per second of the GIF.
    max_frames : int
        A GIF of a larger picture shows this many frames, evenly spread; each still shows
        every output cell computed so far, so the output fills in several cells at a time.

    Returns
    -------
    int
        The number of frames written (1 for a single still).
    """
    path = str(path)
    total = frame_count(stories)
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix == "gif":
        images = render_frames(stories, numbers, spread_frames(total, max_frames))
        palette = _shared_palette(images)
        durations = [round(1000 / fps)] * (len(palette) - 1) + [round(3000 / fps)]
        palette[0].save(path, save_all=True, append_images=palette[1:], duration=durations,
                        loop=0, disposal=1)
        return len(images)
    if suffix != "png":
        raise ValueError(f"output {path!r} must end in .gif (animation) or .png (still)")
    if grid:
        chosen = spread_frames(total, max_grid_frames)
        _contact_sheet(render_frames(stories, numbers, chosen)).save(path, optimize=True)
        return len(chosen)
    if frame is None:
        frame = total - 1
    if not -total <= frame < total:
        raise ValueError(f"frame={frame} is out of range: this picture has {total} frames "
                         f"(0 to {total - 1}, or -1 to -{total} from the end)")
    image, = render_frames(stories, numbers, [frame % total])
    _shared_palette([image])[0].save(path, optimize=True)
    return 1


def _shared_palette(images, colors=48):
    """The images in one palette, undithered, taken from the first and last frame.

    One palette and no dithering keep the unchanged parts of consecutive frames identical,
    so the GIF stores little more than the cells that change.
    """
    reference = _contact_sheet([images[0], images[-1]]).quantize(
        colors=colors, method=Image.Quantize.MEDIANCUT)
    return [image.quantize(palette=reference, dither=Image.Dither.NONE) for image in images]
