"""Sigma detections over agent trails: after the fact (:func:`.engine.detect`, exported as
``auditkit.detect``) and live (:mod:`.follow`).

- :mod:`.pipeline` maps Sigma's field names to the trail's columns (the views rules read);
- :mod:`.engine` compiles rules parsed by pySigma into Arrow compute checks and runs them;
- ``rules/`` is the built-in rule pack (Sigma YAML);
- :mod:`.follow` tails a live trail, :mod:`.alerts` keeps the alert trail, :mod:`.sinks` delivers alerts;
- :mod:`.levels` holds Sigma's levels.

The package itself imports nothing: the command line reads :data:`.levels.LEVELS` to build its options,
and must not pay for pandas and pyarrow (~0.35 s) on every command.
"""
