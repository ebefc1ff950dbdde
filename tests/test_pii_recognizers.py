"""The personal data recognizers (domain/pii): each kind's own check, context, overlaps, masking."""

from __future__ import annotations

import random
import re

import pytest

from demo.pii_corpus import document
from domain.pii.recognizers import CARD, DOB, EMAIL, IBAN, PERSON, PHONE, ROUTING, SSN
from domain.pii.scan import Scanner, mask


def kinds(text: str, **scanner) -> list[tuple[str, str]]:
    return [(m.type, m.value) for m in Scanner(**scanner).matches(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSN 123-45-6789 on file", [(SSN, "123-45-6789")]),
        ("Her social security number is 123456789.", [(SSN, "123456789")]),
        ("Order 123456789 shipped.", []),  # nine bare digits without an SSN word
        ("SSN 000-12-3456, 666-12-3456, 912-12-3456, 123-00-4567, 123-45-0000", []),  # never issued
        ("The advertised 078-05-1120 is not anyone's.", []),
        ("Card 4111 1111 1111 1111 and 4111-1111-1111-1112.", [(CARD, "4111 1111 1111 1111")]),  # Luhn
        ("Amex 3782 822463 10005 charged", [(CARD, "3782 822463 10005")]),
        ("Mixed separators 4111 1111-1111 1111 are not one number", []),
        (
            "IBAN DE89 3704 0044 0532 0130 00 and DE89370400440532013001",
            [(IBAN, "DE89 3704 0044 0532 0130 00")],
        ),
        ("Pay GB82WEST12345698765432 today", [(IBAN, "GB82WEST12345698765432")]),
        ("ABA routing 021000021; account on file", [(ROUTING, "021000021")]),
        ("Reference 021000021 on the invoice", []),  # a valid ABA number, but nothing says it is one
        ("Write to jane.doe+law@mail.example.org now", [(EMAIL, "jane.doe+law@mail.example.org")]),
        ("Not an email: a..b@example.com or user@localhost", []),
        (
            "Call (212) 555-0143 or +44 20 7946 0958.",
            [(PHONE, "(212) 555-0143"), (PHONE, "+44 20 7946 0958")],
        ),
        ("Order reference 4111111111111112 is open.", []),  # 16 digits: not a phone, not a card
        ("Jane (born 03/14/1985) and DOB: March 3rd, 1990", [(DOB, "03/14/1985"), (DOB, "March 3rd, 1990")]),
        (
            "She was born in Ohio. The meeting on 04/01/2020 ran long.",
            [],
        ),  # the keyword is in another sentence
        ("Meeting on 2024-02-30 after birth of the plan", []),
    ],
)
def test_each_kind_is_found_only_when_its_check_passes(text, expected):
    assert kinds(text) == expected


def test_overlaps_keep_the_surer_finding_and_the_allowlist_removes_known_values():
    text = "Card 4111111111111111 and our switchboard (212) 555-0143, fax (212) 555-0199."
    assert kinds(text) == [(CARD, "4111111111111111"), (PHONE, "(212) 555-0143"), (PHONE, "(212) 555-0199")]
    assert kinds(text, allowlist=["212-555-0143", "4111 1111 1111 1111"]) == [(PHONE, "(212) 555-0199")]
    assert kinds(text, types=(CARD,)) == [(CARD, "4111111111111111")]
    with pytest.raises(ValueError, match="unknown personal data types"):
        Scanner(types=("HOROSCOPE",))


def test_person_names_come_from_a_named_entity_function_when_there_is_one():
    def ner(text):
        start = text.index("Maria Garcia")
        return [(start, start + len("Maria Garcia"), "PERSON"), (0, 4, "ORG")]

    text = "Acme hired Maria Garcia in May."
    assert kinds(text) == []  # no model installed: no names
    assert kinds(text, types=(PERSON,), ner=ner) == [(PERSON, "Maria Garcia")]


def test_findings_carry_page_span_and_never_the_clear_value():
    text = "Nothing here.\fEmployee SSN 123-45-6789, card 4111 1111 1111 1111, mail jane.doe@example.com"
    findings = list(Scanner().scan_document(42, text))
    assert [(f.type, f.document_id, f.page) for f in findings] == [
        (SSN, 42, 2),
        (CARD, 42, 2),
        (EMAIL, 42, 2),
    ]
    ssn = findings[0]
    assert text.split("\f")[1][ssn.start : ssn.end] == "123-45-6789"
    assert ssn.masked == "***-**-6789" and findings[1].masked == "**** **** **** 1111"
    assert findings[2].masked == "j***@example.com"
    for f in findings:
        clear = re.sub(r"\D", "", f.snippet)
        assert "123456789" not in clear and "41111111" not in clear and "jane.doe" not in f.snippet
    assert "123-45-6789" not in str(ssn.as_dict())  # nothing in a finding gives the value back


def test_a_finding_cut_by_the_snippet_window_is_hidden_entirely():
    text = "x" * 10 + " IBAN DE89 3704 0044 0532 0130 00 " + "y" * 25 + " SSN 123-45-6789"
    ssn = next(f for f in Scanner().scan_document(1, text) if f.type == SSN)
    assert (
        "0130" not in ssn.snippet and "3704" not in ssn.snippet
    )  # the IBAN's visible end is not its last digits
    assert mask(IBAN, "DE89370400440532013000") == "DE****************3000"


def test_recall_and_precision_on_planted_personal_data():
    """The generated corpus (demo/pii_corpus.py): every kind found (recall >= 0.98), few false alarms
    among invoice numbers, failed-Luhn references, meeting dates and ISBNs (precision >= 0.95)."""
    rng = random.Random(2026)
    found = missed = false = 0
    for number in range(40):
        text, planted = document(rng, 5, plants_per_page=0.8)
        findings = list(Scanner().scan_document(number, text))

        def same(f, p):
            return f.page == p.page and f.type == p.type and f.start < p.end and p.start < f.end

        found += sum(any(same(f, p) for f in findings) for p in planted)
        missed += sum(not any(same(f, p) for f in findings) for p in planted)
        false += sum(not any(same(f, p) for p in planted) for f in findings)
    assert found > 100
    assert found / (found + missed) >= 0.98
    assert found / (found + false) >= 0.95
