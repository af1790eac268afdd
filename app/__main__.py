"""``python -m app``: start the app (see :mod:`app.launch`)."""

import sys

from app.launch import main

sys.exit(main())
