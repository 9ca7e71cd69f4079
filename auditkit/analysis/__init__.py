"""Questions asked of a loaded frame: tool calls and views, steps and replays, file versions, what a
Bash command did, patches, tokens and dollars, findings (incident, cost, compliance), transcript
archives and reconciliation, SQL over the frame.

May import: :mod:`auditkit.custody`, :mod:`auditkit.loading`, :mod:`auditkit.store`, :mod:`auditkit.trail`,
:mod:`auditkit.errors`. Not detect, present, outbound or the face.
"""
