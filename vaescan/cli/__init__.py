"""The command line: argument parsing and wiring only; the work is done by the library below it.

``main.py`` is the ``vaescan`` command; each other module declares one stage's subcommands;
``options.py`` holds the options several of them share.
"""
