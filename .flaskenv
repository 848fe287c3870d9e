FLASK_APP=microblog.py
# Development mode for `flask` commands on this checkout (debugger, reloader, and a fixed
# development SECRET_KEY when none is set). gunicorn does not read this file: production
# runs without it and must set SECRET_KEY.
FLASK_DEBUG=1
