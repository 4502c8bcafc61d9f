"""``python -m semphony.server.drivers.tescan.emulator``: the emulator's command line."""

from semphony.server.drivers.tescan.emulator.cli import main

raise SystemExit(main())
