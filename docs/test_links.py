"""The docs cannot drift from the code: every link, function and test they name exists.

The examples on the pages run as doctests; this file checks the rest of what a page
promises:

- every relative link leads to a file of the repository;
- a link whose text names a function (``[`loops.conv`](../npconv/loops.py)``) leads to a
  file that defines it;
- every test named in backticks (``test_...``) is defined in the tests/ file the same
  paragraph links to (or, if it links none, in some file under tests/);
- every picture a page shows is in docs/images/, small (< 200 KB), and drawn by
  ``make_pictures.py``; and every picture that script draws is shown somewhere.
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
PAGES = sorted(DOCS.glob("*.md"))
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
FUNCTION_TEXT = re.compile(r"^`(?:[a-z_0-9]+\.)+([a-z_0-9]+)`$")
TEST_NAME = re.compile(r"`(test_[a-z_0-9]+)`")
MAX_PICTURE_BYTES = 200_000


def links(page):
    """(is_image, text, target) for every relative link of a page."""
    for is_image, text, target in LINK.findall(page.read_text(encoding="utf-8")):
        if not re.match(r"^[a-z]+:", target) and not target.startswith("#"):
            yield bool(is_image), text, target.split("#")[0]


def defines(path, name):
    return re.search(rf"^\s*def {name}\(", path.read_text(encoding="utf-8"), re.M) is not None


def test_there_is_a_page_per_cheat_sheet_section():
    names = {page.stem for page in PAGES}
    assert {"convolution", "padding", "pooling", "output-size", "parameter-count",
            "dilation", "transposed-convolution", "backward", "conv-arithmetic",
            "README"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_links_lead_to_files_that_define_what_they_name(page):
    for _, text, target in links(page):
        path = (page.parent / target).resolve()
        assert path.exists(), f"{page.name}: link to {target} leads nowhere"
        function = FUNCTION_TEXT.match(text)
        if function and path.suffix == ".py" and not text.endswith('.py`'):
            assert defines(path, function.group(1)), (
                f"{page.name}: {target} defines no function {function.group(1)}")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_named_tests_exist_where_the_paragraph_points(page):
    for paragraph in re.split(r"\n\s*\n", page.read_text(encoding="utf-8")):
        names = TEST_NAME.findall(paragraph)
        if not names:
            continue
        linked = [(page.parent / target).resolve() for _, _, target in
                  LINK.findall(paragraph) if target.startswith("../tests/")]
        candidates = linked or sorted((REPO / "tests").glob("test_*.py"))
        candidates = [path for path in candidates if path.exists()]
        for name in names:
            assert any(defines(path, name) for path in candidates), (
                f"{page.name}: no test {name} in {[path.name for path in candidates]}")


def test_pictures_are_shown_small_and_drawn_by_the_script():
    import make_pictures                      # docs/ is on the path when pytest runs this

    drawn = {name for name, _, _ in make_pictures.PICTURES}
    shown = set()
    for page in PAGES:
        for is_image, _, target in links(page):
            if is_image:
                path = (page.parent / target).resolve()
                assert path.parent == make_pictures.IMAGES, f"{page.name}: {target}"
                assert path.name in drawn, f"{page.name}: {target} is not in PICTURES"
                assert path.stat().st_size < MAX_PICTURE_BYTES, f"{target} is too large"
                shown.add(path.name)
    assert drawn == shown, f"drawn but never shown: {sorted(drawn - shown)}"
