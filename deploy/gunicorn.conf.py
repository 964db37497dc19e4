"""gunicorn for yoyaku: ``gunicorn -c deploy/gunicorn.conf.py yoyaku.wsgi``.

Every value can be overridden from the environment (the systemd unit's EnvironmentFile, or
``make prod-local``). Sizing: the booking path waits on PostgreSQL more than it computes, so
each worker process runs a few threads (gthread); processes give the CPU-bound parts (page
rendering, password hashing at log-in) every core. Each thread keeps its own database
connection (DATABASE_CONN_MAX_AGE), so one server opens up to workers × threads connections:
PostgreSQL's max_connections must cover every server plus the task workers, or use PgBouncer
(deploy/pgbouncer.ini).
"""

import os

_cores = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * _cores + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Connections waiting for a free thread; past it the kernel queues them (listen backlog).
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))

# A request still running after this long is a stuck one: its worker is restarted. The
# slowest pages (CSV and PDF exports of a month) take a few seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# nginx keeps connections to the upstream open; a little longer than its own keepalive.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A worker is replaced after this many requests (with jitter, not all at once): bounds any
# slow growth of memory.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))

# Worker heartbeat files in memory, not on a disk that may stall.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Access log on stdout (journald, or the terminal of make prod-local): time, method, path
# WITHOUT its query string (%(U)s; a query may carry a token or a search term), protocol,
# status, bytes and milliseconds. No client address, referrer or user agent: nginx logs the
# address for abuse handling with its own retention (deploy/logrotate); the application's
# log carries no personal data.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# X-Forwarded-Proto is believed only from these addresses (the nginx of deploy/nginx); the
# default is the loopback interface. Django reads it only with SECURE_PROXY_SSL_HEADER=1.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips
