"""Custody of trails at rest, kept and proven intact: :mod:`.verify` (hash chains, segment links, seals),
:mod:`.seals` (signing a trail's head), :mod:`.segments` (rotation and archives), :mod:`.retention`, and
:mod:`.secrets` (scanning and redacting stored trails).

May import: :mod:`auditkit.loading` (only its readers, to name a log that has no chain), :mod:`auditkit.store`,
:mod:`auditkit.trail`, :mod:`auditkit.errors`, cryptography. Not analysis or anything above it.
"""
