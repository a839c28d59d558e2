"""Loaded into test workers as an extra module (`mediaparser worker tests.hostile.short_exiftool_timeout`):
a hung exiftool is given up on after 3 s instead of 30, so fault tests stay quick."""

import jobs.exif

jobs.exif.TIMEOUT_S = 3.0
