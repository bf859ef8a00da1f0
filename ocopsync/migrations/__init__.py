"""The schema's history as Alembic revisions, applied by :mod:`ocopsync.schema`.

It ships inside the package (not next to an ``alembic.ini``) so an installed ocopsync
can upgrade the database it is pointed at without any file of the user's.
"""
