"""``manage.py benchmark``: the grading service measured for the last ten minutes before a deadline.

- ``run``: the orchestration (what is measured, in which order) and the figures it returns;
- ``stack``: a throwaway copy of the real stack (broker, Celery worker and beat, gunicorn) on
  temporary state and free ports;
- ``stack_tasks``: work done inside that state (data, the sandbox and grading costs, the gradebook,
  the final audit), each run as ``python -m courseportal.operations.benchmark.stack_tasks``;
- ``load_generator``: the students, as a separate process speaking plain HTTP to the web server;
- ``figures``: medians and percentiles, and the report.
"""
