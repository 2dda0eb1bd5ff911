"""Renderings of model values shared by the headless commands and the console."""
