"""The ten genres of the evaluation set: template, number of documents, and the formats they are
drawn in (cycled through the genre's documents)."""

from __future__ import annotations

from bench.pii_eval.genres_forms import invoice, it_assets, medical_intake, roster, shipping_notice, wire_form
from bench.pii_eval.genres_prose import email, legal_letter, memo, minutes

GENRES = {
    "email": (email, 200, ["text", "text", "text", "pdf_text"]),
    "memo": (memo, 130, ["text", "text", "pdf_text"]),
    "invoice": (invoice, 190, ["text", "pdf_text", "csv", "xlsx"]),
    "hr_roster": (roster, 170, ["text", "pdf_text", "csv", "xlsx"]),
    "legal_letter": (legal_letter, 140, ["text", "text", "pdf_text"]),
    "bank_wire": (wire_form, 140, ["text", "pdf_text", "csv", "xlsx"]),
    "medical_intake": (medical_intake, 150, ["text", "pdf_text", "csv", "xlsx"]),
    "shipping_notice": (shipping_notice, 130, ["text", "pdf_text", "csv"]),
    "it_assets": (it_assets, 120, ["text", "pdf_text", "csv", "xlsx"]),
    "meeting_minutes": (minutes, 130, ["text", "text", "pdf_text"]),
}
