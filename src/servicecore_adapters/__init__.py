"""Concrete backends for servicecore's ports, each registered as a pluggy plugin.

* :mod:`servicecore_adapters.memory` - in-memory storage (``"memory"``)
* :mod:`servicecore_adapters.notifiers` - ``"recording"`` and ``"logging"`` notifiers
* :mod:`servicecore_adapters.markdown` - Markdown document renderer (``"markdown"``)
* :mod:`servicecore_adapters.clocks` and :mod:`servicecore_adapters.ids` - system
  and deterministic clocks and id generators
"""
