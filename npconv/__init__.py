"""npconv: convolution, transposed convolution and pooling in plain NumPy.

Every op exists twice, as readable loops (:mod:`npconv.loops`) and as im2col plus one matrix
multiply (:mod:`npconv.im2col`); the functions re-exported here check their arguments and run
either, chosen by ``method=``.  The shape formulas live in :mod:`npconv.shapes`.
"""

from .api import (Gradients, avg_pool, avg_pool1d, avg_pool2d, avg_pool3d, avg_pool_backward,
                  conv, conv1d, conv2d, conv3d, conv_backward, conv_transpose, conv_transpose1d,
                  conv_transpose2d, conv_transpose3d, conv_transpose_backward, max_pool,
                  max_pool1d, max_pool2d, max_pool3d, max_pool_backward)
from . import im2col, loops      # the two variants, as modules: npconv.loops.conv, ...
from .family import (adaptive_avg_pool, adaptive_avg_pool1d, adaptive_avg_pool2d,
                     adaptive_avg_pool3d, adaptive_avg_pool_backward, adaptive_max_pool,
                     adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d,
                     adaptive_max_pool_backward, fold, fold_backward, lp_pool, lp_pool1d,
                     lp_pool2d, lp_pool3d, lp_pool_backward, max_unpool, max_unpool1d,
                     max_unpool2d, max_unpool3d, max_unpool_backward, unfold, unfold_backward)
from .padding import insert_zeros, pad
from .shapes import (conv_output_size, conv_parameter_count, conv_transpose_output_size,
                     effective_kernel_size, output_padding_for, pool_output_size,
                     receptive_field, same_padding)

__version__ = "0.1.0"

__all__ = [
    "Gradients",
    "conv", "conv_backward", "conv_transpose", "conv_transpose_backward",
    "max_pool", "max_pool_backward", "avg_pool", "avg_pool_backward",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "unfold", "unfold_backward", "fold", "fold_backward",
    "max_unpool", "max_unpool_backward", "adaptive_avg_pool", "adaptive_avg_pool_backward",
    "adaptive_max_pool", "adaptive_max_pool_backward", "lp_pool", "lp_pool_backward",
    "max_unpool1d", "max_unpool2d", "max_unpool3d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "loops", "im2col", "pad", "insert_zeros",
    "conv_output_size", "conv_transpose_output_size", "pool_output_size", "same_padding",
    "effective_kernel_size", "output_padding_for", "conv_parameter_count", "receptive_field",
]
