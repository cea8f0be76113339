"""Import questions from a file or folder, whatever its format; all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from assessments.models import Question
from assessments.services.packs import PACK_FILE, PackError, neutral_to_pack, pack_import, pack_read

MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class ImportResult:
    format: str
    questions: list[Question]
    warnings: list[str] = field(default_factory=list)


def import_format(path: Path) -> str:
    if path.is_dir():
        if (path / PACK_FILE).is_file():
            return "prep"
        if (path / "problem.yaml").is_file():
            return "kattis"
        raise PackError(f"{path}: neither a question pack ({PACK_FILE}) nor a Kattis package (problem.yaml)")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "prep"
    if suffix in (".gift", ".txt"):
        return "gift"
    if suffix == ".xml":
        return "moodle"
    raise PackError(f"{path}: unknown format (expected a pack folder or .yaml, .gift, .txt, .xml, or a Kattis package)")


@transaction.atomic
def questions_import(*, path: Path, skip_unsupported: bool = False, skills: list[str] | None = None) -> ImportResult:
    """Import everything in `path`, or nothing: a bad file is refused whole, naming the line or element."""
    fmt = import_format(path)
    if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
        raise PackError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    warnings: list[str] = []
    if fmt == "prep":
        data = pack_read(path)
    elif fmt == "kattis":
        from assessments.tasks import package_read

        data = {"questions": [package_read(path)]}
    else:
        from assessments.formats import FormatError, parse_gift, parse_moodle_xml

        try:
            if fmt == "gift":
                parsed = parse_gift(_read_text(path), source=path.name, skip_unsupported=skip_unsupported)
            else:
                parsed = parse_moodle_xml(path.read_bytes(), source=path.name, skip_unsupported=skip_unsupported)
        except FormatError as exc:
            raise PackError(str(exc), {"line": getattr(exc, "line", None), "element": getattr(exc, "element", None)}) from exc
        warnings = list(parsed.warnings)
        try:
            data = {"questions": [neutral_to_pack(q) for q in parsed.questions]}
        except (KeyError, ValueError) as exc:
            raise PackError(f"{path.name}: {exc}") from exc
    if skills:
        for q in data["questions"]:
            q["skills"] = sorted(set(q.get("skills") or []) | set(skills))
    questions = pack_import(data=data, source=path.name)
    return ImportResult(format=fmt, questions=questions, warnings=warnings)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackError(f"{path.name}: not UTF-8 text (byte {exc.start})") from exc


MAX_ARCHIVE_FILES = 2000


def questions_import_upload(*, upload, skip_unsupported: bool = False) -> ImportResult:
    """Import an uploaded file (admin): a pack as .zip or .yaml, GIFT, or Moodle XML. Kattis
    packages are imported from the command line, where running their submissions belongs."""
    import tempfile

    name = Path(upload.name or "upload").name
    if upload.size > MAX_FILE_BYTES:
        raise PackError(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    with tempfile.TemporaryDirectory(prefix="prep-import-") as tmp:
        target = Path(tmp) / name
        with target.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        if name.lower().endswith(".zip"):
            folder = _unzip(target, Path(tmp) / "unpacked")
            if (folder / "problem.yaml").is_file():
                raise PackError(f"{name}: a Kattis package: import it with `manage.py import_questions` "
                                "(its submissions run in the sandbox to set the time limit)")
            target = folder
        return questions_import(path=target, skip_unsupported=skip_unsupported)


def _unzip(archive: Path, folder: Path) -> Path:
    """Extract a zip safely: no paths outside the folder, no links, a total size cap."""
    import stat
    import zipfile

    try:
        with zipfile.ZipFile(archive) as z:
            members = z.infolist()
            if len(members) > MAX_ARCHIVE_FILES:
                raise PackError(f"{archive.name}: more than {MAX_ARCHIVE_FILES} files")
            if sum(m.file_size for m in members) > MAX_FILE_BYTES:
                raise PackError(f"{archive.name}: unpacks to more than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            root = folder.resolve()
            for member in members:
                target = (folder / member.filename).resolve()
                if member.filename.startswith("/") or (target != root and root not in target.parents):
                    raise PackError(f"{archive.name}: {member.filename} lies outside the archive")
                if stat.S_ISLNK(member.external_attr >> 16):
                    raise PackError(f"{archive.name}: {member.filename} is a symbolic link")
            z.extractall(folder)
    except zipfile.BadZipFile as exc:
        raise PackError(f"{archive.name}: not a valid zip archive ({exc})") from exc
    # A pack zipped with its folder: the pack is that single top-level directory.
    entries = [p for p in folder.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder
