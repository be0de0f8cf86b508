"""The HTML pages people read: the run report, the data-gate report and the
model card, all in one page shell. Self-contained, no scripts, no TensorFlow."""
