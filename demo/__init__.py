"""The demo data of ``manage.py load_demo``, stage by stage: ``specs`` (what it holds),
``parties`` (users, banks, enterprises), ``filings`` (loans and the non-performing plan),
``lifecycle`` (claims and money through the services on the business calendar), ``loader``."""
