"""Fax test documents: PDFs of numbered pages that look nothing alike (:func:`lab.fax.pdf`, which the
fax benchmark sends too)."""

from lab.fax import pdf

__all__ = ["pdf"]
