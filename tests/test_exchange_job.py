"""exchange_job end to end on a real Dagster instance: real Spark (a Pipes subprocess), real PDFs,
real tesseract, SQLite + local store and MariaDB + S3 (moto server)."""

from __future__ import annotations

import json

import dagster as dg
import pypdf
import pytest
from sqlalchemy import func, select, text

from domain import schema
from domain.exchanges.request import exchange_run_config
from domain.productions.leaks import tokens
from imaging.engine import LocalDocumentEngine
from resources.dagster_resources import DatabaseResource, build_resources
from resources.databases import Databases
from resources.event_bus import LocalEventBus
from resources.object_store import CaseStore, build_object_store
from resources.search_index import build_search_index

SOURCE, DEST = 101, 202


def run(settings, instance, body: dict):
    from jobs.exchanges import exchange_job
    from nextpoint_assets.exchanges.assets import EXCHANGE_ASSETS
    from nextpoint_assets.exchanges.pii import exchange_pii_gate, exchange_pii_scan

    key = f"{body['destination_case_id']}-{body['source_case_id']}-{body['batch_id']}"
    instance.add_dynamic_partitions("exchanges", [key])
    defs = dg.Definitions(
        assets=[*EXCHANGE_ASSETS, exchange_pii_scan],
        asset_checks=[exchange_pii_gate],
        jobs=[exchange_job],
        resources=build_resources(settings),
    )
    return defs.resolve_job_def("exchange_job").execute_in_process(
        instance=instance, partition_key=key, run_config=exchange_run_config(body), raise_on_error=False
    )


def body(**fields) -> dict:
    base = {
        "event_type": "EXCHANGE_REQUESTED",
        "event_id": "e-1",
        "case_id": DEST,
        "occurred_at": "2026-11-24T10:00:00Z",
        "source_case_id": SOURCE,
        "destination_case_id": DEST,
        "batch_id": 9001,
        "include_natives": True,
        "requires_annotations": True,
        "annotations": {
            "redactionsAs": "brand_in",
            "highlightsAs": "layer",
            "notesAs": "layer",
            "stickersAs": "layer",
            "batesAs": "brand_in",
            "confidentialityCodesAs": "layer",
        },
    }
    return {**base, **fields}


def counts(dbs: Databases, case_id: int) -> dict[str, int]:
    with dbs.case_reader(case_id).connect() as conn:
        return {
            t: conn.execute(select(func.count()).select_from(schema.case_metadata.tables[t])).scalar()
            for t in (
                "documents",
                "exhibits",
                "document_variants",
                "annotations",
                "custodian_exhibits",
                "label_category_labels",
                "custom_field_values",
                "folder_taggings",
                "label_categories",
                "folder_tags",
                "confidentiality_codes",
            )
        }


def events(settings, event_type: str) -> list[dict]:
    return [e for e in LocalEventBus(settings.events_file).read_all() if e["event_type"] == event_type]


def redacted_exhibits(dbs: Databases) -> list[tuple[int, int, list]]:
    with dbs.case_reader(SOURCE).connect() as conn:
        rows = conn.execute(
            select(
                schema.annotations.c.exhibit_id, schema.annotations.c.page_number, schema.annotations.c.rect
            ).where(schema.annotations.c.annotation_type == "redaction")
        ).all()
    return [(e, p, json.loads(r)) for e, p, r in rows]


def hidden_words(dbs: Databases, store: CaseStore, exhibit_ids: list[int], tmp_path) -> set[str]:
    """What the source's redactions hide, read from the source PDFs."""
    engine = LocalDocumentEngine()
    words: set[str] = set()
    with dbs.case_reader(SOURCE).connect() as conn:
        for exhibit_id, page, rect in redacted_exhibits(dbs):
            if exhibit_id not in exhibit_ids:
                continue
            doc = conn.execute(
                select(schema.exhibits.c.document_id).where(schema.exhibits.c.id == exhibit_id)
            ).scalar()
            pdf = store.download(f"documents/{doc}/rendition.pdf", tmp_path / f"{doc}.pdf")
            words |= set(tokens(engine.text_in_rect(pdf, page - 1, tuple(rect))))
    return words


def test_exchange_copies_brands_indexes_and_is_a_no_op_the_second_time(demo_home, settings, tmp_path):
    dbs = DatabaseResource.from_settings(settings).databases()
    source_store = CaseStore(build_object_store(settings), SOURCE)
    redacted = sorted({e for e, _, _ in redacted_exhibits(dbs)})
    with dbs.case_reader(SOURCE).connect() as conn:
        chosen = sorted(
            conn.execute(select(schema.exhibits.c.id).order_by(schema.exhibits.c.id).limit(8)).scalars()
        )
    chosen = sorted(set(chosen) | set(redacted[:2]))
    hidden = hidden_words(dbs, source_store, chosen, tmp_path)
    assert hidden, "the demo plants text under its redactions"
    # One rendition vanished from the source: reported by name, the rest goes on.
    with dbs.case_reader(SOURCE).connect() as conn:
        lost_doc = conn.execute(
            select(schema.exhibits.c.document_id).where(schema.exhibits.c.id == chosen[1])
        ).scalar()
    source_store.delete(f"documents/{lost_doc}/rendition.pdf")
    before = counts(dbs, DEST)

    with dg.instance_for_test() as instance:
        result = run(settings, instance, body(exhibit_ids=chosen))
        assert result.success, result.all_events
        after = counts(dbs, DEST)
        assert after["exhibits"] - before["exhibits"] == len(chosen)
        # The second delivery of the same request changes nothing.
        again = run(settings, instance, body(exhibit_ids=chosen, event_id="e-2"))
        assert again.success
        assert counts(dbs, DEST) == after
        [done] = again.asset_materializations_for_node("exchange_request")
        assert done.metadata["already_done"].value is True

    # Database: new ids, number = source id, bits remapped by code name, properties cleared, families kept.
    with dbs.case_reader(SOURCE).connect() as s, dbs.case_reader(DEST).connect() as d:
        src = {r.id: r for r in s.execute(select(schema.exhibits).where(schema.exhibits.c.id.in_(chosen)))}
        copies = {
            r.number: r
            for r in d.execute(select(schema.exhibits).where(schema.exhibits.c.number.in_(chosen)))
        }
        src_codes = {r.bit: r.code for r in s.execute(select(schema.confidentiality_codes))}
        dst_bits = {r.code: r.bit for r in d.execute(select(schema.confidentiality_codes))}
        assert sorted(copies) == chosen
        for source_id, copy in copies.items():
            original = src[source_id]
            expected = sum(
                dst_bits[code] for bit, code in src_codes.items() if original.confidentiality_status & bit
            )
            assert copy.confidentiality_status == expected
            assert copy.title == original.title and copy.created_at == original.created_at
            if original.parent_exhibit_id in copies:
                assert copy.parent_exhibit_id == copies[original.parent_exhibit_id].id
            props = d.execute(
                select(schema.documents.c.document_properties).where(
                    schema.documents.c.id == copy.document_id
                )
            ).scalar()
            assert props is None
        # Child rows point at the copies; labels deduplicated by name.
        labels_src = s.execute(
            text(
                "SELECT l.exhibit_id, c.name FROM label_category_labels l JOIN label_categories c "
                "ON c.id = l.label_category_id WHERE l.exhibit_id IN (" + ",".join(map(str, chosen)) + ")"
            )
        ).all()
        labels_dst = d.execute(
            text(
                "SELECT e.number, c.name FROM label_category_labels l JOIN label_categories c ON c.id = "
                "l.label_category_id JOIN exhibits e ON e.id = l.exhibit_id WHERE e.number IS NOT NULL"
            )
        ).all()
        assert sorted(labels_src) == sorted(labels_dst)
        names = d.execute(select(schema.label_categories.c.name)).scalars().all()
        assert len(names) == len(set(names))
        # Redactions were branded in, not copied; highlights and comment threads travel as rows.
        kinds = dict(
            d.execute(
                text(
                    "SELECT annotation_type, COUNT(*) FROM annotations a "
                    "JOIN exhibits e ON e.id = a.exhibit_id "
                    "WHERE e.number IS NOT NULL GROUP BY annotation_type"
                )
            ).all()
        )
        assert "redaction" not in kinds
        replies = d.execute(
            text(
                "SELECT r.parent_id, p.exhibit_id, r.exhibit_id FROM annotations r "
                "JOIN annotations p ON p.id = r.parent_id "
                "JOIN exhibits e ON e.id = r.exhibit_id WHERE e.number IS NOT NULL"
            )
        ).all()
        assert all(pe == re for _, pe, re in replies)

    # Files: copied under the copies' document ids; the redacted words are nowhere.
    dest_store = CaseStore(build_object_store(settings), DEST)
    state_counts = None
    with dbs.platform().connect() as conn:
        state = conn.execute(select(schema.exchanges)).mappings().one()
        state_counts = json.loads(state["counts"])
    assert state["status"] == "finished" and state["finished_at"] is not None
    assert state_counts["documents_not_found"] == 1 and state_counts["documents_branded"] >= 1
    branded_docs = []
    with dbs.case_reader(DEST).connect() as d:
        for source_id in redacted[:2]:
            if source_id in chosen:
                branded_docs.append(
                    d.execute(
                        select(schema.exhibits.c.document_id).where(schema.exhibits.c.number == source_id)
                    ).scalar()
                )
    for doc in branded_docs:
        pdf = dest_store.download(f"documents/{doc}/rendition.pdf", tmp_path / f"dest-{doc}.pdf")
        layer = " ".join(page.extract_text() or "" for page in pypdf.PdfReader(pdf).pages).lower()
        stored = dest_store.get_bytes(f"documents/{doc}/extracted.txt").decode().lower()
        for word in hidden:
            assert word not in layer and word not in stored
    index = build_search_index(settings)
    for word in hidden:
        assert index.search(DEST, word) == []
    assert index.count(DEST) >= len(chosen) - 1

    # Events: one INITIATED and one FINISHED, per-document outcomes, the missing rendition named.
    assert len(events(settings, "EXCHANGER_INITIATED")) == 1
    [finished] = events(settings, "EXCHANGER_FINISHED")
    assert (
        finished["case_id"] == DEST and finished["source_case_id"] == SOURCE and finished["batch_id"] == 9001
    )
    assert finished["rows_copied"]["exhibits"] == len(chosen)
    [not_found] = events(settings, "DOCUMENT_NOT_FOUND")
    assert not_found["source_document_id"] == lost_doc
    assert len(events(settings, "DOCUMENT_COPIED")) == len({c.document_id for c in copies.values()}) - 1
    assert {e["document_id"] for e in events(settings, "DOCUMENT_PRE_PROCESSED")} == set(branded_docs)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"source_case_id": DEST}, "same case"),
        ({"source_case_id": 999}, "unknown"),
        ({"exhibit_ids": [1, 999999]}, "999999"),
        ({"exhibit_ids": None, "label_id": 999}, "does not exist"),
        ({"exhibit_ids": [], "label_id": None}, "exactly one"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_written(demo_home, settings, change, message):
    dbs = DatabaseResource.from_settings(settings).databases()
    before = counts(dbs, DEST)
    request = body(**{"exhibit_ids": [1, 2], **change})
    with dg.instance_for_test() as instance:
        if request["source_case_id"] == request["destination_case_id"]:
            from domain.errors import PermanentError
            from domain.exchanges.request import parse_exchange_request

            with pytest.raises(PermanentError, match=message):
                parse_exchange_request(request)
            return
        result = run(settings, instance, request)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "exchange_request"
    assert message in failure.event_specific_data.error.message
    assert counts(dbs, DEST) == before


def test_a_destination_missing_a_table_is_refused(demo_home, settings):
    dbs = DatabaseResource.from_settings(settings).databases()
    with dbs.case_writer(DEST).begin() as conn:
        conn.execute(text("DROP TABLE folder_taggings"))
    with dg.instance_for_test() as instance:
        result = run(settings, instance, body(exhibit_ids=[1, 2]))
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert "no table folder_taggings" in failure.event_specific_data.error.message
        # The failure sensor announces it, naming the step, and the state record says failed.
        from sensors.exchange_outcomes import exchange_failure_sensor

        failure_event = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
        with dg.build_run_status_sensor_context(
            sensor_name="exchange_failure_sensor",
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            dagster_event=failure_event.dagster_event,
            resources=build_resources(settings),
        ) as context:
            exchange_failure_sensor(context.for_run_failure())
    [failed] = events(settings, "EXCHANGER_FAILED")
    assert failed["case_id"] == DEST and failed["source_case_id"] == SOURCE and failed["batch_id"] == 9001
    assert "exchange_request" in failed["error"] and "no table folder_taggings" in failed["error"]
    with dbs.platform().connect() as conn:
        assert conn.execute(select(schema.exchanges.c.status)).scalar() == "failed"
    with dbs.case_reader(DEST).connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(schema.exhibits).where(schema.exhibits.c.number.is_not(None))
            ).scalar()
            == 0
        )


def test_exchange_by_label_on_mariadb_and_s3(mysql_env, s3_env, np_home):
    from demo.generate import DEFAULT_CASES, CaseSpec, generate
    from resources.settings import load_settings

    settings = load_settings()
    specs = [
        CaseSpec(s.case_id, s.name, s.account_id, 24, s.bates_prefix, swap_codes=s.swap_codes)
        for s in DEFAULT_CASES
    ]
    generate(settings, specs, seed=5)
    dbs = DatabaseResource.from_settings(settings).databases()
    with dbs.case_reader(SOURCE).connect() as conn:
        label, carried = conn.execute(
            text(
                "SELECT label_category_id, COUNT(DISTINCT exhibit_id) FROM label_category_labels "
                "GROUP BY label_category_id ORDER BY 2 DESC LIMIT 1"
            )
        ).one()
    with dg.instance_for_test() as instance:
        result = run(settings, instance, body(exhibit_ids=None, label_id=label, batch_id=77))
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    with dbs.case_reader(DEST).connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(schema.exhibits).where(schema.exhibits.c.number.is_not(None))
            ).scalar()
            == carried
        )
        keys = (
            conn.execute(
                text(
                    "SELECT v.object_key FROM document_variants v "
                    "JOIN exhibits e ON e.document_id = v.document_id "
                    "WHERE e.number IS NOT NULL AND v.kind = 'pdf'"
                )
            )
            .scalars()
            .all()
        )
    dest_store = CaseStore(build_object_store(settings), DEST)
    assert keys and all(dest_store.exists(k) for k in keys)
