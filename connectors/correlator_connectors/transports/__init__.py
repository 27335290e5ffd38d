"""Transports: where raw records come from, and how they reach Kafka without being lost.

One module per transport (:mod:`.files`, :mod:`.syslog`, :mod:`.http`, :mod:`.kafka`), the
shared delivery to Kafka (:mod:`.delivery`), the ``SOURCE`` syntax (:mod:`.source`), file
position bookkeeping (:mod:`.positions`), metrics (:mod:`.metrics`) and the process runner
(:mod:`.runner`) behind ``correlator connect``.

The rule every transport keeps: a record is acknowledged to its sender (file position saved,
Kafka offset committed, HTTP 200) only after the broker acknowledged the events made from it,
or the dead letter that replaced it.
"""
