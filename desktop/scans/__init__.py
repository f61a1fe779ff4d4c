"""Scanned documents at the counter: shrinking them for the line and keeping them durably.

`desktop.scans.shrink` turns what the clerk hands in (a scanner's JPEG, PNG or multi-page
TIFF, a PDF, a pasted image) into pages re-encoded for a 256 kbit/s line; `budgets` holds
the per-page targets and why; `refusals` the bilingual reasons a file is turned away.
Nothing here imports Qt: the form calls it on a worker thread.
"""
