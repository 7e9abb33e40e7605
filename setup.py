"""Maps the repository's ``plugins/`` folder to the ``ganbench.builtins`` package.

All metadata lives in ``pyproject.toml``; this file only computes the package
list, which ``pyproject.toml`` cannot express: a ``find`` there names packages
after their folders, and the built-ins sit outside ``ganbench/`` on purpose
(they read like third-party plugins) while installing inside its namespace.
"""

from setuptools import find_packages, setup

BUILTINS = "ganbench.builtins"

setup(
    packages=[
        *find_packages(include=["ganbench", "ganbench.*"]),
        BUILTINS,
        *(f"{BUILTINS}.{name}" for name in find_packages("plugins")),
    ],
    package_dir={BUILTINS: "plugins"},
)
