"""Gunicorn for one Kehu app server: `gunicorn -c deploy/gunicorn.conf.py kehu.wsgi`.

Every value can be overridden by the environment (KEHU_BIND, KEHU_WEB_WORKERS, …) so the same
file serves a laptop, a systemd unit and a container.
"""

import multiprocessing
import os

bind = os.environ.get("KEHU_BIND", "127.0.0.1:8000")
# Synchronous workers with threads: Kehu's pages are database-bound; 2 × cores + 1 processes
# keep the CPU busy while others wait on PostgreSQL.
workers = int(os.environ.get("KEHU_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("KEHU_WEB_THREADS", "2"))
worker_class = "gthread"
# Recycle workers now and then (memory held by one huge export is given back).
max_requests = int(os.environ.get("KEHU_WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
timeout = int(os.environ.get("KEHU_WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Behind a proxy on the same machine or the load balancer: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("KEHU_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Logs to stdout/stderr (journald or the container runtime collects them); access log lines as
# JSON when KEHU_LOG_FORMAT=json, like the application's own.
accesslog = "-"
errorlog = "-"
if os.environ.get("KEHU_LOG_FORMAT") == "json":
    access_log_format = (
        '{"time": "%(t)s", "logger": "gunicorn.access", "remote": "%(h)s", '
        '"method": "%(m)s", "path": "%(U)s", "query": "%(q)s", "status": %(s)s, '
        '"bytes": "%(B)s", "duration_us": %(D)s, "user_agent": "%(a)s"}'
    )
else:
    access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus'
