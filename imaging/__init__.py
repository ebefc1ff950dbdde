"""Imaging and PDF work: the one layer that opens PDFs and page images.

pypdfium2 reads and renders, pikepdf edits, tesserocr recognises, Pillow/numpy draw
and encode, reportlab and img2pdf write PDFs. Rules (numbering, plans, load files)
stay in `domain/`; Dagster wiring stays in `nextpoint_assets/`.
"""
