"""The semphony control server: owns the device through a driver, keeps runs, serves HTTP."""
