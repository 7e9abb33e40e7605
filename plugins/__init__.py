"""ganbench's built-in plugins, installed as ``ganbench.builtins.<name>``.

Each sub-package is loaded exactly like a third-party plugin: through its entry
point in the ``ganbench`` group (see ``pyproject.toml``). They live inside the
``ganbench`` namespace so that no third-party distribution (``ganbench-vanilla``
installs the top-level module ``ganbench_vanilla``) can collide with them.
"""
