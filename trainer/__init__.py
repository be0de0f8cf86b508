"""Model code: the built-in examples' TFX user modules (`trainer.taxi`), and
helpers any module may use (the training strategy, warm start, encoders).

Tollgate reaches a module only through `[model] module`, as TFX does.
"""
