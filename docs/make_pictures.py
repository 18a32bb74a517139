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
]


def main():
    from npconv import viz            # matplotlib comes in only when drawing

    IMAGES.mkdir(exist_ok=True)
    for name, op, config in PICTURES:
        config = dict(config)
        input_size, kernel_size = config.pop("input_size"), config.pop("kernel_size")
        path = IMAGES / name
        frames = viz.animate(op, input_size, path, kernel_size, **config)
        print(f"{path.relative_to(IMAGES.parent)}: {frames} frame(s), "
              f"{path.stat().st_size / 1000:.0f} KB")


if __name__ == "__main__":
    main()
