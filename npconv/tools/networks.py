"""Specs of a few real networks, for :func:`npconv.tools.summary.summarize` and ``npconv summary``.

Each entry of :data:`NETWORKS` is a spec string in the syntax of :mod:`npconv.tools.summary`,
starting with the input shape its source uses.  They are written from their sources'
definitions, layer by layer:

- ``vgg16``: VGG-16 (configuration D of Simonyan and Zisserman, 2015) as torchvision
  defines it, with its adaptive average pool to 7x7 before the classifier;
- ``alexnet``: AlexNet as torchvision defines it (the single-GPU variant of Krizhevsky et
  al., 2012, with 64-192-384-256-256 channels), 224x224 input;
- ``lenet5``: LeNet-5 (LeCun et al., 1998) on a 32x32 input, in its common modern form:
  C3 connected to all six S2 maps (the paper used a sparse table), subsampling as plain
  average pooling (the paper's had a trainable scale and bias per map) and a linear
  output layer in place of the paper's RBF units;
- ``dcgan-generator``: the DCGAN generator of Radford et al. (2016, figure 1), 64x64 RGB
  from a 100-d code; the paper's "project and reshape" to 4x4x1024 is a 4x4 transposed
  convolution of the 1x1 code, as in PyTorch's DCGAN example;
- ``dilated``: the basic context module of Yu and Koltun (2016, table 1): 3x3
  convolutions with dilation 1, 1, 2, 4, 8, 16, 1 and a final 1x1, on C = 21 channels
  (Pascal VOC's classes), padding equal to the dilation so that the 64x64 size stays.

Examples
--------
>>> sorted(NETWORKS)
['alexnet', 'dcgan-generator', 'dilated', 'lenet5', 'vgg16']
>>> from npconv.tools.summary import summarize
>>> summarize(NETWORKS["lenet5"]).output_shape
(1, 10)
"""

__all__ = ["NETWORKS"]

VGG16 = """
input(1x3x224x224)
conv(64,k=3,p=1) relu conv(64,k=3,p=1) relu maxpool(2)
conv(128,k=3,p=1) relu conv(128,k=3,p=1) relu maxpool(2)
conv(256,k=3,p=1) relu conv(256,k=3,p=1) relu conv(256,k=3,p=1) relu maxpool(2)
conv(512,k=3,p=1) relu conv(512,k=3,p=1) relu conv(512,k=3,p=1) relu maxpool(2)
conv(512,k=3,p=1) relu conv(512,k=3,p=1) relu conv(512,k=3,p=1) relu maxpool(2)
adaptiveavgpool(7) flatten
linear(4096) relu dropout linear(4096) relu dropout linear(1000)
"""

ALEXNET = """
input(1x3x224x224)
conv(64,k=11,s=4,p=2) relu maxpool(3,s=2)
conv(192,k=5,p=2) relu maxpool(3,s=2)
conv(384,k=3,p=1) relu conv(256,k=3,p=1) relu conv(256,k=3,p=1) relu maxpool(3,s=2)
adaptiveavgpool(6) flatten
dropout linear(4096) relu dropout linear(4096) relu linear(1000)
"""

LENET5 = """
input(1x1x32x32)
conv(6,k=5) tanh       # C1: 6 maps of 28x28
avgpool(2)             # S2: 14x14
conv(16,k=5) tanh      # C3: 16 maps of 10x10
avgpool(2)             # S4: 5x5
conv(120,k=5) tanh     # C5: 120 maps of 1x1
flatten
linear(84) tanh        # F6
linear(10)             # output
"""

DCGAN_GENERATOR = """
input(1x100x1x1)                                  # z
convT(1024,k=4,s=1,p=0,bias=false) bn relu        # project and reshape: 4x4x1024
convT(512,k=4,s=2,p=1,bias=false) bn relu         # CONV 1: 8x8x512
convT(256,k=4,s=2,p=1,bias=false) bn relu         # CONV 2: 16x16x256
convT(128,k=4,s=2,p=1,bias=false) bn relu         # CONV 3: 32x32x128
convT(3,k=4,s=2,p=1,bias=false) tanh              # CONV 4: G(z), 64x64x3
"""

DILATED = """
input(1x21x64x64)
conv(21,k=3,p=1,d=1) relu
conv(21,k=3,p=1,d=1) relu
conv(21,k=3,p=2,d=2) relu
conv(21,k=3,p=4,d=4) relu
conv(21,k=3,p=8,d=8) relu
conv(21,k=3,p=16,d=16) relu
conv(21,k=3,p=1,d=1) relu
conv(21,k=1)
"""

NETWORKS = {
    "vgg16": VGG16,
    "alexnet": ALEXNET,
    "lenet5": LENET5,
    "dcgan-generator": DCGAN_GENERATOR,
    "dilated": DILATED,
}
"""Network name -> spec string."""
