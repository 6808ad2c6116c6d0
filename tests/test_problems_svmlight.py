"""problems.load_svmlight on scikit-learn's parser (issue 11): the toolkit's checks and
messages (path:line) on top of ``sklearn.datasets.load_svmlight_file``."""
import numpy as np
import pytest

from theorytools.errors import TheorytoolsError
from theorytools.problems import load_svmlight


def _write(tmp_path, text, name="f.svm"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_format_details(tmp_path):
    text = "# header\r\n1 qid:3 1:2 3:0 # comment\r\n\r\n   \n-1 2:1.5e-3\n0 4:7"
    X, y = load_svmlight(_write(tmp_path, text))
    np.testing.assert_array_equal(X, [[2, 0, 0, 0], [0, 1.5e-3, 0, 0], [0, 0, 0, 7]])
    np.testing.assert_array_equal(y, [1, -1, 0])
    X, _ = load_svmlight(_write(tmp_path, "1 3:0\n"))           # explicit zero still sets d
    assert X.shape == (1, 3)


@pytest.mark.parametrize("line, message", [
    ("nan 1:1", "label must be finite"),
    ("1 1:1e400", "value of index 1 must be finite"),
    ("1 2:-inf", "value of index 2 must be finite"),
    ("1 1:1 qid:2", "qid"),
    ("1 1:", "value of index 1"),
])
def test_more_bad_lines_name_the_line(tmp_path, line, message):
    path = _write(tmp_path, "1 1:1\n\n# c\n" + line + "\n1 1:1\n")
    with pytest.raises(TheorytoolsError, match=message) as info:
        load_svmlight(path)
    assert "f.svm:4:" in str(info.value)


def test_the_bad_line_is_found_in_a_long_file(tmp_path):
    lines = [f"{(-1) ** i} {i % 5 + 1}:{i}" for i in range(2000)]
    lines[1234] = "1 3:1 2:1"
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(TheorytoolsError, match=r"f\.svm:1235: indices must increase strictly"):
        load_svmlight(path)
    lines[1234] = "1 3:1"
    X, y = load_svmlight(_write(tmp_path, "\n".join(lines) + "\n", "g.svm"))
    assert X.shape == (2000, 5) and X[1999, 1999 % 5] == 1999 and y[3] == -1
