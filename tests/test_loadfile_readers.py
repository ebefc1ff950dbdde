"""Real productions read back the way review platforms read them.

Two productions run on a real Dagster instance (TIFF with produced natives,
families, a withheld document and two volumes; then searchable PDF), are
downloaded from the object store, and every load file is parsed with the
independent readers of tests/loadfile_readers.py (written from the public
format descriptions, not from the platform's code). Every path in every load
file must resolve from the load file's own folder, and the counts must agree.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dagster as dg
import pikepdf
import pytest

from resources.dagster_resources import build_resources
from resources.object_store import CaseStore, build_object_store
from resources.settings import get_settings, load_settings
from tests import loadfile_readers as lf
from tests.production_fixtures import exhibit, export_row, manifest_zip, order, tables

CASE = 101
DEFAULT_FIELDS = [
    "BEGBATES",
    "ENDBATES",
    "BEGATTACH",
    "ENDATTACH",
    "PGCOUNT",
    "CUSTODIAN",
    "FILENAME",
    "FILEEXT",
    "TITLE",
    "AUTHOR",
    "DATESENT",
    "TIMESENT",
    "MD5HASH",
    "CONFIDENTIALITY",
    "NATIVELINK",
    "TEXTLINK",
]
ONE_LONG_LINE = "a native's text with no line break at all, " * 6
MIXED_LINE_ENDS = "first line\nsecond line\rthird line\r\nfourth line"


def _defs(settings) -> dg.Definitions:
    from jobs.productions import production_job
    from nextpoint_assets.productions.assets import PRODUCTION_ASSETS, PRODUCTION_CHECKS

    return dg.Definitions(
        assets=PRODUCTION_ASSETS,
        asset_checks=PRODUCTION_CHECKS,
        jobs=[production_job],
        resources=build_resources(settings),
    )


def _manifest(export_id: int, name: str, image_format: str) -> dict:
    """Demo documents: an e-mail with two attachments produced as natives, a 6-page PDF,
    a scan (OCR), a colour chart, a withheld document; three dates the DAT must convert
    and one it cannot."""

    def demo(id: int, **overrides) -> dict:
        return exhibit(
            id,
            pdf_key=f"documents/{id}/rendition.pdf",
            custodian=f"Custodian {id}",
            page_count=None,
            **overrides,
        )

    exhibits = [
        demo(1, filename="RE: negotiation.eml", file_extension="eml", date_sent="2024-12-06T21:18:00Z"),
        demo(
            2,
            parent_exhibit_id=1,
            filename="pricing.xlsx",
            file_extension="xlsx",
            native_key="documents/2/native.xlsx",
            text_key="lfr/one_long_line.txt",
            date_sent="2024-12-06T21:18:00Z",
        ),
        demo(
            3,
            parent_exhibit_id=1,
            filename="ledger.csv",
            file_extension="csv",
            native_key="documents/3/native.csv",
            text_key="lfr/mixed_line_ends.txt",
            date_sent="2024-12-06T21:18:00Z",
        ),
        demo(
            4,
            filename='contract, "final".pdf',
            title="Line one\nline two",
            date_sent="2024-06-30T22:15:00-07:00",
        ),
        demo(5, filename="scan.pdf", date_sent="2023-01-02"),
        demo(6, filename="chart.pdf", date_sent="sometime in May"),
        demo(10, filename="privileged.pdf"),
    ]
    rows = [
        order(1, 1),
        order(2, 2, produce_native=1),
        order(3, 3, produce_native=1),
        order(4, 4),
        order(5, 5),
        order(6, 6, volume=2),
        order(7, 10, volume=2, withheld=1),
    ]
    export = export_row(
        export_id=export_id,
        name=name,
        image_format=image_format,
        bates_prefix="LFR",
        images_per_folder=3,
        loadfiles="dat,opt,lfp,dii,log,csv",
        split_bytes=5 * 1024 * 1024,
        expansive_pdf=0,
    )
    return tables(export, exhibits, rows)


@pytest.fixture(scope="module")
def env(tmp_path_factory, demo_template):
    home = tmp_path_factory.mktemp("loadfile_readers") / "np_home"
    shutil.copytree(demo_template, home)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NP_HOME", str(home))
        get_settings.cache_clear()
        yield {"home": home, "settings": load_settings(), "instance": dg.DagsterInstance.ephemeral()}
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def keep_env(env, monkeypatch):
    # The autouse np_home fixture points NP_HOME elsewhere; these tests share the module's home.
    monkeypatch.setenv("NP_HOME", str(env["home"]))
    get_settings.cache_clear()


@pytest.fixture(
    scope="module", params=[("tiff", 11, "LFR TIFF"), ("pdf", 12, "LFR PDF")], ids=["tiff", "pdf"]
)
def production(request, env, tmp_path_factory):
    image_format, export_id, name = request.param
    settings = env["settings"]
    store = CaseStore(build_object_store(settings), CASE)
    store.put_bytes("lfr/one_long_line.txt", ONE_LONG_LINE.encode("utf-8"))
    store.put_bytes("lfr/mixed_line_ends.txt", MIXED_LINE_ENDS.encode("utf-8"))
    store.put_bytes(
        f"exports/export_{export_id}/manifest.zip", manifest_zip(_manifest(export_id, name, image_format))
    )
    key = f"{CASE}-{export_id}"
    env["instance"].add_dynamic_partitions("exports", [key])
    job = _defs(settings).resolve_job_def("production_job")
    result = job.execute_in_process(instance=env["instance"], partition_key=key, raise_on_error=False)
    # Download the production as a receiving party gets it: every object under production/{NAME}/.
    safe = name.replace(" ", "_")
    prefix = f"exports/export_{export_id}/production/"
    root = tmp_path_factory.mktemp(f"received_{image_format}") / safe
    for object_key in store.list(prefix + safe + "/"):
        store.download(object_key, root / object_key[len(prefix) + len(safe) + 1 :])
    log = "".join(store.get_bytes(k).decode() for k in store.list(f"exports/export_{export_id}/error_logs/"))
    return {"result": result, "root": root, "name": safe, "image_format": image_format, "log": log}


def _checks(result) -> dict[str, object]:
    """Each check's outcome: True, or its failures."""
    outcomes = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            failures = data.metadata.get("failures")
            outcomes[data.check_name] = True if data.passed else (failures.value if failures else False)
    return outcomes


def _read_all(root: Path, name: str) -> dict:
    return {
        "dat": lf.read_concordance_dat(root / f"{name}.dat"),
        "csv": lf.read_rfc4180_csv(root / f"{name}.csv"),
        "opt": lf.read_opticon(root / f"{name}.opt"),
        "log": lf.read_opticon(root / f"{name}.log", "\t"),
        "lfp": lf.read_ipro_lfp(root / f"{name}.lfp"),
        "dii": lf.read_summation_dii(root / f"{name}.dii"),
    }


def test_the_production_succeeds_with_every_check(production):
    checks = _checks(production["result"])
    assert checks and all(v is True for v in checks.values()), {
        k: v for k, v in checks.items() if v is not True
    }
    assert production["result"].success
    assert "exhibit 6: bad_date_sent" in production["log"]


def test_load_files_sit_at_the_root_and_parse(production):
    root, name = production["root"], production["name"]
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == sorted(
        f"{name}.{k}" for k in ("dat", "opt", "lfp", "dii", "log", "csv")
    )
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["VOL001", "VOL002"]
    files = _read_all(root, name)
    dat, csv = files["dat"], files["csv"]
    assert dat.header == csv.header == DEFAULT_FIELDS
    assert (
        len(dat.rows) == 7 and csv.rows == dat.rows
    )  # the CSV holds the DAT's values (® is a newline in both readers)


def test_every_path_resolves_from_the_load_files_folder(production):
    root, name = production["root"], production["name"]
    files = _read_all(root, name)
    paths: list[tuple[str, Path]] = []
    for kind in ("dat", "csv"):
        for row in files[kind].rows:
            paths += [
                (f"{kind} {f}", lf.windows_path(root, row[f])) for f in ("NATIVELINK", "TEXTLINK") if row[f]
            ]
    for kind in ("opt", "log"):
        paths += [(kind, lf.windows_path(root, page.path)) for page in files[kind]]
    # IPRO maps each volume label to a folder: here the volume's folder beside the load file.
    volumes = {page.volume: root / page.volume for page in files["lfp"]}
    paths += [("lfp", page.resolve(volumes)) for page in files["lfp"]]
    for record in files["dii"]:
        paths += [("dii @D @I", p) for p in record.image_paths(root)]
        paths += [("dii @EDOC", p) for p in [record.edoc_path(root)] if p]
        paths += [("dii @FULLTEXT DOC", p) for p in [record.text_path(root)] if p]
    unresolved = [(kind, str(p.relative_to(root))) for kind, p in paths if not p.is_file()]
    assert paths and unresolved == []
    # The DAT's links and every DII record's text are there to be resolved.
    assert sum(1 for kind, _ in paths if kind == "dat TEXTLINK") == 7
    assert sum(1 for kind, _ in paths if kind == "dii @FULLTEXT DOC") == 7
    assert sum(1 for kind, _ in paths if kind == "dii @EDOC") == 2


def test_counts_agree_everywhere(production):
    root, name = production["root"], production["name"]
    files = _read_all(root, name)
    if production["image_format"] == "tiff":
        images = [p for p in root.glob("VOL*/IMAGES/*/*") if p.suffix.lower() != ".txt"]
        assert {p.suffix for p in images} <= {".tif", ".jpg"}
        pages = len(images)
    else:
        pages = 0
        for path in root.glob("VOL*/PDF/*/*.pdf"):
            with pikepdf.open(path) as pdf:
                pages += len(pdf.pages)
    dat_pages = sum(int(r["PGCOUNT"]) for r in files["dat"].rows)
    dii_pages = sum(int(r.fields["PGCOUNT"]) for r in files["dii"])
    assert pages == len(files["opt"]) == len(files["log"]) == len(files["lfp"]) == dat_pages == dii_pages > 7
    keys = [p.key for p in files["opt"]]
    assert (
        keys
        == [p.key for p in files["lfp"]]
        == [p.key for p in files["log"]]
        == [f"LFR{n:07d}" for n in range(1, pages + 1)]
    )
    assert [r.tag for r in files["dii"]] == [r["BEGBATES"] for r in files["dat"].rows]
    # The text copies in the image folders are exactly the DII's, one per document.
    folder = "IMAGES" if production["image_format"] == "tiff" else "PDF"
    copies = sorted(p.relative_to(root) for p in root.glob(f"VOL*/{folder}/*/*.txt"))
    assert copies == sorted(r.text_path(root).relative_to(root) for r in files["dii"])


def test_breaks_families_and_volumes(production):
    root, name = production["root"], production["name"]
    files = _read_all(root, name)
    rows = {r["CUSTODIAN"]: r for r in files["dat"].rows}
    parent, first_child, second_child = rows["Custodian 1"], rows["Custodian 2"], rows["Custodian 3"]
    assert parent["BEGATTACH"] == first_child["BEGATTACH"] == parent["BEGBATES"]
    assert parent["ENDATTACH"] == second_child["ENDATTACH"] == second_child["ENDBATES"]
    flags = {p.key: p.flag for p in files["lfp"]}
    assert (
        flags[parent["BEGBATES"]] == "D"
        and flags[first_child["BEGBATES"]] == flags[second_child["BEGBATES"]] == "C"
    )
    assert {p.rotation for p in files["lfp"]} == {0}
    assert all(not p.path.upper().startswith(p.volume.upper()) for p in files["lfp"])  # volume-relative
    assert {p.volume for p in files["lfp"]} == {p.volume for p in files["opt"]} == {"VOL001", "VOL002"}
    if production["image_format"] == "pdf":
        four = [p for p in files["lfp"] if p.filename == f"{rows['Custodian 4']['BEGBATES']}.pdf"]
        assert (
            [p.offset for p in four] == list(range(1, len(four) + 1))
            and len(four) == 6
            and {p.file_type for p in four} == {7}
        )
    else:
        assert {p.offset for p in files["lfp"]} == {0} and {p.file_type for p in files["lfp"]} <= {2, 4}
    assert [r["PGCOUNT"] for r in files["dat"].rows] == [
        str(p.page_count) for p in files["opt"] if p.document_break
    ]


def test_dates_natives_and_text(production):
    root, name = production["root"], production["name"]
    files = _read_all(root, name)
    rows = {r["CUSTODIAN"]: r for r in files["dat"].rows}
    assert (rows["Custodian 1"]["DATESENT"], rows["Custodian 1"]["TIMESENT"]) == ("12/06/2024", "21:18:00")
    assert (rows["Custodian 4"]["DATESENT"], rows["Custodian 4"]["TIMESENT"]) == (
        "07/01/2024",
        "05:15:00",
    )  # UTC
    assert (rows["Custodian 5"]["DATESENT"], rows["Custodian 5"]["TIMESENT"]) == ("01/02/2023", "")
    assert (rows["Custodian 6"]["DATESENT"], rows["Custodian 6"]["TIMESENT"]) == ("", "")
    for row in files["dat"].rows:
        assert re.fullmatch(r"(\d\d/\d\d/\d{4})?", row["DATESENT"]) and re.fullmatch(
            r"(\d\d:\d\d:\d\d)?", row["TIMESENT"]
        )
    assert (
        rows["Custodian 4"]["TITLE"] == "Line one\nline two"
        and rows["Custodian 4"]["FILENAME"] == 'contract, "final".pdf'
    )
    # @EDOC exactly for the produced natives, naming the DAT's NATIVELINK.
    by_tag = {r.tag: r for r in files["dii"]}
    for row in files["dat"].rows:
        edoc = by_tag[row["BEGBATES"]].edoc
        assert (edoc or "") == ("\\" + row["NATIVELINK"] if row["NATIVELINK"] else "")
    assert {r["FILEEXT"] for r in files["dat"].rows if r["NATIVELINK"]} == {"xlsx", "csv"}
    # Every text file: BOM, CRLF only, a CRLF early; the DII's copy is the same bytes as TEXT/.
    for path in root.glob("VOL*/TEXT/*/*"):
        assert lf.text_file_faults(path.read_bytes()) == [], path
    for row in files["dat"].rows:
        text = lf.windows_path(root, row["TEXTLINK"]).read_bytes()
        assert by_tag[row["BEGBATES"]].text_path(root).read_bytes() == text
    long_line = lf.windows_path(root, rows["Custodian 2"]["TEXTLINK"]).read_bytes().decode("utf-8-sig")
    assert long_line.split() == ONE_LONG_LINE.split()  # broken early, no word changed
    mixed = lf.windows_path(root, rows["Custodian 3"]["TEXTLINK"]).read_bytes().decode("utf-8-sig")
    assert mixed == "first line\r\nsecond line\r\nthird line\r\nfourth line\r\n"


def test_the_readers_refuse_what_platforms_refuse(tmp_path):
    """The readers are strict: otherwise the tests above could not fail."""
    cases = {
        "no_bom.dat": ("þAþ\x14þBþ\r\nþ1þ\x14þ2þ\r\n".encode(), lf.read_concordance_dat, "byte order mark"),
        "short.dat": ("\ufeffþAþ\x14þBþ\r\nþ1þ\r\n".encode(), lf.read_concordance_dat, "1 fields"),
        "lf.dat": ("\ufeffþAþ\r\nþ1þ\nþ2þ\r\n".encode(), lf.read_concordance_dat, "not CRLF"),
        "bare_lf.csv": ("\ufeffA,B\r\n1,2\n".encode(), lf.read_rfc4180_csv, "last record|bare CR"),
        "quote.csv": ('\ufeffA\r\n1"2\r\n'.encode(), lf.read_rfc4180_csv, "quote"),
        "six.opt": (b"K,VOL001,VOL001\\IMAGES\\0001\\K.tif,Y,,3\r\n", lf.read_opticon, "6 fields"),
        "old.lfp": (b"IM,K,D,0,@VOL001;VOL001\\IMAGES\\0001;K.tif;2\r\n", lf.read_ipro_lfp, "not IM"),
        "type.lfp": (b"IM,K,D,0,@VOL001;IMAGES\\0001;K.tif;7,0\r\n", lf.read_ipro_lfp, "file type"),
        "early.dii": (b"K.tif\r\n", lf.read_summation_dii, "before the first @T"),
    }
    for filename, (data, reader, message) in cases.items():
        (tmp_path / filename).write_bytes(data)
        with pytest.raises(lf.LoadFileError, match=message):
            reader(tmp_path / filename)
    with pytest.raises(lf.LoadFileError, match="climbs"):
        lf.windows_path(tmp_path, "VOL001\\..\\..\\etc\\passwd")
    assert lf.text_file_faults(b"no bom, no line break") == [
        "no UTF-8 BOM",
        "no CRLF within the first 80 characters",
    ]
    assert lf.text_file_faults(b"\xef\xbb\xbfa\nb\r\n") == ["a line end other than CRLF"]
