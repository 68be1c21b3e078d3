"""The ``featureguard`` command line. Feast is imported only by commands that use it."""
