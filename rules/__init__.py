"""The rules the counter and the central server keep alike.

The service catalogue and its form checks (``catalog``), the field checkers by their
published algorithms (``validation``), the normalisation of what a clerk types
(``normalize``), bilingual messages (``messages``) and the base of the error taxonomy
(``errors``). Pure Python: no database, no network, no Qt. The counter (``desktop``) and
the server (``server``) both import it, so a pushed request is judged by exactly the code
that judged the form; the server imports nothing else of the counter's.
"""
