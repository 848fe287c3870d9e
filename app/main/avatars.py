"""Identicon avatars drawn by the app itself, so no page loads images from another host."""

import hashlib
from html import escape

GRID = 5


def identicon_svg(seed: str, size: int) -> str:
    """A symmetric 5x5 identicon for ``seed`` as SVG text, ``size`` pixels square."""
    digest = hashlib.sha256(seed.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    colour = f"hsl({hue} 55% 48%)"
    background = f"hsl({hue} 40% 92%)"
    cell = size / GRID
    rects = []
    half = (GRID + 1) // 2
    for row in range(GRID):
        for col in range(half):
            if digest[2 + row * half + col] % 2 == 0:
                continue
            for x in {col, GRID - 1 - col}:
                rects.append(
                    f'<rect x="{x * cell:.2f}" y="{row * cell:.2f}" '
                    f'width="{cell:.2f}" height="{cell:.2f}"/>'
                )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="{escape(seed)} avatar">'
        f'<rect width="{size}" height="{size}" fill="{background}"/>'
        f'<g fill="{colour}">{"".join(rects)}</g></svg>'
    )
