"""PII redaction: nothing leaves the raw topic unredacted, and every redaction is audited.

Presidio's e-mail recogniser imports tldextract, which reads its suffix-list settings at import time and would
try the network: the offline settings are applied here, before any submodule imports Presidio.
"""

import os
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("TLDEXTRACT_CACHE", str(Path("~/.cache/cxpulse/tldextract").expanduser()))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
