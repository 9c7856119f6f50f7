"""``elman serve``: trained runs over HTTP (FastAPI + uvicorn, ``pip install 'elman[serve]'``).

``app`` builds the application from the runs' tasks (``Task.routes``), ``batching`` gathers
concurrent requests into one model call, ``sessions`` keeps recurrent states between requests
and ``limits`` bounds what a request may use.
"""
