"""Value makers for the independent PII evaluation set: planted personal data of the seven types,
written in many forms, and the look-alike identifiers that are not personal data.

Every maker takes a `random.Random` and returns the exact string written into the document.
Checksummed values are made valid with python-stdnum (Luhn, mod-97, ABA); nothing here knows
how any recognizer works.
"""

from __future__ import annotations

import random
import string
from datetime import date, timedelta

from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.us import rtn

MONTHS = [
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

# Real NANP area codes (a document carries a number someone can dial).
AREA_CODES = [
    "201",
    "202",
    "212",
    "213",
    "214",
    "215",
    "216",
    "303",
    "305",
    "312",
    "313",
    "314",
    "404",
    "408",
    "410",
    "412",
    "415",
    "503",
    "512",
    "602",
    "610",
    "612",
    "617",
    "646",
    "702",
    "703",
    "713",
    "718",
    "720",
    "773",
    "804",
    "813",
    "818",
    "832",
    "860",
    "901",
    "908",
    "914",
    "917",
    "919",
    "949",
    "972",
]

# --- US SSN ---------------------------------------------------------------------------------


def ssn_digits(r: random.Random) -> str:
    """A structurally valid SSN: area not 000/666/9xx, group not 00, serial not 0000."""
    while True:
        area = r.randint(1, 899)
        if area != 666:
            break
    return f"{area:03d}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}"


def ssn_written(digits: str, sep: str) -> str:
    return f"{digits[:3]}{sep}{digits[3:5]}{sep}{digits[5:]}"


def nine_digits_not_ssn(r: random.Random) -> str:
    """A 9-digit number that an SSN check would still accept (the hard case for an employee id)."""
    return ssn_digits(r)


# --- payment cards --------------------------------------------------------------------------


def luhn_complete(prefix: str, length: int, r: random.Random) -> str:
    body = prefix + "".join(r.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def card_number(r: random.Random, brand: str | None = None) -> tuple[str, str]:
    """(brand, digits)."""
    brand = brand or r.choice(["visa", "visa", "mastercard", "mastercard2", "discover", "amex"])
    if brand == "visa":
        return brand, luhn_complete("4", 16, r)
    if brand == "mastercard":
        return brand, luhn_complete(str(r.randint(51, 55)), 16, r)
    if brand == "mastercard2":
        return brand, luhn_complete(str(r.randint(2221, 2720)), 16, r)
    if brand == "discover":
        return brand, luhn_complete(r.choice(["6011", "65", "644"]), 16, r)
    return "amex", luhn_complete(r.choice(["34", "37"]), 15, r)


def group(digits: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(digits[i : i + size])
        i += size
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(part for part in out if part)


def card_written(brand: str, digits: str, sep: str) -> str:
    if brand == "amex":
        return group(digits, [4, 6, 5], sep)
    return group(digits, [4, 4, 4, 4], sep)


BRAND_NAMES = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "mastercard2": "Mastercard",
    "discover": "Discover",
    "amex": "American Express",
}

# --- IBAN -----------------------------------------------------------------------------------

IBAN_LENGTHS = {"DE": 22, "FR": 27, "ES": 24, "NL": 18, "IT": 27, "GB": 22, "BE": 16, "AT": 20, "CH": 21}


def iban_compact(r: random.Random, fake_iban: str | None = None, country: str | None = None) -> str:
    """A mod-97-valid IBAN; Faker's locale IBAN when given (checked), else made here."""
    if fake_iban and std_iban.is_valid(fake_iban):
        return fake_iban
    country = country or r.choice(list(IBAN_LENGTHS))
    length = IBAN_LENGTHS[country]
    if country in ("GB", "NL"):
        bank = "".join(r.choice(string.ascii_uppercase) for _ in range(4))
        bban = bank + "".join(r.choice(string.digits) for _ in range(length - 8))
    else:
        bban = "".join(r.choice(string.digits) for _ in range(length - 4))
    check = std_iban.calc_check_digits(country + "00" + bban)
    value = country + check + bban
    assert std_iban.is_valid(value)
    return value


def iban_grouped(compact: str) -> str:
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


# --- ABA routing ----------------------------------------------------------------------------


def routing_number(r: random.Random) -> str:
    prefix = r.choice([r.randint(1, 12), r.randint(21, 32), r.randint(61, 72)])
    body = f"{prefix:02d}" + "".join(r.choice(string.digits) for _ in range(6))
    value = body + rtn.calc_check_digit(body)
    assert rtn.is_valid(value)
    return value


def aba_valid_other(r: random.Random) -> str:
    """A 9-digit number that passes the ABA checksum (used labelled as something else)."""
    return routing_number(r)


# --- phones ---------------------------------------------------------------------------------


def us_phone_parts(r: random.Random) -> tuple[str, str, str]:
    area = r.choice(AREA_CODES)
    if r.random() < 0.5:
        return area, "555", f"01{r.randint(0, 99):02d}"
    exchange = f"{r.randint(2, 9)}{r.randint(0, 9)}{r.randint(0, 9)}"
    if exchange[1:] == "11":
        exchange = exchange[0] + "21"
    return area, exchange, f"{r.randint(0, 9999):04d}"


def us_phone(r: random.Random, style: str) -> str:
    a, e, n = us_phone_parts(r)
    return {
        "parens": f"({a}) {e}-{n}",
        "parens_tight": f"({a}){e}-{n}",
        "dotted": f"{a}.{e}.{n}",
        "dashed": f"{a}-{e}-{n}",
        "plus1": f"+1 {a} {e} {n}",
        "plus1_dashed": f"+1-{a}-{e}-{n}",
        "plus1_parens": f"+1 ({a}) {e}-{n}",
        "one_dashed": f"1-{a}-{e}-{n}",
        "spaced": f"{a} {e} {n}",
    }[style]


# (country code, trunk-less national number groups) for international forms.
FOREIGN_NUMBERS = {
    "44": lambda r: f"20 7946 {r.randint(0, 999):04d}",
    "49": lambda r: f"30 {r.randint(100000, 9999999)}",
    "33": lambda r: f"1 {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)}",
    "31": lambda r: f"20 {r.randint(100, 999)} {r.randint(1000, 9999)}",
    "34": lambda r: f"91 {r.randint(100, 999)} {r.randint(10, 99)} {r.randint(10, 99)}",
    "39": lambda r: f"02 {r.randint(1000, 9999)} {r.randint(1000, 9999)}",
    "41": lambda r: f"44 {r.randint(200, 999)} {r.randint(10, 99)} {r.randint(10, 99)}",
}


def intl_phone(r: random.Random, prefix: str) -> str:
    cc = r.choice(list(FOREIGN_NUMBERS))
    national = FOREIGN_NUMBERS[cc](r)
    if prefix == "plus":
        return f"+{cc} {national}"
    if prefix == "plus_trunk":
        return f"+{cc} (0){national}"
    if prefix == "00":
        return f"00{cc} {national}" if r.random() < 0.3 else f"00 {cc} {national}"
    if prefix == "011":
        return f"011 {cc} {national}" if r.random() < 0.6 else f"011-{cc}-{national.replace(' ', '-')}"
    raise ValueError(prefix)


def us_faker_phone(fake, r: random.Random) -> str | None:
    """Faker's en_US phone number when it is dialable (area and exchange not starting 0/1)."""
    value = fake.phone_number()
    digits = "".join(c for c in value.split("x")[0] if c.isdigit())
    if digits.startswith("001"):
        digits = digits[3:]
    elif digits.startswith("1") and len(digits) == 11:
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    return value


# --- dates ----------------------------------------------------------------------------------


def birth_date(r: random.Random) -> date:
    return date(1930, 1, 1) + timedelta(days=r.randint(0, (date(2008, 12, 31) - date(1930, 1, 1)).days))


def recent_date(r: random.Random, start: int = 2014, end: int = 2025) -> date:
    return date(start, 1, 1) + timedelta(days=r.randint(0, (date(end, 12, 31) - date(start, 1, 1)).days))


def date_written(d: date, style: str) -> str:
    mon = MONTHS[d.month - 1]
    return {
        "us_slash": f"{d.month:02d}/{d.day:02d}/{d.year}",
        "us_slash_nopad": f"{d.month}/{d.day}/{d.year}",
        "short_year": f"{d.month}/{d.day}/{d.year % 100:02d}",
        "iso": d.isoformat(),
        "dd_mon_yyyy": f"{d.day:02d}-{mon[:3]}-{d.year}",
        "day_first_dotted": f"{d.day:02d}.{d.month:02d}.{d.year}",
        "day_first_slash": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "month_name": f"{mon} {d.day}, {d.year}",
        "month_abbrev": f"{mon[:3]}. {d.day}, {d.year}" if mon != "May" else f"May {d.day}, {d.year}",
        "day_month_name": f"{d.day} {mon} {d.year}",
        "us_dashed": f"{d.month:02d}-{d.day:02d}-{d.year}",
    }[style]


# --- look-alike identifiers (negatives) ------------------------------------------------------


def digits(r: random.Random, n: int, first_nonzero: bool = True) -> str:
    head = r.choice("123456789") if first_nonzero else r.choice(string.digits)
    return head + "".join(r.choice(string.digits) for _ in range(n - 1))


def imei(r: random.Random) -> str:
    tac = r.choice(["35", "35", "86", "01", "99"]) + digits(r, 6, False)
    return luhn_complete(tac, 15, r)


def ups_tracking(r: random.Random, spaced: bool) -> str:
    shipper = "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    service = f"{r.randint(1, 99):02d}"
    package = digits(r, 8, False)
    if spaced:
        return f"1Z {shipper[:3]} {shipper[3:]} {service} {package[:4]} {package[4:]}"
    return f"1Z{shipper}{service}{package}"


def usps_tracking(r: random.Random) -> str:
    value = r.choice(["9400", "9205", "9407", "9303"]) + digits(r, r.choice([16, 18]), False)
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def isbn13(r: random.Random) -> str:
    body = r.choice(["978", "979"]) + digits(r, 9, False)
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body))
    check = (10 - total % 10) % 10
    value = body + str(check)
    return f"{value[:3]}-{value[3]}-{value[4:8]}-{value[8:12]}-{value[12]}"


def ein(r: random.Random) -> str:
    prefix = r.choice(["12", "13", "20", "26", "27", "30", "36", "45", "46", "47", "52", "61", "81", "94"])
    return f"{prefix}-{digits(r, 7, False)}"


def npi(r: random.Random) -> str:
    body = "1" + digits(r, 8, False)
    check = luhn.calc_check_digit("80840" + body)
    return body + check


def zip_plus4(r: random.Random) -> str:
    return f"{r.randint(10001, 99950):05d}-{r.randint(1, 9999):04d}"
