"""gunicorn settings for `make run` and production (see README, "Deploying")."""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# A fresh worker now and then bounds any slow leak (a restart loses the worker's
# per-process values, which it builds again on its first requests).
max_requests = 20000
max_requests_jitter = 2000
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app logs one JSON line per request (guidance/logging.py): no query strings, no addresses,
# wizard steps masked. gunicorn's own access log would repeat it with the client's address.
accesslog = None
errorlog = "-"
