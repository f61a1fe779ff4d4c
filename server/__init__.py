"""Reference central server: HTTP API, enrolment, catalogue publishing, back office."""
