"""Prose genres: emails, memos, legal letters and meeting minutes, each a `Doc` of annotated parts.

Every value of the seven types a template writes is annotated (signatures and letterheads included);
every other number or date that could pass for one is annotated as a negative."""

from __future__ import annotations

from datetime import datetime, time

from bench.pii_eval import lookalikes as la
from bench.pii_eval import snippets as s
from bench.pii_eval import values as v
from bench.pii_eval.doc import PER, Doc, N, P
from bench.pii_eval.layout import (
    DOB_HEADERS,
    SSN_HEADERS,
    TITLES,
    address_lines,
    dob_column_form,
    filler,
    inline_pii,
    letterhead,
    person_name,
    sentence_with,
    signature,
)
from bench.pii_eval.snippets import Ctx

# --- emails ---------------------------------------------------------------------------------


def forwarded_table(d: Doc, c: Ctx) -> None:
    """A small table pasted into the mail body (new hires, beneficiaries)."""
    r = c.r
    d.line(c.pick(["Below are the details for the new hires:", "Here is what HR has on file:",
                   "Details for the dependents added this quarter:"]))  # fmt: skip
    style = c.pick(["us_slash", "iso", "dd_mon_yyyy", "short_year", "day_first_dotted"])
    ssn_form = c.pick(["table_column_bare", "table_column_dashed"])
    rows = []
    for _ in range(r.choice([1, 2, 3])):
        bd = v.birth_date(r)
        if style == "day_first_dotted":
            bd = bd.replace(day=r.randint(13, 28))
        rows.append(
            [
                PER(person_name(c)),
                s.ssn_cell(c, ssn_form),
                P("DATE_OF_BIRTH", dob_column_form(style), v.date_written(bd, style)),
                N("start_date", "DATE_OF_BIRTH", v.date_written(v.recent_date(r), style)),
            ]
        )
    d.table(["Name", c.pick(SSN_HEADERS), c.pick(DOB_HEADERS), c.pick(["Start Date", "Effective"])], rows)
    d.blank()


def email(c: Ctx, fmt: str) -> Doc:
    d = Doc()
    sender = PER(person_name(c))
    d.kv("From", *s.header_address(c, sender))
    recipient = PER(person_name(c))
    to = [s.header_address(c, recipient, name_only=0.5)]
    to += [s.header_address(c, name_only=0.5) for _ in range(c.r.choice([0, 0, 0, 1]))]
    comma = c.pick([", ", "; "])
    d.kv("To", *[p for k, addr in enumerate(to) for p in (([comma] if k else []) + addr)])
    if c.r.random() < 0.15:
        d.kv("Cc", *s.header_address(c, name_only=0.5))
    stamp = datetime.combine(
        v.recent_date(c.r), time(c.r.randint(6, 22), c.r.randint(0, 59), c.r.randint(0, 59))
    )
    d.kv(
        "Date",
        N(
            "email_header_date",
            "DATE_OF_BIRTH",
            stamp.strftime(
                c.pick(["%a, %d %b %Y %H:%M:%S -0500", "%A, %B %d, %Y %I:%M %p", "%m/%d/%Y %H:%M"])
            ),
        ),
    )
    subject = c.pick(
        [
            "Re: employee file update",
            "Payment details",
            "FW: onboarding paperwork",
            "Invoice question",
            "Updated contact info",
            "Wire instructions",
            "Claim follow-up",
            "RE: records request",
        ]
    )
    d.kv("Subject", subject)
    d.blank()
    first = recipient.value.split()[0]
    if first.rstrip(".").lower() in s.TITLE_WORDS or not first.isalpha():
        d.line(c.pick(["Hi all,", "Hello,", "Good morning,"]))
    else:
        d.line(c.pick(["Hi ", "Hello ", "Dear ", ""]), PER(first), ",")
    d.blank()
    if c.r.random() < 0.2:
        forwarded_table(d, c)
    for _ in range(c.r.choice([1, 1, 2])):
        d.line(filler(c, c.r.choice([1, 2])))
        d.line(
            *sentence_with(
                c,
                inline_pii(
                    c, {"ssn": 2, "card": 3, "iban": 3, "email": 0.3, "phone": 0.7, "routing": 2, "dob": 2}
                ),
            )
        )
        if c.r.random() < 0.7:
            d.line(*sentence_with(c, la.neg_phrase(c)))
    if c.r.random() < 0.5:
        d.line("Our meeting is set for ", la.nondob_date(c, "meeting_date"), ".")
    d.blank()
    signature(d, c, sender)
    if c.r.random() < 0.3:
        d.blank()
        quoted = PER(person_name(c))
        when = v.recent_date(c.r)
        d.line(
            "On ",
            N("email_header_date", "DATE_OF_BIRTH", when.strftime("%a, %b %d, %Y")),
            " at 10:42 AM ",
            quoted,
            " <",
            P("EMAIL_ADDRESS", "quoted_header", s.email_for(c, quoted.value)),
            "> wrote:",
        )
        d.line("> ", filler(c))
        d.line("> ", filler(c))
    return d


# --- memos ----------------------------------------------------------------------------------


def memo(c: Ctx, fmt: str) -> Doc:
    d = Doc()
    d.line("MEMORANDUM")
    d.blank()
    d.kv("TO", PER(person_name(c)), ", " + c.pick(TITLES))
    d.kv("FROM", PER(person_name(c)))
    d.kv("DATE", la.nondob_date(c, "memo_date"))
    d.kv(
        "RE",
        c.pick(
            ["Personnel file corrections", "Benefits enrollment", "Vendor payment change", "Records audit"]
        ),
    )
    d.blank()
    d.line(filler(c, 2))
    for _ in range(c.r.choice([1, 2, 2, 3])):
        emp = PER(person_name(c))
        opener, closer = c.pick([(", hired ", ", "), (" (start date ", "), "), (", employed since ", "; ")])
        parts = [
            c.pick(["Employee ", "Our records for ", "The file of "]),
            emp,
            opener,
            la.nondob_date(c, "hire_date", old=c.r.random() < 0.5),
            closer,
        ]
        parts += inline_pii(
            c, {"ssn": 3, "dob": 3, "phone": 1, "routing": 1, "email": 1, "iban": 1, "card": 1}
        )
        d.line(*parts, ".")
        if c.r.random() < 0.5:
            d.line(*sentence_with(c, la.neg_phrase(c)))
    closing = filler(c)
    d.line("Effective ", la.nondob_date(c, "effective_date"), ", " + closing[0].lower() + closing[1:])
    return d


# --- legal letters --------------------------------------------------------------------------


def legal_letter(c: Ctx, fmt: str) -> Doc:
    d = Doc()
    letterhead(d, c)
    d.line(la.nondob_date(c, "letter_date"))
    d.blank()
    d.line(c.pick(["VIA EMAIL AND FIRST-CLASS MAIL", "VIA FEDEX", "PRIVILEGED & CONFIDENTIAL"]))
    recipient = PER(person_name(c))
    d.line(recipient)
    for line in address_lines(c):
        d.line(line)
    d.blank()
    d.line("Re: ", *la.neg_phrase(c, "case_number"), "; ", *la.neg_phrase(c, "claim_number"))
    d.blank()
    d.line("Dear ", recipient, ":")
    client = PER(person_name(c))
    dob = s.dob_phrase(c)
    opener, closer = (
        c.pick([(" (", ")"), (", ", ","), (" (", "),")])
        if not (isinstance(dob[-1], str) and dob[-1].endswith(")"))
        else (", ", ",")
    )
    d.line("We represent ", client, opener, *dob, closer, " in the above matter. ", filler(c))
    d.line(
        "Enclosed please find the authorization signed by our client, ",
        *s.ssn_phrase(c),
        ", together with the records you requested.",
    )
    if c.r.random() < 0.5:
        relative = PER(person_name(c))
        d.line(
            "Our client's ",
            c.pick(["daughter", "son", "spouse", "mother"]),
            ", ",
            relative,
            ", was ",
            *s.dob_phrase(c, "born_on_sentence"),
            " and has resided at the address below since ",
            la.nondob_date(c, "residence_date", old=True),
            ".",
        )
    if c.r.random() < 0.5:
        d.line(
            "The incident occurred on ",
            la.nondob_date(c, "incident_date"),
            "; see ",
            *la.neg_phrase(c, "policy_number"),
            ".",
        )
    form = c.pick(s.PHONE_FORMS)
    contact = [P("PHONE_NUMBER", form, s.phone_value(c, form))]
    if c.r.random() < 0.4:
        contact += [" or by email at ", P("EMAIL_ADDRESS", "sentence", s.email_for(c))]
    d.line("Please direct all communication to the undersigned at ", *contact, ".")
    d.blank()
    d.line("Very truly yours,")
    d.line(PER(person_name(c)))
    return d


# --- meeting minutes --------------------------------------------------------------------------


def minutes(c: Ctx, fmt: str) -> Doc:
    d = Doc()
    r = c.r
    d.line(
        c.pick(
            ["Minutes of the Board Meeting", "Project Status Meeting - Minutes", "Benefits Committee Minutes"]
        )
    )
    d.kv("Date", la.nondob_date(c, "meeting_date"))
    if r.random() < 0.5:
        d.kv("Time", N("timestamp", "DATE_OF_BIRTH", f"{r.randint(8, 17)}:{c.pick(['00', '30', '15'])}"))
    dial = c.pick(["us_plus1", "us_dashed", "intl_plus", "one_dashed", "us_parens"])
    d.line(
        "Dial-in: ",
        P("PHONE_NUMBER", dial, s.phone_value(c, dial)),
        ", ",
        *la.neg_phrase(c, "conference_code"),
    )
    attendees = [PER(person_name(c)) for _ in range(r.choice([2, 3, 4]))]
    parts: list = ["Present: "]
    for k, a in enumerate(attendees):
        parts += ([", "] if k else []) + [a]
        if r.random() < 0.2:
            parts += [" (", P("EMAIL_ADDRESS", "attendee_list", s.email_for(c, a.value)), ")"]
    d.line(*parts)
    d.blank()
    for k in range(r.choice([1, 2, 3])):
        d.line(f"{k + 1}. ", filler(c))
        if r.random() < 0.4:
            d.line(
                "   ",
                *sentence_with(
                    c,
                    inline_pii(
                        c,
                        {
                            "ssn": 1,
                            "dob": 2,
                            "phone": 1,
                            "email": 0.5,
                            "card": 1.5,
                            "routing": 1.5,
                            "iban": 1,
                        },
                    ),
                ),
            )
        d.line(
            "   Action: ",
            PER(person_name(c)),
            " by ",
            la.nondob_date(c, "due_date"),
            ". ",
            *(la.neg_phrase(c) if r.random() < 0.5 else [filler(c)]),
        )
    d.line("Next meeting: ", la.nondob_date(c, "meeting_date"))
    return d
