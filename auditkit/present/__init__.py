"""For people: the terminal's tables, charts and the replay page, notebook helpers, the explorer widget
and evidence packs.

May import: :mod:`auditkit.detection`, :mod:`auditkit.analysis` and every layer below it. Not
:mod:`auditkit.outbound` (its sibling) or the face.
"""
