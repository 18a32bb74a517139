"""Network summaries against numbers published for those networks.

Sources (none of them npconv's output):

- VGG-16: 138,357,544 parameters (torchvision's model card for ``vgg16``; the paper's
  "138M", Simonyan and Zisserman 2015, table 2);
- AlexNet as torchvision defines it: 61,100,840 parameters (torchvision's model card);
- LeNet-5 (LeCun et al. 1998, section II.B): C1 has 156 trainable parameters, C5 48,120,
  F6 10,164; feature maps 28x28, 14x14, 10x10, 5x5, 1x1 on a 32x32 input;
- DCGAN generator (Radford et al. 2016, figure 1): 4x4x1024 -> 8x8x512 -> 16x16x256 ->
  32x32x128 -> 64x64x3;
- the dilated context module (Yu and Koltun 2016, table 1): receptive fields 3, 5, 9, 17,
  33, 65, 67, 67;
- receptive fields of the last layer, from Araujo, Norris and Sim, "Computing Receptive
  Fields of Convolutional Neural Networks", Distill 2019, table 1: AlexNet 195, VGG-16 212.
"""

from fractions import Fraction

import pytest

from npconv.tools.networks import NETWORKS
from npconv.tools.summary import format_summary, parse_spec, summarize
from tests import oracles


def conv_rows(summary, kind="conv"):
    return [row for row in summary.rows if row.layer.startswith(kind)]


def test_vgg16_parameter_count():
    assert summarize(NETWORKS["vgg16"]).total_parameters == 138_357_544


def test_alexnet_parameter_count():
    assert summarize(NETWORKS["alexnet"]).total_parameters == 61_100_840


def test_classifiers_end_in_1000_classes():
    for name in ("vgg16", "alexnet"):
        assert summarize(NETWORKS[name]).output_shape == (1, 1000)


def test_lenet5_layers_against_the_paper():
    summary = summarize(NETWORKS["lenet5"])
    rows = summary.rows
    convs = conv_rows(summary)
    assert convs[0].parameters == 156                           # C1
    assert convs[2].parameters == 48_120                        # C5
    linears = [row for row in rows if row.layer.startswith("linear")]
    assert linears[0].parameters == 10_164                      # F6
    spatial = [row.output_shape[2:] for row in rows
               if row.layer.startswith(("conv", "avgpool"))]
    assert spatial == [(28, 28), (14, 14), (10, 10), (5, 5), (1, 1)]
    assert [row.output_shape[1] for row in convs] == [6, 16, 120]


def test_dcgan_generator_progression_against_the_paper():
    summary = summarize(NETWORKS["dcgan-generator"])
    shapes = [row.output_shape[1:] for row in conv_rows(summary, "convT")]
    assert shapes == [(1024, 4, 4), (512, 8, 8), (256, 16, 16), (128, 32, 32), (3, 64, 64)]
    assert summary.output_shape == (1, 3, 64, 64)


def test_dilated_context_module_receptive_fields_against_the_paper():
    summary = summarize(NETWORKS["dilated"])
    fields = [int(row.receptive_field) for row in conv_rows(summary)]
    assert fields == [3, 5, 9, 17, 33, 65, 67, 67]
    assert summary.output_shape == (1, 21, 64, 64)


@pytest.mark.parametrize("name, field", [("alexnet", 195), ("vgg16", 212)])
def test_receptive_field_of_the_last_spatial_layer_against_distill(name, field):
    rows = summarize(NETWORKS[name]).rows
    spatial = [row for row in rows if row.receptive_field != "all"]
    assert int(spatial[-1].receptive_field) == field


def test_jump_is_the_product_of_strides():
    summary = summarize("input(1x3x64x64) conv(8,k=3,s=2,p=1) maxpool(2) conv(8,k=3,s=2,p=1)")
    assert [row.jump for row in summary.rows] == ["2", "4", "8"]
    # fields by hand: 3; 3 + (2-1)*2 = 5; 5 + (3-1)*4 = 13
    assert [row.receptive_field for row in summary.rows] == ["3", "5", "13"]


def test_transposed_convolution_divides_the_jump():
    summary = summarize("convT(4,k=4,s=2,p=1)", input_shape=(1, 8, 4, 4))
    assert summary.rows[0].output_shape == (1, 4, 8, 8)        # (4-1)*2 - 2 + 4 = 8
    assert summary.rows[0].jump == "1/2"


def test_anisotropic_layers_show_both_dimensions():
    summary = summarize("conv(4,k=3x1,s=2x1)", input_shape=(1, 1, 9, 9))
    assert summary.rows[0].output_shape == (1, 4, 4, 9)        # floor((9-3)/2)+1, 9
    assert summary.rows[0].jump == "2x1"
    assert summary.rows[0].receptive_field == "3x1"


def test_one_d_and_three_d_layers():
    one = summarize("conv1d(4,k=3,p=same) maxpool1d(2) flatten linear(5)",
                    input_shape=(2, 1, 10))
    assert [row.output_shape for row in one.rows] == [(2, 4, 10), (2, 4, 5), (2, 20), (2, 5)]
    assert one.total_parameters == (4 * 3 + 4) + (20 * 5 + 5)
    three = summarize("conv3d(2,k=3) avgpool3d(2)", input_shape=(1, 1, 6, 6, 6))
    assert three.output_shape == (1, 2, 2, 2, 2)
    assert three.total_parameters == 2 * 27 + 2


def test_batch_norm_has_scale_and_shift():
    summary = summarize("bn", input_shape=(1, 16, 4, 4))
    assert summary.total_parameters == 2 * 16


def test_spec_comments_and_long_names():
    shape, layers = parse_spec("""
        input(1x3x8x8)   # a comment
        conv(4, kernel_size=3, padding=1, stride=1)
    """)
    assert shape == (1, 3, 8, 8)
    assert layers[0].options == {"k": 3, "p": 1, "s": 1}


@pytest.mark.parametrize("spec, message", [
    ("input(1x3x8x8) conv(4,k=3) pool(2)", "unknown layer 'pool(2)'"),
    ("input(1x3x8x8) conv(4)", "needs k="),
    ("input(1x3x8x8) conv(4,k=3,zz=1)", "unknown option(s) zz"),
    ("input(1x3x8x8) conv(4,k=9)", "conv(4,k=9)' on input (1, 3, 8, 8): H: output size"),
    ("input(1x3x8x8) flatten conv(4,k=1)", "needs (N, C, *spatial)"),
    ("conv(4,k=3)", "no input shape"),
    ("input(1x3x8x8)", "no layers"),
])
def test_errors_name_the_layer(spec, message):
    with pytest.raises(ValueError, match=None) as error:
        summarize(spec)
    assert message in str(error.value)


def test_the_python_function_gives_the_table():
    text = format_summary(summarize(NETWORKS["alexnet"]))
    assert "total parameters: 61,100,840" in text
    assert text.splitlines()[0].split() == ["#", "layer", "output", "shape", "params", "jump",
                                            "receptive", "field"]


# --------------------------------------------------------------------------------------------
# Adaptive pooling, long specs, and specs that must be refused
# --------------------------------------------------------------------------------------------

def adaptive_windows(n, out):
    """The widths of PyTorch's adaptive-pool windows (:func:`tests.oracles.adaptive_window`)."""
    return [end - start for start, end in (oracles.adaptive_window(i, n, out)
                                           for i in range(out))]


@pytest.mark.parametrize("n, out", [(5, 3), (6, 3), (2, 5), (7, 7), (224, 7), (13, 4), (1, 9)])
def test_adaptive_pool_takes_its_widest_window_as_kernel(n, out):
    summary = summarize(f"adaptiveavgpool({out})", input_shape=(1, 1, n))
    assert summary.output_shape == (1, 1, out)
    # one layer from a field of 1: field = kernel, jump = n / out
    assert summary.rows[0].receptive_field == str(max(adaptive_windows(n, out)))


def test_adaptive_pool_to_a_huge_size_is_immediate():
    # PyTorch's windows for 8 -> 10**9: most hold one cell, some two (i * 8 mod 10**9
    # crosses a multiple of 10**9 / 8); by the formula ceil((10**9 - 8 + 8) / 10**9) = 1 ...
    # and 2 where a window straddles two cells: the brute force on a smaller case agrees
    summary = summarize("adaptiveavgpool(1000000000)", input_shape=(1, 1, 8, 8))
    assert summary.output_shape == (1, 1, 10 ** 9, 10 ** 9)
    assert summary.rows[0].receptive_field == str(max(adaptive_windows(8, 1000)))


def test_receptive_field_of_a_long_stack_equals_the_whole_stack_at_once():
    spec = "conv(2,k=3,p=1) maxpool(2,s=1,p=1) conv(2,k=3,d=2,p=2) " * 40
    rows = summarize(spec, input_shape=(1, 2, 8, 8)).rows
    # the cheat sheet's recursion over the whole list, layer by layer (a dilated kernel
    # spans d * (k - 1) + 1 cells)
    layers = [(3, 1, 1), (2, 1, 1), (3, 1, 2)] * 40
    expected = recursion([[(oracles.span(kernel, dilation), stride)]
                          for kernel, stride, dilation in layers])
    assert [(row.receptive_field, row.jump) for row in rows] == expected


def test_tens_of_thousands_of_layers_parse_in_linear_time():
    spec = "input(1x3x8x8) " + "conv(3,k=1) relu " * 15_000
    summary = summarize(spec)
    assert len(summary.rows) == 30_000
    assert summary.total_parameters == 15_000 * (3 * 3 + 3)


def test_a_spec_longer_than_the_bound_is_refused_before_parsing():
    with pytest.raises(ValueError, match="at most 1,000,000 are read"):
        parse_spec("relu " * 200_001)


def test_padding_pairs_in_a_spec_mean_before_and_after():
    summary = summarize("conv(1,k=3,p=0:1x2:0)", input_shape=(1, 1, 8, 8))
    # H: 8 + 0 + 1 - 3 + 1 = 7; W: 8 + 2 + 0 - 3 + 1 = 8
    assert summary.output_shape == (1, 1, 7, 8)


def test_a_shape_without_spatial_dimensions_has_no_receptive_field():
    summary = summarize("relu linear(4)", input_shape=(2, 3))
    assert [(row.output_shape, row.jump, row.receptive_field) for row in summary.rows] == [
        ((2, 3), "-", "-"), ((2, 4), "-", "-")]


@pytest.mark.parametrize("spec, message", [
    ("input(1x3x8x8) conv(-5,k=3)",
     "'conv(-5,k=3)': the number of output channels must be a positive integer, got -5"),
    ("input(1x3x8x8) conv(same,k=3)", "output channels must be a positive integer, got 'same'"),
    ("input(1x3x8x8) conv(true,k=3)", "output channels must be a positive integer, got True"),
    ("input(1x3x8x8) flatten linear(-5)", "output features must be a positive integer, got -5"),
    ("input(1x3x8x8) adaptiveavgpool(0)", "'adaptiveavgpool(0)': the output size must be"),
    ("input(1x3x8x8) adaptiveavgpool(2x2x2)", "or 2 of them joined by x, one per spatial"),
    ("input(1x3) relu conv(4,k=1)", "needs (N, C, *spatial)"),
    ("input(same) relu", "'input(same)': the input shape must be 2 to 32 sizes"),
    ("input(1) relu", "'input(1)': the input shape must be 2 to 32 sizes"),
    ("input(" + "x".join(["1"] * 33) + ") relu", "the input shape must be 2 to 32 sizes"),
    ("input(1x3x8x8) input(1x3x8x8) relu", "gives the input shape twice"),
    ("input(1x3x8x8) conv(4,k=0)", "'conv(4,k=0)' (layer 1): kernel_size=0 must be >= 1"),
    ("input(1x3x8x8) conv(4,k=3,bias=5)", "bias=5 must be 0, 1, true or false"),
    ("input(1x3x8x8) maxpool(2,ceil=same)", "ceil='same' must be 0, 1, true or false"),
    ("input(1x3x8x8) conv(4,3,1,0,9)", "5 positional arguments; it takes at most 4"),
    ("input(1x3x8x8) conv(4,3,k=3)", "k is given twice"),
    ("input(1x3x8x8) conv(4,k=3,k=5)", "k= is given twice"),
    ("input(1x3x8x8) relu(3)", "'relu(3)': 1 positional argument; it takes none"),
    ("input(1x3x8x8) flatten(2)", "'flatten(2)': 1 positional argument; it takes none"),
    ("input(1x3x8x8) conv(4,k=3,g=x)", "'conv(4,k=3,g=x)': 'x' is not a number"),
    ("input(1x3x8x8) conv(4,k=3x)", "'conv(4,k=3x)': '3x' is not a number"),
    ("input(1x3x8x8) conv(4,k=99999999999999999999)", "is too large: at most 2**63 - 1"),
    ("input(1x3x8x8) maxpool(2,p=same)", "'maxpool(2,p=same)' (layer 1): padding='same'"),
    ("input(1x3x8x8) conv(4,k=3)) relu", "cannot read the spec at ')' (token 3)"),
])
def test_nonsense_is_refused_naming_the_token(spec, message):
    with pytest.raises(ValueError) as error:
        summarize(spec)
    assert message in str(error.value)


# --------------------------------------------------------------------------------------------
# The rest of the pooling family: adaptive max pooling, power-average pooling, max unpooling
# --------------------------------------------------------------------------------------------

def recursion(rows):
    """The cheat sheet's receptive-field recursion, written out: a step of kernel k and
    stride s sees field + (k - 1) * jump cells and moves jump * s.  Each row of the table
    is one or more steps."""
    field, jump, table = Fraction(1), Fraction(1), []
    for steps in rows:
        for kernel, stride in steps:
            field, jump = field + (kernel - 1) * jump, jump * stride
        table.append((str(field), str(jump)))
    return table


def test_family_layers_follow_pytorchs_sizes_and_the_recursion():
    spec = "maxpool(2) maxunpool(2) lppool(2,k=3,s=2) adaptivemaxpool(5) adaptiveavgpool(1)"
    summary = summarize(spec, input_shape=(1, 16, 64, 64))
    sizes = [64 // 2]                                   # maxpool 2: 32
    sizes.append(oracles.max_unpool_output_size(sizes[-1], 2, 2, 0, 0))    # (32-1)*2 + 2 = 64
    sizes.append(oracles.pool_output_size(sizes[-1], 3, 2, 0, 0, 1, False))  # LPPool2d: 31
    sizes += [5, 1]
    assert [row.output_shape for row in summary.rows] == [(1, 16, n, n) for n in sizes]
    assert all(row.parameters == 0 for row in summary.rows)
    # adaptive 31 -> 5: windows floor(i*31/5) .. ceil((i+1)*31/5), moving 31/5 cells
    widest = max(adaptive_windows(31, 5))
    assert widest == 7                                  # [0, 7), [6, 13), ..., [24, 31)
    expected = recursion([
        [(2, 2)],
        [(1, Fraction(1, 2)), (2, 1)],    # unpooling: zero insertion, then a 2-wide window,
                                          # as a transposed convolution
        [(3, 2)],
        [(widest, Fraction(31, 5))],
        [(5, 5)],                         # 5 -> 1: the whole plane
    ])
    assert [(row.receptive_field, row.jump) for row in summary.rows] == expected


def test_max_unpool_takes_the_size_to_restore():
    # maxpool(3, s=2) maps 7 and 8 to 3; the default unpooling gives (3-1)*2 + 3 = 7
    summary = summarize("maxpool(3,s=2) maxunpool(3,s=2) ", input_shape=(1, 1, 8))
    assert summary.output_shape == (1, 1, 7)
    summary = summarize("maxpool(3,s=2) maxunpool(3,s=2,size=8)", input_shape=(1, 1, 8))
    assert summary.output_shape == (1, 1, 8)
    summary = summarize("max_unpool(kernel_size=2,output_size=5x3)", input_shape=(1, 1, 2, 1))
    assert summary.output_shape == (1, 1, 5, 3)        # 4 +- 1 and 2 +- 1 are legal


def test_lp_pool_takes_a_decimal_or_infinite_power_and_ceil_mode():
    summary = summarize("lppool(1.5,k=2,ceil=1) lp_pool(norm_type=inf,kernel_size=2)",
                        input_shape=(1, 1, 5))
    # ceil((5 - 2) / 2) + 1 = 3, then floor((3 - 2) / 2) + 1 = 1
    assert [row.output_shape for row in summary.rows] == [(1, 1, 3), (1, 1, 1)]


@pytest.mark.parametrize("spec, message", [
    ("lppool(0,k=2)", "'lppool(0,k=2)' on input (1, 3, 8, 8): norm_type=0 must be a non-zero"),
    ("lppool(2)", "'lppool(2)' needs k= (or it as argument 2)"),
    ("lppool(k=2)", "'lppool(k=2)' needs norm= (or it as argument 1)"),
    ("lppool(2,k=2,p=1)", "unknown option(s) p; this layer takes norm, k, s, ceil"),
    ("lppool(2,k=9)", "'lppool(2,k=9)' on input (1, 3, 8, 8): output size along spatial"),
    ("lppool(two,k=2)", "'two' is not a number"),
    ("maxunpool(2,size=100)", "output_size=(100, 100): spatial dimension 0 must be from 15 to"),
    ("maxunpool(2,size=4x4x4)", "output_size=(4, 4, 4) has 3 entries"),
    ("maxunpool(2,d=2)", "unknown option(s) d; this layer takes k, s, p, size"),
    ("maxunpool(s=2)", "needs k="),
    ("adaptivemaxpool(0)", "'adaptivemaxpool(0)': the output size must be one integer >= 1"),
    ("adaptivemaxpool(2x2x2)", "or 2 of them joined by x, one per spatial dimension"),
    ("conv(4,k=1.5)", "kernel_size=1.5 must be an int"),
])
def test_family_layers_refuse_nonsense_naming_the_token(spec, message):
    with pytest.raises(ValueError) as error:
        summarize(spec, input_shape=(1, 3, 8, 8))
    assert message in str(error.value)


def test_family_layers_need_spatial_dimensions():
    for token in ("lppool(2,k=2)", "maxunpool(2)", "adaptivemaxpool(1)"):
        with pytest.raises(ValueError, match=r"needs \(N, C, \*spatial\)"):
            summarize(f"flatten {token}", input_shape=(1, 3, 8, 8))


# --------------------------------------------------------------------------------------------
# Unfold and fold; a transposed convolution's output size
# --------------------------------------------------------------------------------------------

def test_unfold_and_fold_follow_pytorchs_shapes():
    summary = summarize("unfold(3,p=1) fold(32,k=3,p=1) unfold(kernel_size=2,stride=2)",
                        input_shape=(2, 3, 32, 32))
    # Unfold: (N, C * 3*3, L), L = (floor((32 + 2 - 2 - 1) / 1) + 1) ** 2 = 32 * 32; Fold
    # back to (N, 27 / 9, 32, 32); then 2x2 windows, stride 2: 16 * 16 of them, 3 * 4 rows
    assert [row.output_shape for row in summary.rows] == [
        (2, 27, 32 * 32), (2, 3, 32, 32), (2, 12, 16 * 16)]
    assert summary.total_parameters == 0
    # the columns have no spatial layout: as after flatten, no jump, and every cell may mix
    assert [(row.jump, row.receptive_field) for row in summary.rows] == [("-", "all")] * 3


def test_unfold_positional_arguments_are_pytorchs_order():
    # nn.Unfold(kernel_size, dilation, padding, stride): 2, 2, 1, 3 on a 9-cell signal:
    # floor((9 + 2 - 2*(2-1) - 1) / 3) + 1 = 3 windows
    summary = summarize("unfold(2,2,1,3)", input_shape=(1, 4, 9))
    assert summary.output_shape == (1, 4 * 2, 3)
    # nn.Fold(output_size, kernel_size, dilation, padding, stride) undoes it in shape
    summary = summarize("fold(9x9,2,2,1,3)", input_shape=(1, 4 * 4, 3 * 3))
    assert summary.output_shape == (1, 4, 9, 9)


def test_conv_transpose_takes_the_output_size_its_forward_may_ask_for():
    # (4 - 1)*2 - 2 + 3 = 7 with output_padding 0; PyTorch's output_size reaches 7 or 8
    for size, expected in (("7", (7, 7)), ("8", (8, 8)), ("8x7", (8, 7)),
                           ("1x2x8x8", (8, 8))):
        summary = summarize(f"convT(2,k=3,s=2,p=1,size={size})", input_shape=(1, 4, 4, 4))
        assert summary.output_shape == (1, 2, *expected)
        assert summary.rows[0].jump == "1/2"


@pytest.mark.parametrize("spec, message", [
    ("unfold(9)", "'unfold(9)' on input (1, 3, 8, 8): window positions along spatial "
                  "dimension 0 would be 0"),
    ("unfold()", "'unfold()' needs k= (or it as argument 1)"),
    ("unfold2d(3)", "'unfold2d(3)' (token 1): unfold takes no 1d/2d/3d"),
    ("unfold(3,size=2)", "unknown option(s) size; this layer takes k, d, p, s"),
    ("unfold(3) fold(8,k=2)", "which must be divisible by"),
    ("unfold(3) fold(7,k=3)", "input has L = 36 columns (its last axis), but output_size=(7, "
                              "7) holds 5 * 5 = 25"),
    ("fold(8,k=1)", "input shape (1, 3, 8, 8) must be (N, C * K, L)"),
    ("unfold(3) fold(k=3)", "'fold(k=3)' needs size= (or it as argument 1)"),
    ("convT(2,k=3,s=2,size=30)", "output_size=(30, 30): spatial dimension 0 must be from 17 "
                                 "to 18"),
    ("convT(2,k=3,s=2,op=1,size=17)", "output_padding=(1, 1) and output_size=(17, 17) disagree"),
    ("conv(2,k=3,size=6)", "unknown option(s) size"),
])
def test_unfold_fold_and_output_size_refuse_nonsense_naming_the_token(spec, message):
    with pytest.raises(ValueError) as error:
        summarize(spec, input_shape=(1, 3, 8, 8))
    assert message in str(error.value)


def test_unfold_needs_spatial_dimensions():
    with pytest.raises(ValueError, match=r"needs \(N, C, \*spatial\)"):
        summarize("flatten unfold(2)", input_shape=(1, 3, 8, 8))


@pytest.mark.parametrize("shape", [(1, 3, 8.9, 8.9), (1, 3, "8", "8"), (1, True, 8, 8)])
def test_an_input_size_that_is_not_an_int_is_refused_not_rounded(shape):
    # int(8.9) would summarise an 8x8 image: a wrong shape, with no word said
    with pytest.raises(TypeError, match=r"input_shape=.* must be a sequence of ints"):
        summarize("conv(4,k=3)", input_shape=shape)
