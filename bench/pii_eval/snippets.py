"""Inline phrases that carry one planted value or one look-alike, each in a named form.

Each `*_phrase(c, form=None)` returns a list of parts (see `doc.py`); the form is drawn from the
type's list when not given. The labels are the ones business documents use, not a detector's.
This file is long because it is the catalogue of forms; each function is a flat table of them.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

from bench.pii_eval import values as v
from bench.pii_eval.doc import PER, P

NBH, ENDASH = "\u2011", "\u2013"


@dataclass
class Ctx:
    r: random.Random
    fakers: dict
    locale: str = "en_US"
    used: set = field(default_factory=set)  # filler sentences already in this document

    @property
    def f(self):
        return self.fakers[self.locale]

    @property
    def us(self):
        return self.fakers["en_US"]

    def pick(self, options):
        return self.r.choice(options)

    def name(self) -> str:
        return self.f.name()

    def person(self):
        return PER(self.name())


# --- US SSN ---------------------------------------------------------------------------------

SSN_FORMS = [
    "dashed",
    "nb_hyphen",
    "en_dash",
    "bare_after_dotted_label",
    "bare_after_ssn_dots",
    "label_far",
    "spaced",
    "dotted",
    "label_after",
    "sentence",
    "bare_after_label",
    "taxpayer_label",
]


def ssn_phrase(c: Ctx, form: str | None = None) -> list:
    form = form or c.pick(SSN_FORMS)
    d = v.ssn_digits(c.r)
    dashed = v.ssn_written(d, "-")
    if form == "dashed":
        return [
            c.pick(["SSN: ", "SSN ", "SSN# ", "Social Security Number: ", "SS#: "]),
            P("US_SSN", form, dashed),
        ]
    if form == "nb_hyphen":
        label = c.pick(["SSN: ", "Social Security Number: ", "SSN "])
        return [label, P("US_SSN", form, v.ssn_written(d, NBH))]
    if form == "en_dash":
        label = c.pick(["SSN: ", "Social Security No.: ", "SSN "])
        return [label, P("US_SSN", form, v.ssn_written(d, ENDASH))]
    if form == "bare_after_dotted_label":
        label = c.pick(
            ["Social Security No. ", "Social Security No.: ", "Soc. Sec. No. ", "Soc. Sec. # ", "SSN No. "]
        )
        return [label, P("US_SSN", form, d)]
    if form == "bare_after_ssn_dots":
        return [c.pick(["S.S.N. ", "S.S.N.: ", "S.S. No. "]), P("US_SSN", form, d)]
    if form == "label_far":
        lead = c.pick(
            [
                "Social Security number, as shown on the W-4 the employee filed with payroll: ",
                "SSN of the claimant named in the caption above is ",
                "The employee's Social Security number, which appears on the enclosed W-2, is ",
                "SSN (per the signed authorization on file with Human Resources): ",
            ]
        )
        return [lead, P("US_SSN", form, c.pick([dashed, d]))]
    if form == "spaced":
        return [c.pick(["SSN: ", "SSN ", "Social Security #: "]), P("US_SSN", form, v.ssn_written(d, " "))]
    if form == "dotted":
        return [c.pick(["SSN: ", "SSN "]), P("US_SSN", form, v.ssn_written(d, "."))]
    if form == "label_after":
        tail = c.pick([" (SSN)", " (social security number)", " (Soc. Sec. No.)", " - SSN"])
        return [P("US_SSN", form, c.pick([dashed, d])), tail]
    if form == "sentence":
        return [
            c.pick(["whose Social Security number is ", "her social security number is ", "his SSN is "]),
            P("US_SSN", form, dashed),
        ]
    if form == "bare_after_label":
        return [c.pick(["SSN: ", "SSN ", "SSN#: "]), P("US_SSN", form, d)]
    if form == "taxpayer_label":
        return [
            c.pick(["Taxpayer ID (SSN): ", "TIN/SSN: ", "Taxpayer Identification Number (SSN): "]),
            P("US_SSN", form, c.pick([dashed, d])),
        ]
    raise ValueError(form)


def ssn_cell(c: Ctx, form: str) -> list:
    d = v.ssn_digits(c.r)
    if form == "table_column_bare":
        return [P("US_SSN", form, d)]
    if form == "table_column_dashed":
        return [P("US_SSN", form, v.ssn_written(d, "-"))]
    if form == "table_column_nb_hyphen":
        return [P("US_SSN", form, v.ssn_written(d, c.pick([NBH, ENDASH])))]
    raise ValueError(form)


# --- cards ----------------------------------------------------------------------------------

CARD_FORMS = [
    "spaced",
    "dashed",
    "compact",
    "amex_4_6_5",
    "amex_compact",
    "label_far",
    "label_after",
    "sentence",
]


def card_value(c: Ctx, form: str) -> tuple[str, str]:
    """(brand name, the number as written)."""
    if form.startswith("amex"):
        _, d = v.card_number(c.r, "amex")
        return "American Express", v.card_written(
            "amex", d, "" if form == "amex_compact" else c.pick([" ", "-"])
        )
    brand, d = v.card_number(
        c.r,
        None
        if form in ("label_far", "label_after", "sentence")
        else c.pick(["visa", "mastercard", "mastercard2", "discover"]),
    )
    sep = {"spaced": " ", "dashed": "-", "compact": ""}.get(form, c.pick([" ", "-", ""]))
    return v.BRAND_NAMES[brand], v.card_written(brand, d, sep)


def card_phrase(c: Ctx, form: str | None = None) -> list:
    form = form or c.pick(CARD_FORMS)
    brand, value = card_value(c, form)
    if form == "label_far":
        return [
            c.pick(
                [
                    "Please charge the balance to the corporate card we keep on file for this account: ",
                    "Card number (the one used for the March deposit, not the new one): ",
                ]
            ),
            P("CREDIT_CARD", form, value),
        ]
    if form == "label_after":
        return [
            P("CREDIT_CARD", form, value),
            c.pick([f" ({brand})", " (card on file)", " - credit card", f" - {brand}"]),
        ]
    if form == "sentence":
        return [
            c.pick(
                [
                    "the charge was made with card ",
                    f"paid with the {brand} ending in the number ",
                    "please refund to card ",
                ]
            ),
            P("CREDIT_CARD", form, value),
        ]
    label = c.pick(
        ["Card Number: ", "Card No. ", "Credit card: ", "CC#: ", f"{brand}: ", "Card: ", f"{brand} card "]
    )
    return [label, P("CREDIT_CARD", form, value)]


# --- IBAN -----------------------------------------------------------------------------------

IBAN_FORMS = ["grouped", "compact", "lowercase_grouped", "lowercase_compact", "label_after", "sentence"]

LOCALE_COUNTRY = {"de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "nl_NL": "NL", "it_IT": "IT", "en_GB": "GB"}


def iban_value(c: Ctx, form: str) -> str:
    loc = c.locale if c.locale in LOCALE_COUNTRY else c.pick(list(LOCALE_COUNTRY))
    compact = v.iban_compact(c.r, c.fakers[loc].iban())
    if form in ("grouped", "wire_table", "label_after") and c.r.random() < 0.8:
        value = v.iban_grouped(compact)
    elif form == "lowercase_grouped":
        value = v.iban_grouped(compact).lower()
    elif form == "lowercase_compact":
        value = compact.lower()
    elif form in ("grouped",):
        value = v.iban_grouped(compact)
    else:
        value = compact
    return value


def iban_phrase(c: Ctx, form: str | None = None) -> list:
    form = form or c.pick(IBAN_FORMS)
    value = iban_value(c, form)
    if form == "label_after":
        return [P("IBAN_CODE", form, value), c.pick([" (IBAN)", " (our IBAN)", " - IBAN"])]
    if form == "sentence":
        return ["please remit to account ", P("IBAN_CODE", form, value), " at our bank"]
    return [
        c.pick(["IBAN: ", "IBAN ", "IBAN No.: ", "Beneficiary IBAN: ", "Account (IBAN): "]),
        P("IBAN_CODE", form, value),
    ]


# --- email ----------------------------------------------------------------------------------


TITLE_WORDS = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "prof",
    "herr",
    "frau",
    "ing",
    "dipl",
    "mag",
    "sig",
    "dott",
    "univprof",
}


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def email_for(c: Ctx, name: str | None = None) -> str:
    words = [w for w in ascii_fold(name or "").replace(".", "").replace("-", " ").split() if w.isalpha()]
    words = [w for w in words if w.lower() not in TITLE_WORDS and not w.isupper()]
    if len(words) >= 2 and c.r.random() < 0.6:
        first, *rest = words
        last = rest[-1] if rest else "x"
        local = c.pick(
            [f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}", f"{first}{last[0]}"]
        ).lower()
        domain = c.pick([c.us.free_email_domain(), c.us.domain_name(), c.f.domain_name()])
        return f"{local}@{domain}"
    return c.pick([c.f.email(), c.f.company_email(), c.us.free_email()])


def email_form(c: Ctx) -> str:
    """How a form or letter writes a contact address: mostly after a label."""
    return c.r.choices(["label", "mailto", "parenthesized", "uppercase", "sentence"], [5, 1, 1, 1, 1])[0]


def email_phrase(c: Ctx, form: str | None = None, name: str | None = None) -> list:
    form = form or c.pick(["sentence", "parenthesized", "mailto", "label", "uppercase"])
    value = email_for(c, name)
    if form == "mailto":
        return ["mailto:", P("EMAIL_ADDRESS", form, value)]
    if form == "parenthesized":
        return ["(", P("EMAIL_ADDRESS", form, value), ")"]
    if form == "uppercase":
        return [c.pick(["EMAIL: ", "E-MAIL "]), P("EMAIL_ADDRESS", form, value.upper())]
    if form == "label":
        return [c.pick(["Email: ", "E-mail: ", "e: ", "Email address: "]), P("EMAIL_ADDRESS", form, value)]
    return [c.pick(["write to ", "reach me at ", "send it to ", "copy "]), P("EMAIL_ADDRESS", form, value)]


def header_address(c: Ctx, person=None, name_only: float = 0.0) -> list:
    """`Name <a@b.com>`, the bare address, or (as a printed mail often shows recipients) the name."""
    name = person.value if person else c.name()
    value = email_for(c, name)
    if c.r.random() < name_only:
        return [person or PER(name)]
    if c.r.random() < 0.75:
        quote = '"' if c.r.random() < 0.2 else ""
        return [quote, person or PER(name), quote, " <", P("EMAIL_ADDRESS", "header_name_angle", value), ">"]
    return [P("EMAIL_ADDRESS", "header_bare", value)]


# --- phone ----------------------------------------------------------------------------------

PHONE_FORMS = [
    "us_parens",
    "us_dotted",
    "us_dashed",
    "us_plus1",
    "ext_x",
    "ext_word",
    "ext_dot",
    "intl_00",
    "intl_011",
    "intl_plus",
    "local_foreign",
    "faker_us",
    "one_dashed",
    "us_spaced",
]


def phone_value(c: Ctx, form: str) -> str:
    r = c.r
    if form == "us_parens":
        return v.us_phone(r, c.pick(["parens", "parens", "parens_tight"]))
    if form == "us_dotted":
        return v.us_phone(r, "dotted")
    if form == "us_dashed":
        return v.us_phone(r, "dashed")
    if form == "us_plus1":
        return v.us_phone(r, c.pick(["plus1", "plus1_dashed", "plus1_parens"]))
    if form == "one_dashed":
        return v.us_phone(r, "one_dashed")
    if form == "us_spaced":
        return v.us_phone(r, "spaced")
    if form == "ext_x":
        return (
            v.us_phone(r, c.pick(["parens", "dashed", "dotted"]))
            + c.pick([" x", " x", "x", " X"])
            + str(r.randint(10, 9999))
        )
    if form == "ext_word":
        return (
            v.us_phone(r, c.pick(["parens", "dashed"]))
            + c.pick([" ext ", " Ext ", ", ext "])
            + str(r.randint(100, 9999))
        )
    if form == "ext_dot":
        return (
            v.us_phone(r, c.pick(["parens", "dashed", "dotted"]))
            + c.pick([" ext. ", " Ext. "])
            + str(r.randint(2, 999))
        )
    if form == "intl_00":
        return v.intl_phone(r, "00")
    if form == "intl_011":
        return v.intl_phone(r, "011")
    if form == "intl_plus":
        return v.intl_phone(r, c.pick(["plus", "plus", "plus_trunk"]))
    if form == "local_foreign":
        loc = (
            c.locale
            if c.locale in ("de_DE", "fr_FR", "es_ES", "it_IT", "en_GB")
            else c.pick(["de_DE", "fr_FR", "es_ES", "it_IT", "en_GB"])
        )
        return c.fakers[loc].phone_number()
    if form == "faker_us":
        for _ in range(20):
            value = v.us_faker_phone(c.us, r)
            if value:
                return value
        return v.us_phone(r, "dashed")
    raise ValueError(form)


PHONE_LABELS = [
    "Tel: ",
    "Tel. ",
    "Phone: ",
    "Ph: ",
    "T: ",
    "Direct: ",
    "Mobile: ",
    "Cell: ",
    "Office: ",
    "Fax: ",
]


def phone_phrase(c: Ctx, form: str | None = None) -> list:
    form = form or c.pick(PHONE_FORMS)
    value = phone_value(c, form)
    style = c.r.random()
    if style < 0.6:
        return [c.pick(PHONE_LABELS), P("PHONE_NUMBER", form, value)]
    if style < 0.8:
        return [
            c.pick(["call me at ", "please call ", "reach her on ", "the office line is "]),
            P("PHONE_NUMBER", form, value),
        ]
    return [
        P("PHONE_NUMBER", form, value),
        c.pick([" (mobile)", " (office)", " (cell)", " (fax)", " (home)"]),
    ]


# --- routing --------------------------------------------------------------------------------

ROUTING_FORMS = [
    "routing_no_dotted",
    "aba_no",
    "aba_hash",
    "rtn",
    "routing_number",
    "routing_transit",
    "label_after",
    "sentence",
    "aba_routing",
    "after_na_bank_line",
    "label_far",
]
NA_BANKS = [
    "JPMorgan Chase Bank, N.A.",
    "Wells Fargo Bank, N.A.",
    "Bank of America, N.A.",
    "Citibank, N.A.",
    "U.S. Bank N.A.",
    "PNC Bank, N.A.",
    "TD Bank, N.A.",
    "Citizens Bank, N.A.",
]


def routing_phrase(c: Ctx, form: str | None = None) -> list:
    form = form or c.pick(ROUTING_FORMS)
    value = v.routing_number(c.r)
    labels = {
        "routing_no_dotted": ["Routing No. ", "Routing No.: ", "Bank Routing No. "],
        "aba_no": ["ABA No. ", "ABA No.: ", "A.B.A. No. "],
        "aba_hash": ["ABA# ", "ABA #: ", "ABA#"],
        "rtn": ["RTN: ", "RTN ", "R/T No. "],
        "routing_number": ["Routing number: ", "Routing Number ", "Bank routing number: "],
        "routing_transit": ["Routing/Transit #: ", "Routing & Transit No. ", "Transit/Routing: "],
        "aba_routing": ["ABA Routing: ", "ABA routing number ", "ABA/Routing: ", "ABA: "],
    }
    if form == "label_after":
        return [P("US_BANK_ROUTING", form, value), c.pick([" (ABA)", " (routing)", " - routing no."])]
    if form == "sentence":
        return ["wire to routing number ", P("US_BANK_ROUTING", form, value)]
    if form == "label_far":
        return [
            c.pick(
                [
                    "Routing number of the receiving bank (see the voided check attached): ",
                    "ABA for the account that receives the deposit, as printed on the check: ",
                ]
            ),
            P("US_BANK_ROUTING", form, value),
        ]
    if form == "after_na_bank_line":
        return [
            c.pick(["Bank: ", "Paying bank: ", ""]),
            c.pick(NA_BANKS),
            c.pick([" ", ", ", " - "]),
            P("US_BANK_ROUTING", form, value),
        ]
    return [c.pick(labels[form]), P("US_BANK_ROUTING", form, value)]


# --- date of birth --------------------------------------------------------------------------

DOB_FORMS = [
    "dob_label_us",
    "label_after",
    "dob_dotted_label",
    "dd_mon_yyyy",
    "day_first_dotted",
    "born_on_sentence",
    "iso",
    "short_year",
    "day_month_name",
    "birthdate_label",
    "month_abbrev",
    "day_first_slash",
    "label_far",
]


def dob_value(c: Ctx, form: str):
    d = v.birth_date(c.r)
    if form in ("day_first_dotted", "day_first_slash"):
        d = d.replace(day=c.r.randint(13, 28))
    if form == "short_year":
        d = d.replace(year=c.r.randint(1935, 1999))
    style = {
        "dd_mon_yyyy": "dd_mon_yyyy",
        "day_first_dotted": "day_first_dotted",
        "day_first_slash": "day_first_slash",
        "born_on_sentence": c.pick(["month_name", "month_name", "us_slash"]),
        "iso": "iso",
        "short_year": "short_year",
        "day_month_name": "day_month_name",
        "month_abbrev": "month_abbrev",
    }.get(form, c.pick(["us_slash", "us_slash", "us_slash_nopad", "us_dashed"]))
    return v.date_written(d, style)


def dob_phrase(c: Ctx, form: str | None = None) -> list:
    form = form or c.pick(DOB_FORMS)
    value = dob_value(c, form)
    p = P("DATE_OF_BIRTH", form, value)
    if form == "label_after":
        return [p, c.pick([" (date of birth)", " (DOB)", " (birth date)", " (d.o.b.)"])]
    if form == "dob_dotted_label":
        return [c.pick(["D.O.B. ", "D.O.B.: ", "d.o.b. "]), p]
    if form == "born_on_sentence":
        return [c.pick(["born on ", "who was born ", "born "]), p]
    if form == "birthdate_label":
        return [c.pick(["Birthdate: ", "Birth date: ", "Born: "]), p]
    if form == "label_far":
        return [
            c.pick(
                [
                    "Date of birth (as shown on the driver's license presented at intake): ",
                    "DOB, per the enrollment form signed by the employee: ",
                    "date of birth, as written on the signed registration card: ",
                ]
            ),
            p,
        ]
    if form == "day_first_dotted":
        return [c.pick(["DOB: ", "Geburtsdatum: ", "Date of birth: ", "Date de naissance : "]), p]
    return [c.pick(["Date of Birth: ", "DOB: ", "DOB ", "Date of birth ", "Birth Date: "]), p]
