import hashlib

import pytest

from domain.errors import InvalidKeyError, ObjectNotFound
from resources.local_object_store import LocalObjectStore
from resources.object_store import CaseStore, build_object_store
from resources.s3_object_store import S3ObjectStore


@pytest.fixture(params=["local", "s3"])
def store(request, settings):
    if request.param == "s3":
        s = request.getfixturevalue("s3_env")
        built = build_object_store(s)
        assert isinstance(built, S3ObjectStore)
        return built
    built = build_object_store(settings)
    assert isinstance(built, LocalObjectStore)
    return built


def test_round_trip_list_copy_delete(store, tmp_path):
    case = CaseStore(store, 101)
    key = case.put_bytes("documents/1/rendition.pdf", b"%PDF-1.7 demo")
    assert key == "case_101/documents/1/rendition.pdf"
    assert case.get_bytes("documents/1/rendition.pdf") == b"%PDF-1.7 demo"
    assert case.size("documents/1/rendition.pdf") == 13
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * 100_000)
    case.put_file("documents/2/native.bin", source)
    case.copy_within("documents/2/native.bin", "documents/3/native.bin")
    assert sorted(case.list("documents/")) == [
        "documents/1/rendition.pdf",
        "documents/2/native.bin",
        "documents/3/native.bin",
    ]
    downloaded = case.download("documents/3/native.bin", tmp_path / "out" / "n.bin")
    assert downloaded.read_bytes() == source.read_bytes()
    case.delete("documents/1/rendition.pdf")
    assert not case.exists("documents/1/rendition.pdf")
    with pytest.raises(ObjectNotFound):
        case.get_bytes("documents/1/rendition.pdf")
    assert case.link("documents/2/native.bin", 3600)


def test_sha256_of_an_object_without_a_copy(store):
    case = CaseStore(store, 101)
    data = bytes(range(256)) * 9000  # over 2 MiB: streamed in more than one chunk from S3
    case.put_bytes("exports/export_1/zips/P.7z.001", data)
    assert case.sha256("exports/export_1/zips/P.7z.001") == hashlib.sha256(data).hexdigest()
    case.put_bytes("exports/export_1/zips/P.7z.001", data[:-1] + b"x")
    assert case.sha256("exports/export_1/zips/P.7z.001") != hashlib.sha256(data).hexdigest()
    with pytest.raises(ObjectNotFound):
        case.sha256("exports/export_1/zips/P.7z.002")


def test_cases_do_not_see_each_other(store):
    CaseStore(store, 101).put_bytes("documents/1/a.txt", b"one")
    CaseStore(store, 1010).put_bytes("documents/1/a.txt", b"ten-ten")
    assert list(CaseStore(store, 101).list("documents/")) == ["documents/1/a.txt"]
    assert CaseStore(store, 101).get_bytes("documents/1/a.txt") == b"one"


@pytest.mark.parametrize(
    "hostile", ["../case_202/documents/1/a.txt", "/case_202/x", "documents/../../x", "a\\b"]
)
def test_key_escaping_its_case_is_refused_before_io(store, hostile):
    CaseStore(store, 202).put_bytes("documents/1/a.txt", b"secret")
    case = CaseStore(store, 101)
    with pytest.raises(InvalidKeyError):
        case.get_bytes(hostile)
    with pytest.raises(InvalidKeyError):
        case.put_bytes(hostile, b"overwrite")
    assert CaseStore(store, 202).get_bytes("documents/1/a.txt") == b"secret"


def test_local_writes_are_atomic(settings, monkeypatch):
    store = build_object_store(settings)
    case = CaseStore(store, 5)
    case.put_bytes("reports/r.csv", b"first")

    def broken(handle):
        handle.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        store._atomic_write("case_5/reports/r.csv", broken)
    assert case.get_bytes("reports/r.csv") == b"first"
    assert list(case.list("reports/")) == ["reports/r.csv"]
