"""The cheat sheet's convolution figures, pinned to their published values.

"Convolution operation": the 5x5 binary image and 3x3 kernel of Stanford's UFLDL tutorial
(Feature extraction using convolution), whose feature map the figure prints as
[[4, 3, 4], [2, 4, 3], [2, 3, 4]].  "Dilated convolution": a normal convolution is a
1-dilated convolution, so ``dilation=1`` is the same call as no dilation at all, and both
are SciPy's ``correlate(..., mode="valid")``.
"""

import numpy as np
import pytest
import scipy.signal

import npconv
from tests.oracles import UFLDL_FEATURE_MAP, UFLDL_IMAGE, UFLDL_KERNEL

METHODS = ("loops", "im2col")


@pytest.mark.parametrize("method", METHODS)
def test_conv_cheat_sheet_example(method):
    """The published feature map, exactly: the kernel is not flipped (cross-correlation)."""
    out = npconv.conv(UFLDL_IMAGE[None, None], UFLDL_KERNEL[None, None], method=method)
    np.testing.assert_array_equal(out, UFLDL_FEATURE_MAP[None, None])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("image, kernel", [
    (UFLDL_IMAGE, UFLDL_KERNEL),
    (np.random.default_rng(0).standard_normal((6, 7)),
     np.random.default_rng(1).standard_normal((3, 2))),
])
def test_normal_convolution_is_a_1_dilated_convolution(method, image, kernel):
    expected = scipy.signal.correlate(image, kernel, mode="valid", method="direct")
    x, w = image[None, None], kernel[None, None]
    one_dilated = npconv.conv(x, w, dilation=1, method=method)
    undilated = npconv.conv(x, w, method=method)
    np.testing.assert_allclose(one_dilated[0, 0], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(one_dilated, undilated)
