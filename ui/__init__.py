"""Qt widgets, models, dialogs, printing and the application object."""
