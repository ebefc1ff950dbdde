import pytest

from domain.errors import InvalidCaseId, InvalidKeyError
from domain.keys import case_key, case_prefix, relative_to_case, validate_case_id


def test_case_key_confines_to_prefix():
    assert case_prefix(101) == "case_101/"
    assert case_key(101, "documents/5/rendition.pdf") == "case_101/documents/5/rendition.pdf"
    assert case_key("7", "reports/x.csv") == "case_7/reports/x.csv"


@pytest.mark.parametrize(
    "hostile",
    [
        "../case_202/documents/1/rendition.pdf",
        "documents/../../case_202/x",
        "/etc/passwd",
        "",
        "a//b",
        "./a",
        "a/./b",
        "docs\\..\\x",
        "a\x00b",
        "a/\nb",
        "x" * 1000,
    ],
)
def test_escaping_keys_are_refused(hostile):
    with pytest.raises(InvalidKeyError):
        case_key(101, hostile)


def test_key_of_another_case_is_refused():
    assert relative_to_case(101, "case_101/documents/1/a.pdf") == "documents/1/a.pdf"
    with pytest.raises(InvalidKeyError):
        relative_to_case(101, "case_1010/documents/1/a.pdf")
    with pytest.raises(InvalidKeyError):
        relative_to_case(101, "case_202/documents/1/a.pdf")


@pytest.mark.parametrize("bad", [0, -3, "abc", "1.5", "12a", None, True, "١٢"])
def test_case_ids_must_be_positive_integers(bad):
    with pytest.raises(InvalidCaseId):
        validate_case_id(bad)
