"""Erasure certificates: numbers, Ed25519 signatures and the PDF a donor keeps.

Plain data in, bytes out: no Flask or database here, so the rq job, the CLI and
the /verify page all call the same functions. The certificate is a JSON object
(see render.py for its fields); what is signed is its canonical JSON, and the
PDF carries that JSON and the signature as attachments so an uploaded PDF can be
checked without trusting anything printed on its pages.
"""
