"""Readers: every format auditkit loads, normalised into rows with the same keys.

One module per format, each with ``matches(obj) -> bool`` and ``rows(obj, ctx) -> list[dict]``:

- :mod:`.auditkit_trail` — auditkit's own trail (format v1, hash-chained)
- :mod:`.seed_flat` — the older flat format of the seed article (``toolName``, ``executionTimeMs``)
- :mod:`.hook_payload` — raw Claude Code hook payloads dumped by simple hooks (``jq -c . >> log``)
- :mod:`.transcript` — Claude Code session transcripts (``~/.claude/projects/*/*.jsonl``)
- :mod:`.codex` — OpenAI Codex CLI rollouts (``~/.codex/sessions/**/rollout-*.jsonl``)
- :mod:`.gemini` — Gemini CLI sessions (``~/.gemini/tmp/*/chats/session-*.json``, or JSON Lines)

:func:`auditkit.loading.lines.read_file` detects the format of each line.
"""

from auditkit.loading.readers import auditkit_trail, codex, gemini, hook_payload, seed_flat, transcript

#: Tried in this order; the first whose ``matches`` says yes reads the line.
FORMATS = (auditkit_trail, seed_flat, hook_payload, codex, gemini, transcript)

__all__ = ["FORMATS"]
