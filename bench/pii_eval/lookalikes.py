"""Look-alikes: identifiers and dates that are shaped like personal data but are not (invoice, PO,
SKU, part, account, tracking and case numbers, EINs, IMEI-like references, dates that are not
birth dates), each annotated as a negative with the type it could be mistaken for."""

from __future__ import annotations

from bench.pii_eval import values as v
from bench.pii_eval.doc import N
from bench.pii_eval.snippets import Ctx

# --- negatives ------------------------------------------------------------------------------


def nondob_date(c: Ctx, form: str, old: bool = False):
    d = v.recent_date(c.r, 1986, 2008) if old else v.recent_date(c.r)
    style = c.pick(
        ["us_slash", "us_slash", "iso", "month_name", "dd_mon_yyyy", "day_month_name", "us_slash_nopad"]
    )
    return N(form, "DATE_OF_BIRTH", v.date_written(d, style))


NEG_FORMS = [
    "invoice_number",
    "po_number",
    "sku",
    "part_number",
    "account_10",
    "order_number",
    "claim_number",
    "case_number",
    "isbn",
    "ein",
    "aba_valid_other_label",
    "luhn_reference_16",
    "customer_number_10",
    "zip_plus4",
    "masked_ssn",
    "npi",
    "conference_code",
    "serial_number",
    "policy_number",
    "member_id",
    "imei_inline",
    "masked_card",
]


def neg_phrase(c: Ctx, form: str | None = None) -> list:
    form = form or c.pick(NEG_FORMS)
    r = c.r
    if form == "invoice_number":
        value = c.pick([f"INV-{r.randint(2015, 2025)}-{r.randint(0, 999999):06d}", f"INV{v.digits(r, 9)}"])
        return [c.pick(["Invoice No. ", "Invoice #", "invoice "]), N(form, "PHONE_NUMBER", value)]
    if form == "po_number":
        value = c.pick([f"PO-{v.digits(r, 8)}", f"{v.digits(r, 10)}", f"4500{v.digits(r, 6, False)}"])
        return [
            c.pick(["PO# ", "P.O. No. ", "Purchase Order ", "PO Number: "]),
            N(form, "PHONE_NUMBER", value),
        ]
    if form == "sku":
        return [
            "SKU ",
            N(form, "PHONE_NUMBER", f"{v.digits(r, 3)}-{v.digits(r, 3, False)}-{v.digits(r, 4, False)}"),
        ]
    if form == "part_number":
        return [
            c.pick(["P/N ", "Part No. ", "PN: "]),
            N(form, "PHONE_NUMBER", f"{r.randint(10, 99)}-{v.digits(r, 4, False)}-{v.digits(r, 4, False)}"),
        ]
    if form == "account_10":
        return [
            c.pick(["Account No. ", "Acct # ", "Account number ", "A/C "]),
            N(form, "PHONE_NUMBER", v.digits(r, 10)),
        ]
    if form == "customer_number_10":
        return [
            c.pick(["Customer No. ", "Customer # ", "Cust. ID "]),
            N(form, "PHONE_NUMBER", v.digits(r, 10)),
        ]
    if form == "order_number":
        return [
            c.pick(["Order # ", "Order No. ", "order "]),
            N(form, "PHONE_NUMBER", c.pick([f"{v.digits(r, 3)}-{v.digits(r, 7, False)}", v.digits(r, 10)])),
        ]
    if form == "claim_number":
        return [
            c.pick(["Claim No. ", "Claim # ", "claim number "]),
            N(
                form,
                "US_SSN",
                c.pick(
                    [
                        f"{v.digits(r, 3)}-{v.digits(r, 2, False)}-{v.digits(r, 4, False)}",
                        f"CLM-{v.digits(r, 9)}",
                        v.digits(r, 9),
                    ]
                ),
            ),
        ]
    if form == "case_number":
        value = c.pick(
            [
                f"{r.randint(1, 9)}:{r.randint(15, 25)}-cv-{r.randint(100, 9999):05d}",
                f"{r.randint(2015, 2025)}-{v.digits(r, 6, False)}",
                f"{r.randint(15, 25)}-{v.digits(r, 3)}-{v.digits(r, 4, False)}",
            ]
        )
        return [
            c.pick(["Case No. ", "Civil Action No. ", "Docket No. ", "Index No. "]),
            N(form, "US_SSN", value),
        ]
    if form == "isbn":
        return ["ISBN ", N(form, "PHONE_NUMBER", v.isbn13(r))]
    if form == "ein":
        return [
            c.pick(["EIN: ", "Federal Tax ID: ", "FEIN ", "Employer ID No. "]),
            N(form, "US_SSN", v.ein(r)),
        ]
    if form == "aba_valid_other_label":
        label = c.pick(["Batch ID ", "Control No. ", "Voucher # ", "Lot "])
        return [label, N(form, "US_BANK_ROUTING", v.aba_valid_other(r))]
    if form == "luhn_reference_16":
        value = v.luhn_complete(c.pick(["4", "5", "6"]), 16, r)
        return [c.pick(["Reference: ", "Ref. ", "Transaction reference "]), N(form, "CREDIT_CARD", value)]
    if form == "zip_plus4":
        return [
            c.pick(["Remit to: ", "Ship to: ", "Mailing address: "]),
            c.us.street_address(),
            ", ",
            c.us.city(),
            ", ",
            c.us.state_abbr(),
            " ",
            N(form, "US_SSN", v.zip_plus4(r)),
        ]
    if form == "masked_ssn":
        return ["SSN: ", N(form, "US_SSN", c.pick(["XXX-XX-", "***-**-", "xxx-xx-"]) + v.digits(r, 4, False))]
    if form == "npi":
        return [c.pick(["NPI ", "NPI: ", "Provider NPI "]), N(form, "PHONE_NUMBER", v.npi(r))]
    if form == "conference_code":
        code = v.digits(r, 9)
        return [
            c.pick(["access code ", "Meeting ID: ", "passcode "]),
            N(form, "US_SSN", c.pick([code, f"{code[:3]} {code[3:6]} {code[6:]}"])),
        ]
    if form == "serial_number":
        return [
            c.pick(["S/N ", "Serial: "]),
            N(form, "PHONE_NUMBER", c.pick([v.digits(r, 10), f"{v.digits(r, 4)}-{v.digits(r, 6)}"])),
        ]
    if form == "policy_number":
        return [
            c.pick(["Policy No. ", "Policy # "]),
            N(form, "US_SSN", c.pick([v.digits(r, 9), f"{v.digits(r, 3)}-{v.digits(r, 6)}"])),
        ]
    if form == "member_id":
        return [
            c.pick(["Member ID ", "Subscriber ID: "]),
            N(form, "US_SSN", c.pick([v.digits(r, 9), f"W{v.digits(r, 9)}"])),
        ]
    if form == "masked_card":
        last4 = v.digits(r, 4, False)
        value = c.pick([f"XXXX-XXXX-XXXX-{last4}", f"**** **** **** {last4}", f"xxxxxxxxxxxx{last4}"])
        return [c.pick(["Card: ", "Card number ", "charged to card "]), N(form, "CREDIT_CARD", value)]
    if form == "imei_inline":
        value = v.imei(r)
        if r.random() < 0.3:
            value = f"{value[:2]}-{value[2:8]}-{value[8:14]}-{value[14]}"
        return [c.pick(["IMEI: ", "IMEI ", "device IMEI "]), N(form, "CREDIT_CARD", value)]
    raise ValueError(form)


def tracking_phrase(c: Ctx, form: str | None = None) -> list:
    form = form or c.pick(
        [
            "tracking_ups_spaced",
            "tracking_ups",
            "tracking_fedex_12",
            "tracking_fedex_15",
            "tracking_usps_spaced",
            "waybill",
        ]
    )
    r = c.r
    if form == "tracking_ups_spaced":
        return ["UPS Tracking: ", N(form, "PHONE_NUMBER", v.ups_tracking(r, True))]
    if form == "tracking_ups":
        return ["Tracking # ", N(form, "PHONE_NUMBER", v.ups_tracking(r, False))]
    if form == "tracking_fedex_12":
        value = v.digits(r, 12)
        return [
            "FedEx tracking ",
            N(form, "PHONE_NUMBER", c.pick([value, f"{value[:4]} {value[4:8]} {value[8:]}"])),
        ]
    if form == "tracking_fedex_15":
        return ["FedEx Ground tracking no. ", N(form, "CREDIT_CARD", v.digits(r, 15))]
    if form == "tracking_usps_spaced":
        return ["USPS Tracking: ", N(form, "CREDIT_CARD", v.usps_tracking(r))]
    if form == "waybill":
        value = c.pick(
            [
                v.digits(r, 10),
                f"{v.digits(r, 3)}-{v.digits(r, 8, False)}",
                f"{v.digits(r, 3)} {v.digits(r, 4, False)} {v.digits(r, 4, False)}",
            ]
        )
        return [
            c.pick(["Air Waybill ", "AWB ", "Waybill No. ", "Bill of Lading "]),
            N(form, "PHONE_NUMBER", value),
        ]
    raise ValueError(form)
