"""Pieces the genre templates share: names, filler prose, letterheads and signatures (with their
phones and emails annotated), inline sentences around a value, and card payment tables."""

from __future__ import annotations

from bench.pii_eval import snippets as s
from bench.pii_eval import values as v
from bench.pii_eval.doc import PER, Ann, Doc, N, P
from bench.pii_eval.snippets import Ctx

FILLER = [
    "Thank you for your patience while we worked through the open items.",
    "Please review the attached and let me know if anything needs to change before Friday.",
    "As discussed on the call, we will proceed on the terms below.",
    "The figures below reconcile with the ledger as of the last close.",
    "Let us know if you need anything further from our side.",
    "This supersedes the version circulated last week.",
    "We have updated the records accordingly and no further action is needed on your part.",
    "Kindly confirm receipt at your earliest convenience.",
    "Per our retention policy, the originals will be kept in the file room.",
    "I have copied the team so that everyone has the same information.",
    "The quarterly review is still on track, with two items carried over.",
    "Accounts payable will process the payment in the next cycle.",
    "Items 3 and 4 on the checklist were deferred to the next review.",
    "Section 2.1 of the services agreement still applies to these records.",
    "The scanned copies are in the shared drive under the 2019 folder.",
    "Two of the 14 files were returned for missing signatures.",
    "We expect to close this out within 30 days.",
    "Our auditors flagged the discrepancy during the Q3 walkthrough.",
    "The original documents were sent by courier this morning.",
    "Please do not forward this message outside the department.",
    "If any of the details below are out of date, reply with the corrections.",
    "Legal has asked that we keep a copy with the signed release.",
    "The vendor confirmed the change by phone on Tuesday.",
    "This information is confidential and intended only for the addressee.",
]

TITLES = [
    "Paralegal",
    "HR Generalist",
    "Controller",
    "Office Manager",
    "Senior Associate",
    "Accounts Payable Specialist",
    "Benefits Coordinator",
    "Operations Lead",
    "Claims Adjuster",
    "IT Administrator",
    "Partner",
]


def person_name(c: Ctx) -> str:
    if c.r.random() < 0.85:
        return f"{c.f.first_name()} {c.f.last_name()}"
    return c.f.name()


def filler(c: Ctx, n: int = 1) -> str:
    """Sentences not used yet in this document (a writer does not repeat a sentence)."""
    fresh = [line for line in FILLER if line not in c.used]
    chosen = c.r.sample(fresh if len(fresh) >= n else FILLER, n)
    c.used.update(chosen)
    return " ".join(chosen)


def address_lines(c: Ctx) -> list[str]:
    return c.f.address().split("\n")


def signature(d: Doc, c: Ctx, person=None) -> None:
    person = person or PER(person_name(c))
    d.line(c.pick(["Regards,", "Best regards,", "Thanks,", "Sincerely,", "Kind regards,"]))
    d.line(person)
    d.line(c.pick(TITLES) + (" | " if c.r.random() < 0.5 else ", ") + c.f.company())
    if c.r.random() < 0.5:
        for line in address_lines(c):
            d.line(line)
    for _ in range(c.r.choice([0, 1, 1, 1, 2])):
        form = c.pick(s.PHONE_FORMS)
        d.line(
            c.pick(["T: ", "Tel: ", "Direct: ", "M: ", "Mobile: ", "Fax: ", "Phone "]),
            P("PHONE_NUMBER", form, s.phone_value(c, form)),
        )
    if c.r.random() < 0.3:
        if c.r.random() < 0.5:
            d.line(P("EMAIL_ADDRESS", "signature", s.email_for(c, person.value)))
        else:
            d.line(*s.email_phrase(c, "label", person.value))


def letterhead(d: Doc, c: Ctx) -> None:
    d.line(c.f.company().upper())
    for line in address_lines(c):
        d.line(line)
    if c.r.random() < 0.3:
        d.line(c.pick(["www.", "https://www."]) + c.f.domain_name())
        d.blank()
        return
    phone = s.phone_value(c, form := c.pick(s.PHONE_FORMS))
    parts = [c.pick(["Tel ", "Phone: ", "T "]), P("PHONE_NUMBER", form, phone)]
    if c.r.random() < 0.25:
        fax = s.phone_value(c, fform := c.pick(["us_parens", "us_dashed", "us_dotted", "intl_plus"]))
        parts += [c.pick(["  |  Fax ", "   Fax: ", " · F "]), P("PHONE_NUMBER", fform, fax)]
    d.line(*parts)
    if c.r.random() < 0.35:
        d.line(*s.email_phrase(c, s.email_form(c)))
    d.blank()


def inline_pii(c: Ctx, weights: dict[str, float]) -> list:
    kind = c.r.choices(list(weights), list(weights.values()))[0]
    return {
        "ssn": s.ssn_phrase,
        "card": s.card_phrase,
        "iban": s.iban_phrase,
        "email": s.email_phrase,
        "phone": s.phone_phrase,
        "routing": s.routing_phrase,
        "dob": s.dob_phrase,
    }[kind](c)


def sentence_with(c: Ctx, parts: list, lead: str | None = None) -> list:
    if lead is None:
        who = PER(person_name(c))
        lead = c.pick(
            [
                ["For the record, "],
                ["As requested, "],
                ["Note: "],
                ["Please update the file for ", who, ": "],
                ["For ", who, ", "],
                [who, " - "],
                [""],
            ]
        )
    else:
        lead = [lead]
    more = filler(c)
    last = parts[-1].value if isinstance(parts[-1], Ann) else parts[-1]
    end = "" if last.endswith(".") else "."
    joined = more if more.startswith("I ") else more[0].lower() + more[1:]
    return [*lead, *parts, c.pick([end, end, "; " + joined, end + " " + more])]


# --- HR rosters and payroll ------------------------------------------------------------------

SSN_HEADERS = ["SSN", "Social Security No.", "Soc. Sec. #", "SS#", "Social Security Number", "S.S.N."]
DOB_HEADERS = ["Date of Birth", "DOB", "Birth Date", "D.O.B.", "Birthdate"]


def dob_column_form(style: str) -> str:
    """The column placement, with the written style where it is not month-first digits."""
    return {
        "day_first_dotted": "table_column_day_first",
        "day_first_slash": "table_column_day_first",
        "dd_mon_yyyy": "table_column_dd_mon_yyyy",
        "short_year": "table_column_short_year",
        "iso": "table_column_iso",
    }.get(style, "table_column")


def payment_table(d: Doc, c: Ctx) -> None:
    """A card payment authorization laid out as a table (cards with spaces, dashes or none)."""
    r = c.r
    header = [
        "Cardholder",
        "Card Type",
        c.pick(["Card Number", "Card No.", "Credit Card #"]),
        "Exp.",
        "Amount",
    ]
    rows = []
    for _ in range(r.choice([1, 1, 2])):
        brand, digits = v.card_number(r)
        value = v.card_written(brand, digits, c.pick([" ", "-", ""]))
        rows.append(
            [
                PER(person_name(c)),
                v.BRAND_NAMES[brand],
                P("CREDIT_CARD", "payment_table", value),
                N("card_expiry", "DATE_OF_BIRTH", f"{r.randint(1, 12):02d}/{r.randint(25, 31)}"),
                N("amount", "PHONE_NUMBER", f"${r.randint(1000, 500000) / 100:,.2f}"),
            ]
        )
    d.line(c.pick(["Payment Information", "CREDIT CARD AUTHORIZATION", "Card on file"]))
    d.table(header, rows)
