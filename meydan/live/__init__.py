"""Live updates as a stream: the publisher (receivers.py, in every Django process) and
the Server-Sent Events server (stream.py, run by `meydan live`). docs/scaling.md,
"Live updates", says why a stream for crowds and polling everywhere else."""
