"""The review work on a built demo case: what reviewers did to its exhibits.

CaseBuilder.build calls it between the exhibit rows and the depositions, always in that
order: the builder's random generator is shared, so the same seed gives the same rows."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from demo.case_builder import CaseBuilder, DemoExhibit


def add_review_work(case: CaseBuilder) -> None:
    """Relevancy, privilege, labels, folders, custom field values and annotations of every exhibit."""
    rng = case.rng
    case.privileged = set()
    for e in case.exhibits:
        if rng.random() < 0.7:
            note = rng.choice(
                (None, 'Key doc, see "pricing" thread', "Relevant; follow up,\nwith counsel", "Vérifié ✓")
            )
            case.add_row(
                "relevancy_logs",
                exhibit_id=e.id,
                user_id=rng.choice((1, 2, 3)),
                relevancy=rng.choice(("relevant", "not_relevant", "hot", "needs_review")),
                note=note,
                created_at=case.random_time(),
            )
        if e.parent_id is None and (rng.random() < 0.1 or e.id == getattr(case, "always_privileged", None)):
            case.privileged.add(e.id)
            case.add_row(
                "privilege_logs",
                exhibit_id=e.id,
                user_id=2,
                privilege_type=rng.choice(("attorney_client", "work_product")),
                basis="Communication with outside counsel",
                description=f"Legal advice regarding {e.title}",
                created_at=case.random_time(),
            )
        if rng.random() < 0.5:
            case.add_row("label_category_labels", label_category_id=3, exhibit_id=e.id)
        if e.id in case.privileged:
            case.add_row("label_category_labels", label_category_id=2, exhibit_id=e.id)
        if rng.random() < 0.1:
            case.add_row("label_category_labels", label_category_id=1, exhibit_id=e.id)
        if rng.random() < 0.4:
            case.add_row("folder_taggings", folder_tag_id=rng.randint(1, 4), exhibit_id=e.id)
        if rng.random() < 0.5:
            case.add_row(
                "custom_field_values",
                custom_field_id=1,
                exhibit_id=e.id,
                value=rng.choice(("Pricing", "Breach", "Damages")),
            )
            case.add_row(
                "custom_field_values", custom_field_id=2, exhibit_id=e.id, value=str(rng.randint(1, 10))
            )
            case.add_row(
                "custom_field_values",
                custom_field_id=3,
                exhibit_id=e.id,
                value=case.random_time().date().isoformat(),
            )
            case.add_row(
                "custom_field_values",
                custom_field_id=4,
                exhibit_id=e.id,
                value='Reviewed, "looks fine"\nsecond line — ok',
            )
        _annotations(case, e, every_kind=e is case.exhibits[0])


def _annotations(case: CaseBuilder, e: DemoExhibit, every_kind: bool = False) -> None:
    """Review markup; the first exhibit carries one of every kind so each case has them all."""
    rng = case.rng
    chance = (lambda p: True) if every_kind else (lambda p: rng.random() < p)
    for secret in e.secrets:
        case.add_row(
            "annotations",
            exhibit_id=e.id,
            page_number=secret.page_number,
            annotation_type="redaction",
            rect=json.dumps(list(secret.rect)),
            content="REDACTED - PII",
            image_key=None,
            parent_id=None,
            user_id=2,
            created_at=case.random_time(),
        )
    if chance(0.25):
        page = rng.randint(1, e.pages)
        case.add_row(
            "annotations",
            exhibit_id=e.id,
            page_number=page,
            annotation_type="highlight",
            rect=json.dumps([72, 600, 300, 614]),
            content=None,
            image_key=None,
            parent_id=None,
            user_id=1,
            created_at=case.random_time(),
        )
    if chance(0.15):
        case.add_row(
            "annotations",
            exhibit_id=e.id,
            page_number=1,
            annotation_type="note",
            rect=json.dumps([400, 700, 560, 760]),
            content="Check against the ledger",
            image_key=None,
            parent_id=None,
            user_id=3,
            created_at=case.random_time(),
        )
    if chance(0.08):
        case.add_row(
            "annotations",
            exhibit_id=e.id,
            page_number=1,
            annotation_type="sticker",
            rect=json.dumps([450, 40, 570, 80]),
            content=None,
            image_key=case.sticker_key,
            parent_id=None,
            user_id=1,
            created_at=case.random_time(),
        )
    if chance(0.1):
        root = case.add_row(
            "annotations",
            exhibit_id=e.id,
            page_number=1,
            annotation_type="comment",
            rect=json.dumps([72, 500, 92, 520]),
            content="Is this the signed version?",
            image_key=None,
            parent_id=None,
            user_id=1,
            created_at=case.random_time(),
        )
        case.add_row(
            "annotations",
            exhibit_id=e.id,
            page_number=1,
            annotation_type="comment",
            rect=json.dumps([72, 500, 92, 520]),
            content="Yes, signed 3/14.",
            image_key=None,
            parent_id=root,
            user_id=2,
            created_at=case.random_time(),
        )
