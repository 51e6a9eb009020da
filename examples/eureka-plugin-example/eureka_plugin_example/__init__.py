"""An example Eureka plugin: the ``slider`` task, the ``epochs_to_threshold`` metric and a forgetting check."""
