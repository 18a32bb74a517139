"""The rest of PyTorch's convolution and pooling family, on top of the core.

Laid out as the core is: :mod:`npconv.family.api` checks the arguments and picks the
variant with ``method=``; :mod:`npconv.family.loops` is the readable reference, one loop
nest per op; :mod:`npconv.family.im2col` is the fast variant.  The formulas and the
validators live with the core's, in :mod:`npconv.shapes`.  So far: unfold and fold, max
unpooling, adaptive average and max pooling, and power-average pooling, forward and
backward.  The public functions are re-exported by :mod:`npconv`.
"""

from . import im2col, loops      # the two variants, as modules
from .api import (adaptive_avg_pool, adaptive_avg_pool1d, adaptive_avg_pool2d,
                  adaptive_avg_pool3d, adaptive_avg_pool_backward, adaptive_max_pool,
                  adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d,
                  adaptive_max_pool_backward, fold, fold_backward, lp_pool, lp_pool1d,
                  lp_pool2d, lp_pool3d, lp_pool_backward, max_unpool, max_unpool1d,
                  max_unpool2d, max_unpool3d, max_unpool_backward, unfold, unfold_backward)

__all__ = [
    "loops", "im2col",
    "unfold", "unfold_backward", "fold", "fold_backward",
    "max_unpool", "max_unpool_backward",
    "adaptive_avg_pool", "adaptive_avg_pool_backward",
    "adaptive_max_pool", "adaptive_max_pool_backward",
    "lp_pool", "lp_pool_backward",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d",
]
