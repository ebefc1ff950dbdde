"""Pages of business prose with personal data planted at known places, and look-alikes that are not.

Every planted value is real of its kind (an SSN the SSA could issue, a card and an IBAN with
correct check digits, a dialable US number); the distractors are the numbers documents are full of
(invoice and order numbers, 16 digits failing Luhn, dates of meetings, ISBNs, case numbers).
`Planted` records where each value is, so a scan can be scored: recall per kind, precision overall.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from stdnum import iban, luhn

FILLER = (
    "The parties met to discuss the schedule for production of documents responsive to the second request.",
    "Counsel agreed that the review would proceed in stages, with privileged material logged separately.",
    "Please find attached the revised draft of the agreement together with the exhibits referenced therein.",
    "The board approved the budget for the next fiscal year after a short discussion of the forecast.",
    "Shipment of the remaining units was delayed because the supplier could not confirm the delivery date.",
    "All invoices must be submitted through the vendor portal no later than the fifteenth of each month.",
)
FIRST = ("Maria", "James", "Aisha", "Chen", "Olga", "Pedro", "Fatima", "Liam", "Noor", "Ethan")
LAST = ("Garcia", "Smith", "Khan", "Wei", "Ivanova", "Santos", "Haddad", "Murphy", "Rahman", "Brown")
DOMAINS = ("example.com", "acme-corp.net", "mail.example.org", "lawfirm.co.uk")


@dataclass(frozen=True)
class Planted:
    page: int  # 1-based page of the document
    start: int
    end: int
    type: str
    value: str


def ssn(rng: random.Random) -> str:
    area = rng.choice([rng.randint(1, 665), rng.randint(667, 899)])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def card(rng: random.Random) -> str:
    prefix, size = rng.choice([("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16)])
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(size - len(prefix) - 1))
    digits = body + luhn.calc_check_digit(body)
    if size == 15:
        return f"{digits[:4]} {digits[4:10]} {digits[10:]}"
    sep = rng.choice([" ", "-", ""])
    return sep.join(digits[i : i + 4] for i in range(0, 16, 4))


def iban_code(rng: random.Random) -> str:
    country, bban = rng.choice(
        [
            ("DE", "".join(str(rng.randint(0, 9)) for _ in range(18))),
            ("GB", "NWBK" + "".join(str(rng.randint(0, 9)) for _ in range(14))),
            ("FR", "".join(str(rng.randint(0, 9)) for _ in range(23))),
            ("NL", "ABNA" + "".join(str(rng.randint(0, 9)) for _ in range(10))),
        ]
    )
    value = country + iban.calc_check_digits(country + "00" + bban) + bban
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.5 else value


def email(rng: random.Random) -> str:
    return f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"


def phone(rng: random.Random) -> str:
    area = rng.choice([212, 312, 415, 617, 202, 305, 713, 206])
    exchange, line = rng.randint(201, 989), rng.randint(1000, 9999)
    return rng.choice(
        [f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}", f"+1 {area} {exchange} {line}"]
    )


def birth_date(rng: random.Random) -> str:
    year, month, day = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
    months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    return rng.choice(
        [
            f"{month:02d}/{day:02d}/{year}",
            f"{year}-{month:02d}-{day:02d}",
            f"{months[month - 1]} {day}, {year}",
        ]
    )


TEMPLATES = {
    "US_SSN": ("Employee {name}, SSN {v}, was enrolled in the plan.", "Social Security number: {v}."),
    "CREDIT_CARD": ("The charge went to card {v} on the corporate account.", "Card number {v}, exp 09/27."),
    "IBAN_CODE": ("Wire the retainer to IBAN {v} by Friday.", "Beneficiary account {v} ({name})."),
    "EMAIL_ADDRESS": ("Forward the draft to {v} before the call.", "Contact: {name} <{v}>"),
    "PHONE_NUMBER": ("Call {name} at {v} about the deposition.", "Tel. {v}"),
    "DATE_OF_BIRTH": ("{name} (born {v}) joined the company in 2011.", "Date of birth: {v}"),
}
MAKERS = {
    "US_SSN": ssn,
    "CREDIT_CARD": card,
    "IBAN_CODE": iban_code,
    "EMAIL_ADDRESS": email,
    "PHONE_NUMBER": phone,
    "DATE_OF_BIRTH": birth_date,
}


def distractor(rng: random.Random) -> str:
    digits = "".join(str(rng.randint(0, 9)) for _ in range(15))
    bad_card = digits + str((int(luhn.calc_check_digit(digits)) + 1) % 10)
    return rng.choice(
        [
            f"Invoice {rng.randint(10**8, 10**9 - 1)} was paid on "
            f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2023.",
            f"Order reference {bad_card} is still open.",
            f"See case no. {rng.randint(1, 9)}:{rng.randint(10, 24)}-cv-{rng.randint(1000, 9999)} "
            "for the docket.",
            f"ISBN 978-{rng.randint(0, 9)}-{rng.randint(100, 999)}-"
            f"{rng.randint(10000, 99999)}-{rng.randint(0, 9)} was cited.",
            f"The meeting on {rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/2024 ran long.",
            f"Version {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)} "
            "of the software was deployed.",
            f"Bates range ACME{rng.randint(1, 99999):07d} to ACME{rng.randint(100000, 999999):07d}.",
            f"Account summary: balance 1,{rng.randint(100, 999)},{rng.randint(100, 999)}.00 USD.",
        ]
    )


def page_text(rng: random.Random, page: int, plants_per_page: float) -> tuple[str, list[Planted]]:
    """One page: filler sentences, distractors, and on average `plants_per_page` planted values."""
    parts: list[str] = []
    planted: list[Planted] = []
    at = 0
    sentences = rng.randint(8, 14)
    plants = sum(1 for _ in range(4) if rng.random() < plants_per_page / 4)
    slots = set(rng.sample(range(sentences), min(plants, sentences)))
    for i in range(sentences):
        if i in slots:
            kind = rng.choice(list(TEMPLATES))
            value = MAKERS[kind](rng)
            template = rng.choice(TEMPLATES[kind])
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            before = template.split("{v}")[0].replace("{name}", name)
            sentence = template.replace("{name}", name).replace("{v}", value)
            start = at + len(before)
            planted.append(Planted(page, start, start + len(value), kind, value))
        elif rng.random() < 0.3:
            sentence = distractor(rng)
        else:
            sentence = rng.choice(FILLER)
        parts.append(sentence)
        at += len(sentence) + 1
    return " ".join(parts), planted


def document(rng: random.Random, pages: int, plants_per_page: float = 0.5) -> tuple[str, list[Planted]]:
    """A document's text (pages joined by form feeds, as productions write TEXT/) and what it hides."""
    texts, planted = [], []
    for page in range(1, pages + 1):
        text, found = page_text(rng, page, plants_per_page)
        texts.append(text)
        planted += found
    return "\f".join(texts), planted
