"""sitless: posture sensing and move prompts for people who sit all day.

This package holds what both sides share: the wire contract (``sitless.wire``), the only
paho-mqtt bridge (``sitless.mqtt``), the error tree and the ``sitless`` command line.
Upstream of it are the collector (``collector``) and downstream the service (``service``);
both import the contract from here and never copy it.
"""

__version__ = "0.1.0"
