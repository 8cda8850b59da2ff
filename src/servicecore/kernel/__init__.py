"""The shared kernel: the error tree and the field rules both the domain model and the service-level engine use.

It imports nothing else from servicecore (``tests/test_layers.py`` holds it to
that), so :mod:`servicecore.sla` can use it without reaching into the domain.
"""
