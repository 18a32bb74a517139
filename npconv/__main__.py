"""``python -m npconv``: a short demonstration of every op (a fuller command comes later)."""

import numpy as np

from . import api


def main(argv=None):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 3, 3))
    print("input 4x4:\n", x[0, 0])
    for method in ("loops", "im2col"):
        print(f"conv 3x3 of ones, padding='same' ({method}):\n",
              api.conv(x, w, padding="same", method=method)[0, 0])
    print("max_pool 2x2:\n", api.max_pool(x, 2)[0, 0])
    print("avg_pool 2x2:\n", api.avg_pool(x, 2)[0, 0])
    print("conv_transpose, stride 2:\n", api.conv_transpose(x[..., :2, :2], np.ones((1, 1, 2, 2)),
                                                           stride=2)[0, 0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
