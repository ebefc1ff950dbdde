"""How the tagged PDFs beside this file were made (run once; the PDFs are committed).

Issue 21 asks for the structure-fidelity figures per producer. Chromium prints the answer keys of
bench/renditions_corpus.py at every run; the producers here are not on the test machines, so their
PDFs are made once and kept. Each producer gets the same few documents, drawn from the answer-key
generator (`source(SEED, i)`: headings, paragraphs with links, nested lists, tables with header
cells, figures with and without alt text), written the way that producer's users write:

- LibreOffice Writer (Debian `libreoffice-writer-nogui`): the HTML opened in Writer and exported
  with "Tagged PDF" on. Writer's own tables have borders, so the HTML's tables get `border=1`
  (Writer's HTML import drops the CSS borders).
- WeasyPrint (PyPI `weasyprint`, `--pdf-tags`): the HTML as it is, with page margins, and on the
  first (long) document a running head and page numbers in the page margin boxes.
- Typst (PyPI `typst`, tagged by default since 0.14): the document written as Typst markup.
- LuaLaTeX with tagpdf (Debian `texlive-luatex texlive-latex-extra`, TeX Live 2022): the document
  as LaTeX, paragraphs tagged by tagpdf's phase-II, headings, lists, tables and figures tagged by
  hand with `\\tagstructbegin` / `\\tagmcbegin`, as TeX Live 2022 needs.

The benchmark does not use the HTML's truth for these: the truth is what each PDF's own tag tree
says (bench/renditions_fidelity.py), as for any tagged PDF from outside.

    PYTHONPATH=. <python with typst, weasyprint, pikepdf> bench/renditions_tagged/make_tagged.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pikepdf

from bench.renditions_corpus import Source, source
from domain.renditions.model import Figure, Heading, Inline, ListBlock, Paragraph, Table

HERE = Path(__file__).parent
SEED = 2101  # not the benchmark's default seed: these documents differ from the answer keys
DOCUMENTS = 3  # the first is a long one (every 4th source is)
PAGE_CSS = "@page { size: Letter; margin: 0.8in 0.7in; }"
RUNNING_CSS = (
    "@page { @top-left { content: string(title); font-size: 8pt; }"
    ' @bottom-center { content: "Page " counter(page); font-size: 8pt; } }'
    " h1 { string-set: title content(); }"
)


def _run(*command: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(c) for c in command], check=True, cwd=cwd, capture_output=True)


def libreoffice(item: Source, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = item.html.replace("<table>", '<table border="1" cellpadding="4" cellspacing="0">')
        (Path(tmp) / "doc.html").write_text(page, encoding="utf-8")
        export = 'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}'
        _run(
            "soffice",
            "--headless",
            "--infilter=HTML (StarWriter)",
            "--convert-to",
            export,
            "doc.html",
            cwd=Path(tmp),
        )
        shutil.copy(Path(tmp) / "doc.pdf", target)


def weasyprint(item: Source, target: Path) -> None:
    css = PAGE_CSS + (RUNNING_CSS if item.running_header else "")
    page = item.html.replace("</style>", css + "</style>")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "doc.html").write_text(page, encoding="utf-8")
        _run(sys.executable, "-m", "weasyprint", "--pdf-tags", "doc.html", target.resolve(), cwd=Path(tmp))


def _svg(figure: Figure, index: int) -> str:
    colour = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"][index % 5]
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{figure.width}' height='{figure.height}'>"
        f"<rect width='{figure.width}' height='{figure.height}' fill='{colour}'/></svg>"
    )


def _typst_text(text: str) -> str:
    return re.sub(r"([\\*_#$@<>\[\]`~=+\-/\"])", r"\\\1", text)


def _typst_inlines(inlines: list[Inline]) -> str:
    parts = []
    for inline in inlines:
        text = _typst_text(inline.text)
        parts.append(f'#link("{inline.href}")[{text}]' if inline.href else text)
    return "".join(parts)


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def typst_markup(item: Source) -> str:
    truth = item.truth
    lines = [
        f"#set document(title: {_typst_string(truth.title)})",
        f'#set text(lang: "{truth.lang.split("-")[0]}", size: 11pt)',
        "#set figure.caption(position: top)",
    ]
    page = '#set page(paper: "us-letter", margin: (x: 0.7in, y: 0.8in)'
    if item.running_header:
        page += (
            f", header: text(8pt)[{_typst_text(truth.title)}]"
            ', footer: context align(center, text(8pt)[Page #counter(page).display("1")])'
        )
    lines.append(page + ")")
    figures = 0
    for block in truth.blocks:
        lines.append("")
        if isinstance(block, Heading):
            lines.append("=" * block.level + " " + _typst_inlines(block.inlines))
        elif isinstance(block, Paragraph):
            lines.append(_typst_inlines(block.inlines))
        elif isinstance(block, ListBlock):
            marker = "+" if block.ordered else "-"
            depths = block.depths or [0] * len(block.items)
            for item_inlines, depth in zip(block.items, depths, strict=True):
                lines.append("  " * depth + f"{marker} " + _typst_inlines(item_inlines))
        elif isinstance(block, Table):
            columns = max(len(row) for row in block.rows)
            cells = [[f"[{_typst_inlines(cell.inlines)}]" for cell in row] for row in block.rows]
            body = f"table(columns: {columns}, table.header({', '.join(cells[0])}), "
            body += ", ".join(cell for row in cells[1:] for cell in row) + ")"
            caption = f", caption: [{_typst_text(block.caption)}]" if block.caption else ""
            lines.append(f"#figure({body}{caption})")
        elif isinstance(block, Figure):
            figures += 1
            alt = f", alt: {_typst_string(block.alt)}" if block.alt else ""
            image = f'image(bytes({_typst_string(_svg(block, figures))}), format: "svg"{alt})'
            caption = f", caption: [{_typst_text(block.caption)}]" if block.caption else ""
            lines.append(f"#figure({image}{caption})")
    return "\n".join(lines) + "\n"


def typst(item: Source, target: Path) -> None:
    import typst as compiler

    with tempfile.TemporaryDirectory() as tmp:
        markup = Path(tmp) / "doc.typ"
        markup.write_text(typst_markup(item), encoding="utf-8")
        target.write_bytes(compiler.compile(str(markup), pdf_tags=True))


def _tex_text(text: str) -> str:
    replace = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_"}
    replace |= {"{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    return "".join(replace.get(char, char) for char in text)


def _tex_inlines(inlines: list[Inline]) -> str:
    return "".join(
        rf"\href{{{inline.href}}}{{{_tex_text(inline.text)}}}" if inline.href else _tex_text(inline.text)
        for inline in inlines
    )


def _tagged(tag: str, body: str, extra: str = "") -> str:
    """`body` as one structure element holding one marked-content sequence."""
    return rf"\tagstructbegin{{tag={tag}{extra}}}\tagmcbegin{{tag={tag}}}{body}\tagmcend\tagstructend"


HEADINGS = {1: r"{\noindent\LARGE\bfseries %s\par}", 2: r"\section*{%s}", 3: r"\subsection*{%s}"}


def latex_source(item: Source) -> str:
    truth = item.truth
    out = [
        rf"\DocumentMetadata{{testphase=phase-II, lang={truth.lang}, pdfversion=1.7}}",
        r"\documentclass[11pt]{article}",
        r"\usepackage[letterpaper, margin=0.8in]{geometry}",
        r"\usepackage{fontspec, xcolor, hyperref}",
        rf"\hypersetup{{pdftitle={{{_tex_text(truth.title)}}}}}",
        r"\setlength{\parindent}{0pt}\setlength{\parskip}{6pt}",
        r"\begin{document}",
    ]
    for block in truth.blocks:
        if isinstance(block, Paragraph):
            out.append(_tex_inlines(block.inlines) + "\n")
            continue
        out.append(r"\tagpdfparaOff")
        if isinstance(block, Heading):
            heading = HEADINGS.get(block.level, r"\subsubsection*{%s}") % _tex_inlines(block.inlines)
            out.append(_tagged(f"H{block.level}", heading))
        elif isinstance(block, ListBlock):
            out.append(_latex_list(block))
        elif isinstance(block, Table):
            out.append(_latex_table(block))
        elif isinstance(block, Figure):
            alt = f", alt={{{_tex_text(block.alt)}}}" if block.alt else ""
            out.append(r"\begin{center}\tagstructbegin{tag=Figure" + alt + "}")
            out.append(
                rf"\tagmcbegin{{tag=Figure}}\textcolor{{teal}}{{\rule{{{block.width}pt}}{{{block.height}pt}}}}"
            )
            out.append(r"\tagmcend\tagstructend")
            if block.caption:
                out.append(r"\par " + _tagged("Caption", _tex_text(block.caption)))
            out.append(r"\end{center}")
        out.append(r"\tagpdfparaOn" + "\n")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def _latex_list(block: ListBlock) -> str:
    environment = "enumerate" if block.ordered else "itemize"
    depths = block.depths or [0] * len(block.items)
    out, depth = [r"\tagstructbegin{tag=L}", rf"\begin{{{environment}}}"], 0
    for inlines, wanted in zip(block.items, depths, strict=True):
        while depth < wanted:
            out += [r"\tagstructbegin{tag=L}", rf"\begin{{{environment}}}"]
            depth += 1
        while depth > wanted:
            out += [rf"\end{{{environment}}}", r"\tagstructend"]
            depth -= 1
        body = _tagged("LBody", _tex_inlines(inlines))
        out.append(rf"\item \tagstructbegin{{tag=LI}}{body}\tagstructend")
    while depth > 0:
        out += [rf"\end{{{environment}}}", r"\tagstructend"]
        depth -= 1
    out += [rf"\end{{{environment}}}", r"\tagstructend"]
    return "\n".join(out)


def _latex_table(block: Table) -> str:
    columns = max(len(row) for row in block.rows)
    out = [r"\begin{center}", r"\tagstructbegin{tag=Table}"]
    if block.caption:
        out.append(_tagged("Caption", _tex_text(block.caption)) + r"\par\smallskip")
    out.append(rf"\begin{{tabular}}{{|{'l|' * columns}}}\hline")
    for row in block.rows:
        cells = []
        for cell in row:
            text = _tex_inlines(cell.inlines)  # no /Scope: TeX Live 2022's tagpdf has no table attributes
            cells.append(
                _tagged("TH" if cell.header else "TD", rf"\textbf{{{text}}}" if cell.header else text)
            )
        out.append(r"\tagstructbegin{tag=TR}" + " & ".join(cells) + r"\tagstructend\\\hline")
    out += [r"\end{tabular}", r"\tagstructend", r"\end{center}"]
    return "\n".join(out)


def lualatex(item: Source, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "doc.tex").write_text(latex_source(item), encoding="utf-8")
        for _ in range(2):  # tagpdf needs a second run to resolve its structure references
            _run("lualatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex", cwd=Path(tmp))
        shutil.copy(Path(tmp) / "doc.pdf", target)


PRODUCERS = {"libreoffice": libreoffice, "weasyprint": weasyprint, "typst": typst, "lualatex": lualatex}


def check_tagged(pdf: Path) -> None:
    with pikepdf.open(pdf) as document:
        if "/StructTreeRoot" not in document.Root:
            raise RuntimeError(f"{pdf.name}: no structure tree")


def main(names: list[str]) -> None:
    for name in names or list(PRODUCERS):
        for index in range(DOCUMENTS):
            item = source(SEED, index)
            target = HERE / f"{name}-{index + 1}.pdf"
            PRODUCERS[name](item, target)
            check_tagged(target)
            print(target.name, target.stat().st_size)


if __name__ == "__main__":
    main(sys.argv[1:])
