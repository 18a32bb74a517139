"""``npconv summary`` through its entry point; totals from the networks' published counts."""

from npconv.cli import main


def test_vgg16_by_name(capsys):
    assert main(["summary", "vgg16"]) == 0
    out = capsys.readouterr().out
    assert "total parameters: 138,357,544" in out       # torchvision's published count
    assert "output shape: (1, 1000)" in out


def test_alexnet_by_name(capsys):
    assert main(["summary", "alexnet"]) == 0
    assert "total parameters: 61,100,840" in capsys.readouterr().out


def test_an_inline_spec_of_two_convs_counts_their_parameters(capsys):
    spec = "input(1x3x32x32) conv(64,k=3,p=1) relu maxpool(2) conv(128,k=3,p=1)"
    assert main(["summary", spec]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["#", "layer", "output"]
    # (64*3*9 + 64) + (128*64*9 + 128) = 1,792 + 73,856
    assert f"total parameters: {64 * 3 * 9 + 64 + 128 * 64 * 9 + 128:,}" in out
    assert "output shape: (1, 128, 16, 16)" in out
    row = next(line for line in lines if line.startswith("3 "))
    assert row.split()[1:] == ["maxpool(2)", "(1,", "64,", "16,", "16)", "0", "2", "4"]


def test_spec_from_a_file_and_input_override(tmp_path, capsys):
    path = tmp_path / "net.txt"
    path.write_text("# LeNet-ish\nconv(6,k=5) tanh\navgpool(2)\n", encoding="utf-8")
    assert main(["summary", "--file", str(path), "--input", "1x1x32x32"]) == 0
    out = capsys.readouterr().out
    assert "(1, 6, 14, 14)" in out                       # 32 - 5 + 1 = 28, then / 2
    assert f"total parameters: {6 * 25 + 6}" in out


def test_dcgan_generator(capsys):
    assert main(["summary", "dcgan-generator"]) == 0
    out = capsys.readouterr().out
    for shape in ["(1, 1024, 4, 4)", "(1, 512, 8, 8)", "(1, 256, 16, 16)", "(1, 128, 32, 32)",
                  "(1, 3, 64, 64)"]:                       # Radford et al., figure 1
        assert shape in out


def test_list(capsys):
    assert main(["summary", "--list"]) == 0
    assert set(capsys.readouterr().out.split()) == {"vgg16", "alexnet", "lenet5",
                                                    "dcgan-generator", "dilated"}


def test_spec_and_file_together_is_an_error(tmp_path, capsys):
    path = tmp_path / "net.txt"
    path.write_text("relu", encoding="utf-8")
    assert main(["summary", "relu", "--file", str(path)]) == 2
    assert "either a spec" in capsys.readouterr().err


def test_an_unknown_network_name_lists_the_shipped_ones(capsys):
    from npconv.cli import main
    assert main(["summary", "resnet18"]) == 2
    err = capsys.readouterr().err
    assert "unknown layer 'resnet18'" in err
    assert "shipped networks: vgg16, alexnet, lenet5, dcgan-generator, dilated" in err


def test_the_pooling_family_in_a_spec(capsys):
    spec = ("input(1x64x56x56) maxpool(2) maxunpool(2,size=56) lppool(2,k=3,s=2) "
            "adaptivemaxpool(7) adaptiveavgpool(1) flatten linear(10)")
    assert main(["summary", spec]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[1]: line.split() for line in out.splitlines()
            if line[:1].isdigit()}
    # 56 -> 28 -> (28 - 1)*2 + 2 = 56 -> floor((56 - 3) / 2) + 1 = 27 -> 7 -> 1
    assert rows["maxunpool(2,size=56)"][2:6] == ["(1,", "64,", "56,", "56)"]
    assert rows["lppool(2,k=3,s=2)"][2:6] == ["(1,", "64,", "27,", "27)"]
    assert rows["adaptivemaxpool(7)"][2:6] == ["(1,", "64,", "7,", "7)"]
    assert f"total parameters: {64 * 10 + 10:,}" in out
