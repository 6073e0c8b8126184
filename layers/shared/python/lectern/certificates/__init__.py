"""Certificates: templates, the issuing pipeline, PDFs, verification, the CPD ledger."""
