import hashlib
import io
import json
import sqlite3
import zipfile

import pikepdf
from sqlalchemy import func, select

from demo.generate import DEFAULT_CASES, CaseSpec, generate
from domain import schema
from imaging.engine import LocalDocumentEngine
from resources.dagster_resources import DatabaseResource
from resources.object_store import CaseStore, build_object_store
from resources.settings import load_settings


def _fingerprint(home):
    digest = hashlib.sha256()
    for path in sorted(p for p in home.rglob("*") if p.is_file() and "databases" not in p.parts):
        digest.update(str(path.relative_to(home)).encode())
        digest.update(path.read_bytes())
    s = load_settings({"NP_HOME": str(home)})
    dbs = DatabaseResource.from_settings(s).databases()
    for case_id in (101, 202):
        with dbs.case_reader(case_id).connect() as conn:
            for table in schema.case_metadata.sorted_tables:
                for row in conn.execute(select(table).order_by(*table.primary_key.columns or table.columns)):
                    digest.update(repr(tuple(row)).encode())
    dbs.dispose()
    return digest.hexdigest()


def test_same_seed_same_data(demo_template, tmp_path):
    specs = [
        CaseSpec(s.case_id, s.name, s.account_id, 40, s.bates_prefix, swap_codes=s.swap_codes)
        for s in DEFAULT_CASES
    ]
    again = tmp_path / "again"
    generate(load_settings({"NP_HOME": str(again)}), specs, seed=7)
    assert _fingerprint(again) == _fingerprint(demo_template)


def test_cases_follow_the_contracts(demo_home, settings):
    dbs = DatabaseResource.from_settings(settings).databases()
    store = build_object_store(settings)
    engine = LocalDocumentEngine()
    for case_id in (101, 202):
        case = CaseStore(store, case_id)
        with dbs.case_reader(case_id).connect() as conn:

            def count(table, conn=conn):
                return conn.execute(select(func.count()).select_from(table)).scalar()

            for table in (
                "custodians",
                "documents",
                "document_variants",
                "exhibits",
                "confidentiality_codes",
                "relevancy_logs",
                "privilege_logs",
                "label_categories",
                "label_category_labels",
                "folder_tags",
                "folder_taggings",
                "custom_fields",
                "custom_field_values",
                "annotations",
                "bates_patterns",
                "depositions",
                "deposition_volumes",
                "deposition_designations",
            ):
                assert count(schema.case_metadata.tables[table]) > 0, (case_id, table)
            kinds = {
                r.annotation_type
                for r in conn.execute(select(schema.annotations.c.annotation_type).distinct())
            }
            assert {"redaction", "highlight", "note", "comment"} <= kinds
            # Every variant exists in the object store; every PDF is real and its page count known.
            for variant in conn.execute(select(schema.document_variants)):
                assert case.size(variant.object_key) == variant.bytes
            exhibits = conn.execute(select(schema.exhibits)).all()
            documents = {d.id: d for d in conn.execute(select(schema.documents))}
            children = [e for e in exhibits if e.parent_exhibit_id]
            assert children and all(c.parent_exhibit_id in {e.id for e in exhibits} for c in children)
            extensions = {d.file_extension for d in documents.values()}
            assert {"pdf", "eml", "xlsx", "csv"} <= extensions
            mismatched = 0
            for e in exhibits:
                pdf_key = f"documents/{e.document_id}/rendition.pdf"
                path = case.download(pdf_key, settings.work_dir / f"{case_id}-{e.id}.pdf")
                real = engine.page_count(path)
                mismatched += real != e.page_count
            assert mismatched == 1  # one verified count disagrees with its PDF, on purpose
            codes = {r.code: r.bit for r in conn.execute(select(schema.confidentiality_codes))}
            assert set(codes) == {"CONFIDENTIAL", "HIGHLY CONFIDENTIAL - AEO"}
        if case_id == 202:
            assert codes["CONFIDENTIAL"] == 2  # the same code carries another bit in this case
    with dbs.core_reader().connect() as conn:
        statuses = dict(conn.execute(select(schema.npcases.c.id, schema.npcases.c.status)).all())
        assert statuses[101] == "active" and statuses[909] == "deleted"
        assert conn.execute(select(func.count()).select_from(schema.user_activities)).scalar() >= 120
    dbs.dispose()


def test_page_kinds_are_varied(demo_home, settings):
    store = build_object_store(settings)
    case = CaseStore(store, 101)
    sizes, rotations, image_only = set(), set(), 0
    for key in case.list("documents/"):
        if not key.endswith(".pdf"):
            continue
        path = case.download(key, settings.work_dir / "page_kinds.pdf")
        texts = LocalDocumentEngine().page_texts(path)
        with pikepdf.open(path) as pdf:
            for page, text in zip(pdf.pages, texts, strict=True):
                box = [float(v) for v in page.mediabox]
                sizes.add((round(box[2]), round(box[3])))
                rotations.add(int(page.obj.get("/Rotate", 0)))
                if page.images and not text.strip():
                    image_only += 1
    assert {(612, 792), (612, 1008), (595, 842), (792, 612)} <= sizes
    assert 90 in rotations
    assert image_only > 0


def test_export_manifest_follows_the_contract(demo_home, settings):
    store = build_object_store(settings)
    data = CaseStore(store, 101).get_bytes("exports/export_1/manifest.zip")
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["manifest.sqlite"]
    path = settings.work_dir / "manifest.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(archive.read("manifest.sqlite"))
    db = sqlite3.connect(path)
    export = db.execute("SELECT export_id, case_id, name, image_format, loadfiles FROM export").fetchall()
    assert export == [(1, 101, "ACME_PROD001", "tiff", "dat,opt,lfp,dii,log,csv")]
    order = db.execute(
        "SELECT position, exhibit_id, volume, withheld, produce_native FROM exhibits_for_export "
        "ORDER BY position"
    ).fetchall()
    parents = dict(db.execute("SELECT id, parent_exhibit_id FROM exhibits").fetchall())
    assert [p for p, *_ in order] == list(range(1, len(order) + 1))
    assert {v for _, _, v, _, _ in order} == {1, 2}
    # Families are contiguous and never split across volumes.
    for index, (_, exhibit_id, volume, _, _) in enumerate(order):
        if parents[exhibit_id]:
            previous = order[index - 1]
            assert previous[1] in (parents[exhibit_id],) or parents[previous[1]] == parents[exhibit_id]
            assert previous[2] == volume
    keys = db.execute("SELECT pdf_key, native_key, text_key FROM exhibits").fetchall()
    for row in keys:
        for key in row:
            assert key is None or CaseStore(store, 101).exists(key)
    redactions = db.execute("SELECT exhibit_id, page_number, rect FROM redactions").fetchall()
    assert redactions and all(len(json.loads(r[2])) == 4 for r in redactions)
    names = [r[0] for r in db.execute("SELECT filename FROM exhibits")]
    assert (
        any(".." in n for n in names)
        and any(len(n) > 255 for n in names)
        and any(not n.isascii() for n in names)
    )
