"""Draw every picture in docs/images/ from the real ops: ``python docs/make_pictures.py``.

One entry per picture: the file name, the op, and the configuration, exactly as
``npconv animate`` takes them.  The grids are small and the frames few, so that each file
stays well under 200 KB.  Importing this module (pytest does) draws nothing.
"""

from pathlib import Path

IMAGES = Path(__file__).resolve().parent / "images"

PICTURES = [
    # file                            op                config
    ("conv.gif",                      "conv",           dict(input_size=(5, 5), kernel_size=3,
                                                             stride=2, padding=1, dilation=2)),
    ("convolution.gif",               "conv",           dict(input_size=(5, 5), kernel_size=3,
                                                             stride=2, padding=1)),
    ("padding-same.gif",              "conv",           dict(input_size=(6,), kernel_size=4,
                                                             padding="same")),
    ("max-pool-ceil-mode.gif",        "max_pool",       dict(input_size=(5, 5), kernel_size=2,
                                                             ceil_mode=True)),
    ("avg-pool-divisors.gif",         "avg_pool",       dict(input_size=(6, 6), kernel_size=3,
                                                             stride=2, padding=1,
                                                             ceil_mode=True,
                                                             count_include_pad=False)),
    ("output-size.png",               "conv",           dict(input_size=(6, 5), kernel_size=3,
                                                             stride=2,
                                                             padding=((0, 1), (1, 1)))),
    ("parameter-count.png",           "conv",           dict(input_size=(4, 4), kernel_size=3,
                                                             frame=0)),
    ("dilation.gif",                  "conv",           dict(input_size=(7, 7), kernel_size=3,
                                                             dilation=2)),
    ("transposed-two-ways.gif",       "conv_transpose", dict(input_size=(2, 2), kernel_size=3,
                                                             stride=2, padding=1,
                                                             output_padding=1)),
    ("backward-scatter.png",          "conv_transpose", dict(input_size=(3,), kernel_size=3,
                                                             stride=2, view="scatter",
                                                             grid=True)),
    ("relationship-14.gif",           "conv_transpose", dict(input_size=(3,), kernel_size=3,
                                                             stride=2, padding=1,
                                                             output_padding=1)),
    # the pooling page's example: windows won by 4, 6, 9 and 8, put back by max_unpool
    ("max-unpool.gif",                "max_unpool",     dict(input_size=None, kernel_size=2,
                                                             input=((1, 2, 0, 3),
                                                                    (4, 0, 6, 5),
                                                                    (0, 7, 8, 0),
                                                                    (9, 0, 0, 0)))),
    # the pooling page's row [1, 5, 2, 7, 3] to 3 cells: windows 0-1, 1-3, 3-4
    ("adaptive-pool.gif",             "adaptive_avg_pool", dict(input_size=None,
                                                                input=(1, 5, 2, 7, 3),
                                                                output_size=3)),
]


def main():
    from npconv import viz            # matplotlib comes in only when drawing

    IMAGES.mkdir(exist_ok=True)
    for name, op, config in PICTURES:
        config = dict(config)
        input_size, kernel_size = config.pop("input_size"), config.pop("kernel_size", 3)
        path = IMAGES / name
        frames = viz.animate(op, input_size, path, kernel_size, **config)
        print(f"{path.relative_to(IMAGES.parent)}: {frames} frame(s), "
              f"{path.stat().st_size / 1000:.0f} KB")


if __name__ == "__main__":
    main()
