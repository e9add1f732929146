"""Scanned paper forms: register a scan to its blank form, measure ink in boxes, order pages.

Pure functions on numpy images and page texts (`register`, `ink`, `pages`); the I/O that turns
PDFs into images sits at the edges (`images`: a scan's page images, `blank`: the blank form
rendered at the scan's resolution and its field rectangles).
"""
