"""Sections of a Markdown file that a benchmark owns (between marker comments), replaced in place so
one benchmark's rewrite keeps the others' sections (bench/RESULTS.md, README.md)."""
from __future__ import annotations

import os
from pathlib import Path


def markers(name: str):
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def extract(text: str, name: str) -> str:
    """The section with its markers, or '' when the text has none."""
    start, end = markers(name)
    if start not in text or end not in text:
        return ""
    return start + text.split(start, 1)[1].split(end, 1)[0] + end + "\n"


def replace(path: Path, name: str, section: str) -> None:
    """Put `section` (which starts and ends with the markers) where the old one was, or append it;
    the rest of the file is kept. Written atomically."""
    start, end = markers(name)
    if not (section.startswith(start) and section.rstrip("\n").endswith(end)):
        raise ValueError(f"the section must start with {start} and end with {end}")
    old = path.read_text() if path.is_file() else ""
    if start in old and end in old:
        head, rest = old.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        new = head + section.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + section.rstrip("\n") + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(new)
    os.replace(tmp, path)
