"""Form and table genres: invoices / purchase orders / packing slips, HR rosters and payroll
registers, bank / wire / card forms, medical intake, shipping notices and IT asset lists.

Every value of the seven types a template writes is annotated; every other number or date that
could pass for one (IMEIs, SKUs, employee ids beside an SSN column, service dates beside a date of
birth...) is annotated as a negative. Long because it holds seven templates, each a flat sequence."""

from __future__ import annotations

from bench.pii_eval import lookalikes as la
from bench.pii_eval import snippets as s
from bench.pii_eval import values as v
from bench.pii_eval.doc import PER, Doc, N, P
from bench.pii_eval.layout import (
    DOB_HEADERS,
    SSN_HEADERS,
    address_lines,
    dob_column_form,
    filler,
    letterhead,
    payment_table,
    person_name,
)
from bench.pii_eval.snippets import Ctx

# --- invoices, purchase orders, packing slips ---------------------------------------------------


def invoice(c: Ctx, fmt: str) -> Doc:
    if c.locale == "en_US" and c.r.random() < 0.25:
        c.locale = c.pick(list(s.LOCALE_COUNTRY))  # a European supplier
    d = Doc()
    kind = c.pick(["INVOICE", "INVOICE", "PURCHASE ORDER", "PACKING SLIP"])
    letterhead(d, c)
    d.line(kind)
    r = c.r
    if kind == "INVOICE":
        d.kv(
            "Invoice No.",
            N("invoice_number", "PHONE_NUMBER", f"INV-{r.randint(2015, 2025)}-{r.randint(0, 999999):06d}"),
        )
        d.kv("Invoice Date", la.nondob_date(c, "invoice_date"))
        d.kv("Due Date", la.nondob_date(c, "due_date"))
    elif kind == "PURCHASE ORDER":
        d.kv("PO Number", N("po_number", "PHONE_NUMBER", c.pick([v.digits(r, 10), f"PO-{v.digits(r, 8)}"])))
        d.kv("Order Date", la.nondob_date(c, "order_date"))
    else:
        d.kv("Order No.", N("order_number", "PHONE_NUMBER", f"{v.digits(r, 3)}-{v.digits(r, 7, False)}"))
        d.kv("Ship Date", la.nondob_date(c, "ship_date"))
        d.line(*la.tracking_phrase(c))
    d.kv("Customer No.", N("customer_number_10", "PHONE_NUMBER", v.digits(r, 10)))
    d.blank()
    d.line("Bill To:")
    d.line(PER(person_name(c)))
    for line in address_lines(c):
        d.line(line)
    if r.random() < 0.4:
        d.line(*s.phone_phrase(c))
    if r.random() < 0.25:
        d.line(*s.email_phrase(c, s.email_form(c)))
    d.blank()
    header = ["Item", "SKU", "Part No.", "Description", "Qty", "Unit Price", "Amount"]
    rows = []
    for _ in range(r.choice([1, 1, 2, 3])):
        qty = r.randint(1, 40)
        price = r.randint(100, 99999) / 100
        rows.append(
            [
                str(r.randint(1, 99)),
                N("sku", "PHONE_NUMBER", f"{v.digits(r, 3)}-{v.digits(r, 3, False)}-{v.digits(r, 4, False)}"),
                N(
                    "part_number",
                    "PHONE_NUMBER",
                    f"{r.randint(10, 99)}-{v.digits(r, 4, False)}-{v.digits(r, 4, False)}",
                ),
                c.us.bs().capitalize()[:28],
                str(qty),
                f"{price:,.2f}",
                N("amount", "PHONE_NUMBER", f"{qty * price:,.2f}"),
            ]
        )
    d.table(header, rows)
    d.blank()
    if kind == "INVOICE" and c.locale != "en_US":
        # A European supplier's invoice: bank details are an IBAN and a BIC.
        local = {
            "de_DE": "Bankverbindung:",
            "fr_FR": "Coordonnées bancaires :",
            "es_ES": "Datos bancarios:",
            "it_IT": "Coordinate bancarie:",
            "nl_NL": "Bankgegevens:",
        }.get(c.locale, "Bank details:")
        d.line(c.pick([local, local, "Bank details:", "Please pay by bank transfer to:"]))
        d.line(
            *s.iban_phrase(c, c.pick(["grouped", "grouped", "compact", "lowercase_grouped", "label_after"]))
        )
        d.kv("BIC", c.f.swift(length=c.pick([8, 11])))
    elif kind == "INVOICE":
        d.line("Remit payment to:")
        form = c.pick(s.ROUTING_FORMS)
        if form != "after_na_bank_line":
            d.kv("Bank", c.pick(s.NA_BANKS))
        d.line(*s.routing_phrase(c, form))
        d.line(*la.neg_phrase(c, "account_10"))
        if r.random() < 0.2:
            d.line(*s.iban_phrase(c))
    if r.random() < 0.45:
        d.blank()
        payment_table(d, c)
    d.line(
        *la.neg_phrase(c, c.pick(["ein", "zip_plus4", "luhn_reference_16", "isbn", "aba_valid_other_label"]))
    )
    return d


def card_roster(c: Ctx) -> Doc:
    """Corporate cards issued to employees: the card number in a column under its header."""
    d = Doc()
    r = c.r
    d.line(
        c.f.company()
        + c.pick([" - Corporate Card Holders", " - P-Card Issuance Log", " - Travel Card Roster"])
    )
    d.line("As of ", la.nondob_date(c, "as_of_date"))
    d.blank()
    header = [
        "Employee",
        "Emp ID",
        "Dept.",
        c.pick(["Card Number", "Card No.", "Card #"]),
        "Exp.",
        "Monthly Limit",
    ]
    sep = c.pick([" ", "-", ""])
    rows = []
    for _ in range(r.choice([2, 3, 4])):
        brand, digits = v.card_number(r, c.pick(["visa", "mastercard", "mastercard2", "amex"]))
        rows.append(
            [
                PER(person_name(c)),
                N("employee_id", "US_SSN", v.nine_digits_not_ssn(r)),
                c.pick(["Finance", "Sales", "Ops", "Legal", "IT"]),
                P("CREDIT_CARD", "table_column", v.card_written(brand, digits, sep)),
                N("card_expiry", "DATE_OF_BIRTH", f"{r.randint(1, 12):02d}/{r.randint(25, 31)}"),
                f"${c.pick(['2,500', '5,000', '10,000', '1,000'])}",
            ]
        )
    d.table(header, rows)
    d.blank()
    d.line("Report lost cards immediately. ", filler(c))
    return d


def direct_deposit(c: Ctx) -> Doc:
    """An employee's direct deposit enrollment: identity and bank lines written as the employee or
    HR typed them."""
    d = Doc()
    r = c.r
    d.line(
        c.pick(
            [
                "DIRECT DEPOSIT AUTHORIZATION",
                "Direct Deposit Enrollment Form",
                "Payroll Deposit Change Request",
            ]
        )
    )
    d.kv("Employee Name", PER(person_name(c)))
    d.kv("Employee ID", N("employee_id", "US_SSN", c.pick([v.digits(r, 6), v.nine_digits_not_ssn(r)])))
    d.line(*s.ssn_phrase(c, c.pick([f for f in s.SSN_FORMS if f != "sentence"])))
    if r.random() < 0.5:
        d.line(*s.dob_phrase(c, c.pick([f for f in s.DOB_FORMS if f != "born_on_sentence"])))
    d.line(*s.phone_phrase(c))
    d.blank()
    d.line(c.pick(["Account 1 (primary)", "Deposit account", "Bank information"]))
    form = c.pick(s.ROUTING_FORMS)
    if form != "after_na_bank_line":
        d.kv("Bank Name", c.pick(s.NA_BANKS + ["Ally Bank", "Navy Federal Credit Union", "Fifth Third Bank"]))
    d.line(*s.routing_phrase(c, form))
    account = N("bank_account_next_to_routing", "US_BANK_ROUTING", v.digits(r, r.choice([8, 9, 10, 12])))
    d.kv(c.pick(["Account Number", "Account No.", "Acct #"]), account)
    d.kv("Account Type", c.pick(["Checking", "Savings"]))
    d.kv("Deposit", c.pick(["100% of net pay", "Remainder", "$500.00 per pay period"]))
    d.blank()
    d.line("Effective with the pay date of ", la.nondob_date(c, "effective_date"), ". ", filler(c))
    d.line("Employee signature ____________________  Date ", la.nondob_date(c, "signed_date"))
    return d


def roster(c: Ctx, fmt: str) -> Doc:
    r = c.r
    if r.random() < 0.2:
        return card_roster(c)
    if r.random() < 0.3:
        return direct_deposit(c)
    d = Doc()
    payroll = r.random() < 0.4
    d.line(c.f.company() + (" - Payroll Register" if payroll else " - Employee Roster"))
    d.line("Period ending ", la.nondob_date(c, "period_end_date"))
    d.blank()
    ssn_form = c.pick(
        ["table_column_bare", "table_column_bare", "table_column_dashed", "table_column_nb_hyphen"]
    )
    if payroll:
        header = ["Emp ID", "Employee", c.pick(SSN_HEADERS), "Bank", "Routing", "Account", "Net Pay"]
        rows = []
        for _ in range(r.choice([2, 2, 3])):
            bank = c.pick(
                [
                    "JPMorgan Chase Bank, N.A.",
                    "Wells Fargo Bank, N.A.",
                    "U.S. Bank N.A.",
                    "PNC Bank, N.A.",
                    "Citizens Bank, N.A.",
                    "Ally Bank",
                    "TD Bank, N.A.",
                ]
            )
            rform = "table_after_na_bank" if "N.A." in bank else "table_column"
            rows.append(
                [
                    N("employee_id_in_ssn_table", "US_SSN", v.nine_digits_not_ssn(r)),
                    PER(person_name(c)),
                    s.ssn_cell(c, ssn_form),
                    bank,
                    P("US_BANK_ROUTING", rform, v.routing_number(r)),
                    N("bank_account_next_to_routing", "US_BANK_ROUTING", v.digits(r, r.choice([9, 10, 12]))),
                    N("amount", "PHONE_NUMBER", f"{r.randint(80000, 990000) / 100:,.2f}"),
                ]
            )
        d.table(header, rows)
    else:
        cols = ["id", "name", "ssn", "dob", "hire"] + r.sample(
            ["phone", "email", "dept"], r.choice([0, 0, 1, 1, 2])
        )
        if r.random() < 0.25:
            cols.remove(c.pick(["ssn", "dob"]))
        names = {
            "id": c.pick(["Employee ID", "Emp #", "Badge"]),
            "name": "Name",
            "ssn": c.pick(SSN_HEADERS),
            "dob": c.pick(DOB_HEADERS),
            "hire": c.pick(["Hire Date", "Start Date", "Date Hired"]),
            "phone": c.pick(["Phone", "Home Phone", "Mobile"]),
            "email": "Email",
            "dept": "Dept.",
        }
        dob_style = c.pick(["us_slash", "us_slash", "iso", "dd_mon_yyyy", "day_first_dotted", "short_year"])
        phone_form = c.pick(s.PHONE_FORMS)
        rows = []
        for _ in range(r.choice([2, 2, 3])):
            name = PER(person_name(c))
            bd = v.birth_date(r)
            if dob_style == "day_first_dotted":
                bd = bd.replace(day=r.randint(13, 28))
            cells = {
                "id": N("employee_id_in_ssn_table", "US_SSN", v.nine_digits_not_ssn(r))
                if r.random() < 0.7
                else N("employee_id", "US_SSN", f"E{v.digits(r, 5)}"),
                "name": name,
                "ssn": s.ssn_cell(c, ssn_form),
                "dob": P("DATE_OF_BIRTH", dob_column_form(dob_style), v.date_written(bd, dob_style)),
                "hire": N(
                    "hire_date", "DATE_OF_BIRTH", v.date_written(v.recent_date(r, 1988, 2024), dob_style)
                ),
                "phone": P("PHONE_NUMBER", phone_form, s.phone_value(c, phone_form)),
                "email": P("EMAIL_ADDRESS", "table_cell", s.email_for(c, name.value)),
                "dept": c.pick(["Finance", "Legal", "Sales", "Ops", "IT", "HR"]),
            }
            rows.append([cells[k] for k in cols])
        d.table([names[k] for k in cols], rows)
    d.blank()
    d.line(
        "Prepared by ",
        PER(person_name(c)),
        " on ",
        la.nondob_date(c, "prepared_date"),
        ". Company ",
        *la.neg_phrase(c, "ein"),
    )
    return d


# --- bank and wire forms ---------------------------------------------------------------------


EU_BANKS = {
    "DE": "Deutsche Bank AG",
    "FR": "BNP Paribas",
    "ES": "Banco Santander, S.A.",
    "NL": "ING Bank N.V.",
    "IT": "Intesa Sanpaolo S.p.A.",
    "GB": "Barclays Bank PLC",
}


def card_authorization(c: Ctx) -> Doc:
    """A credit card authorization form: the card number in a labelled field, its expiry and CVV
    beside it."""
    d = Doc()
    r = c.r
    d.line(c.pick(["CREDIT CARD AUTHORIZATION FORM", "Recurring Payment Authorization", "Card Payment Form"]))
    d.kv_sep = c.pick([": ", ": ", ":\t", " ........ ", "   "])
    d.kv("Date", la.nondob_date(c, "signed_date"))
    holder = PER(person_name(c))
    d.kv("Cardholder Name", holder)
    form = c.pick(["spaced", "dashed", "compact", "amex_4_6_5", "amex_compact"])
    brand, value = s.card_value(c, form)
    d.kv("Card Type", brand)
    d.kv(
        c.pick(["Card Number", "Credit Card Number", "Card #", "Account Number"]),
        P("CREDIT_CARD", form, value),
    )
    d.kv("Expiration", N("card_expiry", "DATE_OF_BIRTH", f"{r.randint(1, 12):02d}/{r.randint(25, 31)}"))
    d.kv("CVV", N("cvv", "CREDIT_CARD", str(r.randint(100, 9999))))
    d.kv(
        "Billing Address",
        c.us.street_address() + ", " + c.us.city() + ", " + c.us.state_abbr() + " ",
        N("zip_plus4", "US_SSN", v.zip_plus4(r)),
    )
    form = c.pick(s.PHONE_FORMS)
    d.kv("Phone", P("PHONE_NUMBER", form, s.phone_value(c, form)))
    if r.random() < 0.6:
        d.kv("Email", P("EMAIL_ADDRESS", "label", s.email_for(c, holder.value)))
    d.kv("Amount", N("amount", "PHONE_NUMBER", f"${r.randint(1000, 500000) / 100:,.2f}"))
    d.blank()
    d.line("I authorize ", c.f.company(), " to charge the card above for the amount stated. ", filler(c))
    d.line("Signature: ______________________   Date: ", la.nondob_date(c, "signed_date"))
    return d


def wire_form(c: Ctx, fmt: str) -> Doc:
    r = c.r
    if r.random() < 0.3:
        return card_authorization(c)
    if c.locale == "en_US" and r.random() < 0.4:
        c.locale = c.pick(list(s.LOCALE_COUNTRY))  # an international wire to a European beneficiary
    d = Doc()
    d.line(
        c.pick(
            [
                "OUTGOING WIRE TRANSFER REQUEST",
                "ACH / Direct Deposit Authorization",
                "Payment Instructions",
                "Vendor Banking Information Form",
            ]
        )
    )
    d.kv_sep = c.pick([": ", ": ", ":\t", " ..... "])
    d.kv("Request Date", la.nondob_date(c, "request_date"))
    d.kv("Value Date", la.nondob_date(c, "value_date"))
    foreign = c.locale != "en_US"
    rows = [
        ["Beneficiary Name", PER(person_name(c))],
        ["Beneficiary Address", ", ".join(address_lines(c))],
    ]
    if r.random() < 0.6:
        rows.append(
            ["Beneficiary Phone", P("PHONE_NUMBER", pform := c.pick(s.PHONE_FORMS), s.phone_value(c, pform))]
        )
    if foreign:
        rows += [
            ["Beneficiary Bank", EU_BANKS[s.LOCALE_COUNTRY.get(c.locale, "GB")]],
            [
                "IBAN",
                P(
                    "IBAN_CODE",
                    "wire_table",
                    s.iban_value(c, c.pick(["grouped", "compact", "lowercase_grouped"])),
                ),
            ],
            ["SWIFT/BIC", c.f.swift(length=c.pick([8, 11]))],
        ]
        if r.random() < 0.5:
            rows.append(["Intermediary Bank ABA", P("US_BANK_ROUTING", "wire_table", v.routing_number(r))])
    else:
        bank = c.pick(["Bank of America, N.A.", "Wells Fargo Bank, N.A.", "Fifth Third Bank", "Truist Bank"])
        rows += [
            ["Bank Name", bank],
            [
                c.pick(["ABA Routing No.", "ABA No.", "Routing Number", "RTN", "ABA#"]),
                P("US_BANK_ROUTING", "wire_table", v.routing_number(r)),
            ],
            [
                c.pick(["Account Number", "Account No.", "Acct #"]),
                N("bank_account_next_to_routing", "US_BANK_ROUTING", v.digits(r, r.choice([8, 9, 10, 12]))),
            ],
        ]
    rows += [
        ["Amount", N("amount", "PHONE_NUMBER", f"${r.randint(1000, 9999999) / 100:,.2f}")],
        ["Reference", N("luhn_reference_16", "CREDIT_CARD", v.luhn_complete("4", 16, r))],
    ]
    if r.random() < 0.5:
        rows.append(["Contact Email", P("EMAIL_ADDRESS", "table_cell", s.email_for(c))])
    d.table(["Field", "Value"], rows)
    d.blank()
    if r.random() < 0.6:
        d.line(*s.routing_phrase(c), c.pick(["; ", "  "]), *la.neg_phrase(c, "account_10"))
    if r.random() < 0.4:
        d.line(*s.iban_phrase(c))
    if r.random() < 0.3:
        d.line(*la.neg_phrase(c, "aba_valid_other_label"))
    d.line("Authorized by ", PER(person_name(c)), *([", ", *s.phone_phrase(c)] if r.random() < 0.5 else []))
    return d


# --- medical intake --------------------------------------------------------------------------


def medical_intake(c: Ctx, fmt: str) -> Doc:
    d = Doc()
    r = c.r
    d.line(c.pick(["PATIENT INTAKE FORM", "New Patient Registration", "Patient Information Sheet"]))
    d.kv_sep = c.pick([": ", ": ", ":  ", ":\t"])
    d.kv("Patient Name", PER(person_name(c)))
    if r.random() < 0.25:
        # Form boxes: the label printed above the value the patient wrote in.
        bd = v.birth_date(r)
        d.kv(
            c.pick(["Date of Birth", "DOB", "Birth Date"]),
            P(
                "DATE_OF_BIRTH",
                "label_above",
                v.date_written(bd, c.pick(["us_slash", "us_slash_nopad", "iso"])),
            ),
            sep="\n",
        )
        d.kv(
            c.pick(["Social Security Number", "SSN", "Soc. Sec. No."]),
            P("US_SSN", "label_above", v.ssn_written(v.ssn_digits(r), c.pick(["-", "", " "]))),
            sep="\n",
        )
        d.kv("Date of Service", la.nondob_date(c, "service_date"), sep="\n")
    else:
        form = c.pick([f for f in s.DOB_FORMS if f != "born_on_sentence"])
        d.line(
            *s.dob_phrase(c, form),
            c.pick(["    Date of Service: ", "   Visit date: ", "  Today's Date: "]),
            la.nondob_date(c, "service_date"),
        )
        d.line(*s.ssn_phrase(c, c.pick([f for f in s.SSN_FORMS if f not in ("sentence", "label_far")])))
    d.line(*s.phone_phrase(c), *(["   ", *s.phone_phrase(c)] if r.random() < 0.2 else []))
    if r.random() < 0.35:
        d.line(*s.email_phrase(c, s.email_form(c)))
    d.line(
        *la.neg_phrase(c, "member_id"),
        "   Group ",
        N("group_number", "US_SSN", v.digits(r, r.choice([6, 7, 9]))),
    )
    d.line("Referring physician ", PER(person_name(c)), ", ", *la.neg_phrase(c, "npi"))
    d.line(*la.neg_phrase(c, "policy_number"))
    d.blank()
    if r.random() < 0.5:
        d.line("Emergency contact: ", PER(person_name(c)), ", ", *s.phone_phrase(c))
    d.blank()
    if r.random() < 0.3:
        payment_table(d, c)
        d.blank()
    if r.random() < 0.7:
        header = ["Patient", c.pick(DOB_HEADERS), "Date of Service", "CPT", "MRN", "Charge"]
        style = c.pick(["us_slash", "iso", "dd_mon_yyyy", "short_year", "day_first_slash"])
        rows = []
        for _ in range(r.choice([1, 1, 2])):
            bd = v.birth_date(r)
            if style == "day_first_slash":
                bd = bd.replace(day=r.randint(13, 28))
            rows.append(
                [
                    PER(person_name(c)),
                    P("DATE_OF_BIRTH", dob_column_form(style), v.date_written(bd, style)),
                    N("service_date", "DATE_OF_BIRTH", v.date_written(v.recent_date(r), style)),
                    c.pick(["99213", "99214", "80053", "36415"]),
                    N("mrn", "US_SSN", v.digits(r, c.pick([8, 9]))),
                    f"{r.randint(5000, 90000) / 100:.2f}",
                ]
            )
        d.table(header, rows)
    return d


# --- shipping notices -------------------------------------------------------------------------


def shipping_notice(c: Ctx, fmt: str) -> Doc:
    d = Doc()
    d.line(c.pick(["SHIPMENT NOTIFICATION", "Advance Ship Notice", "Delivery Confirmation"]))
    d.kv("Ship Date", la.nondob_date(c, "ship_date"))
    d.kv("Est. Delivery", la.nondob_date(c, "delivery_date"))
    d.line(*la.neg_phrase(c, "order_number"), "   ", *la.neg_phrase(c, "po_number"))
    d.blank()
    for role in ("Shipper", "Consignee"):
        d.line(role + ": ", PER(person_name(c)))
        d.line(
            c.us.street_address() + ", " + c.us.city() + ", " + c.us.state_abbr() + " ",
            N("zip_plus4", "US_SSN", v.zip_plus4(c.r)),
        )
        if c.r.random() < 0.6:
            d.line(*s.phone_phrase(c))
        if c.r.random() < 0.3:
            d.line(*s.email_phrase(c, s.email_form(c)))
    d.blank()
    rows = []
    for _ in range(c.r.choice([1, 1, 2])):
        tracking = la.tracking_phrase(c)[-1]
        carrier = {"ups": "UPS", "fed": "FedEx", "usp": "USPS"}.get(
            tracking.form[9:12], c.pick(["DHL", "Air"])
        )
        rows.append([carrier, tracking, f"{c.r.randint(1, 90)} lb"])
    d.table(["Carrier", "Tracking / Waybill", "Weight"], rows)
    d.line(*la.tracking_phrase(c, "waybill"))
    return d


# --- IT asset lists ---------------------------------------------------------------------------


def it_assets(c: Ctx, fmt: str) -> Doc:
    d = Doc()
    r = c.r
    d.line("IT Asset Inventory - " + c.f.company())
    d.line("Audit date ", la.nondob_date(c, "audit_date"))
    d.blank()
    header = [
        "Asset Tag",
        "Device",
        "Serial",
        "IMEI",
        "Assigned To",
        c.pick(["Mobile No.", "Phone", "Line"]),
        "Issued",
    ]
    with_phone = r.random() < 0.5
    if not with_phone:
        header.remove(header[5])
    rows = []
    for _ in range(r.choice([2, 3, 4])):
        im = v.imei(r)
        if r.random() < 0.2:
            im = f"{im[:2]}-{im[2:8]}-{im[8:14]}-{im[14]}"
            form = "imei_dashed"
        else:
            form = "imei"
        rows.append(
            [
                f"AT-{r.randint(1000, 99999)}",
                c.pick(["iPhone 13", "iPhone 14 Pro", "Galaxy S22", "Pixel 7", "iPad Air", "Galaxy Tab S8"]),
                N("serial_number", "PHONE_NUMBER", v.digits(r, 10))
                if r.random() < 0.4
                else "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(12)),
                N(form, "CREDIT_CARD", im),
                PER(person_name(c)),
                P(
                    "PHONE_NUMBER",
                    pform := c.pick(["us_dashed", "us_parens", "us_dotted", "intl_plus", "ext_x"]),
                    s.phone_value(c, pform),
                ),
                N("issue_date", "DATE_OF_BIRTH", v.date_written(v.recent_date(r), "us_slash")),
            ]
        )
        if not with_phone:
            rows[-1].pop(5)
    d.table(header, rows)
    d.blank()
    if r.random() < 0.4:
        clock = f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        synced = f"{v.date_written(v.recent_date(r), 'iso')} {clock}"
        d.line("Last MDM sync: ", N("timestamp", "DATE_OF_BIRTH", synced))
    if r.random() < 0.5:
        d.line("Questions: ", *s.email_phrase(c, "sentence"))
    return d
