"""The proposal draft as Markdown and as Word (.docx, through python-docx).

Both read the same :class:`~analysis.proposal.Document` blocks: headings, paragraphs, bullets and
quotes. The Word file uses a CJK-capable font for East Asian text so Chinese prints as Chinese.
"""

from __future__ import annotations

import io

from analysis.proposal import Document

__all__ = ["to_docx", "to_markdown"]

CJK_FONT = "SimSun"
LATIN_FONT = "Calibri"


def to_markdown(doc: Document) -> str:
    """The draft as Markdown: ``#`` headings, paragraphs, ``-`` bullets and ``>`` quotes."""
    lines: list[str] = []
    for b in doc.blocks:
        match b.kind:
            case "heading":
                if lines and lines[-1]:
                    lines.append("")
                lines += ["#" * max(1, b.level) + " " + b.text, ""]
            case "bullet":
                lines.append(f"- {b.text}")
            case "quote":
                lines += [f"> {b.text}", ""]
            case _:
                if lines and lines[-1].startswith("- "):
                    lines.append("")
                lines += [b.text, ""]
    return "\n".join(lines).rstrip() + "\n"


def to_docx(doc: Document) -> bytes:
    """The draft as a Word document (bytes of a .docx file)."""
    from docx import Document as Word  # python-docx: only when a Word file is asked for
    from docx.oxml.ns import qn

    word = Word()
    normal = word.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    word.core_properties.title = doc.title
    word.core_properties.language = "zh-CN" if doc.language == "zh" else "en"
    for b in doc.blocks:
        match b.kind:
            case "heading":
                heading = word.add_heading(b.text, level=min(max(b.level - 1, 0), 3))
                for run in heading.runs:
                    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
            case "bullet":
                word.add_paragraph(b.text, style="List Bullet")
            case "quote":
                word.add_paragraph(b.text, style="Quote")
            case _:
                word.add_paragraph(b.text)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()
