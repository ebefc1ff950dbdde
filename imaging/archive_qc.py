"""QC of a production's archive (check `archive_tests_clean`) from the archive step's own test.

The archive step tests the archive it packs (`7z t`) and lists it (`7z l`) before upload, and
records both with each part's SHA-256 and size (work/archive_test.json). QC hashes the parts in
the store (in place locally, streamed from S3) against that record and compares the recorded
listing with the production's files: no second test, no listing, no download of zips/.
"""

from __future__ import annotations

from imaging.production_qc import CheckOutcome, _outcome


def check_archive(
    record: dict | None,
    production_files: list[str],
    stored_parts: dict[str, dict],
    published_parts: list[str],
) -> CheckOutcome:
    """The archive in the store is the one the archive step tested and listed, and holds exactly the
    production's files.

    `record`: what the archive step's one `7z t` and `7z l` said, with each part's SHA-256 and size as
    it uploaded them (work/archive_test.json); `production_files`: the production's files in the
    store (relative to the folder above {NAME}/); `stored_parts`: per part key found in the store, its
    SHA-256 and size as hashed now; `published_parts`: the part keys volumes.json lists. A part that
    differs from the one tested, is missing, or was never tested fails; the archive is not tested or
    listed again."""
    failures: list[str] = []
    if record is None:
        failures.append("the archive step recorded no test of this archive; re-run export_archive")
        record = {}
    test = record.get("test") or {}
    if not test.get("ok"):
        failures.append(f"the archive test did not report Everything is Ok ({test.get('summary', '')[:200]})")
    listed = sorted(x.replace("\\", "/") for x in record.get("listing", []))
    if listed != sorted(production_files):
        missing = sorted(set(production_files) - set(listed))
        extra = sorted(set(listed) - set(production_files))
        example = (missing + extra)[0] if missing + extra else ""
        failures.append(
            f"the archive does not hold exactly the production's files ({len(missing)} missing, "
            f"{len(extra)} not in the production{', e.g. ' + example if example else ''})"
        )
    recorded = {part["key"]: part for part in record.get("parts", [])}
    matched = 0
    for key, part in sorted(recorded.items()):
        found = stored_parts.get(key)
        if found is None:
            failures.append(f"archive part {key.rsplit('/', 1)[-1]} is missing from the store")
        elif (found["sha256"], found["bytes"]) != (part.get("sha256"), part.get("bytes")):
            failures.append(
                f"archive part {key.rsplit('/', 1)[-1]} is not the part that was tested (SHA-256)"
            )
        else:
            matched += 1
    for key in sorted(set(stored_parts) - set(recorded)):
        failures.append(
            f"archive part {key.rsplit('/', 1)[-1]} in the store was not tested by the archive step"
        )
    if record and not recorded:
        failures.append("the archive step recorded no archive parts")
    if sorted(published_parts) != sorted(recorded):
        failures.append("volumes.json does not list exactly the archive parts that were tested")
    return _outcome(
        "archive_tests_clean",
        "the archive in the store is the one the archive step tested clean (SHA-256 of every part) "
        "and its listing holds exactly the production's files",
        failures,
        archive_files_listed=len(listed),
        production_files=len(production_files),
        archive_parts=len(stored_parts),
        archive_parts_hash_matched=matched,
    )
