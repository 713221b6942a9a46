"""The nianbao application: the ``nianbao`` command line (``cli``), the cron job
(``run``), the publication server (``serve``) and the offline ``demo``.

It sits on top of the data flow and is the only layer that knows all of it:
``nianbao`` → ``crawler`` → ``archive`` → ``parsers``. ``nianbao.testbed`` holds the
test and demo infrastructure (replica portals, synthetic reports, the sample
archive); the product never imports it, except ``nianbao demo``, lazily.
"""
