"""One widget a module, named after its class."""
