"""semphony: script a scanning electron microscope safely."""
