"""portal.wsgi, counting the SQL statements each request runs: `make bench` serves this.

The counters are created when gunicorn imports this module before it forks its workers
(`preload_app` in portal/gunicorn.conf.py), so every worker adds to the same two numbers.
GET /bench/sql reads them.
"""

from __future__ import annotations

import json
import multiprocessing

from django.db import connection

from portal.wsgi import application as site

requests = multiprocessing.Value("Q", 0)
statements = multiprocessing.Value("Q", 0)


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/bench/sql":
        body = json.dumps({"requests": requests.value, "statements": statements.value}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    ran = 0

    def count(execute, sql, params, many, context):
        nonlocal ran
        ran += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = site(environ, start_response)
    with requests.get_lock():
        requests.value += 1
    with statements.get_lock():
        statements.value += ran
    return response
