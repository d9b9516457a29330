"""A section of bench/RESULTS.md that several benches fill in, each its own part: the section is kept between
`<!-- <section>:begin -->` and `<!-- <section>:end -->` (so `bench.run`, which rewrites the file, keeps it), and each
part between `<!-- <part>:begin -->` and `<!-- <part>:end -->` inside it, replaced by the bench that measured it."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _marks(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def write_part(section: str, heading: str, parts: list[str], part: str, text: str, intro: str = "") -> None:
    """Put `text` in place of `part` (one of `parts`, kept in that order) in `section` of bench/RESULTS.md."""
    doc = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    begin, end = _marks(section)
    if begin not in doc or end not in doc:
        placeholders = [f"{_marks(p)[0]}\n_(not run yet: `python -m bench.{p.replace('-', '_')}`)_\n{_marks(p)[1]}"
                        for p in parts]
        block = "\n".join([begin, heading, "", *([intro, ""] if intro else []), "\n\n".join(placeholders), end])
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    p_begin, p_end = _marks(part)
    head, rest = doc.split(begin, 1)
    inside, tail = rest.split(end, 1)
    if p_begin in inside and p_end in inside:
        before, after = inside.split(p_begin, 1)
        inside = before + p_begin + "\n" + text.strip("\n") + "\n" + p_end + after.split(p_end, 1)[1]
    else:
        inside = inside.rstrip("\n") + f"\n\n{p_begin}\n{text.strip()}\n{p_end}\n"
    RESULTS.write_text(head + begin + inside + end + tail, encoding="utf-8")
