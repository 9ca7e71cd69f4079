"""Sigma detections over agent trails: after the fact (:func:`detect`, exported as ``auditkit.detections``)
and live (:mod:`.follow`).

- :mod:`.pipeline` maps Sigma's field names to the trail's columns (the views rules read);
- :mod:`.engine` compiles rules parsed by pySigma into Arrow compute checks and runs them;
- ``rules/`` is the built-in rule pack (Sigma YAML);
- :mod:`.follow` tails a live trail, :mod:`.alerts` keeps the alert trail, :mod:`.sinks` delivers alerts.
"""

from auditkit.detect.engine import LEVELS, MATCH_COLUMNS, Rule, builtin_rules_dir, detect, detections, load_rules

__all__ = ["LEVELS", "MATCH_COLUMNS", "Rule", "builtin_rules_dir", "detect", "detections", "load_rules"]
