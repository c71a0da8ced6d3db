"""The Noto Color Emoji dataset: every color bitmap of Debian's `fonts-noto-color-emoji` as an RGB
PNG composited on white, in one folder per Unicode emoji group.

  emoji.py --out runs/data/noto-emoji

The font's CBDT table holds one 136x128 PNG strike per glyph (3,926 in version 2.042); each is
composited on white over its alpha and padded with white to 136x136 (centred), so a model resizes
a square picture. Labels come from Unicode's emoji-test.txt (Debian's `unicode-data`): a glyph's
code point sequence (cmap, then the GSUB ligatures that build ZWJ sequences, flags and keycaps)
is looked up without U+FE0F, in order first and then as a multiset (the font's GSUB reorders some
sequences, e.g. gender signs before the person). Sequences emoji-test.txt (Unicode 15.0) does not
list, such as the font's Emoji 15.1 additions, are looked up by their base code points (without
skin tones, tags, ZWJ and the signs used as modifiers: female, male, the direction arrows), so
"man with white cane facing right" is grouped with "man with white cane"; failing that, a
sequence takes the group of its first base code point (a tag flag is a flag, the phoenix an
animal), and a single code point that is no emoji of its own (keycap bases, regional-indicator
letters, the font's private-use glyphs) is a component.

Folder: <group-slug>/<code points>.png (e.g. animals-nature/1f436.png, the dog face) and
index.csv (file, glyph, code points, group, subgroup, name, how the label was found). The bytes
depend only on the font and emoji-test.txt files.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
EMOJI_TEST = "/usr/share/unicode/emoji/emoji-test.txt"
SIDE = 136
ZWJ, VS16 = 0x200D, 0xFE0F
#: code points that modify the emoji they follow or join rather than being the picture's subject
MODIFIERS = frozenset(
    [ZWJ, VS16, 0x20E3, 0x2640, 0x2642, 0x27A1, 0x2194, 0x2195, *range(0x1F3FB, 0x1F400), *range(0xE0020, 0xE0080)]
)
COMPONENT = "Component"


class EmojiDataError(Exception):
    """The font or Unicode's emoji data is missing or not what this reader understands."""


def slug(group: str) -> str:
    """'Animals & Nature' -> 'animals-nature'."""
    return "-".join("".join(ch if ch.isalnum() else " " for ch in group.lower()).split())


@dataclass(frozen=True)
class EmojiInfo:
    group: str
    subgroup: str
    name: str


def read_emoji_test(path: str = EMOJI_TEST) -> Dict[Tuple[int, ...], EmojiInfo]:
    """Every sequence of emoji-test.txt (U+FE0F removed; the first status line of a sequence wins)."""
    if not os.path.isfile(path):
        raise EmojiDataError(
            f"{path} not found: the emoji groups come from Unicode's emoji-test.txt "
            "(Debian package unicode-data; make setup installs it)"
        )
    out: Dict[Tuple[int, ...], EmojiInfo] = {}
    group = subgroup = ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# group:"):
                group = line.split(":", 1)[1].strip()
            elif line.startswith("# subgroup:"):
                subgroup = line.split(":", 1)[1].strip()
            elif line.strip() and not line.startswith("#"):
                cps, rest = line.split(";", 1)
                key = tuple(c for c in (int(v, 16) for v in cps.split()) if c != VS16)
                # "# 🐶 E0.6 dog face": the name follows the emoji and its version
                comment = rest.split("#", 1)[1].strip() if "#" in rest else ""
                parts = comment.split(" ", 2)
                name = parts[2] if len(parts) == 3 else comment
                out.setdefault(key, EmojiInfo(group, subgroup, name))
    if not out:
        raise EmojiDataError(f"{path}: no emoji sequences found")
    return out


def glyph_sequences(font) -> Dict[str, Tuple[int, ...]]:
    """Glyph name -> code point sequence, from the cmap and the GSUB ligatures (recursively)."""
    cmap: Dict[str, Tuple[int, ...]] = {}
    for cp, g in sorted(font.getBestCmap().items()):
        cmap.setdefault(g, (cp,))
    parts: Dict[str, Tuple] = dict(cmap)
    if "GSUB" in font:
        for lookup in font["GSUB"].table.LookupList.Lookup:
            if lookup.LookupType != 4:
                continue
            for sub in lookup.SubTable:
                for first, ligatures in sorted(sub.ligatures.items()):
                    for lig in ligatures:
                        parts.setdefault(lig.LigGlyph, (first, *lig.Component))

    def resolve(g: str, depth: int = 0) -> Tuple[int, ...]:
        if g in cmap:
            return cmap[g]
        if depth > 16 or g not in parts:
            raise KeyError(g)
        return tuple(cp for p in parts[g] for cp in resolve(p, depth + 1))

    out = {}
    for g in parts:
        try:
            out[g] = resolve(g)
        except KeyError:
            continue
    return out


def bases(seq: Sequence[int]) -> Tuple[int, ...]:
    """The sorted code points of a sequence that are not MODIFIERS."""
    return tuple(sorted(c for c in seq if c not in MODIFIERS))


class EmojiLabels:
    """Group look-ups for code point sequences (see the module doc for the order of the rules)."""

    def __init__(self, table: Dict[Tuple[int, ...], EmojiInfo]):
        self.table = table
        self.by_set: Dict[Tuple[int, ...], EmojiInfo] = {}
        self.by_bases: Dict[Tuple[int, ...], EmojiInfo] = {}
        for k, v in table.items():
            self.by_set.setdefault(tuple(sorted(k)), v)
            self.by_bases.setdefault(bases(k), v)

    def label(self, seq: Sequence[int]) -> Tuple[EmojiInfo, str]:
        """(group info, how it was found: exact | reordered | bases | rule)."""
        key = tuple(c for c in seq if c != VS16)
        if key in self.table:
            return self.table[key], "exact"
        if tuple(sorted(key)) in self.by_set:
            return self.by_set[tuple(sorted(key))], "reordered"
        if len(key) > 1:
            b = bases(key)
            if b and b in self.by_bases:
                info = self.by_bases[b]
                return EmojiInfo(info.group, info.subgroup, ""), "bases"
            for cp in key:
                if cp not in MODIFIERS and (cp,) in self.table:
                    info = self.table[(cp,)]
                    return EmojiInfo(info.group, info.subgroup, ""), "rule"
        return EmojiInfo(COMPONENT, "", ""), "rule"


def composite_on_white(png: bytes, side: int = SIDE) -> np.ndarray:
    """A CBDT strike PNG -> uint8 side x side x 3: alpha-composited on white (rounded), centred."""
    img = Image.open(io.BytesIO(png))
    img.load()
    rgba = np.asarray(img.convert("RGBA"), dtype=np.uint32)
    a = rgba[..., 3:4]
    rgb = (rgba[..., :3] * a + 255 * (255 - a) + 127) // 255
    h, w = rgb.shape[:2]
    if h > side or w > side:
        raise EmojiDataError(f"a {w}x{h} bitmap does not fit in {side}x{side}")
    out = np.full((side, side, 3), 255, dtype=np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    out[top : top + h, left : left + w] = rgb.astype(np.uint8)
    return out


def write_emoji_folder(
    out, font_path: str = FONT, emoji_test: str = EMOJI_TEST, only: Optional[Sequence[str]] = None
) -> Path:
    """Write the dataset folder (see the module doc); returns out. `only`: these glyph names
    alone (tests)."""
    if not os.path.isfile(font_path):
        raise EmojiDataError(f"{font_path} not found (Debian package fonts-noto-color-emoji; make setup installs it)")
    try:
        from fontTools.ttLib import TTFont
    except ImportError:
        raise EmojiDataError(
            "fontTools is not installed (Debian package python3-fonttools; make setup installs it)"
        ) from None
    labels = EmojiLabels(read_emoji_test(emoji_test))
    font = TTFont(font_path)
    if "CBDT" not in font:
        raise EmojiDataError(f"{font_path}: no CBDT table (not a color bitmap font)")
    strikes = font["CBDT"].strikeData
    strike = max(strikes, key=len)
    seqs = glyph_sequences(font)
    out = Path(out)
    rows: List[List[str]] = []
    used = set()
    for glyph in font.getGlyphOrder():
        if glyph not in strike or (only is not None and glyph not in only):
            continue
        seq = seqs.get(glyph)
        if seq is None:
            info, how, stem = EmojiInfo(COMPONENT, "", ""), "rule", glyph.lower()
        else:
            info, how = labels.label(seq)
            stem = "-".join(f"{c:x}" for c in seq if c != VS16)
        if stem in used:
            stem = f"{stem}-{glyph.lower()}"
        used.add(stem)
        pixels = composite_on_white(strike[glyph].imageData)
        folder = out / slug(info.group)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, "RGB").save(folder / f"{stem}.png", optimize=False)
        rows.append(
            [
                f"{slug(info.group)}/{stem}.png",
                glyph,
                " ".join(f"{c:04X}" for c in (seq or ())),
                info.group,
                info.subgroup,
                info.name,
                how,
            ]
        )
    if not rows:
        raise EmojiDataError(f"{font_path}: no color bitmaps found")
    with open(out / "index.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "glyph", "codepoints", "group", "subgroup", "name", "label_from"])
        w.writerows(sorted(rows))
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder to write (default: none; e.g. runs/data/noto-emoji)")
    ap.add_argument("--font", default=FONT, help=f"the color emoji font (default {FONT})")
    ap.add_argument("--emoji-test", default=EMOJI_TEST, help=f"Unicode's emoji-test.txt (default {EMOJI_TEST})")
    a = ap.parse_args(argv)
    try:
        out = write_emoji_folder(a.out, a.font, a.emoji_test)
    except EmojiDataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with open(out / "index.csv", encoding="utf-8") as f:
        n = sum(1 for _ in f) - 1
    print(f"{out}: {n} images")
    return 0
